"""cbcs: real-time media and AI stack for multilingual customer service.

The media core (jitter buffer, link emulator, FEC, congestion control, voice processing)
is C++ behind the private module ``cbcs._core``; use it through :mod:`cbcs.media`.
"""

from cbcs.errors import CbcsError, ConfigError, FrameError

__all__ = ["CbcsError", "ConfigError", "FrameError", "__version__"]
__version__ = "0.1.0"
