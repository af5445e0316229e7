"""Loss recovery: Reed-Solomon erasure coding, RED, packet FEC groups, NACK/RTX, policy.

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

The receiver-side classes (:class:`RedReceiver`, :class:`FecGroupDecoder`) hand out
:data:`Frame` tuples ``(sequence, timestamp, payload, recovered)``: decode ``payload``
(Opus) and pass ``sequence``, ``timestamp`` and the PCM with the arrival time to
``JitterBuffer.put``; tell :class:`NackGenerator` about every frame, recovered or not,
so that it stops asking for it. :func:`decide_protection` picks the sender's scheme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from cbcs import _core
from cbcs.errors import CbcsError

__all__ = [
    "FecGroupDecoder", "FecGroupEncoder", "Frame", "NackGenerator", "ProtectionDecision",
    "RedEncoder", "RedReceiver", "ReedSolomon", "RetransmissionHistory", "TooManyLossesError",
    "available_kernels", "decide_protection", "red_residual",
]


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

    if TYPE_CHECKING:  # typed signatures for the compiled methods (no Python at run time)
        def encode(self, data: npt.NDArray[np.uint8], *,
                   out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]: ...

        def decode(self, shards: Sequence[npt.NDArray[np.uint8] | None], *,
                   out: npt.NDArray[np.uint8] | None = None) -> npt.NDArray[np.uint8]: ...


def available_kernels() -> list[str]:
    """Kernels this CPU runs, in the order scalar, ssse3, avx2, avx512bw, gfni.

    ``"auto"`` picks gfni, else avx2, else avx512bw, else ssse3 (see ``GfBestKernel``).
    """
    return list(_core.gf_kernels())


# --- receiver and sender machinery -------------------------------------------------------

#: What the receiver side hands to a jitter buffer: (sequence, timestamp, payload, recovered).
Frame = tuple[int, int, bytes, bool]


class NackGenerator(_core.NackGenerator):
    """Receiver side of NACK, RTT- and deadline-aware.

    ``NackGenerator(max_missing=256, packet_interval_ms=20, playout_delay_ms=100,
    rtt_ms=100, reorder_wait_ms=0, max_retries=10)``. Feed every arriving media packet to
    ``on_packet(seq, arrival_ms)``; call ``nacks(now_ms)`` on a timer and send the returned
    sequence numbers with :func:`cbcs.media.rtp.build_nack`. A missing packet is requested
    at most once per RTT and only while ``now + rtt`` is before its playout deadline
    (nominal arrival + ``playout_delay_ms``); after that it is given up. Keep ``set_rtt``
    and ``set_playout_delay`` current from RTCP and the jitter buffer.
    """


class RetransmissionHistory(_core.RetransmissionHistory):
    """Sender history for RTX with memory fixed at ``capacity * max_packet_size`` bytes.

    ``store(seq, packet, now_ms)`` after sending; ``resend(seq, now_ms, min_interval_ms)``
    on a NACK returns the packet (wrap it with :func:`cbcs.media.rtp.rtx_wrap`) or ``None``
    when it is gone, older than ``max_age_ms`` or was resent within ``min_interval_ms``.
    """


class RedEncoder(_core.RedEncoder):
    """Sender side of audio RED (RFC 2198, as Chrome's ``red/48000/2``).

    ``encode(timestamp, frame, depth, spacing=1)`` returns the RED payload for this frame
    carrying ``depth`` earlier frames, ``spacing`` frames apart, oldest first.
    """


class RedReceiver(_core.RedReceiver):
    """Receiver side of audio RED: ``on_packet(seq, timestamp, payload)`` returns the
    frames not delivered before, as :data:`Frame` tuples ready for a jitter buffer.
    ``mark_delivered(seq)`` records frames that came another way (plain RTP, RTX, FEC).
    """


class FecGroupEncoder(_core.FecGroupEncoder):
    """Packet-level Reed-Solomon: ``add_frame(seq, ts, payload)`` returns the ``m`` repair
    payloads when a group of ``k`` consecutive frames is complete, else ``[]``.
    """


class FecGroupDecoder(_core.FecGroupDecoder):
    """Rebuilds lost frames from any ``k`` of a group's ``k + m`` packets:
    ``on_frame(seq, ts, payload)`` and ``on_repair(repair)`` return the :data:`Frame`
    tuples they made recoverable.
    """


@dataclass(frozen=True)
class ProtectionDecision:
    """What :func:`decide_protection` chose, with the model's prediction."""

    mode: Literal["none", "red", "fec", "nack"]
    red_depth: int
    red_spacing: int
    fec_k: int
    fec_m: int
    added_delay_ms: float
    predicted_residual: float
    overhead: float


def red_residual(loss_rate: float, mean_burst: float, depth: int, spacing: int = 1) -> float:
    """Share of frames RED with ``depth`` copies, ``spacing`` packets apart, leaves lost on
    a Gilbert-Elliott link with this loss rate and mean burst length (the model of
    :func:`decide_protection`)."""
    return float(_core.red_residual(float(loss_rate), float(mean_burst), int(depth), int(spacing)))


def decide_protection(
    loss_rate: float,
    mean_burst: float,
    rtt_ms: float,
    playout_slack_ms: float,
    *,
    max_added_delay_ms: float = 60.0,
    packet_interval_ms: float = 20.0,
    media_bitrate_bps: float = 40_000.0,
    allowed_bitrate_bps: float = 1e9,
    target_residual: float = 0.01,
    packet_overhead_bytes: float = 40.0,
) -> ProtectionDecision:
    """Choose RED depth/spacing, Reed-Solomon k/m or NACK for the measured link.

    ``playout_slack_ms`` is how far the jitter buffer's target delay sits above the typical
    network delay (time a later packet has to bring a copy). The model (a Gilbert-Elliott
    chain fitted to ``loss_rate`` and ``mean_burst``) is documented in
    ``cpp/include/cbcs/fec/ProtectionPolicy.hpp``.
    """
    d = _core.protection_decide(
        float(loss_rate), float(mean_burst), float(rtt_ms), float(playout_slack_ms),
        float(max_added_delay_ms), float(packet_interval_ms), float(media_bitrate_bps),
        float(allowed_bitrate_bps), float(target_residual), float(packet_overhead_bytes))
    return ProtectionDecision(
        mode=d["mode"], red_depth=int(d["red_depth"]), red_spacing=int(d["red_spacing"]),
        fec_k=int(d["fec_k"]), fec_m=int(d["fec_m"]), added_delay_ms=float(d["added_delay_ms"]),
        predicted_residual=float(d["predicted_residual"]), overhead=float(d["overhead"]))
