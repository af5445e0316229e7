"""Typed wrappers over the C++ media core. One import line per area."""

from cbcs.media import netsim, quality
from cbcs.media import rtp  # noqa: F401
from cbcs.media.fec import ReedSolomon, TooManyLossesError, available_kernels  # noqa: F401
