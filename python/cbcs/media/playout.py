"""Trace-driven playout simulation: emulated traces, the hindsight oracle, playout metrics.

One packet stream (send times, arrival times or NaN for lost) is played out by a receiver
under test on a playout clock, and what it played is scored against the hindsight oracle:
the smallest constant delay that leaves at most 1 % of frames late on top of network loss.
The netsim command, the jitter and later benchmarks and the tests share it.

Conventions every figure here follows:

- playout delay of a block = the time the block starts playing minus the send time of its
  first real sample (a packet is sent when its last sample has been captured, so
  mouth-to-ear = packetisation + playout delay);
- a packet is *played* when some block's real audio overlaps it;
- figures cover the *evaluation window*: every packet except those of the last second,
  which a stream that simply stops cannot flush through a prefetching buffer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Bytes on the wire of a 20 ms Opus voice packet at about 32 kbit/s, with RTP, SRTP, UDP
#: and IPv4 headers: what a bandwidth cap in the emulator sees per packet.
VOICE_PACKET_BYTES = 130
#: The tail excluded from the evaluation window (see the module docstring).
TAIL_MS = 1000.0
_STRETCH_KINDS = frozenset({"accelerate", "preemptive_expand", "merge"})
_RTP_MOD = 1 << 32

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Trace:
    """One direction of a packet stream: send and arrival time of every packet (NaN = lost)."""

    name: str
    send_ms: F64
    arrival_ms: F64
    packet_ms: int = 20
    sample_rate: int = 16000

    @property
    def n_packets(self) -> int:
        return int(self.send_ms.size)

    @property
    def samples_per_packet(self) -> int:
        return self.sample_rate * self.packet_ms // 1000

    @property
    def received(self) -> BoolArray:
        return np.isfinite(self.arrival_ms)

    @property
    def network_delay_ms(self) -> F64:
        """Arrival minus send per packet, NaN where lost."""
        return self.arrival_ms - self.send_ms

    @property
    def eval_packets(self) -> int:
        """Number of leading packets in the evaluation window."""
        tail = int(math.ceil(TAIL_MS / self.packet_ms))
        return max(1, self.n_packets - tail)

    def loss_percent(self, n: int | None = None) -> float:
        n = self.eval_packets if n is None else n
        return 100.0 * float(np.count_nonzero(~self.received[:n])) / n


def send_schedule(duration_s: float, packet_ms: int) -> F64:
    """Send times of a constant-rate stream: one packet every ``packet_ms`` from t = 0."""
    n = int(round(duration_s * 1000.0 / packet_ms))
    return np.arange(n, dtype=np.float64) * float(packet_ms)


def emulate(link_params: Any, *, seed: int, duration_s: float, packet_ms: int = 20,
            sample_rate: int = 16000, size_bytes: int = VOICE_PACKET_BYTES,
            name: str | None = None) -> Trace:
    """Send a constant-rate voice stream through ``cbcs.media.netsim.Link``.

    ``link_params`` is a profile name or a ``netsim.LinkParams``.
    """
    from cbcs.media import netsim

    send = send_schedule(duration_s, packet_ms)
    link = netsim.Link(link_params, seed=seed)
    arrival = np.asarray(link.transmit(send, int(size_bytes)), dtype=np.float64)
    label = name if name is not None else (link_params if isinstance(link_params, str)
                                           else "custom")
    return Trace(label, send, arrival, packet_ms, sample_rate)


def families() -> dict[str, Any]:
    """The jitter buffer's trace families (issue 2): 80 ms base delay with gaussian jitter,
    heavy-tailed jitter with radio stalls that packets queue behind, 5 % bursty loss, and
    the two with loss; name -> ``netsim.LinkParams``."""
    import dataclasses

    from cbcs.media import netsim

    base = netsim.LinkParams(base_delay_ms=80.0)
    gaussian = dataclasses.replace(base, jitter_ms=20.0)
    spikes = dataclasses.replace(base, jitter_ms=20.0, jitter_distribution="heavy_tailed",
                                 spike_probability=0.005, spike_ms=120.0)

    def lossy(p: netsim.LinkParams) -> netsim.LinkParams:
        return dataclasses.replace(p, loss_rate=0.05, mean_burst=2.5)

    return {
        "gaussian 20ms": gaussian,
        "spikes": spikes,
        "loss 5%": lossy(dataclasses.replace(base, jitter_ms=5.0)),
        "gaussian+loss": lossy(gaussian),
        "spikes+loss": lossy(spikes),
    }


def real_audio(run: PlayoutRun) -> NDArray[np.int16]:
    """Played audio from the first to the last block with real audio (cuts the leading
    delay; PESQ aligns the time-varying rest itself)."""
    assert run.pcm is not None
    block = run.pcm.size // max(run.tick_ms.size, 1)  # samples per block
    real = np.flatnonzero(run.block_packet >= 0)
    if real.size == 0:
        return np.zeros(block, np.int16)
    return run.pcm[real[0] * block:(real[-1] + 1) * block]


def with_spike(trace: Trace, at_ms: float, spike_ms: float) -> Trace:
    """Add one delay spike of ``spike_ms`` to the first packet sent at or after ``at_ms``.

    Later packets queue behind it first-in first-out, as behind a stalled radio link: each
    arrives no earlier than the packet before it.
    """
    arrival = trace.arrival_ms.copy()
    idx = np.flatnonzero(trace.received & (trace.send_ms >= at_ms))
    if idx.size:
        arrival[idx[0]] += spike_ms
        arrival[idx] = np.maximum.accumulate(arrival[idx])
    return Trace(f"{trace.name}+spike", trace.send_ms, arrival, trace.packet_ms,
                 trace.sample_rate)


@dataclass(frozen=True)
class Oracle:
    """The smallest constant playout delay with at most ``late_fraction`` late frames."""

    delay_ms: float
    late_packets: int
    lost_packets: int
    n_packets: int


def oracle(trace: Trace, *, late_fraction: float = 0.01, n: int | None = None) -> Oracle:
    """Hindsight oracle over the first ``n`` packets (default: the evaluation window).

    A frame is late when it arrives after send + delay; lost frames do not count against
    the late budget, which is ``floor(late_fraction * n)`` frames.
    """
    n = trace.eval_packets if n is None else n
    delay = trace.network_delay_ms[:n]
    got = np.sort(delay[np.isfinite(delay)])
    lost = n - int(got.size)
    allowed = int(math.floor(late_fraction * n + 1e-9))
    if got.size == 0:
        return Oracle(0.0, 0, lost, n)
    if allowed >= got.size:
        return Oracle(0.0, int(got.size), lost, n)
    d = float(max(got[got.size - 1 - allowed], 0.0))
    late = int(np.count_nonzero(got > d))
    return Oracle(d, late, lost, n)


@dataclass
class PlayoutRun:
    """What one receiver played on its playout clock, block by block."""

    peer: str
    block_ms: float
    #: start time of every block
    tick_ms: F64
    #: index of the packet holding the block's first real sample, -1 for none
    block_packet: I64
    #: that sample's offset into its packet, in samples
    block_offset: I64
    block_kind: list[str]
    #: per packet: played (some of it), or judged late by the receiver itself
    played: BoolArray
    late: BoolArray
    #: per call cost (ns, net of the timer's own cost) and C++ allocations per call
    put_ns: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    get_ns: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    put_allocs: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    get_allocs: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    #: (time, target delay, current delay) samples of the receiver's own estimate
    delay_samples: F64 = field(default_factory=lambda: np.zeros((0, 3)))
    pcm: NDArray[np.int16] | None = None
    stats: Any = None

    def block_delay_ms(self, trace: Trace) -> F64:
        """Playout delay of every block (NaN for blocks without real audio)."""
        out = np.full(self.tick_ms.size, np.nan)
        real = self.block_packet >= 0
        pk = self.block_packet[real]
        send = trace.send_ms[pk] + self.block_offset[real] * 1000.0 / trace.sample_rate
        out[real] = self.tick_ms[real] - send
        return out


@dataclass(frozen=True)
class Metrics:
    """Scores of one receiver on one trace (evaluation window)."""

    mean_delay_ms: float
    p95_delay_ms: float
    #: frames never played beyond those the network lost, percentage points
    not_played_pp: float
    #: frames the receiver judged late, percent of frames
    late_percent: float
    #: share of playout time (first to last real block) that is concealment or silence
    concealment_share: float
    network_loss_percent: float
    #: share of that playout time that is time-stretched audio (accelerate, preemptive
    #: expand) or a merge back from concealment: the price of running a tight buffer
    stretched_share: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


def score(trace: Trace, run: PlayoutRun, n: int | None = None) -> Metrics:
    """Score a playout run over the first ``n`` packets (default: the evaluation window)."""
    n = trace.eval_packets if n is None else n
    received = trace.received[:n]
    not_played = received & ~run.played[:n]
    delays = run.block_delay_ms(trace)
    in_window = (run.block_packet >= 0) & (run.block_packet < n)
    d = delays[in_window]
    real_idx = np.flatnonzero(in_window)
    stretched = 0.0
    if real_idx.size:
        span = slice(int(real_idx[0]), int(real_idx[-1]) + 1)
        concealed = float(np.count_nonzero(run.block_packet[span] < 0))
        share = concealed / (span.stop - span.start)
        if run.block_kind:
            kinds = run.block_kind[span]
            stretched = sum(k in _STRETCH_KINDS for k in kinds) / len(kinds)
    else:
        share = 1.0
    return Metrics(
        mean_delay_ms=float(np.mean(d)) if d.size else math.nan,
        p95_delay_ms=float(np.percentile(d, 95)) if d.size else math.nan,
        not_played_pp=100.0 * float(np.count_nonzero(not_played)) / n,
        late_percent=100.0 * float(np.count_nonzero(run.late[:n] & received)) / n,
        concealment_share=share,
        network_loss_percent=trace.loss_percent(n),
        stretched_share=stretched,
    )


def score_oracle(trace: Trace, o: Oracle) -> Metrics:
    """The oracle's own figures: constant delay; late and lost frames are concealed."""
    return Metrics(
        mean_delay_ms=o.delay_ms,
        p95_delay_ms=o.delay_ms,
        not_played_pp=100.0 * o.late_packets / o.n_packets,
        late_percent=100.0 * o.late_packets / o.n_packets,
        concealment_share=(o.late_packets + o.lost_packets) / o.n_packets,
        network_loss_percent=100.0 * o.lost_packets / o.n_packets,
    )


