"""RTP wire formats: worked examples from the RFCs byte for byte, and property tests."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbcs import ConfigError
from cbcs.media import rtp

# --- RED (RFC 2198) ---------------------------------------------------------------------


def _red_header(pt: int, offset: int, length: int) -> bytes:
    # F=1 | PT (7) | timestamp offset (14) | block length (10), written out bit by bit.
    return bytes([0x80 | pt]) + ((offset << 10) | length).to_bytes(3, "big")


def test_red_with_one_block_matches_rfc2198_byte_for_byte() -> None:
    built = rtp.build_red([rtp.RedBlock(111, 960, b"\x01\x02\x03")], 111, b"\x04\x05")
    assert built == bytes([0xEF, 0x0F, 0x00, 0x03, 0x6F, 1, 2, 3, 4, 5])
    assert built == _red_header(111, 960, 3) + bytes([111]) + b"\x01\x02\x03" + b"\x04\x05"


def test_red_with_two_blocks_keeps_order_and_offsets() -> None:
    older, old, primary = b"A" * 70, b"B" * 71, b"C" * 72
    built = rtp.build_red([rtp.RedBlock(111, 1920, older), rtp.RedBlock(111, 960, old)], 111, primary)
    expected = (_red_header(111, 1920, 70) + _red_header(111, 960, 71) + bytes([111])
                + older + old + primary)
    assert built == expected
    blocks = rtp.parse_red(built)
    assert blocks is not None
    assert [(b.payload_type, b.timestamp_offset, b.data) for b in blocks] == [
        (111, 1920, older), (111, 960, old), (111, 0, primary)]


def test_a_chrome_red_packet_parses() -> None:
    # What Chrome sends for red/48000/2 (fmtp 111/111): RTP PT 63 with a one-byte header
    # extension (RFC 8285: transport-wide sequence, id 3, 2 bytes), then one redundant Opus
    # frame 20 ms back and the primary. Written from RFC 3550/8285/2198, not by our builder.
    opus_prev, opus_now = bytes(range(40)), bytes(range(100, 157))
    header = struct.pack("!BBHII", 0x90, 63, 4711, 96000, 0x1EEDBEEF)
    extension = b"\xBE\xDE\x00\x01" + bytes([0x31, 0x00, 0x2A, 0x00])
    red = _red_header(111, 960, len(opus_prev)) + bytes([111]) + opus_prev + opus_now
    packet = header + extension + red

    parsed = rtp.parse(packet)
    assert parsed is not None
    assert (parsed.payload_type, parsed.sequence, parsed.timestamp, parsed.ssrc) == (
        63, 4711, 96000, 0x1EEDBEEF)
    assert parsed.extension_profile == 0xBEDE
    blocks = rtp.parse_red(parsed.payload)
    assert blocks is not None
    assert [(b.payload_type, b.timestamp_offset, b.data) for b in blocks] == [
        (111, 960, opus_prev), (111, 0, opus_now)]
    # The first packet of a call has no history: a lone 1-byte primary header.
    first = rtp.parse_red(bytes([111]) + opus_now)
    assert first is not None and [(b.timestamp_offset, b.data) for b in first] == [(0, opus_now)]


@pytest.mark.parametrize(("blocks", "message"), [
    ([rtp.RedBlock(111, 16384, b"x")], "timestamp_offset <= 16383"),
    ([rtp.RedBlock(111, 960, b"x" * 1024)], "at most 1023 bytes"),
])
def test_red_refuses_blocks_the_header_cannot_carry(blocks: list[rtp.RedBlock], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rtp.build_red(blocks, 111, b"p")


@pytest.mark.parametrize("payload", [b"", b"\xEF", b"\xEF\x0F\x00\x03", b"\xEF\x0F\x00\x03\x6F\x01"])
def test_truncated_red_is_none(payload: bytes) -> None:
    assert rtp.parse_red(payload) is None


_block = st.builds(rtp.RedBlock, st.integers(0, 127), st.integers(1, 16383), st.binary(max_size=1023))


@settings(max_examples=200, deadline=None)
@given(st.lists(_block, max_size=8), st.integers(0, 127), st.binary(max_size=1500))
def test_red_build_parse_round_trip(redundant: list[rtp.RedBlock], pt: int, primary: bytes) -> None:
    blocks = rtp.parse_red(rtp.build_red(redundant, pt, primary))
    assert blocks is not None
    got = [(b.payload_type, b.timestamp_offset, b.data) for b in blocks]
    want = [(b.payload_type, b.timestamp_offset, b.data) for b in redundant] + [(pt, 0, primary)]
    assert got == want


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_red_parser_never_crashes_and_stays_in_bounds(data: bytes) -> None:
    blocks = rtp.parse_red(data)
    if blocks is not None:
        headers = 4 * (len(blocks) - 1) + 1
        assert sum(len(b.data) for b in blocks) == len(data) - headers


# --- RTP --------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(pt=st.integers(0, 127), seq=st.integers(0, 65535), ts=st.integers(0, 2**32 - 1),
       ssrc=st.integers(0, 2**32 - 1), payload=st.binary(max_size=300), marker=st.booleans(),
       csrcs=st.lists(st.integers(0, 2**32 - 1), max_size=15),
       ext=st.one_of(st.none(), st.tuples(st.integers(0, 65535), st.binary(max_size=40))),
       padding=st.integers(0, 255))
def test_rtp_build_parse_round_trip(pt: int, seq: int, ts: int, ssrc: int, payload: bytes,
                                    marker: bool, csrcs: list[int],
                                    ext: tuple[int, bytes] | None, padding: int) -> None:
    profile, ext_data = (None, b"") if ext is None else (ext[0], ext[1][: len(ext[1]) // 4 * 4])
    packet = rtp.build(pt, seq, ts, ssrc, payload, marker=marker, csrcs=csrcs,
                       extension_profile=profile, extension=ext_data, padding=padding)
    p = rtp.parse(packet)
    assert p is not None
    assert (p.payload_type, p.sequence, p.timestamp, p.ssrc, p.marker) == (pt, seq, ts, ssrc, marker)
    assert p.csrcs == csrcs and p.payload == payload and p.padding == padding
    assert p.extension_profile == profile and p.extension == ext_data


def test_rtp_fixed_header_layout() -> None:
    packet = rtp.build(111, 0x1234, 0xDEADBEEF, 0x01020304, b"hi", marker=True)
    assert packet == bytes([0x80, 0xEF, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4]) + b"hi"


@pytest.mark.parametrize("data", [b"", b"\x80" * 11, b"\x40" + b"\x00" * 11,
                                  b"\x8F" + b"\x00" * 20, b"\xA0" + b"\x00" * 11 + b"\x05"])
def test_malformed_rtp_is_none(data: bytes) -> None:
    assert rtp.parse(data) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100))
def test_rtp_parser_survives_anything(data: bytes) -> None:
    p = rtp.parse(data)
    if p is not None:
        assert len(p.payload) + p.padding <= len(data) - 12


# --- NACK (RFC 4585) --------------------------------------------------------------------

def test_nack_worked_example() -> None:
    built = rtp.build_nack(0x11223344, 0x55667788, [100, 102, 116, 200])
    # V=2, FMT=1 | PT=205 | length 4 | SSRCs | (PID 100, BLP bits 1 and 15) | (PID 200, 0)
    assert built == bytes.fromhex("81cd0004" "11223344" "55667788" "00648002" "00c80000")
    nack = rtp.parse_nack(built)
    assert nack is not None and nack.lost == [100, 102, 116, 200] and nack.size == 20


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 65535), st.lists(st.integers(1, 40), min_size=0, max_size=60))
def test_nack_round_trip_across_wrap(start: int, gaps: list[int]) -> None:
    lost = [start]
    for g in gaps:
        lost.append((lost[-1] + g) % 65536)
    nack = rtp.parse_nack(rtp.build_nack(1, 2, lost))
    assert nack is not None and nack.lost == lost
    assert (nack.sender_ssrc, nack.media_ssrc) == (1, 2)


def test_non_nack_rtcp_is_none() -> None:
    assert rtp.parse_nack(bytes([0x80, 201, 0, 1, 0, 0, 0, 1])) is None


# --- RTX (RFC 4588) ---------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(st.integers(0, 65535), st.binary(max_size=200), st.integers(0, 65535))
def test_rtx_wrap_unwrap_round_trip(seq: int, payload: bytes, rtx_seq: int) -> None:
    original = rtp.build(111, seq, 48000, 0xAAAA, payload, marker=True, csrcs=[5])
    wrapped = rtp.rtx_wrap(original, 112, 0xBBBB, rtx_seq)
    assert wrapped is not None
    r = rtp.parse(wrapped)
    assert r is not None
    assert (r.payload_type, r.ssrc, r.sequence) == (112, 0xBBBB, rtx_seq)
    assert r.payload[:2] == seq.to_bytes(2, "big") and r.payload[2:] == payload
    assert rtp.rtx_unwrap(wrapped, 111, 0xAAAA) == original


# --- ULPFEC (RFC 5109) ------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(st.integers(0, 65535), st.lists(st.binary(min_size=0, max_size=120), min_size=1, max_size=20),
       st.data())
def test_ulpfec_recovers_any_single_loss(base: int, payloads: list[bytes], data: st.DataObject) -> None:
    packets = [rtp.build(96, (base + i) % 65536, 3000 * i, 0x42, p, marker=i % 2 == 0)
               for i, p in enumerate(payloads)]
    fec = rtp.build_ulpfec(packets)
    header = rtp.parse_ulpfec(fec)
    assert header is not None
    assert header.protected_sequences == [(base + i) % 65536 for i in range(len(packets))]
    lost = data.draw(st.integers(0, len(packets) - 1))
    present = packets[:lost] + packets[lost + 1:]
    assert rtp.recover_ulpfec(fec, present, 0x42) == packets[lost]


def test_ulpfec_cannot_recover_two_losses() -> None:
    packets = [rtp.build(96, i, i, 1, bytes([i]) * 10) for i in range(4)]
    assert rtp.recover_ulpfec(rtp.build_ulpfec(packets), packets[2:], 1) is None




# --- header extension elements (RFC 8285) --------------------------------------------------

def test_transport_sequence_number_found_in_a_chrome_audio_extension_block() -> None:
    # audio level (id 1), transport-cc (id 3) = 300, mid (id 4) = "0", padding
    block = bytes([0x10, 0x8A, 0x31, 0x01, 0x2C, 0x40, ord("0"), 0x00])
    assert rtp.find_extension(0xBEDE, block, 3) == (300).to_bytes(2, "big")
    assert rtp.find_extension(0xBEDE, block, 4) == b"0"
    assert rtp.find_extension(0xBEDE, block, 2) is None
    assert rtp.find_extension(0xBEDE, block[:3], 3) is None  # cut inside the element


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 14), st.binary(min_size=1, max_size=16)),
                max_size=6, unique_by=lambda e: e[0]))
def test_extension_blocks_round_trip(elements: list[tuple[int, bytes]]) -> None:
    block = rtp.build_extensions(elements)
    assert len(block) % 4 == 0
    for ext_id, data in elements:
        assert rtp.find_extension(0xBEDE, block, ext_id) == data
    packet = rtp.parse(rtp.build(111, 1, 2, 3, b"x", extension_profile=0xBEDE, extension=block))
    assert packet is not None and packet.extension == block


def test_extension_elements_the_one_byte_form_cannot_carry_are_refused() -> None:
    with pytest.raises(ConfigError, match="ids 1..14"):
        rtp.build_extensions([(15, b"x")])
    with pytest.raises(ConfigError, match="1..16 bytes"):
        rtp.build_extensions([(1, bytes(17))])
