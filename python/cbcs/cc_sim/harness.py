"""Discrete-event harness for congestion control: media flows driven by cbcs's send-side
estimator (transport-wide feedback, real wire format end to end) or by aiortc's receive-side
REMB estimator, sharing drop-tail bottlenecks of variable capacity (RFC 8867), with a
TCP-like AIMD competitor, and the metrics of RFC 8868.

Every flow has the same media source (a 30 fps encoder following its target bitrate, frames
split into packets of at most 1200 bytes) and the same pacer (cbcs.media.Pacer at 1.5x the
target), so the two estimators are compared on equal terms. Time is simulated: the run is
deterministic for a seed and does not depend on the machine's speed.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from cbcs.media import netsim
from cbcs.media.cc import FeedbackGenerator, Pacer, SendSideBwe

Algorithm = Literal["cbcs", "aiortc", "tcp"]

MAX_PACKET = 1200
FRAME_MS = 1000.0 / 30
PACING_FACTOR = 1.5
MIN_BPS = 50_000
MAX_BPS = 3_000_000
START_BPS = 300_000
RTCP_OVERHEAD = 28 + 14  # IP/UDP + SRTCP tag and index
BWE_OPTIONS: dict[str, Any] = {"periodic_probing": False}


# --------------------------------------------------------------------------- network


class Bottleneck:
    """Drop-tail FIFO with a piecewise-constant capacity schedule and a queue limit in ms of
    traffic at the current capacity; ``delay_ms`` of propagation after the queue."""

    def __init__(self, schedule: list[tuple[float, float]], queue_ms: float, delay_ms: float) -> None:
        self.schedule = schedule  # [(start_ms, bps)], sorted
        self.queue_ms = queue_ms
        self.delay_ms = delay_ms
        self.busy_until = 0.0

    def capacity(self, t: float) -> float:
        bps = self.schedule[0][1]
        for start, rate in self.schedule:
            if start <= t:
                bps = rate
            else:
                break
        return bps

    def enqueue(self, t: float, size: int) -> tuple[float, float] | None:
        """(arrival at the far end, queueing delay) or None when dropped."""
        wait = max(0.0, self.busy_until - t)
        if wait > self.queue_ms:
            return None
        start = t + wait
        service = size * 8000.0 / self.capacity(start)
        self.busy_until = start + service
        return self.busy_until + self.delay_ms, wait


class ProfilePath:
    """One direction through the project's link emulator (a DESIGN.md profile)."""

    def __init__(self, name: str, seed: int) -> None:
        self.link = netsim.Link(name, seed=seed)
        self.base = self.link.params.base_delay_ms
        self.bandwidth = self.link.params.bandwidth_bps

    def enqueue(self, t: float, size: int) -> tuple[float, float] | None:
        arrival = self.link.send(t, size)
        if arrival is None:
            return None
        # Everything above the propagation and serialisation time counts as queueing/jitter.
        return arrival, max(0.0, arrival - t - self.base - size * 8000.0 / self.bandwidth)


class FixedDelay:
    def __init__(self, delay_ms: float) -> None:
        self.delay_ms = delay_ms

    def enqueue(self, t: float, size: int) -> tuple[float, float] | None:
        return t + self.delay_ms, 0.0


Path = Bottleneck | ProfilePath | FixedDelay


# --------------------------------------------------------------------------- events


class Sim:
    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._n = 0

    def at(self, t: float, fn: Callable[[], None]) -> None:
        self._n += 1
        heapq.heappush(self._heap, (t, self._n, fn))

    def run(self, until: float) -> None:
        while self._heap and self._heap[0][0] <= until:
            t, _, fn = heapq.heappop(self._heap)
            self.now = t
            fn()


# --------------------------------------------------------------------------- flows


