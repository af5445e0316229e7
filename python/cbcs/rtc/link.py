"""The call's audio on its UDP socket, in the core: once DTLS-SRTP is up, the socket is
drained once per media tick by ``_core.AudioLink``, which decrypts the audio RTP from the
address ICE selected and hands it to the receive path, and encrypts and sends what the
audio sender frames. Everything else read there (STUN, DTLS, RTCP, video) comes back to
Python and takes aiortc's way, as before.

The link keys its own SRTP sessions from the same DTLS keying material aiortc exports
(RFC 5764 section 4.2), for audio RTP only: RTCP stays with aiortc's sessions, so no SRTCP
index is ever used twice under one key.
"""

from __future__ import annotations

import socket
from typing import Any

from cbcs import _core
from cbcs.media.cc import FeedbackGenerator
from cbcs.rtc import internals
from cbcs.rtc.receive import JitterBufferReceiver

#: RFC 5764 section 4.2: the exporter label for DTLS-SRTP keying material.
_EXPORTER_LABEL = b"EXTRACTOR-dtls_srtp"


def srtp_master_keys(dtls: Any) -> tuple[int, bytes, bytes] | None:
    """(libsrtp profile, receive master key+salt, send master key+salt) of aiortc's DTLS
    transport, or None before its handshake chose a profile."""
    keying = internals.srtp_keying(dtls)
    if keying is None:
        return None
    ssl, profiles, role = keying
    chosen = ssl.get_selected_srtp_profile()
    profile = next((p for p in profiles if p.openssl_profile == chosen), None)
    if profile is None:
        return None
    view = ssl.export_keying_material(_EXPORTER_LABEL,
                                      2 * (profile.key_length + profile.salt_length))
    client, server = profile.get_key_and_salt(view, 0), profile.get_key_and_salt(view, 1)
    rx, tx = (client, server) if role == "server" else (server, client)
    return int(profile.libsrtp_profile), bytes(rx), bytes(tx)


class AudioLink:
    """The core link of one call; :meth:`open` it once DTLS is connected."""

    def __init__(self, dtls: Any, core: Any) -> None:
        self.core = core
        self._connection = internals.ice_connection(dtls)
        self._pair: Any = None

    @classmethod
    def open(cls, dtls: Any, receiver: JitterBufferReceiver,
             feedback: FeedbackGenerator | None, payload_types: set[int]) -> AudioLink | None:
        """The link, or None while DTLS-SRTP is not up yet."""
        keys = srtp_master_keys(dtls)
        if keys is None:
            return None
        profile, rx, tx = keys
        core = _core.AudioLink(receiver.core, feedback._gen if feedback is not None else None,
                               sorted(payload_types), profile, rx, tx)
        return cls(dtls, core)

    def follow_route(self) -> None:
        """Send to (and take audio only from) the pair ICE selected, if it changed."""
        pair = internals.selected_pair(self._connection)
        if pair is self._pair or pair is None:
            return
        sock: socket.socket = pair.protocol.transport.get_extra_info("socket")
        self.core.set_route(sock.fileno(), pair.remote_addr[0], pair.remote_addr[1])
        self._pair = pair

    def send(self, packet: bytes) -> None:
        """Encrypt and send one RTP packet; ConnectionError when it could not be sent."""
        if not self.core.send_rtp(packet):
            raise ConnectionError("audio link: no route, or the kernel refused the packet")

    @property
    def dropped(self) -> int:
        """Datagrams dropped here: undecryptable, or larger than any a call sends."""
        c = self.core.counters()
        return int(c["undecryptable"] + c["oversize"])
