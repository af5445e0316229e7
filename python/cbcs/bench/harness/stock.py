"""Stock aiortc for benchmarks and tests, with nothing of cbcs's media path in it.

:class:`StockPeer` answers a call as the server would with stock aiortc (its encoder, its
jitter buffer), given only what it needs to connect on loopback and the same impairment:
the peer ``cbcs bench e2e`` compares the cbcs peer against. :class:`StockClient` offers
(or answers), sends marker tones (:mod:`cbcs.bench.harness.markers`) and records what it
plays: a customer's or an agent's WebRTC client; :class:`SaidOnce` has it say a recording."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from cbcs.bench.harness import markers as mk
from cbcs.rtc.ice import configure_ice
from cbcs.rtc.peer import BasePeer
from cbcs.rtc.stats import CallStats
from cbcs.rtc.media import PacedAudioTrack, PlayoutRecorder, to_mono_int16, wall_ms


class StockPeer(BasePeer):
    """Stock aiortc answering a call: its Opus encoder, its jitter buffer and decoder."""

    media_path = "aiortc"

    def _before_answer(self, sender: RTCRtpSender, transceiver: Any, offer: str) -> None:
        _play_aiortc_track(self, transceiver)

    async def stats(self) -> CallStats:
        st = CallStats(media_path=self.media_path,
                       impairment=self.impairment.name if self.impairment else None)
        st.rtt_ms, st.packets_sent = await self._sender_stats()
        if self.pc is not None:
            for r in self.pc.getReceivers():
                for s in (await r.getStats()).values():
                    if s.type == "inbound-rtp":
                        st.packets_received = s.packetsReceived
                        st.packets_lost = max(0, s.packetsLost)
                        st.jitter_ms = s.jitter * 1000.0 / 48000.0
        total = st.packets_received + st.packets_lost
        st.loss_before_recovery_pct = 100.0 * st.packets_lost / total if total else 0.0
        st.loss_after_recovery_pct = st.loss_before_recovery_pct  # aiortc recovers nothing
        st.rate()
        return st


async def _record(track: Any, recorder: PlayoutRecorder) -> None:
    """Put what aiortc's receiver decodes into ``recorder`` as it comes, until the end."""
    try:
        while True:
            frame = await track.recv()
            recorder.add(to_mono_int16(frame), wall_ms())
    except (MediaStreamError, asyncio.CancelledError):
        pass


def _play_aiortc_track(peer: BasePeer, transceiver: Any) -> None:
    """Hand what aiortc's receiver decodes to the peer's recorder (stock path)."""
    assert peer.pc is not None
    # aiortc fired "track" during setRemoteDescription already: take it from the receiver
    peer._tasks.append(asyncio.ensure_future(_record(transceiver.receiver.track,
                                                     peer.recorder)))


class StockClient:
    """An independent stock aiortc peer that sends marker tones (``freqs``: its own set,
    to tell several senders apart) and records."""

    def __init__(self, *, first_s: float = 1.0, freqs: tuple[float, ...] = mk.FREQS,
                 source: Any = None) -> None:
        #: what it says: marker tones, or any object with ``block(start, n, wall_ms)`` and
        #: ``markers``
        self.source = source if source is not None else mk.MarkerTrackSource(
            first_s=first_s, freqs=freqs)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.recorder = PlayoutRecorder()
        self._tasks: list[asyncio.Task[Any]] = []
        self._track = PacedAudioTrack(self.source.block)

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self._tasks.append(asyncio.ensure_future(_record(track, self.recorder)))

    async def offer(self) -> str:
        self.pc.addTrack(self._track)
        configure_ice(self.pc, ["127.0.0.1"])
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    async def answer(self, offer: str) -> str:
        """Answer ``offer`` (the other side called)."""
        await self.pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        self.pc.addTrack(self._track)
        configure_ice(self.pc, ["127.0.0.1"])
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await self.pc.close()


class SaidOnce:
    """A :class:`StockClient` source that says a recording once: silence, then ``speech``
    (int16 at 48 kHz) from the first block after :meth:`say`. ``said_until_ms``: the wall
    time its last sample went out."""

    def __init__(self, speech: npt.NDArray[np.int16]) -> None:
        self.speech, self.start = speech, 1 << 62
        self.markers: list[Any] = []
        self.said_until_ms: float | None = None
        self._say = False

    def say(self, speech: npt.NDArray[np.int16] | None = None) -> None:
        """Say ``speech`` (or the recording given at first) from the next block on."""
        if speech is not None:
            self.speech = speech
        self.said_until_ms = None
        self._say = True

    def block(self, start: int, n: int, wall_ms: float) -> npt.NDArray[np.int16]:
        if self._say:
            self.start, self._say = start, False
        out = np.zeros(n, np.int16)
        lo, hi = max(start, self.start), min(start + n, self.start + self.speech.size)
        if lo < hi:
            out[lo - start:hi - start] = self.speech[lo - self.start:hi - self.start]
            if hi == self.start + self.speech.size:
                self.said_until_ms = wall_ms + (hi - start) / 48.0
        return out
