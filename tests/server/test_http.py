"""The HTTP surface of a node: tokens, refusals with reasons, limits, OpenAPI, health."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from openapi_spec_validator import validate

from cbcs.server.config import ServerConfig



def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _json(resp: aiohttp.ClientResponse) -> Any:
    return json.loads(await resp.text())


def test_the_admin_key_mints_tokens_and_other_roles_may_not(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> None:
        async with serve(config) as (url, node), aiohttp.ClientSession() as http:
            admin = {"Authorization": f"Bearer {node.auth._admin_key.decode()}"}
            r = await http.post(f"{url}/api/v1/tokens", headers=admin,
                                json={"role": "customer", "subject": "c1", "ttl_s": 60})
            assert r.status == 201
            token = (await _json(r))["token"]
            r = await http.post(f"{url}/api/v1/tokens", headers={"Authorization": f"Bearer {token}"},
                                json={"role": "admin", "subject": "me"})
            assert r.status == 403
            assert "role customer may not" in (await _json(r))["error"]["message"]
            r = await http.post(f"{url}/api/v1/tokens", json={"role": "admin", "subject": "x"})
            assert r.status == 401 and r.headers["WWW-Authenticate"] == "Bearer"
            assert (await _json(r))["error"]["code"] == "unauthorized"
    _run(go())


def test_bad_bodies_get_a_reason(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> None:
        async with serve(config) as (url, node), aiohttp.ClientSession() as http:
            admin = {"Authorization": f"Bearer {node.auth._admin_key.decode()}"}
            cases = [
                (b"{not json", "application/json", 400, "bad_json"),
                (b'{"role": "customer", "subject": 7}', "application/json", 422, "subject"),
                (b'{"role": "customer", "subject": "a", "extra": 1}', "application/json", 422,
                 "extra"),
                (b'{"role": "god", "subject": "a"}', "application/json", 422, "role"),
                (b'{"role": "customer", "subject": "a"}', "text/plain", 415, "JSON"),
                (b'{"x": "' + b"a" * 70_000 + b'"}', "application/json", 413, "bytes"),
            ]
            for body, ctype, status, fragment in cases:
                r = await http.post(f"{url}/api/v1/tokens", data=body,
                                    headers={**admin, "Content-Type": ctype})
                doc = await _json(r)
                assert r.status == status, (body[:40], doc)
                assert fragment in doc["error"]["code"] + doc["error"]["message"], doc
            # the node is still fine after all that
            r = await http.get(f"{url}/healthz")
            assert (await _json(r)) == {"status": "ok", "store": "ok", "bus": "ok"}
    _run(go())


def test_unknown_paths_and_methods_answer_json(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> None:
        async with serve(config) as (url, _), aiohttp.ClientSession() as http:
            r = await http.get(f"{url}/api/v1/nothing")
            assert r.status == 404 and (await _json(r))["error"]["code"] == "not_found"
            r = await http.get(f"{url}/api/v1/tokens")
            assert r.status == 405
    _run(go())


def test_openapi_document_is_valid_and_names_every_route(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> dict[str, Any]:
        async with serve(config) as (url, _), aiohttp.ClientSession() as http:
            r = await http.get(f"{url}/api/v1/openapi.json")
            assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
            return dict(await _json(r))
    doc = _run(go())
    validate(doc)
    op = doc["paths"]["/api/v1/tokens"]["post"]
    assert op["x-roles"] == ["admin"] and "401" in op["responses"]
    assert "MessageFrame" in doc["x-websocket-frames"]


def test_metrics_in_prometheus_text(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> str:
        async with serve(config) as (url, _), aiohttp.ClientSession() as http:
            await http.get(f"{url}/healthz")
            r = await http.get(f"{url}/metrics")
            return await r.text()
    text = _run(go())
    assert 'cbcs_http_requests_total{route="/healthz",status="200"} 1.0' in text


def test_rate_limit_per_ip_says_when_to_retry(
        config: ServerConfig, serve: Any) -> None:
    from cbcs.server.ratelimit import Rate
    from dataclasses import replace

    async def go() -> list[int]:
        async with serve(replace(config, limits=replace(config.limits, per_ip=Rate(1.0, 3)))) as (url, node), \
                aiohttp.ClientSession() as http:
            admin = {"Authorization": f"Bearer {node.auth._admin_key.decode()}"}
            statuses = []
            for _ in range(5):
                r = await http.post(f"{url}/api/v1/tokens", headers=admin,
                                    json={"role": "customer", "subject": "c"})
                statuses.append(r.status)
            assert r.headers["Retry-After"] == "1"
            return statuses
    assert _run(go()) == [201, 201, 201, 429, 429]
