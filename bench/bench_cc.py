"""Micro-benchmarks: ns per on_packet_sent and per on_feedback (100 packets), and the same
feedback fed to aiortc's REMB estimator for scale. Run with --benchmark-enable."""

from __future__ import annotations

import time
from typing import Any

from aiortc.rate import RemoteBitrateEstimator

from cbcs import _core
from cbcs.media import SendSideBwe, TransportFeedback

N = 100


def _bwe() -> Any:
    return _core.SendSideBwe(start_bps=300e3, min_bps=30e3, max_bps=5e6, history=8192,
                             initial_probing=False, periodic_probing=False, probe_interval_ms=5000.0)


def bench_on_packet_sent(benchmark: Any) -> None:
    bwe = _bwe()
    state = {"seq": 0}

    def run() -> None:
        s = state["seq"]
        for i in range(N):
            bwe.on_packet_sent((s + i) & 0xFFFF, 1200, (s + i) * 2.0)
        state["seq"] = s + N
    benchmark(run)
    if benchmark.stats:
        print(f"\non_packet_sent: {benchmark.stats['median'] / N * 1e9:.0f} ns/packet (incl. Python call)")


def bench_on_transport_feedback(benchmark: Any) -> None:
    bwe = _bwe()
    state = {"seq": 0, "t": 0.0}

    def run() -> None:
        s, t = state["seq"], state["t"]
        for i in range(N):
            bwe.on_packet_sent((s + i) & 0xFFFF, 1200, t + i * 2.0)
        fb = TransportFeedback.build([((s + i) & 0xFFFF, int((t + 40 + i * 2.0) * 1000)) for i in range(N)])
        t0 = time.perf_counter_ns()
        assert bwe.on_transport_feedback(fb, t + 250) == "ok"
        samples.append(time.perf_counter_ns() - t0)
        state["seq"], state["t"] = s + N, t + N * 2.0
    samples: list[int] = []
    benchmark(run)
    samples.sort()
    print(f"\non_transport_feedback: {samples[len(samples) // 2] / N:.0f} ns/packet "
          f"(parse + estimate, {N}-packet feedback)")


def bench_feedback_cbcs_vs_aiortc_remb(benchmark: Any) -> None:
    """The same arrivals, fresh every round: cbcs send-side on_feedback (tuples from Python)
    vs aiortc's REMB estimator add(), per packet, in this run."""
    bwe = SendSideBwe(initial_probing=False)
    remb = RemoteBitrateEstimator()
    state = {"seq": 0}
    ours: list[int] = []
    theirs: list[int] = []

    def run() -> None:
        s = state["seq"]
        t = s * 2.0
        fb = [((s + i) & 0xFFFF, t + 40.0 + i * 2.0) for i in range(N)]
        for i in range(N):
            bwe.on_packet_sent((s + i) & 0xFFFF, 1200, t + i * 2.0)
        t0 = time.perf_counter_ns()
        bwe.on_feedback(fb, t + N * 2.0 + 100)
        t1 = time.perf_counter_ns()
        for i, (_seq, arr) in enumerate(fb):
            remb.add(int(arr), int((t + i * 2.0) / 1000 * (1 << 18)) & 0xFFFFFF, 1200, 1)
        t2 = time.perf_counter_ns()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)
        state["seq"] = s + N
    benchmark(run)
    ours.sort()
    theirs.sort()
    a, b = ours[len(ours) // 2] / N, theirs[len(theirs) // 2] / N
    print(f"\nper packet (median of {len(ours)} rounds): cbcs on_feedback {a:.0f} ns, "
          f"aiortc RemoteBitrateEstimator.add {b:.0f} ns, ratio {b / a:.1f}x")
