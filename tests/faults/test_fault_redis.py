"""Redis restarted (empty: it keeps nothing) under chat load, two nodes on it: customers
on one node write to an agent whose console is on the other. While Redis is down
messages are still stored and acknowledged (the store is the record) and live delivery
between nodes waits; once it is back the agent's console gets every message it missed,
once and in order, the agent is still available (their presence was not lost with
Redis's keys) and gets the next offer, and each node logged the outage once with its
reason, and its end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fault_nodes import (ADMIN_KEY, NodeProcess, RawChannel, RedisServer, Talker, log_problems,
                         until)

from cbcs.client import Client

CUSTOMERS = 4


def test_a_redis_restart_delays_delivery_but_loses_and_doubles_nothing(
        tmp_path: Path, postgres_url: str, own_redis: RedisServer) -> None:
    nodes = [NodeProcess(tmp_path / f"data-{n}", tmp_path / f"node-{n}.log",
                         store=postgres_url, bus=own_redis.url, node_id=f"node-{n}")
             for n in "ab"]

    async def go() -> dict[str, Any]:
        async with Client(nodes[0].url, ADMIN_KEY) as admin:
            await admin.put_agent("ana", languages={"es": 5}, markets=["MX"],
                                  capacity={"chat": 10, "voice": 1, "video": 1})
            await admin.put_queue("default", offer_timeout_s=60)
            tokens = [await admin.mint_token("customer", f"cust-{i}")
                      for i in range(CUSTOMERS + 1)]
            agent_token = await admin.mint_token("agent", "ana")
        agent = Client(nodes[1].url, agent_token)
        console = await RawChannel(nodes[1].url, agent_token).open()
        await until(lambda: agent.set_status("ana", "available"), "agent available")
        customers = [Client(nodes[0].url, t) for t in tokens]
        conversations = []
        for c in customers[:CUSTOMERS]:
            conv = (await c.start_conversation(language="es", market="MX"))["id"]
            await c.escalate(conv, "a person please")
            offer = await until(lambda conv=conv: next(
                (f for f in console.of("reservation") if f["conversation"] == conv), None),
                "the offer")
            await agent.accept(offer["id"])
            conversations.append(conv)
        talkers = [Talker(c, conv) for c, conv in zip(customers, conversations)]
        running = [asyncio.create_task(t.run()) for t in talkers]
        await until(lambda: all(len(t.acked) >= 3 for t in talkers), "chat under way")

        await asyncio.to_thread(own_redis.stop)
        marks = [len(t.acked) for t in talkers]
        # the store is the record: messages are still taken while Redis is down
        await until(lambda: all(len(t.acked) >= m + 3 for t, m in zip(talkers, marks)),
                    "messages acknowledged while Redis is down")
        # the customers stop writing while it is down: no later message reveals a gap,
        # what the console missed must come to it when the bus is back
        for t in talkers:
            t.stop.set()
        await asyncio.gather(*running)
        while_down = sum(len(t.acked) - m for t, m in zip(talkers, marks))
        await asyncio.to_thread(own_redis.start)

        # the agent's console catches up with every acknowledged message
        def caught_up() -> bool:
            return all(max(console.seqs(t.conversation), default=0)
                       >= max(seq for _, seq in t.acked) for t in talkers)
        await until(caught_up, "the console has every acknowledged message")

        # still available after Redis lost the presence keys: the next customer's offer
        last = customers[CUSTOMERS]
        conv = (await last.start_conversation(language="es", market="MX"))["id"]
        await last.escalate(conv, "a person please")
        offer = await until(lambda: next(
            (f for f in console.of("reservation") if f["conversation"] == conv), None),
            "an offer after the restart")
        await agent.accept(offer["id"])
        presence = (await agent.request("GET", "/api/v1/agents/ana"))
        histories = {t.conversation: await agent.messages(t.conversation, 0, 500)
                     for t in talkers}
        await console.close()
        for c in (agent, *customers):
            await c.close()
        return {"talkers": talkers, "console": console, "histories": histories,
                "presence": presence, "while_down": while_down}

    try:
        r = asyncio.run(go())
    finally:
        logs = [n.terminate() for n in nodes]
    console: RawChannel = r["console"]
    acked = sum(len(t.acked) for t in r["talkers"])
    print(f"redis restart: {acked} messages acknowledged ({r['while_down']} while Redis was "
          f"down), console frames: {len(console.of('message'))}")
    for t in r["talkers"]:
        history = r["histories"][t.conversation]
        for cid, seq in t.acked:
            assert history[seq - 1]["text"] == t.text(cid)
        seqs = console.seqs(t.conversation)
        assert seqs == sorted(set(seqs)), "the console got a message twice or out of order"
        assert seqs == [m["seq"] for m in history], "the console missed a message"
    assert r["presence"]["presence"] == "available", r["presence"]
    for log in logs:
        assert log_problems(log) == []
        assert log.count("bus: Redis unreachable") == 1, log
        assert log.count("bus: Redis reachable again") == 1, log
        assert "lost presence" not in log and "is gone" not in log, log
