"""A second, independent congestion-control harness for :class:`cbcs.media.SendSideBwe`.

This is a small discrete-event simulation written without reference to the project's own
congestion-control harness (``cbcs.cc_sim`` / ``cbcs.bench.cc``), which the estimator was tuned
on. It drives the estimator through its public API only (``on_packet_sent``, ``on_feedback``,
``process``, ``target_bps``, ``take_probe_clusters``) so that a second, differently built
network model can confirm (or refute) the estimator's behaviour.

The model, all in plain Python and deterministic (fixed seed):

* sender: 30 fps video whose frame size follows ``target_bps`` (minus the audio), with
  +-25 % frame-to-frame size jitter, cut into packets of at most 1200 bytes, plus a 50 kbit/s
  audio stream of one 125-byte packet every 20 ms (sizes include all headers);
* pacer: audio first, then video, at 2.5x the target with no burst allowance; probe clusters
  run at their own bitrate, using queued media first and 1200-byte padding when short;
* forward path: a drop-tail FIFO bottleneck at the sender's edge whose byte limit is 250 ms at
  the current capacity (arrivals that don't fit are dropped), then 40 ms propagation;
* receiver: reports every 50 ms every packet that arrived since the last report, and the
  sequence gaps below the newest arrival as lost (``None``); its clock has an arbitrary offset
  from the sender's; reports take the 40 ms return path (no loss, no capacity limit);
* transport sequence numbers start just below 2**16 so they wrap early in the run.

Capacity changes are exact: a packet's transmission is integrated over the (known)
piecewise-constant capacity schedule.

Run ``pytest -s`` on this file to see the table of figures.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import pytest

from cbcs.media import SendSideBwe
from cbcs.media.cc import ProbeCluster

PROPAGATION_MS = 40.0
QUEUE_LIMIT_MS = 250.0
FRAME_RATE = 30.0
MAX_PACKET_BYTES = 1200
PADDING_BYTES = 1200
AUDIO_BPS = 50_000.0
AUDIO_INTERVAL_MS = 20.0
AUDIO_PACKET_BYTES = int(AUDIO_BPS * AUDIO_INTERVAL_MS / 8000)  # 125
MIN_VIDEO_BPS = 20_000.0
FRAME_JITTER = 0.25
PACING_FACTOR = 2.5
PROCESS_INTERVAL_MS = 25.0
FEEDBACK_INTERVAL_MS = 50.0
SEQ_START = 0xFFFF - 300  # wraps within the first couple of seconds
RECEIVER_CLOCK_OFFSET_MS = 7_777.0
SEED = 20240611

#: The requirement scenario: (from_ms, capacity_bps) steps, and its length.
SCENARIO: tuple[tuple[float, float], ...] = ((0.0, 2_500_000.0), (20_000.0, 600_000.0),
                                             (40_000.0, 2_500_000.0))
SCENARIO_MS = 70_000.0
DROP_MS, RISE_MS = 20_000.0, 40_000.0


# --- network ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Piecewise-constant link capacity: ``steps`` of ``(from_ms, bps)``, the first from 0."""

    steps: tuple[tuple[float, float], ...]

    def _index(self, t_ms: float) -> int:
        i = 0
        while i + 1 < len(self.steps) and self.steps[i + 1][0] <= t_ms:
            i += 1
        return i

    def bps_at(self, t_ms: float) -> float:
        return self.steps[self._index(t_ms)][1]

    def finish_ms(self, start_ms: float, size_bytes: int) -> float:
        """When a transmission of ``size_bytes`` started at ``start_ms`` ends."""
        bits = size_bytes * 8.0
        t = start_ms
        i = self._index(t)
        while True:
            bps = self.steps[i][1]
            seg_end = self.steps[i + 1][0] if i + 1 < len(self.steps) else math.inf
            done = t + bits * 1000.0 / bps
            if done <= seg_end:
                return done
            bits -= (seg_end - t) * bps / 1000.0
            t = seg_end
            i += 1

    def phases(self, end_ms: float) -> list[tuple[float, float, float]]:
        """``(from_ms, to_ms, bps)`` for each step, the last ending at ``end_ms``."""
        ends = [s[0] for s in self.steps[1:]] + [end_ms]
        return [(s[0], e, s[1]) for s, e in zip(self.steps, ends)]


