"""Token buckets with time passed in."""

from __future__ import annotations

import pytest

from cbcs.errors import ConfigError
from cbcs.server.ratelimit import Rate, RateLimiter


def test_bursts_then_the_average_rate() -> None:
    rl = RateLimiter(Rate(per_s=2.0, burst=3))
    assert [rl.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert rl.retry_after("a", 0.0) == pytest.approx(0.5)
    assert rl.allow("a", 0.5) and not rl.allow("a", 0.5)
    assert rl.allow("b", 0.5)  # keys are independent


def test_memory_is_bounded() -> None:
    rl = RateLimiter(Rate(1.0, 1), max_keys=10)
    for i in range(100):
        rl.allow(f"k{i}", 0.0)
    assert len(rl._buckets) == 10


def test_a_rate_that_makes_no_sense_is_refused() -> None:
    with pytest.raises(ConfigError):
        Rate(0.0, 1)


def test_refused_credentials_from_one_address_are_slowed_down(config: object,
                                                              serve: object) -> None:
    import asyncio

    import aiohttp

    async def go() -> list[int]:
        async with serve(config) as (url, node):   # type: ignore[operator]
            statuses = []
            async with aiohttp.ClientSession() as http:
                key = node.auth._admin_key.decode()
                # minting many tokens with the right key is a builder's backend at work
                for n in range(30):
                    async with http.post(f"{url}/api/v1/tokens", json={
                            "role": "customer", "subject": f"c{n}"},
                            headers={"Authorization": f"Bearer {key}"}) as r:
                        statuses.append(r.status)
                for _ in range(15):
                    async with http.get(f"{url}/api/v1/stats/queues",
                                        headers={"Authorization": "Bearer guess"}) as r:
                        statuses.append(r.status)
                # the same address with a good credential is still served
                async with http.get(f"{url}/api/v1/stats/queues",
                                    headers={"Authorization": f"Bearer {key}"}) as r:
                    statuses.append(r.status)
            return statuses
    statuses = asyncio.run(go())
    assert statuses[:30] == [201] * 30
    assert statuses[30:40] == [401] * 10 and 429 in statuses[40:45]
    assert statuses[45] == 200
