"""The OpenAPI 3.1 document, generated from the route table and the pydantic models that
validate requests and WebSocket frames (never a hand-kept copy)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from cbcs.server.api import Route

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": {"type": "string"},
                                            "message": {"type": "string"}}}},
}
_REASONS = {400: "bad request", 401: "no token, or a bad or expired one",
            403: "the role or owner may not do this", 404: "no such thing",
            409: "not possible in the current state", 413: "body too large", 415: "not JSON", 422: "the body does not fit the schema",
            429: "rate limited",
            503: "the store or the bus is unavailable: nothing was done; try again",
            507: "the store's disk is full: nothing was stored; try again later"}


def document(routes: Sequence[Route], frames: Sequence[type[BaseModel]], *, title: str,
             version: str) -> dict[str, Any]:
    """The whole document; WebSocket frames are listed as schemas (``x-websocket-frames``)."""
    models: list[type[BaseModel]] = []
    for r in routes:
        for m in (r.body, r.answer):
            if m is not None and m not in models:
                models.append(m)
    models += [f for f in frames if f not in models]
    _, defs = models_json_schema([(m, "validation") for m in models],
                                 ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for r in routes:
        op: dict[str, Any] = {"summary": r.summary, "operationId": r.handler.__name__,
                              "tags": [r.tag]}
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in re.findall(r"{(\w+)}", r.path)]
        params += [{"name": n, "in": "query", "required": False, "description": d,
                    "schema": {"type": "string"}} for n, d in r.query.items()]
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{r.body.__name__}"}}}}
        ok: dict[str, Any] = {"description": "OK"}
        if r.answer is not None:
            ok["content"] = {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{r.answer.__name__}"}}}
        responses: dict[str, Any] = {str(r.status): ok}
        errors = [400, 429, 503]
        if r.method in ("POST", "PUT", "DELETE"):
            errors.append(507)
        if r.roles:
            errors += [401, 403]
            op["security"] = [{"bearer": []}]
            op["x-roles"] = sorted(role.value for role in r.roles)
        if r.body is not None:
            errors += [413, 415, 422]
        if "{" in r.path:
            errors.append(404)
            if r.method in ("POST", "PUT"):
                errors.append(409)
        for code in sorted(set(errors)):
            responses[str(code)] = {"description": _REASONS[code], "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        op["responses"] = responses
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "x-websocket-frames": {f.__name__: {"$ref": f"#/components/schemas/{f.__name__}"}
                               for f in frames},
    }