class Bottleneck:
    """Drop-tail FIFO in front of a link of scheduled capacity, limited in bytes to
    ``limit_ms`` of traffic at the capacity of the moment a packet arrives."""

    def __init__(self, schedule: Schedule, limit_ms: float = QUEUE_LIMIT_MS) -> None:
        self._schedule = schedule
        self._limit_ms = limit_ms
        self._in_system: deque[tuple[float, int]] = deque()  # (departure_ms, size)
        self._backlog_bytes = 0
        self._free_at_ms = 0.0

    def offer(self, now_ms: float, size_bytes: int) -> tuple[float, float] | None:
        """``(queueing wait, departure time)`` in ms, or None when the packet is dropped."""
        while self._in_system and self._in_system[0][0] <= now_ms:
            self._backlog_bytes -= self._in_system.popleft()[1]
        limit_bytes = self._schedule.bps_at(now_ms) * self._limit_ms / 8000.0
        if self._backlog_bytes + size_bytes > limit_bytes:
            return None
        start = max(now_ms, self._free_at_ms)
        done = self._schedule.finish_ms(start, size_bytes)
        self._free_at_ms = done
        self._in_system.append((done, size_bytes))
        self._backlog_bytes += size_bytes
        return start - now_ms, done


class Receiver:
    """Collects arrivals; ``take_report`` returns them (and the gaps below the newest arrival,
    as lost) since the previous report."""

    def __init__(self) -> None:
        self._pending: list[tuple[int, float | None]] = []
        self._last16: int | None = None
        self._last_unwrapped = 0
        self.reported_received = 0
        self.reported_lost = 0

    def _unwrap(self, seq16: int) -> int:
        if self._last16 is None:
            self._last16, self._last_unwrapped = seq16, seq16
            return seq16
        diff = (seq16 - self._last16) & 0xFFFF
        if diff >= 0x8000:
            diff -= 0x10000
        return self._last_unwrapped + diff

    def on_packet(self, seq16: int, arrival_ms: float) -> None:
        first = self._last16 is None
        seq = self._unwrap(seq16)
        if not first and seq <= self._last_unwrapped:
            return  # late or duplicate: cannot happen on this FIFO path
        if not first:
            for missing in range(self._last_unwrapped + 1, seq):
                self._pending.append((missing & 0xFFFF, None))
                self.reported_lost += 1
        self._pending.append((seq16, arrival_ms + RECEIVER_CLOCK_OFFSET_MS))
        self.reported_received += 1
        self._last16, self._last_unwrapped = seq16, seq

    def take_report(self) -> list[tuple[int, float | None]]:
        report, self._pending = self._pending, []
        return report


# --- sender ----------------------------------------------------------------------------------


class RateController(Protocol):
    """What the simulation needs of an estimator; :class:`SendSideBwe` is one."""

    @property
    def target_bps(self) -> float: ...

    def on_packet_sent(self, transport_seq: int, size_bytes: int, send_ms: float,
                       probe_cluster: int = -1, probe_min_packets: int = 0) -> None: ...

    def on_feedback(self, results: list[tuple[int, float | None]], now_ms: float) -> None: ...

    def process(self, now_ms: float) -> None: ...

    def take_probe_clusters(self) -> list[ProbeCluster]: ...


class FixedRate:
    """A controller that ignores feedback and always asks for ``bps`` (for sanity checks)."""

    def __init__(self, bps: float) -> None:
        self._bps = bps

    @property
    def target_bps(self) -> float:
        return self._bps

    def on_packet_sent(self, transport_seq: int, size_bytes: int, send_ms: float,
                       probe_cluster: int = -1, probe_min_packets: int = 0) -> None:
        pass

    def on_feedback(self, results: list[tuple[int, float | None]], now_ms: float) -> None:
        pass

    def process(self, now_ms: float) -> None:
        pass

    def take_probe_clusters(self) -> list[ProbeCluster]:
        return []


@dataclass(frozen=True)
class Sent:
    size_bytes: int
    kind: str  # "audio", "video" or "padding"
    probe_cluster: int = -1
    probe_min_packets: int = 0


