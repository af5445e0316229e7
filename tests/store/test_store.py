"""The store's contract, run on SQLite and on a real PostgreSQL server: migrations, atomic
offers, decisions that happen once, idempotent messages, nothing stored half-way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cbcs.contact import (Agent, AuthorRole, Conversation, ConversationState, Customer,
                          Message, Order, OrderStatus, Presence, Queue, Step, Task, Ticket)
from cbcs.store import Conflict, NotFound, SqlStore, StoreError, open_store
from cbcs.store.schema import metadata


def run(url: str, body: Callable[[SqlStore], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        store = await open_store(url)
        try:
            return await body(store)
        finally:
            await store.close()
    return asyncio.run(go())


async def seeded(store: SqlStore, agents: int = 1, capacity: int = 3) -> None:
    for i in range(agents):
        await store.put_agent(Agent(f"a{i}", languages={"en": 5},
                                    capacity={"chat": capacity}), 0.0)
        await store.set_presence(f"a{i}", Presence.AVAILABLE, 0.0)
    await store.put_queue(Queue("q"), 0.0)


def test_migrations_create_exactly_the_schema(store_url: str) -> None:
    async def body(store: SqlStore) -> list[Any]:
        return await store.run(lambda c: compare_metadata(MigrationContext.configure(c),
                                                          metadata))
    assert run(store_url, body) == []
    assert run(store_url, lambda store: store.list_queues()) == []   # opening twice is fine


def test_profiles_round_trip(store_url: str) -> None:
    agent = Agent("ana", name="Ana", languages={"es": 5, "pt-BR": 3}, skills={"returns": 4},
                  markets=("MX", "BR"), time_zone="America/Mexico_City",
                  shift={"mon-fri": "09:00-18:00"}, capacity={"chat": 4, "voice": 1, "video": 0})
    queue = Queue("returns", target="agent.skills.returns >= 2", priority=2, steps=[
        Step("agent.languages[task.language] >= 5", 30), Step("", None, True)], max_wait_s=600)

    async def body(store: SqlStore) -> tuple[Any, ...]:
        await store.put_agent(agent, 1.0)
        await store.put_agent(agent.with_changes(name="Ana M."), 2.0)
        await store.put_queue(queue, 1.0)
        await store.put_customer(Customer("c1", "es", "MX", "America/Mexico_City", "gold"), 1.0)
        return (await store.get_agent("ana"), await store.get_queue("returns"),
                await store.get_customer("c1"))
    (got, live), got_queue, customer = run(store_url, body)
    assert got == agent.with_changes(name="Ana M.")
    assert live.presence is Presence.OFFLINE and live.load == {"chat": 0, "voice": 0, "video": 0}
    assert got_queue == queue
    assert customer.tier == "gold"


def test_a_task_is_offered_once(store_url: str) -> None:
    async def body(store: SqlStore) -> list[Any]:
        await seeded(store, agents=2)
        await store.create_task(Task("t1", "q", created_at=1.0))
        first = await store.reserve("t1", "a0", "chat", False, 2.0, 22.0, "n1")
        second = await store.reserve("t1", "a1", "chat", False, 2.0, 22.0, "n2")
        (_, live0), (_, live1) = await store.get_agent("a0"), await store.get_agent("a1")
        return [first, second, live0.load["chat"], live1.load["chat"],
                (await store.get_task("t1")).status.value]
    first, second, load0, load1, status = run(store_url, body)
    assert first is not None and first.agent_id == "a0" and second is None
    assert (load0, load1, status) == (1, 0, "reserved")


def test_concurrent_offers_never_exceed_capacity(store_url: str) -> None:
    """Twenty tasks race for one agent with chat capacity 3: exactly three win."""
    async def body(store: SqlStore) -> tuple[int, int, int]:
        await seeded(store, agents=1, capacity=3)
        for i in range(20):
            await store.create_task(Task(f"t{i}", "q", created_at=float(i)))
        results = await asyncio.gather(*(store.reserve(f"t{i}", "a0", "chat", False, 1.0, 21.0,
                                                       "n") for i in range(20)))
        _, live = await store.get_agent("a0")
        pending = await store.list_tasks(["pending"])  # type: ignore[list-item]
        return sum(r is not None for r in results), live.load["chat"], len(pending)
    assert run(store_url, body) == (3, 3, 17)


def test_an_away_agent_gets_no_offer(store_url: str) -> None:
    async def body(store: SqlStore) -> Any:
        await seeded(store)
        await store.set_presence("a0", Presence.AWAY, 1.0)
        await store.create_task(Task("t1", "q"))
        got = await store.reserve("t1", "a0", "chat", False, 1.0, 21.0, "n")
        return got, (await store.get_task("t1")).status.value
    assert run(store_url, body) == (None, "pending")   # and the task rolled back to pending


def test_accept_reject_and_timeout_happen_once(store_url: str) -> None:
    async def body(store: SqlStore) -> dict[str, Any]:
        await seeded(store, agents=2)
        await store.create_task(Task("t1", "q"))
        res = await store.reserve("t1", "a0", "chat", False, 1.0, 21.0, "n")
        assert res is not None
        with pytest.raises(NotFound):
            await store.accept(res.id, "a1", 2.0)            # not theirs
        with pytest.raises(Conflict, match="expired"):
            await store.accept(res.id, "a0", 21.0)           # too late
        rejected = await store.release(res.id, "reject", 3.0, "a0")
        with pytest.raises(Conflict, match="rejected, not pending"):
            await store.accept(res.id, "a0", 4.0)
        again = await store.release(res.id, "timeout", 30.0)
        res2 = await store.reserve("t1", "a1", "chat", False, 5.0, 25.0, "n")
        assert res2 is not None
        accepted = await store.accept(res2.id, "a1", 6.0)
        return {"rejected_by": rejected.rejected_by if rejected else None, "again": again,
                "status": accepted.status.value, "answered_at": accepted.answered_at,
                "load": [(await store.get_agent(a))[1].load["chat"] for a in ("a0", "a1")]}
    out = run(store_url, body)
    assert out == {"rejected_by": frozenset({"a0"}), "again": None, "status": "assigned",
                   "answered_at": 6.0, "load": [0, 1]}


def test_missed_offers_send_an_agent_away(store_url: str) -> None:
    async def body(store: SqlStore) -> list[str]:
        await seeded(store)
        seen = []
        for i in range(3):
            await store.create_task(Task(f"t{i}", "q"))
            res = await store.reserve(f"t{i}", "a0", "chat", False, 1.0, 2.0, "n")
            assert res is not None
            await store.release(res.id, "timeout", 3.0, max_missed=3)
            seen.append((await store.get_agent("a0"))[1].presence.value)
        return seen
    assert run(store_url, body) == ["available", "available", "away"]


def test_wrap_up_holds_the_slot_until_it_ends(store_url: str) -> None:
    async def body(store: SqlStore) -> list[Any]:
        await seeded(store)
        await store.create_task(Task("t1", "q"))
        res = await store.reserve("t1", "a0", "chat", False, 1.0, 21.0, "n")
        assert res is not None
        await store.accept(res.id, "a0", 2.0)
        with pytest.raises(Conflict, match="not yours"):
            await store.complete("t1", "someone-else", 3.0, 30.0)
        await store.complete("t1", "a0", 10.0, 30.0)
        held = (await store.get_agent("a0"))[1].load["chat"]
        early = await store.finish_wrap_ups(39.0)
        freed = await store.finish_wrap_ups(40.0)
        _, live = await store.get_agent("a0")
        return [held, early, freed, live.load["chat"], live.idle_since,
                (await store.get_task("t1")).status.value]
    assert run(store_url, body) == [1, [], ["a0"], 0, 40.0, "completed"]


def test_messages_are_ordered_and_idempotent(store_url: str) -> None:
    async def body(store: SqlStore) -> list[Any]:
        await store.create_conversation(Conversation("cv1", "c1", created_at=1.0))
        out = []
        for client_id, text in (("m1", "hola"), ("m2", "mi pedido"), ("m1", "hola")):
            msg, new = await store.append_message(Message(
                "cv1", AuthorRole.CUSTOMER, "c1", text, client_id=client_id, created_at=2.0))
            out.append((msg.seq, new))
        texts = [m.text for m in await store.list_messages("cv1", after_seq=0)]
        after = [m.seq for m in await store.list_messages("cv1", after_seq=1)]
        with pytest.raises(NotFound):
            await store.append_message(Message("nope", AuthorRole.CUSTOMER, "c1", "x"))
        return [out, texts, after]
    assert run(store_url, body) == [[(1, True), (2, True), (1, False)], ["hola", "mi pedido"],
                                    [2]]


def test_conversation_changes_compare_and_set(store_url: str) -> None:
    async def body(store: SqlStore) -> str:
        conv = Conversation("cv1", "c1")
        await store.create_conversation(conv)
        queued = conv.apply("escalate", 2.0, queue="q")
        await store.update_conversation(queued, ConversationState.BOT)
        with pytest.raises(Conflict, match="no longer bot"):
            await store.update_conversation(queued.apply("offer", 3.0), ConversationState.BOT)
        return (await store.get_conversation("cv1")).state.value
    assert run(store_url, body) == "queued"


def test_overflow_stores_the_callback_ticket_with_it(store_url: str) -> None:
    async def body(store: SqlStore) -> list[Any]:
        await seeded(store)
        await store.create_task(Task("t1", "q", customer_id="c1"))
        ticket = Ticket("cb-t1", "c1", "callback", "Call back", created_at=9.0)
        done = await store.overflow("t1", 9.0, ticket)
        twice = await store.overflow("t1", 10.0, ticket)   # already ended: nothing happens
        return [done, twice, (await store.get_task("t1")).status.value,
                [t.id for t in await store.list_tickets("c1")]]
    assert run(store_url, body) == [True, False, "overflowed", ["cb-t1"]]


def test_a_bad_url_is_a_clear_error(tmp_path: Any) -> None:
    with pytest.raises(StoreError, match="expected a sqlite:///FILE or postgresql"):
        asyncio.run(open_store("mysql://x"))
    with pytest.raises(StoreError, match="cannot open postgresql://nobody:\\*\\*\\*@127.0.0.1:1"):
        asyncio.run(open_store("postgresql://nobody:secret@127.0.0.1:1/x"))


def test_sqlite_is_one_file_in_wal_mode(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'cbcs.db'}"

    async def body(store: SqlStore) -> str:
        return str(await store.run(lambda c: c.execute(sa.text("PRAGMA journal_mode")).scalar()))
    assert run(url, body) == "wal"
    assert (tmp_path / "data" / "cbcs.db").is_file()


def test_orders_keep_exact_amounts_and_come_newest_first(store_url: str) -> None:
    sofa = Order("PH-1001", "c1", "PH", OrderStatus.SHIPPED,
                 [("sofa-3", "Three-seat sofa", 1, "18999.50")], "PHP", "19249.50",
                 placed_at=100.0, updated_at=200.0, tracking="LBC123")
    lamp = Order("PH-1002", "c1", "PH", "delivered", [{"sku": "lamp", "name": "Lamp",
                                                      "qty": 2, "unit_price": "0.10"}],
                 "PHP", Decimal("0.20"), placed_at=300.0, updated_at=400.0, delivered_at=350.0)

    async def body(store: SqlStore) -> tuple[Any, ...]:
        await store.put_order(sofa, 1.0)
        await store.put_order(lamp, 1.0)
        await store.put_order(Order(**{**sofa.__dict__, "status": OrderStatus.DELIVERED,
                                       "updated_at": 500.0, "delivered_at": 450.0}), 2.0)
        with pytest.raises(NotFound):
            await store.get_order("PH-9999")
        return (await store.get_order("PH-1002"), await store.list_orders("c1"),
                await store.list_orders("nobody"))
    got_lamp, mine, none = run(store_url, body)
    assert got_lamp == lamp and got_lamp.subtotal == Decimal("0.20")
    assert [o.id for o in mine] == ["PH-1002", "PH-1001"]
    assert mine[1].status is OrderStatus.DELIVERED and mine[1].total == Decimal("19249.50")
    assert none == []
