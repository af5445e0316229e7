"""Typed wrappers over the C++ media core."""
from cbcs.media.dsp import Agc as Agc, Denoiser as Denoiser, Resampler as Resampler, Vad as Vad
