"""``cbcs netsim`` end to end on real speech, and its errors for files it cannot take."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cbcs.media import samples
from cbcs.cli import main


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 3 s of a real Spanish clip."""
    clip = dict(samples.speech_clips())["es_leopard"][:48000]
    path = tmp_path_factory.mktemp("in") / "speech.wav"
    sf.write(path, clip, 16000, subtype="PCM_16")
    return path


def _best_alignment(ref: np.ndarray, out: np.ndarray) -> tuple[int, float]:
    """Lag of ``out`` against ``ref`` and the normalised correlation there."""
    r = ref.astype(np.float64)
    o = out.astype(np.float64)
    corr = np.correlate(o, r[:8000], mode="valid")
    lag = int(np.argmax(corr))
    seg = o[lag:lag + r.size]
    n = min(seg.size, r.size)
    c = float(np.dot(seg[:n], r[:n]) / (np.linalg.norm(seg[:n]) * np.linalg.norm(r[:n])))
    return lag, c


def test_lan_call_plays_the_speech_back_nearly_unchanged(
        speech: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.wav"
    assert main(["netsim", "--profile", "lan", "--input", str(speech),
                 "--output", str(out), "--seed", "2"]) == 0
    played, rate = sf.read(out, dtype="int16")
    ref, _ = sf.read(speech, dtype="int16")
    assert rate == 16000
    lag, corr = _best_alignment(ref, played)
    # a LAN adds a few ms of network and buffer delay and loses nothing
    assert 0 <= lag <= 16000 * 60 // 1000
    assert corr > 0.95
    text = capsys.readouterr().out
    assert "lost 0 of 150 packets" in text
    assert "MOS 4." in text


def test_latam_call_reports_delay_loss_and_mos_and_draws_the_plot(
        speech: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, png = tmp_path / "out.wav", tmp_path / "delay.png"
    assert main(["netsim", "--profile", "latam-3g", "--input", str(speech), "--output",
                 str(out), "--plot", str(png), "--seed", "3"]) == 0
    text = capsys.readouterr().out
    for needle in ("network", "jitter buffer", "mouth-to-ear", "E-model", "MOS",
                   "concealed", "not played"):
        assert needle in text
    played, _ = sf.read(out, dtype="int16")
    # at least the speech, after at least latam-3g's 110 ms base delay
    assert played.size >= 48000 + 16000 * 110 // 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("packet_ms", [10, 40, 60])
def test_packet_sizes_other_than_20_ms(speech: Path, tmp_path: Path,
                                       packet_ms: int) -> None:
    out = tmp_path / "out.wav"
    assert main(["netsim", "--profile", "sea-4g", "--input", str(speech), "--output",
                 str(out), "--packet-ms", str(packet_ms)]) == 0
    assert sf.info(out).duration >= 3.0


def test_same_seed_same_call(speech: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    for path in (a, b):
        assert main(["netsim", "--profile", "worst", "--input", str(speech),
                     "--output", str(path), "--seed", "9"]) == 0
    assert np.array_equal(sf.read(a, dtype="int16")[0], sf.read(b, dtype="int16")[0])


@pytest.mark.parametrize(("rate", "channels", "subtype", "complaint"), [
    (44100, 1, "PCM_16", "44100 Hz"),
    (16000, 2, "PCM_16", "2 channels"),
    (16000, 1, "FLOAT", "sample format FLOAT"),
])
def test_files_it_cannot_take_give_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], rate: int, channels: int,
        subtype: str, complaint: str) -> None:
    path = tmp_path / "bad.wav"
    sf.write(path, np.zeros((rate // 10, channels), np.float32), rate, subtype=subtype)
    assert main(["netsim", "--input", str(path), "--output", str(tmp_path / "o.wav")]) == 2
    err = capsys.readouterr().err
    assert "expected a 16-bit mono WAV at 8000, 16000 or 48000 Hz" in err
    assert complaint in err


def test_unknown_profile_and_missing_file(tmp_path: Path, speech: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["netsim", "--profile", "mars", "--input", str(speech),
                 "--output", str(tmp_path / "o.wav")]) == 2
    assert "expected one of" in capsys.readouterr().err
    assert main(["netsim", "--input", str(tmp_path / "none.wav"),
                 "--output", str(tmp_path / "o.wav")]) == 2
    assert "none.wav" in capsys.readouterr().err


@pytest.mark.parametrize("rate", [8000, 48000])
def test_other_sample_rates_come_out_at_their_own_rate(speech: Path, tmp_path: Path,
                                                       rate: int) -> None:
    ref, _ = sf.read(speech, dtype="int16")
    # The output is compared with this very signal, so crude rate changes do: repeat each
    # sample to go up, average pairs to go down.
    if rate > 16000:
        resampled = np.repeat(ref, rate // 16000)
    else:
        pairs = ref[: ref.size // 2 * 2].reshape(-1, 2).astype(np.int32)
        resampled = pairs.mean(axis=1).astype(np.int16)
    src = tmp_path / f"in{rate}.wav"
    sf.write(src, resampled, rate, subtype="PCM_16")
    out = tmp_path / "out.wav"
    assert main(["netsim", "--profile", "lan", "--input", str(src), "--output", str(out)]) == 0
    played, out_rate = sf.read(out, dtype="int16")
    assert out_rate == rate
    lag, corr = _best_alignment(resampled, played)
    assert corr > 0.95
