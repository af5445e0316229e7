"""``cbcs netsim``: play a speech file through an emulated network and the jitter buffer.

The file is cut into RTP-sized PCM packets, sent through ``cbcs.media.netsim.Link`` with
the chosen profile, put into ``cbcs.media.JitterBuffer`` at their arrival times and pulled
every 10 ms, exactly as a receiver would; the played audio is written out and the call is
rated (delay, loss, concealment, E-model MOS). ``--plot`` draws delay over time.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cbcs.commands._args import input_file, non_negative_int, output_png, output_wav
from cbcs.errors import FrameError

SAMPLE_RATES = (8000, 16000, 48000)
PACKET_MS = (10, 20, 30, 40, 50, 60)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "netsim", help="play a speech WAV through an emulated network and the jitter buffer",
        description="Play a speech WAV through the link emulator and cbcs's jitter buffer; "
                    "write what the listener hears and rate the call.")
    p.add_argument("--profile", default="latam-3g",
                   help="network profile: lan, sea-4g, latam-3g, cross-border, worst or one "
                        "loaded through CBCS_PROFILES (default latam-3g)")
    p.add_argument("--input", required=True, type=input_file, metavar="WAV",
                   help="16-bit mono WAV at 8, 16 or 48 kHz")
    p.add_argument("--output", required=True, type=output_wav, metavar="WAV",
                   help="where to write the played audio (same rate)")
    p.add_argument("--seed", type=non_negative_int, default=1, help="emulator seed (default 1)")
    p.add_argument("--packet-ms", type=int, default=20, choices=PACKET_MS,
                   help="audio per packet (default 20)")
    p.add_argument("--plot", type=output_png, metavar="PNG", help="write a PNG of delay over time")
    p.set_defaults(handler=run)


@dataclass(frozen=True)
class CallFigures:
    """What ``cbcs netsim`` prints (all delays one way, in ms)."""

    packets: int
    network_delay_mean: float
    network_delay_p95: float
    network_loss_percent: float
    playout_delay_mean: float
    playout_delay_p95: float
    mouth_to_ear_mean: float
    mouth_to_ear_p95: float
    not_played_percent: float
    not_played_mean_burst: float
    concealment_percent: float
    accelerated_ms: float
    expanded_ms: float
    target_delay_end: float
    r: float
    mos: float


def read_speech(path: Path) -> tuple[NDArray[np.int16], int]:
    """Samples and rate of a 16-bit mono WAV at 8/16/48 kHz; FrameError otherwise."""
    import soundfile as sf

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        info = sf.info(str(path))
    except RuntimeError as exc:  # soundfile's error for unreadable files
        raise FrameError(f"{path}: not a readable audio file ({exc})") from None
    problems = []
    if info.channels != 1:
        problems.append(f"{info.channels} channels")
    if info.subtype != "PCM_16":
        problems.append(f"sample format {info.subtype}")
    if info.samplerate not in SAMPLE_RATES:
        problems.append(f"{info.samplerate} Hz")
    if problems:
        raise FrameError(f"{path}: expected a 16-bit mono WAV at 8000, 16000 or 48000 Hz, "
                         f"got {', '.join(problems)}")
    data, rate = sf.read(str(path), dtype="int16")
    if data.size == 0:
        raise FrameError(f"{path}: the file holds no audio")
    return np.ascontiguousarray(data), int(rate)


def _describe(params: Any) -> str:
    parts = [f"{params.base_delay_ms:g} ms base delay"]
    if params.jitter_ms:
        kind = "heavy-tailed" if params.jitter_distribution == "heavy_tailed" else "gaussian"
        parts.append(f"{params.jitter_ms:g} ms {kind} jitter")
    if params.spike_probability:
        parts.append(f"stalls ({params.spike_probability:.1%} of packets, mean "
                     f"{params.spike_ms:g} ms)")
    if params.loss_rate:
        parts.append(f"{params.loss_rate:.0%} loss (bursts of {params.mean_burst:g})")
    if params.bandwidth_bps:
        parts.append(f"{params.bandwidth_bps / 1000:g} kbit/s")
    return ", ".join(parts)


class _Progress:
    """A bar on a terminal, a single line otherwise (logs stay readable)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, fraction: float) -> None:
        pct = int(fraction * 100)
        if self.tty and pct != self.shown:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r  {self.label} [{bar:<25}] {pct:3d} %")
            if pct >= 100:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif not self.tty and pct >= 100 and self.shown < 100:
            print(f"  {self.label} ... done", flush=True)
        self.shown = pct