class SimplePacer:
    """Audio first, then video, each packet spaced by its size at the pacing rate; probe
    clusters, one at a time, at their own bitrate, padding when there is no media."""

    def __init__(self) -> None:
        self._audio: deque[int] = deque()
        self._video: deque[int] = deque()
        self._probes: deque[ProbeCluster] = deque()
        self._probe_bytes = 0
        self._probe_packets = 0
        self.rate_bps = 1.0
        self.next_send_ms = 0.0

    def enqueue(self, kind: str, size_bytes: int) -> None:
        (self._audio if kind == "audio" else self._video).append(size_bytes)

    def add_probes(self, clusters: list[ProbeCluster]) -> None:
        self._probes.extend(clusters)

    def has_work(self) -> bool:
        return bool(self._audio or self._video or self._probes)

    def _next_packet(self) -> tuple[int, str]:
        if self._audio:
            return self._audio.popleft(), "audio"
        if self._video:
            return self._video.popleft(), "video"
        return PADDING_BYTES, "padding"

    def send_due(self, now_ms: float) -> list[Sent]:
        """The packets to send at ``now_ms`` (those whose pacing slot has come)."""
        out: list[Sent] = []
        while self.has_work() and self.next_send_ms <= now_ms + 1e-9:
            if self._probes:
                cluster = self._probes[0]
                size, kind = self._next_packet()
                out.append(Sent(size, kind, cluster.cluster_id, cluster.min_packets))
                rate = cluster.bitrate_bps
                self._probe_bytes += size
                self._probe_packets += 1
                if (self._probe_packets >= cluster.min_packets and self._probe_bytes * 8000.0
                        >= cluster.bitrate_bps * cluster.min_duration_ms):
                    self._probes.popleft()
                    self._probe_bytes = self._probe_packets = 0
            else:
                size, kind = self._next_packet()
                out.append(Sent(size, kind))
                rate = self.rate_bps
            self.next_send_ms = max(self.next_send_ms, now_ms) + size * 8000.0 / rate
        return out


def frame_packets(frame_bytes: int) -> list[int]:
    """Cut a frame into equal packets of at most MAX_PACKET_BYTES."""
    n = max(1, math.ceil(frame_bytes / MAX_PACKET_BYTES))
    return [math.ceil(frame_bytes / n)] * n


# --- the simulation --------------------------------------------------------------------------


