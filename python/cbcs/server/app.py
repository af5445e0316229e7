"""The aiohttp application of one node: middlewares, the route table, the WebSocket
endpoint, and the start and stop of what it uses (``cleanup_ctx``). Wiring only."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from cbcs.server import openapi, rest, schemas, ws
from cbcs.server.api import ApiError, aiohttp_handler, error_response
from cbcs.server.auth import AuthError, Principal, TokenAuthority, load_admin_key
from cbcs.server.config import ServerConfig
from cbcs.server.metrics import Metrics
from cbcs.server.ratelimit import RateLimiter
from cbcs.server.rooms import RoomHub

log = logging.getLogger("cbcs.server")

VERSION = "1"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data: blob:; media-src 'self' blob:; "
                                "connect-src 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; form-action 'self'"),
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
}

class Node:
    """What the handlers share: config, auth, limits, metrics, rooms and the services."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        admin_key, self.admin_key_source = load_admin_key(config.data_dir)
        self.auth = TokenAuthority(admin_key)
        self.metrics = Metrics()
        limits = config.limits
        self.per_token = RateLimiter(limits.per_token)
        self.per_ip = RateLimiter(limits.per_ip)
        self.login_per_ip = RateLimiter(limits.login_per_ip)
        self.clock: Callable[[], float] = time.time
        self.rooms = RoomHub(self._publish_local, comment_rate=limits.room_comment,
                             max_length=limits.room_comment_chars)
        self._room_seq: dict[str, int] = {}
        self.connections: set[ws.Session] = set()
        self.stopping = False

    async def _publish_local(self, room: str, comment: dict[str, Any]) -> int:
        # In-process bus: this node is the whole room (the Redis bus replaces this).
        seq = self._room_seq.get(room, 0) + 1
        self._room_seq[room] = seq
        self.rooms.deliver(room, seq, comment)
        return seq

    def authenticate(self, request: web.Request) -> Principal:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, credential = header.partition(" ")
            if scheme.lower() != "bearer":
                raise AuthError("expected 'Authorization: Bearer <token>'")
        else:
            credential = request.query.get("token", "")
        return self.auth.verify(credential.strip(), self.clock())

    def limit(self, request: web.Request, principal: Principal | None) -> None:
        now = self.clock()
        ip = request.remote or "?"
        if not self.per_ip.allow(ip, now):
            self.metrics.rate_limited.labels("ip").inc()
            raise _limited(self.per_ip.retry_after(ip, now))
        if principal is not None:
            key = f"{principal.role.value}:{principal.subject}"
            if not self.per_token.allow(key, now):
                self.metrics.rate_limited.labels("token").inc()
                raise _limited(self.per_token.retry_after(key, now))


NODE: web.AppKey[Node] = web.AppKey("node")


def _limited(retry_after: float) -> ApiError:
    seconds = max(1, int(retry_after + 0.999))
    return ApiError(429, "rate_limited", f"too many requests: retry in {seconds} s",
                    headers={"Retry-After": str(seconds)})


@web.middleware
async def _guard(request: web.Request,
                 handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                 ) -> web.StreamResponse:
    """Security headers, JSON errors for aiohttp's own refusals, and one log line per
    request that names the route, never the query (tokens) or the body (personal data)."""
    node: Node = request.app[NODE]
    started = time.perf_counter()
    route = request.match_info.route.resource.canonical if request.match_info.route.resource \
        else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPRequestEntityTooLarge:
        response = error_response(413, "too_large",
                                  f"body over {request.client_max_size} bytes")
    except web.HTTPException as exc:
        if exc.status >= 400:
            response = error_response(exc.status, "not_found" if exc.status == 404
                                      else "http_error", exc.reason)
        else:
            raise
    elapsed = time.perf_counter() - started
    node.metrics.requests.labels(route, str(response.status)).inc()
    node.metrics.request_seconds.labels(route).observe(elapsed)
    if not response.prepared:
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
    log.info("%s %s %d %.1fms", request.method, route, response.status, elapsed * 1000)
    return response


def create_app(config: ServerConfig, *, node: Node | None = None) -> web.Application:
    """The application of one node; ``web.run_app(create_app(config))`` serves it."""
    node = node or Node(config)
    app = web.Application(middlewares=[_guard], client_max_size=config.limits.max_body_bytes)
    app[NODE] = node
    table = rest.table()
    for route in table.routes:
        app.router.add_route(route.method, route.path,
                             aiohttp_handler(route, node),
                             name=route.handler.__name__)
    doc = openapi.document(table.routes, [*schemas.CLIENT_FRAMES, *schemas.SERVER_FRAMES],
                           title="cbcs service", version=VERSION)

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.json_response(doc)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "stopping" if node.stopping else "ok"},
                                 status=503 if node.stopping else 200)

    async def metrics(request: web.Request) -> web.Response:
        if not config.public_metrics:
            try:
                if not node.authenticate(request).is_staff:
                    return error_response(403, "forbidden", "metrics: supervisors and admins")
            except AuthError as exc:
                return error_response(401, "unauthorized", str(exc))
        return web.Response(body=node.metrics.render(),
                            content_type="text/plain", charset="utf-8")

    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/ws", ws.handler)
    app.cleanup_ctx.append(_lifetime)
    return app


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    node: Node = app[NODE]
    yield
    node.stopping = True
    for session in list(node.connections):
        session.conn.close_soon(1001, "server shutting down")
    await asyncio.sleep(0)
