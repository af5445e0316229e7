"""Voice processing: noise suppression, voice activity, gain control and resampling.

All classes work on mono numpy audio, either ``float32`` in [-1, 1] or ``int16``, and hand
back the same dtype. Nothing is converted silently: a frame of the wrong dtype or length
raises :class:`cbcs.errors.FrameError` saying what was expected and what came, and a bad
setting raises :class:`cbcs.errors.ConfigError`.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from cbcs import _core
from cbcs.errors import ConfigError

__all__ = ["Agc", "Denoiser", "Resampler", "Vad"]

#: Sample rates the denoiser runs at natively.
DENOISER_RATES = (16000, 48000)
#: Rates the resampler converts between (any pair, both directions).
RESAMPLER_RATES = (8000, 16000, 48000)

AudioT = TypeVar("AudioT", np.float32, np.int16)

#: The learned band-gain model shipped with cbcs (trained by tools/train_denoise_model.py
#: on Debian-shipped and synthesised audio, never on the evaluation clips) and its digest.
MODEL_FILE = "denoise_gru.bin"
MODEL_SHA256 = "1a7f89d8325ff309b955b8cff21d19ccf37a08bb77bc05c1a3f68c374e733ad5"


@lru_cache(maxsize=1)
def _model_blob() -> bytes:
    blob = resources.files("cbcs.media").joinpath("data", MODEL_FILE).read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != MODEL_SHA256:
        raise ConfigError(f"{MODEL_FILE}: expected sha256 {MODEL_SHA256}, got {digest}")
    return blob


class Denoiser:
    """Causal noise suppressor on 10 ms frames.

    Each :meth:`process` call takes one frame (160 samples at 16 kHz, 480 at 48 kHz) and
    returns one frame, :attr:`delay_samples` (one frame) behind the input. The state is
    allocated once; per-frame processing allocates nothing in the C++ core.

    Args:
        sample_rate: 16000 or 48000.
        suppression_db: attenuation applied where only noise is present, 0 to 60 dB.
            Lower keeps more of the background, higher removes more of it.
        method: ``"hybrid"`` (default): a small GRU shipped with cbcs turns band energies
            and the tracked noise into band gains and the speech probability;
            ``"statistical"``: OM-LSA gains with speech-presence noise tracking only.

    On clean input (the tracked noise 30-40 dB or more under the speech) no frequency is
    cut by more than 3 dB, so speech without noise passes nearly untouched.
    """

    def __init__(self, sample_rate: int = 16000, *, suppression_db: float = 30.0,
                 method: Literal["hybrid", "statistical"] = "hybrid") -> None:
        if method not in ("hybrid", "statistical"):
            raise ConfigError(f"method: expected 'hybrid' or 'statistical', got {method!r}")
        model = _model_blob() if method == "hybrid" else b""
        self._core = _core.Denoiser(sample_rate, suppression_db, True, model)
        self.method = method

    @property
    def sample_rate(self) -> int:
        return int(self._core.sample_rate)

    @property
    def frame_samples(self) -> int:
        """Samples per 10 ms frame."""
        return int(self._core.frame_samples)

    @property
    def delay_samples(self) -> int:
        """Algorithmic delay: output sample ``i`` belongs to input sample ``i - delay``."""
        return int(self._core.delay_samples)

    @property
    def delay_ms(self) -> float:
        return 1000.0 * self.delay_samples / self.sample_rate

    @property
    def speech_probability(self) -> float:
        """Probability (0..1) that the last processed frame held speech."""
        return float(self._core.speech_probability)

    @property
    def suppression_db(self) -> float:
        return float(self._core.suppression_db)

    @suppression_db.setter
    def suppression_db(self, value: float) -> None:
        self._core.suppression_db = float(value)

    def process(self, frame: npt.NDArray[AudioT]) -> npt.NDArray[AudioT]:
        """Denoise one 10 ms frame; returns a new array of the same dtype and length."""
        out = np.empty_like(frame)
        self._core.process_into(frame, out)
        return out

    def process_into(self, frame: npt.NDArray[AudioT], out: npt.NDArray[AudioT]) -> None:
        """Denoise one frame into ``out`` (same dtype and length), allocating nothing."""
        self._core.process_into(frame, out)

    def process_buffer(self, samples: npt.NDArray[AudioT], *, align: bool = True
                       ) -> tuple[npt.NDArray[AudioT], npt.NDArray[np.float32]]:
        """Denoise a whole signal (GIL released) and return it with per-frame speech probability.

        With ``align`` (the default) the output lines up with the input sample for sample:
        the stream is flushed by one frame of silence and the delay is cut off. The signal
        is padded to whole frames internally; the output has the input's length.
        """
        hop = self.frame_samples
        n = int(samples.shape[0]) if samples.ndim == 1 else -1
        tail = self.delay_samples if align else 0
        frames = (n + tail + hop - 1) // hop if n >= 0 else 0
        padded = np.zeros(frames * hop, dtype=samples.dtype)
        if n > 0:
            padded[:n] = samples
        if n < 0 or samples.dtype not in (np.float32, np.int16):
            # Let the core report the error in its usual words.
            self._core.process_buffer(samples, samples, np.empty(0, np.float32))
        out = np.empty_like(padded)
        prob = np.empty(frames, dtype=np.float32)
        self._core.process_buffer(padded, out, prob)
        return out[tail:tail + n], prob

    def reset(self) -> None:
        """Forget the noise estimate and all history, as if newly built."""
        self._core.reset()


class Resampler:
    """Streaming polyphase resampler between 8, 16 and 48 kHz (either direction).

    The filter passes 0..45 % of the lower rate and stops aliases by about 100 dB. Feed any
    number of ``float32`` samples per call; :attr:`delay_seconds` is the group delay.
    """

    def __init__(self, input_rate: int, output_rate: int) -> None:
        self._core = _core.Resampler(input_rate, output_rate)

    @property
    def input_rate(self) -> int:
        return int(self._core.input_rate)

    @property
    def output_rate(self) -> int:
        return int(self._core.output_rate)

    @property
    def delay_seconds(self) -> float:
        return float(self._core.delay_seconds)

    def process(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Resample the next chunk of the stream."""
        out = np.empty(self._core.output_count(int(samples.shape[0])) if samples.ndim == 1 else 0,
                       dtype=np.float32)
        self._core.process_into(samples, out)
        return out

    def reset(self) -> None:
        self._core.reset()


