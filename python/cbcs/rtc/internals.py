"""Every use of aiortc's and aioice's private attributes, in one place.

cbcs runs a call's audio through its own core, so it reaches below aiortc's public API:
the SRTP sessions and keying material of the DTLS transport, the ICE connection's sockets
and selected pair, a receiver's RTP/RTCP handlers, the RTP router and header-extension
maps, and the sender's report counters. Each such touch is one function here; nothing else
in cbcs names a private attribute of either library. They were written against the
versions in :data:`TESTED` (pinned in ``pyproject.toml``); :func:`check_versions` says
plainly when others are installed, and ``tests/rtc/test_internals.py`` checks every one of
these attributes on real objects, so an upgrade fails there first rather than in a call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

log = logging.getLogger(__name__)

#: The versions these functions were written and tested against.
TESTED = {"aiortc": "1.16.0", "aioice": "0.13.0"}


def installed_versions() -> dict[str, str | None]:
    """The installed version of each library in :data:`TESTED` (None: not installed)."""
    out: dict[str, str | None] = {}
    for name in TESTED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def version_mismatches() -> list[str]:
    """One line per library whose installed version is not the tested one."""
    return [f"{name} {have or 'missing'} (cbcs.rtc is tested with {TESTED[name]})"
            for name, have in installed_versions().items() if have != TESTED[name]]


def check_versions() -> None:
    """Log a warning naming each library installed at a version cbcs.rtc was not tested
    with (calls may still work; ``tests/rtc/test_internals.py`` tells)."""
    for line in version_mismatches():
        log.warning("untested version: %s", line)


# -- ICE (aioice.Connection behind an aiortc RTCIceTransport) ------------------------------

def ice_connection(dtls: Any) -> Any:
    """The aioice ``Connection`` under an ``RTCDtlsTransport``."""
    return dtls.transport.iceGatherer._connection


def wrap_gathering(conn: Any, choose: Callable[[list[str]], list[str]],
                   bound: Callable[[Any], None]) -> None:
    """Make the connection gather host candidates on ``choose(offered)`` instead of the
    addresses aioice offers, and call ``bound(protocol)`` for each socket it binds. Once per
    connection: a second call changes nothing."""
    if getattr(conn, "_cbcs_gathering", False):
        return
    conn._cbcs_gathering = True
    original = conn.get_component_candidates

    async def gather(component: int, addresses: list[str], timeout: int = 5) -> list[Any]:
        before = len(conn._protocols)
        candidates = await original(component=component, addresses=choose(addresses),
                                    timeout=timeout)
        for protocol in conn._protocols[before:]:
            bound(protocol)
        return list(candidates)

    conn.get_component_candidates = gather


def ice_protocols(conn: Any) -> list[Any]:
    """The connection's ``StunProtocol`` objects, one per bound socket."""
    return list(conn._protocols)


def ice_check_list(conn: Any) -> list[Any]:
    """The connection's candidate pairs."""
    return list(conn._check_list)


def selected_pair(conn: Any) -> Any | None:
    """The pair ICE nominated for component 1 (RTP), or None before it has."""
    return conn._nominated.get(1)


def socket_of(protocol: Any) -> Any | None:
    """The ``socket.socket`` under an asyncio selector datagram transport (None on other
    loops, such as uvloop's)."""
    return getattr(protocol.transport, "_sock", None)


# -- DTLS-SRTP (aiortc.RTCDtlsTransport) ---------------------------------------------------

def srtp_sessions(dtls: Any) -> tuple[Any | None, Any | None]:
    """(receive, send) ``pylibsrtp.Session`` of the transport, None before the handshake."""
    return dtls._rx_srtp, dtls._tx_srtp


def dtls_connected(dtls: Any) -> bool:
    from aiortc.rtcdtlstransport import State

    return dtls._state is State.CONNECTED


def srtp_keying(dtls: Any) -> tuple[Any, list[Any], str] | None:
    """(the OpenSSL connection, the SRTP profiles offered, our DTLS role) once the
    handshake has set up SRTP, else None."""
    ssl = getattr(dtls, "_ssl", None)
    if ssl is None or dtls._rx_srtp is None:
        return None
    return ssl, list(dtls._srtp_profiles), str(dtls._role)


