"""The cbcs audio send path: one loop-clocked 20 ms tick encodes with libopus inline and
sends RTP itself (with RED and transport-wide sequence numbers when negotiated).

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
import time
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from cbcs.media import rtp
from cbcs.rtc.media import Fill, mono_ms, wall_ms
from cbcs.rtc.opus import OpusEncoder

FRAME = 960
#: Seconds from the NTP epoch (1900) to the Unix epoch (1970).
_NTP_UNIX = 2_208_988_800


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
    """Encodes and sends one 20 ms frame per :meth:`tick` through ``send(packet)``.

    With ``red_pt`` set, each Opus payload goes out in a RED packet together with the
    previous ``red_depth`` ones. With ``transport_cc_id`` set, every packet carries a
    transport-wide sequence number and ``on_sent(seq, size, send_ms)`` is told of it (for
    congestion control). ``mid_id`` adds the BUNDLE mid, as browsers do.
    """

    def __init__(self, sender: Any, encoder: OpusEncoder, fill: Fill, *,
                 payload_type: int, send: Callable[[bytes], None]) -> None:
        self.sender = sender
        self.encoder = encoder
        self.fill = fill
        self.payload_type = payload_type
        self.send = send
        self.red_pt: int | None = None
        self.red_depth = 1
        self.transport_cc_id: int | None = None
        self.mid_id: int | None = None
        self.on_sent: Callable[[int, int, float], None] | None = None
        self._ssrc: int = sender._ssrc
        self._mid = str(getattr(sender, "_RTCRtpSender__mid", None) or "").encode()
        self._seq = random.randint(0, 0xFFFF)
        self._ts0 = random.randint(0, 0xFFFFFFFF)
        self._samples = 0
        self._tseq = 1
        self._recent: list[tuple[int, bytes]] = []  # (timestamp, opus) for RED
        self.packets = 0
        self.bytes = 0
        self.errors = 0
        self._window: list[tuple[float, int]] = []  # (loop time, bytes), the last ~2 s
        self._ext_key: tuple[int | None, int | None] | None = None
        self._ext_head = self._ext_tail = self._ext_block = b""

    def bitrate_bps(self) -> float:
        """What went on the wire over the last ~2 s (RTP headers included, not UDP/IP)."""
        if len(self._window) < 2:
            return 0.0
        span = self._window[-1][0] - self._window[0][0]
        return 8.0 * sum(b for _, b in self._window[1:]) / span if span > 0 else 0.0

    def _extensions(self, tseq: int) -> bytes:
        """The header extension block: built once, then only the two bytes of the
        transport-wide sequence number (the last element) change per packet."""
        key = (self.mid_id, self.transport_cc_id)
        if key != self._ext_key:
            elements = []
            if self.mid_id is not None and self._mid:
                elements.append((self.mid_id, self._mid))
            if self.transport_cc_id is not None:
                elements.append((self.transport_cc_id, b"\0\0"))
            block = rtp.build_extensions(elements) if elements else b""
            at = sum(1 + len(d) for _, d in elements) - 2  # where the sequence number goes
            self._ext_key, self._ext_head, self._ext_tail = key, block[:at], block[at + 2:]
            self._ext_block = block
        if self.transport_cc_id is None:
            return self._ext_block
        return self._ext_head + (tseq & 0xFFFF).to_bytes(2, "big") + self._ext_tail

    def tick(self) -> None:
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
        tseq = None
        extension = self._extensions(self._tseq)
        if self.transport_cc_id is not None:
            tseq = self._tseq
        data = rtp.build(pt, self._seq, ts, self._ssrc, body, marker=self.packets == 0,
                         extension_profile=0xBEDE if extension else None, extension=extension)
        try:
            self.send(data)
        except ConnectionError:
            return  # not connected yet, or gone: nothing to count
        if tseq is not None:
            self._tseq += 1
        self._seq = (self._seq + 1) & 0xFFFF
        self.packets += 1
        self.bytes += len(data)
        now_ms = mono_ms()
        self._window.append((now_ms / 1000.0, len(data)))
        if self._window[0][0] < now_ms / 1000.0 - 2.0:
            del self._window[:1]
        if tseq is not None and self.on_sent is not None:
            self.on_sent(tseq, len(data), now_ms)
        # keep aiortc's sender state current: its sender reports (and so RTT) read these
        s = self.sender
        s._RTCRtpSender__ntp_timestamp = ntp_now()
        s._RTCRtpSender__rtp_timestamp = ts
        s._RTCRtpSender__octet_count += len(body)
        s._RTCRtpSender__packet_count += 1
