"""Chat through a real node: a customer asks for a person, an agent is offered the
conversation, accepts and answers; acks only after storing, retries stored once, resume
returns exactly what was missed, typing reaches the other side, close ends it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cbcs.client import ApiError, Client
from cbcs.server.auth import Role
from cbcs.server.config import ServerConfig


async def shop(url: str, node: Any) -> tuple[Client, Client, Client]:
    """An admin, a Spanish-speaking agent (ana) and a customer in Mexico (cust-1)."""
    admin = Client(url, node.auth._admin_key.decode())
    await admin.put_agent("ana", name="Ana", languages={"es": 5, "en": 3}, markets=["MX"],
                          time_zone="America/Mexico_City")
    await admin.put_queue("default", offer_timeout_s=30)
    agent = Client(url, await admin.mint_token("agent", "ana"))
    customer = Client(url, await admin.mint_token("customer", "cust-1"))
    return admin, agent, customer


def test_a_customer_and_an_agent_chat_both_ways(config: ServerConfig, serve: Any) -> None:
    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            admin, agent, customer = await shop(url, node)
            console = await agent.live()
            await agent.set_status("ana", "available")
            conv = await customer.start_conversation(language="es", market="MX")
            widget = await customer.live()
            await widget.resume(conv["id"], 0)
            first = await widget.send_message(conv["id"], "Hola, quiero devolver una silla")
            await customer.escalate(conv["id"], "wants a refund")
            offer = await console.next("reservation")
            await agent.accept(offer["id"])
            assigned = await console.next("assigned")
            history = [await console.next("message") for _ in range(2)]
            told = await widget.next("assigned")
            reply = await console.send_message(conv["id"], "Claro, ¿cuál es su pedido?")
            heard = await widget.next("message")
            while heard["seq"] != reply["seq"]:
                heard = await widget.next("message")
            await console.send({"type": "typing", "conversation": conv["id"]})
            typing = await widget.next("typing")
            state = await customer.conversation(conv["id"])
            stored = await customer.messages(conv["id"])
            closed = await agent.close_conversation(conv["id"], "refund started")
            for c in (console, widget):
                await c.close()
            for c in (admin, agent, customer):
                await c.close()
            return {"first": first, "offer": offer, "assigned": assigned,
                    "history": history, "told": told, "heard": heard, "typing": typing,
                    "state": state, "stored": stored, "closed": closed}
    r = asyncio.run(go())
    assert r["first"]["seq"] == 1
    assert r["offer"]["conversation"] == r["state"]["id"]
    assert r["assigned"]["agent"] == "ana" and r["told"]["agent"] == "ana"
    # the agent gets the conversation so far, in order, from its first message
    assert [m["seq"] for m in r["history"]] == [1, 2]
    assert r["history"][0]["text"] == "Hola, quiero devolver una silla"
    assert r["heard"]["author"] == {"role": "agent", "id": "ana"}
    assert r["heard"]["text"] == "Claro, ¿cuál es su pedido?"
    assert r["typing"]["author"] == {"role": "agent", "id": "ana"}
    assert r["state"]["state"] == "assigned" and r["state"]["agent_id"] == "ana"
    assert [m["seq"] for m in r["stored"]] == list(range(1, len(r["stored"]) + 1))
    assert r["closed"]["state"] == "closed"


def test_a_retry_is_stored_once_and_resume_gives_exactly_what_was_missed(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> tuple[list[int], list[int], list[str], int]:
        async with serve(config) as (url, node):
            admin, _agent, customer = await shop(url, node)
            conv = await customer.start_conversation(language="es", market="MX")
            cid = conv["id"]
            live = await customer.live()
            acks = [(await live.send_message(cid, f"m{i}", client_id=f"c{i}"))["seq"]
                    for i in range(3)]
            again = await live.send_message(cid, "m1 resent", client_id="c1")
            acks.append(again["seq"])
            await live.close()
            # while the widget is away, the same customer posts from another device
            for i in range(3, 6):
                await customer.post_message(cid, f"m{i}", client_id=f"c{i}")
            live = Client(url, customer.token)
            channel = await live.live()
            await channel.resume(cid, 3)
            missed = [await channel.next("message") for _ in range(3)]
            with pytest.raises(asyncio.TimeoutError):
                await channel.next("message", timeout=0.5)
            stored = await customer.messages(cid)
            await channel.close()
            for c in (admin, customer, live):
                await c.close()
            return acks, [m["seq"] for m in missed], [m["text"] for m in stored], len(stored)
    acks, missed, texts, n = asyncio.run(go())
    assert acks == [1, 2, 3, 2]                  # the retry answers with the first seq
    assert missed == [4, 5, 6]
    assert texts == ["m0", "m1", "m2", "m3", "m4", "m5"] and n == 6


def test_strangers_see_nothing_and_offers_are_for_their_agent(config: ServerConfig,
                                                             serve: Any) -> None:
    async def go() -> list[tuple[str, int, str]]:
        async with serve(config) as (url, node):
            admin, agent, customer = await shop(url, node)
            conv = await customer.start_conversation(language="es", market="MX")
            other = Client(url, await admin.mint_token("customer", "cust-2"))
            bob = Client(url, await admin.mint_token("agent", "bob"))
            refused = []
            for who, call in (
                    ("customer reads", other.conversation(conv["id"])),
                    ("customer history", other.messages(conv["id"])),
                    ("customer posts", other.post_message(conv["id"], "hi")),
                    ("customer escalates", other.escalate(conv["id"], "x")),
                    ("agent reads", bob.conversation(conv["id"])),
                    ("agent posts", agent.post_message(conv["id"], "unassigned")),
                    ("agent accepts", bob.accept("no-such-offer")),
                    ("agent sets another's status", bob.set_status("ana", "available")),
                    ("customer closes", customer.close_conversation(conv["id"], "x")),
                    ("customer stats", customer.queue_stats())):
                try:
                    await call
                    refused.append((who, 200, "allowed"))
                except ApiError as exc:
                    refused.append((who, exc.status, exc.code))
            live = await other.live()
            await live.send({"type": "resume", "conversation": conv["id"], "after_seq": 0})
            err = await live.next("error")
            refused.append(("customer resumes over ws", 0, err["code"]))
            await live.close()
            for c in (admin, agent, customer, other, bob):
                await c.close()
            return refused
    results = asyncio.run(go())
    expected = {"customer reads": 404, "customer history": 404, "customer posts": 404,
                "customer escalates": 404, "agent reads": 404, "agent posts": 404,
                "agent accepts": 404, "agent sets another's status": 403,
                "customer closes": 403, "customer stats": 403}
    for who, status, code in results:
        if who in expected:
            assert status == expected[who], (who, status, code)
        else:
            assert code == "not_found", (who, code)


def test_bad_messages_are_refused_with_a_reason_and_nothing_is_stored(
        config: ServerConfig, serve: Any) -> None:
    import aiohttp

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            admin, agent, customer = await shop(url, node)
            cid = (await customer.start_conversation(language="es", market="MX"))["id"]
            path = f"{url}/api/v1/conversations/{cid}/messages"
            auth = {"Authorization": f"Bearer {customer.token}"}
            rest = []
            async with aiohttp.ClientSession() as http:
                for body in (b"{not json", b'{"client_id": 5, "text": "hi"}',
                             b'{"client_id": "a", "text": "hi", "extra": 1}',
                             b'{"client_id": "a", "text": ""}',
                             b'{"client_id": "a", "text": "' + b"x" * 70_000 + b'"}',
                             b'{"client_id": "a b", "text": "hi"}'):
                    async with http.post(path, data=body, headers={
                            **auth, "Content-Type": "application/json"}) as r:
                        rest.append((r.status, (await r.json())["error"]["code"]))
                now = node.clock()
                expired = node.auth.mint(Role.CUSTOMER, "cust-1", 1, now - 10)
                async with http.post(path, json={"client_id": "a", "text": "hi"},
                                     headers={"Authorization": f"Bearer {expired}"}) as r:
                    rest.append((r.status, (await r.json())["error"]["message"]))
            live = await customer.live()
            frames = []
            for frame in ({"type": "message", "conversation": cid, "client_id": 1,
                           "text": "hi"},
                          {"type": "message", "conversation": cid, "client_id": "a",
                           "text": "x" * 5000},
                          {"type": "message", "conversation": cid, "text": "no id"},
                          {"type": "message", "conversation": "nope", "client_id": "a",
                           "text": "hi"}):
                await live.send(frame)
                frames.append((await live.next("error"))["code"])
            ok = await live.send_message(cid, "still usable")
            stored = await customer.messages(cid)
            await live.close()
            for c in (admin, agent, customer):
                await c.close()
            return {"rest": rest, "frames": frames, "ok": ok, "stored": stored}
    r = asyncio.run(go())
    assert r["rest"] == [(400, "bad_json"), (422, "invalid"), (422, "invalid"),
                         (422, "invalid"), (413, "too_large"), (422, "invalid"),
                         (401, "token expired")]
    assert r["frames"] == ["invalid", "invalid", "invalid", "not_found"]
    assert r["ok"]["seq"] == 1
    assert [m["text"] for m in r["stored"]] == ["still usable"]
