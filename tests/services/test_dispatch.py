"""The dispatcher on a store (SQLite and PostgreSQL) with the clock in the test's hands:
offers time out and move on, rejections move on, overflow goes back to the AI with a
callback ticket and tells the customer when a human is back, bad rules store nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cbcs.bus import MemoryBus
from cbcs.contact import (Agent, Conversation, ConversationState, Customer, Presence, Queue,
                          Task)
from cbcs.routing.expression import ExpressionError
from cbcs.services.dispatch import Dispatcher
from cbcs.store import Conflict, NotFound, open_store

T0 = 1_796_040_000.0   # Monday 30 Nov 2026, 12:00 UTC


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def run(store_url: str, body: Callable[[Dispatcher, Clock, list[dict[str, Any]]],
                                        Awaitable[Any]]) -> Any:
    async def go() -> Any:
        clock = Clock()
        store = await open_store(store_url)
        events: list[dict[str, Any]] = []
        bus = MemoryBus(clock=clock)
        disp = Dispatcher(store, bus, node="n1", clock=clock, hook=events.append)
        await disp.start(background=False)
        try:
            return await body(disp, clock, events)
        finally:
            await disp.stop()
            await store.close()
    return asyncio.run(go())


async def staff(disp: Dispatcher, *agents: Agent) -> None:
    for agent in agents:
        await disp.put_agent(agent)
        await disp.connect(agent.id)
        await disp.set_presence(agent.id, Presence.AVAILABLE)


def test_an_unanswered_offer_moves_to_the_next_agent(store_url: str) -> None:
    async def body(disp: Dispatcher, clock: Clock, events: list[dict[str, Any]]) -> Any:
        await disp.put_queue(Queue("q", offer_timeout_s=20))
        clock.now -= 100
        await staff(disp, Agent("first", languages={"en": 5}))   # idle the longest
        clock.now += 50
        await staff(disp, Agent("second", languages={"en": 5}))
        clock.now = T0
        await disp.submit(Task("t1", "q", created_at=T0))
        offers = [(r.agent_id, r.expires_at - T0) for r in await disp.route()]
        clock.now = T0 + 19.9
        await disp.sweep()
        still = [(r.agent_id) for r in await disp.route()]
        clock.now = T0 + 20
        await disp.sweep()
        moved = [r.agent_id for r in await disp.route()]
        return offers, still, moved, [e["type"] for e in events]
    offers, still, moved, kinds = run(store_url, body)
    assert offers == [("first", 20.0)]
    assert still == [] and moved == ["second"]
    assert kinds == ["reservation", "released", "reservation"]  # the first agent is told


def test_a_rejection_moves_on_and_is_not_offered_again(store_url: str) -> None:
    async def body(disp: Dispatcher, clock: Clock, events: list[dict[str, Any]]) -> Any:
        await disp.put_queue(Queue("q"))
        await staff(disp, Agent("a", languages={"en": 5}))
        await disp.submit(Task("t1", "q", created_at=T0))
        (res,) = await disp.route()
        await disp.reject(res.id, "a")
        again = await disp.route()
        with pytest.raises(Conflict):
            await disp.accept(res.id, "a")
        await staff(disp, Agent("b", languages={"en": 2}))
        (res2,) = await disp.route()
        task = await disp.accept(res2.id, "b")
        return again, task.agent_id, task.status.value, events[-1]
    again, agent, status, last = run(store_url, body)
    assert again == [] and (agent, status) == ("b", "assigned")
    assert last == {"type": "assigned", "task": "t1", "agent": "b", "conversation": None,
                    "translate": False}


def test_overflow_goes_back_to_the_ai_with_a_callback(store_url: str) -> None:
    async def body(disp: Dispatcher, clock: Clock, events: list[dict[str, Any]]) -> Any:
        store = disp.store
        await disp.put_queue(Queue("es", target="agent.languages.es >= 3", max_wait_s=120))
        # the only Spanish speaker is off shift until 09:00 Mexico City time (15:00 UTC)
        await disp.put_agent(Agent("maria", languages={"es": 5}, time_zone="America/Mexico_City",
                                   shift={"mon-fri": "09:00-17:00"}))
        await disp.connect("maria")
        await disp.set_presence("maria", Presence.AVAILABLE)
        await store.put_customer(Customer("c1", "es", "MX", "America/Mexico_City"), T0)
        conv = Conversation("cv1", "c1", language="es", market="MX", created_at=T0)
        await store.create_conversation(conv)
        await store.update_conversation(conv.apply("escalate", T0, queue="es"),
                                        ConversationState.BOT)
        await disp.submit(Task("t1", "es", language="es", market="MX", customer_id="c1",
                               conversation_id="cv1", created_at=T0))
        assert await disp.route() == []           # 06:00 in Mexico City: nobody on duty
        clock.now = T0 + 120
        await disp.sweep()
        after = await store.get_conversation("cv1")
        ticket = await store.get_ticket(after.ticket_id or "")
        (note,) = await store.list_messages("cv1")
        return after.state.value, ticket, note, events[-1], (await store.get_task("t1")).status
    state, ticket, note, event, status = run(store_url, body)
    assert state == "bot" and status.value == "overflowed"
    assert (ticket.category, ticket.priority.value, ticket.customer_id) == ("callback", "high", "c1")
    assert ticket.due_at == T0 + 3 * 3600    # 09:00 in Mexico City
    assert note.author_role.value == "system" and "back at 09:00" in note.text
    assert event["type"] == "overflow" and event["human_back_at"] == ticket.due_at


def test_a_bad_queue_stores_nothing(store_url: str) -> None:
    async def body(disp: Dispatcher, clock: Clock, events: list[dict[str, Any]]) -> Any:
        await disp.put_queue(Queue("q", target="agent.skills.returns >= 1"))
        with pytest.raises(ExpressionError, match="position"):
            await disp.put_queue(Queue("q", target="agent.skills.returns >= "))
        with pytest.raises(NotFound, match="no queue 'nope'"):
            await disp.submit(Task("t1", "nope"))
        return await disp.store.get_queue("q"), await disp.store.list_tasks()
    queue, tasks = run(store_url, body)
    assert queue.target == "agent.skills.returns >= 1" and tasks == []


def test_going_away_hands_back_pending_offers(store_url: str) -> None:
    async def body(disp: Dispatcher, clock: Clock, events: list[dict[str, Any]]) -> Any:
        await disp.put_queue(Queue("q"))
        await staff(disp, Agent("a", languages={"en": 5}))
        await disp.submit(Task("t1", "q", created_at=T0))
        await disp.route()
        await disp.set_presence("a", Presence.AWAY)
        task = await disp.store.get_task("t1")
        await staff(disp, Agent("b", languages={"en": 5}))
        return task.status.value, [r.agent_id for r in await disp.route()]
    assert run(store_url, body) == ("pending", ["b"])


def test_an_agent_whose_node_stops_heartbeats_goes_offline(store_url: str) -> None:
    async def body(disp: Dispatcher, clock: Clock, events: list[dict[str, Any]]) -> Any:
        await disp.put_queue(Queue("q"))
        await staff(disp, Agent("a", languages={"en": 5}))
        await disp.submit(Task("t1", "q", created_at=T0))
        await disp.route()
        disp.hosted.discard("a")   # as if "a" were held by a node that just died
        clock.now += disp.presence_ttl_s + 0.1
        await disp._heartbeat()   # missing at one read only: maybe a Redis that restarted
        first = (await disp.store.get_agent("a"))[1].presence.value
        clock.now += disp.presence_ttl_s / 2
        await disp._heartbeat()   # still missing: gone
        _, live = await disp.store.get_agent("a")
        return first, live.presence.value, (await disp.store.get_task("t1")).status.value
    assert run(store_url, body) == ("available", "offline", "pending")
