"""Tests of cbcs.media's voice processing: Denoiser, Vad, Agc, Resampler."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbcs import _core
from cbcs.errors import ConfigError, FrameError
from cbcs.media import Agc, Denoiser, Resampler, Vad, samples

AUDIO = samples.audio_dir()


def _speech() -> np.ndarray:
    path = samples.speech_path("en_pesq_speech")
    import soundfile as sf
    x, _ = sf.read(str(path), dtype="float32")
    return np.asarray(x, dtype=np.float32)


def _noise(n: int, rms: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(n) * rms).astype(np.float32)


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20))


@pytest.mark.parametrize(("rate", "frame"), [(16000, 160), (48000, 480)])
@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_frames_come_back_with_the_same_dtype_and_length(rate: int, frame: int, dtype: type) -> None:
    d = Denoiser(rate)
    assert d.frame_samples == frame
    assert d.delay_samples == frame  # one frame: 10 ms
    assert d.delay_ms == 10.0
    out = d.process(np.zeros(frame, dtype=dtype))
    assert out.dtype == dtype and out.shape == (frame,)
    assert 0.0 <= d.speech_probability <= 1.0


@pytest.mark.parametrize(("frame", "message"), [
    (np.zeros(320, np.float64), "frame: expected float32[160] or int16[160], got float64[320]"),
    (np.zeros(160, np.float64), "frame: expected float32[160] or int16[160], got float64[160]"),
    (np.zeros(161, np.float32), "frame: expected float32[160] or int16[160], got float32[161]"),
    (np.zeros((2, 160), np.int16), "frame: expected float32[160] or int16[160], got int16[2, 160]"),
    (np.zeros(160, np.int32), "frame: expected float32[160] or int16[160], got int32[160]"),
])
def test_wrong_frames_are_typed_errors_never_converted(frame: np.ndarray, message: str) -> None:
    with pytest.raises(FrameError) as info:
        Denoiser().process(frame)
    assert str(info.value) == message


def test_strided_frames_are_refused() -> None:
    with pytest.raises(FrameError, match="contiguous"):
        Denoiser().process(np.zeros(320, np.float32)[::2])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sample_rate": 44100}, "sample_rate: expected one of 16000, 48000, got 44100"),
    ({"sample_rate": 8000}, "sample_rate: expected one of 16000, 48000, got 8000"),
    ({"suppression_db": -3.0}, "suppression_db: expected a value in 0..60"),
    ({"method": "magic"}, "method: expected 'hybrid' or 'statistical'"),
])
def test_bad_settings_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Denoiser(**kwargs)  # type: ignore[arg-type]


def test_resampler_rejects_other_rates() -> None:
    with pytest.raises(ConfigError, match="input_rate: expected one of 8000, 16000, 48000, got 44100"):
        Resampler(44100, 16000)
    with pytest.raises(FrameError, match="expected contiguous float32"):
        Resampler(16000, 48000).process(np.zeros(160, np.int16))  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["hybrid", "statistical"])
def test_frame_processing_allocates_nothing(method: str) -> None:
    d = Denoiser(16000, method=method)  # type: ignore[arg-type]
    x = _noise(16000, 0.05)
    out = np.empty(160, np.float32)
    d.process_into(x[:160], out)
    before = _core.allocation_count()
    for i in range(0, len(x), 160):
        d.process_into(x[i:i + 160], out)
    assert _core.allocation_count() == before


@pytest.mark.parametrize("method", ["hybrid", "statistical"])
def test_noise_only_is_attenuated_and_speech_kept(method: str) -> None:
    speech = _speech()
    noise = _noise(len(speech), 0.02 * float(np.sqrt(np.mean(speech ** 2))) / 0.02 / 3)
    d = Denoiser(16000, method=method)  # type: ignore[arg-type]
    y, prob = d.process_buffer(noise)
    assert _db(y[8000:]) < _db(noise[8000:]) - 12
    assert float(np.mean(prob[50:])) < 0.5
    clean, prob_clean = Denoiser(16000, method=method).process_buffer(speech)  # type: ignore[arg-type]
    # Clean speech passes: at most 1 dB lost and strongly correlated with the input.
    assert abs(_db(clean) - _db(speech)) < 1.0
    assert float(np.corrcoef(clean, speech)[0, 1]) > 0.97
    assert float(np.mean(prob_clean)) > float(np.mean(prob[50:]))


def test_clean_speech_in_every_language_comes_out_as_it_went_in() -> None:
    """Issue 5 asks PESQ-WB(output vs input) >= 4.0 on clean speech; the clean-input guard
    (no bin cut by more than 3 dB when the noise is 30-40 dB under the speech) keeps every
    clip of the shared set above 4.1 (without it the worst was 4.01)."""
    import soundfile as sf
    from pesq import pesq
    clips = sorted((AUDIO / "speech").glob("*.wav"))
    assert clips, f"no speech clips in {AUDIO}"
    scores = {}
    for path in clips:
        x, _ = sf.read(str(path), dtype="float32")
        y, _ = Denoiser().process_buffer(np.asarray(x, dtype=np.float32))
        scores[path.stem] = float(pesq(16000, x.astype(np.float64), y.astype(np.float64), "wb"))
    assert min(scores.values()) >= 4.1, scores


def test_denoising_raises_the_snr_of_real_speech_in_noise() -> None:
    speech = _speech()
    noise = _noise(len(speech), float(np.sqrt(np.mean(speech ** 2))) / np.sqrt(10 ** 0.5), seed=3)  # 5 dB
    y, _ = Denoiser().process_buffer(speech + noise)
    # Project on the clean speech: what is left is noise and distortion.
    alpha = float(np.dot(y, speech) / np.dot(speech, speech))
    residual = y - alpha * speech
    snr_in = _db(speech) - _db(noise)
    snr_out = _db(alpha * speech) - _db(residual)
    assert snr_out > snr_in + 5


def test_zero_suppression_returns_the_input_delayed_by_one_frame() -> None:
    x = _noise(4800, 0.1)
    y, _ = Denoiser(16000, suppression_db=0.0, method="statistical").process_buffer(x)
    np.testing.assert_allclose(y, x, atol=2e-5)


def test_int16_and_float_paths_agree() -> None:
    x = (_noise(3200, 0.1) * 32768).astype(np.int16)
    yi, _ = Denoiser().process_buffer(x)
    yf, _ = Denoiser().process_buffer(x.astype(np.float32) / 32768)
    assert np.max(np.abs(yi.astype(np.float32) / 32768 - yf)) < 2 / 32768


def test_whole_buffer_call_releases_the_gil() -> None:
    x = _noise(16000 * 20, 0.05)
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        Denoiser().process_buffer(x)
    finally:
        done.set()
        t.join()
    assert ticks > 1000  # the counter thread ran while the core worked


def test_suppression_strength_is_configurable() -> None:
    noise = _noise(32000, 0.02)
    levels = []
    for db in (6.0, 20.0, 40.0):
        d = Denoiser(suppression_db=db)
        assert d.suppression_db == db
        y, _ = d.process_buffer(noise)
        levels.append(_db(y[8000:]) - _db(noise[8000:]))
    assert levels[0] > levels[1] > levels[2]
    assert levels[0] > -7.5


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (16000, 48000), (48000, 16000),
                                          (8000, 48000), (48000, 8000)])
def test_resampler_keeps_a_tone_at_any_chunking(src: int, dst: int) -> None:
    t = np.arange(src) / src
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    r = Resampler(src, dst)
    y = np.concatenate([r.process(x[i:i + 37]) for i in range(0, len(x), 37)])
    assert len(y) == dst
    tt = np.arange(len(y)) / dst - r.delay_seconds
    ref = 0.5 * np.sin(2 * np.pi * 1000 * tt)
    err = y[len(y) // 4:] - ref[len(y) // 4:]
    assert 10 * np.log10(np.mean(ref[len(y) // 4:] ** 2) / np.mean(err ** 2)) > 70


def test_resampler_round_trip_on_speech_is_above_60_db() -> None:
    from scipy.signal import firwin
    x = _speech()
    up, down = Resampler(16000, 48000), Resampler(48000, 16000)
    y = down.process(up.process(x))
    d = round((up.delay_seconds + down.delay_seconds) * 16000)
    lp = firwin(511, 7000.0, fs=16000.0)
    ref = np.convolve(x[:len(x) - d], lp, mode="same")[600:-600]
    out = np.convolve(y[d:], lp, mode="same")[600:-600]
    assert 10 * np.log10(np.sum(ref ** 2) / np.sum((out - ref) ** 2)) > 60


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=8))
def test_resampler_output_length_never_depends_on_chunking(chunks: list[int]) -> None:
    total = sum(chunks)
    x = _noise(total, 0.1)
    r1, r2 = Resampler(16000, 48000), Resampler(16000, 48000)
    parts, pos = [], 0
    for c in chunks:
        parts.append(r1.process(x[pos:pos + c]))
        pos += c
    whole = r2.process(x)
    assert len(whole) == 3 * total
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_vad_tells_speech_from_noise() -> None:
    speech = _speech()
    noise = _noise(len(speech), 0.003, seed=5)
    p_speech = Vad().process_buffer(speech + noise)
    p_noise = Vad().process_buffer(noise)
    e = np.sum(speech[:len(speech) // 160 * 160].reshape(-1, 160) ** 2, axis=1)
    loud = e > np.max(e) * 1e-2
    assert float(np.mean(p_speech[loud] >= 0.5)) > 0.85
    assert float(np.mean(p_noise[30:] >= 0.5)) < 0.05


def test_vad_frames_are_typed_and_checked() -> None:
    v = Vad()
    assert 0.0 <= v.process(np.zeros(160, np.int16)) <= 1.0
    with pytest.raises(FrameError, match="got float64\\[160\\]"):
        v.process(np.zeros(160))  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        Vad(threshold=1.5)


def test_agc_reaches_the_target_and_holds_in_pauses() -> None:
    speech = _speech() * 0.05  # a quiet talker, about -45 dBFS
    pause = _noise(16000, 1e-4)
    x = np.concatenate([speech, pause, speech]).astype(np.float32)
    agc = Agc(target_dbfs=-20.0)
    out = np.empty_like(x)
    gains = []
    for i in range(0, len(x) // 160 * 160, 160):
        out[i:i + 160] = agc.process(x[i:i + 160])
        gains.append(agc.gain_db)
    n = len(speech)
    second = out[n + 16000:n + 16000 + n]
    e = np.sum(second[:len(second) // 160 * 160].reshape(-1, 160) ** 2, axis=1) / 160
    active = e > np.max(e) * 1e-2
    level = 10 * np.log10(np.mean(e[active]))
    assert -24.0 < level < -16.0
    pause_gains = gains[n // 160 + 5:(n + 16000) // 160 - 5]
    assert max(pause_gains) - min(pause_gains) < 1.0  # no pumping in the pause
    assert np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-6


def test_agc_int16_and_errors() -> None:
    agc = Agc()
    y = agc.process(np.full(160, 1000, np.int16))
    assert y.dtype == np.int16
    with pytest.raises(FrameError):
        agc.process(np.zeros(480, np.int16))
    with pytest.raises(ConfigError, match="sample_rate: expected one of 8000, 16000, 48000, got 22050"):
        Agc(22050)


def test_model_file_is_verified() -> None:
    from cbcs.media import dsp
    blob = dsp._model_blob()
    import hashlib
    assert hashlib.sha256(blob).hexdigest() == dsp.MODEL_SHA256
    with pytest.raises(ConfigError, match="gain model"):
        _core.Denoiser(16000, 20.0, True, blob[:-8])
