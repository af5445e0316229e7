"""Tests of cbcs.media.Prosody: pitch, level and rate per turn against the caller's start.

The recorded-speech tests use the read speech in shared/data/audio/speech. No recording of
emotional speech is available here, so "aroused" is simulated the way the issue asks: the
same recording played back faster (resampled: pitch up 4 semitones, tempo up 26 %) and
9 dB louder, after a calm start in the same voice. The clips are 3-9 s long, so the
baseline is 1 s of voiced audio instead of the default 8 s.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from cbcs import _core
from cbcs.errors import ConfigError, FrameError
from cbcs.media import Prosody, ProsodyFrameStatus, ProsodyTurn, ProsodyTurnStatus, samples

# One voice per clip (en_codec2_speech_orig_16k alternates a man and a woman: for it any
# change of speaker is a change of prosody, so it is no test of one caller).
ONE_VOICE = ["de_leopard", "en_librispeech_quilter_leopard", "en_pesq_speech", "en_vctk_p286_011",
             "es_leopard", "fr_leopard", "it_leopard", "ja_leopard", "ko_leopard", "pt_leopard",
             "zh_rhino_out_of_context", "zh_rhino_within_context"]
# Voices near 300 Hz: raised 4 semitones they leave the default 60-400 Hz range.
HIGH_VOICES = ("es_leopard", "zh_rhino_out_of_context", "zh_rhino_within_context")
CALM_DB = -9.0             # the calm start and continuation; the aroused one is 9 dB louder
UP, DOWN = 50, 63          # resampling by 50/63 plays 2^(4/12) = 1.2599 faster: +4.00 semitones


def _clip(name: str) -> npt.NDArray[np.float32]:
    x, rate = sf.read(str(samples.speech_path(name)), dtype="float32")
    assert rate == 16000
    return np.asarray(x, dtype=np.float32)


def _gain(x: npt.NDArray[np.float32], db: float) -> npt.NDArray[np.float32]:
    return (x * np.float32(10 ** (db / 20))).astype(np.float32)


def _raised(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.asarray(resample_poly(x, UP, DOWN), dtype=np.float32)


def _harmonic(f0: float, seconds: float, level_dbfs: float = -20.0) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * 16000)) / 16000.0
    s = sum(np.sin(2 * np.pi * h * f0 * t) / h for h in range(1, int(4000 / f0) + 1))
    return _gain((s / np.sqrt(np.mean(s ** 2))).astype(np.float32), level_dbfs)


def _turn(p: Prosody, x: npt.NDArray[np.float32]) -> ProsodyTurn:
    p.process_buffer(x)
    return p.end_turn()


def _after_calm_start(name: str, continuation: npt.NDArray[np.float32], max_f0_hz: float = 400.0
                      ) -> ProsodyTurn:
    """A new caller's calm start (the clip, quietly, twice over: the shortest clips hold under
    1 s of voiced audio), then one more turn."""
    p = Prosody(baseline_seconds=1.0, max_f0_hz=max_f0_hz)
    start = _turn(p, np.tile(_gain(_clip(name), CALM_DB), 2))
    assert start.baseline_complete, name
    return _turn(p, continuation)


@pytest.mark.parametrize("f0", [120.0, 240.0])
@pytest.mark.parametrize(("frame_ms", "dtype"), [(10, np.float32), (20, np.int16)])
def test_a_harmonic_signal_is_tracked_within_three_percent(f0: float, frame_ms: int, dtype: type) -> None:
    p = Prosody(frame_ms=frame_ms)
    x = _harmonic(f0, 1.0)
    pcm = (x * 32767).astype(np.int16)
    hop = p.frame_samples
    assert hop == 16 * frame_ms
    tracked = [p.process(pcm[i:i + hop]) if dtype is np.int16 else p.process(x[i:i + hop])
               for i in range(0, len(x) - hop + 1, hop)]
    voiced = [f.f0_hz for f in tracked if f.status is ProsodyFrameStatus.VOICED]
    assert len(voiced) >= len(tracked) - 3
    assert max(abs(f / f0 - 1) for f in voiced) < 0.03
    turn = p.end_turn()
    assert turn.status is ProsodyTurnStatus.OK and turn.has_speech
    assert turn.median_f0_hz == pytest.approx(f0, rel=0.03)
    assert turn.energy_dbfs == pytest.approx(-20.0, abs=1.0)


def test_buffer_and_frame_by_frame_agree() -> None:
    x = _clip("en_vctk_p286_011")[:32000]
    a, b = Prosody(), Prosody()
    track = a.process_buffer(x)
    frames = [b.process(x[i:i + 160]) for i in range(0, 32000, 160)]
    assert [ProsodyFrameStatus.VOICED if v else None for v in track.voiced] == \
        [f.status if f.status is ProsodyFrameStatus.VOICED else None for f in frames]
    np.testing.assert_array_equal(track.f0_hz, np.array([f.f0_hz for f in frames], np.float32))
    assert a.end_turn() == b.end_turn()


@pytest.mark.parametrize("name", ONE_VOICE)
def test_raised_pitch_and_level_after_a_calm_start_scores_more_arousal(name: str) -> None:
    x = _clip(name)
    calm = _after_calm_start(name, _gain(x, CALM_DB))
    aroused = _after_calm_start(name, _raised(x))        # +4 semitones, 26 % faster, +9 dB
    louder = _after_calm_start(name, x)                  # +9 dB only
    # +4 semitones and faster only: for a high voice the default range loses the raised
    # pitch (see the test below), so it is followed up to 500 Hz.
    top = 500.0 if name in HIGH_VOICES else 400.0
    higher = _after_calm_start(name, _gain(_raised(x), CALM_DB), top)
    calm_top = _after_calm_start(name, _gain(x, CALM_DB), top)
    assert calm.has_speech and aroused.has_speech
    # A calm recording stays calm ...
    assert calm.arousal < 0.4, calm
    # ... and the manipulated one scores clearly higher, as does each manipulation alone.
    assert aroused.arousal > calm.arousal + 0.2, (calm, aroused)
    assert louder.arousal > calm.arousal + 0.1
    assert higher.arousal > calm_top.arousal + 0.05
    assert aroused.energy_db - calm.energy_db == pytest.approx(9.0, abs=1.5)
    assert aroused.pitch_semitones > calm.pitch_semitones + 1.0


@pytest.mark.parametrize("name", ONE_VOICE)
def test_pitch_raised_by_resampling_reads_four_semitones_higher(name: str) -> None:
    top = 500.0 if name in HIGH_VOICES else 400.0
    x = _clip(name)
    calm = _after_calm_start(name, _gain(x, CALM_DB), top)
    higher = _after_calm_start(name, _gain(_raised(x), CALM_DB), top)
    assert 12 * math.log2(higher.median_f0_hz / calm.median_f0_hz) == pytest.approx(4.0, abs=0.5)


def test_high_voices_raised_above_the_range_need_a_higher_max_f0() -> None:
    # es_leopard (about 320 Hz) raised 4 semitones passes 400 Hz: the default range reads
    # the excess as unvoiced (never an octave down), max_f0_hz=500 follows it.
    x = _clip("es_leopard")
    shifts = {}
    for max_f0 in (400.0, 500.0):
        turns = []
        for second in (_gain(x, CALM_DB), _gain(_raised(x), CALM_DB)):
            p = Prosody(baseline_seconds=1.0, max_f0_hz=max_f0)
            _turn(p, _gain(x, CALM_DB))
            turns.append(_turn(p, second))
        shifts[max_f0] = 12 * math.log2(turns[1].median_f0_hz / turns[0].median_f0_hz)
    assert 0.0 < shifts[400.0] < 3.0
    assert shifts[500.0] == pytest.approx(4.0, abs=0.5)


def test_a_calm_continuation_of_the_same_voice_stays_calm() -> None:
    # First half as the caller's start, the second half (other words) as the next turn.
    for name in ["de_leopard", "en_librispeech_quilter_leopard", "en_vctk_p286_011", "fr_leopard",
                 "it_leopard", "ja_leopard"]:
        x = _gain(_clip(name), CALM_DB)
        p = Prosody(baseline_seconds=1.0)
        assert _turn(p, x[:len(x) // 2]).baseline_complete
        nxt = _turn(p, x[len(x) // 2:])
        assert nxt.has_speech and nxt.arousal < 0.45, (name, nxt)


def test_the_baseline_is_the_callers_start_and_reset_forgets_it() -> None:
    p = Prosody(baseline_seconds=1.0)
    _turn(p, _harmonic(120.0, 2.0, -30.0))
    assert p.baseline_complete and p.baseline_voiced_seconds == pytest.approx(1.0)
    for _ in range(3):  # it does not drift towards later turns
        turn = _turn(p, _harmonic(120.0 * 2 ** (4 / 12), 2.0, -20.0))
        assert turn.pitch_semitones == pytest.approx(4.0, abs=0.2)
        assert turn.energy_db == pytest.approx(10.0, abs=0.5)
        assert turn.arousal > 0.65
    p.reset()
    assert not p.baseline_complete and p.baseline_voiced_seconds == 0.0
    assert _turn(p, _harmonic(151.0, 2.0, -20.0)).pitch_semitones == pytest.approx(0.0, abs=0.2)


def test_silence_and_non_finite_frames_give_a_status() -> None:
    p = Prosody()
    assert p.process(np.zeros(160, np.float32)).status is ProsodyFrameStatus.SILENCE
    for bad in (np.nan, np.inf, -np.inf, 1e30):
        frame = np.full(160, 0.1, np.float32)
        frame[3] = bad
        got = p.process(frame)
        assert got.status is ProsodyFrameStatus.INVALID and math.isfinite(got.energy_dbfs)
    track = p.process_buffer(np.full(1600, np.nan, np.float32))
    assert set(track.status.tolist()) == {3}
    turn = p.end_turn()
    assert turn.status is ProsodyTurnStatus.NO_SPEECH and not turn.has_speech and turn.arousal == 0.0


@pytest.mark.parametrize(("frame", "message"), [
    (np.zeros(320, np.float32), "frame: expected float32[160] or int16[160], got float32[320]"),
    (np.zeros(160, np.float64), "frame: expected float32[160] or int16[160], got float64[160]"),
    (np.zeros((2, 80), np.int16), "frame: expected float32[160] or int16[160], got int16[2, 80]"),
])
def test_wrong_frames_are_typed_errors_never_converted(frame: np.ndarray, message: str) -> None:
    with pytest.raises(FrameError) as info:
        Prosody().process(frame)
    assert str(info.value) == message


def test_wrong_speech_probabilities_are_refused() -> None:
    p = Prosody()
    with pytest.raises(FrameError, match=r"probabilities: expected contiguous float32\[10\] or float32\[0\], "
                                         r"got float64\[10\]"):
        p.process_buffer(np.zeros(1600, np.float32), np.zeros(10, np.float64))
    with pytest.raises(FrameError, match=r"got float32\[9\]"):
        p.process_buffer(np.zeros(1600, np.float32), np.zeros(9, np.float32))
    flagged = p.process_buffer(_harmonic(150.0, 0.1), np.zeros(10, np.float32))
    assert set(flagged.status.tolist()) == {2}  # the caller said: no speech


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sample_rate": 8000}, "sample_rate: expected 16000, got 8000"),
    ({"frame_ms": 30}, "frame_ms: expected 10 or 20, got 30"),
    ({"min_f0_hz": 300.0, "max_f0_hz": 200.0}, "min_f0_hz/max_f0_hz: expected 50 <= min < max <= 500"),
    ({"baseline_seconds": 0.0}, "baseline_seconds: expected 1..120"),
    ({"max_turn_seconds": 1000.0}, "max_turn_seconds: expected 1..600"),
])
def test_bad_settings_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Prosody(**kwargs)  # type: ignore[arg-type]


def test_frames_allocate_nothing_in_the_core() -> None:
    # Per frame, through the binding. (EndTurn is allocation-free in the C++ test; here
    # end_turn's only allocation is the Python object it returns.)
    p = Prosody(baseline_seconds=1.0, max_turn_seconds=2.0)
    x = _clip("fr_leopard")
    frame = np.empty(160, np.float32)
    p._core.process(x[:160])
    before = _core.allocation_count()
    voiced = 0
    for i in range(0, len(x) - 160, 160):
        frame[:] = x[i:i + 160]
        voiced += p._core.process(frame, -1.0)[0] == 0
    assert _core.allocation_count() == before
    assert voiced > 100


def test_arousal_is_the_documented_score() -> None:
    assert Prosody.arousal(0.0, 0.0) == pytest.approx(0.18, abs=0.01)
    assert Prosody.arousal(4.0, 10.0) == pytest.approx(0.79, abs=0.01)
    assert Prosody.arousal(4.0, 10.0, 1.25) > Prosody.arousal(4.0, 10.0)
    assert Prosody.arousal(-4.0, -8.0) < Prosody.arousal(0.0, 0.0)
