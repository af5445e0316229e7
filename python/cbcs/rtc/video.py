"""Video between the legs of a call, forwarded packet by packet (no decode, no transcode).

Each leg's peer negotiates video (VP8 preferred, H.264 when an offer has no VP8) with a real
sending SSRC of its own but encodes nothing: it exposes a :class:`VideoPort` (the stream
parameters its answer agreed, a way to send protected RTP/RTCP on the leg, and two hooks
for what the leg receives). The call's :class:`VideoForwarder` connects the ports:

- every RTP packet received on leg A's video is rewritten for each leg B that watches A
  (:class:`Rewriter`): B's SSRC and payload type, B's header-extension ids (the mid set to
  B's, abs-send-time to the node's send time, transport-wide sequence numbers dropped, as
  they number another transport's packets), sequence numbers and timestamps continuous
  across a change of sender, A's retransmissions (RTX) unwrapped, padding-only probes
  dropped. A new sender is forwarded from its next keyframe on, which is asked for at
  once. B's own DTLS-SRTP session protects what is sent on B.
- keyframe requests (RTCP PLI, FIR) from B go to A as a PLI for A's media SSRC (at most one
  per :data:`PLI_INTERVAL_MS`); NACKs from B are answered from the last
  :data:`HISTORY_PACKETS` packets forwarded to B (as RTX when B negotiated it); losses
  between A and the node are repaired by the node's own receive side, which NACKs A as
  aiortc does (once, when it sees the gap); the forwarder NACKs a packet still missing
  again every :data:`RENACK_MS`, and after :data:`GIVE_UP_MS` gives it up and asks A for a
  keyframe (the watchers' browsers would wait seconds before asking themselves). What A
  resends is forwarded like any other packet.
- the node's receive side for A keeps sending A bandwidth feedback (aiortc's REMB),
  capped at the lowest REMB the legs watching A report for the video sent to them
  (``VideoPort.remb_cap_bps``), so A does not send more than the thinnest of those legs
  takes; when the call has transport-wide feedback, A's video packets are reported in it
  too (the peer does that), so A's browser estimates its uplink from its video as well.

Who watches whom (at most one sender per watcher, kept simple): every leg watches the
customer's video, and the customer watches the agent's (the earliest agent leg still on
the call that has video; failing an agent, the earliest other leg with video). Legs whose
codecs differ are not connected. A malformed packet is dropped and counted, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from cbcs.rtc.sdp import ABS_SEND_TIME_URI, MID_URI, TRANSPORT_CC_URI, VideoSection

log = logging.getLogger(__name__)

#: Packets forwarded to a leg kept to answer its NACKs (about 2-4 s of video).
HISTORY_PACKETS = 600
#: At most one keyframe request to a sender per this many ms.
PLI_INTERVAL_MS = 300.0
#: While a watcher waits for a new sender's keyframe, it is asked for again this often.
KEYFRAME_RETRY_MS = 500.0
#: A packet missing from a sender is NACKed again this often (aiortc NACKs it once) ...
RENACK_MS = 200.0
#: ... until it is given up for a keyframe request this long after the gap was seen.
GIVE_UP_MS = 900.0
#: A forward jump of more sequence numbers than this is a restart, not a loss.
MAX_GAP = 200
#: Header extensions never forwarded: they describe the transport or simulcast layer of
#: the leg they came on, not the picture.
NOT_FORWARDED = frozenset({
    TRANSPORT_CC_URI,
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
})


class SilentVideoTrack(MediaStreamTrack):
    """A video track that never yields a frame: it gives a leg's answer a sending SSRC of
    its own (so the browser expects video from the node) while aiortc's sender encodes
    nothing; the node sends the forwarded packets itself."""

    kind = "video"

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        await asyncio.get_running_loop().create_future()  # until the sender is stopped
        raise MediaStreamError  # pragma: no cover - the future never completes


@dataclass
class VideoPort:
    """One leg's video as the forwarder sees it.

    ``section``: what the leg's answer agreed (payload types, extension ids, our SSRCs);
    ``send(packet)``: protect and send one RTP or RTCP packet on the leg (raises
    ConnectionError when it cannot); ``sent(rtp_timestamp, payload_size)``: account one
    RTP packet sent, for the leg's sender reports. The forwarder sets ``on_rtp(packet,
    arrival_ms)`` (each decrypted RTP packet of the leg's video) and ``on_rtcp(data)``
    (each decrypted RTCP compound the leg receives) and ``remb_cap_bps`` (the most the
    legs watching this one take, by their REMB; None: no limit known), which the leg's
    peer applies to the bandwidth feedback it sends the party."""

    section: VideoSection
    send: Callable[[bytes], None]
    sent: Callable[[int, int], None] = lambda ts, size: None
    on_rtp: Callable[[bytes, float], None] | None = None
    on_rtcp: Callable[[bytes], None] | None = None
    remb_cap_bps: float | None = None

    def capped(self, bitrate_bps: int) -> int:
        """``bitrate_bps`` (the node's own estimate of the party's uplink) within
        ``remb_cap_bps``."""
        cap = self.remb_cap_bps
        return bitrate_bps if cap is None else int(min(bitrate_bps, cap))


@dataclass
class RtpView:
    """The parts of one RTP packet the forwarder rewrites (payload without padding)."""

    marker: bool
    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    csrcs: bytes
    extensions: list[tuple[int, bytes]]
    payload: bytes


def parse_rtp(data: bytes) -> RtpView | None:
    """An RTP packet's fields, or None when it is not a well-formed RTP packet (RFC 3550,
    header extensions of RFC 8285; an extension of another profile is ignored)."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    cc = data[0] & 0x0F
    pos = 12 + 4 * cc
    if len(data) < pos:
        return None
    extensions: list[tuple[int, bytes]] = []
    if data[0] & 0x10:
        if len(data) < pos + 4:
            return None
        profile = int.from_bytes(data[pos:pos + 2], "big")
        size = int.from_bytes(data[pos + 2:pos + 4], "big") * 4
        body = data[pos + 4:pos + 4 + size]
        if len(body) < size:
            return None
        pos += 4 + size
        parsed = _parse_extensions(profile, body)
        if parsed is None:
            return None
        extensions = parsed
    end = len(data)
    if data[0] & 0x20:
        pad = data[-1]
        if pad == 0 or pad > end - pos:
            return None
        end -= pad
    return RtpView(marker=bool(data[1] & 0x80), payload_type=data[1] & 0x7F,
                   sequence_number=int.from_bytes(data[2:4], "big"),
                   timestamp=int.from_bytes(data[4:8], "big"),
                   ssrc=int.from_bytes(data[8:12], "big"), csrcs=data[12:12 + 4 * cc],
                   extensions=extensions, payload=data[pos:end])


