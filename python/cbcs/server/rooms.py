"""Live-commerce rooms (弹幕): many viewers, comments fanned out in one order.

A comment is checked here (length, the sender's rate), then published through the bus,
which gives it the room's next sequence number and delivers it to every node in that
order; each node hands it to its own viewers. A busy room goes out in batches: its
comments are written at most every ``flush_s`` (several frames in one write per viewer),
so a node's cost grows with viewers times flushes, not viewers times comments; the first
comment after a quiet spell goes at once. A viewer whose send queue is filling up is
skipped rather than waited for (the room never stalls): it is told how many comments it
missed (a ``room.skipped`` frame) as soon as it has room again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cbcs.server.connection import Connection, text_frame
from cbcs.server.ratelimit import Rate, RateLimiter

#: publish(room, comment) -> the comment's sequence number in the room
Publish = Callable[[str, dict[str, Any]], Awaitable[int]]


class RoomError(Exception):
    """A comment refused: ``code`` is rate_limited or invalid."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class _Viewer:
    conn: Connection
    missed: int = 0


@dataclass
class _Room:
    viewers: dict[int, _Viewer] = field(default_factory=dict)
    last_seq: int = 0    # of the last comment written to the viewers
    pending: list[bytes] = field(default_factory=list)   # frames not yet written
    pending_seq: int = 0
    last_flush: float = float("-inf")
    flush_due: asyncio.TimerHandle | None = None


class RoomHub:
    """This node's viewers of every room, and the checks on comments."""

    def __init__(self, publish: Publish, *, comment_rate: Rate = Rate(2.0, 4),
                 max_length: int = 200, flush_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._publish = publish
        self.flush_s = flush_s
        self._limits = RateLimiter(comment_rate)
        self.max_length = max_length
        self._clock = clock
        self._rooms: dict[str, _Room] = {}
        self.delivered = 0
        self.skipped = 0

    def join(self, room: str, conn: Connection) -> int:
        """Add a viewer; returns the room's last sequence number seen on this node."""
        r = self._rooms.setdefault(room, _Room())
        r.viewers[id(conn)] = _Viewer(conn)
        conn.rooms[room] = r.last_seq
        return r.last_seq

    def leave_all(self, conn: Connection) -> None:
        for name in list(conn.rooms):
            r = self._rooms.get(name)
            if r is not None:
                r.viewers.pop(id(conn), None)
                if not r.viewers:
                    del self._rooms[name]
        conn.rooms.clear()

    def viewers(self, room: str) -> int:
        r = self._rooms.get(room)
        return len(r.viewers) if r else 0

    async def comment(self, room: str, author: dict[str, str], text: str) -> int:
        """Check and publish one comment; RoomError when refused."""
        text = text.strip()
        if not text or len(text) > self.max_length:
            raise RoomError("invalid", f"text: expected 1..{self.max_length} characters")
        key = f"{author['role']}:{author['id']}"
        if not self._limits.allow(key, self._clock()):
            wait = self._limits.retry_after(key, self._clock())
            raise RoomError("rate_limited", f"too many comments: next in {wait:.1f} s")
        return await self._publish(room, {"author": author, "text": text,
                                          "at": time.time()})

    def deliver(self, room: str, seq: int, comment: dict[str, Any]) -> None:
        """Hand a published comment (in sequence order) to this node's viewers of ``room``:
        at once, or with the room's next batch when it was flushed less than ``flush_s``
        ago."""
        r = self._rooms.get(room)
        if r is None:
            return
        r.pending_seq = seq
        payload = {"type": "room.comment", "room": room, "seq": seq, **comment}
        r.pending.append(text_frame(json.dumps(payload, ensure_ascii=False,
                                               separators=(",", ":")).encode()))
        if r.flush_due is not None:
            return
        wait = r.last_flush + self.flush_s - self._clock()
        if wait <= 0:
            self._flush(room, r)
        else:
            r.flush_due = asyncio.get_running_loop().call_later(wait, self._flush, room, r)

    def _flush(self, room: str, r: _Room) -> None:
        r.flush_due = None
        r.last_flush = self._clock()
        frames, r.pending = r.pending, []
        if not frames:
            return
        chunk, n, seq = b"".join(frames), len(frames), r.pending_seq
        r.last_seq = max(r.last_seq, seq)
        for v in list(r.viewers.values()):
            conn = v.conn
            if not conn.open:
                r.viewers.pop(id(conn), None)
                continue
            if v.missed and conn.send_prepared(text_frame(json.dumps(
                    {"type": "room.skipped", "room": room, "missed": v.missed}).encode())):
                v.missed = 0
            if not v.missed and conn.send_prepared(chunk):
                conn.rooms[room] = seq
                self.delivered += n
            else:
                v.missed += n
                self.skipped += n

    def close(self) -> None:
        """Drop what is waiting for a flush (the node is stopping)."""
        for r in self._rooms.values():
            if r.flush_due is not None:
                r.flush_due.cancel()
                r.flush_due = None
