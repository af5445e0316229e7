"""The store on SQL: SQLite (embedded default, WAL, one file) or PostgreSQL (several nodes),
through SQLAlchemy's async engine, with Alembic migrations run at open.

Assignment is a conditional update, in one transaction: the task goes pending -> reserved
only if it is still pending, and the agent's load rises only if it is still below capacity
(and they are still available). The same SQL holds on both databases: on PostgreSQL a
second writer blocks on the row and then re-checks the condition against the committed row
(READ COMMITTED), so a loser sees zero rows changed and rolls back; SQLite has one writer
at a time. No lock is held while the engine decides, and a node that loses simply routes
again with fresh rows. Rows are always locked in the order reservation, task, agent."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from cbcs.contact.audit import AuditEntry
from cbcs.contact.agent import CALLS, CHANNELS, Agent, AgentLive, Presence
from cbcs.contact.conversation import Conversation, ConversationState
from cbcs.contact.customer import Customer
from cbcs.contact.example import LabelledExample
from cbcs.contact.knowledge import Article
from cbcs.contact.message import AuthorRole, Message, MessageKind
from cbcs.contact.order import Order, OrderItem, OrderStatus
from cbcs.contact.queue import Queue, Step
from cbcs.contact.shift import WeeklyShift
from cbcs.contact.task import Reservation, ReservationStatus, Task, TaskStatus
from cbcs.contact.ticket import Ticket
from cbcs.routing.agent_stats import CLOSED_PREFIX, AgentActivity, Close, Reply
from cbcs.store import schema as s
from cbcs.store.errors import Conflict, NotFound, StoreError, StoreFull, StoreUnavailable

log = logging.getLogger("cbcs.store")

T = TypeVar("T")
P = ParamSpec("P")
C = TypeVar("C", bound=Callable[..., Any])


def _write(method: Callable[Concatenate[SqlStore, sa.Connection, P], T]
           ) -> Callable[Concatenate[SqlStore, P], Coroutine[Any, Any, T]]:
    """The method is one read-write transaction (committed on return, rolled back on an
    exception; :class:`_Lost` rolls back and returns None)."""
    async def call(self: SqlStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await self.run(lambda conn: method(self, conn, *args, **kwargs), True)
        except _Lost:
            return None  # type: ignore[return-value]
    return _named(call, method)


def _read(method: Callable[Concatenate[SqlStore, sa.Connection, P], T]
          ) -> Callable[Concatenate[SqlStore, P], Coroutine[Any, Any, T]]:
    """The method only reads."""
    async def call(self: SqlStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.run(lambda conn: method(self, conn, *args, **kwargs), False)
    return _named(call, method)


def _named(call: C, method: Callable[..., Any]) -> C:
    call.__name__, call.__qualname__ = method.__name__, method.__qualname__
    call.__doc__ = method.__doc__
    return call


def _one(conn: sa.Connection, query: sa.Select[Any]) -> Any:
    return conn.execute(query).first()


def _all(conn: sa.Connection, query: sa.Select[Any]) -> list[Any]:
    return list(conn.execute(query).all())


def _upsert(conn: sa.Connection, table: sa.Table, keys: dict[str, Any], values: dict[str, Any],
            insert_only: dict[str, Any] | None = None) -> None:
    where = sa.and_(*(table.c[k] == v for k, v in keys.items()))
    if conn.execute(table.update().where(where).values(**values)).rowcount == 0:
        conn.execute(table.insert().values(**keys, **values, **(insert_only or {})))

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 7_460_016   # pg_advisory_xact_lock key: one node migrates at a time


def _url(url: str) -> str:
    if url.startswith(("sqlite:", "sqlite+aiosqlite:")):
        return "sqlite+aiosqlite:" + url.split(":", 1)[1]
    for prefix in ("postgresql://", "postgres://", "postgresql+asyncpg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    raise StoreError(f"store: expected a sqlite:///FILE or postgresql://... URL, got {url!r}")


def _profile(agent: Agent) -> dict[str, Any]:
    return {"name": agent.name, "kind": agent.kind.value, "languages": dict(agent.languages),
            "skills": dict(agent.skills), "markets": list(agent.markets),
            "time_zone": agent.time_zone, "shift": dict(agent.shift.spec)}


def _agent(row: Any) -> tuple[Agent, AgentLive]:
    p = row.profile
    agent = Agent(id=row.id, name=p["name"], kind=p["kind"], languages=p["languages"],
                  skills=p["skills"], markets=tuple(p["markets"]), time_zone=p["time_zone"],
                  shift=WeeklyShift.parse(p["shift"]),
                  capacity={"chat": row.cap_chat, "voice": row.cap_voice, "video": row.cap_video},
                  calls_block_chat=row.calls_block_chat)
    live = AgentLive(Presence(row.presence), {"chat": row.load_chat, "voice": row.load_voice,
                                              "video": row.load_video}, row.idle_since, row.missed)
    return agent, live


def _queue_spec(queue: Queue) -> dict[str, Any]:
    return {"target": queue.target, "priority": queue.priority,
            "steps": [{"target": st.target, "timeout_s": st.timeout_s, "translate": st.translate}
                      for st in queue.steps],
            "max_wait_s": queue.max_wait_s, "service_level_s": queue.service_level_s,
            "wrap_up_s": queue.wrap_up_s, "offer_timeout_s": queue.offer_timeout_s}


def _queue(row: Any) -> Queue:
    spec = dict(row.spec)
    spec["steps"] = tuple(Step(**st) for st in spec["steps"])
    return Queue(name=row.name, **spec)


_TASK_ATTRS = ("skill", "conversation_id", "customer_id", "intent", "sentiment",
               "preferred_agent")


def _task_row(task: Task) -> dict[str, Any]:
    return {"id": task.id, "queue": task.queue, "status": task.status.value,
            "channel": task.channel, "language": task.language, "market": task.market,
            "priority": task.priority, "tier": task.tier,
            "attributes": {k: getattr(task, k) for k in _TASK_ATTRS},
            "rejected_by": sorted(task.rejected_by), "agent_id": task.agent_id,
            "reservation_id": None, "translate": task.translate, "created_at": task.created_at,
            "answered_at": task.answered_at, "ended_at": task.ended_at}


def _task(row: Any) -> Task:
    return Task(id=row.id, queue=row.queue, channel=row.channel, language=row.language,
                market=row.market, priority=row.priority, tier=row.tier,
                created_at=row.created_at, status=TaskStatus(row.status), agent_id=row.agent_id,
                rejected_by=frozenset(row.rejected_by), translate=row.translate,
                answered_at=row.answered_at, ended_at=row.ended_at,
                **{k: row.attributes.get(k) for k in _TASK_ATTRS})


def _reservation(row: Any) -> Reservation:
    return Reservation(id=row.id, task_id=row.task_id, agent_id=row.agent_id,
                       created_at=row.created_at, expires_at=row.expires_at,
                       status=ReservationStatus(row.status), translate=row.translate,
                       node=row.node, decided_at=row.decided_at)


def _conversation(row: Any) -> Conversation:
    return Conversation(**{c: getattr(row, c) for c in (
        "id", "customer_id", "channel", "language", "market", "order_id", "queue", "agent_id",
        "ticket_id", "intent", "sentiment", "created_at", "updated_at", "last_seq")},
        state=ConversationState(row.state))


#: where a message's ``translated_by`` is kept inside its ``translations`` JSON column
_TRANSLATED_BY = "@by"


def _message(row: Any) -> Message:
    translations = dict(row.translations or {})
    by = translations.pop(_TRANSLATED_BY, None)
    return Message(conversation_id=row.conversation_id, seq=row.seq, author_role=row.author_role,
                   author_id=row.author_id, client_id=row.client_id, kind=row.kind,
                   text=row.text, lang=row.lang, translations=translations,
                   translated_by=by if isinstance(by, dict) else {},
                   created_at=row.created_at)


def _translations_column(message: Message) -> dict[str, Any]:
    """``translations`` with ``translated_by`` beside it (one JSON column, no migration)."""
    column: dict[str, Any] = dict(message.translations)
    if message.translated_by:
        column[_TRANSLATED_BY] = dict(message.translated_by)
    return column


def _ticket(row: Any) -> Ticket:
    return Ticket(**{c.name: getattr(row, c.name) for c in s.tickets.columns})


# The statements of the routing hot path, built once with bound parameters: building a
# statement costs more than running it on SQLite.
_TAKE_TASK = s.tasks.update().where(
    s.tasks.c.id == sa.bindparam("b_task"),
    s.tasks.c.status == TaskStatus.PENDING.value).values(
    status=TaskStatus.RESERVED.value, agent_id=sa.bindparam("b_agent"),
    reservation_id=sa.bindparam("b_res"), translate=sa.bindparam("b_translate"))
_NEW_RESERVATION = s.reservations.insert()
_TASK_BY_ID = sa.select(s.tasks).where(s.tasks.c.id == sa.bindparam("b_id"))
_AGENT_BY_ID = sa.select(s.agents).where(s.agents.c.id == sa.bindparam("b_id"))


def _fill_slot(channel: str) -> sa.Update:
    a = s.agents.c
    load = getattr(a, f"load_{channel}")
    return s.agents.update().where(
        a.id == sa.bindparam("b_agent"), a.presence == Presence.AVAILABLE.value,
        _room_sql(channel)).values({load: load + 1})


class _Lost(Exception):
    """Another writer got there first: roll the transaction back."""


def _room_sql(channel: str) -> sa.ColumnElement[bool]:
    """The agent has room for one more ``channel`` task: the SQL twin of Agent.has_room."""
    a = s.agents.c
    on_call = (a.load_voice + a.load_video) == 0
    fits = getattr(a, f"load_{channel}") < getattr(a, f"cap_{channel}")
    if channel in CALLS:
        return sa.and_(fits, on_call)
    return sa.and_(fits, sa.or_(a.calls_block_chat.is_(False), on_call))


_FILL_SLOT = {channel: _fill_slot(channel) for channel in CHANNELS}


class SqlStore:
    """One interface over SQLite and PostgreSQL. Every method is one transaction.

    The methods are written once, as plain SQLAlchemy Core on a connection. On PostgreSQL
    they run through the async engine (asyncpg); on SQLite each whole transaction runs on
    the store's one database thread, a single hop from the event loop, which also makes it
    the one writer SQLite wants."""

    def __init__(self, url: str, engine: AsyncEngine | None, sync_engine: sa.Engine | None
                 ) -> None:
        self.url = url
        self.engine = engine                 # PostgreSQL
        self.sync_engine = sync_engine       # SQLite
        self.dialect = "postgresql" if engine is not None else "sqlite"
        self._thread = (concurrent.futures.ThreadPoolExecutor(1, "cbcs-sqlite")
                        if sync_engine is not None else None)
        self._checkpointer: _Checkpointer | None = None
        self.health = _Health(_safe(url))

    @classmethod
    async def open(cls, url: str) -> SqlStore:
        """Connect and bring the schema to the newest migration."""
        full = _url(url)
        if full.startswith("sqlite"):
            path = full.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            sync_engine = sa.create_engine("sqlite:///" + path, connect_args={
                "timeout": 30, "check_same_thread": False}, poolclass=sa.pool.StaticPool)

            @sa.event.listens_for(sync_engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                # the checkpointer thread copies the WAL back, so no commit waits for it
                for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                               "busy_timeout=30000", "wal_autocheckpoint=0"):
                    cur.execute(f"PRAGMA {pragma}")
                cur.close()
            store = cls(url, None, sync_engine)
            store._checkpointer = _Checkpointer(path)
            if path and path != ":memory:":
                store.health.local = str(Path(path).parent)
        else:
            store = cls(url, create_async_engine(full, pool_size=10, max_overflow=10,
                                                 pool_pre_ping=True), None)
        try:
            await store.run(_migrate, True)
        except StoreUnavailable as error:
            await store.close()
            raise StoreError(f"store: cannot open {_safe(url)}: {error.reason}") from None
        except (OSError, sa.exc.SQLAlchemyError) as error:
            await store.close()
            raise StoreError(f"store: cannot open {_safe(url)}: {_reason(error)}") from None
        return store

    async def close(self) -> None:
        """Close the connections (harmless twice)."""
        if self.engine is not None:
            await self.engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self.sync_engine is not None and self._thread is not None:
            thread, self._thread = self._thread, None
            await asyncio.get_running_loop().run_in_executor(thread, self.sync_engine.dispose)
            thread.shutdown()

    async def run(self, body: Callable[[sa.Connection], T], write: bool = False) -> T:
        """Run ``body(connection)`` as one transaction (read-write if ``write``).

        A failure of the database itself (it cannot be reached, it is restarting, its
        disk is full or failing) raises :class:`StoreUnavailable` (:class:`StoreFull` for
        a full disk) with the reason; the store logs the start of such an outage once and
        its end once (:class:`_Health`)."""
        try:
            result = await self._run(body, write)
        except (StoreError, _Lost):
            self.health.ok(False)   # the database answered (a write it did not keep)
            raise
        except (OSError, sa.exc.SQLAlchemyError, sqlite3.Error) as error:
            fault = _fault(error)
            if fault is None:
                raise
            self.health.failed(fault)
            raise fault from None
        self.health.ok(write)
        return result

    async def _run(self, body: Callable[[sa.Connection], T], write: bool) -> T:
        if self.engine is not None:
            begin = self.engine.begin() if write else self.engine.connect()
            async with begin as conn:
                return await conn.run_sync(body)
        if self._thread is None or self.sync_engine is None:
            raise StoreError("store: it is closed")
        engine = self.sync_engine

        def in_thread() -> T:
            with engine.begin() as conn:
                return body(conn)
        return await asyncio.get_running_loop().run_in_executor(self._thread, in_thread)

    # --- customers ----------------------------------------------------------------------
    @_write
    def put_customer(self, conn: sa.Connection, customer: Customer, now: float) -> None:
        _upsert(conn, s.customers, {"id": customer.id}, {
            "language": customer.language, "market": customer.market,
            "time_zone": customer.time_zone, "tier": customer.tier, "name": customer.name},
            {"created_at": now})

    @_read
    def get_customer(self, conn: sa.Connection, customer_id: str) -> Customer:
        row = _one(conn, sa.select(s.customers).where(s.customers.c.id == customer_id))
        if row is None:
            raise NotFound(f"no customer {customer_id!r}")
        return Customer(row.id, row.language, row.market, row.time_zone, row.tier, row.name)

    # --- agents -------------------------------------------------------------------------
    @_write
    def put_agent(self, conn: sa.Connection, agent: Agent, now: float) -> None:
        """Create or change an agent's profile; their presence and load stay as they are."""
        _upsert(conn, s.agents, {"id": agent.id}, {
            "profile": _profile(agent), "cap_chat": agent.capacity["chat"],
            "cap_voice": agent.capacity["voice"], "cap_video": agent.capacity["video"],
            "calls_block_chat": agent.calls_block_chat, "updated_at": now},
            {"presence": Presence.OFFLINE.value, "idle_since": now})

    @_read
    def get_agent(self, conn: sa.Connection, agent_id: str) -> tuple[Agent, AgentLive]:
        row = conn.execute(_AGENT_BY_ID, {"b_id": agent_id}).first()
        if row is None:
            raise NotFound(f"no agent {agent_id!r}")
        return _agent(row)

    @_read
    def list_agents(self, conn: sa.Connection) -> list[tuple[Agent, AgentLive]]:
        return [_agent(r) for r in _all(conn, sa.select(s.agents).order_by(s.agents.c.id))]

    @_write
    def set_presence(self, conn: sa.Connection, agent_id: str, presence: Presence,
                     now: float) -> None:
        values: dict[str, Any] = {"presence": Presence(presence).value, "updated_at": now}
        if presence is Presence.AVAILABLE:
            values["missed"] = 0
        done = conn.execute(s.agents.update().where(s.agents.c.id == agent_id)
                                  .values(**values))
        if done.rowcount == 0:
            raise NotFound(f"no agent {agent_id!r}")

    # --- queues -------------------------------------------------------------------------
    @_write
    def put_queue(self, conn: sa.Connection, queue: Queue, now: float) -> None:
        _upsert(conn, s.queues, {"name": queue.name},
                           {"spec": _queue_spec(queue), "updated_at": now})

    @_read
    def get_queue(self, conn: sa.Connection, name: str) -> Queue:
        row = _one(conn, sa.select(s.queues).where(s.queues.c.name == name))
        if row is None:
            raise NotFound(f"no queue {name!r}")
        return _queue(row)

    @_read
    def list_queues(self, conn: sa.Connection) -> list[Queue]:
        return [_queue(r) for r in _all(conn, sa.select(s.queues).order_by(s.queues.c.name))]

    # --- tasks and reservations ---------------------------------------------------------
    @_write
    def create_task(self, conn: sa.Connection, task: Task) -> None:
        try:
            conn.execute(s.tasks.insert().values(**_task_row(task)))
        except sa.exc.IntegrityError:
            raise Conflict(f"task {task.id!r} exists already") from None

    @_read
    def get_task(self, conn: sa.Connection, task_id: str) -> Task:
        row = conn.execute(_TASK_BY_ID, {"b_id": task_id}).first()
        if row is None:
            raise NotFound(f"no task {task_id!r}")
        return _task(row)

    @_read
    def list_tasks(self, conn: sa.Connection, statuses: Iterable[TaskStatus] | None = None,
                         since: float | None = None) -> list[Task]:
        query = sa.select(s.tasks).order_by(s.tasks.c.created_at, s.tasks.c.id)
        if statuses is not None:
            query = query.where(s.tasks.c.status.in_([TaskStatus(x).value for x in statuses]))
        if since is not None:
            query = query.where(s.tasks.c.created_at >= since)
        return [_task(r) for r in _all(conn, query)]

    @_read
    def get_reservation(self, conn: sa.Connection, reservation_id: str) -> Reservation:
        row = _one(conn, sa.select(s.reservations)
                              .where(s.reservations.c.id == reservation_id))
        if row is None:
            raise NotFound(f"no reservation {reservation_id!r}")
        return _reservation(row)

    @_read
    def list_reservations(self, conn: sa.Connection, status: ReservationStatus | None = None,
                                agent_id: str | None = None) -> list[Reservation]:
        query = sa.select(s.reservations).order_by(s.reservations.c.created_at)
        if status is not None:
            query = query.where(s.reservations.c.status == status.value)
        if agent_id is not None:
            query = query.where(s.reservations.c.agent_id == agent_id)
        return [_reservation(r) for r in _all(conn, query)]

    @_write
    def reserve(self, conn: sa.Connection, task_id: str, agent_id: str, channel: str,
                translate: bool, now: float, expires_at: float, node: str
                ) -> Reservation | None:
        """Offer ``task_id`` to ``agent_id`` if the task is still pending and the agent still
        available with room on ``channel``; None (and nothing changed) otherwise."""
        if channel not in CHANNELS:
            raise StoreError(f"channel: expected one of {', '.join(CHANNELS)}, got {channel!r}")
        rid = uuid.uuid4().hex
        took = conn.execute(_TAKE_TASK, {"b_task": task_id, "b_agent": agent_id, "b_res": rid,
                                         "b_translate": translate})
        if took.rowcount != 1:
            raise _Lost
        if conn.execute(_FILL_SLOT[channel], {"b_agent": agent_id}).rowcount != 1:
            raise _Lost   # rolls the task back to pending
        conn.execute(_NEW_RESERVATION, {
            "id": rid, "task_id": task_id, "agent_id": agent_id, "status": "pending",
            "translate": translate, "node": node, "created_at": now, "expires_at": expires_at})
        return Reservation(rid, task_id, agent_id, now, expires_at, translate=translate,
                           node=node)

    def _decide(self, conn: sa.Connection, reservation_id: str, status: str,
                      now: float, agent_id: str | None, live_only: bool) -> Any:
        r = s.reservations.c
        where = [r.id == reservation_id, r.status == ReservationStatus.PENDING.value]
        if agent_id is not None:
            where.append(r.agent_id == agent_id)
        if live_only:
            where.append(r.expires_at > now)
        done = conn.execute(s.reservations.update().where(*where)
                                  .values(status=status, decided_at=now))
        if done.rowcount != 1:
            row = (conn.execute(sa.select(s.reservations).where(r.id == reservation_id)
                                      )).first()
            if row is None:
                raise NotFound(f"no reservation {reservation_id!r}")
            if agent_id is not None and row.agent_id != agent_id:
                raise NotFound(f"no reservation {reservation_id!r} for agent {agent_id!r}")
            state = "expired" if row.status == "pending" else row.status
            raise Conflict(f"reservation {reservation_id}: it is {state}, not pending")
        return (conn.execute(sa.select(s.reservations).where(r.id == reservation_id))
                ).first()

    @_write
    def accept(self, conn: sa.Connection, reservation_id: str, agent_id: str, now: float) -> Task:
        """The offered agent takes the task. :class:`Conflict` if the offer has expired,
        was decided already or was cancelled."""
        t, a = s.tasks.c, s.agents.c
        res = self._decide(conn, reservation_id, "accepted", now, agent_id, True)
        conn.execute(s.tasks.update().where(
            t.id == res.task_id, t.reservation_id == reservation_id).values(
            status=TaskStatus.ASSIGNED.value, answered_at=now))
        conn.execute(s.agents.update().where(a.id == agent_id).values(missed=0))
        row = (conn.execute(sa.select(s.tasks).where(t.id == res.task_id))).first()
        return _task(row)

    def _release(self, conn: sa.Connection, reservation_id: str, event: str, now: float,
                 agent_id: str | None = None, max_missed: int = 3) -> Task | None:
        """End a pending offer without a taker: ``reject`` (by ``agent_id``), ``timeout`` or
        ``cancel``. The task waits again (never offered to that agent again after a reject),
        the agent's slot frees up, and an agent who times out ``max_missed`` times in a row
        goes away. Returns the task, or None if the offer was no longer pending (timeouts
        and cancels race between nodes: the loser does nothing)."""
        status = {"reject": "rejected", "timeout": "timed_out", "cancel": "canceled"}[event]
        t, a = s.tasks.c, s.agents.c
        try:
            res = self._decide(conn, reservation_id, status, now, agent_id, event == "reject")
        except Conflict:
            if event == "reject":
                raise
            return None
        row = _one(conn, sa.select(s.tasks).where(t.id == res.task_id))
        rejected = sorted(set(row.rejected_by) | {res.agent_id}) if event == "reject" \
            else row.rejected_by
        conn.execute(s.tasks.update().where(
            t.id == res.task_id, t.reservation_id == reservation_id,
            t.status == TaskStatus.RESERVED.value).values(
            status=TaskStatus.PENDING.value, agent_id=None, reservation_id=None,
            translate=False, rejected_by=rejected))
        load = getattr(a, f"load_{row.channel}")
        values: dict[Any, Any] = {load: sa.func.max(load - 1, 0) if self.dialect == "sqlite"
                                  else sa.func.greatest(load - 1, 0)}
        if event == "timeout":
            values[a.missed] = a.missed + 1
            values[a.presence] = sa.case((a.missed + 1 >= max_missed, Presence.AWAY.value),
                                         else_=a.presence)
        conn.execute(s.agents.update().where(a.id == res.agent_id).values(values))
        self._mark_idle(conn, res.agent_id, now)
        row = (conn.execute(sa.select(s.tasks).where(t.id == res.task_id))).first()
        return _task(row)

    release = _write(_release)

    def _mark_idle(self, conn: sa.Connection, agent_id: str, now: float) -> None:
        a = s.agents.c
        conn.execute(s.agents.update().where(
            a.id == agent_id, a.load_chat + a.load_voice + a.load_video == 0)
            .values(idle_since=now))

    @_read
    def expired(self, conn: sa.Connection, now: float, limit: int = 500) -> list[Reservation]:
        """Pending offers whose time is up (any node's: the timer is this row)."""
        r = s.reservations.c
        return [_reservation(x) for x in _all(conn, 
            sa.select(s.reservations).where(r.status == "pending", r.expires_at <= now)
            .order_by(r.expires_at).limit(limit))]

    @_write
    def complete(self, conn: sa.Connection, task_id: str, agent_id: str, now: float,
                 wrap_up_s: float) -> Task:
        """The agent closes the task; their slot stays held for the wrap-up time."""
        t = s.tasks.c
        done = conn.execute(s.tasks.update().where(
            t.id == task_id, t.agent_id == agent_id, t.status == TaskStatus.ASSIGNED.value)
            .values(status=TaskStatus.WRAPPING.value, ended_at=now,
                    wrap_until=now + wrap_up_s))
        row = (conn.execute(sa.select(s.tasks).where(t.id == task_id))).first()
        if row is None:
            raise NotFound(f"no task {task_id!r}")
        if done.rowcount != 1:
            raise Conflict(f"task {task_id}: it is {row.status}"
                           f"{'' if row.agent_id == agent_id else ' and not yours'}, "
                           f"not assigned to {agent_id}")
        return _task(row)

    @_write
    def finish_wrap_ups(self, conn: sa.Connection, now: float) -> list[str]:
        """Free the slots whose wrap-up time is over; the agents whose load fell."""
        t, a = s.tasks.c, s.agents.c
        agents: list[str] = []
        rows = _all(conn, sa.select(s.tasks.c.id).where(
            t.status == TaskStatus.WRAPPING.value, t.wrap_until <= now))
        for (task_id,) in rows:
            done = conn.execute(s.tasks.update().where(
                t.id == task_id, t.status == TaskStatus.WRAPPING.value)
                .values(status=TaskStatus.COMPLETED.value).returning(t.agent_id, t.channel))
            hit = done.first()
            if hit is None:
                continue
            load = getattr(a, f"load_{hit.channel}")
            conn.execute(s.agents.update().where(a.id == hit.agent_id)
                               .values({load: load - 1}))
            self._mark_idle(conn, hit.agent_id, now)
            agents.append(hit.agent_id)
        return agents

    @_write
    def cancel_task(self, conn: sa.Connection, task_id: str, now: float) -> Task:
        """The customer left while waiting: the task and any pending offer end."""
        t = s.tasks.c
        row = _one(conn, sa.select(s.tasks).where(t.id == task_id))
        if row is None:
            raise NotFound(f"no task {task_id!r}")
        if row.status == TaskStatus.RESERVED.value and row.reservation_id:
            self._release(conn, row.reservation_id, "cancel", now)
        done = conn.execute(s.tasks.update().where(
            t.id == task_id, t.status == TaskStatus.PENDING.value)
            .values(status=TaskStatus.CANCELED.value, ended_at=now))
        if done.rowcount != 1:
            row = _one(conn, sa.select(s.tasks).where(t.id == task_id))
            raise Conflict(f"task {task_id}: it is {row.status}, not waiting")
        return _task(_one(conn, sa.select(s.tasks).where(t.id == task_id)))

    @_write
    def overflow(self, conn: sa.Connection, task_id: str, now: float,
                 ticket: Ticket | None) -> bool:
        """Nobody took the task in time: it ends as overflowed, with its callback ticket
        stored in the same transaction. False if it was no longer waiting."""
        t = s.tasks.c
        done = conn.execute(s.tasks.update().where(
            t.id == task_id, t.status == TaskStatus.PENDING.value)
            .values(status=TaskStatus.OVERFLOWED.value, ended_at=now))
        if done.rowcount != 1:
            return False
        if ticket is not None:
            conn.execute(s.tickets.insert().values(**_ticket_row(ticket)))
        return True

    # --- conversations and messages -----------------------------------------------------
    @_write
    def create_conversation(self, conn: sa.Connection, conversation: Conversation) -> None:
        conn.execute(s.conversations.insert().values(**_conversation_row(conversation)))

    @_read
    def get_conversation(self, conn: sa.Connection, conversation_id: str) -> Conversation:
        row = _one(conn, sa.select(s.conversations)
                              .where(s.conversations.c.id == conversation_id))
        if row is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        return _conversation(row)

    @_read
    def list_conversations(self, conn: sa.Connection, *, customer_id: str | None = None,
                           agent_id: str | None = None, open_only: bool = False,
                           limit: int = 100) -> list[Conversation]:
        """A customer's or an agent's conversations, most recently changed first (with
        ``open_only``: not closed nor in wrap-up)."""
        c = s.conversations.c
        query = sa.select(s.conversations).order_by(c.updated_at.desc()).limit(limit)
        if customer_id is not None:
            query = query.where(c.customer_id == customer_id)
        if agent_id is not None:
            query = query.where(c.agent_id == agent_id)
        if open_only:
            query = query.where(c.state.notin_([ConversationState.CLOSED.value,
                                                ConversationState.WRAP_UP.value]))
        return [_conversation(r) for r in _all(conn, query)]

    @_write
    def update_conversation(self, conn: sa.Connection, conversation: Conversation,
                                  expected: ConversationState) -> None:
        """Store ``conversation`` if it is still in state ``expected`` (compare and set)."""
        c = s.conversations.c
        values = _conversation_row(conversation)
        values.pop("id")
        values.pop("last_seq")
        done = conn.execute(s.conversations.update().where(
            c.id == conversation.id, c.state == expected.value).values(**values))
        if done.rowcount != 1:
            raise Conflict(f"conversation {conversation.id}: no longer {expected.value}")

    @_write
    def append_message(self, conn: sa.Connection, message: Message) -> tuple[Message, bool]:
        """Store ``message`` with the conversation's next sequence number, in one transaction.
        With a ``client_id`` seen before from the same author, nothing is stored and the
        first message comes back (``False``): a retry never makes a duplicate."""
        c, m = s.conversations.c, s.messages.c
        if message.client_id is not None:
            old = (conn.execute(sa.select(s.messages).where(
                m.conversation_id == message.conversation_id,
                m.author_id == message.author_id, m.client_id == message.client_id))).first()
            if old is not None:
                return _message(old), False
        bumped = conn.execute(s.conversations.update().where(
            c.id == message.conversation_id).values(last_seq=c.last_seq + 1)
            .returning(c.last_seq))
        seq = bumped.scalar()
        if seq is None:
            raise NotFound(f"no conversation {message.conversation_id!r}")
        conn.execute(s.messages.insert().values(
            conversation_id=message.conversation_id, seq=seq,
            author_role=message.author_role.value, author_id=message.author_id,
            client_id=message.client_id, kind=message.kind.value, text=message.text,
            lang=message.lang, translations=_translations_column(message),
            created_at=message.created_at))
        return replace(message, seq=seq), True

    @_read
    def list_messages(self, conn: sa.Connection, conversation_id: str, after_seq: int = 0,
                            limit: int = 200) -> list[Message]:
        m = s.messages.c
        return [_message(r) for r in _all(conn, 
            sa.select(s.messages).where(m.conversation_id == conversation_id, m.seq > after_seq)
            .order_by(m.seq).limit(limit))]

    @_read
    def agent_activity(self, conn: sa.Connection, since: float) -> AgentActivity:
        """What agent analytics needs (:mod:`cbcs.routing.agent_stats`): the tasks created
        or accepted since ``since``, their conversations, the agents' replies (no text) and
        the close events in them from then on."""
        t, m = s.tasks.c, s.messages.c
        tasks = [_task(r) for r in _all(conn, sa.select(s.tasks).where(
            sa.or_(t.created_at >= since, t.answered_at >= since))
            .order_by(t.created_at, t.id))]
        ids = sorted({task.conversation_id for task in tasks if task.conversation_id})
        conversations: dict[str, Conversation] = {}
        replies: list[Reply] = []
        closes: list[Close] = []
        for at in range(0, len(ids), 500):   # bounded IN lists: SQLite limits parameters
            chunk = ids[at:at + 500]
            for row in _all(conn, sa.select(s.conversations)
                            .where(s.conversations.c.id.in_(chunk))):
                conversations[row.id] = _conversation(row)
            recent = (m.conversation_id.in_(chunk), m.created_at >= since)
            replies += [Reply(r.conversation_id, r.author_id, r.created_at) for r in _all(
                conn, sa.select(m.conversation_id, m.author_id, m.created_at).where(
                    *recent, m.author_role == AuthorRole.AGENT.value,
                    m.kind == MessageKind.TEXT.value))]
            closes += [Close(r.conversation_id, r.created_at,
                             r.text[len(CLOSED_PREFIX):].strip(), r.author_id) for r in _all(
                conn, sa.select(m.conversation_id, m.author_id, m.created_at, m.text).where(
                    *recent, m.kind == MessageKind.EVENT.value,
                    m.text.startswith(CLOSED_PREFIX, autoescape=True)))]
        return AgentActivity(since, tasks, conversations, replies, closes)

    # --- tickets and articles -----------------------------------------------------------
    @_write
    def create_ticket(self, conn: sa.Connection, ticket: Ticket) -> None:
        conn.execute(s.tickets.insert().values(**_ticket_row(ticket)))

    @_read
    def get_ticket(self, conn: sa.Connection, ticket_id: str) -> Ticket:
        row = _one(conn, sa.select(s.tickets).where(s.tickets.c.id == ticket_id))
        if row is None:
            raise NotFound(f"no ticket {ticket_id!r}")
        return _ticket(row)

    @_read
    def list_tickets(self, conn: sa.Connection, customer_id: str | None = None) -> list[Ticket]:
        query = sa.select(s.tickets).order_by(s.tickets.c.created_at)
        if customer_id is not None:
            query = query.where(s.tickets.c.customer_id == customer_id)
        return [_ticket(r) for r in _all(conn, query)]

    @_write
    def update_ticket(self, conn: sa.Connection, ticket: Ticket) -> None:
        values = _ticket_row(ticket)
        done = conn.execute(s.tickets.update().where(s.tickets.c.id == ticket.id)
                                  .values(**values))
        if done.rowcount != 1:
            raise NotFound(f"no ticket {ticket.id!r}")

    @_write
    def put_article(self, conn: sa.Connection, article: Article) -> None:
        _upsert(conn, s.articles, {
            "market": article.market, "language": article.language, "slug": article.slug},
            {"title": article.title, "body": article.body, "updated_at": article.updated_at})

    @_read
    def get_article(self, conn: sa.Connection, market: str, language: str, slug: str) -> Article:
        a = s.articles.c
        row = _one(conn, sa.select(s.articles).where(
            a.market == market, a.language == language, a.slug == slug))
        if row is None:
            raise NotFound(f"no article {market}/{language}/{slug}")
        return Article(row.market, row.language, row.slug, row.title, row.body, row.updated_at)

    @_read
    def list_articles(self, conn: sa.Connection, market: str | None = None,
                            language: str | None = None) -> list[Article]:
        a = s.articles.c
        query = sa.select(s.articles).order_by(a.market, a.language, a.slug)
        if market is not None:
            query = query.where(a.market == market)
        if language is not None:
            query = query.where(a.language == language)
        return [Article(r.market, r.language, r.slug, r.title, r.body, r.updated_at)
                for r in _all(conn, query)]

    # --- orders -------------------------------------------------------------------------
    @staticmethod
    def _order(row: Any) -> Order:
        items = tuple(OrderItem(i["sku"], i["name"], i["qty"], Decimal(i["unit_price"]))
                      for i in row.items)
        return Order(id=row.id, customer_id=row.customer_id, market=row.market,
                     status=OrderStatus(row.status), items=items, currency=row.currency,
                     total=Decimal(row.total), placed_at=row.placed_at,
                     updated_at=row.updated_at, tracking=row.tracking,
                     delivered_at=row.delivered_at)

    @_write
    def put_order(self, conn: sa.Connection, order: Order, now: float) -> None:
        """Create or replace an order as the seller's systems report it (``now``: when the
        store heard of it). Amounts are kept as decimal text, exact on both databases."""
        _upsert(conn, s.orders, {"id": order.id}, {
            "customer_id": order.customer_id, "market": order.market,
            "status": order.status.value, "currency": order.currency,
            "items": [{"sku": i.sku, "name": i.name, "qty": i.qty,
                       "unit_price": str(i.unit_price)} for i in order.items],
            "total": str(order.total), "tracking": order.tracking,
            "placed_at": order.placed_at, "updated_at": order.updated_at,
            "delivered_at": order.delivered_at, "synced_at": now})

    @_read
    def get_order(self, conn: sa.Connection, order_id: str) -> Order:
        row = _one(conn, sa.select(s.orders).where(s.orders.c.id == order_id))
        if row is None:
            raise NotFound(f"no order {order_id!r}")
        return self._order(row)

    @_read
    def list_orders(self, conn: sa.Connection, customer_id: str) -> list[Order]:
        """One customer's orders, newest first."""
        o = s.orders.c
        query = sa.select(s.orders).where(o.customer_id == customer_id).order_by(
            o.placed_at.desc(), o.id)
        return [self._order(r) for r in _all(conn, query)]

    # --- the AI tier's memory and the examples people labelled ------------------------
    @_write
    def put_memory(self, conn: sa.Connection, customer_id: str, data: dict[str, Any],
                   now: float) -> None:
        """What the AI tier remembers of ``customer_id`` (replaces what was there)."""
        _upsert(conn, s.ai_memory, {"customer_id": customer_id},
                {"data": data, "updated_at": now})

    @_read
    def get_memory(self, conn: sa.Connection, customer_id: str) -> dict[str, Any] | None:
        row = _one(conn, sa.select(s.ai_memory).where(
            s.ai_memory.c.customer_id == customer_id))
        return dict(row.data) if row is not None else None

    @_write
    def put_setting(self, conn: sa.Connection, key: str, value: Any, now: float) -> None:
        _upsert(conn, s.settings, {"key": key}, {"value": value, "updated_at": now})

    @_read
    def get_setting(self, conn: sa.Connection, key: str) -> Any:
        """The setting's value, or None when it was never set."""
        row = _one(conn, sa.select(s.settings).where(s.settings.c.key == key))
        return row.value if row is not None else None

    @_write
    def add_example(self, conn: sa.Connection, example: LabelledExample) -> None:
        conn.execute(s.examples.insert().values(
            kind=example.kind, market=example.market, language=example.language,
            label=example.label, text=example.text, source=example.source,
            created_at=example.created_at))

    @_read
    def list_examples(self, conn: sa.Connection, kind: str, market: str | None = None,
                      language: str | None = None) -> list[LabelledExample]:
        """Labelled examples of ``kind``, oldest first (of one market and language if given)."""
        e = s.examples.c
        query = sa.select(s.examples).where(e.kind == kind).order_by(e.id)
        if market is not None:
            query = query.where(e.market == market)
        if language is not None:
            query = query.where(e.language == language)
        return [LabelledExample(r.kind, r.market, r.language, r.label, r.text, r.source,
                                r.created_at) for r in _all(conn, query)]

    @_write
    def put_original(self, conn: sa.Connection, conversation_id: str, seq: int, text: str,
                     now: float) -> None:
        _upsert(conn, s.originals, {"conversation_id": conversation_id, "seq": seq},
                {"text": text, "created_at": now})

    @_read
    def list_originals(self, conn: sa.Connection, conversation_id: str
                       ) -> list[tuple[int, str]]:
        """(seq, text) of the conversation's kept originals, in order."""
        o = s.originals.c
        return [(r.seq, r.text) for r in _all(conn, sa.select(s.originals).where(
            o.conversation_id == conversation_id).order_by(o.seq))]

    @_write
    def append_audit(self, conn: sa.Connection, entry: AuditEntry) -> None:
        conn.execute(s.audit.insert().values(
            at=entry.at, role=entry.role, subject=entry.subject, action=entry.action,
            target=entry.target, status=entry.status, detail=entry.detail))

    @_read
    def list_audit(self, conn: sa.Connection, after_id: int = 0, limit: int = 100
                   ) -> list[AuditEntry]:
        """Audit entries after ``after_id``, oldest first, at most ``limit``."""
        a = s.audit.c
        rows = _all(conn, sa.select(s.audit).where(a.id > after_id).order_by(a.id).limit(limit))
        return [AuditEntry(r.at, r.role, r.subject, r.action, r.target, r.status, r.detail,
                           id=r.id) for r in rows]


