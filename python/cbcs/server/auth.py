"""Signed, expiring, role-scoped tokens, and the admin key they are minted with.

A token is a JWT (HS256, PyJWT) with the claims ``sub`` (the subject id), ``role``
(customer, agent, supervisor, admin), ``iat``, ``exp`` and ``iss`` = ``cbcs``. The signing
key is derived from the admin key (HMAC-SHA256), so every node given the same admin key
(``CBCS_ADMIN_KEY``, or the same ``admin.key`` file) accepts the same tokens, and a new
admin key revokes every token at once. The admin key itself is also accepted as a bearer
credential with the role ``admin`` (a builder's backend uses it to mint tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import jwt

from cbcs.errors import CbcsError

ISSUER = "cbcs"
#: Longest lifetime a token may be minted with (one week); the default is one hour.
MAX_TTL_S = 7 * 24 * 3600
DEFAULT_TTL_S = 3600
ADMIN_KEY_ENV = "CBCS_ADMIN_KEY"
ADMIN_KEY_FILE = "admin.key"


class Role(str, Enum):
    """Who a token speaks for."""

    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AuthError(CbcsError):
    """A credential is missing, malformed, badly signed or expired (HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    """The verified bearer of a request: role and subject id."""

    role: Role
    subject: str
    expires_at: float | None = None  # None for the admin key

    @property
    def is_staff(self) -> bool:
        """Supervisors and admins see every conversation."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


def load_admin_key(data_dir: Path | None) -> tuple[str, str]:
    """The admin key and where it came from: ``$CBCS_ADMIN_KEY``, else ``admin.key`` in the
    data dir, created (mode 0600) at first start."""
    env = os.environ.get(ADMIN_KEY_ENV)
    if env:
        if len(env) < 16:
            raise AuthError(f"{ADMIN_KEY_ENV}: expected at least 16 characters")
        return env, f"${ADMIN_KEY_ENV}"
    if data_dir is None:
        raise AuthError(f"no admin key: set {ADMIN_KEY_ENV} or give a data dir")
    path = data_dir / ADMIN_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
    key = path.read_text().strip()
    if len(key) < 16:
        raise AuthError(f"{path}: expected an admin key of at least 16 characters")
    return key, str(path)


class TokenAuthority:
    """Mints and verifies tokens with the key derived from the admin key."""

    def __init__(self, admin_key: str) -> None:
        self._admin_key = admin_key.encode()
        self._signing_key = hmac.new(self._admin_key, b"cbcs token signing v1",
                                     hashlib.sha256).digest()

    def mint(self, role: Role, subject: str, ttl_s: int, now: float) -> str:
        """A token for ``subject`` in ``role``, valid for ``ttl_s`` seconds from ``now``."""
        if not 1 <= ttl_s <= MAX_TTL_S:
            raise AuthError(f"ttl_s: expected 1..{MAX_TTL_S}, got {ttl_s}")
        claims = {"sub": subject, "role": role.value, "iat": int(now), "exp": int(now) + ttl_s,
                  "iss": ISSUER}
        return jwt.encode(claims, self._signing_key, algorithm="HS256")

    def verify(self, credential: str, now: float) -> Principal:
        """The principal of a bearer credential (a token or the admin key); AuthError otherwise."""
        if not credential:
            raise AuthError("missing bearer token")
        if hmac.compare_digest(credential.encode(), self._admin_key):
            return Principal(Role.ADMIN, "admin")
        try:
            # Expiry is checked below against the `now` passed in, not the wall clock.
            claims = jwt.decode(credential, self._signing_key, algorithms=["HS256"],
                                issuer=ISSUER, options={"require": ["exp", "sub", "role"],
                                                        "verify_exp": False, "verify_iat": False,
                                                        "verify_nbf": False})
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token ({exc})") from None
        if float(claims["exp"]) <= now:
            raise AuthError("token expired")
        try:
            role = Role(claims["role"])
        except ValueError:
            raise AuthError("invalid token (unknown role)") from None
        return Principal(role, str(claims["sub"]), float(claims["exp"]))
