"""The live channel's call offer waits for the node's answer without losing what else
came meanwhile (a message, a caption): those frames stay queued, in order."""

from __future__ import annotations

import asyncio
from typing import Any

from cbcs.client.live import LiveChannel


class Wire:
    """Stands for the socket: what was sent, and frames the 'node' pushes."""

    def __init__(self, channel: LiveChannel, replies: list[dict[str, Any]]) -> None:
        self.channel, self.replies = channel, replies

    async def send(self, frame: dict[str, Any]) -> None:
        for reply in self.replies:   # as the reader task would put them
            self.channel.frames_in.put_nowait(reply)


def test_frames_that_come_before_the_answer_are_kept_in_order() -> None:
    async def go() -> tuple[str, list[dict[str, Any]]]:
        channel = LiveChannel("ws://unused", "t", session=None)  # type: ignore[arg-type]
        before = [{"type": "message", "conversation": "c1", "seq": 4, "text": "hola"},
                  {"type": "caption", "conversation": "c1", "final": False, "text": "ho"}]
        answer = {"type": "call.answer", "conversation": "c1", "sdp": "v=0 answer"}
        after = {"type": "typing", "conversation": "c1"}
        wire = Wire(channel, [*before, answer, after])
        channel.send = wire.send  # type: ignore[method-assign]
        sdp = await channel.offer_call("c1", "v=0 offer", timeout=2.0)
        kept = [channel.frames_in.get_nowait() for _ in range(channel.frames_in.qsize())]
        return sdp, kept

    sdp, kept = asyncio.run(go())
    assert sdp == "v=0 answer"
    assert [f["type"] for f in kept] == ["message", "caption", "typing"]