def simulate(samples: NDArray[np.int16], rate: int, profile: str, *, seed: int,
             packet_ms: int, progress: Any = None) -> tuple[Any, Any, CallFigures]:
    """Run the call; returns (trace, playout run, figures)."""
    from cbcs.media import playout as pl
    from cbcs.media import netsim, quality

    params = netsim.profile(profile)
    spp = rate * packet_ms // 1000
    n = -(-samples.size // spp)
    padded = np.zeros(n * spp, np.int16)
    padded[:samples.size] = samples
    send = pl.send_schedule(n * packet_ms / 1000.0, packet_ms)
    arrival = netsim.Link(params, seed=seed).transmit(send, pl.VOICE_PACKET_BYTES)
    trace = pl.Trace(profile, send, np.asarray(arrival, np.float64), packet_ms, rate)
    run = pl.play_cbcs(trace, padded, seed=seed, record_pcm=True, progress=progress,
                       tick_phase_ms=pl.tick_phase_ms(seed))
    m = pl.score(trace, run, n=trace.n_packets)
    net = trace.network_delay_ms[trace.received]
    not_played = ~run.played
    burst = pl.mean_run_length(not_played)
    loss_fraction = float(np.count_nonzero(not_played)) / n
    mte_mean = m.mean_delay_ms + packet_ms
    rating = quality.rate(
        mte_mean, 100.0 * loss_fraction,
        burst_ratio=quality.burst_ratio(loss_fraction, burst) if loss_fraction > 0 else 1.0)
    stats = run.stats
    figures = CallFigures(
        packets=n,
        network_delay_mean=float(np.mean(net)) if net.size else float("nan"),
        network_delay_p95=float(np.percentile(net, 95)) if net.size else float("nan"),
        network_loss_percent=m.network_loss_percent,
        playout_delay_mean=m.mean_delay_ms, playout_delay_p95=m.p95_delay_ms,
        mouth_to_ear_mean=mte_mean, mouth_to_ear_p95=m.p95_delay_ms + packet_ms,
        not_played_percent=100.0 * loss_fraction, not_played_mean_burst=burst,
        concealment_percent=100.0 * m.concealment_share,
        accelerated_ms=float(stats.accelerated_ms), expanded_ms=float(stats.expanded_ms),
        target_delay_end=float(stats.target_delay_ms), r=rating.r, mos=rating.mos,
    )
    return trace, run, figures


def played_audio(run: Any, rate: int) -> NDArray[np.int16]:
    """What the listener hears: from the call's start to the end of the last real block."""
    block = rate // 100
    real = np.flatnonzero(run.block_packet >= 0)
    end = (int(real[-1]) + 1) * block if real.size else run.pcm.size
    return np.asarray(run.pcm[:end], np.int16)


def plot_delay(path: Path, trace: Any, run: Any, title: str) -> None:
    """Top: network delay per packet, playout delay per block, losses and concealment.
    Bottom: the jitter buffer's own target and current buffering delay."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 6), dpi=110, sharex=True,
        gridspec_kw={"height_ratios": [3, 1.3]})
    got = trace.received
    top.scatter(trace.send_ms[got] / 1000, trace.network_delay_ms[got], s=5, color="0.55",
                label="network delay per packet", zorder=2)
    delay = run.block_delay_ms(trace)
    real = np.isfinite(delay)
    top.plot(run.tick_ms[real] / 1000, delay[real], color="tab:blue", lw=1.2,
             label="playout delay (send to play)", zorder=4)
    lost = ~got
    if np.any(lost):
        top.scatter(trace.send_ms[lost] / 1000, np.zeros(int(lost.sum())), marker="x",
                    color="tab:red", s=18, label="lost in the network", zorder=3)
    first, last = (np.flatnonzero(real)[[0, -1]] if np.any(real) else (0, -1))
    span = np.zeros(run.tick_ms.size, bool)
    span[first:last + 1] = True
    concealed = span & (run.block_packet < 0)
    if np.any(concealed):
        top.scatter(run.tick_ms[concealed] / 1000, np.full(int(concealed.sum()), -8.0),
                    marker="|", color="tab:purple", s=30, label="concealment (10 ms blocks)",
                    zorder=3)
    top.set_ylabel("one-way delay (ms)")
    top.set_title(title)
    top.set_ylim(bottom=-15)
    top.grid(alpha=0.3)
    top.legend(loc="upper right", fontsize=8)
    # Up to the end of the speech: after it the buffer only waits for packets that never come.
    samples = run.delay_samples[run.delay_samples[:, 0] <= run.tick_ms[last]]
    if samples.size:
        t = samples[:, 0] / 1000
        bottom.step(t, samples[:, 1], where="post", color="tab:orange", lw=1.2,
                    label="target")
        bottom.step(t, samples[:, 2], where="post", color="tab:green", lw=1,
                    label="current")
    bottom.set_ylabel("buffering (ms)")
    bottom.set_xlabel("time (s)")
    bottom.grid(alpha=0.3)
    bottom.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    import soundfile as sf

    from cbcs.media import netsim

    params = netsim.profile(args.profile)
    samples, rate = read_speech(args.input)
    print(f"cbcs netsim: {args.input.name} ({samples.size / rate:.1f} s at {rate} Hz) "
          f"through {args.profile} (seed {args.seed}), {args.packet_ms} ms packets")
    print(f"  link: {_describe(params)}")
    trace, run_, f = simulate(samples, rate, args.profile, seed=args.seed,
                              packet_ms=args.packet_ms, progress=_Progress("playout"))
    lost = int(np.count_nonzero(~trace.received))
    print()
    print(f"  network        delay mean {f.network_delay_mean:4.0f} ms, p95 "
          f"{f.network_delay_p95:4.0f} ms; lost {lost} of {f.packets} packets "
          f"({f.network_loss_percent:.1f} %)")
    print(f"  jitter buffer  delay mean {f.playout_delay_mean:4.0f} ms, p95 "
          f"{f.playout_delay_p95:4.0f} ms (network + buffering); target at the end "
          f"{f.target_delay_end:.0f} ms")
    print(f"                 concealed {f.concealment_percent:.1f} % of playout; "
          f"time-stretched: accelerated {f.accelerated_ms:.0f} ms, expanded "
          f"{f.expanded_ms:.0f} ms")
    too_late = max(0.0, f.not_played_percent - f.network_loss_percent)
    burst = (f", in bursts of {f.not_played_mean_burst:.1f} frames on average"
             if f.not_played_percent > 0 else "")
    print(f"  not played     {f.not_played_percent:.1f} % of frames (network loss "
          f"{f.network_loss_percent:.1f} % + too late {too_late:.1f} %){burst}")
    print(f"  mouth-to-ear   mean {f.mouth_to_ear_mean:4.0f} ms, p95 {f.mouth_to_ear_p95:4.0f} ms"
          f" ({args.packet_ms} ms packetisation + playout delay)")
    print(f"  E-model        R {f.r:.1f}, MOS {f.mos:.2f} (ITU-T G.107, Opus with PLC)")
    audio = played_audio(run_, rate)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(args.output), audio, rate, subtype="PCM_16")
    print(f"\n  wrote {args.output} ({audio.size / rate:.1f} s)")
    if args.plot:
        plot_delay(args.plot, trace, run_,
                   f"{args.input.name} through {args.profile}: mouth-to-ear mean "
                   f"{f.mouth_to_ear_mean:.0f} ms, MOS {f.mos:.2f}")
        print(f"  wrote {args.plot}")
    return 0
