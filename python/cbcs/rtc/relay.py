"""An emulated network between a browser and a server on loopback, in its own thread.

The end-to-end benchmark puts it between Chromium and the server under test, so the
server's process sees only real traffic, arriving at the emulated times, and the server's
CPU figure holds none of the network's work: the relay's thread keeps its own CPU time,
which the benchmark takes out of the process figure. (``Peer(impair=...)`` puts the same
link model on the peer's own socket instead, for tests and demos with no extra set-up; its
timers then share the server's event loop.)

The relay is a UDP NAT of one address pair: the browser's candidate is replaced in the offer
by the relay's server-facing socket, and the server's candidate in the answer by its
browser-facing socket, so each side sees the other at the relay and ICE pairs them as usual.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import threading
import time

from cbcs.media import netsim
from cbcs.rtc.impair import UDP_OVERHEAD, DirectionStats, _Fifo

LOOPBACK = "127.0.0.1"


def _first_candidate(sdp: str) -> tuple[str, int] | None:
    for line in sdp.splitlines():
        parts = line.split()
        if line.startswith("a=candidate:") and len(parts) >= 8 and parts[2].lower() == "udp" \
                and parts[4] == LOOPBACK and parts[7] == "host":
            return parts[4], int(parts[5])
    return None


def _readdress(sdp: str, port: int) -> str:
    """``sdp`` with only its first loopback UDP host candidate, moved to ``port``."""
    out, kept = [], False
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            if kept or len(parts) < 8 or parts[2].lower() != "udp" or parts[4] != LOOPBACK \
                    or parts[7] != "host":
                continue
            parts[5] = str(port)
            line, kept = " ".join(parts), True
        out.append(line)
    return "\r\n".join(out) + "\r\n"


class LinkRelay:
    """Two directions of :class:`cbcs.media.netsim.Link` between a browser and a server.

    ``offer = relay.offer(browser_offer)`` before the server answers, ``answer =
    relay.answer(server_answer)`` before the browser gets it; ``close()`` at the end.
    ``cpu_s`` is the relay thread's CPU time so far.
    """

    def __init__(self, profile: str | netsim.LinkParams, seed: int = 0) -> None:
        self.profile = profile
        self.to_browser = netsim.Link(profile, seed=seed)        # the server's send direction
        self.to_server = netsim.Link(profile, seed=seed + 1)
        self.stats = {"to_browser": DirectionStats(), "to_server": DirectionStats()}
        self.cpu_s = 0.0
        self._browser_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._server_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for s in (self._browser_side, self._server_side):
            s.bind((LOOPBACK, 0))
            s.setblocking(False)
        self._browser: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def offer(self, browser_offer: str) -> str:
        """The browser's offer as the server should see it (the browser at the relay)."""
        self._browser = _first_candidate(browser_offer)
        if self._browser is None:
            raise ValueError("offer: expected a 127.0.0.1 UDP host candidate, got none")
        return _readdress(browser_offer, self._server_side.getsockname()[1])

    def answer(self, server_answer: str) -> str:
        """The server's answer as the browser should see it; starts relaying."""
        self._server = _first_candidate(server_answer)
        if self._server is None:
            raise ValueError("answer: expected a 127.0.0.1 UDP host candidate, got none")
        self._thread = threading.Thread(target=self._run, name="cbcs-link-relay", daemon=True)
        self._thread.start()
        return _readdress(server_answer, self._browser_side.getsockname()[1])

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for s in (self._browser_side, self._server_side):
            s.close()

    def _run(self) -> None:
        assert self._browser is not None and self._server is not None
        # (arrival s, order, socket to send from, destination, datagram)
        due: list[tuple[float, int, socket.socket, tuple[str, int], bytes]] = []
        order = itertools.count()
        routes: dict[socket.socket, tuple[netsim.Link, _Fifo, DirectionStats, socket.socket,
                                tuple[str, int]]] = {
            self._browser_side: (self.to_server, _Fifo(self.to_server.params.reorder),
                                 self.stats["to_server"], self._server_side, self._server),
            self._server_side: (self.to_browser, _Fifo(self.to_browser.params.reorder),
                                self.stats["to_browser"], self._browser_side, self._browser),
        }
        sel = selectors.DefaultSelector()
        for s in routes:
            sel.register(s, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                timeout = max(0.0, due[0][0] - time.monotonic()) if due else 0.05
                for key, _ in sel.select(min(timeout, 0.05)):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    link, fifo, stats, out, dest = routes[sock]
                    while True:
                        try:
                            data = sock.recv(4096)
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            break  # e.g. ICMP port unreachable from a peer that left
                        stats.sent += 1
                        stats.bytes_sent += len(data)
                        arrival = link.send(time.monotonic() * 1000.0, len(data) + UDP_OVERHEAD)
                        if arrival is None:
                            stats.lost += 1
                            continue
                        stats.delivered += 1
                        heapq.heappush(due, (fifo.at(arrival) / 1000.0, next(order), out, dest,
                                             data))
                now = time.monotonic()
                while due and due[0][0] <= now:
                    _, _, out, dest, data = heapq.heappop(due)
                    try:
                        out.sendto(data, dest)
                    except OSError:
                        pass  # the other side is gone: the datagram is lost, as on a network
                self.cpu_s = time.thread_time()
        finally:
            sel.close()
            self.cpu_s = time.thread_time()
