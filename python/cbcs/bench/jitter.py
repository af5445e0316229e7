"""``cbcs bench jitter``: cbcs's JitterBuffer against aiortc's and a hindsight oracle.

Every trace is a 20 ms voice stream through the link emulator (each DESIGN.md profile and
the issue's jitter/loss families). On each trace, in one run: cbcs ``JitterBuffer``
(``get`` every 10 ms), aiortc's real ``JitterBuffer(capacity=16, prefetch=4)`` fed parsed
``RtpPacket``s and drained by a 20 ms playout clock, and the oracle (smallest constant
delay with at most 1 % late frames). Then a single-spike trace for the target delay's
recovery, a listening check (PESQ-WB of real speech through 5 % bursty loss, against
zero-fill at a constant delay), per-call cost and C++ allocations.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cbcs.media import playout as pl
from cbcs.media import samples
from cbcs.bench._aiortc_peer import play_aiortc
from cbcs.bench.report import Report
from cbcs.commands._args import float_range, positive_int

DESCRIPTION = ("jitter buffer: cbcs vs aiortc's JitterBuffer vs a hindsight oracle on "
               "emulated traces, with a PESQ listening check")

#: Done-when bounds of issue 2.
DELAY_SLACK_MS = 20.0
DELAY_SLACK_RATIO = 1.15
MAX_LATE_PERCENT = 1.0
MAX_NOT_PLAYED_PP = 0.5
MAX_SPIKE_RECOVERY_S = 10.0
SPIKE_TOLERANCE_MS = 20.0
MIN_PESQ_GAIN = 0.3
MAX_GET_NS = 2000.0
#: Calls in the first seconds (start-up, first target estimate) are not steady state.
STEADY_AFTER_MS = 2000.0

Player = Callable[[pl.Trace, NDArray[np.int16], int], pl.PlayoutRun]


@dataclass(frozen=True)
class Scenario:
    """A named link (family or profile) and how it is listed."""

    name: str
    group: str  # "family" or "profile"
    link: Any   # netsim.LinkParams or a profile name


def scenarios() -> list[Scenario]:
    """The issue's trace families (base 80 ms) followed by every DESIGN.md profile."""
    from cbcs.media import netsim

    out = [Scenario(name, "family", link) for name, link in pl.families().items()]
    out += [Scenario(name, "profile", name) for name in netsim.PROFILE_NAMES]
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=positive_int, default=None,
                        help="seeds per trace family (default 3, 1 with --short)")
    parser.add_argument("--duration", type=float_range(2.0, 3600.0), default=None, metavar="S",
                        help="seconds per trace (default 60, 20 with --short)")
    parser.add_argument("--clips", type=positive_int, default=None,
                        help="speech clips in the listening check (default: all)")


def _play_cbcs(trace: pl.Trace, source: NDArray[np.int16], seed: int) -> pl.PlayoutRun:
    return pl.play_cbcs(trace, source, seed=seed, tick_phase_ms=pl.tick_phase_ms(seed))


def _play_aiortc(trace: pl.Trace, source: NDArray[np.int16], seed: int) -> pl.PlayoutRun:
    return play_aiortc(trace, source, seed=seed, tick_phase_ms=pl.tick_phase_ms(seed))


PEERS: dict[str, Player] = {"cbcs": _play_cbcs, "aiortc": _play_aiortc}


@dataclass
class Costs:
    """Per-call cost samples pooled over traces (steady state only for allocations)."""

    put_ns: list[NDArray[np.int64]] = dataclasses.field(default_factory=list)
    get_ns: list[NDArray[np.int64]] = dataclasses.field(default_factory=list)
    get_normal_ns: list[NDArray[np.int64]] = dataclasses.field(default_factory=list)
    put_allocs: list[NDArray[np.int64]] = dataclasses.field(default_factory=list)
    get_allocs: list[NDArray[np.int64]] = dataclasses.field(default_factory=list)
    aiortc_add_ns: list[NDArray[np.int64]] = dataclasses.field(default_factory=list)

    def add(self, trace: pl.Trace, run: pl.PlayoutRun) -> None:
        if run.peer == "aiortc":
            self.aiortc_add_ns.append(run.put_ns)
            return
        self.put_ns.append(run.put_ns)
        self.get_ns.append(run.get_ns)
        normal = np.asarray([k == "normal" for k in run.block_kind], bool)
        self.get_normal_ns.append(run.get_ns[normal])
        steady = run.tick_ms > STEADY_AFTER_MS
        self.get_allocs.append(run.get_allocs[steady])
        order = np.flatnonzero(trace.received)
        arrivals = np.sort(trace.arrival_ms[order], kind="stable")
        self.put_allocs.append(run.put_allocs[arrivals > STEADY_AFTER_MS])

    @staticmethod
    def median(parts: list[NDArray[np.int64]]) -> float:
        joined = np.concatenate(parts) if parts else np.zeros(0)
        return float(np.median(joined)) if joined.size else math.nan

    @staticmethod
    def per_call(parts: list[NDArray[np.int64]]) -> tuple[float, int]:
        joined = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        total = int(joined.sum())
        return (total / joined.size if joined.size else math.nan), total