@dataclass
class RunResult:
    schedule: Schedule
    duration_ms: float
    targets: list[tuple[float, float]] = field(default_factory=list)  # (now_ms, target_bps)
    waits: list[tuple[float, float]] = field(default_factory=list)  # (sent_ms, wait_ms)
    departures: list[tuple[float, int]] = field(default_factory=list)  # (ms, bytes) off the link
    sent_packets: int = 0
    sent_bytes: int = 0
    dropped_packets: int = 0
    dropped_bytes: int = 0
    padding_packets: int = 0
    probe_clusters: int = 0
    reported_received: int = 0
    reported_lost: int = 0

    @property
    def loss_rate(self) -> float:
        """Dropped / sent packets."""
        return self.dropped_packets / max(1, self.sent_packets)

    @property
    def byte_loss_rate(self) -> float:
        return self.dropped_bytes / max(1, self.sent_bytes)

    def wait_percentile(self, q: float, from_ms: float = 0.0, to_ms: float = math.inf) -> float:
        """The ``q`` quantile of the FIFO wait of packets delivered, sent in [from, to)."""
        ordered = sorted(w for t, w in self.waits if from_ms <= t < to_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def first_time(self, after_ms: float, *, below: float | None = None,
                   at_least: float | None = None) -> float | None:
        """ms after ``after_ms`` until the target first goes below ``below`` (or reaches
        ``at_least``); None if it never does."""
        for t, bps in self.targets:
            if t < after_ms:
                continue
            if (below is not None and bps < below) or (at_least is not None and bps >= at_least):
                return t - after_ms
        return None

    def utilisation(self, from_ms: float, to_ms: float, bps: float) -> float:
        bits = sum(size * 8.0 for t, size in self.departures if from_ms <= t < to_ms)
        return bits / (bps * (to_ms - from_ms) / 1000.0)

    def mean_target(self, from_ms: float, to_ms: float) -> float:
        values = [bps for t, bps in self.targets if from_ms <= t < to_ms]
        return sum(values) / max(1, len(values))


class Simulation:
    """Event loop tying the sender, pacer, bottleneck and receiver together."""

    def __init__(self, controller: RateController, schedule: Schedule, duration_ms: float,
                 seed: int = SEED) -> None:
        self._ctl = controller
        self._pacer = SimplePacer()
        self._link = Bottleneck(schedule)
        self._receiver = Receiver()
        self._rng = random.Random(seed)
        self._events: list[tuple[float, int, str, object]] = []
        self._order = 0
        self._pace_at = math.inf
        self._seq = SEQ_START
        self._frame_no = 0
        self._audio_no = 0
        self.result = RunResult(schedule, duration_ms)

    def _at(self, t_ms: float, kind: str, payload: object = None) -> None:
        self._order += 1
        heapq.heappush(self._events, (t_ms, self._order, kind, payload))

    def _update_pacer(self, now_ms: float) -> None:
        self._pacer.rate_bps = PACING_FACTOR * self._ctl.target_bps
        if self._pacer.has_work():
            t = max(now_ms, self._pacer.next_send_ms)
            if t < self._pace_at:
                self._pace_at = t
                self._at(t, "pace")

    def _on_frame(self, now_ms: float) -> None:
        video_bps = max(MIN_VIDEO_BPS, self._ctl.target_bps - AUDIO_BPS)
        mean_bytes = video_bps / FRAME_RATE / 8.0
        size = max(1, round(mean_bytes * self._rng.uniform(1 - FRAME_JITTER, 1 + FRAME_JITTER)))
        for p in frame_packets(size):
            self._pacer.enqueue("video", p)
        self._frame_no += 1
        self._at(self._frame_no * 1000.0 / FRAME_RATE, "frame")

    def _on_audio(self, now_ms: float) -> None:
        self._pacer.enqueue("audio", AUDIO_PACKET_BYTES)
        self._audio_no += 1
        self._at(self._audio_no * AUDIO_INTERVAL_MS, "audio")

    def _on_process(self, now_ms: float) -> None:
        self._ctl.process(now_ms)
        clusters = self._ctl.take_probe_clusters()
        self.result.probe_clusters += len(clusters)
        self._pacer.add_probes(clusters)
        self.result.targets.append((now_ms, self._ctl.target_bps))
        self._at(now_ms + PROCESS_INTERVAL_MS, "process")

    def _on_pace(self, now_ms: float) -> None:
        if now_ms >= self._pace_at:
            self._pace_at = math.inf
        for pkt in self._pacer.send_due(now_ms):
            self._transmit(now_ms, pkt)

    def _transmit(self, now_ms: float, pkt: Sent) -> None:
        seq16 = self._seq & 0xFFFF
        self._seq += 1
        self._ctl.on_packet_sent(seq16, pkt.size_bytes, now_ms, pkt.probe_cluster,
                                 pkt.probe_min_packets)
        res = self.result
        res.sent_packets += 1
        res.sent_bytes += pkt.size_bytes
        res.padding_packets += pkt.kind == "padding"
        outcome = self._link.offer(now_ms, pkt.size_bytes)
        if outcome is None:
            res.dropped_packets += 1
            res.dropped_bytes += pkt.size_bytes
            return
        wait, departure = outcome
        res.waits.append((now_ms, wait))
        res.departures.append((departure, pkt.size_bytes))
        self._at(departure + PROPAGATION_MS, "arrive", seq16)

    def _on_report(self, now_ms: float) -> None:
        report = self._receiver.take_report()
        if report:
            self._at(now_ms + PROPAGATION_MS, "feedback", report)
        self._at(now_ms + FEEDBACK_INTERVAL_MS, "report")

    def run(self) -> RunResult:
        for kind in ("frame", "audio", "process"):
            self._at(0.0, kind)
        self._at(FEEDBACK_INTERVAL_MS, "report")
        while self._events and self._events[0][0] <= self.result.duration_ms:
            now, _, kind, payload = heapq.heappop(self._events)
            if kind == "frame":
                self._on_frame(now)
            elif kind == "audio":
                self._on_audio(now)
            elif kind == "process":
                self._on_process(now)
            elif kind == "pace":
                self._on_pace(now)
            elif kind == "arrive":
                assert isinstance(payload, int)
                self._receiver.on_packet(payload, now)
            elif kind == "report":
                self._on_report(now)
            elif kind == "feedback":
                assert isinstance(payload, list)
                self._ctl.on_feedback(payload, now)
            self._update_pacer(now)
        self.result.reported_received = self._receiver.reported_received
        self.result.reported_lost = self._receiver.reported_lost
        return self.result


def simulate(controller: RateController, steps: tuple[tuple[float, float], ...],
             duration_ms: float) -> RunResult:
    return Simulation(controller, Schedule(steps), duration_ms).run()


def fmt_ms(v: float | None) -> str:
    return "never" if v is None else f"{v:.0f} ms"


# --- the estimator on the requirement scenario -------------------------------------------------


@pytest.fixture(scope="module")
def gcc() -> RunResult:
    bwe = SendSideBwe(start_bps=300_000, min_bps=30_000, max_bps=5_000_000)
    return simulate(bwe, SCENARIO, SCENARIO_MS)


def test_prints_the_figures(gcc: RunResult) -> None:
    settle = gcc.first_time(DROP_MS, below=600_000)
    rise = gcc.first_time(RISE_MS, at_least=0.8 * 2_500_000)
    rows = [
        ("settle below 0.6 Mbit/s after the drop", fmt_ms(settle)),
        ("p95 queueing delay (0-70 s)", f"{gcc.wait_percentile(0.95):.1f} ms"),
        ("p50 / max queueing delay", f"{gcc.wait_percentile(0.5):.1f} / "
                                     f"{gcc.wait_percentile(1.0):.1f} ms"),
        ("loss rate, packets (bytes)", f"{100 * gcc.loss_rate:.2f} % "
                                       f"({100 * gcc.byte_loss_rate:.2f} %), "
                                       f"{gcc.dropped_packets} of {gcc.sent_packets}"),
        ("time to 80 % of 2.5 Mbit/s after the rise", fmt_ms(rise)),
        ("probe clusters / padding packets", f"{gcc.probe_clusters} / {gcc.padding_packets}"),
    ]
    for lo, hi, bps in gcc.schedule.phases(gcc.duration_ms):
        rows.append((f"{lo / 1000:.0f}-{hi / 1000:.0f} s at {bps / 1e6:.1f} Mbit/s: "
                     "utilisation / mean target / p95 queue",
                     f"{100 * gcc.utilisation(lo, hi, bps):.1f} % / "
                     f"{gcc.mean_target(lo, hi) / 1e6:.2f} Mbit/s / "
                     f"{gcc.wait_percentile(0.95, lo, hi):.1f} ms"))
    width = max(len(r[0]) for r in rows)
    print("\nSendSideBwe on the second harness")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    # The feedback path accounted for every packet the link delivered or dropped (bar the tail).
    assert gcc.reported_lost <= gcc.dropped_packets
    assert gcc.reported_received <= gcc.sent_packets - gcc.dropped_packets


def test_target_goes_below_the_new_capacity_within_2s_of_the_drop(gcc: RunResult) -> None:
    settle = gcc.first_time(DROP_MS, below=600_000)
    assert settle is not None and settle <= 2000.0, fmt_ms(settle)


def test_p95_queueing_delay_is_under_100ms(gcc: RunResult) -> None:
    assert gcc.wait_percentile(0.95) < 100.0


def test_target_reaches_80_percent_within_10s_of_the_rise(gcc: RunResult) -> None:
    rise = gcc.first_time(RISE_MS, at_least=0.8 * 2_500_000)
    print(f"\ntime to 80 % of 2.5 Mbit/s after the rise: {fmt_ms(rise)}")
    assert rise is not None and rise <= 10_000.0, fmt_ms(rise)


# --- the simulation itself -----------------------------------------------------------------------


def test_sim_underloaded_link_keeps_no_queue() -> None:
    res = simulate(FixedRate(500_000), ((0.0, 600_000.0),), 20_000.0)
    assert res.dropped_packets == 0
    # What waits is only a frame's own packets behind each other (paced at 1.25 Mbit/s).
    assert res.wait_percentile(0.95) < 20.0
    assert 0.78 < res.utilisation(2000.0, 20_000.0, 600_000.0) < 0.88  # about 0.5 / 0.6


def test_sim_overloaded_link_fills_the_queue_and_drops() -> None:
    res = simulate(FixedRate(800_000), ((0.0, 600_000.0),), 20_000.0)
    assert 230.0 < res.wait_percentile(1.0) <= QUEUE_LIMIT_MS
    assert res.wait_percentile(0.5, 2000.0) > 220.0
    assert 0.22 < res.byte_loss_rate < 0.28  # about 1 - 0.6 / 0.8 of the bytes
    assert res.loss_rate < res.byte_loss_rate  # drop-tail in bytes lets small audio through
    assert res.utilisation(2000.0, 20_000.0, 600_000.0) > 0.98
    # The receiver reported every drop except those after its last arrival.
    assert res.dropped_packets - 20 <= res.reported_lost <= res.dropped_packets


def test_sim_capacity_change_is_exact() -> None:
    s = Schedule(((0.0, 1_000_000.0), (10.0, 500_000.0)))
    # 1250 bytes = 10000 bits: 5 ms at 1 Mbit/s (5000 bits) then 10 ms at 0.5 Mbit/s.
    assert s.finish_ms(5.0, 1250) == pytest.approx(20.0)
