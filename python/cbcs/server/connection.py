"""One WebSocket client: a bounded send queue drained by its own writer task.

Frames that must not be lost (messages, acks, offers) wait in the queue; when it is full
the client is too slow for the service and is disconnected with a reason (close code
4008), never left to grow memory. Ephemeral frames (typing, read receipts, room comments
to a viewer who is behind) are dropped instead, and counted.

Room comments go out by a faster path (:meth:`Connection.send_prepared`): the frame is
built once per comment and written straight to each viewer's socket when nothing of that
viewer's is waiting and its socket buffer is small; otherwise the viewer is behind and
the comment is skipped for it. The sockets are uncompressed, so such frames never
interleave with a compressed stream.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from aiohttp import web

from cbcs.server.auth import Principal

#: Close code for a client too slow for its queue (4000-4999: the application's own).
SLOW_CONSUMER = 4008
#: Close code for a token that expired while the socket was open.
TOKEN_EXPIRED = 4001
#: Close code (RFC 6455 registry) for a connection the service cannot take now.
TRY_AGAIN_LATER = 1013
#: Bytes waiting in a socket's buffer above which its client counts as behind.
BEHIND_BYTES = 256 * 1024


def text_frame(payload: bytes) -> bytes:
    """A whole unmasked WebSocket text frame (RFC 6455 5.2) carrying ``payload``."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class Connection:
    """A WebSocket client: who it is, what it follows, and its outbound queue."""

    def __init__(self, ws: web.WebSocketResponse, principal: Principal, *,
                 queue_size: int = 256, transport: asyncio.BaseTransport | None = None) -> None:
        self.ws = ws
        self.transport = transport
        self.principal = principal
        # JSON text for ws.send_str, or a ready-made frame (bytes) for the socket itself
        self.queue: asyncio.Queue[str | bytes | None] = asyncio.Queue(maxsize=queue_size)
        self.dropped_ephemeral = 0
        self.closing_reason: str | None = None
        #: conversation id -> highest message seq sent to this client (for resume and
        #: de-duplication of live messages against a history read)
        self.sent_seq: dict[str, int] = {}
        self.rooms: dict[str, int] = {}  # room -> highest comment seq sent
        self._writer: asyncio.Task[None] | None = None
        self._sending = False

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

    def send_prepared(self, frame: bytes, *, reserve: int = 16) -> bool:
        """Send a ready-made frame, ephemeral: written at once when nothing else of this
        client's is waiting, queued behind what is (keeping ``reserve`` places free for
        frames that matter); False when the client is behind (its socket buffer or its
        queue is full) or gone."""
        transport = self.transport
        if (not self.open or transport is None
                or not isinstance(transport, asyncio.WriteTransport)
                or transport.is_closing()
                or transport.get_write_buffer_size() > BEHIND_BYTES):
            return False
        if not self._sending and self.queue.empty():
            transport.write(frame)
            return True
        if self.queue.qsize() < self.queue.maxsize - reserve:
            self.queue.put_nowait(frame)
            return True
        return False

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
                if isinstance(text, bytes):
                    if self.transport is not None and not self.transport.is_closing():
                        self.transport.write(text)  # type: ignore[attr-defined]
                    continue
                self._sending = True
                await self.ws.send_str(text)
                self._sending = False
        except (ConnectionResetError, RuntimeError, asyncio.CancelledError):
            return

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
