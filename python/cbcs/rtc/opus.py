"""Opus encoder and decoder over the system libopus (Debian ``libopus0``), through ctypes.

aiortc's codecs (via PyAV) cannot change the bitrate of a running encoder, switch on
in-band FEC, or decode the FEC copy a later packet carries; a voice path on lossy links
needs all three, so the cbcs peer talks to libopus directly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

import numpy as np
import numpy.typing as npt

from cbcs.errors import ConfigError

_OPUS_APPLICATION_VOIP = 2048
_OPUS_SET_BITRATE = 4002
_OPUS_SET_COMPLEXITY = 4010
_OPUS_SET_INBAND_FEC = 4012
_OPUS_SET_PACKET_LOSS_PERC = 4014
_MAX_PACKET = 1500

_lib: ctypes.CDLL | None = None
_lib_lock = threading.Lock()


def _libopus() -> ctypes.CDLL:
    global _lib
    with _lib_lock:
        if _lib is None:
            name = ctypes.util.find_library("opus") or "libopus.so.0"
            try:
                lib = ctypes.CDLL(name)
            except OSError as exc:
                raise ConfigError(
                    f"libopus: expected the system library (Debian libopus0), got {exc}"
                ) from None
            lib.opus_encoder_create.restype = ctypes.c_void_p
            lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int,
                                                ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
            lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
            lib.opus_encode.restype = ctypes.c_int32
            lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                        ctypes.c_void_p, ctypes.c_int32]
            lib.opus_encoder_ctl.restype = ctypes.c_int
            lib.opus_decoder_create.restype = ctypes.c_void_p
            lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int,
                                                ctypes.POINTER(ctypes.c_int)]
            lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
            lib.opus_decode.restype = ctypes.c_int
            lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                        ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
            lib.opus_packet_get_nb_samples.restype = ctypes.c_int
            lib.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p, ctypes.c_int32,
                                                       ctypes.c_int32]
            _lib = lib
        return _lib


class OpusEncoder:
    """Mono 48 kHz Opus for voice: 20 ms frames, in-band FEC on, bitrate settable live."""

    SAMPLE_RATE = 48000
    FRAME_SAMPLES = 960

    def __init__(self, bitrate_bps: int = 32000, *, fec: bool = True,
                 expected_loss_percent: int = 10, complexity: int = 5) -> None:
        lib = _libopus()
        err = ctypes.c_int(0)
        enc = lib.opus_encoder_create(self.SAMPLE_RATE, 1, _OPUS_APPLICATION_VOIP,
                                      ctypes.byref(err))
        if err.value != 0 or not enc:
            raise ConfigError(f"opus encoder: libopus error {err.value}")
        self._lib = lib
        self._enc = ctypes.c_void_p(enc)
        self._out = ctypes.create_string_buffer(_MAX_PACKET)
        self.bitrate_bps = 0
        self.set_bitrate(bitrate_bps)
        lib.opus_encoder_ctl(self._enc, _OPUS_SET_INBAND_FEC, ctypes.c_int(int(fec)))
        lib.opus_encoder_ctl(self._enc, _OPUS_SET_PACKET_LOSS_PERC,
                             ctypes.c_int(expected_loss_percent))
        lib.opus_encoder_ctl(self._enc, _OPUS_SET_COMPLEXITY, ctypes.c_int(complexity))

    def set_bitrate(self, bps: int) -> None:
        """Change the target bitrate (6-510 kbit/s, clamped) for the next frames."""
        bps = int(min(max(bps, 6000), 510000))
        if bps != self.bitrate_bps:
            self._lib.opus_encoder_ctl(self._enc, _OPUS_SET_BITRATE, ctypes.c_int32(bps))
            self.bitrate_bps = bps

    def set_expected_loss(self, percent: int) -> None:
        """Tell the encoder how much loss to protect against with in-band FEC."""
        self._lib.opus_encoder_ctl(self._enc, _OPUS_SET_PACKET_LOSS_PERC,
                                   ctypes.c_int(int(min(max(percent, 0), 100))))

    def encode(self, pcm: npt.NDArray[np.int16]) -> bytes:
        """One 20 ms frame of mono int16 PCM in, one Opus packet out."""
        if pcm.dtype != np.int16 or pcm.shape != (self.FRAME_SAMPLES,):
            raise ConfigError(
                f"pcm: expected int16[{self.FRAME_SAMPLES}], got {pcm.dtype}{list(pcm.shape)}"
            )
        pcm = np.ascontiguousarray(pcm)
        n = self._lib.opus_encode(self._enc, pcm.ctypes.data, self.FRAME_SAMPLES,
                                  self._out, _MAX_PACKET)
        if n < 0:
            raise ConfigError(f"opus encode: libopus error {n}")
        return ctypes.string_at(self._out, n)

    def __del__(self) -> None:
        enc = getattr(self, "_enc", None)
        if enc:
            self._lib.opus_encoder_destroy(enc)
            self._enc = ctypes.c_void_p(None)


class OpusDecoder:
    """Decodes Opus (mono or stereo streams) to mono 48 kHz int16, with FEC recovery."""

    SAMPLE_RATE = 48000
    MAX_FRAME = 5760  # 120 ms, the longest Opus packet

    def __init__(self) -> None:
        lib = _libopus()
        err = ctypes.c_int(0)
        dec = lib.opus_decoder_create(self.SAMPLE_RATE, 1, ctypes.byref(err))
        if err.value != 0 or not dec:
            raise ConfigError(f"opus decoder: libopus error {err.value}")
        self._lib = lib
        self._dec = ctypes.c_void_p(dec)
        self._pcm = np.zeros(self.MAX_FRAME, dtype=np.int16)
        self.errors = 0

    def samples(self, packet: bytes) -> int:
        """Samples per channel in ``packet`` at 48 kHz, or a negative libopus error."""
        return int(self._lib.opus_packet_get_nb_samples(packet, len(packet),
                                                        self.SAMPLE_RATE))

    def decode(self, packet: bytes) -> npt.NDArray[np.int16] | None:
        """PCM of one packet (a new array), or None when libopus rejects it (counted)."""
        n = self._lib.opus_decode(self._dec, packet, len(packet), self._pcm.ctypes.data,
                                  self.MAX_FRAME, 0)
        if n <= 0:
            self.errors += 1
            return None
        return self._pcm[:n].copy()

    def decode_fec(self, next_packet: bytes, samples: int) -> npt.NDArray[np.int16] | None:
        """Recover the packet *before* ``next_packet`` from its in-band FEC (LBRR) data.

        Returns None when ``next_packet`` carries no FEC for it (libopus then returns
        concealment, which the jitter buffer does better itself)."""
        if not _has_lbrr(next_packet) or samples <= 0 or samples > self.MAX_FRAME:
            return None
        n = self._lib.opus_decode(self._dec, next_packet, len(next_packet),
                                  self._pcm.ctypes.data, samples, 1)
        if n <= 0:
            self.errors += 1
            return None
        return self._pcm[:n].copy()

    def __del__(self) -> None:
        dec = getattr(self, "_dec", None)
        if dec:
            self._lib.opus_decoder_destroy(dec)
            self._dec = ctypes.c_void_p(None)


def _has_lbrr(packet: bytes) -> bool:
    """Whether an Opus packet's first SILK frame carries LBRR (FEC) data (RFC 6716 4.2.3).

    Only SILK and hybrid modes carry it; CELT-only packets (config >= 16) never do."""
    if len(packet) < 2:
        return False
    toc = packet[0]
    config = toc >> 3
    if config >= 16:
        return False
    code = toc & 0x3
    if code == 0 or code == 1:
        first = 1
    elif code == 2:
        # second byte(s) give the first frame's length: skip them
        first = 2 if packet[1] < 252 else 3
    else:
        if len(packet) < 3:
            return False
        count_byte = packet[1]
        first = 2
        if count_byte & 0x40:  # padding present: skip the padding length bytes
            while first < len(packet) and packet[first] == 255:
                first += 1
            first += 1
        if not count_byte & 0x80:  # CBR: frames follow directly
            pass
        else:  # VBR: frame lengths follow; skip them roughly (one or two bytes each)
            frames = count_byte & 0x3F
            for _ in range(frames - 1):
                if first >= len(packet):
                    return False
                first += 2 if packet[first] >= 252 else 1
    if first >= len(packet):
        return False
    # The first bit after the VAD flags of the range coder is hard to read without a
    # decoder; the LBRR flag sits in the first byte's top bits for mono 20 ms frames:
    # bit 7 = VAD flag, bit 6 = LBRR flag (SILK frames use an arithmetic coder, but the
    # header flags are coded with uniform probability, i.e. as raw leading bits).
    stereo = bool(toc & 0x4)
    frame_ms = (10, 20, 40, 60)[config & 0x3] if config < 12 else (10, 20)[config & 0x1]
    frames = max(1, frame_ms // 20)
    lbrr_bit = 7 - frames  # after one VAD bit per SILK frame
    if stereo:
        return True  # a stereo header's bit layout differs; let libopus decide
    return bool((packet[first] >> lbrr_bit) & 1)
