"""The live channel: bad frames get error frames and the socket stays usable; live-commerce
rooms fan comments out in one order, rate-limit senders and skip slow viewers ahead."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from typing import Any

import aiohttp

from cbcs.server.auth import Role
from cbcs.server.config import ServerConfig
from cbcs.server.ratelimit import Rate


def _token(node: Any, role: Role, subject: str, ttl: int = 600) -> str:
    return str(node.auth.mint(role, subject, ttl, node.clock()))


async def _next(ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 5.0) -> Any:
    while True:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        frame = json.loads(msg.data)
        if frame["type"] == kind:
            return frame


def test_no_token_or_a_bad_one_is_refused_before_the_upgrade(config: ServerConfig,
                                                             serve: Any) -> None:
    async def go() -> None:
        async with serve(config) as (url, _), aiohttp.ClientSession() as http:
            for suffix in ("", "?token=nope"):
                r = await http.get(f"{url}/ws{suffix}")
                assert r.status == 401
                assert json.loads(await r.text())["error"]["code"] == "unauthorized"
    asyncio.run(go())


def test_bad_frames_get_error_frames_and_the_socket_stays_usable(config: ServerConfig,
                                                                 serve: Any) -> None:
    async def go() -> None:
        async with serve(config) as (url, node), aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"{url}/ws?token={_token(node, Role.CUSTOMER, 'c1')}")
            bad = [
                ("{nope", "bad_json"),
                ('{"type": "teleport"}', "invalid"),
                ('{"type": "room.join", "room": "r1", "extra": true}', "invalid"),
                ('{"type": "room.join", "room": 5}', "invalid"),
                ('{"type": "room.comment", "room": "r1", "text": "hi"}', "forbidden"),
            ]
            for text, code in bad:
                await ws.send_str(text)
                frame = await _next(ws, "error")
                assert frame["code"] == code, (text, frame)
            await ws.send_json({"type": "room.join", "room": "r1"})
            assert (await _next(ws, "room.joined"))["room"] == "r1"
            await ws.send_bytes(b"\x00")
            assert (await _next(ws, "error"))["code"] == "bad_frame"
            # over the frame limit: closed with 1009, as RFC 6455 says
            await ws.send_str(json.dumps({"type": "room.comment", "room": "r1",
                                          "text": "x" * 70_000}))
            msg = await ws.receive(timeout=5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1009
    asyncio.run(go())


def test_comments_reach_every_viewer_in_one_order(config: ServerConfig, serve: Any) -> None:
    async def go() -> list[list[int]]:
        async with serve(config) as (url, node), aiohttp.ClientSession() as http:
            viewers = []
            for i in range(5):
                ws = await http.ws_connect(
                    f"{url}/ws?token={_token(node, Role.CUSTOMER, f'v{i}')}")
                await ws.send_json({"type": "room.join", "room": "show"})
                await _next(ws, "room.joined")
                viewers.append(ws)
            # three senders at once, four comments each (within their burst)
            await asyncio.gather(*(viewers[s].send_json(
                {"type": "room.comment", "room": "show", "text": f"{s}-{k}"})
                for k in range(4) for s in range(3)))
            seen: list[list[int]] = []
            for ws in viewers:
                got = [await _next(ws, "room.comment") for _ in range(12)]
                seen.append([f["seq"] for f in got])
                assert [f["text"] for f in got] == [f["text"] for f in got]
            return seen
    seen = asyncio.run(go())
    assert seen[0] == list(range(1, 13))
    assert all(s == seen[0] for s in seen)


def test_a_sender_over_the_rate_is_told_to_slow_down(config: ServerConfig, serve: Any) -> None:
    cfg = replace(config, limits=replace(config.limits, room_comment=Rate(2.0, 2)))

    async def go() -> list[str]:
        async with serve(cfg) as (url, node), aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"{url}/ws?token={_token(node, Role.CUSTOMER, 's')}")
            await ws.send_json({"type": "room.join", "room": "r"})
            await _next(ws, "room.joined")
            for k in range(3):
                await ws.send_json({"type": "room.comment", "room": "r", "text": str(k)})
            kinds = []
            for _ in range(3):
                msg = json.loads((await ws.receive(timeout=5)).data)
                kinds.append(msg["type"] if msg["type"] != "error" else msg["code"])
            return kinds
    assert sorted(asyncio.run(go())) == ["rate_limited", "room.comment", "room.comment"]


class _StalledSocket(asyncio.WriteTransport):
    """A viewer's socket whose network stalls (a stand-in for the kernel's buffer): while
    stalled, what is written piles up in its buffer; released, it drains at once."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = True
        self.pending: list[bytes] = []
        self.sent: list[dict[str, Any]] = []
        self.writes = 0
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.pending.append(data)
        if not self.stalled:
            self.release()

    def release(self) -> None:
        self.stalled = False
        for chunk in self.pending:   # one write may carry several frames
            while chunk:
                n, header = chunk[1], 2
                if n == 126:
                    n, header = int.from_bytes(chunk[2:4], "big"), 4
                self.sent.append(json.loads(chunk[header:header + n]))
                chunk = chunk[header + n:]
        self.writes += len(self.pending)
        self.pending.clear()

    def get_write_buffer_size(self) -> int:
        return sum(map(len, self.pending)) * (2000 if self.stalled else 0)

    def is_closing(self) -> bool:
        return False

    async def close(self, **_: Any) -> None:  # type: ignore[override]
        self.closed = True


