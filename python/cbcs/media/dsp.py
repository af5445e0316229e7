"""Voice processing: noise suppression, voice activity, gain control, resampling and prosody.

All classes work on mono numpy audio, either ``float32`` in [-1, 1] or ``int16``, and hand
back the same dtype. Nothing is converted silently: a frame of the wrong dtype or length
raises :class:`cbcs.errors.FrameError` saying what was expected and what came, and a bad
setting raises :class:`cbcs.errors.ConfigError`.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from cbcs import _core
from cbcs.errors import ConfigError

__all__ = ["Agc", "Denoiser", "Prosody", "ProsodyFrame", "ProsodyFrameStatus", "ProsodyTrack", "ProsodyTurn",
           "ProsodyTurnStatus", "Resampler", "Vad"]

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


class ProsodyFrameStatus(enum.StrEnum):
    """What :meth:`Prosody.process` found in one frame."""

    VOICED = "voiced"            #: speech with a pitch
    UNVOICED = "unvoiced"        #: speech without a pitch (fricatives, creak, noise above the gate)
    SILENCE = "silence"          #: no speech (energy gate, or the speech probability given)
    INVALID = "invalid"          #: NaN, Inf or a sample beyond +-1000: counted as silence
    WRONG_SIZE = "wrong_size"    #: only from the C++ API; Python raises FrameError instead


class ProsodyTurnStatus(enum.StrEnum):
    OK = "ok"
    NO_SPEECH = "no_speech"      #: under 0.2 s of voiced audio: deviations 0, arousal 0


# Order matters: it is the C++ enum order.
_FRAME_STATUSES = (ProsodyFrameStatus.VOICED, ProsodyFrameStatus.UNVOICED, ProsodyFrameStatus.SILENCE,
                   ProsodyFrameStatus.INVALID, ProsodyFrameStatus.WRONG_SIZE)
_TURN_STATUSES = (ProsodyTurnStatus.OK, ProsodyTurnStatus.NO_SPEECH)


class ProsodyFrame(NamedTuple):
    """One frame: ``f0_hz`` is 0 unless voiced; ``periodicity`` is 0..1."""

    status: ProsodyFrameStatus
    f0_hz: float
    energy_dbfs: float
    periodicity: float


class ProsodyTrack(NamedTuple):
    """Per-frame results of :meth:`Prosody.process_buffer`.

    ``status`` holds the C++ codes (0 voiced, 1 unvoiced, 2 silence, 3 invalid), in the
    order of :class:`ProsodyFrameStatus`; ``f0_hz`` is 0 where not voiced.
    """

    status: npt.NDArray[np.uint8]
    f0_hz: npt.NDArray[np.float32]
    energy_dbfs: npt.NDArray[np.float32]

    @property
    def voiced(self) -> npt.NDArray[np.bool_]:
        mask: npt.NDArray[np.bool_] = self.status == 0
        return mask


@dataclass(frozen=True)
class ProsodyTurn:
    """One turn's pitch, level and speaking rate, compared with the caller's baseline.

    The baseline is the caller's first ``baseline_seconds`` of voiced audio; while it is
    being gathered the turn itself is part of it (so a first turn deviates by about 0).
    Deviations are in robust units: ``pitch_semitones`` (median F0 above the baseline's),
    ``spread_semitones`` (F0 spread, 1.4826 x MAD, minus the baseline's), ``energy_db``
    (level of the speech minus the baseline's) and ``rate_ratio`` (syllable nuclei per
    second of speech over the baseline's; 1 when either is unknown). ``arousal`` (0..1)
    combines them: about 0.18 for a turn like the baseline, 0.79 for one 4 semitones
    higher and 10 dB louder at the same rate.
    """

    status: ProsodyTurnStatus
    speech_seconds: float
    voiced_seconds: float
    median_f0_hz: float
    f0_spread_semitones: float
    energy_dbfs: float
    rate_per_second: float
    pitch_semitones: float
    spread_semitones: float
    energy_db: float
    rate_ratio: float
    arousal: float
    baseline_voiced_seconds: float
    baseline_complete: bool
    truncated: bool

    @property
    def has_speech(self) -> bool:
        return self.status is ProsodyTurnStatus.OK


class Prosody:
    """Pitch, level and speaking rate of one caller, summed up per turn against their start.

    Feed every 10 ms (or 20 ms) frame of 16 kHz mono audio to :meth:`process`, optionally
    with a :class:`Vad`'s speech probability (else a built-in energy gate decides what is
    speech), and call :meth:`end_turn` when the caller's turn ends. Per 10 ms the C++ core
    finds F0 with YIN between ``min_f0_hz`` and ``max_f0_hz`` (a voice above the range reads
    as unvoiced, not an octave down: raise ``max_f0_hz`` towards 500 for high voices), the
    level, and syllable nuclei (3 dB peaks of the level envelope with a pitch nearby). The
    state is sized at construction; per-frame calls and :meth:`end_turn` allocate nothing
    in the core and never raise for bad audio values: NaN/Inf frames come back
    :attr:`ProsodyFrameStatus.INVALID`. A frame of the wrong dtype or length raises
    :class:`cbcs.errors.FrameError`, as in the other blocks.

    One object per caller (per call leg): the baseline is that caller's own first
    ``baseline_seconds`` of voiced audio, so a naturally high or loud voice is not read as
    aroused. A second speaker on the same leg would look like a change of prosody.
    """

    def __init__(self, sample_rate: int = 16000, *, frame_ms: int = 10, baseline_seconds: float = 8.0,
                 max_turn_seconds: float = 60.0, min_f0_hz: float = 60.0, max_f0_hz: float = 400.0) -> None:
        self._core = _core.ProsodyTracker(sample_rate, frame_ms, min_f0_hz, max_f0_hz, baseline_seconds,
                                          max_turn_seconds, True)

    @property
    def frame_samples(self) -> int:
        return int(self._core.frame_samples)

    @property
    def baseline_voiced_seconds(self) -> float:
        """Voiced audio gathered into the baseline so far."""
        return float(self._core.baseline_voiced_seconds)

    @property
    def baseline_complete(self) -> bool:
        return bool(self._core.baseline_complete)

    def process(self, frame: npt.NDArray[AudioT], speech_probability: float | None = None) -> ProsodyFrame:
        """Track one frame (float32 or int16, :attr:`frame_samples` long)."""
        code, f0, energy, periodicity = self._core.process(
            frame, -1.0 if speech_probability is None else float(speech_probability))
        return ProsodyFrame(_FRAME_STATUSES[code], f0, energy, periodicity)

    def process_buffer(self, samples: npt.NDArray[AudioT],
                       speech_probabilities: npt.NDArray[np.float32] | None = None) -> ProsodyTrack:
        """Track every whole frame of ``samples`` (GIL released); a shorter tail is ignored.

        ``speech_probabilities``: one float32 per frame (e.g. from :meth:`Vad.process_buffer`,
        with the same frame length), or None for the energy gate.
        """
        n = int(samples.shape[0]) // self.frame_samples if samples.ndim == 1 else 0
        track = ProsodyTrack(np.empty(n, np.uint8), np.empty(n, np.float32), np.empty(n, np.float32))
        prob = np.empty(0, np.float32) if speech_probabilities is None else speech_probabilities
        self._core.process_buffer(samples, prob, track.status, track.f0_hz, track.energy_dbfs)
        return track

    def end_turn(self) -> ProsodyTurn:
        """The turn since the previous call (or the start); starts the next one."""
        t = self._core.end_turn()
        return ProsodyTurn(
            _TURN_STATUSES[t.status], float(t.speech_seconds), float(t.voiced_seconds), float(t.median_f0_hz),
            float(t.f0_spread_semitones), float(t.energy_dbfs), float(t.rate_per_second),
            float(t.pitch_semitones), float(t.spread_semitones), float(t.energy_db), float(t.rate_ratio),
            float(t.arousal), float(t.baseline_voiced_seconds), bool(t.baseline_complete), bool(t.truncated))

    @staticmethod
    def arousal(pitch_semitones: float, energy_db: float, rate_ratio: float = 1.0,
                spread_semitones: float = 0.0) -> float:
        """The score :meth:`end_turn` reports for these deviations from the baseline.

        Pitch per 4 semitones, level per 8 dB, rate per 25 % and spread per 2 semitones, each
        clipped to +-1.5, weighted 0.45/0.4/0.1/0.05 and put through a logistic.
        """
        return float(_core.ProsodyTracker.arousal(pitch_semitones, energy_db, rate_ratio, spread_semitones))

    def reset(self) -> None:
        """Forget everything, the baseline included (a new caller)."""
        self._core.reset()
