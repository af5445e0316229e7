"""Typed wrappers over the C++ media core. One import line per area."""

from cbcs.media import netsim, quality
from cbcs.media.cc import FeedbackGenerator, Pacer, SendSideBwe, TransportFeedback
from cbcs.media.jitter import JitterBuffer, JitterStats, Playout, PlayoutKind, PutStatus
