"""aiortc's audio jitter buffer driven the way its audio receiver drives it, on a trace.

``RTCRtpReceiver`` keeps ``aiortc.jitterbuffer.JitterBuffer(capacity=16, prefetch=4)`` for
audio, parses every datagram into an ``RtpPacket`` and hands it to ``add()`` on arrival; a
frame that ``add()`` returns goes to the decoder queue, which the track's consumer drains
at the codec's frame rate. Here the same class gets real parsed packets at their arrival
times, and a 20 ms playout clock (started by the first frame) plays the head of that
queue, or silence when it is empty.
"""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np
from numpy.typing import NDArray

from cbcs.media.playout import (
    TAIL_MS,
    PlayoutRun,
    Trace,
    _timer_overhead_ns,
    packet_payloads,
    rtp_numbering,
)

_RTP_MOD = 1 << 32
#: Dynamic payload type for L16 audio; aiortc's buffer never looks at it.
_PAYLOAD_TYPE = 96
_SSRC = 0x1234ABCD


def play_aiortc(trace: Trace, source: NDArray[np.int16], *, seed: int = 0,
                capacity: int = 16, prefetch: int = 4, tick_phase_ms: float = 0.0,
                record_pcm: bool = False) -> PlayoutRun:
    """Play ``trace`` through aiortc's ``JitterBuffer``; every ``add()`` is timed."""
    from aiortc.jitterbuffer import JitterBuffer
    from aiortc.rtp import RtpPacket

    jb = JitterBuffer(capacity=capacity, prefetch=prefetch)
    spp = trace.samples_per_packet
    frame_ms = float(trace.packet_ms)
    payloads = packet_payloads(source, trace)
    seq0, ts0 = rtp_numbering(seed)
    n = trace.n_packets
    order = np.flatnonzero(trace.received)
    order = order[np.argsort(trace.arrival_ms[order], kind="stable")]

    ticks: list[float] = []
    block_packet: list[int] = []
    played = np.zeros(n, np.bool_)
    late = np.zeros(n, np.bool_)
    add_ns = np.zeros(order.size, np.int64)
    queue: deque[int] = deque()
    pcm_out: list[NDArray[np.int16]] = []
    silence = np.zeros(spp, np.int16)
    next_tick: float | None = None
    highest_released = -1
    pc = time.perf_counter_ns
    overhead = _timer_overhead_ns()

    def play_until(t_excl: float) -> None:
        nonlocal next_tick
        while next_tick is not None and next_tick < t_excl:
            ticks.append(next_tick)
            if queue:
                idx = queue.popleft()
                block_packet.append(idx)
                played[idx] = True
                if record_pcm:
                    pcm_out.append(payloads[idx])
            else:
                block_packet.append(-1)
                if record_pcm:
                    pcm_out.append(silence)
            next_tick += frame_ms

    for j, i in enumerate(order.tolist()):
        arrival = float(trace.arrival_ms[i])
        play_until(arrival)
        wire = RtpPacket(
            payload_type=_PAYLOAD_TYPE, sequence_number=(seq0 + i) & 0xFFFF,
            timestamp=(ts0 + i * spp) % _RTP_MOD, ssrc=_SSRC,
            payload=payloads[i].tobytes(),
        ).serialize()
        packet = RtpPacket.parse(wire)
        # What RTCRtpReceiver does before add(): depayload (identity for audio codecs).
        packet._data = packet.payload  # type: ignore[attr-defined]
        if i <= highest_released:
            late[i] = True
        t0 = pc()
        _, frame = jb.add(packet)
        t1 = pc()
        add_ns[j] = t1 - t0 - overhead
        if frame is not None:
            idx = ((frame.timestamp - ts0) % _RTP_MOD) // spp
            highest_released = max(highest_released, idx)
            queue.append(idx)
            if next_tick is None:
                # The consumer starts pulling when the first frame comes out; its clock
                # shares the receiver's 10 ms grid.
                next_tick = tick_phase_ms + math.ceil((arrival - tick_phase_ms) / 10.0) * 10.0
    last = float(np.max(trace.arrival_ms[order])) if order.size else 0.0
    play_until(max(last, float(trace.send_ms[-1])) + TAIL_MS)

    return PlayoutRun(
        peer="aiortc", block_ms=frame_ms, tick_ms=np.asarray(ticks, np.float64),
        block_packet=np.asarray(block_packet, np.int64),
        block_offset=np.zeros(len(ticks), np.int64),
        block_kind=["normal" if b >= 0 else "silence" for b in block_packet],
        played=played, late=late, put_ns=add_ns,
        pcm=np.concatenate(pcm_out).astype(np.int16) if record_pcm and pcm_out else None,
    )
