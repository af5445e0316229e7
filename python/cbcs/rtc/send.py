"""The cbcs audio send path: one loop-clocked 20 ms tick encodes with libopus inline and
sends RTP itself (with RED and transport-wide sequence numbers when negotiated).

aiortc's sender pulls a track through an asyncio sleep, builds an ``AudioFrame``, hands it
to a thread pool to encode and computes an audio level per frame; for a voice call that is
most of a peer's CPU. Here the sender of the transceiver stays in place for SDP, SR/RR,
RTT and NACK (we keep its counters and history up to date), but its own loop idles on a
track that never yields.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from cbcs.media import rtp
from cbcs.rtc.media import Fill, mono_ms, wall_ms
from cbcs.rtc.opus import OpusEncoder

FRAME = 960
#: Seconds from the NTP epoch (1900) to the Unix epoch (1970).
_NTP_UNIX = 2_208_988_800
#: aiortc keeps this many sent packets for NACK retransmission (its own constant).
HISTORY = 128


def build_red(pt: int, blocks: list[tuple[int, bytes]]) -> bytes:
    """RFC 2198 audio RED built by the core: ``blocks`` are ``(timestamp_offset, data)``
    oldest first, the primary (offset 0) last; every block is of payload type ``pt``."""
    redundant = [rtp.RedBlock(pt, off, data) for off, data in blocks[:-1]]
    return rtp.build_red(redundant, pt, blocks[-1][1])


def ntp_now() -> int:
    """The wall clock as a 64-bit NTP timestamp (what aiortc's ``clock.current_ntp_time``
    gives, without building two datetimes per packet)."""
    return int((time.time() + _NTP_UNIX) * 4294967296.0)


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
    """Encodes and sends one 20 ms frame per :meth:`tick`.

    ``red`` (when set) wraps each Opus payload into a RED packet together with the
    previous ones: ``red(pt_primary, [(ts_offset, payload), ...]) -> bytes``. ``on_sent``
    is told every packet's transport-wide sequence number and size (for congestion control).
    """

    def __init__(self, sender: Any, encoder: OpusEncoder, fill: Fill, *,
                 payload_type: int) -> None:
        self.sender = sender
        self.encoder = encoder
        self.fill = fill
        self.payload_type = payload_type
        self.red_pt: int | None = None
        self.red_depth = 1
        self.transport_cc = False
        self.on_sent: Callable[[int, int, float], None] | None = None
        self._seq = random.randint(0, 0xFFFF)
        self._ts0 = random.randint(0, 0xFFFFFFFF)
        self._samples = 0
        self._tseq = 1
        self._recent: list[tuple[int, bytes]] = []  # (timestamp, opus) for RED
        self.packets = 0
        self.bytes = 0
        self.errors = 0
        self._window: list[tuple[float, int]] = []  # (loop time, bytes), the last ~2 s
        # aiortc's sender keeps these objects for its lifetime: look them up once
        self._history: dict[int, RtpPacket] = self._mangled("rtp_history")
        self._ext_map: Any = self._mangled("rtp_header_extensions_map")

    def bitrate_bps(self) -> float:
        """What went on the wire over the last ~2 s (RTP headers included, not UDP/IP)."""
        if len(self._window) < 2:
            return 0.0
        span = self._window[-1][0] - self._window[0][0]
        return 8.0 * sum(b for _, b in self._window[1:]) / span if span > 0 else 0.0

    def _mangled(self, name: str) -> Any:
        return getattr(self.sender, f"_RTCRtpSender__{name}")

    async def tick(self) -> None:
        """Produce, encode and send the next frame; never raises (a send error is counted)."""
        pcm = self.fill(self._samples, FRAME, wall_ms())
        self._samples += FRAME
        try:
            payload = self.encoder.encode(pcm)
        except Exception:
            self.errors += 1
            return
        ts = (self._ts0 + self._samples - FRAME) & 0xFFFFFFFF
        pt = self.payload_type
        body = payload
        if self.red_pt is not None:
            blocks = [((ts - t) & 0xFFFFFFFF, p) for t, p in self._recent[-self.red_depth:]
                      if 0 < ((ts - t) & 0xFFFFFFFF) < 0x3FFF]
            body = build_red(self.payload_type, blocks + [(0, payload)])
            pt = self.red_pt
            self._recent.append((ts, payload))
            del self._recent[:-self.red_depth]
        packet = RtpPacket(payload_type=pt, sequence_number=self._seq, timestamp=ts,
                           ssrc=self.sender._ssrc, payload=body)
        packet.marker = 1 if self.packets == 0 else 0
        packet.extensions.mid = self._mangled("mid")
        tseq = None
        if self.transport_cc:
            tseq = self._tseq
            packet.extensions.transport_sequence_number = tseq & 0xFFFF
            self._tseq += 1
        data = packet.serialize(self._ext_map)
        try:
            await self.sender.transport._send_rtp(data)
        except ConnectionError:
            return  # not connected yet, or gone: nothing to count
        self._seq = (self._seq + 1) & 0xFFFF
        self.packets += 1
        self.bytes += len(data)
        now_ms = mono_ms()
        self._window.append((now_ms / 1000.0, len(data)))
        if self._window[0][0] < now_ms / 1000.0 - 2.0:
            del self._window[:1]
        if tseq is not None and self.on_sent is not None:
            self.on_sent(tseq, len(data), now_ms)
        # keep aiortc's sender state current: its SR, RTT and NACK handling read these
        self._history[packet.sequence_number % HISTORY] = packet
        s = self.sender
        s._RTCRtpSender__ntp_timestamp = ntp_now()
        s._RTCRtpSender__rtp_timestamp = ts
        s._RTCRtpSender__octet_count += len(body)
        s._RTCRtpSender__packet_count += 1
