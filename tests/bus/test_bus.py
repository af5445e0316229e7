"""The bus contract, in-process and on a real Redis server: fan-out by topic and prefix,
presence that lapses when heartbeats stop, and a clear error for a bus that is not there."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cbcs.bus import BusError, open_bus


async def next_event(sub: Any, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
    return await asyncio.wait_for(sub.get(), timeout)


def test_events_reach_subscribers_of_their_topic_in_order(bus_url: str) -> None:
    async def go() -> list[Any]:
        bus, other = await open_bus(bus_url), None
        try:
            exact = bus.subscribe("conversation.c1")
            prefix = bus.subscribe("agent.*")
            if bus_url.startswith("redis"):
                other = await open_bus(bus_url)   # a second node publishes
            sender = other or bus
            await asyncio.sleep(0.1)
            for i in range(5):
                await sender.publish("conversation.c1", {"n": i})
            await sender.publish("conversation.c2", {"n": 99})
            await sender.publish("agent.ana", {"type": "reservation"})
            got = [(await next_event(exact))[1]["n"] for _ in range(5)]
            topic, event = await next_event(prefix)
            await asyncio.sleep(0.1)
            return [got, topic, event, exact.get_nowait()]
        finally:
            await bus.close()
            if other:
                await other.close()
    assert asyncio.run(go()) == [[0, 1, 2, 3, 4], "agent.ana", {"type": "reservation"}, None]


def test_numbered_events_from_two_publishers_arrive_in_number_order(bus_url: str) -> None:
    async def go() -> tuple[list[int], list[int]]:
        bus = await open_bus(bus_url)
        other = await open_bus(bus_url) if bus_url.startswith("redis") else bus
        try:
            sub = bus.subscribe("room.*")
            await asyncio.sleep(0.1)
            topic = f"room.r{id(sub)}"   # a fresh counter on a shared Redis

            async def post(b: Any, who: str) -> list[int]:
                return [await b.publish_numbered(topic, {"who": who, "i": i})
                        for i in range(50)]
            numbers = await asyncio.gather(post(bus, "a"), post(other, "b"))
            seen = [(await next_event(sub))[1]["seq"] for _ in range(100)]
            return sorted(numbers[0] + numbers[1]), seen
        finally:
            await bus.close()
            if other is not bus:
                await other.close()
    given, seen = asyncio.run(go())
    assert given == list(range(1, 101))
    assert seen == given


def test_presence_lapses_without_heartbeats(bus_url: str) -> None:
    async def go() -> list[set[str]]:
        bus = await open_bus(bus_url)
        try:
            await bus.heartbeat(["ana", "ben"], "node-1", ttl_s=0.3)
            first = await bus.online(["ana", "ben", "cid"])
            await bus.forget("ben")
            second = await bus.online(["ana", "ben"])
            await asyncio.sleep(0.5)
            third = await bus.online(["ana", "ben"])
            return [first, second, third]
        finally:
            await bus.close()
    assert asyncio.run(go()) == [{"ana", "ben"}, {"ana"}, set()]


def test_close_twice_is_harmless(bus_url: str) -> None:
    async def go() -> None:
        bus = await open_bus(bus_url)
        await bus.close()
        await bus.close()
    asyncio.run(go())


@pytest.mark.parametrize("url, message", [
    ("redis://:secret@127.0.0.1:1/0", "cannot reach Redis at redis://127.0.0.1:1/0: "),
    ("kafka://x", "expected memory:// or redis://"),
])
def test_a_bus_that_is_not_there(url: str, message: str) -> None:
    with pytest.raises(BusError, match=message):
        asyncio.run(open_bus(url))
