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