def route_payload_type(dtls: Any, payload_type: int, receiver: Any) -> None:
    """Make the transport's RTP router pass ``payload_type`` to ``receiver`` (it only
    passes the types aiortc negotiated itself)."""
    dtls._rtp_router.payload_type_table.setdefault(payload_type, set()).add(receiver)


def configure_header_extensions(dtls: Any, sender: Any, parameters: Any) -> None:
    """Parse (on the transport) and write (on the sender) the header extensions of
    ``parameters`` (an ``RTCRtpParameters``), e.g. transport-wide sequence numbers."""
    dtls._rtp_header_extensions_map.configure(parameters)
    sender._RTCRtpSender__rtp_header_extensions_map.configure(parameters)


def wrap_rtcp_data(dtls: Any, handler: Callable[[bytes], None]) -> None:
    """Call ``handler(data)`` with each decrypted RTCP compound before aiortc handles it."""
    original = dtls._handle_rtcp_data

    async def handle_rtcp_data(data: bytes) -> None:
        handler(data)
        await original(data)

    dtls._handle_rtcp_data = handle_rtcp_data


# -- RTP receiver and sender ---------------------------------------------------------------

def replace_receiver_handlers(receiver: Any, rtp: Callable[..., Awaitable[None]],
                              on_rtcp: Callable[[Any], None]) -> None:
    """Hand the receiver's RTP packets to ``rtp(packet, arrival_time_ms=...)`` (aiortc passes
    the keyword) instead of aiortc's
    pipeline, and show it each RTCP packet (``on_rtcp``) before aiortc handles it. Only
    this receiver object changes; aiortc's class stays stock."""
    original_rtcp = receiver._handle_rtcp_packet

    async def handle_rtcp(packet: Any) -> None:
        on_rtcp(packet)
        await original_rtcp(packet)

    receiver._handle_rtp_packet = rtp
    receiver._handle_rtcp_packet = handle_rtcp


def sender_ssrc(sender: Any) -> int:
    return int(sender._ssrc)


def sender_mid(sender: Any) -> str:
    return str(getattr(sender, "_RTCRtpSender__mid", None) or "")


def record_sent(sender: Any, ntp_timestamp: int, rtp_timestamp: int, payload_size: int) -> None:
    """Keep the sender's report counters current for a packet cbcs sent itself (aiortc's
    sender reports, and so the RTT the remote measures, read them)."""
    sender._RTCRtpSender__ntp_timestamp = ntp_timestamp
    sender._RTCRtpSender__rtp_timestamp = rtp_timestamp
    sender._RTCRtpSender__octet_count += payload_size
    sender._RTCRtpSender__packet_count += 1


# -- video forwarding ----------------------------------------------------------------------

def wrap_rtp_data(dtls: Any, handler: Callable[[bytes, int], None]) -> None:
    """Call ``handler(data, arrival_time_ms)`` with each decrypted RTP packet the transport
    receives (aiortc's own path: what the cbcs audio path does not take), before aiortc
    parses and routes it."""
    original = dtls._handle_rtp_data

    async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
        handler(data, arrival_time_ms)
        await original(data, arrival_time_ms=arrival_time_ms)

    dtls._handle_rtp_data = handle_rtp_data


class _NoFrames:
    """Stands for a receiver's jitter buffer: it takes packets and completes no frame."""

    capacity = 512

    def add(self, packet: Any) -> tuple[bool, None]:
        return False, None


def stop_frame_assembly(receiver: Any) -> None:
    """Make a video receiver assemble (and so decode) no frames, while it keeps its
    bandwidth estimate (REMB), NACKs, RTX unwrapping and receiver reports: the node
    forwards the video it receives instead of decoding it."""
    receiver._RTCRtpReceiver__jitter_buffer = _NoFrames()


def receiver_jitter_buffer(receiver: Any) -> Any:
    """The receiver's frame-assembling jitter buffer (for the contract test)."""
    return receiver._RTCRtpReceiver__jitter_buffer


def cap_remb(receiver: Any, cap: Callable[[int], int]) -> None:
    """Pass the bitrate of each REMB the receiver sends its remote through ``cap`` (the
    node lowers it to what the legs watching that video can take)."""
    from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci, unpack_remb_fci

    original = receiver._send_rtcp

    async def send_rtcp(packet: Any) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                pass
            else:
                packet.fci = pack_remb_fci(int(cap(bitrate)), ssrcs)
        await original(packet)

    receiver._send_rtcp = send_rtcp
