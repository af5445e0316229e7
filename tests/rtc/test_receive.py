"""The cbcs receive path (Opus per packet into the core's jitter buffer, RED and in-band FEC
recovery) on real speech, with losses chosen by the test."""

from __future__ import annotations


import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from cbcs.media import JitterBuffer, rtp, samples
from cbcs.rtc.opus import OpusEncoder
from cbcs.rtc.receive import JitterBufferReceiver, SequenceGuard

SPEECH = samples.speech_path("en_pesq_speech")


def speech_frames(seconds: float = 3.0) -> list[np.ndarray]:
    x, rate = sf.read(SPEECH, dtype="int16")
    y = np.clip(resample_poly(x[: int(seconds * rate)].astype(float), 48000 // rate, 1),
                -32768, 32767).astype(np.int16)
    return [y[i * 960:(i + 1) * 960] for i in range(len(y) // 960)]


def run(lost: set[int], *, red_depth: int) -> tuple[JitterBufferReceiver, list[str]]:
    """Send real speech as 20 ms packets every 20 ms (no jitter), drop ``lost``, play out."""
    enc = OpusEncoder(32000, fec=True, expected_loss_percent=20)
    played: list[str] = []
    rx = JitterBufferReceiver(JitterBuffer(sample_rate=48000),
                              lambda pcm, kind, wall: played.append(kind), opus_pt=111,
                              red_pt=63 if red_depth else None)
    history: list[tuple[int, bytes]] = []
    seq0, ts0 = 65530, 2**32 - 960 * 5  # both wrap during the test
    t = 0.0
    frames = speech_frames()
    for i, pcm in enumerate(frames):
        payload = enc.encode(pcm)
        ts = (ts0 + i * 960) & 0xFFFFFFFF
        if red_depth:
            blocks = [rtp.RedBlock(111, (ts - hts) & 0xFFFFFFFF, p)
                      for hts, p in history[-red_depth:]]
            body, pt = rtp.build_red(blocks, 111, payload), 63
        else:
            body, pt = payload, 111
        history.append((ts, payload))
        if i not in lost:
            rx.on_rtp((seq0 + i) & 0xFFFF, ts, pt, body, t + 60.0)
        # two 10 ms playout blocks per 20 ms packet
        rx.play_block(t, t)
        rx.play_block(t + 10.0, t + 10.0)
        t += 20.0
    return rx, played


@pytest.mark.parametrize("red_depth,lost,recovered", [
    (0, {40, 80, 120}, 0),            # nothing to recover from but FEC
    (1, {40, 80, 120}, 3),            # single losses: RED 1 recovers each
    (1, {40, 41, 80, 81}, 2),         # pairs: RED 1 recovers the later one of each
    (2, {40, 41, 80, 81}, 4),         # RED 2 recovers both
    (2, {40, 41, 42, 100}, 3),        # a burst of three: the oldest is out of reach
])
def test_red_recovers_what_its_depth_allows(red_depth: int, lost: set[int],
                                            recovered: int) -> None:
    rx, played = run(lost, red_depth=red_depth)
    c = rx.counters
    assert c.recovered_red == recovered
    expected, on_wire_lost = rx.loss_before_recovery()
    assert on_wire_lost == len(lost)
    # what was neither received nor recovered is concealed, and not much more than that
    unrecovered_ms = 20 * (len(lost) - c.recovered_red - c.recovered_fec)
    concealed = sum(k in ("expand", "comfort_noise") for k in played[:-10])  # not the tail
    assert concealed * 10 <= unrecovered_ms + 40
    if unrecovered_ms:
        assert concealed > 0


def test_fec_rebuilds_single_losses_without_red() -> None:
    rx, _ = run({30, 60, 90, 120}, red_depth=0)
    assert rx.counters.recovered_fec >= 2  # speech frames carry LBRR at 20 % expected loss


def test_garbage_payloads_are_counted_not_raised() -> None:
    rx = JitterBufferReceiver(JitterBuffer(sample_rate=48000), lambda pcm, kind, wall: None,
                              opus_pt=111, red_pt=63)
    for i, (pt, payload) in enumerate([(63, b"\xff" * 7), (63, b""), (111, b"\xfc"),
                                       (99, b"abc"), (63, bytes(range(200)))]):
        rx.on_rtp(i, i * 960, pt, payload, float(i))
    c = rx.counters
    # an undecodable RED payload, an empty one and an unknown payload type at least;
    # (b"\xfc" is a valid empty Opus frame, and random bytes may parse as RED blocks)
    assert c.malformed + c.decode_errors + c.padding >= 3
    assert c.packets_received == 5


def test_whole_packets_report_transport_seq_and_strays_are_held_back() -> None:
    enc = OpusEncoder(32000)
    rx = JitterBufferReceiver(JitterBuffer(sample_rate=48000), lambda pcm, kind, wall: None,
                              opus_pt=111, red_pt=63, transport_cc_id=5)
    frames = speech_frames(1.0)

    def packet(seq: int, i: int) -> bytes:
        ext = rtp.build_extensions([(5, (1000 + i).to_bytes(2, "big"))])
        return rtp.build(111, seq, i * 960, 0xABCD, enc.encode(frames[i]),
                         extension_profile=0xBEDE, extension=ext)

    got = [rx.on_packet(packet(500 + i, i), 20.0 * i) for i in range(10)]
    assert got == [(True, 0xABCD, 1000 + i) for i in range(10)]
    assert rx.on_packet(packet(40000, 10), 200.0) == (False, 0xABCD, 1010)  # a stray
    assert rx.on_packet(b"\x00" * 8, 220.0) is None  # not RTP
    c = rx.counters
    assert (c.packets_received, c.malformed, rx.guard_rejected) == (10, 1, 1)
    assert (rx.base_seq, rx.highest_seq, rx.expected()) == (500, 509, 10)


@pytest.mark.parametrize("seqs,accepted", [
    ([1, 2, 3, 4], [True] * 4),
    ([65534, 65535, 0, 1], [True] * 4),                       # wrap
    ([100, 101, 40000, 102, 103], [True, True, False, True, True]),  # one stray
    ([100, 101, 30000, 30001, 30002, 30003, 30004],            # a genuine reset: 4 in a row
     [True, True, False, False, False, True, True]),
])
def test_sequence_guard(seqs: list[int], accepted: list[bool]) -> None:
    g = SequenceGuard()
    assert [g.accept(s) for s in seqs] == accepted
