"""Tokens: signed, expiring, role-scoped; the admin key."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from cbcs.server.auth import AuthError, Role, TokenAuthority, load_admin_key

NOW = 1_800_000_000.0


def test_a_token_carries_role_and_subject_until_it_expires() -> None:
    auth = TokenAuthority("k" * 32)
    token = auth.mint(Role.CUSTOMER, "cust-1", 60, NOW)
    p = auth.verify(token, NOW + 59)
    assert (p.role, p.subject, p.is_staff) == (Role.CUSTOMER, "cust-1", False)
    with pytest.raises(AuthError, match="expired"):
        auth.verify(token, NOW + 60)


@pytest.mark.parametrize("bad", ["", "not-a-jwt", "a.b.c"])
def test_malformed_credentials_are_refused(bad: str) -> None:
    with pytest.raises(AuthError):
        TokenAuthority("k" * 32).verify(bad, NOW)


def test_another_admin_key_revokes_every_token() -> None:
    token = TokenAuthority("k" * 32).mint(Role.AGENT, "a1", 60, NOW)
    with pytest.raises(AuthError, match="invalid token"):
        TokenAuthority("j" * 32).verify(token, NOW)


def test_a_forged_role_or_unsigned_token_is_refused() -> None:
    auth = TokenAuthority("k" * 32)
    unsigned = jwt.encode({"sub": "x", "role": "admin", "exp": NOW + 60, "iss": "cbcs"},
                          key="", algorithm="none")
    with pytest.raises(AuthError):
        auth.verify(unsigned, NOW)
    other = jwt.encode({"sub": "x", "role": "root", "exp": NOW + 60, "iss": "cbcs"},
                       auth._signing_key, algorithm="HS256")
    with pytest.raises(AuthError, match="unknown role"):
        auth.verify(other, NOW)


def test_the_admin_key_is_an_admin_credential() -> None:
    p = TokenAuthority("k" * 32).verify("k" * 32, NOW)
    assert p.role is Role.ADMIN and p.is_staff


def test_ttl_is_bounded() -> None:
    with pytest.raises(AuthError, match="ttl_s"):
        TokenAuthority("k" * 32).mint(Role.AGENT, "a", 0, NOW)


def test_admin_key_is_generated_once_into_the_data_dir(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CBCS_ADMIN_KEY", raising=False)
    key, where = load_admin_key(tmp_path)
    assert where == str(tmp_path / "admin.key")
    assert (tmp_path / "admin.key").stat().st_mode & 0o077 == 0
    assert load_admin_key(tmp_path)[0] == key
    monkeypatch.setenv("CBCS_ADMIN_KEY", "e" * 20)
    assert load_admin_key(tmp_path) == ("e" * 20, "$CBCS_ADMIN_KEY")
