"""The route table: each REST endpoint declared once with who may call it and the pydantic
models of its body and answer. The same declaration registers the aiohttp handler,
validates requests and generates the OpenAPI document (:mod:`cbcs.server.openapi`)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel, ValidationError

from cbcs.bus.base import BusError
from cbcs.contact.errors import InvalidTransition
from cbcs.errors import ConfigError
from cbcs.routing.expression import ExpressionError
from cbcs.server.audit import detail as audit_detail
from cbcs.server.audit import target as audit_target
from cbcs.server.auth import AuthError, Principal, Role
from cbcs.services.conversations import Forbidden, NoQueue
from cbcs.store.errors import Conflict, NotFound, StoreError, StoreFull

log = logging.getLogger("cbcs.server")


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def classify(exc: BaseException) -> tuple[int, str, str]:
    """The HTTP status, code and message of an error a use case raised. Anything not named
    here is the service's own fault: 500 with no detail (the log has the type)."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, NotFound):
        return 404, "not_found", str(exc)
    if isinstance(exc, Forbidden):
        return 403, "forbidden", str(exc)
    if isinstance(exc, (Conflict, InvalidTransition)):
        return 409, "conflict", str(exc)
    if isinstance(exc, NoQueue):
        return 409, "no_queue", str(exc)
    if isinstance(exc, (ConfigError, ExpressionError)):
        return 422, "invalid", str(exc)
    if isinstance(exc, StoreFull):
        return 507, "storage_full", ("the service's storage is full: nothing was stored; "
                                     "try again later")
    if isinstance(exc, (StoreError, BusError)):
        return 503, "unavailable", "storage or bus unavailable: nothing was done; try again"
    return 500, "internal", "internal error"


def describe_validation(exc: ValidationError) -> str:
    """One line naming each bad field and what was expected."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(printable(str(p)) for p in err["loc"]) or "body"
        parts.append(f"{where}: {printable(err['msg'], 300)}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def printable(text: str, limit: int = 128) -> str:
    """A field name or value from the request as an answer may quote it: valid Unicode
    (a lone surrogate from a ``\\ud800`` escape cannot be sent as UTF-8), cut short."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class Request:
    """What a handler gets: the principal, the validated body, the path parameters."""

    node: Any  # cbcs.server.app.Node: the services, auth, limits and clock
    principal: Principal | None
    body: Any
    params: dict[str, str]
    query: dict[str, str]
    raw: web.Request

    @property
    def who(self) -> Principal:
        """The principal of a route that takes a token (every route with roles)."""
        if self.principal is None:
            raise ApiError(401, "unauthorized", "missing bearer token")
        return self.principal


Handler = Callable[[Request], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """One endpoint: ``roles`` empty means anyone (no token needed)."""

    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[Role] = frozenset()
    body: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None
    status: int = 200
    query: dict[str, str] = field(default_factory=dict)  # name -> description (strings)
    tag: str = "api"


class RouteTable:
    """Routes in declaration order; ``@table.route(...)`` declares one."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, path: str, summary: str, *, roles: set[Role] | None = None,
              body: type[BaseModel] | None = None, answer: type[BaseModel] | None = None,
              status: int = 200, query: dict[str, str] | None = None,
              tag: str = "api") -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, summary, frozenset(roles or ()),
                                     body, answer, status, query or {}, tag))
            return handler
        return register


class Gate(Protocol):
    """What a handler needs from the node before it runs."""

    def authenticate(self, request: web.Request) -> Principal: ...

    def limit(self, request: web.Request, principal: Principal | None) -> None: ...

    async def audit(self, principal: Principal | None, action: str, target: str,
                    status: int, detail: dict[str, Any] | None = None) -> None: ...


def aiohttp_handler(route: Route, node: Gate
                    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of a route: auth and role check, rate limit, body validation,
    the call, the answer serialised through its model; errors as JSON."""

    async def handle(request: web.Request) -> web.StreamResponse:
        principal: Principal | None = None
        body: Any = None

        async def audit(status: int) -> None:
            # what supervisors and admins change (reads are not audited)
            if principal is not None and principal.is_staff and route.method != "GET":
                await node.audit(principal, f"{route.method} {route.path}",
                                 audit_target(request.match_info), status, audit_detail(body))

        try:
            if route.roles:
                try:
                    principal = node.authenticate(request)
                except AuthError as exc:
                    raise ApiError(401, "unauthorized", str(exc),
                                   headers={"WWW-Authenticate": "Bearer"}) from None
                if principal.role not in route.roles:
                    allowed = ", ".join(sorted(r.value for r in route.roles))
                    raise forbidden(f"role {principal.role.value} may not do this "
                                    f"(allowed: {allowed})")
            node.limit(request, principal)
            if route.body is not None:
                body = await _parse_body(request, route.body)
            query = {k: v for k, v in request.query.items()}
            unknown = set(query) - set(route.query) - {"token"}
            if unknown:
                raise ApiError(400, "bad_request",
                               f"unknown query parameter: {', '.join(sorted(unknown))}")
            result = await route.handler(Request(node, principal, body,
                                                 dict(request.match_info), query, request))
        except ApiError as exc:
            await audit(exc.status)
            return exc.response()
        except Exception as exc:   # noqa: BLE001 - every error becomes a JSON answer
            status, code, message = classify(exc)
            if status == 500:   # an outage of the store or bus is logged there, once
                log.error("%s %s failed: %s", route.method, route.path, type(exc).__name__,
                          exc_info=True)
            await audit(status)
            return error_response(status, code, message)
        await audit(route.status)
        if isinstance(result, web.StreamResponse):
            return result
        if isinstance(result, BaseModel):
            return web.Response(text=result.model_dump_json(), status=route.status,
                                content_type="application/json")
        return web.json_response(result, status=route.status)

    return handle


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       f"expected a JSON body (Content-Type: application/json), "
                       f"got {request.content_type or 'none'}")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "too_large",
                       f"body over {request.client_max_size} bytes") from None
    return parse_body(raw, model)


def parse_body(raw: bytes, model: type[BaseModel]) -> BaseModel:
    """A request body's bytes as ``model``, or :class:`ApiError` 400 (``bad_json``: not
    JSON of valid Unicode, nested too deeply, or NaN, Infinity or 1e999) or
    422 (``invalid``: the wrong fields or types). Nothing else escapes (fuzz/py)."""
    try:
        data = load_json(raw)
    except ValueError as exc:
        raise ApiError(400, "bad_json", f"malformed JSON ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid", describe_validation(exc)) from None


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(raw: str | bytes) -> Any:
    """Strict JSON (RFC 8259) of valid Unicode: ``ValueError`` for malformed text (also
    bytes that are not UTF-8, -16 or -32), for NaN and Infinity and numbers beyond a
    double, for a lone surrogate (``\\ud800``: no text, it cannot be stored or sent as
    UTF-8) and for nesting deeper than the parser's stack."""
    try:
        text = raw if isinstance(raw, str) else raw.decode(json.detect_encoding(raw))
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        if "\\u" in text:   # escapes may make lone surrogates: none may reach a model
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeEncodeError:
        raise ValueError("a lone surrogate escape is not text") from None
    return data
