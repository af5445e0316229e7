"""Token-bucket rate limits per key (a token's subject, a client IP, a room's sender).

Pure: time is passed in. Memory is bounded: at most ``max_keys`` buckets are kept, the
least recently used going first (a forgotten key starts again with a full bucket, which
only ever lets a client through sooner, never later than its rate allows on average).
Limits are per node: with several nodes a client may get up to N times the rate.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from cbcs.errors import ConfigError


@dataclass(frozen=True)
class Rate:
    """``per_s`` events per second on average, bursts of up to ``burst``."""

    per_s: float
    burst: float

    def __post_init__(self) -> None:
        if not self.per_s > 0 or not self.burst >= 1:
            raise ConfigError(f"rate: expected per_s > 0 and burst >= 1, got {self.per_s}, "
                              f"{self.burst}")


class RateLimiter:
    """One token bucket per key."""

    def __init__(self, rate: Rate, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, time

    def allow(self, key: str, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` from ``key``'s bucket at ``now`` (seconds); False when it is empty."""
        tokens, last = self._buckets.pop(key, (self.rate.burst, now))
        tokens = min(self.rate.burst, tokens + max(0.0, now - last) * self.rate.per_s)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, key: str, now: float, cost: float = 1.0) -> float:
        """Seconds until ``cost`` would be allowed for ``key``."""
        tokens, last = self._buckets.get(key, (self.rate.burst, now))
        tokens = min(self.rate.burst, tokens + max(0.0, now - last) * self.rate.per_s)
        return max(0.0, (cost - tokens) / self.rate.per_s)
