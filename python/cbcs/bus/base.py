"""The bus interface and the subscription both adapters hand out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Protocol

from cbcs.errors import CbcsError

Event = dict[str, Any]


class BusError(CbcsError):
    """The bus cannot be reached or was given something it cannot carry."""


class Subscription:
    """Events of one topic (or of every topic under a prefix ending in ``*``), in order.
    Bounded: when the reader falls behind, the oldest events are dropped and counted."""

    def __init__(self, pattern: str, on_close: Any, size: int = 10_000) -> None:
        self.pattern = pattern
        self.dropped = 0
        self._queue: asyncio.Queue[tuple[str, Event]] = asyncio.Queue(size)
        self._on_close = on_close
        self.closed = False

    def matches(self, topic: str) -> bool:
        if self.pattern.endswith("*"):
            return topic.startswith(self.pattern[:-1])
        return topic == self.pattern

    def put(self, topic: str, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait((topic, event))

    async def get(self) -> tuple[str, Event]:
        return await self._queue.get()

    def get_nowait(self) -> tuple[str, Event] | None:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._on_close(self)

    def __aiter__(self) -> AsyncIterator[tuple[str, Event]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[tuple[str, Event]]:
        while not self.closed:
            yield await self.get()


class Bus(Protocol):
    """What the dispatcher and the server need from the bus."""

    async def publish(self, topic: str, event: Event) -> None:
        """Send ``event`` (JSON-able) to every subscriber of ``topic`` on every node."""

    async def publish_numbered(self, topic: str, event: Event) -> int:
        """Give ``event`` the topic's next sequence number (as ``seq``) and publish it, in
        one step: every node receives the topic's events in the order of their numbers."""

    def subscribe(self, pattern: str) -> Subscription:
        """Receive events of ``pattern`` (a topic, or a prefix ending in ``*``)."""

    async def heartbeat(self, agent_ids: Iterable[str], node: str, ttl_s: float) -> None:
        """These agents are connected to ``node``; they count as online for ``ttl_s``."""

    async def forget(self, agent_id: str) -> None:
        """The agent disconnected: offline at once, not after the TTL."""

    async def online(self, agent_ids: Iterable[str]) -> set[str]:
        """Which of ``agent_ids`` have a live heartbeat."""

    @property
    def reachable(self) -> bool:
        """False during an outage (from its first failure to the next success)."""

    def on_resume(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` each time the bus works again after an outage: events
        published meanwhile may be lost, so its listener re-reads the store."""

    async def close(self) -> None:
        """Stop; harmless twice."""
