"""Reading sockets per media tick: datagrams keep their kernel arrival time."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from cbcs.rtc.media import mono_ms
from cbcs.rtc.tickread import TickReader


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: Any = None
        self.got: list[tuple[bytes, float | None]] = []
        self.arrival: float | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.got.append((data, self.arrival))


def test_datagrams_read_at_the_tick_carry_when_they_arrived() -> None:
    async def run() -> tuple[_Protocol, list[float], int]:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(_Protocol, local_addr=("127.0.0.1", 0))
        await asyncio.sleep(0)  # connection_made
        reader = TickReader.attach([protocol], lambda t: setattr(protocol, "arrival", t))
        assert reader is not None
        addr = protocol.transport.get_extra_info("sockname")
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Linux switches receive timestamps on lazily: a datagram right after the first
        # socket asks may be stamped when it is read. (In a call those are STUN and DTLS.)
        sender.sendto(b"warm-up", addr)
        time.sleep(0.01)
        reader.drain()
        protocol.got.clear()
        sent = []
        for i in range(3):
            sent.append(mono_ms())
            sender.sendto(bytes([i]), addr)
            time.sleep(0.03)
        await asyncio.sleep(0.05)  # the loop runs, but nothing reads the socket
        assert protocol.got == []
        reader.drain()
        sender.close()
        protocol.transport.close()
        return protocol, sent, reader.datagrams

    protocol, sent, count = asyncio.run(run())
    assert count == 4 and [d for d, _ in protocol.got] == [b"\0", b"\1", b"\2"]
    for (_, arrival), at in zip(protocol.got, sent):
        assert arrival is not None and abs(arrival - at) < 5.0  # not the drain time, ~100 ms on
    assert protocol.arrival is None  # cleared after the last datagram
