"""Congestion control: transport-wide feedback, the send-side estimator, the pacer.

* :class:`TransportFeedback` parses and builds RTCP transport-wide feedback (RTPFB FMT 15,
  draft-holmer-rmcat-transport-wide-cc-extensions-01) byte for byte as Chrome does;
* :class:`FeedbackGenerator` is the receiving side: arrivals in, feedback packets out;
* :class:`SendSideBwe` is a GCC-class send-side estimator (arrival groups, trendline,
  adaptive overuse threshold, AIMD on the acknowledged bitrate, loss-based bound, probing,
  REMB cap);
* :class:`Pacer` sends in 5 ms budgets with a burst limit, audio and retransmissions first,
  and runs probe clusters (padding when media is short).

Time is always passed in (milliseconds on any monotonic clock); nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

from cbcs import _core
from cbcs.errors import ConfigError, FrameError

PacketKind = Literal["audio", "retransmission", "video", "fec"]
SentKind = Literal["audio", "retransmission", "video", "fec", "padding"]

#: Default receiver-side feedback interval, as Chrome's default.
FEEDBACK_INTERVAL_MS = 100.0


@dataclass(frozen=True)
class TransportFeedback:
    """One RTCP transport-wide feedback packet.

    ``packets`` lists ``(transport_seq, arrival_us or None)`` from ``base_seq`` on; arrival
    times are ``reference_ticks * 64 ms`` plus the running sum of the 250 us receive deltas.
    """

    base_seq: int
    reference_ticks: int
    feedback_count: int
    packets: list[tuple[int, int | None]] = field(default_factory=list)
    sender_ssrc: int = 0
    media_ssrc: int = 0
    has_timestamps: bool = True

    @classmethod
    def parse(cls, data: bytes) -> TransportFeedback:
        """Parse one RTCP packet (the first of a compound packet). Raises :class:`FrameError`
        with the reason when it is not a well-formed transport feedback."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise FrameError(f"data: expected bytes, got {type(data).__name__}")
        out = _core.transport_feedback_parse(bytes(data))
        if isinstance(out, str):
            raise FrameError(f"transport feedback: {out}")
        return cls(
            base_seq=out["base_seq"],
            reference_ticks=out["reference_ticks"],
            feedback_count=out["feedback_count"],
            packets=list(out["packets"]),
            sender_ssrc=out["sender_ssrc"],
            media_ssrc=out["media_ssrc"],
            has_timestamps=out["has_timestamps"],
        )

    @staticmethod
    def build(
        received: Sequence[tuple[int, int]],
        *,
        base_seq: int | None = None,
        reference_time_us: int | None = None,
        feedback_count: int = 0,
        sender_ssrc: int = 1,
        media_ssrc: int = 0,
    ) -> bytes:
        """Build a feedback reporting ``received`` ``(transport_seq, arrival_us)`` pairs, in
        sequence order; gaps are reported as not received. ``base_seq`` defaults to the first
        sequence number, ``reference_time_us`` to the first arrival. Raises
        :class:`ConfigError` when the pairs cannot be encoded in one packet."""
        if not received:
            raise ConfigError("received: expected at least one (seq, arrival_us) pair, got none")
        base = received[0][0] if base_seq is None else base_seq
        ref = received[0][1] if reference_time_us is None else reference_time_us
        for name, value, top in (("base_seq", base, 0xFFFF), ("feedback_count", feedback_count, 0xFF),
                                 ("sender_ssrc", sender_ssrc, 0xFFFFFFFF),
                                 ("media_ssrc", media_ssrc, 0xFFFFFFFF)):
            if not 0 <= value <= top:
                raise ConfigError(f"{name}: expected 0..{top}, got {value}")
        out = _core.transport_feedback_build(
            [(int(s), int(t)) for s, t in received], base, int(ref), feedback_count, sender_ssrc,
            media_ssrc)
        if isinstance(out, str):
            raise ConfigError(f"received: cannot encode: {out}")
        return bytes(out)

    def arrivals_ms(self, base_ms: float = 0.0) -> list[tuple[int, float | None]]:
        """``(seq, arrival_ms or None)`` pairs, the shape :meth:`SendSideBwe.on_feedback` takes."""
        return [(s, None if t is None else base_ms + t / 1000.0) for s, t in self.packets]


class FeedbackGenerator:
    """Receiver side of transport-cc: ``on_packet`` for every arrival, ``poll(now_ms)`` returns
    the feedback packets due (every ``interval_ms``; late reordered packets are re-reported)."""

    def __init__(self, *, interval_ms: float = FEEDBACK_INTERVAL_MS, history: int = 8192,
                 max_packets_per_feedback: int = 2048, sender_ssrc: int = 1,
                 media_ssrc: int = 0) -> None:
        self._gen = _core.FeedbackGenerator(
            interval_ms=interval_ms, history=history,
            max_packets_per_feedback=max_packets_per_feedback, sender_ssrc=sender_ssrc,
            media_ssrc=media_ssrc)

    def on_packet(self, transport_seq: int, arrival_ms: float) -> None:
        self._gen.on_packet(transport_seq & 0xFFFF, float(arrival_ms))

    def poll(self, now_ms: float) -> list[bytes]:
        return list(self._gen.poll(float(now_ms)))

    @property
    def next_feedback_ms(self) -> float:
        return float(self._gen.next_feedback_ms)