def _median_metrics(per_seed: list[pl.Metrics]) -> dict[str, float]:
    keys = per_seed[0].as_dict().keys()
    return {k: float(np.median([m.as_dict()[k] for m in per_seed])) for k in keys}


def run_scenario(sc: Scenario, *, seeds: int, duration_s: float,
                 source: NDArray[np.int16], peers: dict[str, Player],
                 costs: Costs | None = None) -> dict[str, Any]:
    """Every peer and the oracle on ``seeds`` traces of one scenario; medians over seeds."""
    per_peer: dict[str, list[pl.Metrics]] = {p: [] for p in [*peers, "oracle"]}
    extra: dict[str, list[float]] = {"oracle_delay_ms": [], "cbcs_late_packets": []}
    for seed in range(1, seeds + 1):
        trace = pl.emulate(sc.link, seed=seed, duration_s=duration_s, name=sc.name)
        o = pl.oracle(trace)
        per_peer["oracle"].append(pl.score_oracle(trace, o))
        extra["oracle_delay_ms"].append(o.delay_ms)
        for name, play in peers.items():
            run = play(trace, source, seed)
            per_peer[name].append(pl.score(trace, run))
            if costs is not None:
                costs.add(trace, run)
            if name == "cbcs" and run.stats is not None:
                extra["cbcs_late_packets"].append(float(run.stats.late_packets))
    out: dict[str, Any] = {p: _median_metrics(ms) for p, ms in per_peer.items()}
    out["per_seed"] = {p: [m.as_dict() for m in ms] for p, ms in per_peer.items()}
    out["group"] = sc.group
    out["jb_late_packets"] = extra["cbcs_late_packets"]
    return out


def delay_bound_ms(oracle_ms: float) -> float:
    """Issue 2: mean playout delay at most max(oracle + 20 ms, 1.15 x oracle)."""
    return max(oracle_ms + DELAY_SLACK_MS, DELAY_SLACK_RATIO * oracle_ms)


