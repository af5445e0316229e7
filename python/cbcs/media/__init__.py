"""Typed wrappers over the C++ media core."""
from cbcs.media.dsp import Agc, Denoiser, Resampler, Vad  # noqa: F401