class Vad:
    """Voice activity detector: speech probability per 10 ms frame, with a held decision.

    It runs the denoiser's analysis (with the shipped model's voice-activity output by
    default) and discards the audio. :attr:`is_speech` stays true for ``hangover_frames``
    frames after the probability last reached ``threshold``, so words are not chopped.
    """

    def __init__(self, sample_rate: int = 16000, *, threshold: float = 0.5, hangover_frames: int = 8,
                 method: Literal["hybrid", "statistical"] = "hybrid") -> None:
        if method not in ("hybrid", "statistical"):
            raise ConfigError(f"method: expected 'hybrid' or 'statistical', got {method!r}")
        if hangover_frames < 0:
            raise ConfigError(f"hangover_frames: expected 0..1000, got {hangover_frames}")
        model = _model_blob() if method == "hybrid" else b""
        self._core = _core.Vad(sample_rate, threshold, hangover_frames, True, model)

    @property
    def frame_samples(self) -> int:
        return int(self._core.frame_samples)

    @property
    def probability(self) -> float:
        """Speech probability of the last frame."""
        return float(self._core.probability)

    @property
    def is_speech(self) -> bool:
        """Decision for the last frame, held over short gaps."""
        return bool(self._core.is_speech)

    def process(self, frame: npt.NDArray[AudioT]) -> float:
        """Speech probability (0..1) of one frame (float32 or int16)."""
        return float(self._core.process(frame))

    def process_buffer(self, samples: npt.NDArray[AudioT]) -> npt.NDArray[np.float32]:
        """Speech probability of every whole frame of ``samples`` (GIL released)."""
        n = int(samples.shape[0]) // self.frame_samples if samples.ndim == 1 else 0
        prob = np.empty(n, dtype=np.float32)
        self._core.process_buffer(samples, prob)
        return prob

    def reset(self) -> None:
        self._core.reset()


class Agc:
    """Automatic gain control: brings speech to ``target_dbfs`` RMS, peaks below ``limit_dbfs``.

    The gain only moves on speech frames (from ``speech_probability`` when given, e.g. a
    :class:`Vad`'s, or from a built-in level detector), so it does not pump up the noise in
    pauses; it changes by at most 0.5 dB per frame, ramped sample by sample.
    """

    def __init__(self, sample_rate: int = 16000, *, target_dbfs: float = -20.0, max_gain_db: float = 30.0,
                 min_gain_db: float = -20.0, limit_dbfs: float = -1.0, attack_ms: float = 400.0) -> None:
        self._core = _core.Agc(sample_rate, target_dbfs, max_gain_db, min_gain_db, limit_dbfs, attack_ms)

    @property
    def frame_samples(self) -> int:
        return int(self._core.frame_samples)

    @property
    def gain_db(self) -> float:
        """Gain applied at the end of the last frame (before the limiter)."""
        return float(self._core.gain_db)

    def process(self, frame: npt.NDArray[AudioT], speech_probability: float | None = None
                ) -> npt.NDArray[AudioT]:
        """Apply the gain to one 10 ms frame; returns a new array of the same dtype."""
        out = np.empty_like(frame)
        self._core.process_into(frame, out, -1.0 if speech_probability is None else float(speech_probability))
        return out

    def reset(self) -> None:
        self._core.reset()
