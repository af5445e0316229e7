"""Garbage from the network or from a peer: the call survives or ends with a logged reason,
and the process keeps serving other calls."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct

import pytest

from cbcs.rtc import Peer, SdpError
from cbcs.bench.harness import markers as mk
from cbcs.rtc.ice import ice_connections


def heard(markers: list[mk.Marker], peer: Peer, after_ms: float) -> int:
    pcm, t = peer.recorder.audio()
    later = [m for m in markers if m.sent_ms > after_ms and m.sent_ms < t[-1] - 800]
    return sum(d is not None for d in mk.detect(later, pcm, t))


def garbage_datagrams() -> list[bytes]:
    rng = os.urandom
    rtp_like = [bytes([0x80, 111]) + rng(n) for n in (0, 1, 10, 11, 200, 1400)]
    rtcp_like = [bytes([0x80, 200]) + rng(n) for n in (2, 6, 100)]
    dtls_like = [bytes([22, 0xFE, 0xFD]) + rng(n) for n in (0, 10, 300)]
    stun_like = [struct.pack("!HHI", 0x0001, 0x00FF, 0x2112A442) + rng(12 + 4),
                 struct.pack("!HHI", 0x0101, 0x0008, 0x2112A442) + rng(12) + b"\x00\x20\x00\x04"]
    random = [rng(n) for n in (1, 3, 17, 64, 500, 1200)]
    return [b"", *rtp_like, *rtcp_like, *dtls_like, *stun_like, *random]


async def connected_call(client_cls: type) -> tuple[Peer, object, mk.MarkerTrackSource]:
    src = mk.MarkerTrackSource(first_s=0.5, period_s=0.4)
    peer = Peer(ice_addresses=["127.0.0.1"], fill=src.block)
    client = client_cls(first_s=0.5)
    await client.accept(await peer.answer(await client.offer()))
    await peer.wait_connected()
    return peer, client, src


def test_garbage_datagrams_on_the_media_port_do_not_end_the_call(aiortc_client: type) -> None:
    async def run() -> tuple[int, str | None]:
        peer, client, _ = await connected_call(aiortc_client)
        try:
            assert peer.pc is not None
            port = ice_connections(peer.pc)[0]._protocols[0].transport.get_extra_info(
                "sockname")[1]
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            from cbcs.rtc.media import wall_ms
            start = wall_ms()
            for _ in range(5):
                for d in garbage_datagrams():
                    sock.sendto(d, ("127.0.0.1", port))
                await asyncio.sleep(0.1)
            sock.close()
            await asyncio.sleep(3.0)
            return heard(client.source.markers, peer, start), peer.closed_reason
        finally:
            await client.close()
            await peer.close()

    n, reason = asyncio.run(run())
    assert reason is None
    assert n >= 4  # markers sent after the garbage still arrive


def test_malformed_rtp_and_rtcp_from_the_peer_itself(aiortc_client: type) -> None:
    """What an authenticated peer could send, fed in right after SRTP decryption: bad
    payloads, unknown payload types, a wild sequence number, truncated RTCP."""
    async def run() -> tuple[int, str | None, int]:
        peer, client, _ = await connected_call(aiortc_client)
        try:
            assert peer.pc is not None
            dtls = peer.pc.getTransceivers()[0].receiver.transport
            ssrc = client.pc.getTransceivers()[0].sender._ssrc
            from cbcs.rtc.media import wall_ms
            await asyncio.sleep(0.3)
            start = wall_ms()
            # a sequence number half a wrap away from the real stream's: a receiver that
            # trusts it takes every real packet after it for an old one
            assert peer.rx is not None
            real = peer.rx.guard_highest or 0
            far = (real + 0x7000) & 0xFFFF
            opus = peer.offer.opus_pt
            bad = [struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, 12345, ssrc) + payload
                   for seq, pt, payload in [(far, opus, os.urandom(80)), (far + 1, opus, b""),
                                            (real + 1, 63, os.urandom(30)),
                                            (real + 2, opus, b"\xff" * 10),
                                            (real + 3, 101, os.urandom(20)),
                                            (far + 7, opus, b"\xfc" * 3)]]
            bad.append(struct.pack("!BBHII", 0x90, opus, real + 4, 1, ssrc) + b"\xbe\xde\x00\x09")
            bad.append(struct.pack("!BBH", 0x80, opus, 1))
            rtcp = [struct.pack("!BBH", 0x80, 201, 40) + os.urandom(8),
                    struct.pack("!BBHI", 0x8F, 205, 2, ssrc) + os.urandom(4),
                    struct.pack("!BBHI", 0x81, 200, 1, ssrc), b"\x80\xc8", os.urandom(40)]
            for _ in range(3):
                for b in bad:
                    await dtls._handle_rtp_data(b, arrival_time_ms=0)
                for r in rtcp:
                    await dtls._handle_rtcp_data(r)
                await asyncio.sleep(0.1)
            await asyncio.sleep(3.0)
            st = await peer.stats()
            return heard(client.source.markers, peer, start), peer.closed_reason, \
                st.malformed_packets
        finally:
            await client.close()
            await peer.close()

    n, reason, malformed = asyncio.run(run())
    assert reason is None
    assert malformed >= 3, (n, malformed)  # the wild sequence numbers were held back and counted
    assert n >= 4


@pytest.mark.parametrize("offer,match", [
    ("", "v=0"),
    ("not an sdp at all", "v=0"),
    ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", "media section"),
    ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
     "a=rtpmap:111 opus/48000/2\r\n", "usable"),
    ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio x y z\r\nc=IN IP4 1\r\n",
     "usable"),
])
def test_bad_offer_ends_that_call_only(offer: str, match: str, aiortc_client: type,
                                       caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> tuple[int, str | None]:
        good, client, _ = await connected_call(aiortc_client)
        try:
            from cbcs.rtc.media import wall_ms
            start = wall_ms()
            bad = Peer(ice_addresses=["127.0.0.1"])
            with pytest.raises(SdpError, match=match):
                await bad.answer(offer)
            assert bad.closed_reason is not None and "bad offer" in bad.closed_reason
            await bad.close()  # twice is harmless
            await asyncio.sleep(2.5)
            return heard(client.source.markers, good, start), good.closed_reason
        finally:
            await client.close()
            await good.close()

    with caplog.at_level(logging.WARNING, logger="cbcs.rtc"):
        n, reason = asyncio.run(run())
    assert reason is None and n >= 3
    assert any("bad offer" in r.getMessage() for r in caplog.records)
