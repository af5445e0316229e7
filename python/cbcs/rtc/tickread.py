"""Reading a call's UDP sockets once per media tick instead of once per datagram.

On a small VM a wake-up of the event loop costs more than the work it wakes for (a timer
or poll, a syscall, cold caches), and the receive side of a voice call would wake the loop
50 to 70 times a second only to put packets into a jitter buffer that is read at the next
20 ms tick anyway. The media clock drains the sockets itself instead. The kernel stamps
each datagram's arrival (``SO_TIMESTAMPNS``), so the jitter buffer and the transport-wide
feedback see when a packet really arrived, not when it was read. Audio plays at the same
tick as before; STUN and DTLS answers wait at most one tick.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from cbcs.rtc import internals
from cbcs.rtc.media import mono_ms

#: Linux's SO_TIMESTAMPNS (asm-generic/socket.h); Python's socket module does not name it.
SO_TIMESTAMPNS = 35
#: At most this many datagrams per socket per tick (a flood cannot stall the clock).
MAX_PER_TICK = 256
_CMSG_SPACE = socket.CMSG_SPACE(16)  # one struct timespec


class TickReader:
    """Takes the read side of aioice's sockets away from the event loop; :meth:`drain` hands
    what arrived to each socket's protocol, telling ``set_arrival`` the kernel's arrival time
    (in :func:`cbcs.rtc.media.mono_ms` terms) before each datagram and None after the last."""

    def __init__(self, sockets: Sequence[tuple[socket.socket, Any]],
                 set_arrival: Callable[[float | None], None]) -> None:
        self._sockets = list(sockets)
        self._set_arrival = set_arrival
        self.datagrams = 0
        #: once set (a ``_core.AudioLink``), the core reads the sockets: it keeps the call's
        #: audio and gives back the rest, which goes to the protocols as before
        self.link: Any = None

    @classmethod
    def attach(cls, protocols: Sequence[Any],
               set_arrival: Callable[[float | None], None]) -> TickReader | None:
        """Attach to aioice ``StunProtocol`` objects; None (nothing changed) when a transport
        is not asyncio's own selector transport (uvloop) or the kernel has no timestamps."""
        sockets = []
        for protocol in protocols:
            sock = internals.socket_of(protocol)
            if not isinstance(sock, socket.socket):
                return None
            sockets.append((sock, protocol))
        try:
            for sock, _ in sockets:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            return None
        for _, protocol in sockets:
            protocol.transport.pause_reading()  # the loop stops polling; we read
        return cls(sockets, set_arrival)

    def drain(self) -> None:
        """Deliver every datagram waiting on the sockets (at most MAX_PER_TICK each)."""
        offset_ms = time.time() * 1000.0 - mono_ms()  # wall clock minus media clock
        link = self.link
        try:
            for sock, protocol in self._sockets:
                if link is not None:
                    for data, addr, arrival in link.drain(sock.fileno(), offset_ms, mono_ms()):
                        self.datagrams += 1
                        self._set_arrival(arrival)
                        protocol.datagram_received(data, addr)
                    continue
                for _ in range(MAX_PER_TICK):
                    try:
                        data, ancillary, _, addr = sock.recvmsg(4096, _CMSG_SPACE)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as exc:  # e.g. ICMP unreachable after a peer left
                        protocol.error_received(exc)
                        break
                    arrival = None
                    for level, kind, cdata in ancillary:
                        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS \
                                and len(cdata) >= 16:
                            sec, nsec = struct.unpack_from("qq", cdata)
                            arrival = sec * 1000.0 + nsec / 1e6 - offset_ms
                    self.datagrams += 1
                    self._set_arrival(arrival if arrival is not None else mono_ms())
                    protocol.datagram_received(data, addr)
        finally:
            self._set_arrival(None)