@dataclass
class FlowLog:
    sent: list[tuple[float, int]] = field(default_factory=list)            # (t, bytes)
    delivered: list[tuple[float, int, float]] = field(default_factory=list)  # (t, bytes, qdelay)
    dropped: list[float] = field(default_factory=list)
    target: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """What a media flow sends and how: the pacing factor over the target, the transport-cc
    feedback interval, the frame-size jitter of the 30 fps video and an optional audio stream
    (20 ms packets, sent ahead of video by the pacer). With ``audio_in_target`` the video
    encoder gets the target minus the audio rate (an application splitting its budget);
    otherwise the audio comes on top of a video encoder that follows the whole target."""

    pacing_factor: float = PACING_FACTOR
    feedback_ms: float = 100.0
    frame_jitter: float = 0.2
    audio_bps: float = 0.0
    audio_in_target: bool = True


class MediaFlow:
    """Encoder -> pacer -> forward path -> receiver; feedback (transport-cc or REMB) -> reverse
    path -> sender."""

    def __init__(self, sim: Sim, name: str, algorithm: Algorithm, forward: Path, reverse: Path,
                 start_ms: float, stop_ms: float, rng: random.Random,
                 source: Source | None = None) -> None:
        self.sim, self.name, self.algorithm = sim, name, algorithm
        self.forward, self.reverse = forward, reverse
        self.stop_ms = stop_ms
        self.rng = rng
        self.source = source or Source()
        self.log = FlowLog()
        self.pacer = Pacer()
        self.seq = 0
        self.packet_id = 0
        self.remb_target = float(START_BPS)
        if algorithm == "cbcs":
            self.bwe: SendSideBwe | None = SendSideBwe(START_BPS, MIN_BPS, MAX_BPS, **BWE_OPTIONS)
            self.fbgen: FeedbackGenerator | None = FeedbackGenerator(
                interval_ms=self.source.feedback_ms)
            self.remb: Any = None
        else:
            from aiortc.rate import RemoteBitrateEstimator
            self.bwe = None
            self.fbgen = None
            self.remb = RemoteBitrateEstimator()
        self.pacer.set_pacing_rate(self.source.pacing_factor * self.target())
        sim.at(start_ms, self.on_frame)
        if self.source.audio_bps > 0:
            sim.at(start_ms, self.on_audio)
        sim.at(start_ms, self.on_pacer)
        sim.at(start_ms, self.on_tick)

    def target(self) -> float:
        return self.bwe.target_bps if self.bwe is not None else self.remb_target

    # sender
    def on_frame(self) -> None:
        now = self.sim.now
        if now >= self.stop_ms:
            return
        target = self.target()
        self.log.target.append((now, target))
        src = self.source
        video = max(target - src.audio_bps, 0.2 * target) if src.audio_in_target else target
        jitter = self.rng.uniform(1 - src.frame_jitter, 1 + src.frame_jitter)
        frame = max(1, int(video / 8 * FRAME_MS / 1000 * jitter))
        n = max(1, math.ceil(frame / MAX_PACKET))
        for i in range(n):
            size = frame // n + (1 if i < frame % n else 0)
            self.packet_id += 1
            self.pacer.enqueue(self.packet_id, max(size, 50), "video", now)
        self.sim.at(now + FRAME_MS, self.on_frame)

    def on_audio(self) -> None:
        now = self.sim.now
        if now >= self.stop_ms:
            return
        self.packet_id += 1
        self.pacer.enqueue(self.packet_id, max(int(self.source.audio_bps / 8 * 0.020), 20),
                           "audio", now)
        self.sim.at(now + 20.0, self.on_audio)

    def on_pacer(self) -> None:
        now = self.sim.now
        for _pid, size, _kind, cluster, min_packets in self.pacer.process(now):
            seq = self.seq & 0xFFFF
            self.seq += 1
            if self.bwe is not None:
                self.bwe.on_packet_sent(seq, size, now, cluster, min_packets)
            self.log.sent.append((now, size))
            out = self.forward.enqueue(now, size)
            if out is None:
                self.log.dropped.append(now)
                continue
            arrival, qdelay = out
            self.sim.at(arrival, self._arrive(seq, size, now, qdelay))
        if now < self.stop_ms + 1000:
            self.sim.at(max(self.pacer.next_process_ms, now + 0.1), self.on_pacer)

    def on_tick(self) -> None:
        now = self.sim.now
        if self.bwe is not None:
            self.bwe.process(now)
            for cluster in self.bwe.take_probe_clusters():
                self.pacer.start_probe(cluster, now)
            if self.fbgen is not None:
                for fb in self.fbgen.poll(now):
                    out = self.reverse.enqueue(now, len(fb) + RTCP_OVERHEAD)
                    if out is not None:
                        self.sim.at(out[0], self._feedback(fb))
        self.pacer.set_pacing_rate(self.source.pacing_factor * self.target())
        if now < self.stop_ms + 1000:
            self.sim.at(now + 10, self.on_tick)

    def _feedback(self, fb: bytes) -> Callable[[], None]:
        def deliver() -> None:
            assert self.bwe is not None
            self.bwe.on_transport_feedback(fb, self.sim.now)
        return deliver

    def _remb(self, bps: float) -> Callable[[], None]:
        def deliver() -> None:
            self.remb_target = min(max(bps, MIN_BPS), MAX_BPS)
        return deliver

    # receiver
    def _arrive(self, seq: int, size: int, send_ms: float, qdelay: float) -> Callable[[], None]:
        def arrive() -> None:
            now = self.sim.now
            self.log.delivered.append((now, size, qdelay))
            if self.fbgen is not None:
                self.fbgen.on_packet(seq, now)
            else:
                # abs-send-time: 6.18 fixed-point seconds, 24 bits, as aiortc's sender stamps it.
                abs_send = int(send_ms / 1000 * (1 << 18)) & 0xFFFFFF
                res = self.remb.add(int(now), abs_send, size, 1234)
                if res is not None:
                    out = self.reverse.enqueue(now, 40 + RTCP_OVERHEAD)
                    if out is not None:
                        self.sim.at(out[0], self._remb(float(res[0])))
        return arrive