def header_extension(data: bytes, ident: int) -> bytes | None:
    """The value of header extension ``ident`` of an RTP packet, read from the header
    alone (so also of an SRTP packet, whose header and extensions are not encrypted), or
    None when it has none or the header is malformed."""
    if len(data) < 12 or data[0] >> 6 != 2 or not data[0] & 0x10:
        return None
    pos = 12 + 4 * (data[0] & 0x0F)
    if len(data) < pos + 4:
        return None
    size = int.from_bytes(data[pos + 2:pos + 4], "big") * 4
    body = data[pos + 4:pos + 4 + size]
    if len(body) < size:
        return None
    elements = _parse_extensions(int.from_bytes(data[pos:pos + 2], "big"), body)
    return next((value for i, value in elements or [] if i == ident), None)


def _parse_extensions(profile: int, body: bytes) -> list[tuple[int, bytes]] | None:
    out: list[tuple[int, bytes]] = []
    i = 0
    if profile == 0xBEDE:       # one-byte headers
        while i < len(body):
            b = body[i]
            if b == 0:
                i += 1
                continue
            ident, length = b >> 4, (b & 0x0F) + 1
            if ident == 15:
                break
            i += 1
            if i + length > len(body):
                return None
            out.append((ident, body[i:i + length]))
            i += length
    elif profile & 0xFFF0 == 0x1000:  # two-byte headers
        while i < len(body):
            ident = body[i]
            if ident == 0:
                i += 1
                continue
            if i + 1 >= len(body):
                return None
            length = body[i + 1]
            i += 2
            if i + length > len(body):
                return None
            out.append((ident, body[i:i + length]))
            i += length
    return out


