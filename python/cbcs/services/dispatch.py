"""The dispatcher: runs the routing engine against the store and the bus on one node.

The store has the last word (every offer is a conditional update), so several nodes can
dispatch at once. Each node keeps the engine's view in step from bus events and re-reads
the store on a timer. Reservation timers are rows (``expires_at``): whichever node sweeps
first times an offer out, so a dead node's offers move on. Agents whose node stops renewing
their presence go offline and their offers move on at once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cbcs.bus.base import Bus, BusError
from cbcs.contact.agent import Agent, Presence
from cbcs.contact.message import AuthorRole, Message, MessageKind
from cbcs.contact.queue import Queue
from cbcs.contact.shift import zone
from cbcs.contact.task import Reservation, ReservationStatus, Task, TaskStatus
from cbcs.contact.ticket import Ticket, TicketPriority
from cbcs.routing.engine import AgentState, Router
from cbcs.routing.sla import queue_stats
from cbcs.routing.workflow import Workflow
from cbcs.store.errors import NotFound, StoreError, StoreUnavailable

if TYPE_CHECKING:
    from cbcs.store.sql import SqlStore

log = logging.getLogger("cbcs.routing")
ROUTING = "routing"   # bus topic: {"kind": "task"|"agent"|"queue"|"node", "id": ..., "node": ...}
#: presence key of a node itself (beside its agents'): how the others tell it died
NODE_KEY = "@node:"


class Dispatcher:
    """Routing on one node. ``hook(event)`` hears offers, assignments and overflows (the
    server forwards them to the people concerned)."""

    def __init__(self, store: SqlStore, bus: Bus, *, node: str | None = None,
                 clock: Callable[[], float] = time.time, max_missed: int = 3,
                 presence_ttl_s: float = 6.0, sweep_s: float = 0.25, resync_s: float = 5.0,
                 hook: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.store, self.bus = store, bus
        self.node = node or uuid.uuid4().hex[:12]
        self.clock = clock
        self.max_missed = max_missed
        self.presence_ttl_s = presence_ttl_s
        self.sweep_s, self.resync_s = sweep_s, resync_s
        self.hook = hook
        self.router = Router()
        self.hosted: set[str] = set()          # agents connected to this node
        self._online: set[str] = set()
        self._missing: dict[str, float] = {}   # agent -> when their presence went missing
        self._reported: set[str] = set()       # loops whose failure is logged already
        self._resync_now = False
        self._peers: dict[str, float | None] = {}   # other nodes -> missing since
        self._kick = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._routing_lock = asyncio.Lock()
        self.decisions_ms: list[float] = []     # route() durations, for the benchmark

    # --- life -------------------------------------------------------------------------
    async def start(self, background: bool = True) -> None:
        """Load queues, agents and waiting tasks; with ``background``, route and sweep on
        a loop until :meth:`stop`."""
        for queue in await self.store.list_queues():
            self.router.set_workflow(Workflow.compile(queue))
        await self.resync()
        if background:
            self.bus.on_resume(self._bus_resumed)
            sub = self.bus.subscribe(ROUTING)
            self._tasks = [asyncio.create_task(self._listen(sub), name="cbcs-dispatch-bus"),
                           asyncio.create_task(self._beat(), name="cbcs-dispatch-presence"),
                           asyncio.create_task(self._loop(), name="cbcs-dispatch")]
            await self._announce("up")

    async def stop(self) -> None:
        """Stop the loops (harmless twice); offers made here stay in the store and time out."""
        tasks, self._tasks = self._tasks, []
        if tasks:   # the other nodes hear of a clean stop: no node death to report
            with contextlib.suppress(BusError):
                await self.bus.forget(NODE_KEY + self.node)
            await self._announce("stopped")
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def kick(self) -> None:
        self._kick.set()

    def _bus_resumed(self) -> None:
        # routing events of the outage were lost: re-read the store at the next pass
        self._resync_now = True
        self.kick()

    def _trouble(self, where: str, error: Exception) -> None:
        """Log a loop's failure once until it works again. An outage of the store or the
        bus is not logged here: the store and the bus log it, once, with its reason."""
        if isinstance(error, (StoreUnavailable, BusError)) or where in self._reported:
            return
        self._reported.add(where)
        log.warning("routing: %s failed (%s: %s); trying again", where,
                    type(error).__name__, error)

    async def _listen(self, sub: Any) -> None:
        try:
            async for _topic, event in sub:
                if event.get("node") == self.node:
                    continue
                if await self._peer_event(event):
                    continue
                try:
                    await self._refresh(event.get("kind"), str(event.get("id")))
                    self._reported.discard("refresh")
                except (StoreError, OSError) as error:
                    self._trouble("refresh", error)   # the re-read on the timer catches up
                self.kick()
        finally:
            sub.close()

    async def _loop(self) -> None:
        next_resync = self.clock() + self.resync_s
        while True:
            now = self.clock()
            wake = self.router.next_change(now)
            timeout = self.sweep_s if wake is None else max(0.0, min(self.sweep_s, wake - now))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):   # no inner task: cancels cleanly
                    await self._kick.wait()
            self._kick.clear()
            try:
                now = self.clock()
                if now >= next_resync or self._resync_now:
                    self._resync_now = False
                    await self.resync()
                    next_resync = now + self.resync_s
                await self.sweep()
                await self.route()
                self._reported.discard("pass")
            except Exception as error:   # noqa: BLE001 - the loop must outlive any pass
                self._trouble("pass", error)
                await asyncio.sleep(self.sweep_s)

    async def _beat(self) -> None:
        # its own task, so that a long routing pass never lets a presence lapse
        while True:
            try:
                await self._heartbeat()
                self._reported.discard("presence")
            except Exception as error:   # noqa: BLE001 - presence must outlive any beat
                self._trouble("presence", error)
            await asyncio.sleep(self.presence_ttl_s / 4)

    async def _announce(self, state: str) -> None:
        with contextlib.suppress(BusError):   # without the bus, peers learn at the next one
            await self.bus.publish(ROUTING, {"kind": "node", "id": self.node, "state": state,
                                             "node": self.node})

    async def _peer_event(self, event: dict[str, Any]) -> bool:
        """Keep the set of other nodes (to tell when one dies); True for a node event."""
        peer = event.get("node")
        if not isinstance(peer, str):
            return False
        is_node = event.get("kind") == "node"
        if is_node and event.get("state") == "stopped":
            self._peers.pop(peer, None)
            log.info("routing: node %s stopped", peer)
            return True
        if peer not in self._peers:
            self._peers[peer] = None
            if is_node and event.get("state") == "up":   # the newcomer hears of this node
                await self._announce("here")
        return is_node

    async def _watch_peers(self, now: float) -> None:
        """A node whose presence lapses for a while has died (or lost the bus): said
        once; its agents' presence lapses too and its offers time out (the sweep)."""
        if not self._peers:
            return
        alive = await self.bus.online(NODE_KEY + p for p in self._peers)
        for peer, since in list(self._peers.items()):
            if NODE_KEY + peer in alive:
                self._peers[peer] = None
            elif since is None:
                self._peers[peer] = now
            elif now - since >= self.presence_ttl_s / 2:
                del self._peers[peer]
                log.warning("routing: node %s is gone (its presence lapsed: it died or lost "
                            "the bus); its agents go offline, its offers move on as they "
                            "time out", peer)

    async def _heartbeat(self) -> None:
        await self.bus.heartbeat([*self.hosted, NODE_KEY + self.node], self.node,
                                 self.presence_ttl_s)
        await self._watch_peers(self.clock())
        online = await self.bus.online(self.router.agents)
        changed = online ^ self._online
        self._online = online
        now = self.clock()
        for agent_id in changed:
            state = self.router.agents.get(agent_id)
            if state is not None:
                state.online = agent_id in online
        for agent_id in changed - online:
            self._missing.setdefault(agent_id, now)
        for agent_id in online:
            self._missing.pop(agent_id, None)
        # Missing for a while, not at one read: a Redis that restarted empty has lost
        # every node's presence keys until each node renews them (within a quarter TTL)
        for agent_id, since in list(self._missing.items()):
            if now - since < self.presence_ttl_s / 2:
                continue
            del self._missing[agent_id]
            state = self.router.agents.get(agent_id)
            if state is not None and state.presence is Presence.AVAILABLE \
                    and agent_id not in self.hosted:
                # their node stopped renewing: offline, and their offers move on now
                log.warning("routing: agent %s lost presence (their node stopped renewing "
                            "it); offline, their offers move on", agent_id)
                await self.set_presence(agent_id, Presence.OFFLINE)

    # --- keeping the engine in step ---------------------------------------------------
    async def resync(self) -> None:
        """Re-read agents and waiting tasks from the store."""
        self._online = await self.bus.online(a.id for a, _ in await self.store.list_agents())
        for agent, live in await self.store.list_agents():
            self.router.upsert_agent(AgentState.of(agent, live, agent.id in self._online))
        waiting = await self.store.list_tasks([TaskStatus.PENDING])
        ids = {t.id for t in waiting}
        for task_id in [t for t in self.router.tasks if t not in ids]:
            self.router.remove_task(task_id)
        for task in waiting:
            if self.router.tasks.get(task.id) != task:
                self.router.add_task(task)

    async def _refresh(self, kind: object, ident: str) -> None:
        if kind == "task":
            await self._refresh_task(ident)
        elif kind == "agent":
            await self._refresh_agent(ident)
        elif kind == "queue":
            try:
                self.router.set_workflow(Workflow.compile(await self.store.get_queue(ident)))
            except NotFound:
                pass

    async def _refresh_task(self, task_id: str) -> Task | None:
        try:
            task = await self.store.get_task(task_id)
        except NotFound:
            self.router.remove_task(task_id)
            return None
        if task.status is TaskStatus.PENDING:
            self.router.add_task(task)
        else:
            self.router.remove_task(task_id)
        return task

    async def _refresh_agent(self, agent_id: str) -> None:
        try:
            agent, live = await self.store.get_agent(agent_id)
        except NotFound:
            self.router.remove_agent(agent_id)
            return
        online = agent_id in self._online or agent_id in self.hosted
        self.router.upsert_agent(AgentState.of(agent, live, online))

    async def _changed(self, kind: str, ident: str) -> None:
        try:
            await self.bus.publish(ROUTING, {"kind": kind, "id": ident, "node": self.node})
        except BusError as error:   # other nodes catch up on their next re-read
            log.warning("routing: %s", error)
        self.kick()

    async def _tell(self, event: dict[str, Any]) -> None:
        if self.hook is not None:
            result = self.hook(event)
            if asyncio.iscoroutine(result):
                await result
        agent = event.get("agent")
        if agent:
            with contextlib.suppress(BusError):
                await self.bus.publish(f"agent.{agent}", event)

    async def _released(self, res: Reservation, task: Task, reason: str) -> None:
        await self._tell({"type": "released", "id": res.id, "task": task.id,
                          "agent": res.agent_id, "conversation": task.conversation_id,
                          "reason": reason})

    async def release_node_offers(self) -> int:
        """Hand back the pending offers made by this node (a clean shutdown): they move on
        at once instead of timing out. Returns how many."""
        count = 0
        now = self.clock()
        for res in await self.store.list_reservations(ReservationStatus.PENDING):
            if res.node != self.node:
                continue
            task = await self.store.release(res.id, "cancel", now)
            if task is not None:
                count += 1
                await self._changed("task", task.id)
                await self._released(res, task, "canceled")
        return count

    # --- configuration ----------------------------------------------------------------
    async def put_queue(self, queue: Queue) -> Workflow:
        """Compile and store a queue; a bad target raises before anything is stored."""
        workflow = Workflow.compile(queue)
        await self.store.put_queue(queue, self.clock())
        self.router.set_workflow(workflow)
        await self._changed("queue", queue.name)
        return workflow

    async def put_agent(self, agent: Agent) -> None:
        await self.store.put_agent(agent, self.clock())
        await self._refresh_agent(agent.id)
        await self._changed("agent", agent.id)

    # --- agents -----------------------------------------------------------------------
    async def connect(self, agent_id: str) -> None:
        """The agent's console connected to this node: this node keeps their presence."""
        await self.store.get_agent(agent_id)
        self.hosted.add(agent_id)
        self._online.add(agent_id)
        with contextlib.suppress(BusError):   # without the bus: the next beat writes it
            await self.bus.heartbeat([agent_id], self.node, self.presence_ttl_s)
        await self._refresh_agent(agent_id)

    async def disconnect(self, agent_id: str) -> None:
        self.hosted.discard(agent_id)
        await self.bus.forget(agent_id)
        self._online.discard(agent_id)
        await self.set_presence(agent_id, Presence.OFFLINE)

    async def set_presence(self, agent_id: str, presence: Presence) -> None:
        """Available agents get offers; going away or offline hands back pending offers."""
        presence = Presence(presence)
        now = self.clock()
        await self.store.set_presence(agent_id, presence, now)
        if presence is not Presence.AVAILABLE:
            for res in await self.store.list_reservations(agent_id=agent_id):
                if res.status.value == "pending":
                    task = await self.store.release(res.id, "cancel", now)
                    if task is not None:
                        await self._refresh_task(task.id)
                        await self._changed("task", task.id)
                        await self._released(res, task, "canceled")
        await self._refresh_agent(agent_id)
        await self._changed("agent", agent_id)

    async def accept(self, reservation_id: str, agent_id: str) -> Task:
        """The agent takes the offer; :class:`cbcs.store.Conflict` if it is no longer open."""
        task = await self.store.accept(reservation_id, agent_id, self.clock())
        await self._refresh_agent(agent_id)
        await self._changed("task", task.id)
        await self._tell({"type": "assigned", "task": task.id, "agent": agent_id,
                          "conversation": task.conversation_id, "translate": task.translate})
        return task

    async def reject(self, reservation_id: str, agent_id: str) -> Task:
        task = await self.store.release(reservation_id, "reject", self.clock(), agent_id)
        assert task is not None   # release raises for a reject it cannot do
        await self._refresh_task(task.id)
        await self._refresh_agent(agent_id)
        await self._changed("task", task.id)
        await self._tell({"type": "released", "id": reservation_id, "task": task.id,
                          "agent": agent_id, "conversation": task.conversation_id,
                          "reason": "rejected"})
        return task

    async def complete(self, task_id: str, agent_id: str) -> Task:
        """The agent closes the task; their slot frees after the queue's wrap-up time."""
        task = await self.store.get_task(task_id)
        workflow = self.router.workflows.get(task.queue)
        wrap = workflow.queue.wrap_up_s if workflow else 0.0
        task = await self.store.complete(task_id, agent_id, self.clock(), wrap)
        if wrap <= 0:
            await self.store.finish_wrap_ups(self.clock())
            await self._refresh_agent(agent_id)
            await self._changed("agent", agent_id)
        return task

    # --- tasks ------------------------------------------------------------------------
    async def submit(self, task: Task) -> Task:
        """A task joins its queue; a ``created_at`` of 0 (the default) means now."""
        if task.queue not in self.router.workflows:
            raise NotFound(f"no queue {task.queue!r}")
        if task.created_at <= 0:
            task = dataclasses.replace(task, created_at=self.clock())
        await self.store.create_task(task)
        self.router.add_task(task)
        await self._changed("task", task.id)
        return task

    async def cancel(self, task_id: str) -> Task:
        task = await self.store.cancel_task(task_id, self.clock())
        self.router.remove_task(task_id)
        await self._changed("task", task_id)
        return task

    # --- deciding ---------------------------------------------------------------------
    async def route(self) -> list[Reservation]:
        """One routing pass: offer what can be offered now. Returns the offers made here."""
        async with self._routing_lock:
            started = time.perf_counter()
            now = self.clock()
            made: list[tuple[Reservation, Task]] = []
            for offer in self.router.match(now):
                task = offer.task
                workflow = self.router.workflows.get(task.queue)
                timeout = workflow.queue.offer_timeout_s if workflow else 20.0
                at = self.clock()   # a long pass must not shorten the later offers
                res = await self.store.reserve(task.id, offer.agent_id, task.channel,
                                               offer.translate, at, at + timeout, self.node)
                if res is None:   # another node got there first: take the store's word
                    await self._refresh_task(task.id)
                    await self._refresh_agent(offer.agent_id)
                    continue
                made.append((res, task))
            if made or self.router.tasks:
                self.decisions_ms.append((time.perf_counter() - started) * 1000)
            for res, task in made:
                await self._changed("task", res.task_id)
                await self._tell({"type": "reservation", "id": res.id, "task": res.task_id,
                                  "agent": res.agent_id, "expires_at": res.expires_at,
                                  "translate": res.translate,
                                  "conversation": task.conversation_id})
            return [res for res, _ in made]

    async def sweep(self) -> None:
        """Time out expired offers, end wrap-ups, overflow tasks past their max wait."""
        now = self.clock()
        for res in await self.store.expired(now):
            task = await self.store.release(res.id, "timeout", now, max_missed=self.max_missed)
            if task is not None:
                await self._refresh_task(task.id)
                await self._refresh_agent(res.agent_id)
                await self._changed("task", task.id)
                await self._changed("agent", res.agent_id)
                await self._released(res, task, "timed_out")
        for agent_id in await self.store.finish_wrap_ups(now):
            await self._refresh_agent(agent_id)
            await self._changed("agent", agent_id)
        for task in self.router.overflowing(now):
            await self._overflow(task, now)

    async def _overflow(self, task: Task, now: float) -> None:
        back = self.router.human_back_at(task, now)
        ticket = None
        if task.customer_id:
            ticket = Ticket(id=f"cb-{task.id}"[:128], customer_id=task.customer_id,
                            category="callback", priority=TicketPriority.HIGH,
                            conversation_id=task.conversation_id,
                            summary=f"Call back: nobody in queue {task.queue} took this "
                                    f"{task.channel} in {task.language} within the max wait.",
                            due_at=back, created_at=now, updated_at=now)
        if not await self.store.overflow(task.id, now, ticket):
            await self._refresh_task(task.id)
            return
        self.router.remove_task(task.id)
        if task.conversation_id:
            await self._back_to_ai(task, ticket, back, now)
        await self._changed("task", task.id)
        await self._tell({"type": "overflow", "task": task.id, "conversation":
                          task.conversation_id, "ticket": ticket.id if ticket else None,
                          "human_back_at": back})

    async def _back_to_ai(self, task: Task, ticket: Ticket | None, back: float | None,
                          now: float) -> None:
        try:
            conversation = await self.store.get_conversation(task.conversation_id or "")
            customer = await self.store.get_customer(conversation.customer_id)
        except NotFound:
            return
        if conversation.state.value in ("queued", "offered"):
            with contextlib.suppress(StoreError):
                await self.store.update_conversation(
                    conversation.apply("overflow", now, ticket_id=ticket.id if ticket else None),
                    conversation.state)
        await self.store.append_message(Message(
            conversation_id=conversation.id, author_role=AuthorRole.SYSTEM, author_id="routing",
            kind=MessageKind.SYSTEM, lang="en", created_at=now,
            text=human_back_text(back, customer.time_zone)))

    async def stats(self, since: float | None = None) -> dict[str, object]:
        """SLA statistics of tasks created since ``since`` (default: the last 24 hours)."""
        now = self.clock()
        tasks = await self.store.list_tasks(since=now - 86400 if since is None else since)
        levels = {name: wf.queue.service_level_s for name, wf in self.router.workflows.items()}
        return queue_stats(tasks, self.router.agents.values(), now, levels)


def human_back_text(back: float | None, time_zone: str) -> str:
    """What the customer is told when no human can take the conversation in time."""
    if back is None:
        return ("No agent is free right now. We have opened a callback ticket and will "
                "contact you as soon as someone can help.")
    local = dt.datetime.fromtimestamp(back, zone("time_zone", time_zone))
    return (f"No agent is free right now. We have opened a callback ticket; a person will be "
            f"back at {local:%H:%M} on {local:%a %d %b} ({time_zone}).")

