"""Loopback and single-interface ICE for aiortc peers, without patching aioice.

aioice gathers host candidates from every interface except 127.0.0.1, so two peers on one
machine with no other route (a CI box, a container with only ``lo``), or a browser started
with ``--allow-loopback-in-peer-connection``, never find a pair. We add the loopback
address (or use only the addresses asked for) on the *instance* of each ICE connection a
peer connection owns, so nothing global changes and stock aiortc peers elsewhere in the
process keep their defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aioice.ice import CandidatePair, get_host_addresses
from aiortc import RTCPeerConnection

from cbcs.rtc import internals

#: Called once per new host socket that aioice binds, with its StunProtocol.
ProtocolHook = Callable[[Any], None]

LOOPBACK = "127.0.0.1"


def ice_connections(pc: RTCPeerConnection) -> list[Any]:
    """The aioice ``Connection`` objects behind ``pc``'s transports (one per bundle group)."""
    seen: dict[int, Any] = {}
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    for dtls in transports:
        if dtls is None:
            continue
        conn = internals.ice_connection(dtls)
        seen[id(conn)] = conn
    return list(seen.values())


def configure_ice(
    pc: RTCPeerConnection,
    only: Sequence[str] | None = None,
    on_protocol: ProtocolHook | None = None,
) -> None:
    """Make ``pc`` gather host candidates on the addresses ``only`` (default: every interface aioice
    would use, plus 127.0.0.1), and call ``on_protocol`` for each socket it binds.

    Call after the transceivers exist (after ``addTrack``/``setRemoteDescription``) and
    before ``setLocalDescription``, which is when aiortc gathers. Calling it twice is
    harmless: the first configuration stays.
    """
    def addresses(offered: list[str]) -> list[str]:
        return list(dict.fromkeys([*offered, LOOPBACK])) if only is None else list(only)

    for conn in ice_connections(pc):
        def bound(protocol: Any, _conn: Any = conn) -> None:
            guard_datagrams(_conn, protocol)
            if on_protocol is not None:
                on_protocol(protocol)

        internals.wrap_gathering(conn, addresses, bound)


class DatagramGuard:
    """Counts of datagrams dropped before they reach aioice/aiortc."""

    def __init__(self) -> None:
        self.empty = 0
        self.oversize = 0
        self.stranger = 0

    @property
    def dropped(self) -> int:
        return self.empty + self.oversize + self.stranger


#: Larger than any datagram a WebRTC peer sends over UDP (path MTU is ~1500).
MAX_DATAGRAM = 2048


def guard_datagrams(conn: Any, protocol: Any) -> DatagramGuard:
    """Drop datagrams that would hurt the call before aiortc sees them.

    aiortc's DTLS transport reads ``data[0]`` of every datagram and dies on an empty one
    (the call then goes silent for good), and aioice hands non-STUN data from *any* source
    to the media stack. Media is only admitted from addresses ICE knows: a signalled
    remote candidate, or a peer-reflexive one, which aioice only adds after a STUN request
    that passed the message-integrity check. (The remote may pick a pair that our side has
    not validated yet: a browser's socket on another interface reaching our 127.0.0.1, so
    "succeeded on our side" would be too strict.) Once any pair succeeded, non-STUN
    datagrams from other addresses are dropped; STUN keeps flowing.

    Admitted media goes to the protocol's ``cbcs_media`` hook first when a peer set one
    (:mod:`cbcs.rtc.fastpath`); what the hook does not take goes on to aioice.
    """
    guard = DatagramGuard()
    protocol.cbcs_guard = guard
    inner = protocol.datagram_received
    validated: set[tuple[Any, Any]] = set()

    def is_validated(addr: tuple[Any, Any]) -> bool | None:
        """True/False once some pair succeeded; None before (nothing to judge by yet)."""
        if addr in validated:
            return True
        pairs = internals.ice_check_list(conn)
        if not any(p.state == CandidatePair.State.SUCCEEDED for p in pairs):
            return None
        validated.update(p.remote_addr for p in pairs)
        return addr in validated

    def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
        if not data:
            guard.empty += 1
            return
        if len(data) > MAX_DATAGRAM:
            guard.oversize += 1
            return
        is_stun = len(data) >= 20 and data[0] < 4 and data[4:8] == b"\x21\x12\xa4\x42"
        if not is_stun:
            if is_validated((addr[0], addr[1])) is False:
                guard.stranger += 1
                return
            media = getattr(protocol, "cbcs_media", None)  # see cbcs.rtc.fastpath
            if media is not None and media(data):
                return
        inner(data, addr)

    protocol.datagram_received = datagram_received
    return guard


def dropped_datagrams(pc: RTCPeerConnection) -> int:
    """Datagrams the guards of ``pc``'s sockets dropped so far."""
    total = 0
    for conn in ice_connections(pc):
        for protocol in internals.ice_protocols(conn):
            guard = getattr(protocol, "cbcs_guard", None)
            if guard is not None:
                total += guard.dropped
    return total


def default_addresses() -> list[str]:
    """Host addresses aioice would offer by itself (IPv4), plus loopback."""
    return list(dict.fromkeys([*get_host_addresses(use_ipv4=True, use_ipv6=False), LOOPBACK]))


def keep_candidates(sdp: str, allowed_hosts: Sequence[str]) -> str:
    """Drop ``a=candidate`` lines whose address is not in ``allowed_hosts`` (so a test can
    insist that a browser's traffic stays on loopback)."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            if len(parts) < 6 or parts[4] not in allowed_hosts:
                continue
        out.append(line)
    return "\r\n".join(out) + "\r\n"
