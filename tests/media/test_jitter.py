"""cbcs.media.JitterBuffer: API contract, bad input, and behaviour on simulated networks."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from cbcs import ConfigError, _core
from cbcs.media import JitterBuffer, JitterStats, Playout, PlayoutKind, PutStatus

sys.path.insert(0, str(Path(__file__).parent))
import jitter_sim  # noqa: E402


def tone(n: int, start: int, rate: int = 16000, freq: float = 220.0) -> np.ndarray:
    t = (start + np.arange(n)) / rate
    return (6000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def feed_regular(jb: JitterBuffer, packets: int, rate: int = 16000, delay: float = 40.0) -> list[Playout]:
    spp = rate // 50
    out = []
    k = 0
    for step in range(packets * 2 + 30):
        now = step * 10.0
        while k < packets and k * 20.0 + delay <= now:
            assert jb.put(k, k * spp, tone(spp, k * spp, rate), k * 20.0 + delay) is PutStatus.OK
            k += 1
        p = jb.get(now)
        out.append(Playout(p.pcm.copy(), p.timestamp, p.source_samples, p.kind, p.target_delay_ms))
    return out


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
def test_get_returns_one_10ms_block_of_the_received_audio(rate: int) -> None:
    jb = JitterBuffer(rate)
    blocks = feed_regular(jb, 50, rate)
    assert all(p.pcm.dtype == np.int16 and p.pcm.shape == (rate // 100,) for p in blocks)
    normal = [p for p in blocks if p.kind is PlayoutKind.NORMAL]
    assert len(normal) > 60
    for p in normal:
        assert p.timestamp is not None
        np.testing.assert_array_equal(p.pcm, tone(rate // 100, p.timestamp, rate))
        assert p.source_samples == rate // 100
    assert blocks[0].kind is PlayoutKind.SILENCE and blocks[0].timestamp is None
    st = jb.stats()
    assert isinstance(st, JitterStats)
    assert st.packets_received == 50 and st.lost_packets == 0 and st.late_packets == 0
    assert st.kind_counts["normal"] == len(normal)
    assert set(st.kind_counts) == {k.value for k in PlayoutKind}


def test_pcm_is_a_read_only_view_reused_by_the_next_get() -> None:
    jb = JitterBuffer(16000)
    jb.put(0, 0, tone(320, 0), 0.0)
    a = jb.get(0.0).pcm
    b = jb.get(10.0).pcm
    assert a is b  # one view over the buffer's block: copy to keep a block
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0] = 1


def test_kinds_and_statuses_are_str_enums() -> None:
    assert PlayoutKind.PREEMPTIVE_EXPAND == "preemptive_expand"
    assert {s.value for s in PutStatus} == {"ok", "duplicate", "late", "invalid", "overflow"}
    jb = JitterBuffer()
    assert isinstance(jb.get(0.0).kind, PlayoutKind)


@pytest.mark.parametrize("kwargs", [
    {"sample_rate": 44100},
    {"sample_rate": 16000.0},
    {"sample_rate": True},
    {"max_delay_ms": 20},
    {"min_delay_ms": -1},
    {"min_delay_ms": 500, "max_delay_ms": 200},
    {"quantile": 1.5},
    {"forget_ms": 0.0},
])
def test_bad_configuration_is_a_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        JitterBuffer(**kwargs)  # type: ignore[arg-type]


def test_config_error_says_what_was_expected() -> None:
    with pytest.raises(ConfigError, match="sample_rate: expected one of 8000, 16000, 48000, got 44100"):
        JitterBuffer(44100)


GOOD = tone(320, 0)


@pytest.mark.parametrize(("seq", "ts", "pcm", "arrival"), [
    (0, 0, GOOD.astype(np.float32), 0.0),          # wrong dtype: no silent conversion
    (0, 0, GOOD.astype(np.int32), 0.0),
    (0, 0, GOOD.reshape(2, 160), 0.0),             # wrong shape
    (0, 0, GOOD[::2], 0.0),                        # not contiguous
    (0, 0, GOOD[:100], 0.0),                       # not a multiple of 10 ms
    (0, 0, np.zeros(16000 * 70 // 1000, np.int16), 0.0),  # longer than 60 ms
    (0, 0, np.zeros(0, np.int16), 0.0),
    (0, 0, list(GOOD), 0.0),                       # not an array
    (-1, 0, GOOD, 0.0),
    (65536, 0, GOOD, 0.0),
    (0, -1, GOOD, 0.0),
    (0, 2**32, GOOD, 0.0),
    (0, 2**80, GOOD, 0.0),
    (0, 0, GOOD, math.nan),
    (0, 0, GOOD, math.inf),
    (0, 0, GOOD, -1.0),
    (0, 0, GOOD, 1e300),
    ("0", 0, GOOD, 0.0),
    (0, 0, GOOD, "now"),
    (0, 0, None, 0.0),
])
def test_bad_packets_are_counted_not_raised(seq: object, ts: object, pcm: object,
                                            arrival: object) -> None:
    jb = JitterBuffer(16000)
    assert jb.put(seq, ts, pcm, arrival) is PutStatus.INVALID  # type: ignore[arg-type]
    assert jb.stats().invalid_packets == 1
    assert jb.get(0.0).kind is PlayoutKind.SILENCE


def test_duplicate_and_late_statuses() -> None:
    jb = JitterBuffer(16000)
    assert jb.put(7, 7 * 320, GOOD, 0.0) is PutStatus.OK
    assert jb.put(7, 7 * 320, GOOD, 1.0) is PutStatus.DUPLICATE
    for i in range(100):
        jb.get(i * 10.0)
    # Packets 8, 9 never came; 10 came and was played; 8 shows up now: late.
    assert jb.put(10, 10 * 320, GOOD, 40.0) in (PutStatus.OK, PutStatus.LATE)
    for i in range(100, 120):
        jb.get(i * 10.0)
    assert jb.put(8, 8 * 320, GOOD, 1200.0) is PutStatus.LATE
    st = jb.stats()
    assert st.duplicate_packets == 1 and st.late_packets >= 1


def test_numpy_integer_and_float_arguments_are_fine() -> None:
    jb = JitterBuffer(np.int64(16000))  # type: ignore[arg-type]
    assert jb.put(np.uint16(3), np.uint32(960), GOOD, np.float64(5.0)) is PutStatus.OK  # type: ignore[arg-type]
    assert jb.put(4, 1280, GOOD, 25) is PutStatus.OK


def test_target_delay_is_on_every_block_and_in_stats() -> None:
    jb = JitterBuffer(16000)
    blocks = feed_regular(jb, 30)
    assert blocks[-1].target_delay_ms == pytest.approx(jb.target_delay_ms())
    assert jb.stats().target_delay_ms == pytest.approx(jb.target_delay_ms())


def test_steady_state_allocates_nothing() -> None:
    jb = JitterBuffer(16000)
    rng = np.random.default_rng(1)
    pcm = [tone(320, i * 320) for i in range(50)]

    def run(a: int, b: int) -> None:
        for i in range(a, b):
            if i % 13 != 5:
                jb.put(i & 0xFFFF, (i * 320) & 0xFFFFFFFF, pcm[i % 50], i * 20.0 + 60 + abs(rng.normal(0, 15)))
            jb.get(i * 20.0)
            jb.get(i * 20.0 + 10)

    run(0, 300)
    before = _core.allocation_count()
    run(300, 3000)
    assert _core.allocation_count() - before == 0


@pytest.mark.parametrize("kind", ["gauss", "spike", "ge", "gauss+ge", "spike+ge"])
def test_delay_close_to_the_hindsight_oracle(kind: str) -> None:
    # The bound: mean playout delay <= max(oracle + 20, 1.15 * oracle), at most
    # 0.5 points of frames not played beyond network loss.
    r = jitter_sim.run(jitter_sim.make_trace(kind, seed=11, seconds=30))
    assert r.mean_delay <= max(r.oracle + 20.0, 1.15 * r.oracle), r
    assert r.not_played_pp <= 0.5


def test_target_returns_after_a_single_spike_within_ten_seconds() -> None:
    n = 2000
    send = np.arange(n) * 20.0 + 1000.0
    d = 80.0 + np.abs(np.random.default_rng(2).normal(0, 3, n))
    extra = np.clip(400.0 - (np.arange(n) - 1000) * 20.0, 0, None) * (np.arange(n) >= 1000)
    arrival = np.maximum.accumulate(send + np.maximum(d, 80.0 + extra))
    r = jitter_sim.run(jitter_sim.Trace(send, arrival))
    tm = r.times
    spike_t = send[1000]
    before = np.median(r.target[(tm > spike_t - 5000) & (tm < spike_t - 100)])
    assert r.target[(tm > spike_t) & (tm < spike_t + 1000)].max() > before + 100  # reacts within 1 s
    off = tm[(tm > spike_t) & (np.abs(r.target - before) > 20.0)]
    assert off.max() - spike_t < 10000.0


def test_concealment_beats_zero_fill_under_bursty_loss() -> None:
    pytest.importorskip("pesq")
    pytest.importorskip("soundfile")
    clips = sorted(Path(jitter_sim.AUDIO_DIR, "speech").glob("*.wav"))
    if not clips:
        pytest.skip("speech clips not available")
    gains = []
    for i, clip in enumerate(clips):
        for seed in (100 + i, 200 + i):  # two loss patterns per clip: single runs vary a lot
            ours, zero_fill = jitter_sim.listen_under_loss(str(clip), seed=seed)
            gains.append(ours - zero_fill)
    # Issue 2: PESQ-WB at least 0.3 above zero-filling lost frames (mean over the runs).
    assert float(np.mean(gains)) >= 0.3, gains