def _hub(flush_s: float = 0.0) -> Any:
    """A room hub whose bus is itself: each comment numbered and delivered at once."""
    from cbcs.server.rooms import RoomHub
    numbers = itertools.count(1)

    async def publish(room: str, comment: dict[str, Any]) -> int:
        seq = next(numbers)
        hub.deliver(room, seq, comment)
        return seq

    hub = RoomHub(publish, comment_rate=Rate(1000.0, 1000), flush_s=flush_s)
    return hub


def test_a_slow_viewer_is_skipped_ahead_and_told_how_many_it_missed() -> None:
    from cbcs.server.auth import Principal
    from cbcs.server.connection import Connection

    async def go() -> tuple[_StalledSocket, _StalledSocket, Any]:
        hub = _hub()
        stalled, healthy = _StalledSocket(), _StalledSocket()
        healthy.release()
        conns = []
        for sock in (stalled, healthy):
            conn = Connection(sock, Principal(Role.CUSTOMER, "v"),  # type: ignore[arg-type]
                              queue_size=32, transport=sock)
            conn.start()
            hub.join("show", conn)
            conns.append(conn)
        author = {"role": "customer", "id": "host"}
        for k in range(40):
            await hub.comment("show", author, f"deal {k}")
            await asyncio.sleep(0)
        stalled.release()  # the network comes back
        await asyncio.sleep(0.05)
        await hub.comment("show", author, "last")
        await asyncio.sleep(0.05)
        for conn in conns:
            await conn.close()
        return stalled, healthy, hub

    stalled, healthy, hub = asyncio.run(go())
    assert [f["seq"] for f in healthy.sent] == list(range(1, 42))  # every comment, in order
    seqs = [f["seq"] for f in stalled.sent if f["type"] == "room.comment"]
    assert seqs == sorted(seqs) and seqs[-1] == 41  # in order, and caught up at the end
    notice = [f for f in stalled.sent if f["type"] == "room.skipped"]
    assert len(notice) == 1 and notice[0]["missed"] == 41 - len(seqs)
    assert hub.skipped == notice[0]["missed"] > 0
    assert not stalled.closed  # skipped ahead, never disconnected


def test_a_busy_room_goes_out_in_batches_in_order() -> None:
    from cbcs.server.auth import Principal
    from cbcs.server.connection import Connection

    async def go() -> _StalledSocket:
        hub = _hub(flush_s=0.05)
        viewer = _StalledSocket()
        viewer.release()
        conn = Connection(viewer, Principal(Role.CUSTOMER, "v"),  # type: ignore[arg-type]
                          transport=viewer)
        conn.start()
        hub.join("show", conn)
        for k in range(30):
            await hub.comment("show", {"role": "customer", "id": "host"}, f"deal {k}")
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.1)
        await conn.close()
        return viewer

    viewer = asyncio.run(go())
    assert [f["seq"] for f in viewer.sent] == list(range(1, 31))   # all of them, in order
    assert viewer.writes <= 6   # about 150 ms of comments, flushed at most every 50 ms
