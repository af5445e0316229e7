"""A stock aiortc peer for benchmarks and tests: it offers (or answers), sends marker tones
(:mod:`cbcs.rtc.markers`) and records what it plays, on loopback. It stands for a
customer's or an agent's WebRTC client with nothing of cbcs's media path in it."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from cbcs.rtc import markers as mk
from cbcs.rtc.ice import configure_ice
from cbcs.rtc.media import PacedAudioTrack, PlayoutRecorder, to_mono_int16, wall_ms


class StockClient:
    """An independent stock aiortc peer that sends marker tones (``freqs``: its own set,
    to tell several senders apart) and records."""

    def __init__(self, *, first_s: float = 1.0, freqs: tuple[float, ...] = mk.FREQS) -> None:
        self.source = mk.MarkerTrackSource(first_s=first_s, freqs=freqs)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.recorder = PlayoutRecorder()
        self._tasks: list[asyncio.Task[Any]] = []
        self._track = PacedAudioTrack(self.source.block)

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                self.recorder.add(to_mono_int16(frame), wall_ms())
        except (MediaStreamError, asyncio.CancelledError):
            pass

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
