"""Typed wrappers over the C++ media core."""
from cbcs.media.fec import ReedSolomon, TooManyLossesError, available_kernels  # noqa: F401