class TcpFlow:
    """A long-lived TCP-like flow: ACK-clocked window, slow start, +1 packet per RTT, halves
    on loss at most once per RTT (a Reno-style competitor)."""

    def __init__(self, sim: Sim, name: str, forward: Path, reverse_delay_ms: float,
                 start_ms: float, stop_ms: float) -> None:
        self.sim, self.name = sim, name
        self.forward = forward
        self.reverse_delay = reverse_delay_ms
        self.stop_ms = stop_ms
        self.cwnd = 2.0
        self.ssthresh = 1e9
        self.inflight = 0
        self.last_cut = -1e9
        self.srtt = 2 * reverse_delay_ms
        self.log = FlowLog()
        self.algorithm: Algorithm = "tcp"
        sim.at(start_ms, self.try_send)

    def try_send(self) -> None:
        now = self.sim.now
        if now >= self.stop_ms:
            return
        while self.inflight < int(self.cwnd):
            self.inflight += 1
            self.log.sent.append((now, MAX_PACKET))
            out = self.forward.enqueue(now, MAX_PACKET)
            if out is None:
                self.log.dropped.append(now)
                self.sim.at(now + self.srtt, self.on_loss)  # noticed about one RTT later
                continue
            arrival, qdelay = out
            self.sim.at(arrival, self._deliver(qdelay))
            self.sim.at(arrival + self.reverse_delay, self._ack(now))

    def _deliver(self, qdelay: float) -> Callable[[], None]:
        def deliver() -> None:
            self.log.delivered.append((self.sim.now, MAX_PACKET, qdelay))
        return deliver

    def _ack(self, sent_ms: float) -> Callable[[], None]:
        def ack() -> None:
            self.inflight -= 1
            self.srtt = 0.9 * self.srtt + 0.1 * (self.sim.now - sent_ms)
            self.cwnd += 1.0 if self.cwnd < self.ssthresh else 1.0 / self.cwnd
            self.try_send()
        return ack

    def on_loss(self) -> None:
        self.inflight -= 1
        now = self.sim.now
        if now - self.last_cut > self.srtt:
            self.cwnd = max(2.0, self.cwnd / 2)
            self.ssthresh = self.cwnd
            self.last_cut = now
        self.try_send()