@dataclass(frozen=True)
class ProbeCluster:
    """A burst the pacer should send at ``bitrate_bps`` to measure capacity."""

    cluster_id: int
    bitrate_bps: float
    min_packets: int
    min_duration_ms: float


class SendSideBwe:
    """Send-side bandwidth estimator driven by transport-wide feedback.

    ``on_packet_sent`` for every packet as it leaves the pacer, ``on_feedback`` (or
    ``on_transport_feedback`` with the RTCP bytes) as reports come back, ``target_bps`` for the
    encoders. Call ``process(now_ms)`` every few tens of ms and hand ``take_probe_clusters()``
    to the :class:`Pacer`.
    """

    def __init__(self, start_bps: float = 300_000, min_bps: float = 30_000,
                 max_bps: float = 5_000_000, *, history: int = 8192, initial_probing: bool = True,
                 periodic_probing: bool = False, probe_interval_ms: float = 5000.0) -> None:
        self._bwe = _core.SendSideBwe(
            start_bps=float(start_bps), min_bps=float(min_bps), max_bps=float(max_bps),
            history=history, initial_probing=initial_probing, periodic_probing=periodic_probing,
            probe_interval_ms=float(probe_interval_ms))

    def on_packet_sent(self, transport_seq: int, size_bytes: int, send_ms: float,
                       probe_cluster: int = -1, probe_min_packets: int = 0) -> None:
        self._bwe.on_packet_sent(transport_seq & 0xFFFF, size_bytes, send_ms, probe_cluster,
                                 probe_min_packets)

    def on_feedback(self, results: list[tuple[int, float | None]], now_ms: float) -> None:
        """``results``: ``(transport_seq, arrival_ms or None for lost)`` in any order."""
        self._bwe.on_feedback(results, float(now_ms))

    def on_transport_feedback(self, rtcp: bytes, now_ms: float) -> bool:
        """Apply one RTCP transport feedback; False (and counted) when it does not parse."""
        return self._bwe.on_transport_feedback(bytes(rtcp), float(now_ms)) == "ok"

    def on_remb(self, bps: float, now_ms: float) -> None:
        """Cap the target at a receiver's REMB value."""
        self._bwe.on_remb(float(bps), float(now_ms))

    def set_application_limited(self, limited: bool) -> None:
        self._bwe.set_application_limited(limited)

    def process(self, now_ms: float) -> None:
        self._bwe.process(float(now_ms))

    def take_probe_clusters(self) -> list[ProbeCluster]:
        return [ProbeCluster(*c) for c in self._bwe.take_probe_clusters()]

    @property
    def target_bps(self) -> float:
        return float(self._bwe.target_bps)

    def stats(self) -> dict[str, float | int | str]:
        return dict(self._bwe.stats())


class Pacer:
    """Sends queued packets in ``interval_ms`` budgets at the pacing rate (unused budget
    carried at most ``burst_ms``): audio, then retransmissions, then video and FEC. Probe
    clusters run at their own rate and are filled with padding when media is short."""

    def __init__(self, *, interval_ms: float = 5.0, burst_ms: float = 10.0,
                 queue_capacity: int = 4096, max_queue_ms: float = 2000.0) -> None:
        self._pacer = _core.Pacer(interval_ms=interval_ms, burst_ms=burst_ms,
                                  queue_capacity=queue_capacity, max_queue_ms=max_queue_ms)

    def set_pacing_rate(self, bps: float) -> None:
        self._pacer.set_pacing_rate(float(bps))

    def enqueue(self, packet_id: int, size_bytes: int, kind: PacketKind, now_ms: float) -> bool:
        """Queue a packet; False when its class queue is full (counted in ``stats``)."""
        return bool(self._pacer.enqueue(packet_id, size_bytes, kind, float(now_ms)))

    def start_probe(self, cluster: ProbeCluster, now_ms: float) -> None:
        self._pacer.start_probe(cluster.cluster_id, cluster.bitrate_bps, cluster.min_packets,
                                cluster.min_duration_ms, float(now_ms))

    def process(self, now_ms: float) -> list[tuple[int, int, SentKind, int, int]]:
        """Packets to send now: ``(packet_id, size, kind, probe_cluster, probe_min_packets)``;
        ``packet_id`` 0 and kind ``padding`` for padding the pacer made up."""
        return list(self._pacer.process(float(now_ms)))

    @property
    def next_process_ms(self) -> float:
        return float(self._pacer.next_process_ms)

    @property
    def queued_bytes(self) -> int:
        return int(self._pacer.queued_bytes)

    def stats(self) -> dict[str, int]:
        return dict(self._pacer.stats())
