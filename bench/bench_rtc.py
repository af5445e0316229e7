"""A call's audio per 20 ms packet from Python: the core's receive path (RTP parse, Opus
decode, jitter buffer) and send path (Opus encode, RED, RTP) against stock aiortc's (its
RTP parser, JitterBuffer and PyAV Opus). Run with
``pytest bench/bench_rtc.py --benchmark-enable -s``; the ratios print side by side.
"""

from __future__ import annotations

import fractions
from typing import Any

import numpy as np
import pytest
from aiortc.codecs.opus import OpusDecoder as AiortcOpusDecoder
from aiortc.codecs.opus import OpusEncoder as AiortcOpusEncoder
from aiortc.jitterbuffer import JitterBuffer as AiortcJitterBuffer
from aiortc.rtp import RtpPacket
from av import AudioFrame

from cbcs import _core
from cbcs.media import JitterBuffer, rtp
from cbcs.rtc.opus import OpusEncoder
from cbcs.rtc.receive import JitterBufferReceiver

PACKETS = 250  # per round: 5 s of audio
_results: dict[str, float] = {}


def _speechlike() -> list[np.ndarray]:
    t = np.arange(960 * PACKETS) / 48000
    x = sum(np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 12))
    x = 5000 * x * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    pcm = x.astype(np.int16)
    return [pcm[i * 960:(i + 1) * 960] for i in range(PACKETS)]


def _packets() -> list[bytes]:
    enc = OpusEncoder(32000)
    return [rtp.build(111, i, i * 960, 0x1234, enc.encode(f)) for i, f in enumerate(_speechlike())]


def _report(benchmark: Any, what: str) -> None:
    if benchmark.stats is None:  # --benchmark-disable
        return
    ns = benchmark.stats.stats.median / PACKETS * 1e9
    _results[what] = ns
    print(f"\n{what}: {ns:.0f} ns per packet (median)")
    for side in ("receive", "send"):
        ours, theirs = _results.get(f"cbcs {side}"), _results.get(f"aiortc {side}")
        if ours and theirs and what.endswith(side):
            print(f"{side}: cbcs / aiortc = {ours / theirs:.2f}")


@pytest.mark.parametrize("path", ["cbcs", "aiortc"])
def bench_receive(benchmark: Any, path: str) -> None:
    packets = _packets()
    if path == "cbcs":
        def run() -> None:
            rx = JitterBufferReceiver(JitterBuffer(48000), lambda pcm, kind, wall: None,
                                      opus_pt=111)
            on_packet, get = rx.core.on_packet, rx.jb.get
            for i, p in enumerate(packets):
                on_packet(p, i * 20.0)
                get(i * 20.0)
                get(i * 20.0 + 10.0)
    else:
        def run() -> None:
            jb, dec = AiortcJitterBuffer(capacity=16, prefetch=4), AiortcOpusDecoder()
            for p in packets:
                packet = RtpPacket.parse(p)
                packet._data = packet.payload  # what aiortc's receiver depayloads for Opus
                _, frame = jb.add(packet)
                if frame is not None:
                    dec.decode(frame)
    benchmark(run)
    _report(benchmark, f"{path} receive")


@pytest.mark.parametrize("path", ["cbcs", "aiortc"])
def bench_send(benchmark: Any, path: str) -> None:
    frames = _speechlike()
    if path == "cbcs":
        def run() -> None:
            sender = _core.AudioSender(OpusEncoder(32000), 111, 0x1234, 0, 0)
            sender.set_red(63, 1)
            for i, f in enumerate(frames):
                sender.next(f, i)
                sender.sent()
    else:
        def run() -> None:
            enc = AiortcOpusEncoder()
            for i, f in enumerate(frames):
                frame = AudioFrame.from_ndarray(f.reshape(1, -1), format="s16", layout="mono")
                frame.sample_rate, frame.pts = 48000, i * 960
                frame.time_base = fractions.Fraction(1, 48000)
                payloads, ts = enc.encode(frame)
                for payload in payloads:
                    RtpPacket(payload_type=111, sequence_number=i, timestamp=ts,
                              ssrc=0x1234, payload=payload).serialize()
    benchmark(run)
    _report(benchmark, f"{path} send")
