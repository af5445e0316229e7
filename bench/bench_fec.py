"""Reed-Solomon micro-benchmark (10+4, 1200-byte shards) beside zfec and ISA-L (pyeclib).

Run with ``pytest bench/bench_fec.py --benchmark-enable``; prints MB/s of data per call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cbcs.media import ReedSolomon

K, M, L, LOST = 10, 4, 1200, 4
DATA = np.random.default_rng(1).integers(0, 256, (K, L), dtype=np.uint8)


def _report(benchmark: Any, name: str) -> None:
    if benchmark.stats is not None:  # None with --benchmark-disable
        median = benchmark.stats.stats.median
        print(f"\n{name}: {median * 1e9:.0f} ns/call, {K * L / median / 1e6:.0f} MB/s")


def _peer(name: str) -> Any:
    # The peers come with the test extra: a missing one fails rather than skips.
    if name == "zfec":
        import zfec
        return zfec
    from pyeclib import ec_iface as ec
    return ec.ECDriver(k=K, m=M, ec_type="isa_l_rs_vand")


@pytest.mark.parametrize("impl", ["cbcs", "zfec", "isal"])
def bench_encode(benchmark: Any, impl: str) -> None:
    if impl == "cbcs":
        rs = ReedSolomon(K, M)
        parity = benchmark(rs.encode, DATA)
        assert parity.shape == (M, L)
    elif impl == "zfec":
        enc = _peer("zfec").Encoder(K, K + M)
        blocks = [bytes(r) for r in DATA]
        assert len(benchmark(enc.encode, blocks, list(range(K, K + M)))) == M
    else:
        drv = _peer("isal")
        assert len(benchmark(drv.encode, DATA.tobytes())) == K + M
    _report(benchmark, f"encode {impl}")


@pytest.mark.parametrize("impl", ["cbcs", "zfec", "isal"])
def bench_decode_four_lost(benchmark: Any, impl: str) -> None:
    if impl == "cbcs":
        rs = ReedSolomon(K, M)
        shards: list[np.ndarray | None] = [*DATA, *rs.encode(DATA)]
        shards[:LOST] = [None] * LOST
        assert np.array_equal(benchmark(rs.decode, shards), DATA)
    elif impl == "zfec":
        zfec = _peer("zfec")
        blocks = [bytes(r) for r in DATA]
        parity = zfec.Encoder(K, K + M).encode(blocks, list(range(K, K + M)))
        dec = zfec.Decoder(K, K + M)
        have = blocks[LOST:] + parity
        nums = list(range(LOST, K)) + list(range(K, K + M))
        assert b"".join(benchmark(dec.decode, have, nums)) == DATA.tobytes()
    else:
        drv = _peer("isal")
        frags = drv.encode(DATA.tobytes())
        assert benchmark(drv.decode, frags[LOST:]) == DATA.tobytes()
    _report(benchmark, f"decode {impl}")