class _Checkpointer:
    """Copies SQLite's write-ahead log back into the database file every second, on its own
    thread and connection (PASSIVE: it never blocks the writer), instead of inside
    whichever commit crosses the log-size threshold."""

    def __init__(self, path: str, every_s: float = 1.0) -> None:
        self._path, self._every = path, every_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cbcs-sqlite-checkpoint",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=30)
        try:
            while not self._stopping.wait(self._every):
                # a failed checkpoint (a full disk) is retried by the next one: the loop
                # must outlive it, or the log would grow without end from then on
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            with contextlib.suppress(sqlite3.Error):   # else SQLite does it at next open
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)


def _conversation_row(c: Conversation) -> dict[str, Any]:
    return {"id": c.id, "customer_id": c.customer_id, "channel": c.channel,
            "state": c.state.value, "language": c.language, "market": c.market,
            "order_id": c.order_id, "queue": c.queue, "agent_id": c.agent_id,
            "ticket_id": c.ticket_id, "intent": c.intent, "sentiment": c.sentiment,
            "last_seq": c.last_seq, "created_at": c.created_at, "updated_at": c.updated_at}


def _ticket_row(t: Ticket) -> dict[str, Any]:
    return {"id": t.id, "customer_id": t.customer_id, "conversation_id": t.conversation_id,
            "category": t.category, "priority": t.priority.value, "status": t.status.value,
            "summary": t.summary, "order_ref": t.order_ref, "due_at": t.due_at,
            "created_at": t.created_at, "updated_at": t.updated_at}


