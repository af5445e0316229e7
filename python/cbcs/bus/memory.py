"""The in-process bus: one node, no server. Presence expires on the loop's clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from cbcs.bus.base import Event, Subscription


class MemoryBus:
    """Pub/sub and presence inside one process (the embedded default)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._subs: list[Subscription] = []
        self._presence: dict[str, float] = {}
        self._numbers: dict[str, int] = {}

    @property
    def reachable(self) -> bool:
        return True   # in this process: never away

    async def publish(self, topic: str, event: Event) -> None:
        for sub in self._subs:
            if sub.matches(topic):
                sub.put(topic, event)

    async def publish_numbered(self, topic: str, event: Event) -> int:
        seq = self._numbers.get(topic, 0) + 1
        self._numbers[topic] = seq
        await self.publish(topic, {**event, "seq": seq})
        return seq

    def subscribe(self, pattern: str) -> Subscription:
        sub = Subscription(pattern, self._subs.remove)
        self._subs.append(sub)
        return sub

    async def heartbeat(self, agent_ids: Iterable[str], node: str, ttl_s: float) -> None:
        until = self._clock() + ttl_s
        for agent_id in agent_ids:
            self._presence[agent_id] = until

    async def forget(self, agent_id: str) -> None:
        self._presence.pop(agent_id, None)

    async def online(self, agent_ids: Iterable[str]) -> set[str]:
        now = self._clock()
        return {a for a in agent_ids if self._presence.get(a, 0.0) > now}

    def on_resume(self, callback: Callable[[], None]) -> None:
        """In one process the bus never goes away: nothing to resume."""

    async def close(self) -> None:
        for sub in list(self._subs):
            sub.close()
