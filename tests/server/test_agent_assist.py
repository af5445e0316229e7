"""Agent assist through a real node on the offline models: a Spanish customer in Mexico is
handed to Chen Wei, who reads Chinese; his console gets an ``assist`` frame then, and
another after she asks about a return, with a Chinese suggestion citing the return
article and its Spanish version; only Wei and supervisors may read the panel; the
suggestion Wei sends reaches her in Spanish with his Chinese kept; at close the summary
is written in Chinese on the conversation's ticket."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from cbcs.ai.langid import LinguaLanguageId
from cbcs.client import ApiError, Client
from cbcs.demo.shop import build
from cbcs.server import schemas
from cbcs.server.config import ServerConfig
from cbcs.store import default_url, open_store

ZH_RETURNS = ("退货与退款", "商品送达后 30 天内可退回任何商品。家具由我们免费上门取回。")


async def _load_shop(config: ServerConfig) -> None:
    """The demo shop's customers, orders and articles, as the connector would store them."""
    shop = build(time.time())
    store = await open_store(default_url(config.data_dir))
    try:
        for customer in shop.customers:
            await store.put_customer(customer, time.time())
        for order in shop.orders:
            await store.put_order(order, time.time())
        for article in shop.articles:
            await store.put_article(article)
    finally:
        await store.close()


