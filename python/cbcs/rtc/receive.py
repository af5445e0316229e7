"""The cbcs audio receive path: per-packet Opus decode (with in-band FEC recovery) into the
cbcs ``JitterBuffer``, pulled by a 10 ms playout clock on the event loop.

This replaces aiortc's receiver pipeline (its 16-packet ``JitterBuffer``, decoder thread
and track queue) for the audio of a cbcs peer. Everything here runs on the loop thread;
per-packet work never raises: bad packets are counted and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.media import PlayoutKind, rtp
from cbcs.rtc.opus import OpusDecoder

log = logging.getLogger("cbcs.rtc")

RATE = 48000
BLOCK = RATE // 100  # 10 ms playout block
#: Playout kinds that carry real or recovered audio (the rest is concealment or silence).
REAL_KINDS = frozenset({"normal", "accelerate", "preemptive_expand", "merge"})
#: Per playout kind: its name, whether it is real audio, whether it is concealment.
_KIND_CLASS: dict[Any, tuple[str, bool, bool]] = {
    k: (k.value, k.value in REAL_KINDS, k.value not in REAL_KINDS and k.value != "silence")
    for k in PlayoutKind}


@dataclass
class ReceiveCounters:
    """Per-stream receive statistics (RFC 3550 A.3 and A.8) and recovery counts."""

    packets_received: int = 0
    packets_duplicate: int = 0
    bytes_received: int = 0
    packets_expected: int = 0
    packets_lost: int = 0          # before recovery
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


class SeqTracker:
    """Wrap-aware 16-bit sequence unwrapping and loss accounting."""

    def __init__(self) -> None:
        self.base: int | None = None
        self.highest = 0         # extended
        self.received: set[int] = set()

    def unwrap(self, seq: int) -> int:
        if self.base is None:
            self.base = seq
            self.highest = seq
            return seq
        delta = (seq - (self.highest & 0xFFFF) + 0x8000) % 0x10000 - 0x8000
        ext = self.highest + delta
        if ext > self.highest:
            self.highest = ext
        return ext

    def expected(self) -> int:
        return 0 if self.base is None else self.highest - self.base + 1


class SequenceGuard:
    """Keeps one stray RTP packet with a wild sequence number from derailing a stream.

    A receiver that trusts every sequence number can be pushed into treating the whole real
    stream as "old" by a single packet half a wrap away (aiortc's buffer then drops
    everything until the stream catches up). A packet within ``[-back, +ahead]`` of the
    highest seen passes; others are held back as suspects, and only a run of ``confirm``
    consecutive suspects (a genuine stream reset) is accepted as the new sequence.
    """

    def __init__(self, *, back: int = 1000, ahead: int = 1000, confirm: int = 4) -> None:
        self.back, self.ahead, self.confirm = back, ahead, confirm
        self.highest: int | None = None
        self._suspect: int | None = None
        self._run = 0
        self.rejected = 0

    def accept(self, seq: int) -> bool:
        if self.highest is None:
            self.highest = seq
            return True
        delta = (seq - self.highest + 0x8000) % 0x10000 - 0x8000
        if -self.back <= delta <= self.ahead:
            if delta > 0:
                self.highest = seq
            self._run = 0
            return True
        if self._suspect is not None and seq == (self._suspect + 1) & 0xFFFF:
            self._run += 1
        else:
            self._run = 1
        self._suspect = seq
        if self._run >= self.confirm:
            self.highest, self._run = seq, 0
            return True
        self.rejected += 1
        return False


def parse_red(payload: bytes) -> list[tuple[int, bytes]] | None:
    """RFC 2198 audio RED split by the core: ``[(timestamp_offset, data), ...]`` oldest
    first, primary last; None when malformed."""
    blocks = rtp.parse_red(payload)
    if not blocks:
        return None
    return [(int(b.timestamp_offset), bytes(b.data)) for b in blocks]


class JitterBufferReceiver:
    """Opus (or RED-wrapped Opus) RTP in, 10 ms PCM blocks out through ``on_block``.

    ``jitter_buffer`` follows the cbcs contract: ``put(seq, ts, pcm, arrival_ms)``,
    ``get(now_ms) -> Playout``, ``stats()``.
    """

    def __init__(self, jitter_buffer: Any, on_block: Callable[[npt.NDArray[np.int16], str,
                                                                 float], None],
                 *, denoiser: Any = None) -> None:
        self.jb = jitter_buffer
        self.on_block = on_block
        self.denoiser = denoiser
        self.decoder = OpusDecoder()
        self.seq = SeqTracker()
        self.counters = ReceiveCounters()
        self.opus_pt: int | None = None
        self.red_pt: int | None = None
        self._have: dict[int, int] = {}   # ext seq -> rtp timestamp (recent window)
        self._last_transit: float | None = None
        self._closed = False
        self.kinds: dict[str, int] = {}

    # -- packets -------------------------------------------------------------------------
    def on_rtp(self, seq: int, timestamp: int, payload_type: int, payload: bytes,
               arrival_ms: float) -> None:
        """One RTP packet (already SRTP-decrypted); never raises."""
        try:
            self._on_rtp(seq, timestamp, payload_type, payload, arrival_ms)
        except Exception:  # a bad packet must not end the call
            self.counters.malformed += 1
            log.debug("dropped a malformed audio packet", exc_info=True)

    def _on_rtp(self, seq: int, timestamp: int, payload_type: int, payload: bytes,
                arrival_ms: float) -> None:
        c = self.counters
        ext = self.seq.unwrap(seq)
        if ext in self._have:
            c.packets_duplicate += 1
            return
        c.packets_received += 1
        c.bytes_received += len(payload)
        if not payload:
            c.padding += 1  # padding-only (bandwidth probes): no audio, not an error
            self._have[ext] = timestamp
            return
        self._jitter(timestamp, arrival_ms)
        blocks: list[tuple[int, int, bytes]] = []  # (ext seq, timestamp, opus payload)
        if payload_type == self.red_pt:
            parsed = parse_red(payload)
            if not parsed:
                c.malformed += 1
                return
            # the last block is the primary; earlier ones are copies of earlier packets,
            # placed by their timestamp offset (20 ms of audio = one packet back)
            primary = parsed[-1][1]
            step = self.decoder.samples(primary) if primary else 0
            if step <= 0:
                step = 960
            for ts_offset, data in parsed[:-1]:
                back = int(round(ts_offset / step))
                if 1 <= back <= 16 and data:
                    blocks.append((ext - back, (timestamp - ts_offset) & 0xFFFFFFFF, data))
            blocks.append((ext, timestamp, primary))
        elif payload_type == self.opus_pt or self.opus_pt is None:
            blocks.append((ext, timestamp, payload))
        else:
            c.malformed += 1
            return
        primary_seq, primary_ts, primary = blocks[-1]
        provided = {b[0] for b in blocks}
        floor = self.seq.base if self.seq.base is not None else ext
        # oldest first, as a decoder expects: redundant copies (RED), each preceded by the
        # in-band FEC (LBRR) it carries for the packet before it
        for bseq, bts, data in blocks:
            prev = bseq - 1
            if prev >= floor and prev not in self._have and prev not in provided:
                samples = self.decoder.samples(data)
                if samples > 0:
                    pcm = self.decoder.decode_fec(data, samples)
                    if pcm is not None:
                        self._put(prev, (bts - samples) & 0xFFFFFFFF, pcm,
                                  self._recovered_arrival(arrival_ms, primary_ts,
                                                          (bts - samples) & 0xFFFFFFFF))
                        c.recovered_fec += 1
            if bseq == primary_seq:
                break
            if bseq >= floor and bseq not in self._have:
                pcm = self.decoder.decode(data)
                if pcm is not None:
                    self._put(bseq, bts, pcm,
                              self._recovered_arrival(arrival_ms, primary_ts, bts))
                    c.recovered_red += 1
        pcm = self.decoder.decode(primary)
        if pcm is None:
            c.decode_errors += 1
            return
        self._put(primary_seq, primary_ts, pcm, arrival_ms)
        # forget old sequence numbers: bounded state
        if len(self._have) > 512:
            for k in sorted(self._have)[:256]:
                del self._have[k]

    @staticmethod
    def _recovered_arrival(carrier_arrival_ms: float, carrier_ts: int, ts: int) -> float:
        """The arrival time a recovered packet is given: its carrier's, moved back by the
        audio between them. Recovery rides on a later packet; stamping it with the
        carrier's arrival would look like network delay and push the buffer's target up
        for no reason (NetEq likewise keeps redundant data out of its delay estimate).
        Whether it is still in time for playout is the buffer's call."""
        back = ((carrier_ts - ts) & 0xFFFFFFFF) / (RATE / 1000.0)
        return carrier_arrival_ms - back if back < 1000.0 else carrier_arrival_ms

    def _put(self, ext_seq: int, ts: int, pcm: npt.NDArray[np.int16], arrival_ms: float) -> None:
        self._have[ext_seq] = ts
        self.jb.put(ext_seq & 0xFFFF, ts, pcm, arrival_ms)

    def _jitter(self, timestamp: int, arrival_ms: float) -> None:
        transit = arrival_ms - timestamp * 1000.0 / RATE
        if self._last_transit is not None:
            d = abs(transit - self._last_transit)
            if d < 10_000:  # a timestamp jump (new talkspurt, reset) is not jitter
                self.counters.jitter_ms += (d - self.counters.jitter_ms) / 16.0
        self._last_transit = transit

    def loss_before_recovery(self) -> tuple[int, int]:
        """(expected, lost) packets on the wire."""
        expected = self.seq.expected()
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
        c = self.counters
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
