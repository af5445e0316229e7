"""The audit log: what supervisors and admins change is kept (who, what, on what, the
outcome), without personal data; what customers and agents do is not; only an admin reads it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from cbcs.client import ApiError, Client
from cbcs.server.config import ServerConfig


def test_staff_actions_are_audited_without_personal_data(config: ServerConfig,
                                                         serve: Any) -> None:
    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            async with Client(url, node.auth._admin_key.decode()) as admin:
                boss = Client(url, await admin.mint_token("supervisor", "sam", ttl_s=600))
                agent = Client(url, await admin.mint_token("agent", "ana"))
                customer = Client(url, await admin.mint_token("customer", "cust-1"))
                await boss.put_agent("ana", name="Ana", languages={"es": 5}, markets=["MX"],
                                     time_zone="America/Mexico_City")
                await boss.put_queue("default", offer_timeout_s=30)
                await boss.put_article("MX", "es", "envios", "Envíos",
                                       "Escríbenos a ventas@tienda.mx o al +52 55 1234 5678")
                with pytest.raises(ApiError):   # refused: still audited, with its status
                    await boss.request("PUT", "/api/v1/agents/bob", {"name": "Bob",
                                                                     "languages": {"xx!": 9}})
                await agent.set_status("ana", "available")   # an agent: not audited
                conv = (await customer.start_conversation(language="es", market="MX"))["id"]
                await customer.post_message(conv, "mi correo es juan.perez@example.com")
                r: dict[str, Any] = {"entries": await admin.audit()}
                with pytest.raises(ApiError) as refused:
                    await boss.audit()
                r["boss_reads"] = refused.value.status
                r["page"] = await admin.audit(after_id=r["entries"][1]["id"], limit=1)
                await close(boss, agent, customer)
                return r

    r = asyncio.run(go())
    rows = [(e["role"], e["subject"], e["action"], e["target"], e["status"])
            for e in r["entries"]]
    assert rows == [
        ("admin", "admin", "POST /api/v1/tokens", "", 201),
        ("admin", "admin", "POST /api/v1/tokens", "", 201),
        ("admin", "admin", "POST /api/v1/tokens", "", 201),
        ("supervisor", "sam", "PUT /api/v1/agents/{id}", "id=ana", 200),
        ("supervisor", "sam", "PUT /api/v1/queues/{name}", "name=default", 200),
        ("supervisor", "sam", "PUT /api/v1/kb/{market}/{language}/{slug}",
         "language=es market=MX slug=envios", 200),
        ("supervisor", "sam", "PUT /api/v1/agents/{id}", "id=bob", 422),
    ], rows
    minted = r["entries"][0]["detail"]
    assert minted["role"] == "supervisor" and minted["ttl_s"] == 600
    text = repr(r["entries"])
    for secret in ("ventas@tienda.mx", "1234 5678", "juan.perez", "Escríbenos"):
        assert secret not in text   # field names only, no texts
    assert "body" in r["entries"][5]["detail"]["fields"]
    assert r["boss_reads"] == 403
    assert [e["id"] for e in r["page"]] == [r["entries"][2]["id"]]


async def close(*clients: Client) -> None:
    for c in clients:
        await c.close()


@pytest.mark.parametrize("keep", [False, True])
def test_originals_of_redacted_messages_are_kept_only_when_turned_on(
        config: ServerConfig, serve: Any, keep: bool) -> None:
    config = replace(config, keep_originals=keep)

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            async with Client(url, node.auth._admin_key.decode()) as admin:
                customer = Client(url, await admin.mint_token("customer", "cust-1"))
                boss = Client(url, await admin.mint_token("supervisor", "sam"))
                conv = (await customer.start_conversation(language="es", market="MX"))["id"]
                await customer.post_message(conv, "mi tarjeta es 4111 1111 1111 1111")
                await customer.post_message(conv, "gracias")
                path = f"/api/v1/conversations/{conv}/originals"
                r: dict[str, Any] = {"history": [m["text"] for m in
                                                 await customer.messages(conv)]}
                r["originals"] = await admin.request("GET", path)
                for who in (customer, boss):
                    with pytest.raises(ApiError) as refused:
                        await who.request("GET", path)
                    r.setdefault("refused", []).append(refused.value.status)
                r["audit"] = [e["action"] for e in await admin.audit()][-1]
                await close(customer, boss)
                return r

    r = asyncio.run(go())
    assert r["history"] == ["mi tarjeta es [card]", "gracias"]
    assert r["originals"]["kept"] is keep
    texts = [o["text"] for o in r["originals"]["originals"]]
    assert texts == (["mi tarjeta es 4111 1111 1111 1111"] if keep else [])
    assert r["refused"] == [403, 403]
    assert r["audit"] == "GET /api/v1/conversations/{id}/originals"
