"""Link emulator throughput: packets per second through the batch API (aim: >= 1 M/s)."""

import numpy as np
import pytest

from cbcs.media import netsim

N = 1_000_000


@pytest.mark.parametrize("profile", ["lan", "latam-3g", "worst"])
def bench_transmit(benchmark, profile: str) -> None:  # type: ignore[no-untyped-def]
    send = np.arange(N) * 20.0
    sizes = np.full(N, 160, dtype=np.int32)

    def run() -> np.ndarray:
        return netsim.Link(profile, seed=1).transmit(send, sizes)

    arrival = benchmark(run)
    assert arrival.shape == (N,)
    if benchmark.stats is not None:  # None with --benchmark-disable
        median = benchmark.stats.stats.median
        print(f"\n{profile}: {median / N * 1e9:.1f} ns/packet, {N / median / 1e6:.1f} M packets/s")
