"""The contract between cbcs.rtc and aiortc/aioice: every private attribute cbcs.rtc uses
(all of them in cbcs.rtc.internals) exists and means what it assumes, on two real stock
aiortc peers connected over loopback. An aiortc or aioice upgrade breaks here first."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters

from cbcs.rtc import internals
from cbcs.rtc.ice import configure_ice
from cbcs.rtc.media import PacedAudioTrack, silence
from cbcs.rtc.sdp import TRANSPORT_CC_URI


def test_the_installed_versions_are_the_tested_ones() -> None:
    assert internals.version_mismatches() == [], internals.installed_versions()


def test_every_internal_cbcs_uses_is_there_on_a_live_call() -> None:
    async def run() -> None:
        offerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        bound: list[Any] = []
        rtcp_seen: list[bytes] = []
        try:
            offerer.addTrack(PacedAudioTrack(silence))
            configure_ice(offerer, ["127.0.0.1"])
            await offerer.setLocalDescription(await offerer.createOffer())
            await answerer.setRemoteDescription(offerer.localDescription)
            answerer.addTrack(PacedAudioTrack(silence))
            configure_ice(answerer, ["127.0.0.1"], on_protocol=bound.append)
            [transceiver] = answerer.getTransceivers()
            dtls, sender = transceiver.sender.transport, transceiver.sender
            internals.wrap_rtcp_data(dtls, rtcp_seen.append)
            await answerer.setLocalDescription(await answerer.createAnswer())
            await offerer.setRemoteDescription(RTCSessionDescription(
                answerer.localDescription.sdp, "answer"))
            for _ in range(100):
                if internals.dtls_connected(dtls):
                    break
                await asyncio.sleep(0.05)
            assert internals.dtls_connected(dtls)

            conn = internals.ice_connection(dtls)
            protocols = internals.ice_protocols(conn)
            assert protocols and protocols == bound  # the gathering hook saw each socket
            pair = internals.selected_pair(conn)
            assert pair is not None and pair.remote_addr[0] == "127.0.0.1"
            assert pair in internals.ice_check_list(conn)
            assert isinstance(internals.socket_of(pair.protocol), socket.socket)

            rx, tx = internals.srtp_sessions(dtls)
            assert rx is not None and tx is not None
            keying = internals.srtp_keying(dtls)
            assert keying is not None
            ssl, profiles, role = keying
            assert role in ("client", "server") and profiles
            assert ssl.get_selected_srtp_profile() in {p.openssl_profile for p in profiles}

            internals.route_payload_type(dtls, 63, transceiver.receiver)
            assert transceiver.receiver in dtls._rtp_router.payload_type_table[63]
            internals.configure_header_extensions(dtls, sender, RTCRtpParameters(
                headerExtensions=[RTCRtpHeaderExtensionParameters(id=5, uri=TRANSPORT_CC_URI)]))

            assert 0 < internals.sender_ssrc(sender) < 2 ** 32
            assert internals.sender_mid(sender) == transceiver.mid
            before = sender._RTCRtpSender__packet_count
            internals.record_sent(sender, 1 << 40, 1234, 80)
            assert sender._RTCRtpSender__packet_count == before + 1
            assert sender._RTCRtpSender__rtp_timestamp == 1234

            got: list[Any] = []

            async def on_rtp(packet: Any, arrival_time_ms: int) -> None:
                got.append(packet)

            internals.replace_receiver_handlers(transceiver.receiver, on_rtp, got.append)
            for _ in range(60):  # RTP every 20 ms; aiortc reports every second or so
                if rtcp_seen and any(not isinstance(g, bytes) for g in got):
                    break
                await asyncio.sleep(0.1)
            assert rtcp_seen, "no RTCP reached the wrapped handler"
            assert any(hasattr(g, "sequence_number") for g in got), "no RTP reached our handler"
        finally:
            await offerer.close()
            await answerer.close()

    asyncio.run(run())


def test_video_forwarding_internals_on_a_live_video_call() -> None:
    """The node's video receive side: every decrypted RTP packet is shown to the forwarder
    before aiortc parses it, the receiver (still sending its feedback) assembles and
    decodes no frames, and the REMB it sends passes through the cap."""
    from aiortc.jitterbuffer import JitterBuffer

    from cbcs.rtc.media import PatternVideoTrack
    from cbcs.rtc.video import SilentVideoTrack

    from cbcs.rtc.video import parse_feedback

    async def run() -> tuple[list[int], int, bool, list[int]]:
        offerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        seen: list[int] = []
        rembs: list[int] = []
        try:
            sender = offerer.addTrack(PatternVideoTrack(fps=30))
            configure_ice(offerer, ["127.0.0.1"])
            await offerer.setLocalDescription(await offerer.createOffer())
            await answerer.setRemoteDescription(offerer.localDescription)
            answerer.addTrack(SilentVideoTrack())
            configure_ice(answerer, ["127.0.0.1"])
            [transceiver] = answerer.getTransceivers()
            receiver = transceiver.receiver
            was_buffer = isinstance(internals.receiver_jitter_buffer(receiver), JitterBuffer)
            internals.stop_frame_assembly(receiver)
            internals.wrap_rtp_data(receiver.transport,
                                    lambda data, arrival: seen.append(data[1] & 0x7F))
            internals.cap_remb(receiver, lambda bps: 54321)
            await answerer.setLocalDescription(await answerer.createAnswer())
            await offerer.setRemoteDescription(RTCSessionDescription(
                answerer.localDescription.sdp, "answer"))

            def remb(data: bytes) -> None:
                got = parse_feedback(data, internals.sender_ssrc(sender)).remb_bps
                if got is not None:
                    rembs.append(got)

            internals.wrap_rtcp_data(sender.transport, remb)
            for _ in range(60):
                if len(seen) > 20 and rembs:
                    break
                await asyncio.sleep(0.1)
            try:
                await asyncio.wait_for(receiver.track.recv(), 1.0)
                decoded = 1
            except asyncio.TimeoutError:
                decoded = 0
            return seen, decoded, was_buffer, rembs
        finally:
            await offerer.close()
            await answerer.close()

    seen, decoded, was_buffer, rembs = asyncio.run(run())
    assert was_buffer
    assert rembs and set(rembs) == {54321}   # the receiver's REMB, through the cap
    assert len(seen) > 20 and all(96 <= pt < 128 for pt in seen), seen[:5]
    assert decoded == 0
