"""Exception types raised by cbcs."""


class CbcsError(Exception):
    """Base class of every error cbcs raises on purpose."""


class ConfigError(CbcsError, ValueError):
    """A constructor or setup call got an argument it cannot use.

    The message says what was expected and what came, e.g.
    ``sample_rate: expected one of 8000, 16000, 48000, got 44100``.
    """


class FrameError(CbcsError, ValueError):
    """Audio handed to a setup-time or offline call has the wrong dtype, shape or rate."""
