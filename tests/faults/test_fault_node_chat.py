"""A node killed (SIGKILL) during chat, two nodes on one PostgreSQL and one Redis: its
customers and agents move to the other node (the customers resend what was not
acknowledged, with the same client ids); every acknowledged message is in the history
the surviving node serves, none twice; the offers the dead node made move on; every
escalated conversation ends up with one agent, and no conversation was ever taken by two."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

from fault_nodes import ADMIN_KEY, AgentBot, NodeProcess, Talker, log_problems, until

from cbcs.client import Client

CUSTOMERS = 8
AGENTS = 4


def test_killing_a_node_during_chat_loses_no_acknowledged_message_and_assigns_once(
        tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    nodes = [NodeProcess(tmp_path / f"data-{n}", tmp_path / f"node-{n}.log",
                         store=postgres_url, bus=redis_url, node_id=f"node-{n}")
             for n in "ab"]
    a, b = nodes

    async def go() -> dict[str, Any]:
        async with Client(a.url, ADMIN_KEY) as admin:
            await admin.put_queue("default", offer_timeout_s=8)
            for n in range(AGENTS):
                await admin.put_agent(f"agent-{n}", languages={"es": 5}, markets=["MX"],
                                      capacity={"chat": 3, "voice": 1, "video": 1})
            agent_tokens = [await admin.mint_token("agent", f"agent-{n}")
                            for n in range(AGENTS)]
            tokens = [await admin.mint_token("customer", f"cust-{i}")
                      for i in range(CUSTOMERS)]
        # agents and customers half on each node; each falls over to the other
        bots = [AgentBot(f"agent-{n}", t, [nodes[n % 2].url, nodes[1 - n % 2].url],
                         think_s=1.0) for n, t in enumerate(agent_tokens)]
        bot_tasks = [asyncio.create_task(bot.run()) for bot in bots]
        customers = [(Client(nodes[i % 2].url, t), Client(nodes[1 - i % 2].url, t))
                     for i, t in enumerate(tokens)]
        talkers = []
        for home, other in customers:
            conv = (await home.start_conversation(language="es", market="MX"))["id"]
            talkers.append(Talker(home, conv, fallbacks=(other,)))
        running = [asyncio.create_task(t.run()) for t in talkers]
        await until(lambda: all(len(t.acked) >= 2 for t in talkers), "chat under way")
        for (home, _), t in zip(customers, talkers):
            await home.escalate(t.conversation, "a person please")

        def taken() -> set[str]:
            return {conv for bot in bots for conv, _ in bot.accepted}
        # the kill comes while some offers are still being read: they were made by
        # either node, and must still end with one agent per conversation
        await until(lambda: len(taken()) >= 2 and any(bot.reading for bot in bots),
                    "some conversations taken, some offers out")
        a.kill()   # offers and messages in flight on the node's connections
        out_at_kill = sum(len(bot.reading) for bot in bots)
        acked_at_kill = sum(len(t.acked) for t in talkers)
        marks = [len(t.acked) for t in talkers]
        await until(lambda: all(len(t.acked) >= m + 3 for t, m in zip(talkers, marks)),
                    "every customer writing again, through the surviving node", timeout=90)
        await until(lambda: len(taken()) == CUSTOMERS, "every conversation taken",
                    timeout=90)
        # the surviving node tells the death of the other, with its reason
        await until(lambda: "node node-a is gone" in b.log(), "the death in the log")
        for t in talkers:
            t.stop.set()
        await asyncio.gather(*running)
        for bot in bots:
            bot.stop.set()
        await asyncio.gather(*bot_tasks)
        histories, states = {}, {}
        for pair, t in zip(customers, talkers):
            on_b = next(c for c in pair if c.base_url == b.url)
            histories[t.conversation] = await on_b.messages(t.conversation, 0, 500)
            states[t.conversation] = await on_b.conversation(t.conversation)
        for pair in customers:
            for c in pair:
                await c.close()
        return {"talkers": talkers, "bots": bots, "histories": histories, "states": states,
                "acked_at_kill": acked_at_kill, "out_at_kill": out_at_kill}

    try:
        r = asyncio.run(go())
    finally:
        a.kill()
        log_b = b.terminate()
    talkers, bots = r["talkers"], r["bots"]
    by_conversation: dict[str, set[str]] = defaultdict(set)
    for bot in bots:
        for conv, _ in bot.accepted:
            by_conversation[conv].add(bot.agent_id)
    doubles = {c: agents for c, agents in by_conversation.items() if len(agents) > 1}
    acked = sum(len(t.acked) for t in talkers)
    lost = 0
    for t in talkers:
        history = r["histories"][t.conversation]
        texts = [m["text"] for m in history if m["author"]["role"] == "customer"]
        lost += sum(1 for cid, seq in t.acked if history[seq - 1]["text"] != t.text(cid))
        assert len(texts) == len(set(texts)), "a message resent after the kill stored twice"
        assert [m["seq"] for m in history] == list(range(1, len(history) + 1))
    print(f"node killed during chat: {acked} messages acknowledged ({r['acked_at_kill']} "
          f"before the kill), {lost} lost; {len(by_conversation)} conversations taken, "
          f"{len(doubles)} by two agents; {r['out_at_kill']} offers out at the kill; "
          f"refused accepts: "
          f"{sorted({c for bot in bots for c in bot.refused})}")
    assert lost == 0
    assert doubles == {}
    for conv, agents in by_conversation.items():   # the record agrees with the consoles
        assert r["states"][conv]["agent_id"] in agents, r["states"][conv]
    assert log_problems(log_b) == []
    assert log_b.count("node node-a is gone") == 1
