"""A stock aiortc client for the cbcs peer to talk to, over loopback (real UDP, real DTLS)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from cbcs.rtc import markers as mk
from cbcs.rtc.ice import configure_ice
from cbcs.rtc.media import PacedAudioTrack, PlayoutRecorder, to_mono_int16, wall_ms


class AiortcClient:
    """An independent stock aiortc peer that offers, sends marker tones and records."""

    def __init__(self, *, first_s: float = 1.0) -> None:
        self.source = mk.MarkerTrackSource(first_s=first_s)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(PacedAudioTrack(self.source.block))
        self.recorder = PlayoutRecorder()
        self._tasks: list[asyncio.Task[Any]] = []

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
        configure_ice(self.pc, ["127.0.0.1"])
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await self.pc.close()


@pytest.fixture
def aiortc_client() -> type[AiortcClient]:
    """The class of the stock aiortc client (tests create one per call)."""
    return AiortcClient
