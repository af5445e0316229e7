"""The Redis bus: several nodes. Presence is one key per agent with a TTL that the agent's
node renews; when the node dies the keys expire and other nodes see the agent offline.
Events go through Redis pub/sub (fire and forget: the store is the record, events only
wake other nodes up, and every node re-reads the store on a timer as well).

When Redis cannot be reached, every call raises :class:`BusError` with the reason; the
outage is logged once, and its end once; when the subscription works again the
``on_resume`` callbacks run (events published meanwhile are lost: their listeners re-read
the store)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cbcs.bus.base import BusError, Event, Subscription

log = logging.getLogger("cbcs.bus")
PREFIX = "cbcs:"
# Numbering and publishing in one script: Redis runs a script alone, so events leave in
# the order of their numbers. ARGV[2] is the event's JSON object without its opening brace.
_NUMBERED = """
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], '{"seq":' .. seq .. ',' .. ARGV[2])
return seq
"""


class RedisBus:
    def __init__(self, client: aioredis.Redis, url: str) -> None:
        self._client = client
        self._url = url
        self._subs: list[Subscription] = []
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None
        self._numbered = client.register_script(_NUMBERED)
        self._down_since: float | None = None
        self._reader_down = False
        self._resumed: list[Callable[[], None]] = []

    @classmethod
    async def open(cls, url: str) -> RedisBus:
        client = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=5,
                                   health_check_interval=15)
        try:
            await client.ping()
        except (RedisError, OSError) as error:
            await client.aclose()
            raise BusError(f"bus: cannot reach Redis at {_safe(url)}: {error}") from None
        bus = cls(client, url)
        await bus._pubsub.psubscribe(f"{PREFIX}ev:*")
        bus._reader = asyncio.create_task(bus._read(), name="cbcs-bus-reader")
        return bus

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    def on_resume(self, callback: Callable[[], None]) -> None:
        self._resumed.append(callback)

    def _failed(self, error: BaseException) -> BusError:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("bus: Redis unreachable (%s) at %s: events between nodes and "
                        "presence wait until it is back", _first_line(error), _safe(self._url))
        return BusError(f"bus: Redis unreachable: {_first_line(error)}")

    def _ok(self) -> None:
        if self._down_since is not None:
            log.warning("bus: Redis reachable again after %.1f s",
                        time.monotonic() - self._down_since)
            self._down_since = None

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError) as error:
                self._failed(error)
                self._reader_down = True
                await asyncio.sleep(0.5)
                continue
            if self._reader_down:   # subscribed again: what was missed is in the store
                self._reader_down = False
                self._ok()
                for callback in list(self._resumed):
                    try:
                        callback()
                    except Exception as error:   # noqa: BLE001 - one listener, not all
                        log.warning("bus: a resume listener failed: %s",
                                    type(error).__name__)
            if message is None or message.get("type") != "pmessage":
                continue
            topic = message["channel"][len(PREFIX) + 3:]
            try:
                event = json.loads(message["data"])
            except (TypeError, ValueError):
                log.warning("bus: dropped an event that is not JSON on %s", topic)
                continue
            for sub in self._subs:
                if sub.matches(topic):
                    sub.put(topic, event)

    async def publish(self, topic: str, event: Event) -> None:
        try:
            await self._client.publish(f"{PREFIX}ev:{topic}", json.dumps(event))
        except (RedisError, OSError) as error:
            raise self._failed(error) from None
        self._ok()

    async def publish_numbered(self, topic: str, event: Event) -> int:
        body = json.dumps({k: v for k, v in event.items() if k != "seq"})
        if body == "{}":
            raise BusError("bus: a numbered event needs at least one field")
        try:
            seq = int(await self._numbered(keys=[f"{PREFIX}seq:{topic}"],
                                           args=[f"{PREFIX}ev:{topic}", body[1:]]))
        except (RedisError, OSError) as error:
            raise self._failed(error) from None
        self._ok()
        return seq

    def subscribe(self, pattern: str) -> Subscription:
        sub = Subscription(pattern, self._subs.remove)
        self._subs.append(sub)
        return sub

    async def heartbeat(self, agent_ids: Iterable[str], node: str, ttl_s: float) -> None:
        ttl_ms = max(1, int(ttl_s * 1000))
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for agent_id in agent_ids:
                    pipe.set(f"{PREFIX}presence:{agent_id}", node, px=ttl_ms)
                await pipe.execute()
        except (RedisError, OSError) as error:
            raise self._failed(error) from None
        self._ok()

    async def forget(self, agent_id: str) -> None:
        try:
            await self._client.delete(f"{PREFIX}presence:{agent_id}")
        except (RedisError, OSError) as error:
            raise self._failed(error) from None
        self._ok()

    async def online(self, agent_ids: Iterable[str]) -> set[str]:
        ids = list(agent_ids)
        if not ids:
            return set()
        try:
            values = await self._client.mget([f"{PREFIX}presence:{a}" for a in ids])
        except (RedisError, OSError) as error:
            raise self._failed(error) from None
        self._ok()
        return {a for a, v in zip(ids, values) if v is not None}

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
            for sub in list(self._subs):
                sub.close()
            with contextlib.suppress(RedisError, OSError):
                # Untyped in older redis releases, typed in newer ones.
                await self._pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]
            await self._client.aclose()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _safe(url: str) -> str:
    """The URL without user and password, for messages and logs."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
