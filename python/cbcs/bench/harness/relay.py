"""An emulated network between a browser and a server on loopback, in its own process.

The end-to-end benchmark puts it between Chromium and the server under test, so the
server's process sees only real traffic, arriving at the emulated times, and its CPU
figure holds none of the network's work (in a thread of the same process, the network's
wake-ups also fought the server for the GIL). ``Peer(impair=...)`` puts the same link model
on the peer's own socket instead, for tests and demos with no extra process; its timers
then share the server's event loop.

The relay is a UDP NAT of one address pair: the browser's candidate is replaced in the offer
by the relay's server-facing socket, and the server's candidate in the answer by its
browser-facing socket, so each side sees the other at the relay and ICE pairs them as usual.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import selectors
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from typing import Any

from cbcs.media import netsim
from cbcs.rtc.impair import UDP_OVERHEAD, DirectionStats, _Fifo

LOOPBACK = "127.0.0.1"
Address = tuple[str, int]


def _loopback_host(line: str) -> list[str] | None:
    """The fields of an ``a=candidate`` line for a UDP host candidate on 127.0.0.1."""
    parts = line.split()
    if line.startswith("a=candidate:") and len(parts) >= 8 and parts[2].lower() == "udp" \
            and parts[4] == LOOPBACK and parts[7] == "host":
        return parts
    return None


def _first_candidate(sdp: str) -> Address | None:
    for line in sdp.splitlines():
        if parts := _loopback_host(line):
            return parts[4], int(parts[5])
    return None


def _readdress(sdp: str, port: int) -> str:
    """``sdp`` with only its first loopback UDP host candidate, moved to ``port``."""
    out, kept = [], False
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = _loopback_host(line)
            if kept or parts is None:
                continue
            parts[5] = str(port)
            line, kept = " ".join(parts), True
        out.append(line)
    return "\r\n".join(out) + "\r\n"


class LinkRelay:
    """Two directions of :class:`cbcs.media.netsim.Link` between a browser and a server.

    ``offer = relay.offer(browser_offer)`` before the server answers, ``answer =
    relay.answer(server_answer)`` before the browser gets it; ``close()`` at the end.
    :meth:`cpu_s` is the relay process's CPU time so far; ``stats`` (after close) what each
    direction did. The relay runs as ``python -m cbcs.bench.harness.relay`` and takes one JSON
    command per line on its standard input.
    """

    def __init__(self, profile: str | netsim.LinkParams, seed: int = 0) -> None:
        params = netsim.profile(profile) if isinstance(profile, str) else profile
        self.stats: dict[str, dict[str, int]] = {}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cbcs.bench.harness.relay", json.dumps(asdict(params)), str(seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        ports = self._reply()
        if not isinstance(ports, list):
            self.close()
            raise RuntimeError("link relay: the relay process did not start")
        self._browser_port, self._server_port = ports
        self._browser: Address | None = None

    def _send(self, *command: Any) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command) + "\n")

    def _reply(self) -> Any:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        return json.loads(line) if line else None

    def offer(self, browser_offer: str) -> str:
        """The browser's offer as the server should see it (the browser at the relay)."""
        self._browser = _first_candidate(browser_offer)
        if self._browser is None:
            raise ValueError("offer: expected a 127.0.0.1 UDP host candidate, got none")
        return _readdress(browser_offer, self._server_port)

    def answer(self, server_answer: str) -> str:
        """The server's answer as the browser should see it; starts relaying."""
        server = _first_candidate(server_answer)
        if server is None or self._browser is None:
            raise ValueError("answer: expected a 127.0.0.1 UDP host candidate (after an "
                             "offer), got none")
        self._send("relay", self._browser, server)
        return _readdress(server_answer, self._browser_port)

    def cpu_s(self) -> float:
        """CPU time (user + system) the relay process has used so far."""
        self._send("cpu")
        return float(self._reply() or 0.0)

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._send("stop")
                self.stats = self._reply() or {}
                self._process.wait(timeout=5.0)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()


def _serve(params: netsim.LinkParams, seed: int) -> None:
    """The relay process: two sockets, one link per direction, a heap of due datagrams;
    commands on standard input, answers on standard output (one JSON value per line)."""
    to_browser = netsim.Link(params, seed=seed)       # the server's send direction
    to_server = netsim.Link(params, seed=seed + 1)
    stats = {"to_browser": DirectionStats(), "to_server": DirectionStats()}
    browser_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for s in (browser_side, server_side):
        s.bind((LOOPBACK, 0))
        s.setblocking(False)

    def reply(value: Any) -> None:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()

    reply([browser_side.getsockname()[1], server_side.getsockname()[1]])
    routes: dict[Any, tuple[netsim.Link, _Fifo, DirectionStats, socket.socket, Address]] = {}
    due: list[tuple[float, int, socket.socket, Address, bytes]] = []  # (arrival s, order, ...)
    order = itertools.count()
    commands = sys.stdin.fileno()
    pending = b""
    sel = selectors.DefaultSelector()
    sel.register(commands, selectors.EVENT_READ)
    while True:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
        for key, _ in sel.select(timeout):
            if key.fileobj == commands:
                chunk = os.read(commands, 4096)
                if not chunk:
                    return  # the benchmark is gone
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    command = json.loads(line)
                    if command[0] == "stop":
                        reply({k: asdict(v) for k, v in stats.items()})
                        return
                    if command[0] == "cpu":
                        reply(time.process_time())
                    elif command[0] == "relay":
                        browser, server = tuple(command[1]), tuple(command[2])
                        routes[browser_side] = (to_server, _Fifo(params.reorder),
                                                stats["to_server"], server_side, server)
                        routes[server_side] = (to_browser, _Fifo(params.reorder),
                                               stats["to_browser"], browser_side, browser)
                        for s in routes:
                            sel.register(s, selectors.EVENT_READ)
                continue
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            link, fifo, st, out, dest = routes[sock]
            while True:
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break  # e.g. ICMP port unreachable from a side that left
                st.sent += 1
                st.bytes_sent += len(data)
                arrival = link.send(time.monotonic() * 1000.0, len(data) + UDP_OVERHEAD)
                if arrival is None:
                    st.lost += 1
                    continue
                st.delivered += 1
                heapq.heappush(due, (fifo.at(arrival) / 1000.0, next(order), out, dest, data))
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, out, dest, data = heapq.heappop(due)
            try:
                out.sendto(data, dest)
            except OSError:
                pass  # the other side is gone: the datagram is lost, as on a network


if __name__ == "__main__":
    _serve(netsim.LinkParams(**json.loads(sys.argv[1])), int(sys.argv[2]))
