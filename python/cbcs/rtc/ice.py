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

from aioice.ice import get_host_addresses
from aiortc import RTCPeerConnection

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
        conn = dtls.transport.iceGatherer._connection
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
    for conn in ice_connections(pc):
        if getattr(conn, "_cbcs_configured", False):
            continue
        conn._cbcs_configured = True
        original = conn.get_component_candidates

        async def gather(component: int, addresses: list[str], timeout: int = 5,
                         _conn: Any = conn, _original: Any = original) -> list[Any]:
            if only is None:
                wanted = list(dict.fromkeys([*addresses, LOOPBACK]))
            else:
                wanted = list(only)
            before = len(_conn._protocols)
            candidates = await _original(component=component, addresses=wanted,
                                         timeout=timeout)
            if on_protocol is not None:
                for protocol in _conn._protocols[before:]:
                    on_protocol(protocol)
            return list(candidates)

        conn.get_component_candidates = gather


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
