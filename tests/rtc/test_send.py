"""The cbcs audio send path: packets framed by the core as a browser expects them."""

from __future__ import annotations

import numpy as np

from cbcs.media import rtp
from cbcs.rtc.media import silence
from cbcs.rtc.opus import OpusEncoder
from cbcs.rtc.send import AudioSender


class _AiortcSender:
    """The attributes of aiortc's RTCRtpSender that AudioSender keeps current."""

    _ssrc = 0x11223344
    _RTCRtpSender__mid = "0"
    _RTCRtpSender__ntp_timestamp = 0
    _RTCRtpSender__rtp_timestamp = 0
    _RTCRtpSender__octet_count = 0
    _RTCRtpSender__packet_count = 0


def test_packets_carry_mid_transport_sequence_and_red_as_negotiated() -> None:
    sent: list[bytes] = []
    told: list[tuple[int, int]] = []
    sender = AudioSender(_AiortcSender(), OpusEncoder(32000), silence, payload_type=111,
                         send=sent.append)
    sender.set_red(63, 2)
    sender.set_extensions(4, 3)
    sender.on_sent = lambda seq, size, ms: told.append((seq, size, ms))
    for i in range(70):  # 1.4 s of audio
        sender.tick(1000.0 + 20 * i, 1.7e12 + 20 * i)
    packets = [rtp.parse(p) for p in sent]
    assert all(p is not None for p in packets)
    tseqs = []
    for p in packets:
        assert p is not None and p.payload_type == 63 and p.ssrc == 0x11223344
        assert p.extension_profile == 0xBEDE
        assert rtp.find_extension(0xBEDE, p.extension, 4) == b"0"
        tseq = rtp.find_extension(0xBEDE, p.extension, 3)
        assert tseq is not None
        tseqs.append(int.from_bytes(tseq, "big"))
    assert tseqs == list(range(1, len(sent) + 1))
    assert [s for s, _, _ in told] == tseqs and [n for _, n, _ in told] == [len(p) for p in sent]
    assert [t for _, _, t in told] == [1000.0 + 20 * i for i in range(70)]  # the ticks' times
    seqs = np.diff([p.sequence for p in packets if p is not None]) % 65536
    assert set(seqs.tolist()) == {1}
    blocks = rtp.parse_red(packets[-1].payload if packets[-1] else b"")
    assert blocks is not None and [b.timestamp_offset for b in blocks] == [1920, 960, 0]


def test_without_extensions_negotiated_packets_have_none() -> None:
    sent: list[bytes] = []
    sender = AudioSender(_AiortcSender(), OpusEncoder(32000), silence, payload_type=111,
                         send=sent.append)
    sender.tick(0.0, 1.7e12)
    p = rtp.parse(sent[0])
    assert p is not None and p.extension_profile is None and p.payload_type == 111 and p.marker


def test_a_send_that_fails_is_not_counted() -> None:
    def refuse(packet: bytes) -> None:
        raise ConnectionError("not connected")

    sender = AudioSender(_AiortcSender(), OpusEncoder(32000), silence, payload_type=111,
                         send=refuse)
    sender.set_extensions(None, 3)
    sender.tick(0.0, 1.7e12)
    assert sender.packets == 0 and sender._tseq == 1
