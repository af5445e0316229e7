"""``cbcs demo-shop`` loads a seller the service then runs with: its customers' conversations
land in their market's queue, its agents and orders are there, and loading twice is safe."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from cbcs.client import Client
from cbcs.server.config import ServerConfig
from cbcs.store import default_url, open_store


def _load(config: ServerConfig) -> str:
    result = subprocess.run([sys.executable, "-m", "cbcs.cli", "demo-shop", "--data-dir",
                             str(config.data_dir)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_demo_shop_is_served(config: ServerConfig, serve: Any) -> None:
    first = _load(config)
    assert "10 agents in 5 time zones, 8 languages" in first
    assert "cbcs serve --data-dir" in first   # what to try next
    assert _load(config) == first   # again: replaced, not duplicated

    async def go() -> tuple[Any, ...]:
        async with serve(config) as (url, node):
            key = node.auth._admin_key.decode()
            async with Client(url, key) as admin:
                queues = {}
                for customer in ("cust-th-1", "cust-br-1", "cust-ph-2"):
                    token = await admin.mint_token("customer", customer)
                    async with Client(url, token) as c:
                        conv = await c.start_conversation()
                        queues[customer] = (await c.escalate(conv["id"], "a return"))["queue"]
                stats = await admin.queue_stats()
        store = await open_store(default_url(config.data_dir))
        try:
            agents = await store.list_agents()
            orders = await store.list_orders("cust-ph-1")
            articles = await store.list_articles("BR", "pt-BR")
        finally:
            await store.close()
        return queues, stats, agents, orders, articles

    queues, stats, agents, orders, articles = asyncio.run(go())
    assert queues == {"cust-th-1": "TH-th", "cust-br-1": "BR-pt-BR", "cust-ph-2": "PH-tl"}
    assert sum(q["waiting"] for q in stats["queues"] if q["language"] is None
               and q["market"] is None) == 3
    assert len(agents) == 10 and len({a.time_zone for a, _ in agents}) == 5
    assert [o.id for o in orders] == ["PH-1001", "PH-0950"]   # newest first
    assert {a.slug for a in articles} == {"returns", "boleto"}
