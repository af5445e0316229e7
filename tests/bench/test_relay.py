"""The link relay the end-to-end benchmark puts between a browser and the server."""

from __future__ import annotations

import socket
import time

import pytest

from cbcs.media import netsim
from cbcs.bench.harness.relay import LinkRelay


def _sdp(port: int) -> str:
    return ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
            f"a=candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host generation 0\r\n"
            f"a=candidate:2 1 udp 2122260223 127.0.0.1 {port + 1} typ host generation 0\r\n"
            "a=candidate:3 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active\r\n")


def _udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2.0)
    return s


def test_each_side_sees_the_other_at_the_relay_with_the_links_delay() -> None:
    browser, server = _udp(), _udp()
    relay = LinkRelay(netsim.LinkParams(base_delay_ms=80, jitter_ms=0), seed=1)
    try:
        offer = relay.offer(_sdp(browser.getsockname()[1]))
        answer = relay.answer(_sdp(server.getsockname()[1]))
        for sdp in (offer, answer):
            assert sum(ln.startswith("a=candidate") for ln in sdp.splitlines()) == 1
        server_at = int(answer.split("127.0.0.1 ")[1].split()[0])   # where the browser sends
        browser_at = int(offer.split("127.0.0.1 ")[1].split()[0])   # where the server sends
        t0 = time.monotonic()
        browser.sendto(b"up", ("127.0.0.1", server_at))
        data, addr = server.recvfrom(100)
        up_ms = (time.monotonic() - t0) * 1000
        assert data == b"up" and addr[1] == browser_at  # the server sees the browser there
        t0 = time.monotonic()
        server.sendto(b"down", addr)
        data, addr = browser.recvfrom(100)
        down_ms = (time.monotonic() - t0) * 1000
        assert data == b"down" and addr[1] == server_at
        assert 80 <= up_ms < 200 and 80 <= down_ms < 200
        assert relay.cpu_s() > 0.0
    finally:
        relay.close()
        browser.close()
        server.close()
    assert relay.stats["to_server"]["delivered"] == 1


def test_an_offer_without_a_loopback_candidate_is_refused() -> None:
    relay = LinkRelay("lan")
    try:
        with pytest.raises(ValueError, match="127.0.0.1 UDP host candidate"):
            relay.offer("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")
    finally:
        relay.close()