Flow = MediaFlow | TcpFlow


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    duration_ms: float
    # forward capacity schedule (for bottleneck cases) or a netsim profile name
    schedule: list[tuple[float, float]] | None = None
    profile: str | None = None
    flows: int = 1
    flow_starts: tuple[float, ...] = (0.0,)
    tcp: bool = False
    reverse_schedule: list[tuple[float, float]] | None = None  # 5.3: congested feedback link
    queue_ms: float = 300.0
    delay_ms: float = 50.0
    fair_after_ms: float = 30_000.0
    source: Source = Source()
    # A variant of a sweep (``cbcs bench cc --sweep``): not run by default.
    sweep: bool = False


def _scaled(phases: list[tuple[float, float]], short: bool, scale: float) -> tuple[list[tuple[float, float]], float]:
    """Phases of (seconds, bps) -> schedule [(start_ms, bps)] and duration."""
    out, t = [], 0.0
    for seconds, bps in phases:
        out.append((t, bps))
        t += seconds * 1000 * (scale if short else 1.0)
    return out, t


def cases(short: bool) -> dict[str, Case]:
    s51, d51 = _scaled([(40, 1.0e6), (20, 2.5e6), (20, 0.6e6), (20, 1.0e6)], short, 0.6)
    s52, d52 = _scaled([(25, 4.0e6), (25, 2.0e6), (25, 3.5e6), (25, 1.0e6), (25, 2.0e6)], short, 0.5)
    s53, d53 = _scaled([(100, 2.0e6)], short, 0.6)
    r53, _ = _scaled([(35, 2.0e6), (35, 0.8e6), (30, 2.0e6)], short, 0.6)
    # Issue 19's standing queue: 40 ms propagation, a drop-tail buffer of 250 ms, capacity
    # 2.5 -> 0.6 -> 3.0 Mbit/s (a five-fold rise at the end).
    ssq, dsq = _scaled([(20, 2.5e6), (20, 0.6e6), (20, 3.0e6)], short, 0.6)
    d54 = 120_000.0 * (0.5 if short else 1.0)
    d56 = 120_000.0 * (0.5 if short else 1.0)
    out = [
        Case("5.1", "variable capacity, one flow", d51, schedule=s51),
        Case("5.2", "variable capacity, two flows", d52, schedule=s52, flows=2, flow_starts=(0.0, 0.0),
             fair_after_ms=10_000.0),
        Case("5.3", "congested feedback link, flows both ways", d53, schedule=s53, reverse_schedule=r53),
        Case("5.4", "three flows of the same algorithm", d54, schedule=[(0.0, 3.5e6)], flows=3,
             flow_starts=(0.0, 10_000.0, 20_000.0)),
        Case("5.6", "one flow against a long-lived TCP-like AIMD flow", d56, schedule=[(0.0, 2.0e6)],
             tcp=True, fair_after_ms=20_000.0),
        Case("standing-queue", "2.5 -> 0.6 -> 3.0 Mbit/s behind a 250 ms drop-tail buffer", dsq,
             schedule=ssq, queue_ms=250.0, delay_ms=40.0),
    ]
    for p in netsim.PROFILE_NAMES:
        out.append(Case(p, f"DESIGN.md profile {p}", 60_000.0 * (0.5 if short else 1.0), profile=p))
    out += standing_queue_sweep(short)
    return {c.name: c for c in out}


