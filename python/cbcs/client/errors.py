"""Errors the client raises."""

from __future__ import annotations

from cbcs.errors import CbcsError


class ApiError(CbcsError):
    """The service refused a request: HTTP ``status`` (0 on the live channel), the error's
    ``code`` and its message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status or 'ws'} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
