"""Opus encoder and decoder: the system libopus (Debian ``libopus-dev``), linked into the
core.

aiortc's codecs (via PyAV) cannot change the bitrate of a running encoder, switch on
in-band FEC, or decode the FEC copy a later packet carries; a voice path on lossy links
needs all three, so the cbcs peer uses libopus directly. Both release the GIL while
libopus works; wrong frames (not ``int16[960]``) raise :class:`cbcs.errors.ConfigError`.

``OpusEncoder(bitrate_bps=32000, *, fec=True, expected_loss_percent=10, complexity=5)``:
mono 48 kHz voice in 20 ms frames; ``encode(pcm) -> bytes``, ``set_bitrate(bps)`` (clamped
to 6-510 kbit/s), ``set_expected_loss(percent)``, ``bitrate_bps``.

``OpusDecoder()``: mono 48 kHz int16 out; ``decode(packet)`` and
``decode_fec(next_packet, samples)`` (the packet *before* ``next_packet``, rebuilt from its
in-band FEC) give a new array or None (libopus rejected it, or there is no FEC), and
``samples(packet)`` the samples per channel at 48 kHz, or -1.
"""

from __future__ import annotations

from cbcs import _core

OpusEncoder = _core.OpusEncoder
OpusDecoder = _core.OpusDecoder

__all__ = ["OpusDecoder", "OpusEncoder"]