def _fmt(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x:.{digits}f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 and math.isfinite(a) and math.isfinite(b) else "-"


def spike_check(*, source: NDArray[np.int16], short: bool) -> dict[str, Any]:
    """A calm link (80 ms, 5 ms gaussian jitter) with one 600 ms stall at 15 s."""
    from cbcs.media import netsim

    at_ms, spike_ms = 15000.0, 600.0
    duration = 35.0 if short else 45.0
    link = netsim.LinkParams(base_delay_ms=80.0, jitter_ms=5.0)
    trace = pl.with_spike(pl.emulate(link, seed=11, duration_s=duration, name="calm"),
                          at_ms, spike_ms)
    run = pl.play_cbcs(trace, source, seed=11)
    secs, level, peak = pl.spike_recovery_s(run, at_ms, tolerance_ms=SPIKE_TOLERANCE_MS)
    m = pl.score(trace, run)
    return {"spike_at_ms": at_ms, "spike_ms": spike_ms, "recovery_s": secs,
            "target_before_ms": level, "target_peak_ms": peak,
            "target_end_ms": float(run.delay_samples[-1, 1]),
            "metrics": m.as_dict(),
            "target_series": run.delay_samples[:, :2][::5].round(1).tolist()}


def _pesq_wb(ref: NDArray[np.int16], deg: NDArray[np.int16]) -> float:
    from pesq import pesq

    return float(pesq(16000, ref.astype(np.float32), deg.astype(np.float32), "wb"))


def listening_check(clips: list[tuple[str, NDArray[np.int16]]], *, seeds: int,
                    progress: Callable[[str], None], jitter_ms: float = 5.0,
                    loss_rate: float = 0.05) -> dict[str, Any]:
    """Real speech through 5 % bursty loss (the "loss 5%" family: 80 ms, small jitter):
    PESQ-WB of cbcs, aiortc and zero-fill."""
    from cbcs.media import netsim

    link = netsim.LinkParams(base_delay_ms=80.0, jitter_ms=jitter_ms, loss_rate=loss_rate,
                             mean_burst=2.5)
    rows = []
    for name, clip in clips:
        for seed in range(1, seeds + 1):
            spp = 320
            n = -(-clip.size // spp)
            padded = np.zeros(n * spp, np.int16)
            padded[:clip.size] = clip
            # Seeds chosen per clip so clips see different loss patterns.
            s = seed * 1000 + sum(map(ord, name))
            trace = pl.emulate(link, seed=s, duration_s=n * 0.02, name=name)
            o = pl.oracle(trace, n=trace.n_packets)
            zero = padded.reshape(n, spp).copy()
            late = ~(trace.network_delay_ms <= o.delay_ms)
            zero[late] = 0
            cb = pl.play_cbcs(trace, padded, seed=s, record_pcm=True)
            ai = play_aiortc(trace, padded, seed=s, record_pcm=True)
            ref = padded
            row = {
                "clip": name, "seed": s, "loss_percent": trace.loss_percent(trace.n_packets),
                "zero_fill": _pesq_wb(ref, zero.reshape(-1)),
                "cbcs": _pesq_wb(ref, pl.real_audio(cb)),
                "aiortc": _pesq_wb(ref, pl.real_audio(ai)),
            }
            rows.append(row)
        progress(f"{name}: cbcs {row['cbcs']:.2f}, zero-fill {row['zero_fill']:.2f}, "
                 f"aiortc {row['aiortc']:.2f}")
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("cbcs", "zero_fill", "aiortc",
                                                              "loss_percent")}
    return {"rows": rows, "mean": mean}


def run(args: argparse.Namespace, report: Report) -> None:
    from cbcs import _core  # noqa: F401  (build the core before timing anything)

    seeds = args.seeds or (1 if args.short else 3)
    duration = args.duration or (20.0 if args.short else 60.0)
    started = time.monotonic()
    clips = samples.speech_clips()
    source = samples.concatenated(clips)
    print(f"jitter buffer: {seeds} seed(s) x {duration:.0f} s of 20 ms packets per trace; "
          f"speech from {samples.audio_dir()} ({len(clips)} clips)", flush=True)

    costs = Costs()
    results: dict[str, dict[str, Any]] = {}
    for sc in scenarios():
        t0 = time.monotonic()
        r = run_scenario(sc, seeds=seeds, duration_s=duration, source=source, peers=PEERS,
                         costs=costs)
        results[sc.name] = r
        print(f"  {sc.name:<14} oracle {r['oracle']['mean_delay_ms']:6.1f} ms | "
              f"cbcs {r['cbcs']['mean_delay_ms']:6.1f} ms, not played "
              f"{r['cbcs']['not_played_pp']:4.2f} pp | aiortc "
              f"{r['aiortc']['mean_delay_ms']:6.1f} ms, not played "
              f"{r['aiortc']['not_played_pp']:5.2f} pp   ({time.monotonic() - t0:.1f} s)",
              flush=True)

    _delay_table(report, results)
    _frames_table(report, results)

    print("\nspike recovery ...", flush=True)
    spike = spike_check(source=source, short=args.short)
    report.table(
        "target delay after one 600 ms stall (80 ms link, 5 ms jitter)",
        ["before ms", "peak ms", "end ms", "back within 20 ms after s"],
        [[_fmt(spike["target_before_ms"]), _fmt(spike["target_peak_ms"]),
          _fmt(spike["target_end_ms"]), _fmt(spike["recovery_s"], 1)]])

    print("\nlistening check (PESQ-WB, 5 % bursty loss) ...", flush=True)
    n_clips = args.clips or len(clips)
    listen = listening_check(clips[:n_clips], seeds=1 if args.short else 2,
                             progress=lambda s: print("  " + s, flush=True))
    # For diagnosis, the same clips and seeds with loss alone (concealment) and with
    # jitter alone (time stretching).
    calm = listening_check(clips[:n_clips], seeds=1 if args.short else 2,
                           progress=lambda s: None, jitter_ms=0.0)
    jittery = listening_check(clips[:n_clips], seeds=1 if args.short else 2,
                              progress=lambda s: None, loss_rate=0.0)
    listen["loss_only"] = calm
    listen["jitter_only"] = jittery
    rows = []
    for label, res in (("5 % loss, 5 ms jitter (gate)", listen),
                       ("5 % loss, no jitter", calm), ("no loss, 5 ms jitter", jittery)):
        m = res["mean"]
        rows.append([label, _fmt(m["loss_percent"], 1), _fmt(m["cbcs"], 2),
                     _fmt(m["zero_fill"], 2), _fmt(m["aiortc"], 2),
                     f"{m['cbcs'] - m['zero_fill']:+.2f}"])
    report.table(f"PESQ-WB of real speech, mean of {len(listen['rows'])} runs",
                 ["trace (80 ms, mean burst 2.5)", "net loss %", "cbcs", "zero-fill",
                  "aiortc", "cbcs - zero-fill"], rows)

    cost = _cost_table(report, costs)

    _gates(report, results, spike, listen, cost)
    report.figures.update({
        "config": {"seeds": seeds, "duration_s": duration, "packet_ms": 20,
                   "get_every_ms": 10, "aiortc": {"capacity": 16, "prefetch": 4},
                   "oracle_late_fraction": 0.01, "eval_tail_ms": pl.TAIL_MS},
        "scenarios": results, "spike": spike, "listening": listen, "cost": cost,
        "elapsed_s": time.monotonic() - started,
    })


def _delay_table(report: Report, results: dict[str, dict[str, Any]]) -> None:
    rows = []
    for name, r in results.items():
        c, a, o = r["cbcs"], r["aiortc"], r["oracle"]
        rows.append([name, _fmt(o["mean_delay_ms"]), _fmt(delay_bound_ms(o["mean_delay_ms"])),
                     _fmt(c["mean_delay_ms"]), _fmt(c["p95_delay_ms"]),
                     _fmt(a["mean_delay_ms"]), _fmt(a["p95_delay_ms"]),
                     _ratio(c["mean_delay_ms"], o["mean_delay_ms"]),
                     _ratio(c["mean_delay_ms"], a["mean_delay_ms"])])
    report.table("playout delay, ms (play time - send time; median over seeds)",
                 ["trace", "oracle", "bound", "cbcs mean", "cbcs p95", "aiortc mean",
                  "aiortc p95", "cbcs/oracle", "cbcs/aiortc"], rows)


def _frames_table(report: Report, results: dict[str, dict[str, Any]]) -> None:
    rows = []
    for name, r in results.items():
        c, a, o = r["cbcs"], r["aiortc"], r["oracle"]
        rows.append([name, _fmt(o["network_loss_percent"], 2),
                     _fmt(c["not_played_pp"], 2), _fmt(a["not_played_pp"], 2),
                     _fmt(o["not_played_pp"], 2),
                     _fmt(c["late_percent"], 2), _fmt(a["late_percent"], 2),
                     _fmt(100 * c["concealment_share"], 1),
                     _fmt(100 * a["concealment_share"], 1),
                     _fmt(100 * o["concealment_share"], 1),
                     _fmt(100 * c["stretched_share"], 1)])
    report.table("frames (% of frames; not played = beyond network loss, in points; "
                 "concealed and stretched = % of playout time)",
                 ["trace", "net loss", "not played cbcs", "aiortc", "oracle",
                  "late cbcs", "aiortc", "concealed cbcs", "aiortc", "oracle",
                  "stretched cbcs"], rows)


def _cost_table(report: Report, costs: Costs) -> dict[str, float]:
    put_per, put_total = Costs.per_call(costs.put_allocs)
    get_per, get_total = Costs.per_call(costs.get_allocs)
    cost = {
        "cbcs_put_ns": Costs.median(costs.put_ns),
        "cbcs_get_ns": Costs.median(costs.get_ns),
        "cbcs_get_normal_ns": Costs.median(costs.get_normal_ns),
        "aiortc_add_ns": Costs.median(costs.aiortc_add_ns),
        "cbcs_put_allocs_per_call": put_per, "cbcs_put_allocs_total": float(put_total),
        "cbcs_get_allocs_per_call": get_per, "cbcs_get_allocs_total": float(get_total),
    }
    report.table(
        "cost per call from Python (median ns, timer cost removed; allocations after 2 s)",
        ["cbcs put", "cbcs get", "get (normal)", "aiortc add", "aiortc add / cbcs put",
         "allocs/put", "allocs/get"],
        [[_fmt(cost["cbcs_put_ns"]), _fmt(cost["cbcs_get_ns"]),
          _fmt(cost["cbcs_get_normal_ns"]), _fmt(cost["aiortc_add_ns"]),
          _ratio(cost["aiortc_add_ns"], cost["cbcs_put_ns"]),
          _fmt(put_per, 3), _fmt(get_per, 3)]])
    return cost


def _gates(report: Report, results: dict[str, dict[str, Any]], spike: dict[str, Any],
           listen: dict[str, Any], cost: dict[str, float]) -> None:
    delay_fail, late_fail, np_fail = [], [], []
    worst_delay = ("", -math.inf, 0.0, 0.0)
    worst_np = ("", -math.inf)
    for name, r in results.items():
        c, o = r["cbcs"], r["oracle"]
        bound = delay_bound_ms(o["mean_delay_ms"])
        margin = c["mean_delay_ms"] - bound
        if not c["mean_delay_ms"] <= bound:
            delay_fail.append(f"{name} {c['mean_delay_ms']:.0f} > {bound:.0f} ms")
        if margin > worst_delay[1]:
            worst_delay = (name, margin, c["mean_delay_ms"], bound)
        if not c["late_percent"] <= MAX_LATE_PERCENT:
            late_fail.append(f"{name} {c['late_percent']:.2f} %")
        if not c["not_played_pp"] <= MAX_NOT_PLAYED_PP:
            np_fail.append(f"{name} {c['not_played_pp']:.2f} pp")
        if c["not_played_pp"] > worst_np[1]:
            worst_np = (name, c["not_played_pp"])
    report.check(
        "mean playout delay <= max(oracle + 20 ms, 1.15 x oracle), every trace",
        not delay_fail,
        "; ".join(delay_fail) if delay_fail else
        f"closest: {worst_delay[0]} {worst_delay[2]:.0f} ms vs bound {worst_delay[3]:.0f} ms")
    report.check("late frames <= 1 %, every trace", not late_fail,
                 "; ".join(late_fail) if late_fail else "all within")
    report.check(
        "frames not played beyond network loss <= 0.5 pp, every trace", not np_fail,
        "; ".join(np_fail) if np_fail else f"worst: {worst_np[0]} {worst_np[1]:.2f} pp")
    report.check(
        "target delay back within 20 ms of its level <= 10 s after a spike",
        spike["recovery_s"] <= MAX_SPIKE_RECOVERY_S,
        f"{spike['recovery_s']:.1f} s (before {spike['target_before_ms']:.0f} ms, "
        f"peak {spike['target_peak_ms']:.0f} ms)")
    lm = listen["mean"]
    report.check(
        "PESQ-WB under 5 % bursty loss >= zero-fill + 0.3",
        lm["cbcs"] >= lm["zero_fill"] + MIN_PESQ_GAIN,
        f"cbcs {lm['cbcs']:.2f}, zero-fill {lm['zero_fill']:.2f} "
        f"({lm['cbcs'] - lm['zero_fill']:+.2f})")
    report.check(
        "get() <= 2 us per block on normal playout (from Python, median)",
        cost["cbcs_get_normal_ns"] <= MAX_GET_NS,
        f"{cost['cbcs_get_normal_ns']:.0f} ns")
    report.check(
        "zero C++ allocations per put/get in steady state",
        cost["cbcs_put_allocs_total"] == 0 and cost["cbcs_get_allocs_total"] == 0,
        f"{cost['cbcs_put_allocs_total']:.0f} in puts, {cost['cbcs_get_allocs_total']:.0f} "
        "in gets")