def _extension_block(elements: list[tuple[int, bytes]],
                     mark: int | None = None) -> tuple[bytes, int]:
    """The header-extension block for ``elements`` (one-byte form when they all fit) and
    the offset in it of the value of element ``mark`` (-1: not there)."""
    if not elements:
        return b"", -1
    one = all(1 <= i <= 14 and 1 <= len(v) <= 16 for i, v in elements)
    body, at = b"", -1
    for i, v in elements:
        head = bytes([(i << 4) | (len(v) - 1)]) if one else bytes([i, len(v)])
        if i == mark and at < 0:
            at = 4 + len(body) + len(head)
        body += head + v
    body += b"\x00" * (-len(body) % 4)
    profile = 0xBEDE if one else 0x1000
    return profile.to_bytes(2, "big") + (len(body) // 4).to_bytes(2, "big") + body, at


def abs_send_time(now_ms: float) -> bytes:
    """The 24-bit abs-send-time value (6.18 fixed-point seconds) of ``now_ms``."""
    return (int(now_ms * 262.144) & 0xFFFFFF).to_bytes(3, "big")


def is_keyframe_start(codec: str, payload: bytes) -> bool:
    """Whether an RTP payload begins a keyframe (VP8: RFC 7741; H.264: an IDR or SPS NAL
    unit, alone, in a STAP-A or at the start of an FU-A, RFC 6184)."""
    if codec == "VP8":
        if not payload:
            return False
        b0, i = payload[0], 1
        if not b0 & 0x10 or b0 & 0x07:       # S bit: start of partition 0
            return False
        if b0 & 0x80:
            if len(payload) < 2:
                return False
            x = payload[1]
            i = 2
            if x & 0x80:                      # PictureID, 7 or 15 bits
                if len(payload) <= i:
                    return False
                i += 2 if payload[i] & 0x80 else 1
            if x & 0x40:
                i += 1
            if x & 0x30:
                i += 1
        return len(payload) > i and not payload[i] & 0x01   # P bit 0: keyframe
    if codec == "H264":
        if not payload:
            return False
        nal = payload[0] & 0x1F
        if nal in (5, 7):
            return True
        if nal == 24:                         # STAP-A
            i = 1
            while i + 2 < len(payload):
                size = int.from_bytes(payload[i:i + 2], "big")
                if payload[i + 2] & 0x1F in (5, 7):
                    return True
                i += 2 + size
            return False
        if nal == 28 and len(payload) > 1:    # FU-A
            return bool(payload[1] & 0x80) and payload[1] & 0x1F in (5, 7)
    return False


@dataclass
class Counters:
    """What a forwarder did with the packets it saw."""

    forwarded: int = 0
    retransmitted: int = 0
    malformed: int = 0        # not RTP, or an unknown payload type: dropped
    padding: int = 0          # padding-only probes: dropped
    waiting_keyframe: int = 0  # a new sender's packets before its keyframe: dropped
    stale: int = 0            # older than the current sender's first forwarded packet
    send_failed: int = 0
    keyframe_requests: int = 0
    nacks_answered: int = 0
    nacks_missed: int = 0
    renacked: int = 0          # packets missing from a sender, NACKed again
    given_up: int = 0          # ... given up for a keyframe


class Rewriter:
    """Rewrites the packets of one sender at a time for one watching leg (``out``):
    sequence numbers and timestamps continue across a change of sender, and the last
    :data:`HISTORY_PACKETS` rewritten packets are kept for NACKs."""

    def __init__(self, out: VideoSection, seed: int | None = None) -> None:
        rnd = random.Random(seed)
        self.out = out
        self._out_ext = {uri: i for i, uri in out.extensions.items()}
        self.next_seq = rnd.randrange(1 << 16)
        self._last_ts = rnd.randrange(1 << 32)
        self._last_ms: float | None = None
        self._rtx_seq = rnd.randrange(1 << 16)
        self.source: object = None
        self._base_in = 0
        self._seq_offset = 0
        self._ts_offset = 0
        self.waiting = True            # for the current sender's first keyframe
        self.history: OrderedDict[int, tuple[bytes, int]] = OrderedDict()

    def set_source(self, source: object) -> bool:
        """Forward ``source``'s packets (any key naming a sender) from its next keyframe
        on; True when that is a change."""
        if source == self.source:
            return False
        self.source, self.waiting = source, True
        return True

    def rewrite(self, packet: RtpView, in_ext: dict[int, str], now_ms: float) -> bytes | None:
        """The current sender's ``packet`` for ``out`` (its extension ids named by
        ``in_ext``), or None when it is not to be forwarded (before the sender's keyframe,
        or older than its first forwarded packet)."""
        if self.source is None:
            return None
        if self.waiting:
            if not is_keyframe_start(self.out.codec, packet.payload):
                return None
            self.waiting = False
            self._base_in = packet.sequence_number
            self._seq_offset = (self.next_seq - packet.sequence_number) & 0xFFFF
            gap = 1 if self._last_ms is None else max(1, int((now_ms - self._last_ms) * 90))
            self._ts_offset = (self._last_ts + gap - packet.timestamp) & 0xFFFFFFFF
        elif (packet.sequence_number - self._base_in) & 0xFFFF >= 0x8000:
            return None
        seq = (packet.sequence_number + self._seq_offset) & 0xFFFF
        ts = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        if (seq - self.next_seq) & 0xFFFF < 0x8000:
            self.next_seq = (seq + 1) & 0xFFFF
            self._last_ts, self._last_ms = ts, now_ms
        elements: list[tuple[int, bytes]] = []
        for ident, value in packet.extensions:
            uri = in_ext.get(ident)
            out_id = self._out_ext.get(uri) if uri is not None else None
            if uri is None or out_id is None or uri in NOT_FORWARDED:
                continue
            if uri == MID_URI:
                value = self.out.mid.encode()
                if not value:
                    continue
            elif uri == ABS_SEND_TIME_URI:
                value = abs_send_time(now_ms)
            elements.append((out_id, value))
        block, at = _extension_block(elements, self._out_ext.get(ABS_SEND_TIME_URI))
        header = bytes([0x80 | (0x10 if block else 0) | (len(packet.csrcs) // 4),
                        (0x80 if packet.marker else 0) | self.out.payload_type])
        header += seq.to_bytes(2, "big") + ts.to_bytes(4, "big")
        header += self.out.ssrc.to_bytes(4, "big") + packet.csrcs
        abs_at = len(header) + at if at >= 0 else -1
        data = header + block + packet.payload
        self.history[seq] = (data, abs_at)
        if len(self.history) > HISTORY_PACKETS:
            self.history.popitem(last=False)
        return data

    def retransmission(self, seq: int, now_ms: float) -> bytes | None:
        """The packet forwarded with sequence number ``seq`` again (as RTX when ``out``
        negotiated it, with a fresh abs-send-time), or None when it is no longer kept."""
        kept = self.history.get(seq)
        if kept is None:
            return None
        data, abs_at = kept
        if abs_at >= 0:
            data = data[:abs_at] + abs_send_time(now_ms) + data[abs_at + 3:]
        rtx_pt, rtx_ssrc = self.out.rtx_payload_type, self.out.rtx_ssrc
        if rtx_pt is None or not rtx_ssrc:
            return data
        view = parse_rtp(data)
        assert view is not None  # we built it
        header_len = len(data) - len(view.payload)
        out = bytearray(data[:header_len])
        out[1] = (out[1] & 0x80) | rtx_pt
        out[2:4] = self._rtx_seq.to_bytes(2, "big")
        out[8:12] = rtx_ssrc.to_bytes(4, "big")
        self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
        return bytes(out) + seq.to_bytes(2, "big") + view.payload


def rtcp_packets(data: bytes) -> list[bytes]:
    """The packets of a compound RTCP datagram (stops at the first malformed length)."""
    out, pos = [], 0
    while pos + 4 <= len(data):
        length = (int.from_bytes(data[pos + 2:pos + 4], "big") + 1) * 4
        if pos + length > len(data):
            break
        out.append(data[pos:pos + length])
        pos += length
    return out


def nack(sender_ssrc: int, media_ssrc: int, seqs: list[int]) -> bytes:
    """An RTCP generic NACK (RFC 4585 section 6.2.1) for ``seqs``."""
    fci = b""
    todo = sorted(set(s & 0xFFFF for s in seqs))
    while todo:
        pid, blp, rest = todo[0], 0, []
        for s in todo[1:]:
            k = (s - pid - 1) & 0xFFFF
            if k < 16:
                blp |= 1 << k
            else:
                rest.append(s)
        fci += pid.to_bytes(2, "big") + blp.to_bytes(2, "big")
        todo = rest
    return (bytes([0x81, 205]) + (2 + len(fci) // 4).to_bytes(2, "big")
            + (sender_ssrc & 0xFFFFFFFF).to_bytes(4, "big")
            + (media_ssrc & 0xFFFFFFFF).to_bytes(4, "big") + fci)


def pli(sender_ssrc: int, media_ssrc: int) -> bytes:
    """An RTCP Picture Loss Indication (RFC 4585 section 6.3.1)."""
    return (bytes([0x81, 206, 0, 2]) + (sender_ssrc & 0xFFFFFFFF).to_bytes(4, "big")
            + (media_ssrc & 0xFFFFFFFF).to_bytes(4, "big"))


@dataclass
class _Feedback:
    keyframe: bool = False
    nacked: list[int] = field(default_factory=list)
    remb_bps: int | None = None


def parse_feedback(data: bytes, media_ssrc: int) -> _Feedback:
    """The keyframe requests (PLI, FIR), NACKed sequence numbers and REMB (the last) for
    ``media_ssrc`` in an RTCP compound."""
    fb = _Feedback()
    for p in rtcp_packets(data):
        if len(p) < 12:
            continue
        fmt, pt = p[0] & 0x1F, p[1]
        target = int.from_bytes(p[8:12], "big")
        if pt == 206 and fmt == 1 and target == media_ssrc:
            fb.keyframe = True
        elif pt == 206 and fmt == 4:
            for i in range(12, len(p) - 7, 8):
                if int.from_bytes(p[i:i + 4], "big") == media_ssrc:
                    fb.keyframe = True
        elif pt == 206 and fmt == 15 and len(p) >= 20 and p[12:16] == b"REMB":
            count = p[16]
            ssrcs = {int.from_bytes(p[i:i + 4], "big")
                     for i in range(20, min(len(p) - 3, 20 + 4 * count), 4)}
            if media_ssrc in ssrcs:
                mantissa = ((p[17] & 0x03) << 16) | (p[18] << 8) | p[19]
                fb.remb_bps = mantissa << (p[17] >> 2)
        elif pt == 205 and fmt == 1 and target == media_ssrc:
            for i in range(12, len(p) - 3, 4):
                pid = int.from_bytes(p[i:i + 2], "big")
                blp = int.from_bytes(p[i + 2:i + 4], "big")
                fb.nacked.append(pid)
                fb.nacked += [(pid + k + 1) & 0xFFFF for k in range(16) if blp >> k & 1]
    return fb


@dataclass
class _Leg:
    name: str
    role: str
    port: VideoPort
    order: int
    media_ssrc: int = 0        # the SSRC the party sends its video with (seen in packets)
    last_pli_ms: float = -1e9
    rewriter: Rewriter | None = None
    watching: str | None = None
    remb_bps: int | None = None  # what the party reports it can take of what we send it
    max_seq: int | None = None   # the highest sequence number seen from the party
    #: sequence numbers missing from the party: [when the gap was seen, last NACK] (ms)
    holes: dict[int, list[float]] = field(default_factory=dict)


class VideoForwarder:
    """The video of one call (see the module docstring). ``add``/``remove`` legs as they
    join and leave; ``counters`` says what happened to the packets. ``clock()`` gives now
    in ms (the media clock, :func:`cbcs.rtc.media.mono_ms` by default)."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        from cbcs.rtc.media import mono_ms

        self.clock = clock or mono_ms
        self.legs: dict[str, _Leg] = {}
        self.counters = Counters()
        self._order = 0

    def add(self, name: str, role: str, port: VideoPort) -> None:
        """Connect a leg's video (a second ``add`` of a name replaces it)."""
        self.remove(name)
        self._order += 1
        leg = _Leg(name, role, port, self._order)
        leg.rewriter = Rewriter(port.section)
        port.on_rtp = lambda data, arrival_ms: self._received(leg, data)
        port.on_rtcp = lambda data: self._feedback(leg, data)
        self.legs[name] = leg
        self._route()

    def remove(self, name: str) -> None:
        """Disconnect a leg's video (nothing when it has none)."""
        leg = self.legs.pop(name, None)
        if leg is not None:
            leg.port.on_rtp = leg.port.on_rtcp = None
            leg.port.remb_cap_bps = None
            self._route()

    def watching(self, name: str) -> str | None:
        """Whose video the leg ``name`` receives now (None: nobody's)."""
        leg = self.legs.get(name)
        return leg.watching if leg else None

    def source_for(self, name: str) -> str | None:
        """Whose video leg ``name`` should receive: the customer's unless it is the
        customer, else the earliest agent's, else the earliest other leg's (same codec)."""
        me = self.legs[name]
        others = sorted((leg for leg in self.legs.values() if leg.name != name
                         and leg.port.section.codec == me.port.section.codec),
                        key=lambda leg: leg.order)
        for role in ("customer", "agent"):
            for leg in others:
                if leg.role == role:
                    return leg.name
        return others[0].name if others else None

    def _route(self) -> None:
        for leg in self.legs.values():
            source = self.source_for(leg.name)
            if source != leg.watching:
                leg.watching = source
                assert leg.rewriter is not None
                leg.rewriter.set_source(None)
                if source is not None:
                    log.info("video: %s now receives %s's", leg.name, source)
                    self._request_keyframe(self.legs[source], force=True)
        self._cap_senders()

    def _cap_senders(self) -> None:
        """Each sender's REMB cap: the lowest REMB of the legs watching it."""
        for sender in self.legs.values():
            caps = [leg.remb_bps for leg in self.legs.values()
                    if leg.watching == sender.name and leg.remb_bps is not None]
            sender.port.remb_cap_bps = float(min(caps)) if caps else None

    def _received(self, leg: _Leg, data: bytes) -> None:
        try:
            self._forward(leg, data)
        except Exception:  # a bad packet must never reach aiortc's task as an exception
            self.counters.malformed += 1
            log.debug("video: packet from %s dropped", leg.name, exc_info=True)

    def _forward(self, leg: _Leg, data: bytes) -> None:
        packet = parse_rtp(data)
        section = leg.port.section
        if packet is None:
            self.counters.malformed += 1
            return
        if packet.payload_type == section.rtx_payload_type:
            if len(packet.payload) <= 2:
                self.counters.padding += 1
                return
            packet.sequence_number = int.from_bytes(packet.payload[:2], "big")
            packet.payload = packet.payload[2:]
            packet.payload_type = section.payload_type
            if not leg.media_ssrc:
                return
            packet.ssrc = leg.media_ssrc
        elif packet.payload_type != section.payload_type:
            self.counters.malformed += 1
            return
        elif not packet.payload:
            self.counters.padding += 1
            return
        if packet.ssrc != leg.media_ssrc:
            leg.media_ssrc = packet.ssrc   # a new stream from the party: a new sender
            leg.max_seq, leg.holes = None, {}
        source = (leg.name, packet.ssrc)
        now = self.clock()
        if any(out.watching == leg.name for out in self.legs.values()):
            self._repair(leg, packet.sequence_number, now)
        for out in self.legs.values():
            if out.watching != leg.name or out.rewriter is None:
                continue
            rw = out.rewriter
            if rw.set_source(source):
                self._request_keyframe(leg)
            rewritten = rw.rewrite(packet, section.extensions, now)
            if rewritten is None:
                if rw.waiting:
                    self.counters.waiting_keyframe += 1
                    if now - leg.last_pli_ms >= KEYFRAME_RETRY_MS:
                        self._request_keyframe(leg)
                else:
                    self.counters.stale += 1
                continue
            try:
                out.port.send(rewritten)
                out.port.sent(int.from_bytes(rewritten[4:8], "big"), len(packet.payload))
                self.counters.forwarded += 1
            except ConnectionError:
                self.counters.send_failed += 1

    def _repair(self, leg: _Leg, seq: int, now: float) -> None:
        """Keep the party's missing packets (gaps in its sequence numbers): NACK each again
        every RENACK_MS; after GIVE_UP_MS drop it and ask for a keyframe."""
        if leg.max_seq is None:
            leg.max_seq = seq
            return
        ahead = (seq - leg.max_seq) & 0xFFFF
        if 0 < ahead < 0x8000:
            if ahead > MAX_GAP:
                leg.holes.clear()
            else:
                for k in range(1, ahead):
                    leg.holes[(leg.max_seq + k) & 0xFFFF] = [now, now]
            leg.max_seq = seq
        else:
            leg.holes.pop(seq, None)
        due, expired = [], False
        for missing, (seen, last) in list(leg.holes.items()):
            if now - seen >= GIVE_UP_MS:
                del leg.holes[missing]
                expired = True
            elif now - last >= RENACK_MS:
                leg.holes[missing][1] = now
                due.append(missing)
        if due:
            self.counters.renacked += len(due)
            try:
                leg.port.send(nack(leg.port.section.ssrc, leg.media_ssrc, due))
            except ConnectionError:
                self.counters.send_failed += 1
        if expired:
            self.counters.given_up += 1
            self._request_keyframe(leg)

    def _feedback(self, leg: _Leg, data: bytes) -> None:
        try:
            fb = parse_feedback(data, leg.port.section.ssrc)
            if fb.remb_bps is not None:
                leg.remb_bps = fb.remb_bps
                self._cap_senders()
            if fb.keyframe and leg.watching is not None:
                self._request_keyframe(self.legs[leg.watching])
            if fb.nacked and leg.rewriter is not None:
                now = self.clock()
                for seq in fb.nacked:
                    again = leg.rewriter.retransmission(seq, now)
                    if again is None:
                        self.counters.nacks_missed += 1
                        continue
                    self.counters.nacks_answered += 1
                    try:
                        leg.port.send(again)
                        self.counters.retransmitted += 1
                    except ConnectionError:
                        self.counters.send_failed += 1
        except Exception:
            self.counters.malformed += 1
            log.debug("video: feedback from %s dropped", leg.name, exc_info=True)

    def _request_keyframe(self, source: _Leg, force: bool = False) -> None:
        """A PLI to ``source`` for its media SSRC (throttled unless ``force``)."""
        now = self.clock()
        if not source.media_ssrc or (not force and now - source.last_pli_ms < PLI_INTERVAL_MS):
            return
        source.last_pli_ms = now
        try:
            source.port.send(pli(source.port.section.ssrc, source.media_ssrc))
            self.counters.keyframe_requests += 1
        except ConnectionError:
            self.counters.send_failed += 1