def _migrate(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":   # one node migrates at a time
        conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<bad url>"


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0] if text else type(error).__name__


class _Health:
    """Whether the database works, for the log: the first failure of an outage is logged
    once with its reason, and its end once. An unreachable database is back with anything
    that succeeds; a full disk once a write succeeds and (SQLite: its directory ``local``
    known) the disk has space again: on a nearly full disk small writes may still fit
    between refusals, which is not the end of it."""

    #: free bytes on the disk of a SQLite store below which it still counts as full
    ROOM = 1 << 20

    def __init__(self, where: str, local: str | None = None) -> None:
        self.where = where
        self.local = local
        self.down_since: float | None = None
        self.full_since: float | None = None

    @property
    def state(self) -> str:
        """``ok``, ``unavailable`` (the database cannot be reached) or ``full``."""
        return "unavailable" if self.down_since is not None else \
            "full" if self.full_since is not None else "ok"

    def failed(self, fault: StoreUnavailable) -> None:
        now = time.monotonic()
        if isinstance(fault, StoreFull):
            if self.full_since is None:
                self.full_since = now
                log.warning("store: disk full (%s) at %s: writes are refused (507) until "
                            "there is space; reads go on", fault.reason, self.where)
        elif self.down_since is None:
            self.down_since = now
            log.warning("store: unavailable (%s) at %s: requests are answered 503 until it "
                        "is back", fault.reason, self.where)

    def ok(self, write: bool) -> None:
        now = time.monotonic()
        if self.down_since is not None:
            log.warning("store: available again after %.1f s", now - self.down_since)
            self.down_since = None
        if write and self.full_since is not None and self._room():
            log.warning("store: writes succeed again after %.1f s (disk full)",
                        now - self.full_since)
            self.full_since = None


    def _room(self) -> bool:
        if self.local is None:
            return True
        try:
            st = os.statvfs(self.local)
        except OSError:
            return True
        return st.f_bavail * st.f_frsize >= self.ROOM


