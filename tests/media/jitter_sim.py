"""Trace simulation for the jitter buffer: synthetic network traces, a playout loop, and
the figures the benchmark gates on (mean playout delay against the hindsight oracle,
frames not played beyond network loss). Used by the tests and for tuning."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

from cbcs.media import JitterBuffer

AUDIO_DIR = os.environ.get("CBCS_AUDIO", "/work/shared/data/audio")


@dataclass
class Trace:
    send_ms: np.ndarray      # per packet
    arrival_ms: np.ndarray   # NaN when lost
    frame_ms: int = 20


def gaussian(n: int, rng: np.random.Generator, *, base: float = 80.0, sigma: float = 20.0,
             fifo: bool = True) -> np.ndarray:
    d = base + rng.normal(0.0, sigma, n)
    return np.maximum(d, 0.0)


def spikes(n: int, rng: np.random.Generator, *, base: float = 80.0, frame_ms: int = 20,
           rate_per_s: float = 0.2, scale_ms: float = 100.0, alpha: float = 1.5,
           cap_ms: float = 1500.0) -> np.ndarray:
    """Small gaussian jitter plus rare link stalls of Pareto length; packets queue FIFO."""
    d = base + np.abs(rng.normal(0.0, 3.0, n))
    p = rate_per_s * frame_ms / 1000.0
    starts = np.nonzero(rng.random(n) < p)[0]
    for s in starts:
        length = min(cap_ms, scale_ms * (rng.pareto(alpha) + 1.0))
        # Packets sent during the stall leave when it ends.
        for k in range(s, n):
            extra = length - (k - s) * frame_ms
            if extra <= 0:
                break
            d[k] = max(d[k], base + extra)
    return d


def gilbert_elliott(n: int, rng: np.random.Generator, *, loss: float = 0.05,
                    burst: float = 2.5) -> np.ndarray:
    """Boolean lost mask with mean loss rate `loss` and mean burst length `burst`."""
    p_bg = 1.0 / burst                       # bad -> good
    p_gb = loss * p_bg / (1.0 - loss)        # good -> bad
    lost = np.zeros(n, dtype=bool)
    bad = False
    u = rng.random(n)
    for i in range(n):
        bad = (u[i] >= p_bg) if bad else (u[i] < p_gb)
        lost[i] = bad
    return lost


def make_trace(kind: str, seed: int, seconds: float = 60.0, frame_ms: int = 20,
               drift: float = 0.0) -> Trace:
    rng = np.random.default_rng(seed)
    n = int(seconds * 1000 / frame_ms)
    send = np.arange(n) * float(frame_ms) + 1000.0
    if kind.startswith("net:"):
        # The project's link emulator: a profile name or family of the benchmark.
        from cbcs.media import netsim
        name = kind[4:]
        fams = {
            "gauss": netsim.LinkParams(base_delay_ms=80, jitter_ms=20),
            "spike": netsim.LinkParams(base_delay_ms=80, jitter_ms=20,
                                       jitter_distribution="heavy_tailed"),
            "ge": netsim.LinkParams(base_delay_ms=80, loss_rate=0.05, mean_burst=2.5),
            "gauss+ge": netsim.LinkParams(base_delay_ms=80, jitter_ms=20, loss_rate=0.05,
                                          mean_burst=2.5),
            "spike+ge": netsim.LinkParams(base_delay_ms=80, jitter_ms=20,
                                          jitter_distribution="heavy_tailed",
                                          loss_rate=0.05, mean_burst=2.5),
        }
        link = netsim.Link(fams.get(name, name), seed=seed)  # type: ignore[arg-type]
        arrival = link.transmit(send, 120)
        return Trace(send, arrival, frame_ms)
    if "spike" in kind:
        d = spikes(n, rng, frame_ms=frame_ms)
    elif "gauss" in kind:
        d = gaussian(n, rng)
    else:
        d = np.full(n, 80.0) + np.abs(rng.normal(0, 2.0, n))
    arrival = send * (1.0 + drift) + d
    arrival = np.maximum.accumulate(arrival)  # FIFO link: no reordering
    if "ge" in kind:
        arrival[gilbert_elliott(n, rng)] = np.nan
    return Trace(send, arrival, frame_ms)


_speech: np.ndarray | None = None


def speech(rate: int = 16000) -> np.ndarray:
    global _speech
    if _speech is None:
        import soundfile as sf
        parts = []
        for f in sorted(glob.glob(os.path.join(AUDIO_DIR, "speech", "*.wav")))[:6]:
            x, sr = sf.read(f, dtype="int16")
            if x.ndim > 1:
                x = x[:, 0]
            if sr == 16000:
                parts.append(x)
        _speech = np.concatenate(parts)
    x = _speech
    if rate != 16000:
        idx = (np.arange(int(len(x) * rate / 16000)) * 16000 / rate).astype(np.int64)
        x = x[idx]
    return x


@dataclass
class Result:
    mean_delay: float
    p95_delay: float
    oracle: float
    late_pct: float            # received but never played
    not_played_pp: float       # frames not played beyond network loss, percentage points
    conceal_pct: float
    kinds: dict[str, int]
    target: np.ndarray         # target delay per get
    times: np.ndarray


def oracle_delay(trace: Trace) -> float:
    ok = ~np.isnan(trace.arrival_ms)
    d = (trace.arrival_ms - trace.send_ms)[ok]
    n = len(trace.send_ms)
    # smallest D with at most 1 % of all frames late on top of network loss
    allowed = int(np.floor(0.01 * n))
    s = np.sort(d)
    return float(s[max(0, len(s) - 1 - allowed)])


def run(trace: Trace, rate: int = 16000, jb: JitterBuffer | None = None, ts0: int = 12345,
        seq0: int = 100, **kw: float) -> Result:
    jb = jb or JitterBuffer(rate, **kw)  # type: ignore[arg-type]
    spp = rate * trace.frame_ms // 1000
    audio = speech(rate)
    n = len(trace.send_ms)
    order = np.argsort(np.where(np.isnan(trace.arrival_ms), np.inf, trace.arrival_ms), kind="stable")
    arrivals = trace.arrival_ms[order]
    t = float(np.floor(trace.send_ms[0] / 10) * 10)
    end = float(np.nanmax(trace.arrival_ms)) + 1500.0
    played_at = np.full(n, np.nan)
    k = 0
    targets, times = [], []
    kinds: dict[str, int] = {}
    concealed = 0
    while t < end:
        while k < n and arrivals[k] <= t:
            i = int(order[k])
            off = (i * spp) % (len(audio) - spp)
            jb.put((seq0 + i) & 0xFFFF, (ts0 + i * spp) & 0xFFFFFFFF, audio[off:off + spp], float(arrivals[k]))
            k += 1
        p = jb.get(t)
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
        if p.kind in ("expand", "comfort_noise") and t <= end - 1500.0:
            concealed += 1
        targets.append(p.target_delay_ms)
        times.append(t)
        if p.timestamp is not None and p.source_samples > 0:
            rel = (p.timestamp - ts0) & 0xFFFFFFFF
            first = rel // spp
            last = (rel + p.source_samples - 1) // spp
            for i in range(first, min(last, n - 1) + 1):
                if np.isnan(played_at[i]):
                    played_at[i] = t
        t += 10.0
    received = ~np.isnan(trace.arrival_ms)
    played = ~np.isnan(played_at)
    delays = (played_at - trace.send_ms)[played]
    late = received & ~played
    return Result(
        mean_delay=float(np.mean(delays)),
        p95_delay=float(np.percentile(delays, 95)),
        oracle=oracle_delay(trace),
        late_pct=100.0 * late.sum() / n,
        not_played_pp=100.0 * late.sum() / n,
        conceal_pct=100.0 * concealed / len(times),
        kinds=kinds,
        target=np.asarray(targets),
        times=np.asarray(times),
    )


if __name__ == "__main__":
    import sys
    kw = {}
    for a in sys.argv[1:]:
        key, v = a.split("=")
        kw[key] = float(v)
    kinds = ["gauss", "spike", "ge", "gauss+ge", "spike+ge"]
    kinds += ["net:" + k for k in kinds] + ["net:lan", "net:sea-4g", "net:latam-3g", "net:cross-border", "net:worst"]
    for kind in kinds:
        for seed in (1, 2):
            r = run(make_trace(kind, seed), **kw)
            bound = max(r.oracle + 20, 1.15 * r.oracle)
            print(f"{kind:10s} seed={seed} mean={r.mean_delay:6.1f} p95={r.p95_delay:6.1f} "
                  f"oracle={r.oracle:6.1f} bound={bound:6.1f} {'OK ' if r.mean_delay <= bound else 'BAD'} "
                  f"late={r.late_pct:4.2f}% conceal={r.conceal_pct:4.1f}% "
                  f"acc={r.kinds.get('accelerate',0)} pe={r.kinds.get('preemptive_expand',0)}")


def listen_under_loss(path: str, seed: int, loss: float = 0.05, burst: float = 2.5) -> tuple[float, float]:
    """PESQ-WB of (cbcs playout, zero-filled lost frames) for one 16 kHz speech file sent
    as 20 ms packets through Gilbert-Elliott loss with a small FIFO jitter."""
    import soundfile as sf
    from pesq import pesq

    x, sr = sf.read(path, dtype="int16")
    if x.ndim > 1:
        x = x[:, 0]
    assert sr == 16000
    n = len(x) // 320
    x = x[: n * 320]
    rng = np.random.default_rng(seed)
    lost = gilbert_elliott(n, rng, loss=loss, burst=burst)
    zero_fill = x.copy().reshape(n, 320)
    zero_fill[lost] = 0
    arrival = np.maximum.accumulate(np.arange(n) * 20.0 + 60.0 + np.abs(rng.normal(0, 2.0, n)))
    jb = JitterBuffer(16000)
    out = []
    k = 0
    t = 0.0
    while t < n * 20 + 500:
        while k < n and arrival[k] <= t:
            if not lost[k]:
                jb.put(k, k * 320, x[k * 320:(k + 1) * 320], float(arrival[k]))
            k += 1
        out.append(jb.get(t).pcm.copy())
        t += 10.0
    y = np.concatenate(out)
    # Remove the playout delay: best cross-correlation lag over the first 3 s.
    seg = x[: 16000 * 3].astype(np.float64)
    coarse = [float(np.dot(seg, y[lag:lag + len(seg)])) for lag in range(0, 8000, 16)]
    c0 = int(np.argmax(coarse)) * 16
    fine = [float(np.dot(seg, y[lag:lag + len(seg)])) for lag in range(max(0, c0 - 16), c0 + 16)]
    lag = max(0, c0 - 16) + int(np.argmax(fine))
    y = y[lag:lag + len(x)]
    y = np.pad(y, (0, len(x) - len(y)))
    return float(pesq(16000, x, y, "wb")), float(pesq(16000, x, zero_fill.reshape(-1), "wb"))
