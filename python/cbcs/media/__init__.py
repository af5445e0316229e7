"""Typed wrappers over the C++ media core. One import line per area."""

from cbcs.media import netsim, quality, rtp
from cbcs.media.cc import FeedbackGenerator, Pacer, SendSideBwe, TransportFeedback
from cbcs.media.fec import ReedSolomon, TooManyLossesError, available_kernels

__all__ = [
    "FeedbackGenerator",
    "Pacer",
    "ReedSolomon",
    "SendSideBwe",
    "TooManyLossesError",
    "TransportFeedback",
    "available_kernels",
    "netsim",
    "quality",
    "rtp",
]
