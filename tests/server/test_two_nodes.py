"""Two ``cbcs serve`` processes on one PostgreSQL and one Redis: a customer on node A and an
agent on node B chat both ways; a room's comments, posted on both nodes, reach the viewers
of both nodes in one and the same order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from serve_process import ADMIN_KEY, ServeProcess

from cbcs.client import Client


def test_a_customer_on_one_node_and_an_agent_on_another(
        tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    a = ServeProcess(tmp_path / "a", store=postgres_url, bus=redis_url, node_id="node-a")
    b = ServeProcess(tmp_path / "b", store=postgres_url, bus=redis_url, node_id="node-b")

    async def go() -> dict[str, Any]:
        async with Client(a.url, ADMIN_KEY) as admin:
            await admin.put_agent("ana", languages={"es": 5}, markets=["MX"],
                                  time_zone="America/Mexico_City")
            await admin.put_queue("default", offer_timeout_s=30)
            customer = Client(a.url, await admin.mint_token("customer", "cust-1"))
            agent = Client(b.url, await admin.mint_token("agent", "ana"))
            viewers = [Client(url, await admin.mint_token("customer", f"viewer-{i}"))
                       for i, url in enumerate((a.url, b.url, a.url, b.url))]
        console = await agent.live()
        await asyncio.sleep(0.3)   # node A hears of node B's agent through the bus
        await agent.set_status("ana", "available")
        conv = (await customer.start_conversation(language="es", market="MX"))["id"]
        widget = await customer.live()
        await widget.send_message(conv, "¿Dónde está mi pedido?")
        await customer.escalate(conv, "order late")
        offer = await console.next("reservation", timeout=15)
        await agent.accept(offer["id"])
        first = await console.next("message")
        await widget.next("assigned")
        reply = await console.send_message(conv, "Sale mañana, le mando el número.")
        heard = await widget.next("message")
        while heard["seq"] < reply["seq"]:
            heard = await widget.next("message")
        await widget.send_message(conv, "¡Gracias!")
        thanks = await console.next("message")
        while thanks["author"]["role"] != "customer" or thanks["seq"] < 3:
            thanks = await console.next("message")

        channels = [await v.live() for v in viewers]
        for ch in channels:
            await ch.join_room("sale")
        for i in range(20):   # commenters on both nodes at once
            await asyncio.gather(channels[0].comment("sale", f"a{i}"),
                                 channels[1].comment("sale", f"b{i}"))
            await asyncio.sleep(0.55)   # under each sender's 2 comments a second
        orders = []
        for ch in channels:
            seen = []
            while len(seen) < 40:
                frame = await ch.next("room.comment")
                seen.append((frame["seq"], frame["text"]))
            orders.append(seen)
        for ch in (console, widget, *channels):
            await ch.close()
        for c in (customer, agent, *viewers):
            await c.close()
        return {"first": first, "heard": heard, "thanks": thanks, "orders": orders}

    try:
        r = asyncio.run(go())
    finally:
        a.terminate()
        b.terminate()
    assert r["first"]["text"] == "¿Dónde está mi pedido?"
    assert r["heard"]["text"] == "Sale mañana, le mando el número."
    assert r["thanks"]["text"] == "¡Gracias!"
    orders = r["orders"]
    assert all(o == orders[0] for o in orders), "every viewer, on either node, in one order"
    assert [seq for seq, _ in orders[0]] == sorted(seq for seq, _ in orders[0])
    assert sorted(text for _, text in orders[0]) == sorted(
        [f"a{i}" for i in range(20)] + [f"b{i}" for i in range(20)])
