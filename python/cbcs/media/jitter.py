"""Adaptive (NetEq-class) audio jitter buffer: packets in, one 10 ms block out per call.

Typical receive loop (the core never reads a clock: pass times in)::

    jb = JitterBuffer(sample_rate=16000)
    jb.put(seq, timestamp, pcm, arrival_ms=now())      # for each packet, any order
    p = jb.get(now_ms=now())                           # every 10 ms
    speaker.write(p.pcm.copy())                        # p.pcm is reused by the next get()

``put`` never raises for a bad packet: it answers with a :class:`PutStatus` and counts it.
``get`` returns a :class:`Playout` whose ``pcm`` is a read-only view of the buffer's own
block: it stays valid until the next ``get`` (copy it to keep it). This keeps ``get``
allocation-free and cheap enough to call every 10 ms for many calls in one process.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from cbcs import _core
from cbcs.errors import ConfigError

__all__ = ["JitterBuffer", "JitterStats", "Playout", "PlayoutKind", "PutStatus"]

SAMPLE_RATES = (8000, 16000, 48000)


class PlayoutKind(enum.StrEnum):
    """What one 10 ms block is made of."""

    NORMAL = "normal"                        #: received audio, 10 ms consumed
    ACCELERATE = "accelerate"                #: received audio compressed (more consumed)
    PREEMPTIVE_EXPAND = "preemptive_expand"  #: received audio stretched (less consumed)
    EXPAND = "expand"                        #: concealment continuing the pitch period
    MERGE = "merge"                          #: concealment faded back into received audio
    COMFORT_NOISE = "comfort_noise"          #: concealment faded into background noise
    SILENCE = "silence"                      #: nothing received yet / after a stream reset


class PutStatus(enum.StrEnum):
    """What :meth:`JitterBuffer.put` did with a packet."""

    OK = "ok"                #: stored for playout
    DUPLICATE = "duplicate"  #: already received (dropped, counted)
    LATE = "late"            #: its audio was already played or concealed (dropped, counted)
    INVALID = "invalid"      #: malformed: wrong dtype/shape/length, out-of-range numbers
    OVERFLOW = "overflow"    #: stored, but older audio was flushed to respect max_delay_ms


# Order matters: it is the C++ enum order.
_KINDS = (PlayoutKind.NORMAL, PlayoutKind.ACCELERATE, PlayoutKind.PREEMPTIVE_EXPAND,
          PlayoutKind.EXPAND, PlayoutKind.MERGE, PlayoutKind.COMFORT_NOISE, PlayoutKind.SILENCE)
_STATUSES = (PutStatus.OK, PutStatus.DUPLICATE, PutStatus.LATE, PutStatus.INVALID,
             PutStatus.OVERFLOW)


class Playout(NamedTuple):
    """One 10 ms block of playout.

    ``pcm``: int16[sample_rate // 100], read-only, overwritten by the next ``get``.
    ``timestamp``: RTP timestamp of the first received sample in the block, or None when
    the block is pure concealment or silence.
    ``source_samples``: RTP timestamp units of received audio the block consumed, starting
    at ``timestamp`` (a block; more when accelerating; fewer when stretching or merging; 0
    for concealment). ``[timestamp, timestamp + source_samples)`` is exactly what played.
    ``target_delay_ms``: the buffering target at this block (cheap to read every block).
    """

    pcm: npt.NDArray[np.int16]
    timestamp: int | None
    source_samples: int
    kind: PlayoutKind
    target_delay_ms: float


@dataclass
class JitterStats:
    """Counters and delays since the buffer was created."""

    target_delay_ms: float  #: buffering target beyond the fastest packets
    current_delay_ms: float  #: current buffering delay on the same scale
    packets_received: int   #: packets stored for playout
    late_packets: int       #: arrived after their audio was played or concealed
    lost_packets: int       #: never arrived (from sequence-number gaps; DTX is not loss)
    duplicate_packets: int
    invalid_packets: int
    concealed_ms: float     #: expand output (concealment with speech continuation)
    accelerated_ms: float   #: received audio removed by accelerate
    expanded_ms: float      #: audio added by preemptive expand
    comfort_noise_ms: float = 0.0
    flushed_packets: int = 0    #: dropped unplayed to respect max_delay_ms or on reset
    overflow_packets: int = 0
    reordered_packets: int = 0
    stream_resets: int = 0
    kind_counts: dict[str, int] = field(default_factory=dict)


class JitterBuffer:
    """Adaptive jitter buffer for 16-bit PCM at 8, 16 or 48 kHz, 10..60 ms packets.

    The target delay is a quantile of the relative arrival delay with forgetting
    (``quantile``, ``forget_ms``), bounded by ``min_delay_ms`` and ``max_delay_ms``.
    Raises :class:`cbcs.ConfigError` for a configuration it cannot use.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        *,
        min_delay_ms: int = 0,
        max_delay_ms: int = 1000,
        quantile: float = 0.98,
        forget_ms: float = 2500.0,
        margin_ms: float = 0.0,
    ) -> None:
        for name, value in (("sample_rate", sample_rate), ("min_delay_ms", min_delay_ms),
                            ("max_delay_ms", max_delay_ms)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ConfigError(f"{name}: expected an int, got {type(value).__name__}")
        if sample_rate not in SAMPLE_RATES:
            raise ConfigError(f"sample_rate: expected one of 8000, 16000, 48000, got {sample_rate}")
        self._core: Any = _core.JitterBuffer(
            int(sample_rate), int(min_delay_ms), int(max_delay_ms), float(quantile),
            float(forget_ms), float(margin_ms), _KINDS, _STATUSES, Playout)
        self._core._bind_view()
        self.sample_rate = int(sample_rate)
        self.block_samples = self.sample_rate // 100

    def put(self, seq: int, timestamp: int, pcm: npt.NDArray[np.int16],
            arrival_ms: float) -> PutStatus:
        """Insert one packet (any order). Bad packets are counted and answered, not raised."""
        status: PutStatus = self._core.put(seq, timestamp, pcm, arrival_ms)
        return status

    def get(self, now_ms: float) -> Playout:
        """The next 10 ms block; call every 10 ms. ``pcm`` is valid until the next call."""
        playout: Playout = self._core.get(now_ms)
        return playout

    def target_delay_ms(self) -> float:
        """Current buffering target in ms (also on every :class:`Playout`)."""
        return float(self._core.target_delay_ms())

    def stats(self) -> JitterStats:
        """A snapshot of the counters."""
        d = self._core.stats()
        d["kind_counts"] = {str(k): int(v) for k, v in d["kind_counts"].items()}
        return JitterStats(**d)
