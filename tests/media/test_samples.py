"""The one lookup of the recorded test audio."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbcs.errors import DataNotFoundError
from cbcs.media import samples


def test_the_environment_names_the_directory(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    (tmp_path / "speech").mkdir()
    monkeypatch.setenv(samples.AUDIO_DIR_ENV, str(tmp_path))
    assert samples.audio_dir() == tmp_path
    with pytest.raises(DataNotFoundError, match="no 16000 Hz mono speech WAV"):
        samples.speech_clips()


def test_a_directory_without_speech_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setenv(samples.AUDIO_DIR_ENV, str(tmp_path))
    with pytest.raises(DataNotFoundError, match="speech/ and noise/"):
        samples.audio_dir()
    # An explicit directory wins over the environment.
    (tmp_path / "other" / "speech").mkdir(parents=True)
    assert samples.audio_dir(tmp_path / "other") == tmp_path / "other"


def test_the_shared_clips_are_found_beside_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(samples.AUDIO_DIR_ENV, raising=False)
    names = [name for name, _ in samples.speech_clips()]
    assert "es_leopard" in names
    assert samples.speech_path("es_leopard").is_file()
    with pytest.raises(DataNotFoundError):
        samples.speech_path("no_such_clip")
