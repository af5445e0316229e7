"""Transport-wide feedback wire format (property tests against an independent decoder written
from the draft), the feedback generator and the send-side estimator through cbcs.media."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbcs.errors import ConfigError, FrameError
from cbcs.media import FeedbackGenerator, Pacer, SendSideBwe, TransportFeedback


def draft_decode(data: bytes) -> tuple[int, int, list[tuple[int, int | None]]]:
    """A second, deliberately plain decoder written from the draft's text (section 3.1):
    returns (base_seq, reference_ticks, [(seq, arrival_us or None)])."""
    assert data[0] >> 6 == 2 and data[0] & 0x1F == 15 and data[1] == 205
    length = (int.from_bytes(data[2:4], "big") + 1) * 4
    end = length - (data[length - 1] if data[0] & 0x20 else 0)
    base = int.from_bytes(data[12:14], "big")
    count = int.from_bytes(data[14:16], "big")
    ref = int.from_bytes(data[16:19], "big", signed=True)
    symbols: list[int] = []
    pos = 20
    while len(symbols) < count:
        chunk = int.from_bytes(data[pos:pos + 2], "big")
        pos += 2
        if chunk >> 15 == 0:
            symbols += [(chunk >> 13) & 3] * (chunk & 0x1FFF)
        elif (chunk >> 14) & 1 == 0:
            symbols += [(chunk >> (13 - i)) & 1 for i in range(14)]
        else:
            symbols += [(chunk >> (2 * (6 - i))) & 3 for i in range(7)]
    symbols = symbols[:count]
    t = ref * 64_000
    out: list[tuple[int, int | None]] = []
    for i, s in enumerate(symbols):
        if s == 0:
            out.append(((base + i) & 0xFFFF, None))
            continue
        if s == 1:
            delta = data[pos]
            pos += 1
        else:
            delta = int.from_bytes(data[pos:pos + 2], "big", signed=True)
            pos += 2
        t += delta * 250
        out.append(((base + i) & 0xFFFF, t))
    assert pos <= end
    return base, ref, out


arrivals = st.lists(
    st.tuples(st.integers(0, 40), st.integers(-2_000, 70_000)),  # (seq gap, arrival step us)
    min_size=1, max_size=300)


@settings(max_examples=300, deadline=None)
@given(base=st.integers(0, 0xFFFF), ref_us=st.integers(0, 2**40), steps=arrivals)
def test_built_feedback_decodes_by_the_draft_and_round_trips(base: int, ref_us: int,
                                                            steps: list[tuple[int, int]]) -> None:
    received, seq, t = [], base, ref_us
    for gap, dt in steps:
        seq = (seq + gap) & 0xFFFF
        t = max(0, t + dt)
        received.append((seq, t))
        seq = (seq + 1) & 0xFFFF
    try:
        wire = TransportFeedback.build(received, base_seq=base, reference_time_us=ref_us)
    except ConfigError:
        return  # a gap too long for one packet (> 32767 statuses) or a delta beyond 8 s
    assert len(wire) % 4 == 0
    d_base, d_ref, d_packets = draft_decode(wire)
    parsed = TransportFeedback.parse(wire)
    assert parsed.base_seq == d_base == base
    assert parsed.reference_ticks == d_ref
    assert parsed.packets == d_packets
    got = [(s, a) for s, a in d_packets if a is not None]
    assert [s for s, _ in got] == [s for s, _ in received]
    # Arrival times survive to within half a 250 us tick, relative to the 64 ms reference.
    ref_base = ref_us - ref_us % 64_000 - (d_ref * 64_000)
    for (_, a), (_, want) in zip(got, received):
        assert abs(a + ref_base - want) <= 125


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_parser_never_crashes_on_junk(data: bytes) -> None:
    try:
        fb = TransportFeedback.parse(data)
    except FrameError:
        return
    assert len(fb.packets) > 0


def test_worked_example_from_the_draft_fields() -> None:
    # Same packet as the C++ test: wrap, a loss, small, negative (large) delta, padding.
    wire = TransportFeedback.build([(65534, 1_000_000), (0, 1_001_300), (1, 1_000_500)],
                                   reference_time_us=1_000_000, feedback_count=7,
                                   sender_ssrc=0x01020304, media_ssrc=0x05060708)
    assert wire.hex() == "afcd00060102030405060708fffe000400000f07d180a005fffd0002"


@pytest.mark.parametrize("data,reason", [
    (b"", "too short"),
    (bytes([0x81, 205, 0, 4]) + bytes(16), "not a transport-cc"),
    (bytes([0x8F, 205, 0, 5]) + bytes(4) + bytes(4) + bytes([0, 0, 0, 0, 0, 0, 0, 0, 0x60, 0x18, 0, 0]),
     "empty"),
])
def test_parse_rejects_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        TransportFeedback.parse(data)


def test_generator_feedback_drives_the_estimator_down_on_a_slow_link() -> None:
    bwe = SendSideBwe(start_bps=1_000_000, min_bps=50_000, max_bps=2_000_000, initial_probing=False)
    gen = FeedbackGenerator()
    busy, seq, credit, pending = 0.0, 0, 0.0, []
    for step in range(2000):  # 10 s in 5 ms steps over a 300 kbit/s FIFO
        now = step * 5.0
        credit = min(credit + bwe.target_bps * 5 / 8000, 5000)
        while credit >= 1000:
            credit -= 1000
            bwe.on_packet_sent(seq, 1000, now)
            start = max(now, busy)
            if start - now <= 300:
                busy = start + 1000 * 8000 / 300_000
                gen.on_packet(seq, busy + 30)
            seq += 1
        for fb in gen.poll(now):
            pending.append((now + 30, fb))
        for item in [p for p in pending if p[0] <= now]:
            pending.remove(item)
            assert bwe.on_transport_feedback(item[1], now)
    assert bwe.target_bps < 330_000
    assert bwe.stats()["feedbacks"] > 50


def test_config_errors_say_what_was_expected() -> None:
    with pytest.raises(ConfigError, match="min_bps <= start_bps"):
        SendSideBwe(start_bps=10_000, min_bps=50_000)
    with pytest.raises(ConfigError, match="history"):
        FeedbackGenerator(history=1000)
    with pytest.raises(ConfigError, match="kind"):
        Pacer().enqueue(1, 100, "bogus", 0.0)  # type: ignore[arg-type]


def test_on_feedback_takes_python_tuples_with_none_for_lost() -> None:
    bwe = SendSideBwe()
    for s in range(10):
        bwe.on_packet_sent(s, 1200, s * 10.0)
    bwe.on_feedback([(s, None if s == 3 else 60.0 + s * 10) for s in range(10)], 200.0)
    st_ = bwe.stats()
    assert st_["unknown_packets"] == 0
    assert st_["rtt_ms"] > 0


def test_a_standing_queue_of_our_own_is_drained_and_a_five_fold_rise_found() -> None:
    # Capacity 2.5 -> 0.6 -> 3.0 Mbit/s behind a 250 ms drop-tail buffer (simulated time).
    from cbcs.cc_sim.harness import cases, run_case

    case = cases(short=True)["standing-queue"]
    for seed in (1, 2):
        r = run_case(case, "cbcs", seed)
        drop, rise = r.settle_ms
        assert drop <= 2000 and r.qdelay_p95_ms < 100 and r.loss < 0.02
        assert rise <= 8000  # to 85 % of the new capacity, not 8 %/s for 20 s


@pytest.mark.parametrize("name", ["sq-250-av", "sq-150-av-top", "sq-60-av"])
def test_a_paced_audio_video_sender_drains_its_own_full_queue(name: str) -> None:
    # Pacer at 2.5x, feedback every 50 ms, +-25 % frames and 50 kbit/s of audio: the target
    # comes below the new capacity soon after 2.5 -> 0.6 Mbit/s and the queue does not stand.
    from cbcs.cc_sim.harness import cases, run_case

    case = cases(short=True)[name]
    for seed in (1, 2):
        r = run_case(case, "cbcs", seed)
        assert r.target_below_ms is not None and r.target_below_ms <= 2000
        assert r.qdelay_p95_ms < 100 and r.loss < 0.03
        assert r.rise_80_ms is not None and r.rise_80_ms <= 8000
