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


class DataNotFoundError(CbcsError, FileNotFoundError):
    """A data set or model file the call needs is not where it was looked for.

    The message says where it looked and how to point cbcs at it.
    """
