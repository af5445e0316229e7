"""Typed wrappers over the C++ media core. One import line per area."""

from cbcs.media import netsim, quality
