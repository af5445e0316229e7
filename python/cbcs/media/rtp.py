"""RTP wire formats: RTP (RFC 3550) with header extension elements (RFC 8285), audio RED (RFC 2198), generic NACK (RFC 4585),
RTX (RFC 4588) and ULPFEC (RFC 5109).

Parsers take bytes and return ``None`` for malformed input (per-packet calls never raise);
builders raise :class:`cbcs.ConfigError` for what the format cannot carry.

>>> from cbcs.media import rtp
>>> red = rtp.build_red([rtp.RedBlock(111, 960, b"old")], 111, b"new")  # Chrome's red/48000/2
>>> [(b.payload_type, b.timestamp_offset, b.data) for b in rtp.parse_red(red)]
[(111, 960, b'old'), (111, 0, b'new')]
"""

from __future__ import annotations

from collections.abc import Sequence

from cbcs import _core

__all__ = [
    "GenericNack", "RedBlock", "RtpPacket", "UlpfecHeader", "build", "build_nack", "build_red",
    "build_extensions", "build_ulpfec", "find_extension", "parse", "parse_nack", "parse_red", "parse_ulpfec", "recover_ulpfec",
    "rtx_unwrap", "rtx_wrap",
]

RtpPacket = _core.RtpPacket
RedBlock = _core.RedBlock
GenericNack = _core.GenericNack
UlpfecHeader = _core.UlpfecHeader

Bytes = bytes | bytearray | memoryview


def parse(data: Bytes) -> RtpPacket | None:
    """Parse one RTP packet (fields, CSRCs, extension, payload without padding)."""
    return _core.rtp_parse(data)


def build(payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: Bytes, *,
          marker: bool = False, csrcs: Sequence[int] = (), extension_profile: int | None = None,
          extension: Bytes = b"", padding: int = 0) -> bytes:
    """Build one RTP packet; ``extension`` (a multiple of 4 bytes) needs a profile."""
    return _core.rtp_build(payload_type, sequence, timestamp, ssrc, payload, marker,
                           list(csrcs), extension_profile, extension, padding)


def find_extension(profile: int, block: Bytes, id: int) -> bytes | None:
    """The data of header extension element ``id`` (RFC 8285, one- or two-byte form) in a
    packet's extension ``block`` with that ``profile``; None when absent or malformed."""
    return _core.rtp_find_extension(profile, block, id)


def build_extensions(elements: Sequence[tuple[int, bytes]]) -> bytes:
    """``[(id, data), ...]`` as an RFC 8285 one-byte extension block (profile 0xBEDE),
    padded to 32-bit words; ids 1..14, 1..16 bytes each."""
    return _core.rtp_build_extensions(list(elements))


def parse_red(payload: Bytes) -> list[RedBlock] | None:
    """Split a RED payload: redundant blocks in wire order, then the primary (offset 0)."""
    return _core.red_parse(payload)


def build_red(redundant: Sequence[RedBlock], primary_payload_type: int, primary: Bytes) -> bytes:
    """RED payload with the given redundant blocks (oldest first, as Chrome) and primary."""
    return _core.red_build(list(redundant), primary_payload_type, primary)


def parse_nack(data: Bytes) -> GenericNack | None:
    """Parse the first RTCP packet of ``data`` if it is a generic NACK (RTPFB, FMT 1)."""
    return _core.nack_parse(data)


def build_nack(sender_ssrc: int, media_ssrc: int, lost: Sequence[int]) -> bytes:
    """Generic NACK for the lost sequence numbers (in order; near ones share a PID/BLP)."""
    return _core.nack_build(sender_ssrc, media_ssrc, list(lost))


def rtx_wrap(packet: Bytes, rtx_payload_type: int, rtx_ssrc: int, rtx_sequence: int) -> bytes | None:
    """RTX packet (RFC 4588) carrying ``packet``: OSN + original payload."""
    return _core.rtx_wrap(packet, rtx_payload_type, rtx_ssrc, rtx_sequence)


def rtx_unwrap(packet: Bytes, original_payload_type: int, original_ssrc: int) -> bytes | None:
    """The original packet back from an RTX packet."""
    return _core.rtx_unwrap(packet, original_payload_type, original_ssrc)


def build_ulpfec(packets: Sequence[Bytes]) -> bytes:
    """ULPFEC payload (one level, XOR) protecting up to 48 RTP packets of one stream."""
    return _core.ulpfec_build([bytes(p) for p in packets])


def parse_ulpfec(payload: Bytes) -> UlpfecHeader | None:
    """The FEC and level-0 headers of a ULPFEC payload."""
    return _core.ulpfec_parse(payload)


def recover_ulpfec(fec_payload: Bytes, present: Sequence[Bytes], ssrc: int) -> bytes | None:
    """Rebuild the one protected packet missing from ``present``, or ``None``."""
    return _core.ulpfec_recover(fec_payload, [bytes(p) for p in present], ssrc)