#: Sources of the standing-queue sweep: the harness's own (pacer 1.5x, feedback every 100 ms,
#: +-20 % frames, video only), and a paced audio + video sender (pacer 2.5x, feedback every
#: 50 ms, +-25 % frames, 50 kbit/s of audio inside the target, or on top of it).
SWEEP_SOURCES: dict[str, Source] = {
    "video": Source(),
    "av": Source(pacing_factor=2.5, feedback_ms=50.0, frame_jitter=0.25, audio_bps=50_000.0),
    "av-top": Source(pacing_factor=2.5, feedback_ms=50.0, frame_jitter=0.25, audio_bps=50_000.0,
                     audio_in_target=False),
}
SWEEP_QUEUES_MS = (60.0, 100.0, 150.0, 250.0, 500.0)


def standing_queue_sweep(short: bool) -> list[Case]:
    """Variants of the standing-queue case: 2.5 -> 0.6 -> 2.5 Mbit/s (steps at 20 s and 40 s,
    scaled by 0.6 with ``short``), 40 ms propagation, every drop-tail depth of
    ``SWEEP_QUEUES_MS`` with every source of ``SWEEP_SOURCES``."""
    sched, dur = _scaled([(20, 2.5e6), (20, 0.6e6), (20, 2.5e6)], short, 0.6)
    return [Case(f"sq-{q:.0f}-{name}", f"2.5 -> 0.6 -> 2.5 Mbit/s, {q:.0f} ms drop-tail, {name}",
                 dur, schedule=sched, queue_ms=q, delay_ms=40.0, source=src, sweep=True)
            for name, src in SWEEP_SOURCES.items() for q in SWEEP_QUEUES_MS]


CASES = cases(short=False)


# --------------------------------------------------------------------------- metrics


@dataclass
class FlowResult:
    name: str
    algorithm: str
    rate_bps: float             # delivered, after warm-up
    qdelay_p50_ms: float
    qdelay_p95_ms: float
    loss: float
    log: FlowLog


@dataclass
class CaseResult:
    case: str
    algorithm: str
    seed: int
    flows: list[FlowResult]
    utilisation: float
    qdelay_p50_ms: float
    qdelay_p95_ms: float
    loss: float
    jain: float | None
    settle_ms: list[float]           # per capacity change: time to adapt (see _settle)
    drop_rate_below_ms: float | None  # after the largest drop: send rate below capacity
    drop_queue_ms: float | None       # and queueing delay back under 100 ms
    capacity: list[tuple[float, float]]
    duration_ms: float
    shares: list[float]              # each flow's share of capacity after fair_after_ms
    target_below_ms: float | None = None  # after the largest drop: summed targets below capacity
    rise_80_ms: float | None = None       # after the largest rise: send rate at 80 % of capacity


def _windowed_rate(events: list[tuple[float, int]], t0: float, t1: float, window: float) -> tuple[np.ndarray, np.ndarray]:
    edges = np.arange(t0, t1 + window, window)
    if not events:
        return edges[:-1], np.zeros(len(edges) - 1)
    t = np.array([e[0] for e in events])
    b = np.array([e[1] for e in events], dtype=float)
    sums, _ = np.histogram(t, bins=edges, weights=b)
    return edges[:-1], sums * 8000.0 / window


def _capacity_bytes(schedule: list[tuple[float, float]], t0: float, t1: float) -> float:
    total = 0.0
    for i, (start, bps) in enumerate(schedule):
        end = schedule[i + 1][0] if i + 1 < len(schedule) else math.inf
        lo, hi = max(start, t0), min(end, t1)
        if hi > lo:
            total += bps * (hi - lo) / 8000.0
    return total


