"""The routing engine on tables of agents and tasks: order, eligibility, relaxation over
time, capacity, preferred and longest-idle agents, no language mismatch while a speaker is free."""

from __future__ import annotations

from typing import Any

import pytest

from cbcs.contact import Agent, Presence, Queue, Step, Task
from cbcs.routing.engine import AgentState, Router
from cbcs.routing.expression import ExpressionError
from cbcs.routing.workflow import Workflow

T0 = 1_764_000_000.0   # a Monday, so always-on agents are on duty anyway


def router(*queues: Queue) -> Router:
    r = Router()
    for q in queues:
        r.set_workflow(Workflow.compile(q))
    return r


def agent(r: Router, ident: str, idle_since: float = 0.0, load: dict[str, int] | None = None,
          presence: Presence = Presence.AVAILABLE, **profile: Any) -> AgentState:
    state = AgentState(Agent(ident, **profile), presence, True,
                       {"chat": 0, "voice": 0, "video": 0, **(load or {})}, idle_since)
    r.upsert_agent(state)
    return state


def task(r: Router, ident: str, queue: str = "support", at: float = T0, **attrs: Any) -> Task:
    t = Task(ident, queue, created_at=at, **attrs)
    r.add_task(t)
    return t


def pairs(r: Router, now: float) -> list[tuple[str, str]]:
    return [(o.task_id, o.agent_id) for o in r.match(now)]


SUPPORT = Queue("support")
NATIVE_THEN_ANY = Queue("returns", target="agent.skills.returns >= 1", max_wait_s=300, steps=[
    Step("agent.languages[task.language] >= 5", 30),
    Step("agent.languages[task.language] >= 3", 30),
    Step("", None, translate=True)])


def test_priority_then_tier_then_first_come() -> None:
    r = router(SUPPORT, Queue("vipq", priority=5))
    agent(r, "a", languages={"en": 5}, capacity={"chat": 1})
    task(r, "old", at=T0)
    task(r, "new-gold", at=T0 + 5, tier="gold")
    task(r, "urgent", at=T0 + 9, priority=3)
    task(r, "vip-queue", queue="vipq", at=T0 + 10)
    assert [t.id for t in r.waiting()] == ["vip-queue", "urgent", "new-gold", "old"]
    assert pairs(r, T0 + 11) == [("vip-queue", "a")]


def test_longest_idle_among_equals_and_least_loaded_first() -> None:
    r = router(SUPPORT)
    agent(r, "busy-long-idle", idle_since=T0 - 900, load={"chat": 1}, languages={"en": 5})
    agent(r, "idle-recent", idle_since=T0 - 10, languages={"en": 5})
    agent(r, "idle-long", idle_since=T0 - 600, languages={"en": 5})
    task(r, "t1")
    task(r, "t2", at=T0 + 1)
    task(r, "t3", at=T0 + 2)
    assert pairs(r, T0 + 3) == [("t1", "idle-long"), ("t2", "idle-recent"),
                                ("t3", "busy-long-idle")]


def test_preferred_agent_first_while_free() -> None:
    r = router(SUPPORT)
    agent(r, "longest", idle_since=T0 - 999, languages={"en": 5})
    agent(r, "last-time", idle_since=T0, languages={"en": 3})
    task(r, "t1", preferred_agent="last-time")
    assert pairs(r, T0 + 1) == [("t1", "last-time")]


def test_capacity_defaults_and_calls() -> None:
    r = router(SUPPORT)
    agent(r, "a", languages={"en": 5})
    for i in range(5):
        task(r, f"chat{i}", at=T0 + i)
    task(r, "call", at=T0 + 10, channel="voice")
    # three chats fill chat (default capacity 3); a call may still come beside them
    offers = pairs(r, T0 + 20)
    assert offers[:3] == [("chat0", "a"), ("chat1", "a"), ("chat2", "a")]
    assert offers[3:] == [("call", "a")]
    assert pairs(r, T0 + 21) == []


def test_a_call_blocks_new_chats() -> None:
    r = router(SUPPORT)
    agent(r, "on-call", load={"voice": 1}, languages={"en": 5})
    task(r, "chat")
    assert pairs(r, T0 + 1) == []
    agent(r, "open", load={"voice": 1}, languages={"en": 5}, calls_block_chat=False)
    assert pairs(r, T0 + 1) == [("chat", "open")]


@pytest.mark.parametrize("wait, offered_to", [
    (5, "native"),       # 0-30 s: native speakers only
    (45, "fluent"),      # 30-60 s: proficiency 3 and up
    (90, "other"),       # 60 s on: anyone with the skill, with live translation
])
def test_steps_relax_the_target_as_the_wait_grows(wait: float, offered_to: str) -> None:
    r = router(NATIVE_THEN_ANY)
    roster = {"native": {"es": 5}, "fluent": {"es": 3}, "other": {"en": 5}}
    for name, langs in roster.items():
        if name != "native" or offered_to == "native":
            agent(r, name, languages=langs, skills={"returns": 2})
    if offered_to == "other":
        r.remove_agent("fluent")
    task(r, "t", queue="returns", language="es")
    offers = r.match(T0 + wait)
    assert [(o.agent_id, o.translate) for o in offers] == [(offered_to, offered_to == "other")]


