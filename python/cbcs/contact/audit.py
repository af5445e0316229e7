"""What supervisors and admins did: one entry per action that changes something (a token
minted, an agent or queue changed, a conversation closed, a call listened to or whispered
into), kept so a seller can answer "who did this, and when".

An entry names the action and its target, never a message's text or other personal data:
``detail`` holds only the names of the fields that were sent and the few values that say
what kind of change it was (a role, a mode, a status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cbcs.contact.errors import check

#: roles whose actions are audited
AUDITED_ROLES = ("supervisor", "admin")


@dataclass(frozen=True)
class AuditEntry:
    """One action: who (``role``, ``subject``), what (``action``, e.g. ``PUT
    /api/v1/agents/{id}`` or ``call.mode``), on what (``target``, e.g. ``agent ana``), its
    outcome (an HTTP-style ``status``) and when (``at``, seconds)."""

    at: float
    role: str
    subject: str
    action: str
    target: str
    status: int
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None   # given by the store

    def __post_init__(self) -> None:
        check(self.role in AUDITED_ROLES,
              f"audit.role: expected one of {', '.join(AUDITED_ROLES)}, got {self.role!r}")
        check(0 < len(self.action) <= 128, "audit.action: expected 1 to 128 characters")
        check(len(self.target) <= 256, "audit.target: expected at most 256 characters")
        check(100 <= self.status <= 599, f"audit.status: expected 100..599, got {self.status}")
