"""PostgreSQL restarted under chat load, two nodes on it: while it is down, messages are
refused with ``unavailable`` (503 over REST) and never acknowledged; once it is back every
customer's retried messages are stored once, every acknowledged message is in the
history, routing offers again, and each node logged the outage once, with its reason, and
its end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fault_nodes import (ADMIN_KEY, NodeProcess, PostgresServer, RawChannel, RedisServer,
                         Talker, log_problems, until)

from cbcs.client import ApiError, Client

CUSTOMERS = 6


def test_a_postgresql_restart_loses_nothing_acknowledged_and_routing_resumes(
        tmp_path: Path, own_postgres: PostgresServer, own_redis: RedisServer) -> None:
    nodes = [NodeProcess(tmp_path / f"data-{n}", tmp_path / f"node-{n}.log",
                         store=own_postgres.url, bus=own_redis.url, node_id=f"node-{n}")
             for n in "ab"]

    async def go() -> dict[str, Any]:
        async with Client(nodes[0].url, ADMIN_KEY) as admin:
            await admin.put_agent("ana", languages={"es": 5}, markets=["MX"])
            await admin.put_queue("default", offer_timeout_s=60)
            tokens = [await admin.mint_token("customer", f"cust-{i}")
                      for i in range(CUSTOMERS)]
            agent_token = await admin.mint_token("agent", "ana")
        customers = [Client(nodes[i % 2].url, t) for i, t in enumerate(tokens)]
        talkers = [Talker(c, (await c.start_conversation(language="es", market="MX"))["id"])
                   for c in customers]
        running = [asyncio.create_task(t.run()) for t in talkers]
        await until(lambda: all(len(t.acked) >= 3 for t in talkers), "chat under way")

        await asyncio.to_thread(own_postgres.stop)
        # every customer is refused at least once while it is down; REST says 503
        await until(lambda: all(t.refused for t in talkers), "refusals while down")
        rest_status = None
        try:
            await customers[0].post_message(talkers[0].conversation, "over REST")
        except ApiError as exc:
            rest_status = (exc.status, exc.code)
        # an agent's console cannot be registered: told so, and asked to come back later
        refused = await RawChannel(nodes[1].url, agent_token).open()
        await until(lambda: refused.closed, "a console refused while it is down")
        console = ([f.get("code") for f in refused.of("error")], refused.close_code)
        await refused.close()
        await asyncio.to_thread(own_postgres.start)
        marks = [len(t.acked) for t in talkers]
        await until(lambda: all(len(t.acked) >= m + 3 for t, m in zip(talkers, marks)),
                    "chat again after the restart", timeout=90)

        # routing on both nodes works again: an escalation is offered and taken
        agent = Client(nodes[1].url, agent_token)
        live = await agent.live()
        await until(lambda: agent.set_status("ana", "available"), "agent available")
        await customers[0].escalate(talkers[0].conversation, "a person please")
        offer = await live.next("reservation", timeout=30)
        await agent.accept(offer["id"])
        for t in talkers:
            t.stop.set()
        await asyncio.gather(*running)
        histories = {t.conversation: await c.messages(t.conversation, 0, 500)
                     for t, c in zip(talkers, customers)}
        await live.close()
        for c in (agent, *customers):
            await c.close()
        return {"talkers": talkers, "histories": histories, "rest": rest_status,
                "console": console}

    try:
        r = asyncio.run(go())
    finally:
        logs = [n.terminate() for n in nodes]
    acked = sum(len(t.acked) for t in r["talkers"])
    refused = sum(len(t.refused) for t in r["talkers"])
    print(f"postgresql restart: {acked} messages acknowledged, {refused} refusals while it "
          f"was down, REST {r['rest']}")
    assert r["rest"] == (503, "unavailable")
    assert r["console"] == (["unavailable"], 1013)
    for t in r["talkers"]:
        history = r["histories"][t.conversation]
        texts = [m["text"] for m in history if m["author"]["role"] == "customer"]
        assert len(texts) == len(set(texts)), "a retried message was stored twice"
        assert sorted(texts) == sorted(t.text(cid) for cid, _ in t.acked), \
            "stored without an ack, or acknowledged and not stored"
        for cid, seq in t.acked:   # every acknowledged message, with the seq of its ack
            assert history[seq - 1]["text"] == t.text(cid)
        assert set(t.refused) == {"unavailable"}
    for log in logs:
        assert log_problems(log) == []
        assert log.count("store: unavailable") == 1, log
        assert log.count("store: available again") == 1, log
