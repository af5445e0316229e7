"""The cbcs audio receive path: per-packet Opus decode (with RED and in-band FEC recovery)
into the cbcs ``JitterBuffer``, pulled by a 10 ms playout clock on the event loop.

This replaces aiortc's receiver pipeline (its 16-packet ``JitterBuffer``, decoder thread
and track queue) for the audio of a cbcs peer. Per packet, the core's ``AudioReceiver``
does everything with the GIL released and nothing allocated: a sequence guard, 16-bit
unwrap and duplicate check, the RED split, the in-band FEC (LBRR) of the packet before each
block, decoding and the jitter buffer. Bad packets are counted and dropped, never raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs import _core
from cbcs.media import JitterBuffer, PlayoutKind

RATE = 48000
BLOCK = RATE // 100  # 10 ms playout block
#: Playout kinds that carry real or recovered audio (the rest is concealment or silence).
REAL_KINDS = frozenset({"normal", "accelerate", "preemptive_expand", "merge"})
#: Per playout kind: its name, whether it is real audio, whether it is concealment.
_KIND_CLASS: dict[Any, tuple[str, bool, bool]] = {
    k: (k.value, k.value in REAL_KINDS, k.value not in REAL_KINDS and k.value != "silence")
    for k in PlayoutKind}

#: Keeps one stray RTP packet with a wild sequence number from derailing a stream: a packet
#: within ``[-back, +ahead]`` of the highest seen passes; others are held back as suspects,
#: and only a run of ``confirm`` consecutive suspects (a genuine reset) is accepted.
#: ``SequenceGuard(back=1000, ahead=1000, confirm=4)``, ``accept(seq)``, ``highest``,
#: ``rejected``. Every :class:`JitterBufferReceiver` has one.
SequenceGuard = _core.SequenceGuard


@dataclass
class ReceiveCounters:
    """Per-stream receive statistics (RFC 3550 A.3 and A.8), recovery and playout counts."""

    packets_received: int = 0
    packets_duplicate: int = 0
    bytes_received: int = 0
    recovered_fec: int = 0
    recovered_red: int = 0
    jitter_ms: float = 0.0
    malformed: int = 0
    padding: int = 0
    decode_errors: int = 0
    blocks_played: int = 0
    blocks_real: int = 0
    blocks_concealed: int = 0
    target_delay_ms_sum: float = 0.0  # the buffer's target at each block played, summed


class JitterBufferReceiver:
    """Opus (or RED-wrapped Opus) RTP in, 10 ms PCM blocks out through ``on_block``.

    ``opus_pt`` None takes every payload type but ``red_pt`` as Opus; ``red_pt`` None means
    no RED; with ``transport_cc_id``, :meth:`on_packet` reports each packet's transport-wide
    sequence number.
    """

    def __init__(self, jitter_buffer: JitterBuffer,
                 on_block: Callable[[npt.NDArray[np.int16], str, float], None], *,
                 opus_pt: int | None = None, red_pt: int | None = None,
                 transport_cc_id: int | None = None, denoiser: Any = None) -> None:
        self.jb = jitter_buffer
        self.on_block = on_block
        self.denoiser = denoiser
        self.core: Any = _core.AudioReceiver(
            jitter_buffer._core, -1 if opus_pt is None else opus_pt,
            -1 if red_pt is None else red_pt, -1 if transport_cc_id is None else transport_cc_id)
        self._counters = ReceiveCounters()
        self.kinds: dict[str, int] = {}

    # -- packets -------------------------------------------------------------------------
    def on_packet(self, packet: bytes, usable_ms: float) -> tuple[bool, int, int] | None:
        """One decrypted RTP packet, usable for playout from ``usable_ms``:
        ``(accepted, ssrc, transport_seq or -1)``, or None when it is not RTP (counted).
        ``accepted`` is False when the sequence guard held it back."""
        info: tuple[bool, int, int] | None = self.core.on_packet(packet, usable_ms)
        return info

    def on_rtp(self, seq: int, timestamp: int, payload_type: int, payload: bytes,
               arrival_ms: float) -> bool:
        """One packet already parsed (and SRTP-decrypted); False when the sequence guard
        held it back. Never raises for bad data."""
        accepted: bool = self.core.on_payload(seq & 0xFFFF, timestamp & 0xFFFFFFFF,
                                              payload_type, bytes(payload), arrival_ms)
        return accepted

    @property
    def counters(self) -> ReceiveCounters:
        """A fresh view of the counters (the core's, and playout's kept here)."""
        for name, value in self.core.counters().items():
            setattr(self._counters, name, value)
        return self._counters

    def expected(self) -> int:
        """Packets the sequence numbers say were sent (RFC 3550 A.3)."""
        return int(self.core.expected())

    @property
    def base_seq(self) -> int | None:
        """The first extended sequence number received, None before any."""
        base: int | None = self.core.base_seq
        return base

    @property
    def highest_seq(self) -> int:
        """The highest extended sequence number received."""
        return int(self.core.highest_seq)

    @property
    def guard_rejected(self) -> int:
        """Packets the sequence guard held back."""
        return int(self.core.guard_rejected)

    @property
    def guard_highest(self) -> int | None:
        """The highest sequence number the guard accepted (16 bits), None before any."""
        highest: int | None = self.core.guard_highest
        return highest

    def loss_before_recovery(self) -> tuple[int, int]:
        """(expected, lost) packets on the wire."""
        expected = self.expected()
        return expected, max(0, expected - self.counters.packets_received)

    # -- playout -------------------------------------------------------------------------
    def play_block(self, now_ms: float, wall: float) -> None:
        """Pull one 10 ms block (the peer's media clock pulls two every 20 ms).

        ``on_block`` gets the jitter buffer's own read-only view: it is valid until the next
        block, so a sink that keeps audio copies it (the recorder does); nothing is copied
        for a sink that only passes it on."""
        p = self.jb.get(now_ms)
        kind, real, concealed = _KIND_CLASS[p.kind]
        pcm = p.pcm
        if self.denoiser is not None:
            pcm = self.denoiser(pcm)
        c = self._counters
        c.blocks_played += 1
        c.target_delay_ms_sum += p.target_delay_ms
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if real:
            c.blocks_real += 1
        elif concealed:
            c.blocks_concealed += 1
        self.on_block(pcm, kind, wall)

    async def close(self) -> None:
        self._closed = True
