"""The audio packet fast path of the cbcs peer: its own audio RTP in, and everything it
sends out, without aiortc's per-packet coroutine chain.

aiortc moves every received datagram through aioice's STUN parser (which media fails with
an exception), an asyncio queue, the DTLS transport's task, a pure-Python RTP parser, its
router and two awaits; every packet it sends goes down four nested coroutines. For the 50
packets a second each way of a voice call, that chain was most of the server's CPU per call.
Here, once DTLS-SRTP is up, received RTP of the negotiated audio payload types is
unprotected with aiortc's own SRTP session and handed to the receive path at once (the core
parses it there); what the peer sends is protected with the same session and written to
the socket of the pair ICE selected. DTLS, STUN, received RTCP and other payload types
(video) take aiortc's way unchanged.

When the peer reads its sockets once per tick (:mod:`cbcs.rtc.tickread`), the core's audio
link (:mod:`cbcs.rtc.link`) takes the audio both ways instead; this path serves the first
packets before it opens, an in-process impairment, and event loops whose sockets cannot be
read that way. RTCP always leaves through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pylibsrtp

from cbcs.rtc import internals
from cbcs.rtc.media import mono_ms

#: ``on_audio(packet, arrival_ms)``: one decrypted RTP packet and when it arrived.
AudioHandler = Callable[[bytes, float], None]


def is_rtcp(data: bytes) -> bool:
    """RTCP by its second byte (packet types 192-223, RFC 5761 section 4)."""
    return len(data) >= 2 and 192 <= data[1] <= 223


class AudioFastPath:
    """Receives the peer's audio RTP and sends its RTP and RTCP over one DTLS transport."""

    def __init__(self, dtls: Any, payload_types: Iterable[int], on_audio: AudioHandler) -> None:
        self.dtls = dtls
        self.payload_types = frozenset(payload_types)
        self.on_audio = on_audio
        self.undecryptable = 0   # failed SRTP authentication or replay check: dropped
        #: when set, the arrival time of the datagram being delivered (the kernel's, from
        #: :mod:`cbcs.rtc.tickread`); otherwise arrival is now
        self.arrival_ms: float | None = None
        self._connection = internals.ice_connection(dtls)

    def datagram(self, data: bytes) -> bool:
        """Take one received datagram if it is our audio RTP; False leaves it to aiortc."""
        if len(data) < 12 or not 127 < data[0] < 192 or is_rtcp(data):
            return False
        if data[1] & 0x7F not in self.payload_types:
            return False
        srtp = internals.srtp_sessions(self.dtls)[0]
        if srtp is None:
            return False
        arrival_ms = self.arrival_ms if self.arrival_ms is not None else mono_ms()
        try:
            plain = srtp.unprotect(data)
        except pylibsrtp.Error:
            self.undecryptable += 1  # forged, replayed or from another session
            return True
        self.on_audio(plain, arrival_ms)
        return True

    def send(self, data: bytes) -> None:
        """Protect one RTP or RTCP packet and send it on the selected ICE pair.

        Raises ConnectionError before DTLS-SRTP is up or once the call is gone."""
        dtls = self.dtls
        srtp = internals.srtp_sessions(dtls)[1]
        pair = internals.selected_pair(self._connection)
        if srtp is None or pair is None or not internals.dtls_connected(dtls):
            raise ConnectionError("not connected")
        protected = srtp.protect_rtcp(data) if is_rtcp(data) else srtp.protect(data)
        pair.protocol.transport.sendto(protected, pair.remote_addr)

    def set_arrival(self, arrival_ms: float | None) -> None:
        self.arrival_ms = arrival_ms

    def protocols(self) -> list[Any]:
        """aioice's protocol (one per socket) of the ICE connection."""
        return internals.ice_protocols(self._connection)

    def install(self) -> None:
        """Put the fast path in front of aiortc on every socket of the ICE connection."""
        for protocol in self.protocols():
            protocol.cbcs_media = self.datagram
