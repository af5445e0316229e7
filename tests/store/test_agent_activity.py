"""The store's agent-activity query on a simulated day that went through the real contact
centre, dispatcher and SQLite store: the analytics agree with what the simulation did, and
the same seed gives the same figures."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cbcs.demo.week import WeekSummary, load_shop, simulate_week
from cbcs.routing.agent_stats import agent_stats
from cbcs.store import open_store

START = 1_796_083_200.0   # a Tuesday, 00:00 UTC


async def _day(url: str, seed: int) -> tuple[WeekSummary, dict[str, Any], Any]:
    store = await open_store(url)
    try:
        await load_shop(store, START)
        week = await simulate_week(store, START, days=1, per_day=60, seed=seed)
        activity = await store.agent_activity(START)
        late = await store.agent_activity(START + 86400)
    finally:
        await store.close()
    return week, agent_stats(activity, START + 86400), late


def test_the_query_sees_what_the_simulated_day_did(store_url: str) -> None:
    week, stats, late = asyncio.run(_day(store_url, seed=3))
    total = stats["total"]
    assert week.accepted > 10 and week.closed > 5
    assert total["conversations"] == week.accepted
    assert total["closed"] == week.closed
    assert total["transferred"] == week.transferred
    # the simulated agents always write before their part ends
    assert total["no_reply"] == 0 and total["first_response_s"]["n"] >= week.closed
    assert {r["agent"] for r in stats["agents"]} <= {
        "maria", "jose", "andi", "ana", "rafael", "lucia", "diego", "wei", "nong", "linh"}
    assert late.tasks == [] and late.replies == [] and late.closes == []


def test_the_same_seed_gives_the_same_figures(tmp_path: Path) -> None:
    def url(name: str) -> str:
        return f"sqlite:///{tmp_path / name / 'cbcs.db'}"

    _, first, _ = asyncio.run(_day(url("a"), seed=5))
    _, again, _ = asyncio.run(_day(url("b"), seed=5))
    _, other, _ = asyncio.run(_day(url("c"), seed=6))
    assert first == again
    assert first != other
