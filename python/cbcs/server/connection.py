"""One WebSocket client: a bounded send queue drained by its own writer task.

Frames that must not be lost (messages, acks, offers) wait in the queue; when it is full
the client is too slow for the service and is disconnected with a reason (close code
4008), never left to grow memory. Ephemeral frames (typing, read receipts, room comments
to a viewer who is behind) are dropped instead, and counted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from cbcs.server.auth import Principal

#: Close code for a client too slow for its queue (4000-4999: the application's own).
SLOW_CONSUMER = 4008
#: Close code for a token that expired while the socket was open.
TOKEN_EXPIRED = 4001


class Connection:
    """A WebSocket client: who it is, what it follows, and its outbound queue."""

    def __init__(self, ws: web.WebSocketResponse, principal: Principal, *,
                 queue_size: int = 256) -> None:
        self.ws = ws
        self.principal = principal
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size)
        self.dropped_ephemeral = 0
        self.closing_reason: str | None = None
        #: conversation id -> highest message seq sent to this client (for resume and
        #: de-duplication of live messages against a history read)
        self.sent_seq: dict[str, int] = {}
        self.rooms: dict[str, int] = {}  # room -> highest comment seq sent
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write())

    @property
    def open(self) -> bool:
        return self.closing_reason is None and not self.ws.closed

    def send(self, frame: dict[str, Any], *, ephemeral: bool = False) -> bool:
        """Queue a frame; False when it was not queued (dropped, or the client is gone)."""
        if not self.open:
            return False
        text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
        if self.queue.full():
            if ephemeral:
                self.dropped_ephemeral += 1
                return False
            self.close_soon(SLOW_CONSUMER, "too slow: send queue full")
            return False
        self.queue.put_nowait(text)
        return True

    def room_has_space(self, reserve: int = 16) -> bool:
        """Whether a room comment may be queued without crowding out frames that matter."""
        return self.queue.qsize() < self.queue.maxsize - reserve

    def close_soon(self, code: int, reason: str) -> None:
        """Close after what is queued (or at once when the queue is full)."""
        if self.closing_reason is not None:
            return
        self.closing_reason = reason
        self._close_code = code
        if self.queue.full():
            asyncio.get_running_loop().create_task(self.ws.close(code=code,
                                                                 message=reason.encode()))
        else:
            self.queue.put_nowait(None)

    async def _write(self) -> None:
        try:
            while True:
                text = await self.queue.get()
                if text is None:
                    await self.ws.close(code=self._close_code,
                                        message=(self.closing_reason or "").encode())
                    return
                await self.ws.send_str(text)
        except (ConnectionResetError, RuntimeError, asyncio.CancelledError):
            return

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
