"""Events from the bus to this node's WebSocket clients.

Three subscriptions: ``conversation.*`` (messages, typing, read receipts, assignment) to
the clients that follow a conversation, ``agent.*`` (offers and assignments) to that
agent's consoles, ``room.*`` (comments, numbered by the bus) to the room's viewers.

Messages reach each client exactly once and in order. A client follows a conversation
from a sequence number; a live message with the next number goes out at once, one it has
had is skipped, and one past a gap (messages posted on two nodes at once may cross on the
bus) makes the client catch up from the store, which has the last word. When the bus comes
back after an outage (messages posted meanwhile were stored but not carried), every
follower catches up from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cbcs.bus.base import Bus, Subscription
from cbcs.server.connection import Connection
from cbcs.server.rooms import RoomHub

log = logging.getLogger("cbcs.server.fanout")

#: history(conversation, after_seq) -> message frames after it, in order
History = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
EPHEMERAL = ("typing", "read", "call.quality")
#: Conversation events for the people who serve the customer, not for the customer.
STAFF_ONLY = ("call.quality",)


class Follower:
    """One client's place in each conversation it follows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, conversation: str) -> asyncio.Lock:
        return self._locks.setdefault(conversation, asyncio.Lock())


class Fanout:
    """This node's followers of conversations and agents, fed from the bus."""

    def __init__(self, bus: Bus, rooms: RoomHub, history: History) -> None:
        self.bus = bus
        self.rooms = rooms
        self.history = history
        self._conversations: dict[str, dict[int, Follower]] = {}
        self._agents: dict[str, dict[int, Follower]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._subs: list[Subscription] = []
        self._catching_up: set[asyncio.Task[None]] = set()
        #: called with each agent.* event after it is forwarded (e.g. to follow assignments)
        self.on_agent_event: Callable[[Follower, dict[str, Any]], None] | None = None

    def start(self) -> None:
        for pattern, handle in (("conversation.*", self._conversation_event),
                                ("agent.*", self._agent_event), ("room.*", self._room_event)):
            sub = self.bus.subscribe(pattern)
            self._subs.append(sub)
            self._tasks.append(asyncio.create_task(self._pump(sub, handle),
                                                   name=f"cbcs-fanout-{pattern}"))
        self.bus.on_resume(self._bus_resumed)

    def _bus_resumed(self) -> None:
        """The bus is back: what was posted while it was away comes from the store."""
        loop = asyncio.get_running_loop()
        for conversation, followers in list(self._conversations.items()):
            for f in list(followers.values()):
                task = loop.create_task(self.catch_up(f, conversation))
                self._catching_up.add(task)
                task.add_done_callback(self._catching_up.discard)

    async def stop(self) -> None:
        for sub in self._subs:
            sub.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._subs = [], []

    async def _pump(self, sub: Subscription,
                    handle: Callable[[str, dict[str, Any]], None]) -> None:
        while True:
            topic, event = await sub.get()
            try:
                handle(topic, event)
            except Exception:   # one bad event must not stop the node's fan-out
                log.exception("fan-out of an event on %s failed", topic.split(".", 1)[0])

    # --- who follows what -------------------------------------------------------------
    def follower(self, conn: Connection) -> Follower:
        return Follower(conn)

    async def follow(self, f: Follower, conversation: str, after_seq: int) -> None:
        """Send ``f`` every message after ``after_seq``, then keep it up to date."""
        self._conversations.setdefault(conversation, {})[id(f)] = f
        async with f.lock(conversation):
            f.conn.sent_seq[conversation] = after_seq
        await self.catch_up(f, conversation)

    def following(self, f: Follower, conversation: str) -> bool:
        return id(f) in self._conversations.get(conversation, {})

    def host_agent(self, f: Follower, agent_id: str) -> None:
        self._agents.setdefault(agent_id, {})[id(f)] = f

    def agent_sessions(self, agent_id: str) -> int:
        return len(self._agents.get(agent_id, {}))

    def drop(self, f: Follower) -> None:
        """Forget a client that disconnected."""
        for index in (self._conversations, self._agents):
            for key in [k for k, fs in index.items() if id(f) in fs]:
                del index[key][id(f)]
                if not index[key]:
                    del index[key]

    # --- delivery ---------------------------------------------------------------------
    async def catch_up(self, f: Follower, conversation: str) -> None:
        """Send what the store has past what ``f`` was sent, in order."""
        async with f.lock(conversation):
            while f.conn.open:
                sent = f.conn.sent_seq.get(conversation, 0)
                frames = await self.history(conversation, sent)
                for frame in frames:
                    if frame["seq"] > f.conn.sent_seq.get(conversation, 0):
                        if not f.conn.send(frame):
                            return
                        f.conn.sent_seq[conversation] = frame["seq"]
                if len(frames) < 200:
                    return

    def _conversation_event(self, topic: str, event: dict[str, Any]) -> None:
        conversation = topic.split(".", 1)[1]
        followers = self._conversations.get(conversation)
        if not followers:
            return
        kind = event.get("type")
        if kind != "message":
            for f in list(followers.values()):
                if kind in STAFF_ONLY and f.conn.principal.role.value == "customer":
                    continue
                # an interim caption is soon replaced: it may be dropped like typing
                f.conn.send(event, ephemeral=kind in EPHEMERAL or (
                    kind == "caption" and not event.get("final")))
            return
        seq = int(event["seq"])
        for f in list(followers.values()):
            conn = f.conn
            sent = conn.sent_seq.get(conversation, 0)
            if seq <= sent:
                continue
            if seq == sent + 1 and not f.lock(conversation).locked():
                if conn.send(event):
                    conn.sent_seq[conversation] = seq
            else:   # a gap, or a catch-up under way: the store has it in order
                asyncio.get_running_loop().create_task(self.catch_up(f, conversation))

    def _agent_event(self, topic: str, event: dict[str, Any]) -> None:
        for f in list(self._agents.get(topic.split(".", 1)[1], {}).values()):
            f.conn.send(event)
            if self.on_agent_event is not None:
                self.on_agent_event(f, event)

    def _room_event(self, topic: str, event: dict[str, Any]) -> None:
        self.rooms.deliver(topic.split(".", 1)[1], int(event["seq"]), event)