async def _until(check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await check()
        if got:
            return got
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


def test_agent_assist_suggests_in_the_agents_language_and_sends_in_the_customers(
        config: ServerConfig, serve: Any) -> None:
    config = replace(config, ai="offline", ai_voice=False, translation="off")
    asyncio.run(_load_shop(config))

    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with serve(config) as (url, node):
            admin = Client(url, node.auth._admin_key.decode())
            await admin.put_agent("wei", name="Chen Wei", languages={"zh": 5, "en": 4},
                                  markets=["MX"], capacity={"chat": 3})
            await admin.put_agent("lucia", name="Lucia", languages={"es": 5}, markets=["MX"])
            # anyone, with translation: Wei reads no Spanish
            await admin.put_queue("default", offer_timeout_s=60,
                                  steps=[{"target": "", "translate": True}])
            await admin.put_article("MX", "zh", "returns", *ZH_RETURNS)
            wei = Client(url, await admin.mint_token("agent", "wei"))
            lucia = Client(url, await admin.mint_token("agent", "lucia"))
            boss = Client(url, await admin.mint_token("supervisor", "boss"))
            fernanda = Client(url, await admin.mint_token("customer", "cust-mx-1"))
            console = await wei.live()
            await wei.set_status("wei", "available")
            conv = await fernanda.start_conversation(language="es", market="MX")
            widget = await fernanda.live()
            await widget.resume(conv["id"], 0)
            # the AI hands her to a person; Wei takes it
            await fernanda.post_message(conv["id"], "quiero hablar con una persona, por favor")
            offer = await console.next("reservation", timeout=120)
            await wei.accept(offer["id"])
            await console.next("assigned")
            await _until(lambda: _state(fernanda, conv["id"], "assigned"))
            seen["on_assign"] = await console.next("assist", timeout=120)
            # her next message: a fresh panel for Wei, live
            await fernanda.post_message(conv["id"], "quiero devolver la lámpara")
            seen["frame"] = await console.next("assist", timeout=120)
            seen["panel"] = await wei.assist(conv["id"])
            seen["boss"] = await boss.assist(conv["id"], "en")
            for who, client in (("customer", fernanda), ("other agent", lucia)):
                try:
                    await client.assist(conv["id"])
                except ApiError as refused:
                    seen[who] = refused.status
            # Wei sends the first suggestion as it is
            first = seen["frame"]["suggestions"][0]
            await console.send({"type": "message", "conversation": conv["id"],
                                "client_id": "s-1", "text": first["text"],
                                "suggestion": first["id"]})
            sent = await console.next("ack")

            async def heard() -> dict[str, Any] | None:
                frame = await widget.next("message", timeout=30)
                return frame if frame["seq"] == sent["seq"] else None
            seen["heard"] = await _until(heard)
            # edited, it is Wei's own words: no composed version goes with it
            await console.send({"type": "message", "conversation": conv["id"],
                                "client_id": "s-2", "text": first["text"] + " 谢谢",
                                "suggestion": first["id"]})
            sent = await console.next("ack")
            seen["edited"] = await _until(heard)
            seen["closed"] = await wei.close_conversation(conv["id"], "已安排上门取件")
            seen["ticket"] = await boss.ticket(seen["closed"]["ticket_id"])
            seen["after"] = await boss.assist(conv["id"])
            seen["doc"] = await admin.request("GET", "/api/v1/openapi.json")
            # a conversation without a ticket: closing opens a solved one for the summary
            juliana = Client(url, await admin.mint_token("customer", "cust-br-1"))
            other = await juliana.start_conversation(language="pt-BR", market="BR")
            await juliana.post_message(other["id"], "obrigada, era só isso")
            await _until(lambda: _ai_said(juliana, other["id"]))
            await juliana.escalate(other["id"], "quer falar com uma pessoa")
            await wei.accept((await console.next("reservation", timeout=120))["id"])
            await _until(lambda: _state(juliana, other["id"], "assigned"))
            closed = await wei.close_conversation(other["id"], "已确认无需处理")
            seen["other"] = (closed, await boss.ticket(closed["ticket_id"]))
            await juliana.close()
            for c in (console, widget):
                await c.close()
            for c in (admin, wei, lucia, boss, fernanda):
                await c.close()
        return seen

    seen = asyncio.run(go())
    langid = LinguaLanguageId()
    frame, panel = seen["frame"], seen["panel"]
    schemas.AssistFrame.model_validate(frame)
    # on assignment Wei's console got the panel of the message that brought her
    assert seen["on_assign"]["intent"] == "speak_to_human"
    assert [p["seq"] for p in seen["on_assign"]["sentiment"]] == [1]
    schemas.AssistAnswer.model_validate(panel)
    # the frame: a Chinese suggestion from the Chinese copy of the article, sent in
    # Spanish from Mexico's own article, about a return
    first = frame["suggestions"][0]
    assert first["intent"] == "return_request" and first["lang"] == "zh"
    assert langid.detect(first["text"]).lang == "zh" and ZH_RETURNS[1] in first["text"]
    kb = {(s["language"], s["use"]) for s in first["sources"] if s["kind"] == "kb"}
    assert kb == {("es", "sent"), ("zh", "shown")}
    assert all(s["slug"] == "returns" for s in first["sources"] if s["kind"] == "kb")
    assert first["customer_lang"] == "es" and first["customer_provider"] == "composed"
    assert "30 días" in first["customer_text"]
    assert langid.detect(first["customer_text"]).lang == "es"
    assert frame["order"]["id"] == "MX-1008" and frame["order"]["status"] == "shipped"
    assert [p["seq"] for p in frame["sentiment"]] == sorted(p["seq"] for p in frame["sentiment"])
    assert len(frame["sentiment"]) == 2                  # both of her messages
    # the panel over REST: the same suggestion, the handoff summary in Chinese
    assert panel["suggestions"][0]["id"] == first["id"]
    assert panel["summary"] and "最后一条消息" in panel["summary"]
    assert seen["boss"]["lang"] == "en" and "Last message" in seen["boss"]["summary"]
    assert seen["customer"] == 403 and seen["other agent"] == 404
    # what she got: Wei's Chinese as written, and the Spanish composed with the suggestion
    heard = seen["heard"]
    assert heard["text"] == first["text"] and heard["author"]["id"] == "wei"
    # closing: the summary in Wei's language on the conversation's ticket
    summary = seen["ticket"]["summary"]
    assert "处理结果：已安排上门取件" in summary and "MX-1008" in summary
    assert seen["after"]["summary"] == summary
    # the contract documents the endpoint and the frame
    assert "get" in seen["doc"]["paths"]["/api/v1/conversations/{id}/assist"]
    assert "AssistFrame" in seen["doc"]["x-websocket-frames"]
    closed, ticket = seen["other"]
    assert ticket["conversation_id"] == closed["id"] and ticket["status"] == "solved"
    assert ticket["order_ref"] == "BR-1006" and "BR-1006" in ticket["summary"]
    assert "处理结果：已确认无需处理" in ticket["summary"]
    assert heard["translations"]["es"] == first["customer_text"]
    assert heard["translated_by"]["es"] == "composed"
    assert seen["edited"]["text"].endswith("谢谢") and "es" not in seen["edited"]["translations"]


async def _state(client: Client, conversation: str, state: str) -> bool:
    return bool((await client.conversation(conversation))["state"] == state)


async def _ai_said(client: Client, conversation: str) -> bool:
    return any(m["author"]["role"] == "ai" for m in await client.messages(conversation))