def _settle(logs: list[FlowLog], schedule: list[tuple[float, float]], duration: float) -> tuple[list[float], float | None, float | None]:
    """For each capacity change: ms until the aggregate 200 ms send rate is below the new
    capacity (drops) or reaches 85 % of it (rises). For the largest drop also the ms until
    queueing delay stays under 100 ms for the rest of that phase (or 5 s)."""
    sent = sorted(e for lg in logs for e in lg.sent)
    delivered = sorted((t, q) for lg in logs for t, _b, q in lg.delivered)
    settle: list[float] = []
    worst_drop, drop_rate, drop_queue = 0.0, None, None
    for i in range(1, len(schedule)):
        t_change, cap = schedule[i]
        prev = schedule[i - 1][1]
        end = schedule[i + 1][0] if i + 1 < len(schedule) else duration
        starts, rates = _windowed_rate(sent, t_change, end, 200.0)
        if cap < prev:
            idx = np.nonzero(rates < cap)[0]
        else:
            idx = np.nonzero(rates >= 0.85 * cap)[0]
        s = float(starts[idx[0]] + 200 - t_change) if len(idx) else math.inf
        settle.append(s)
        if cap < prev and prev / cap > worst_drop:
            worst_drop = prev / cap
            drop_rate = s
            horizon = min(end, t_change + 5000)
            late = [t for t, q in delivered if t_change <= t <= horizon and q >= 100.0]
            drop_queue = (max(late) - t_change) if late else 0.0
    return settle, drop_rate, drop_queue


def _drop_and_rise(logs: list[FlowLog], schedule: list[tuple[float, float]],
                   duration: float) -> tuple[float | None, float | None]:
    """ms from the largest capacity drop until the flows' summed target is first below the new
    capacity, and from the largest rise until their 200 ms send rate first reaches 80 % of it
    (inf when it never does within the phase; None when the schedule has no such change)."""
    drop_i = rise_i = None
    worst_drop = worst_rise = 1.0
    for i in range(1, len(schedule)):
        ratio = schedule[i - 1][1] / schedule[i][1]
        if ratio > worst_drop:
            worst_drop, drop_i = ratio, i
        if 1 / ratio > worst_rise:
            worst_rise, rise_i = 1 / ratio, i
    target_below = rise_80 = None
    if drop_i is not None:
        t_change, cap = schedule[drop_i]
        end = schedule[drop_i + 1][0] if drop_i + 1 < len(schedule) else duration
        # The summed target at time t: each flow's latest target sample.
        events = sorted((t, k, v) for k, lg in enumerate(logs) for t, v in lg.target)
        latest = [0.0] * len(logs)
        target_below = math.inf
        for t, k, v in events:
            latest[k] = v
            if t_change <= t <= end and sum(latest) < cap:
                target_below = t - t_change
                break
    if rise_i is not None:
        t_change, cap = schedule[rise_i]
        end = schedule[rise_i + 1][0] if rise_i + 1 < len(schedule) else duration
        sent = sorted(e for lg in logs for e in lg.sent)
        starts, rates = _windowed_rate(sent, t_change, end, 200.0)
        idx = np.nonzero(rates >= 0.8 * cap)[0]
        rise_80 = float(starts[idx[0]] + 200 - t_change) if len(idx) else math.inf
    return target_below, rise_80