def test_nobody_before_the_step_allows_it() -> None:
    r = router(NATIVE_THEN_ANY)
    agent(r, "fluent", languages={"es": 3}, skills={"returns": 2})
    task(r, "t", queue="returns", language="es")
    assert pairs(r, T0 + 29) == []
    assert pairs(r, T0 + 31) == [("t", "fluent")]


def test_a_speaker_is_preferred_when_translation_is_allowed() -> None:
    r = router(NATIVE_THEN_ANY)
    agent(r, "non-speaker", idle_since=T0 - 9999, languages={"en": 5}, skills={"returns": 5})
    agent(r, "speaker", idle_since=T0, languages={"es": 1}, skills={"returns": 1})
    task(r, "t", queue="returns", language="es")
    assert [(o.agent_id, o.translate) for o in r.match(T0 + 100)] == [("speaker", False)]


def test_no_translation_step_means_speakers_only() -> None:
    r = router(SUPPORT)
    agent(r, "en-only", languages={"en": 5})
    task(r, "t", language="th")
    assert pairs(r, T0 + 1) == []


def test_an_agent_who_rejected_is_not_offered_again() -> None:
    r = router(SUPPORT)
    agent(r, "a", languages={"en": 5})
    task(r, "t", rejected_by=frozenset({"a"}))
    assert pairs(r, T0 + 1) == []
    agent(r, "b", languages={"en": 2})
    assert pairs(r, T0 + 1) == [("t", "b")]


@pytest.mark.parametrize("presence", [Presence.AWAY, Presence.OFFLINE])
def test_only_available_agents_get_offers(presence: Presence) -> None:
    r = router(SUPPORT)
    agent(r, "a", presence=presence, languages={"en": 5})
    task(r, "t")
    assert pairs(r, T0 + 1) == []


def test_an_agent_whose_node_died_gets_nothing() -> None:
    r = router(SUPPORT)
    agent(r, "a", languages={"en": 5}).online = False
    task(r, "t")
    assert pairs(r, T0 + 1) == []


def test_market_and_skill_targets() -> None:
    q = Queue("mx", target="task.market in agent.markets and agent.skills.returns >= 2")
    r = router(q)
    agent(r, "br", languages={"es": 5, "pt": 5}, skills={"returns": 5}, markets=("BR",))
    agent(r, "mx-junior", languages={"es": 5}, skills={"returns": 1}, markets=("MX",))
    task(r, "t", queue="mx", language="es", market="MX")
    assert pairs(r, T0 + 1) == []
    agent(r, "mx", languages={"es": 4}, skills={"returns": 2}, markets=("MX", "CO"))
    assert pairs(r, T0 + 1) == [("t", "mx")]


def test_overflow_after_the_max_wait() -> None:
    r = router(Queue("short", max_wait_s=60))
    task(r, "t", queue="short")
    assert r.next_change(T0 + 10) == T0 + 60
    assert r.overflowing(T0 + 59) == []
    assert [t.id for t in r.overflowing(T0 + 60)] == ["t"]
    assert pairs(r, T0 + 61) == []


def test_human_back_at_is_the_next_shift_start_of_a_matching_agent() -> None:
    r = router(SUPPORT)
    # 2026-11-30 is a Monday; 09:00 in Manila is 01:00 UTC
    monday_noon_utc = 1_796_040_000.0
    agent(r, "manila", presence=Presence.OFFLINE, languages={"en": 5},
          time_zone="Asia/Manila", shift={"mon-fri": "09:00-18:00"})
    agent(r, "thai-only", presence=Presence.OFFLINE, languages={"th": 5},
          time_zone="Asia/Bangkok", shift={"daily": "08:00-09:00"})
    t = task(r, "t", at=monday_noon_utc, language="en")
    back = r.human_back_at(t, monday_noon_utc)
    assert back == monday_noon_utc + 13 * 3600   # Tuesday 09:00 in Manila


@pytest.mark.parametrize("target, where", [
    ("agent.languages.es >=", "queue q target"),
    ("agent.lang == 'es'", "queue q target"),
])
def test_a_bad_queue_target_names_the_queue(target: str, where: str) -> None:
    with pytest.raises(ExpressionError, match=where):
        Workflow.compile(Queue("q", target=target))


def test_a_bad_step_target_names_the_step() -> None:
    with pytest.raises(ExpressionError, match=r"queue q steps\[1\].target"):
        Workflow.compile(Queue("q", steps=[Step("true", 10), Step("agent.skills >", 10)]))
