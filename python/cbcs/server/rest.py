"""The REST endpoints of the service contract: thin handlers over the services."""

from __future__ import annotations

from cbcs.server import schemas
from cbcs.server.api import ApiError, Request, RouteTable
from cbcs.server.auth import Role

ADMIN = {Role.ADMIN}


def table() -> RouteTable:
    """Every REST route, in the order the OpenAPI document lists them."""
    t = RouteTable()

    @t.route("POST", "/api/v1/tokens", "mint a token (a builder's backend does this for its "
             "users)", roles=ADMIN, body=schemas.TokenRequest, answer=schemas.TokenAnswer,
             status=201, tag="auth")
    async def mint_token(req: Request) -> schemas.TokenAnswer:
        node = req.node
        body: schemas.TokenRequest = req.body
        now = node.clock()
        ip = req.raw.remote or "?"
        if not node.login_per_ip.allow(ip, now):
            raise ApiError(429, "rate_limited", "too many tokens minted from this address")
        role = Role(body.role)
        token = node.auth.mint(role, body.subject, body.ttl_s, now)
        return schemas.TokenAnswer(token=token, role=body.role, subject=body.subject,
                                   expires_at=float(int(now) + body.ttl_s))

    return t