def _summarise(case: Case, algorithm: str, seed: int, flows: list[Flow], schedule: list[tuple[float, float]]) -> CaseResult:
    warm = 5000.0
    results = []
    all_q: list[float] = []
    sent_total = dropped_total = 0
    delivered_bytes = 0.0
    for f in flows:
        lg = f.log
        q = [qd for t, _b, qd in lg.delivered if t >= warm]
        all_q += q if f.algorithm != "tcp" else []
        span = max(case.duration_ms - warm, 1.0)
        db = sum(b for t, b, _q in lg.delivered if t >= warm)
        delivered_bytes += db
        sent = sum(1 for t, _b in lg.sent if t >= warm)
        dropped = sum(1 for t in lg.dropped if t >= warm)
        sent_total += sent if f.algorithm != "tcp" else 0
        dropped_total += dropped if f.algorithm != "tcp" else 0
        results.append(FlowResult(
            name=f.name, algorithm=f.algorithm, rate_bps=db * 8000.0 / span,
            qdelay_p50_ms=float(np.percentile(q, 50)) if q else math.nan,
            qdelay_p95_ms=float(np.percentile(q, 95)) if q else math.nan,
            loss=dropped / sent if sent else 0.0, log=lg))
    cap_bytes = _capacity_bytes(schedule, warm, case.duration_ms)
    fair_t0 = case.fair_after_ms
    shares: list[float] = []
    jain = None
    if len(flows) > 1:
        cap_fair = _capacity_bytes(schedule, fair_t0, case.duration_ms)
        rates = []
        for f in flows:
            b = sum(x for t, x, _q in f.log.delivered if t >= fair_t0)
            rates.append(b)
            shares.append(b / cap_fair if cap_fair else 0.0)
        r = np.array(rates, dtype=float)
        jain = float(r.sum() ** 2 / (len(r) * (r ** 2).sum())) if (r ** 2).sum() > 0 else 0.0
    media_logs = [f.log for f in flows if f.algorithm != "tcp"]
    settle, drop_rate, drop_queue = _settle(media_logs, schedule, case.duration_ms) if case.profile is None else ([], None, None)
    target_below, rise_80 = _drop_and_rise(media_logs, schedule, case.duration_ms)
    return CaseResult(
        case=case.name, algorithm=algorithm, seed=seed, flows=results,
        utilisation=delivered_bytes / cap_bytes if cap_bytes else 0.0,
        qdelay_p50_ms=float(np.percentile(all_q, 50)) if all_q else math.nan,
        qdelay_p95_ms=float(np.percentile(all_q, 95)) if all_q else math.nan,
        loss=dropped_total / sent_total if sent_total else 0.0,
        jain=jain, settle_ms=settle, drop_rate_below_ms=drop_rate, drop_queue_ms=drop_queue,
        capacity=schedule, duration_ms=case.duration_ms, shares=shares,
        target_below_ms=target_below, rise_80_ms=rise_80)


def run_case(case: Case, algorithm: Literal["cbcs", "aiortc"], seed: int) -> CaseResult:
    """Run one case with every media flow using ``algorithm``."""
    sim = Sim()
    rng = random.Random(seed)
    flows: list[Flow] = []
    if case.profile is not None:
        fwd: Path = ProfilePath(case.profile, seed)
        rev: Path = ProfilePath(case.profile, seed + 1000)
        flows.append(MediaFlow(sim, "flow1", algorithm, fwd, rev, 0.0, case.duration_ms, rng,
                               case.source))
        cap = min(fwd.bandwidth, MAX_BPS)  # type: ignore[union-attr]
        schedule = [(0.0, cap)]
    else:
        assert case.schedule is not None
        schedule = case.schedule
        fwd = Bottleneck(schedule, case.queue_ms, case.delay_ms)
        if case.reverse_schedule is not None:
            rev = Bottleneck(case.reverse_schedule, case.queue_ms, case.delay_ms)
        else:
            rev = FixedDelay(case.delay_ms)
        for i in range(case.flows):
            start = case.flow_starts[i] if i < len(case.flow_starts) else 0.0
            flows.append(MediaFlow(sim, f"flow{i + 1}", algorithm, fwd, rev, start, case.duration_ms,
                                   random.Random(rng.random()), case.source))
        if case.reverse_schedule is not None:
            # The media flow the other way: its packets fill the feedback link, its feedback
            # rides the forward link.
            # (not counted in the forward metrics).
            MediaFlow(sim, "reverse", algorithm, rev, fwd, 0.0, case.duration_ms,
                      random.Random(rng.random()))
        if case.tcp:
            flows.append(TcpFlow(sim, "tcp", fwd, case.delay_ms, 0.0, case.duration_ms))
    sim.run(case.duration_ms + 2000)
    return _summarise(case, algorithm, seed, flows, schedule)
