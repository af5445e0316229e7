"""Jitter buffer cost per packet and per 10 ms block from Python, with allocation counts.

Gate from issue 2: get() at most 2 us per block on normal playout, zero C++ allocations
per put/get in steady state. Run with ``pytest bench/bench_jitter.py --benchmark-enable``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cbcs import _core
from cbcs.media import JitterBuffer

BLOCKS = 2000  # per round: 20 s of audio, 1000 packets of 20 ms


class Stream:
    """A steady 20 ms packet stream with 40 ms of network delay, one get every 10 ms."""

    def __init__(self, rate: int) -> None:
        self.jb = JitterBuffer(rate)
        self.spp = rate // 50
        t = np.arange(self.spp * 50) / rate
        audio = (6000 * np.sin(2 * np.pi * 180 * t)).astype(np.int16)
        self.pcm = [audio[i * self.spp:(i + 1) * self.spp].copy() for i in range(50)]
        self.k = 0
        self.now = 0.0
        self.run(500)  # reach steady state

    def put_one(self) -> None:
        k = self.k
        self.jb.put(k & 0xFFFF, (k * self.spp) & 0xFFFFFFFF, self.pcm[k % 50], k * 20.0 + 40.0)
        self.k += 1

    def run(self, packets: int) -> None:
        put, get = self.jb.put, self.jb.get
        spp, pcm = self.spp, self.pcm
        for _ in range(packets):
            k = self.k
            put(k & 0xFFFF, (k * spp) & 0xFFFFFFFF, pcm[k % 50], k * 20.0 + 40.0)
            self.k += 1
            get(self.now)
            get(self.now + 10.0)
            self.now += 20.0


def _report(benchmark: Any, what: str, per_round: int, allocations: int) -> None:
    if benchmark.stats is not None:  # None with --benchmark-disable
        median = benchmark.stats.stats.median
        print(f"\n{what}: {median / per_round * 1e9:.0f} ns each (median), "
              f"{allocations} C++ allocations in the timed rounds")


@pytest.mark.parametrize("rate", [16000, 48000])
def bench_get(benchmark: Any, rate: int) -> None:
    s = Stream(rate)
    get = s.jb.get
    # Feed far enough ahead that every timed get is normal playout.
    for _ in range(BLOCKS * 40):
        s.put_one()
        if s.k * 20.0 - s.now > 600.0:
            break

    def run() -> None:
        for _ in range(100):
            # Keep the buffer fed: one put per two gets, outside what is measured per get.
            s.put_one()
            get(s.now)
            get(s.now + 10.0)
            s.now += 20.0

    before = _core.allocation_count()
    benchmark(run)
    allocations = _core.allocation_count() - before
    assert allocations == 0
    _report(benchmark, f"put + 2 x get @{rate} Hz (per get, incl. a half put)", 200, allocations)


@pytest.mark.parametrize("rate", [16000, 48000])
def bench_get_only(benchmark: Any, rate: int) -> None:
    """Only get() is timed: packets for a round are put in the (untimed) setup."""
    s = Stream(rate)
    get = s.jb.get
    kinds: dict[str, int] = {}

    def refill() -> None:
        while s.k * 20.0 < s.now + 600.0:  # keep ~0.5 s of audio ahead: normal playout
            s.put_one()

    def run() -> None:
        now = s.now
        for _ in range(50):
            p = get(now)
            now += 10.0
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
        s.now = now

    before = _core.allocation_count()
    benchmark.pedantic(run, setup=refill, rounds=400, iterations=1)
    allocations = _core.allocation_count() - before
    assert allocations == 0
    assert set(kinds) == {"normal"}, kinds
    _report(benchmark, f"get @{rate} Hz (normal playout)", 50, allocations)


@pytest.mark.parametrize("rate", [16000, 48000])
def bench_put(benchmark: Any, rate: int) -> None:
    """Only put() is timed: the gets that play the packets out run in the setup."""
    s = Stream(rate)
    get = s.jb.get

    def drain() -> None:
        while s.now < s.k * 20.0:
            get(s.now)
            s.now += 10.0

    def run() -> None:
        for _ in range(25):
            s.put_one()

    before = _core.allocation_count()
    benchmark.pedantic(run, setup=drain, rounds=400, iterations=1)
    allocations = _core.allocation_count() - before
    assert allocations == 0
    _report(benchmark, f"put @{rate} Hz", 25, allocations)
