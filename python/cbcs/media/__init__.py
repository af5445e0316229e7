"""Typed wrappers over the C++ media core."""
from cbcs.media.jitter import JitterBuffer, JitterStats, Playout, PlayoutKind, PutStatus