#: SQLite result codes (the low byte of an extended code) of a database that cannot work
_SQLITE_FULL = 13
_SQLITE_DOWN = {5: "database busy", 6: "database locked", 8: "read-only database",
                10: "disk I/O error", 14: "cannot open the database file"}


def _fault(error: BaseException) -> StoreUnavailable | None:
    """The store's error for a failure of the database itself, not of the request (None:
    a request the database refused, e.g. a constraint; the caller's bug to see)."""
    orig: Any = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        if code & 0xFF == _SQLITE_FULL:
            return _made(StoreFull, "database or disk is full")
        if code & 0xFF in _SQLITE_DOWN:
            return _made(StoreUnavailable, _SQLITE_DOWN[code & 0xFF])
        return None
    state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    if state == "53100":
        return _made(StoreFull, "disk full")
    # connection (08), operator intervention: shutdown, restart (57P), resources (53),
    # system errors: I/O (58)
    if state.startswith(("08", "57P", "53", "58")):
        return _made(StoreUnavailable, _reason(error))
    if isinstance(orig, (OSError, TimeoutError)) or isinstance(error, (OSError, TimeoutError)):
        return _made(StoreUnavailable, _reason(error) or "no connection")
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return _made(StoreUnavailable, _reason(error))
    if isinstance(error, (sa.exc.InterfaceError, sa.exc.OperationalError,
                          sa.exc.TimeoutError, sa.exc.DisconnectionError)):
        return _made(StoreUnavailable, _reason(error))
    if type(orig).__module__.startswith("asyncpg") and "Connection" in type(orig).__name__:
        return _made(StoreUnavailable, _reason(error))
    return None


def _made(kind: type[StoreUnavailable], reason: str) -> StoreUnavailable:
    return kind(f"store: unavailable: {reason}" if kind is StoreUnavailable
                else f"store: disk full: {reason}", reason)
