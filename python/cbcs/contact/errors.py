"""Errors of the contact-centre domain."""

from __future__ import annotations

from collections.abc import Iterable

from cbcs.errors import CbcsError, ConfigError


class ContactError(CbcsError):
    """Base class of the domain's errors."""


class InvalidTransition(ContactError, ValueError):
    """An event that makes no sense in the current state (accepting a closed conversation).

    The message names the thing, its state, the event and the events that state allows.
    """

    def __init__(self, what: str, state: str, event: str, allowed: Iterable[str]) -> None:
        self.what, self.state, self.event = what, state, event
        self.allowed = sorted(allowed)
        options = ", ".join(self.allowed) or "nothing (it is final)"
        super().__init__(f"{what}: cannot {event} when {state}; {state} allows {options}")


def check(ok: bool, message: str) -> None:
    """Raise :class:`ConfigError` with ``message`` unless ``ok``."""
    if not ok:
        raise ConfigError(message)


def check_id(field: str, value: object, max_len: int = 128) -> str:
    """An identifier: a non-empty printable string without spaces, at most ``max_len`` long."""
    if not isinstance(value, str) or not value or len(value) > max_len or not value.isprintable() \
            or any(c.isspace() for c in value):
        raise ConfigError(f"{field}: expected a non-empty id without spaces (at most {max_len} "
                          f"characters), got {value!r}")
    return value


def check_language(field: str, value: object) -> str:
    """A BCP 47-style language tag such as ``es``, ``pt-BR`` or ``fil``."""
    ok = isinstance(value, str) and 2 <= len(value) <= 16 and all(
        part.isalnum() and part.isascii() for part in value.split("-"))
    if not ok:
        raise ConfigError(f"{field}: expected a language tag such as 'es' or 'pt-BR', "
                          f"got {value!r}")
    return value  # type: ignore[return-value]


def check_market(field: str, value: object) -> str:
    """A market: an ISO 3166 alpha-2 country code in capitals (``MX``, ``PH``)."""
    if not (isinstance(value, str) and len(value) == 2 and value.isascii() and value.isupper()
            and value.isalpha()):
        raise ConfigError(f"{field}: expected a two-letter market code such as 'MX', "
                          f"got {value!r}")
    return value
