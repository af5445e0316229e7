"""Impairs a peer's real UDP datagrams in-process with the cbcs link emulator.

One :class:`cbcs.media.netsim.Link` per direction (independent seeds) decides for each
datagram whether it is lost and when it arrives; delivery is scheduled on the event loop
with ``loop.call_at``, so the kernel needs no netem and a real browser on the other end of
loopback sees the profile's delay, jitter, loss and bottleneck.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from cbcs.media import netsim
from cbcs.rtc.media import mono_ms

#: IPv4 + UDP header bytes, counted against the link's bandwidth like a real link would.
UDP_OVERHEAD = 28


class _Fifo:
    """Keeps a direction's deliveries in the link's order.

    The link releases packets that queued behind a delay spike at the same instant, and the
    event loop's timer heap does not keep insertion order for equal deadlines, so equal
    arrival times would come out shuffled; a link without reordering must not reorder.
    """

    def __init__(self, reorder: bool) -> None:
        self.reorder = reorder
        self.last = float("-inf")

    def at(self, arrival_ms: float) -> float:
        if self.reorder:
            return arrival_ms
        arrival_ms = max(arrival_ms, self.last + 1e-3)
        self.last = arrival_ms
        return arrival_ms


@dataclass
class DirectionStats:
    """What one direction of the shim did: datagrams offered, delivered, lost."""

    sent: int = 0
    delivered: int = 0
    lost: int = 0
    bytes_sent: int = 0


@dataclass
class Impairment:
    """The two directions of an emulated link between a peer and the network.

    ``Impairment("latam-3g", seed=1)``: the send direction uses ``seed``, the receive
    direction ``seed + 1``, so the two draw independently as DESIGN.md asks.
    """

    profile: str | netsim.LinkParams
    seed: int = 0
    outbound: netsim.Link = field(init=False)
    inbound: netsim.Link = field(init=False)
    out_stats: DirectionStats = field(default_factory=DirectionStats)
    in_stats: DirectionStats = field(default_factory=DirectionStats)

    def __post_init__(self) -> None:
        self.outbound = netsim.Link(self.profile, seed=self.seed)
        self.inbound = netsim.Link(self.profile, seed=self.seed + 1)

    @property
    def name(self) -> str:
        return self.profile if isinstance(self.profile, str) else "custom"

    def wrap(self, protocol: Any) -> None:
        """Route one aioice StunProtocol's datagrams (both ways) through the links."""
        loop = asyncio.get_running_loop()
        protocol.transport = _ImpairedTransport(protocol.transport, self.outbound,
                                                self.out_stats, loop,
                                                _Fifo(self.outbound.params.reorder))
        deliver = protocol.datagram_received  # bound method of the real protocol
        link, stats = self.inbound, self.in_stats
        fifo = _Fifo(link.params.reorder)

        def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
            stats.sent += 1
            stats.bytes_sent += len(data)
            now_ms = mono_ms()
            arrival = link.send(now_ms, len(data) + UDP_OVERHEAD)
            if arrival is None:
                stats.lost += 1
            else:
                stats.delivered += 1
                loop.call_at(fifo.at(arrival) / 1000.0, deliver, data, addr)

        protocol.datagram_received = datagram_received


class _ImpairedTransport:
    """Stands in for an ``asyncio.DatagramTransport``; ``sendto`` goes through a Link."""

    def __init__(self, inner: asyncio.DatagramTransport, link: netsim.Link,
                 stats: DirectionStats, loop: asyncio.AbstractEventLoop, fifo: _Fifo) -> None:
        self._inner = inner
        self._fifo = fifo
        self._link = link
        self._stats = stats
        self._loop = loop

    def sendto(self, data: bytes, addr: Any = None) -> None:
        self._stats.sent += 1
        self._stats.bytes_sent += len(data)
        arrival = self._link.send(mono_ms(), len(data) + UDP_OVERHEAD)
        if arrival is None:
            self._stats.lost += 1
        else:
            self._stats.delivered += 1
            self._loop.call_at(self._fifo.at(arrival) / 1000.0, self._send_now, bytes(data),
                               addr)

    def _send_now(self, data: bytes, addr: Any) -> None:
        if not self._inner.is_closing():
            self._inner.sendto(data, addr)

    def __getattr__(self, name: str) -> Any:
        # close(), get_extra_info(), is_closing() ... go to the real transport.
        return getattr(self._inner, name)
