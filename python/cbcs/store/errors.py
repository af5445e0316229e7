"""Errors of the store."""

from cbcs.errors import CbcsError


class StoreError(CbcsError):
    """The store could not do what was asked (the message says what and why)."""


class NotFound(StoreError, LookupError):
    """No such agent, queue, task, reservation, conversation, ticket or article."""


class Conflict(StoreError):
    """The thing changed under the caller: an offer that expired or went to someone else,
    a conversation no longer in the expected state. Nothing was changed."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or cannot work now (down, restarting, its disk
    failing): nothing was done; the same request may be sent again later. ``reason``:
    what the database said, for the log."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class StoreFull(StoreUnavailable):
    """The database's disk is full: nothing was written (reads still work); the same
    request may be sent again once there is space."""
