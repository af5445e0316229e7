"""Events between nodes: pub/sub fan-out and agent presence with TTL heartbeats. In-process
by default (:class:`MemoryBus`); Redis for several nodes (:class:`RedisBus`)."""

from __future__ import annotations

from cbcs.bus.base import Bus, BusError, Subscription
from cbcs.bus.memory import MemoryBus

__all__ = ["Bus", "BusError", "MemoryBus", "Subscription", "open_bus"]


async def open_bus(url: str | None) -> Bus:
    """``None`` or ``memory://``: in-process; ``redis://HOST:PORT/DB``: Redis."""
    if url is None or url == "memory://":
        return MemoryBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from cbcs.bus.redis import RedisBus
        return await RedisBus.open(url)
    raise BusError(f"bus: expected memory:// or redis://HOST:PORT, got {url!r}")
