"""Typed wrappers over the C++ media core."""
from cbcs.media.dsp import Denoiser, Resampler  # noqa: F401
