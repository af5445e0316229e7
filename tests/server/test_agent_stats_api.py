"""GET /api/v1/stats/agents on a node whose store holds a simulated day: supervisors read
everyone, an agent only their own figures, customers nothing; the answer fits its schema."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from cbcs.demo.week import load_shop, simulate_week
from cbcs.server.auth import Role
from cbcs.server.config import ServerConfig
from cbcs.server.schemas import AgentStatsAnswer
from cbcs.store import default_url, open_store


async def _fill(config: ServerConfig) -> None:
    store = await open_store(default_url(config.data_dir))
    try:
        start = time.time() - 86400
        await load_shop(store, start)
        await simulate_week(store, start, days=1, per_day=50, seed=11)
    finally:
        await store.close()


def test_who_may_read_agent_stats_and_what_they_get(config: ServerConfig, serve: Any) -> None:
    async def go() -> None:
        await _fill(config)
        async with serve(config) as (url, node), aiohttp.ClientSession() as http:
            now = node.clock()

            def bearer(role: Role, subject: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {node.auth.mint(role, subject, 600, now)}"}

            api = f"{url}/api/v1/stats/agents"
            r = await http.get(f"{api}?since=7d", headers=bearer(Role.SUPERVISOR, "sup"))
            assert r.status == 200
            doc = json.loads(await r.text())
            AgentStatsAnswer.model_validate(doc)
            agents = {row["agent"]: row for row in doc["agents"]}
            assert len(agents) >= 3
            assert doc["total"]["conversations"] == sum(
                row["conversations"] for row in agents.values())
            someone = max(agents, key=lambda a: agents[a]["conversations"])
            assert agents[someone]["first_response_s"]["p50"] is not None

            r = await http.get(api, headers=bearer(Role.CUSTOMER, "c1"))
            assert r.status == 403
            r = await http.get(api, headers=bearer(Role.AGENT, someone))
            assert r.status == 200     # an agent reads their own figures
            assert [row["agent"] for row in json.loads(await r.text())["agents"]] == [someone]
            other = next(a for a in agents if a != someone)
            r = await http.get(f"{api}?agent={other}", headers=bearer(Role.AGENT, someone))
            assert r.status == 403
            r = await http.get(f"{api}?agent={someone}", headers=bearer(Role.AGENT, someone))
            assert r.status == 200
            own = json.loads(await r.text())
            assert [row["agent"] for row in own["agents"]] == [someone]
            assert own["agents"][0] == agents[someone]

            r = await http.get(f"{api}?since=last-week", headers=bearer(Role.ADMIN, "adm"))
            assert r.status == 400 and "since" in json.loads(await r.text())["error"]["message"]
            r = await http.get(f"{api}?since=1h", headers=bearer(Role.ADMIN, "adm"))
            assert json.loads(await r.text())["total"]["conversations"] < doc["total"][
                "conversations"]
            r = await http.get(api)
            assert r.status == 401

            r = await http.get(f"{url}/api/v1/openapi.json")
            op = json.loads(await r.text())["paths"]["/api/v1/stats/agents"]["get"]
            assert op["x-roles"] == ["admin", "agent", "supervisor"]
            assert {p["name"] for p in op["parameters"]} == {"since", "agent"}
            assert op["responses"]["200"]["content"]["application/json"]["schema"][
                "$ref"].endswith("/AgentStatsAnswer")
    asyncio.run(go())
