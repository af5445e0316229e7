"""The live channel (WebSocket) from a client's side, with reconnect and resume.

Every ``message`` frame received moves the conversation's high-water mark; after a dropped
connection :meth:`LiveChannel.reconnect` opens a new socket and sends ``resume`` with that
mark for each conversation followed, so the client gets exactly what it missed. A message
sent with :meth:`send_message` is retried with the same ``client_id`` until it is
acknowledged: the service stores it once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from cbcs.client.errors import ApiError


class LiveChannel:
    """One client's WebSocket to the service."""

    def __init__(self, url: str, token: str, session: aiohttp.ClientSession, *,
                 queue_size: int = 1024) -> None:
        self.url = url
        self.token = token
        self.session = session
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames_in: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=queue_size)
        #: conversation -> highest message seq received
        self.seen: dict[str, int] = {}
        self.close_code: int | None = None
        self.close_reason = ""
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    async def connect(self) -> None:
        """Open the socket (raises ApiError when the service refuses the token)."""
        try:
            self.ws = await self.session.ws_connect(self.url, params={"token": self.token},
                                                    heartbeat=30.0, max_msg_size=1 << 20)
        except aiohttp.WSServerHandshakeError as exc:
            raise ApiError(exc.status, "refused", exc.message) from None
        self.closed.clear()
        self._reader = asyncio.get_running_loop().create_task(self._read(self.ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                kind = frame.get("type")
                if kind == "message":
                    conv = frame["conversation"]
                    if frame["seq"] <= self.seen.get(conv, 0):
                        continue  # a duplicate after a resume: already had it
                    self.seen[conv] = frame["seq"]
                elif kind == "ack":
                    fut = self._acks.pop(frame["client_id"], None)
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
                elif kind == "error":
                    cid = (frame.get("ref") or {}).get("client_id")
                    fut = self._acks.pop(cid, None) if cid else None
                    if fut is not None and not fut.done():
                        fut.set_exception(ApiError(0, frame["code"], frame["message"]))
                if self.frames_in.full():
                    self.frames_in.get_nowait()  # the caller is not reading: drop the oldest
                self.frames_in.put_nowait(frame)
        finally:
            self.close_code = ws.close_code
            self.close_reason = str(ws.extra) if hasattr(ws, "extra") else ""
            self.closed.set()
            for fut in self._acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("live channel closed"))
            self._acks.clear()

    async def send(self, frame: dict[str, Any]) -> None:
        if self.ws is None or self.ws.closed:
            raise ConnectionError("live channel closed")
        await self.ws.send_str(json.dumps(frame))

    async def send_message(self, conversation: str, text: str, *, client_id: str | None = None,
                           timeout: float = 10.0) -> dict[str, Any]:
        """Post a message and wait for its ``ack`` (``{client_id, seq, conversation}``)."""
        client_id = client_id or uuid.uuid4().hex
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[client_id] = fut
        await self.send({"type": "message", "conversation": conversation,
                         "client_id": client_id, "text": text})
        return await asyncio.wait_for(fut, timeout)

    async def resume(self, conversation: str, after_seq: int | None = None) -> None:
        """Ask for every message after ``after_seq`` (default: the last one received)."""
        seq = self.seen.get(conversation, 0) if after_seq is None else after_seq
        self.seen.setdefault(conversation, seq)
        await self.send({"type": "resume", "conversation": conversation, "after_seq": seq})

    async def reconnect(self) -> None:
        """A new socket, then ``resume`` for every conversation followed."""
        await self.close()
        await self.connect()
        for conversation in list(self.seen):
            await self.resume(conversation)

    async def offer_call(self, conversation: str, sdp: str, timeout: float = 20.0,
                         mode: str | None = None) -> str:
        """Send ``call.offer`` and wait for the node's answer SDP (``call.answer``);
        :class:`ApiError` (status 0) when the node refuses it. ``mode`` (a supervisor's
        leg): ``listen`` (default for one), ``whisper`` or ``join``. Other frames that come
        meanwhile stay queued, in order, for :meth:`next` and :meth:`frames`."""
        frame = {"type": "call.offer", "conversation": conversation, "sdp": sdp}
        if mode is not None:
            frame["mode"] = mode
        await self.send(frame)
        others: list[dict[str, Any]] = []

        async def answer() -> str:
            while True:
                frame = await self.frames_in.get()
                if frame.get("type") == "error" and (frame.get("ref") or {}).get("type") \
                        == "call.offer":
                    raise ApiError(0, str(frame.get("code")), str(frame.get("message")))
                if frame.get("type") == "call.answer" and frame.get("conversation") == \
                        conversation:
                    return str(frame["sdp"])
                others.append(frame)

        try:
            return await asyncio.wait_for(answer(), timeout)
        finally:   # what was not the answer goes back, before what came after it
            while not self.frames_in.empty():
                others.append(self.frames_in.get_nowait())
            for kept in others[-self.frames_in.maxsize:] if self.frames_in.maxsize else others:
                self.frames_in.put_nowait(kept)

    async def set_call_mode(self, conversation: str, mode: str) -> None:
        """Change this party's leg to ``listen``, ``whisper`` or ``join`` (``call.mode``)."""
        await self.send({"type": "call.mode", "conversation": conversation, "mode": mode})

    async def hang_up(self, conversation: str) -> None:
        await self.send({"type": "call.hangup", "conversation": conversation})

    async def join_room(self, room: str) -> dict[str, Any]:
        await self.send({"type": "room.join", "room": room})
        return await self.next("room.joined")

    async def comment(self, room: str, text: str) -> None:
        await self.send({"type": "room.comment", "room": room, "text": text})

    async def next(self, kind: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame (of ``kind``, skipping others)."""
        async def wait() -> dict[str, Any]:
            while True:
                frame = await self.frames_in.get()
                if kind is None or frame.get("type") == kind:
                    return frame
        return await asyncio.wait_for(wait(), timeout)

    async def frames(self) -> AsyncIterator[dict[str, Any]]:
        """Every frame as it comes, until the socket closes."""
        while not (self.closed.is_set() and self.frames_in.empty()):
            getter = asyncio.ensure_future(self.frames_in.get())
            closer = asyncio.ensure_future(self.closed.wait())
            done, _ = await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                closer.cancel()
                yield getter.result()
            else:
                getter.cancel()

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
