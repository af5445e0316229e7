"""
cbcs media core (private; use cbcs.media)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['Agc', 'Denoiser', 'EModelResult', 'Resampler', 'Vad', 'allocation_count', 'burst_ratio', 'emodel', 'mos_from_r']
class EModelResult:
    def __repr__(self) -> str:
        ...
    @property
    def delay_impairment(self) -> float:
        ...
    @property
    def equipment_impairment(self) -> float:
        ...
    @property
    def mos(self) -> float:
        ...
    @property
    def r(self) -> float:
        ...
class Denoiser:
    """
    Causal noise suppressor on 10 ms frames (see cbcs.media.Denoiser).
    """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, suppression_db: typing.SupportsFloat | typing.SupportsIndex = 20.0, allow_simd: bool = True, model: bytes = b'') -> None:
        ...
    def features_buffer(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], features: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> None:
        """
        Run the denoiser over samples and record each frame's model features (for training).
        """
    def process_buffer(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], probabilities: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> None:
        """
        Denoise every whole frame of samples (GIL released); the tail shorter than a frame is left untouched in out.
        """
    def process_into(self, frame: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> None:
        """
        Denoise one frame into out (same dtype and length).
        """
    def reset(self) -> None:
        ...
    @property
    def delay_samples(self) -> int:
        ...
    @property
    def frame_samples(self) -> int:
        ...
    @property
    def has_model(self) -> bool:
        ...
    @property
    def kernel(self) -> str:
        ...
    @property
    def sample_rate(self) -> int:
        ...
    @property
    def speech_probability(self) -> float:
        ...
    @property
    def suppression_db(self) -> float:
        ...
    @suppression_db.setter
    def suppression_db(self, arg1: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class Resampler:
    """
    Streaming polyphase resampler (see cbcs.media.Resampler).
    """
    def __init__(self, input_rate: typing.SupportsInt | typing.SupportsIndex, output_rate: typing.SupportsInt | typing.SupportsIndex, allow_simd: bool = True) -> None:
        ...
    def output_count(self, input_count: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def process_into(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> int:
        """
        Resample samples into out (output_count(len) values).
        """
    def reset(self) -> None:
        ...
    @property
    def delay_samples(self) -> int:
        ...
    @property
    def delay_seconds(self) -> float:
        ...
    @property
    def input_rate(self) -> int:
        ...
    @property
    def kernel(self) -> str:
        ...
    @property
    def output_rate(self) -> int:
        ...
class Vad:
    """
    Voice activity detector on 10 ms frames (see cbcs.media.Vad).
    """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, threshold: typing.SupportsFloat | typing.SupportsIndex = 0.5, hangover_frames: typing.SupportsInt | typing.SupportsIndex = 8, allow_simd: bool = True, model: bytes = b'') -> None:
        ...
    def process(self, frame: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> float:
        """
        Speech probability of one frame.
        """
    def process_buffer(self, samples: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], probabilities: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> None:
        """
        Speech probability of every whole frame (GIL released).
        """
    def reset(self) -> None:
        ...
    @property
    def frame_samples(self) -> int:
        ...
    @property
    def is_speech(self) -> bool:
        ...
    @property
    def probability(self) -> float:
        ...
class Agc:
    """
    Automatic gain control with a limiter (see cbcs.media.Agc).
    """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, target_dbfs: typing.SupportsFloat | typing.SupportsIndex = -20.0, max_gain_db: typing.SupportsFloat | typing.SupportsIndex = 30.0, min_gain_db: typing.SupportsFloat | typing.SupportsIndex = -20.0, limit_dbfs: typing.SupportsFloat | typing.SupportsIndex = -1.0, attack_ms: typing.SupportsFloat | typing.SupportsIndex = 400.0) -> None:
        ...
    def process_into(self, frame: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], out: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], speech_probability: typing.SupportsFloat | typing.SupportsIndex = -1.0) -> None:
        """
        Apply the gain to one frame; speech_probability < 0 uses the built-in level detector.
        """
    def reset(self) -> None:
        ...
    @property
    def frame_samples(self) -> int:
        ...
    @property
    def gain_db(self) -> float:
        ...
    @property
    def speech_level_dbfs(self) -> float:
        ...
def allocation_count() -> int:
    """
    Number of C++ heap allocations made inside cbcs._core since import.
    """
def burst_ratio(loss_fraction: typing.SupportsFloat | typing.SupportsIndex, mean_burst_packets: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
def emodel(one_way_delay_ms: typing.SupportsFloat | typing.SupportsIndex, loss_percent: typing.SupportsFloat | typing.SupportsIndex, burst_ratio: typing.SupportsFloat | typing.SupportsIndex, codec_ie: typing.SupportsFloat | typing.SupportsIndex, codec_bpl: typing.SupportsFloat | typing.SupportsIndex, advantage: typing.SupportsFloat | typing.SupportsIndex) -> EModelResult:
    ...
def mos_from_r(r: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
