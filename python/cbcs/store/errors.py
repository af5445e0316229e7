"""Errors of the store."""

from cbcs.errors import CbcsError


class StoreError(CbcsError):
    """The store could not do what was asked (the message says what and why)."""


class NotFound(StoreError, LookupError):
    """No such agent, queue, task, reservation, conversation, ticket or article."""


class Conflict(StoreError):
    """The thing changed under the caller: an offer that expired or went to someone else,
    a conversation no longer in the expected state. Nothing was changed."""
