"""Writing the audit log (:mod:`cbcs.contact.audit`): what goes into an entry for a REST
call or a frame, and the node's one place that stores it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from cbcs.contact.audit import AUDITED_ROLES, AuditEntry
from cbcs.privacy import redact
from cbcs.server.auth import Principal
from cbcs.store import StoreError

log = logging.getLogger("cbcs.audit")

#: body fields whose values say what kind of change it was (kept; other values are not)
KEPT_VALUES = ("role", "subject", "mode", "status", "ttl_s", "kind", "priority", "category",
               "state")


class _Store(Protocol):
    async def append_audit(self, entry: AuditEntry) -> None: ...


def detail(body: BaseModel | None) -> dict[str, Any]:
    """The names of the fields sent and the values of :data:`KEPT_VALUES` among them."""
    if body is None:
        return {}
    sent = sorted(body.model_fields_set)
    kept: dict[str, Any] = {}
    for name in sent:
        value = getattr(body, name, None)
        if name in KEPT_VALUES and isinstance(value, (str, int, float, bool)):
            kept[name] = redact(value).text if isinstance(value, str) else value
    return {"fields": sent, **kept}


def target(params: Mapping[str, str]) -> str:
    """A route's path parameters as ``name=value`` pairs (ids only, redacted all the same)."""
    return redact(" ".join(f"{k}={v}" for k, v in sorted(params.items()))).text[:256]


class Auditor:
    """Stores an entry for each action of a supervisor or an admin; others are not
    audited. A failed write is logged (with its reason) and does not undo the action."""

    def __init__(self, store: Callable[[], _Store], clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    async def record(self, principal: Principal | None, action: str, target: str,
                     status: int, detail: dict[str, Any] | None = None) -> None:
        if principal is None or principal.role.value not in AUDITED_ROLES:
            return
        entry = AuditEntry(self._clock(), principal.role.value, principal.subject[:128],
                           action[:128], target[:256], status, detail or {})
        try:
            await self._store().append_audit(entry)
        except StoreError as exc:
            log.error("audit: %s %s not stored: %s", entry.role, entry.action, exc)
