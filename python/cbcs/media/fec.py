"""Loss recovery: Reed-Solomon erasure coding over GF(2^8).

:class:`ReedSolomon` is the compiled codec itself (no Python layer on the per-call path):

>>> import numpy as np
>>> from cbcs.media import ReedSolomon
>>> rs = ReedSolomon(10, 4)
>>> data = np.random.default_rng(1).integers(0, 256, (10, 1200), dtype=np.uint8)
>>> parity = rs.encode(data)                      # uint8[4, 1200]
>>> shards = [*data, *parity]
>>> shards[0] = shards[3] = None                  # lost in the network
>>> bool((rs.decode(shards) == data).all())
True

Arrays must be C-contiguous ``uint8``; anything else raises :class:`cbcs.FrameError`
(never a silent conversion). More than ``m`` lost shards raises :class:`TooManyLossesError`.
Work on more than 256 KiB of data releases the GIL. One object may be shared by threads.
"""

from __future__ import annotations

from cbcs import _core
from cbcs.errors import CbcsError

__all__ = ["ReedSolomon", "TooManyLossesError", "available_kernels"]


class TooManyLossesError(CbcsError):
    """Fewer than ``k`` of the ``k + m`` shards arrived: the data cannot be rebuilt."""


class ReedSolomon(_core.ReedSolomon):
    """Systematic MDS erasure code: ``k`` data shards, ``m`` parity shards, ``k + m <= 255``.

    ``ReedSolomon(k, m, kernel="auto")``; ``kernel`` forces one SIMD path ("scalar",
    "ssse3", "avx2", "avx512bw", "gfni") for tests; every path gives identical bytes.

    - ``encode(data: uint8[k, L], *, out=None) -> uint8[m, L]``
    - ``decode(shards: list of k + m uint8[L] or None, *, out=None) -> uint8[k, L]``

    Decode matrices are cached per loss pattern (``cache_hits``/``cache_misses``).
    """


def available_kernels() -> list[str]:
    """Kernels this CPU runs, slowest first (the last one is what ``"auto"`` picks)."""
    return list(_core.gf_kernels())
