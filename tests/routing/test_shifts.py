"""Agents in five markets' time zones get offers only inside their own shifts, in local
time, across a daylight-saving change (Mexico City's last one, 30 October 2022, and São
Paulo's start of DST on 4 November 2018)."""

from __future__ import annotations

import datetime as dt

import pytest

from cbcs.contact import Agent, Presence, Queue, Task
from cbcs.routing.engine import AgentState, Router
from cbcs.routing.workflow import Workflow

ZONES = ["Asia/Manila", "America/Sao_Paulo", "America/Mexico_City", "Asia/Bangkok",
         "Asia/Shanghai"]
SHIFT = {"mon-fri": "09:00-17:00"}


def utc(*fields: int) -> float:
    return dt.datetime(*fields, tzinfo=dt.timezone.utc).timestamp()


def on_duty_by_offers(now: float) -> set[str]:
    """Which agents get an offer at ``now``: one task per agent, everyone available."""
    router = Router()
    router.set_workflow(Workflow.compile(Queue("all")))
    for zone in ZONES:
        router.upsert_agent(AgentState(Agent(zone, languages={"en": 5}, time_zone=zone,
                                             shift=SHIFT, capacity={"chat": 1}),
                                       Presence.AVAILABLE))
    for i in range(len(ZONES)):
        router.add_task(Task(f"t{i}", "all", created_at=now - 1))
    return {offer.agent_id for offer in router.match(now)}


MANILA, SAO_PAULO, MEXICO, BANGKOK, SHANGHAI = ZONES


@pytest.mark.parametrize("now, expected", [
    # Mexico City, Friday 28 Oct 2022 (CDT, UTC-5): 09:00 local is 14:00 UTC
    # (São Paulo, UTC-3 in 2022, is on duty from 12:00 UTC to 20:00 UTC)
    (utc(2022, 10, 28, 13, 59), {SAO_PAULO}),
    (utc(2022, 10, 28, 14, 0), {SAO_PAULO, MEXICO}),
    (utc(2022, 10, 28, 21, 59), {MEXICO}),
    (utc(2022, 10, 28, 22, 0), set()),
    # Monday 31 Oct 2022, after DST ended (CST, UTC-6): 09:00 local is now 15:00 UTC
    (utc(2022, 10, 31, 14, 30), {SAO_PAULO}),
    (utc(2022, 10, 31, 15, 0), {SAO_PAULO, MEXICO}),
    (utc(2022, 10, 31, 22, 30), {MEXICO}),
    (utc(2022, 10, 31, 23, 0), set()),
    # São Paulo, Friday 2 Nov 2018 (UTC-3): 09:00 local is 12:00 UTC
    (utc(2018, 11, 2, 11, 30), set()),
    (utc(2018, 11, 2, 12, 0), {SAO_PAULO}),
    # Monday 5 Nov 2018, after DST began (UTC-2): 09:00 local is 11:00 UTC
    (utc(2018, 11, 5, 11, 0), {SAO_PAULO}),
    (utc(2018, 11, 5, 18, 59), {SAO_PAULO, MEXICO}),
    (utc(2018, 11, 5, 19, 0), {MEXICO}),
    # Asia, Wednesday 2 Dec 2026 (no DST): Manila and Shanghai UTC+8, Bangkok UTC+7
    (utc(2026, 12, 2, 0, 59), set()),
    (utc(2026, 12, 2, 1, 0), {MANILA, SHANGHAI}),
    (utc(2026, 12, 2, 2, 0), {MANILA, SHANGHAI, BANGKOK}),
    (utc(2026, 12, 2, 9, 0), {BANGKOK}),
    (utc(2026, 12, 2, 10, 0), set()),
    # Saturday: nobody
    (utc(2026, 12, 5, 3, 0), set()),
])
def test_offers_only_inside_each_agents_shift(now: float, expected: set[str]) -> None:
    assert on_duty_by_offers(now) == expected


def test_a_queue_follows_the_sun() -> None:
    """Across one weekday every UTC hour is covered by someone in some zone, or nobody."""
    covered = {h: on_duty_by_offers(utc(2026, 12, 2, h, 30)) for h in range(24)}
    assert covered[2] == {MANILA, SHANGHAI, BANGKOK}
    assert covered[15] == {SAO_PAULO, MEXICO}
    assert covered[12] == {SAO_PAULO}
    assert all(covered[h] == set() for h in (10, 11))
