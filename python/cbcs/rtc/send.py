"""The cbcs audio send path: one loop-clocked 20 ms tick has the core encode (libopus) and
frame the packet (with RED and transport-wide sequence numbers when negotiated), then sends
it.

aiortc's sender pulls a track through an asyncio sleep, builds an ``AudioFrame``, hands it
to a thread pool to encode and computes an audio level per frame; for a voice call that is
most of a peer's CPU. Here the sender of the transceiver stays in place for SDP, sender
reports and RTT (we keep its counters up to date), but its own loop idles on a track that
never yields. Packets are framed by the core and leave through the fast path
(:mod:`cbcs.rtc.fastpath`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from cbcs import _core
from cbcs.rtc import internals
from cbcs.rtc.media import Fill
from cbcs.rtc.opus import OpusEncoder

FRAME = 960
#: ``shared(bitrate_bps) -> opus payload or None``: a frame encoded once for several legs
Shared = Callable[[int], bytes | None]
#: Seconds from the NTP epoch (1900) to the Unix epoch (1970).
_NTP_UNIX = 2_208_988_800


def ntp_at(wall_ms: float) -> int:
    """A wall-clock time (ms since the epoch) as a 64-bit NTP timestamp (what aiortc's
    ``clock.current_ntp_time`` gives, without building two datetimes per packet)."""
    return int((wall_ms / 1000.0 + _NTP_UNIX) * 4294967296.0)


class IdleAudioTrack(MediaStreamTrack):
    """An audio track that never yields a frame: it parks aiortc's own send loop."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._never: asyncio.Future[None] | None = None

    async def recv(self) -> Any:
        self._never = asyncio.get_running_loop().create_future()
        await self._never
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if self._never is not None and not self._never.done():
            self._never.set_result(None)


class AudioSender:
    """Encodes and sends one 20 ms frame per :meth:`tick` through ``send(packet)``.

    With ``shared``, a frame that several legs hear alike (a room's listeners) is encoded
    once for all of them and only framed here (our own sequence numbers, SSRC and RED).

    The core's ``AudioSender`` encodes and frames each packet with the GIL released. After
    :meth:`set_red`, each Opus payload goes out in a RED packet together with the previous
    ``red_depth`` ones. After :meth:`set_extensions`, every packet carries the BUNDLE mid (as
    browsers do) and a transport-wide sequence number, and ``on_sent(seq, size, send_ms)``
    is told of each (for congestion control).
    """

    def __init__(self, sender: Any, encoder: OpusEncoder, fill: Fill, *,
                 payload_type: int, send: Callable[[bytes], None],
                 shared: Shared | None = None) -> None:
        self.sender = sender
        self.encoder = encoder
        self.fill = fill
        #: one encode shared with other legs: ``shared(bitrate_bps)`` gives this frame's Opus
        #: payload, or None (then ``fill`` and our own encoder make it)
        self.shared = shared
        self.shared_frames = 0
        self.payload_type = payload_type
        self.send = send
        self.on_sent: Callable[[int, int, float], None] | None = None
        self.core: Any = _core.AudioSender(encoder, payload_type, internals.sender_ssrc(sender),
                                           random.randint(0, 0xFFFF),
                                           random.randint(0, 0xFFFFFFFF))
        self._mid = internals.sender_mid(sender).encode()
        self.red_pt: int | None = None
        self.transport_cc_id: int | None = None
        self._samples = 0
        self._tseq = 1
        self.packets = 0
        self.bytes = 0
        self._window: list[tuple[float, int]] = []  # (loop time, bytes), the last ~2 s

    @property
    def errors(self) -> int:
        """Frames the encoder failed on (nothing was sent for them)."""
        return int(self.core.encode_errors)

    def set_red(self, red_pt: int | None, depth: int) -> None:
        """Wrap each payload in RED (payload type ``red_pt``, None: off) with ``depth``
        earlier ones."""
        self.red_pt = red_pt
        self.core.set_red(-1 if red_pt is None else red_pt, depth)

    def set_extensions(self, mid_id: int | None, transport_cc_id: int | None) -> None:
        """The negotiated header extension ids (None: not negotiated)."""
        self.transport_cc_id = transport_cc_id
        self.core.set_extensions(-1 if mid_id is None else mid_id, self._mid,
                                 -1 if transport_cc_id is None else transport_cc_id)

    def bitrate_bps(self) -> float:
        """What went on the wire over the last ~2 s (RTP headers included, not UDP/IP)."""
        if len(self._window) < 2:
            return 0.0
        span = self._window[-1][0] - self._window[0][0]
        return 8.0 * sum(b for _, b in self._window[1:]) / span if span > 0 else 0.0

    def tick(self, now_ms: float, wall: float) -> None:
        """Produce, encode and send the next frame at ``now_ms`` on the media clock
        (:func:`~cbcs.rtc.media.mono_ms`: the send time the estimator is told) and ``wall``
        on the machine clock (:func:`~cbcs.rtc.media.wall_ms`: what ``fill`` and the sender
        reports see); never raises (a send error is counted)."""
        payload = self.shared(self.encoder.bitrate_bps) if self.shared is not None else None
        data: bytes | None
        if payload is not None:
            data = self.core.next_encoded(payload, self._tseq & 0xFFFF)
            self.shared_frames += 1
        else:
            data = self.core.next(self.fill(self._samples, FRAME, wall), self._tseq & 0xFFFF)
        self._samples += FRAME
        if data is None:
            return  # the encoder failed: counted by the core
        try:
            self.send(data)
        except ConnectionError:
            return  # not connected yet, or gone: nothing to count
        core = self.core
        core.sent()
        tseq = None
        if self.transport_cc_id is not None:
            tseq = self._tseq
            self._tseq += 1
        self.packets += 1
        self.bytes += len(data)
        self._window.append((now_ms / 1000.0, len(data)))
        if self._window[0][0] < now_ms / 1000.0 - 2.0:
            del self._window[:1]
        if tseq is not None and self.on_sent is not None:
            self.on_sent(tseq, len(data), now_ms)
        internals.record_sent(self.sender, ntp_at(wall), core.last_timestamp,
                              core.last_payload_size)
