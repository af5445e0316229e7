"""The impairment shim on real UDP sockets over loopback: delay, loss and both directions."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from cbcs.media import netsim
from cbcs.rtc.impair import Impairment


class Recorder(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: Any = None
        self.got: list[tuple[float, bytes]] = []

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.got.append((asyncio.get_running_loop().time() * 1000.0, data))


async def pair() -> tuple[Recorder, Recorder]:
    loop = asyncio.get_running_loop()
    _, a = await loop.create_datagram_endpoint(Recorder, local_addr=("127.0.0.1", 0))
    _, b = await loop.create_datagram_endpoint(Recorder, local_addr=("127.0.0.1", 0))
    return a, b


@pytest.mark.parametrize("profile", ["sea-4g", "latam-3g"])
@pytest.mark.parametrize("direction", ["outbound", "inbound"])
def test_datagrams_take_the_profile_delay_and_loss(profile: str, direction: str) -> None:
    params = netsim.profile(profile)

    async def run() -> tuple[list[float], int, Impairment]:
        a, b = await pair()
        imp = Impairment(profile, seed=5)
        # outbound: a's sends are impaired; inbound: b's receptions are impaired
        imp.wrap(a if direction == "outbound" else b)
        b_addr = b.transport.get_extra_info("sockname")
        loop = asyncio.get_running_loop()
        sent: dict[int, float] = {}
        for i in range(300):
            sent[i] = loop.time() * 1000.0
            a.transport.sendto(i.to_bytes(4, "big") + bytes(156), b_addr)
            await asyncio.sleep(0.005)
        await asyncio.sleep(1.5)
        delays = [t - sent[int.from_bytes(d[:4], "big")] for t, d in b.got]
        a.transport.close()
        b.transport.close()
        return delays, len(b.got), imp

    delays, n, imp = asyncio.run(run())
    stats = imp.out_stats if direction == "outbound" else imp.in_stats
    assert stats.sent == 300
    assert n == stats.delivered == 300 - stats.lost
    # gaussian jitter spreads both ways around the base delay; the median sits above it
    assert params.base_delay_ms - 5.0 < np.median(delays) < (
        params.base_delay_ms + 3 * params.jitter_ms + 30.0)
    assert min(delays) > params.base_delay_ms - 5 * params.jitter_ms
    if params.loss_rate >= 0.02:
        assert stats.lost > 0  # 300 packets at 4 % bursty loss: some are gone


def test_two_directions_draw_independently() -> None:
    imp = Impairment("worst", seed=9)
    out = [imp.outbound.send(20.0 * i, 200) for i in range(500)]
    inn = [imp.inbound.send(20.0 * i, 200) for i in range(500)]
    assert [a is None for a in out] != [b is None for b in inn]


def test_packets_released_together_keep_their_order() -> None:
    """A delay spike releases the packets queued behind it at one instant; the shim must not
    let the event loop's timer heap shuffle them (latam-3g has no reordering)."""
    async def run() -> list[int]:
        a, b = await pair()
        imp = Impairment("latam-3g", seed=1)
        imp.wrap(b)
        b_addr = b.transport.get_extra_info("sockname")
        for i in range(1500):
            a.transport.sendto(i.to_bytes(4, "big"), b_addr)
            if i % 10 == 0:
                await asyncio.sleep(0.002)
        await asyncio.sleep(2.0)
        a.transport.close()
        b.transport.close()
        return [int.from_bytes(d[:4], "big") for _, d in b.got]

    got = asyncio.run(run())
    assert len(got) > 1200
    assert got == sorted(got)
