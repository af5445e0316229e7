"""Voice processing: noise suppression, voice activity, gain control and resampling.

All classes work on mono numpy audio, either ``float32`` in [-1, 1] or ``int16``, and hand
back the same dtype. Nothing is converted silently: a frame of the wrong dtype or length
raises :class:`cbcs.errors.FrameError` saying what was expected and what came, and a bad
setting raises :class:`cbcs.errors.ConfigError`.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

from cbcs import _core

__all__ = ["Denoiser", "Resampler"]

#: Sample rates the denoiser runs at natively.
DENOISER_RATES = (16000, 48000)
#: Rates the resampler converts between (any pair, both directions).
RESAMPLER_RATES = (8000, 16000, 48000)

AudioT = TypeVar("AudioT", np.float32, np.int16)


class Denoiser:
    """Causal noise suppressor on 10 ms frames.

    Each :meth:`process` call takes one frame (160 samples at 16 kHz, 480 at 48 kHz) and
    returns one frame, :attr:`delay_samples` (one frame) behind the input. The state is
    allocated once; per-frame processing allocates nothing in the C++ core.

    Args:
        sample_rate: 16000 or 48000.
        suppression_db: attenuation applied where only noise is present, 0 to 60 dB.
            Lower keeps more of the background, higher removes more of it.
    """

    def __init__(self, sample_rate: int = 16000, *, suppression_db: float = 20.0) -> None:
        self._core = _core.Denoiser(sample_rate, suppression_db)

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
