"""What every scenario's users share: the target, tokens minted with the admin key, the
figures that are not locust requests, and the summary written when the run stops."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections import Counter
from typing import Any

from cbcs.server.auth import Role, TokenAuthority

URL = os.environ.get("CBCS_LOADTEST_URL", "http://127.0.0.1:8080")
SUMMARY = os.environ.get("CBCS_LOADTEST_SUMMARY", "")
_authority: TokenAuthority | None = None

#: counts the scenarios keep beside locust's request statistics
counts: Counter[str] = Counter()


def param(name: str, default: float) -> float:
    """A scenario parameter from ``CBCS_LOADTEST_<NAME>``."""
    return float(os.environ.get(f"CBCS_LOADTEST_{name.upper()}", default))


def token(role: str, subject: str, ttl_s: int = 3600) -> str:
    """A token minted here with the admin key (no request to the service needed)."""
    global _authority
    if _authority is None:
        _authority = TokenAuthority(os.environ["CBCS_ADMIN_KEY"])
    return _authority.mint(Role(role), subject, ttl_s, time.time())


def admin_call(method: str, path: str, body: Any = None) -> Any:
    """One REST call with an admin token, for a scenario's set-up (queues, agents)."""
    request = urllib.request.Request(
        URL.rstrip("/") + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token('admin', 'loadtest')}",
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def put_agent(agent_id: str, language: str, market: str, chat_capacity: int) -> None:
    """Create (or replace) a simulated agent's profile."""
    admin_call("PUT", f"/api/v1/agents/{agent_id}", {
        "name": agent_id, "languages": {language: 5}, "markets": [market],
        "capacity": {"chat": chat_capacity}})


def bearer(role: str, subject: str) -> dict[str, str]:
    """The Authorization header of a token minted here."""
    return {"Authorization": f"Bearer {token(role, subject)}"}


def ws_url() -> str:
    return URL.replace("http://", "ws://", 1).rstrip("/") + "/ws"


def fire(environment: Any, kind: str, name: str, ms: float, error: Exception | None = None,
         length: int = 0) -> None:
    environment.events.request.fire(request_type=kind, name=name, response_time=ms,
                                    response_length=length, exception=error, context={})


def write_summary(extra: dict[str, Any]) -> None:
    if SUMMARY:
        with open(SUMMARY, "w") as f:
            json.dump({"counts": dict(counts), **extra}, f)
