"""Typed wrappers over the C++ media core. One import line per area."""

from cbcs.media import netsim, quality, rtp
from cbcs.media.cc import FeedbackGenerator, Pacer, SendSideBwe, TransportFeedback
from cbcs.media.dsp import (
    Agc,
    Denoiser,
    Prosody,
    ProsodyFrame,
    ProsodyFrameStatus,
    ProsodyTrack,
    ProsodyTurn,
    ProsodyTurnStatus,
    Resampler,
    Vad,
)
from cbcs.media.fec import ReedSolomon, TooManyLossesError, available_kernels
from cbcs.media.jitter import JitterBuffer, JitterStats, Playout, PlayoutKind, PutStatus
from cbcs.media.mix import RoomMixer

__all__ = [
    "Agc",
    "Denoiser",
    "FeedbackGenerator",
    "JitterBuffer",
    "JitterStats",
    "Pacer",
    "Playout",
    "PlayoutKind",
    "Prosody",
    "ProsodyFrame",
    "ProsodyFrameStatus",
    "ProsodyTrack",
    "ProsodyTurn",
    "ProsodyTurnStatus",
    "PutStatus",
    "ReedSolomon",
    "Resampler",
    "RoomMixer",
    "SendSideBwe",
    "TooManyLossesError",
    "TransportFeedback",
    "Vad",
    "available_kernels",
    "netsim",
    "quality",
    "rtp",
]
