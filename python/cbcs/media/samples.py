"""Where the recorded speech and noise for tests, benchmarks and demos is found.

One lookup for the whole project: an explicit directory (a command's ``--audio-dir``),
else the ``CBCS_AUDIO_DIR`` environment variable, else ``shared/data/audio`` beside the
checkout (``../shared/data/audio`` from the project root). The directory holds
``speech/*.wav`` and ``noise/*.wav``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cbcs.errors import DataNotFoundError

#: The environment variable that names the audio directory.
AUDIO_DIR_ENV = "CBCS_AUDIO_DIR"


def audio_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """The audio directory: ``directory`` if given, else ``$CBCS_AUDIO_DIR``, else
    ``shared/data/audio`` beside the checkout. Raises DataNotFoundError when it has no
    ``speech/`` folder."""
    chosen = directory if directory is not None else os.environ.get(AUDIO_DIR_ENV)
    if chosen:
        path = Path(chosen)
        if not (path / "speech").is_dir():
            raise DataNotFoundError(f"{path}: expected an audio directory with speech/ and noise/")
        return path
    starts = [Path(__file__).resolve(), Path.cwd().resolve() / "_"]
    for start in starts:
        for parent in start.parents:
            candidate = parent / "shared" / "data" / "audio"
            if (candidate / "speech").is_dir():
                return candidate
    raise DataNotFoundError("recorded audio not found: expected ../shared/data/audio beside "
                            f"the checkout; set {AUDIO_DIR_ENV} or pass --audio-dir")


def speech_path(name: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The WAV file of one speech clip by its stem, e.g. ``es_leopard``."""
    path = audio_dir(directory) / "speech" / f"{name}.wav"
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such speech clip")
    return path


def speech_clips(directory: str | os.PathLike[str] | None = None, *,
                 sample_rate: int = 16000) -> list[tuple[str, NDArray[np.int16]]]:
    """Every speech clip (16-bit mono WAV at ``sample_rate``) as (name, int16 samples)."""
    import soundfile as sf

    root = audio_dir(directory) / "speech"
    clips = []
    for path in sorted(root.glob("*.wav")):
        data, rate = sf.read(path, dtype="int16", always_2d=True)
        if rate == sample_rate and data.shape[1] == 1:
            clips.append((path.stem, np.ascontiguousarray(data[:, 0])))
    if not clips:
        raise DataNotFoundError(f"no {sample_rate} Hz mono speech WAV in {root}")
    return clips


def concatenated(clips: Sequence[tuple[str, NDArray[np.int16]]]) -> NDArray[np.int16]:
    """All clips back to back: the sender's signal for long traces."""
    return np.concatenate([c for _, c in clips]).astype(np.int16, copy=False)