def rtp_numbering(seed: int) -> tuple[int, int]:
    """Random initial sequence number and timestamp, as RTP senders pick them (RFC 3550).

    Seeded, so a run is repeatable; both wrap inside a minute for some seeds.
    """
    rng = np.random.default_rng(seed ^ 0x5EC0)
    return int(rng.integers(0, 1 << 16)), int(rng.integers(0, _RTP_MOD))


def tick_phase_ms(seed: int) -> float:
    """Where the receiver's 10 ms clock sits against the sender's packets: anywhere, as in
    a real call (seeded; the same for every peer on a trace)."""
    return float(np.random.default_rng(seed ^ 0x71C).uniform(0.0, 10.0))


def _timer_overhead_ns() -> int:
    """Median cost of the timing bracket itself, subtracted from every measured call."""
    pc = time.perf_counter_ns
    samples = []
    for _ in range(2000):
        t0 = pc()
        t1 = pc()
        samples.append(t1 - t0)
    return int(np.median(samples))


def packet_payloads(source: NDArray[np.int16], trace: Trace) -> NDArray[np.int16]:
    """The PCM of every packet: ``source`` looped to length, shape (n_packets, spp)."""
    spp = trace.samples_per_packet
    need = trace.n_packets * spp
    reps = -(-need // max(source.size, 1))
    pcm = np.tile(np.ascontiguousarray(source, dtype=np.int16), reps)[:need]
    return pcm.reshape(trace.n_packets, spp)


def play_cbcs(trace: Trace, source: NDArray[np.int16], *, seed: int = 0,
              block_ms: float = 10.0, tick_phase_ms: float = 0.0,
              record_pcm: bool = False, stats_every_ms: float = 100.0,
              progress: Callable[[float], None] | None = None,
              **jitter_buffer_args: Any) -> PlayoutRun:
    """Play ``trace`` through ``cbcs.media.JitterBuffer``.

    Packets go in by ``put`` at their arrival times (in arrival order), ``get`` runs every
    ``block_ms`` on the receiver's clock. ``source`` is the sender's PCM (looped as needed).
    Every call is timed and its C++ allocations counted.
    """
    from cbcs import _core
    from cbcs.media.jitter import JitterBuffer

    jb = JitterBuffer(sample_rate=trace.sample_rate, **jitter_buffer_args)
    spp = trace.samples_per_packet
    payloads = packet_payloads(source, trace)
    seq0, ts0 = rtp_numbering(seed)
    n = trace.n_packets
    order = np.flatnonzero(trace.received)
    order = order[np.argsort(trace.arrival_ms[order], kind="stable")]
    arrivals = trace.arrival_ms[order]
    last = float(np.max(arrivals)) if arrivals.size else float(trace.send_ms[-1])
    end = max(last, float(trace.send_ms[-1])) + TAIL_MS
    n_ticks = int((end - tick_phase_ms) // block_ms) + 1
    block_len = trace.sample_rate * int(block_ms) // 1000

    tick = np.asarray(tick_phase_ms + np.arange(n_ticks) * block_ms, np.float64)
    block_packet = np.full(n_ticks, -1, np.int64)
    block_offset = np.zeros(n_ticks, np.int64)
    kinds: list[str] = []
    played = np.zeros(n, np.bool_)
    put_ns = np.zeros(order.size, np.int64)
    put_allocs = np.zeros(order.size, np.int64)
    get_ns = np.zeros(n_ticks, np.int64)
    get_allocs = np.zeros(n_ticks, np.int64)
    pcm_out = np.zeros(n_ticks * block_len, np.int16) if record_pcm else None
    samples: list[tuple[float, float, float]] = []
    stats_every = max(1, int(round(stats_every_ms / block_ms)))
    progress_every = max(1, n_ticks // 50)

    pc = time.perf_counter_ns
    allocs = _core.allocation_count
    overhead = _timer_overhead_ns()
    put = jb.put
    get = jb.get
    nxt = 0
    for k in range(n_ticks):
        now = float(tick[k])
        while nxt < order.size and arrivals[nxt] <= now:
            i = int(order[nxt])
            seq = (seq0 + i) & 0xFFFF
            ts = (ts0 + i * spp) % _RTP_MOD
            a0 = allocs()
            t0 = pc()
            put(seq, ts, payloads[i], float(arrivals[nxt]))
            t1 = pc()
            put_allocs[nxt] = allocs() - a0
            put_ns[nxt] = t1 - t0 - overhead
            nxt += 1
        a0 = allocs()
        t0 = pc()
        p = get(now)
        t1 = pc()
        get_allocs[k] = allocs() - a0
        get_ns[k] = t1 - t0 - overhead
        kinds.append(str(p.kind))
        if p.timestamp is not None:
            rel = (int(p.timestamp) - ts0) % _RTP_MOD
            first = rel // spp
            if first < n:
                block_packet[k] = first
                block_offset[k] = rel - first * spp
                span = max(int(p.source_samples), 1)
                played[first:min(n, (rel + span - 1) // spp + 1)] = True
        if pcm_out is not None:
            pcm_out[k * block_len:(k + 1) * block_len] = p.pcm
        if k % stats_every == 0:
            s = jb.stats()
            samples.append((now, float(s.target_delay_ms), float(s.current_delay_ms)))
        if progress is not None and k % progress_every == 0:
            progress(k / n_ticks)
    if progress is not None:
        progress(1.0)

    late = np.zeros(n, np.bool_)
    # The buffer counts late packets itself; which ones they were is not exposed, so the
    # per-packet mask marks received packets that were never played and arrived after a
    # later packet had started playing.
    first_play_tick = np.full(n, np.inf)
    real = block_packet >= 0
    np.minimum.at(first_play_tick, block_packet[real], tick[real])
    later_first = np.minimum.accumulate(first_play_tick[::-1])[::-1]
    after = np.append(later_first[1:], np.inf)
    recv = trace.received
    late[recv & ~played] = (trace.arrival_ms[recv & ~played] > after[recv & ~played])
    return PlayoutRun(
        peer="cbcs", block_ms=block_ms, tick_ms=tick, block_packet=block_packet,
        block_offset=block_offset, block_kind=kinds, played=played, late=late,
        put_ns=put_ns, get_ns=get_ns, put_allocs=put_allocs, get_allocs=get_allocs,
        delay_samples=np.asarray(samples, np.float64).reshape(-1, 3), pcm=pcm_out,
        stats=jb.stats(),
    )


def spike_recovery_s(run: PlayoutRun, at_ms: float, *, tolerance_ms: float = 20.0,
                     before_ms: float = 5000.0) -> tuple[float, float, float]:
    """Seconds from a spike at ``at_ms`` until the target delay is back, and stays, within
    ``tolerance_ms`` of its median over the ``before_ms`` before it.

    Returns (recovery seconds or inf if still off at the end, level before, peak after).
    """
    t, target = run.delay_samples[:, 0], run.delay_samples[:, 1]
    pre = target[(t >= at_ms - before_ms) & (t < at_ms)]
    level = float(np.median(pre)) if pre.size else float("nan")
    post = t >= at_ms
    off = post & (np.abs(target - level) > tolerance_ms)
    peak = float(np.max(target[post])) if np.any(post) else level
    if not np.any(off):
        return 0.0, level, peak
    last_off = int(np.flatnonzero(off)[-1])
    if last_off == t.size - 1:
        return math.inf, level, peak
    return (float(t[last_off + 1]) - at_ms) / 1000.0, level, peak


def mean_run_length(mask: BoolArray) -> float:
    """Mean length of the runs of True in ``mask`` (0 when there are none)."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]]).astype(np.int8)
    edges = np.diff(m)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return float(np.mean(ends - starts)) if starts.size else 0.0
