"""Opus in the core (libopus): real speech round trip, live bitrate, FEC recovery of a lost
packet, strict frames."""

from __future__ import annotations


import numpy as np
import pytest
import soundfile as sf
from scipy.signal import correlate, resample_poly

from cbcs.errors import ConfigError
from cbcs.media import samples
from cbcs.rtc.opus import OpusDecoder, OpusEncoder

SPEECH = samples.speech_path("es_leopard")


def speech_48k(seconds: float = 4.0) -> np.ndarray:
    x, rate = sf.read(SPEECH, dtype="int16")
    assert rate == 16000
    y = resample_poly(x[: int(seconds * rate)].astype(np.float64), 3, 1)
    return np.clip(y, -32768, 32767).astype(np.int16)


def frames(x: np.ndarray) -> list[np.ndarray]:
    n = len(x) // 960
    return [x[i * 960:(i + 1) * 960] for i in range(n)]


def snr_db(ref: np.ndarray, out: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    err = ref - out.astype(np.float64)
    return float(10 * np.log10(np.sum(ref**2) / max(np.sum(err**2), 1e-9)))


def aligned(ref: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Opus delays its output by a fixed look-ahead; line the two up by cross-correlation
    over the loudest second of the reference."""
    r, o = ref.astype(float), out.astype(float)
    c = np.concatenate([[0.0], np.cumsum(r**2)])
    energy = c[48000:] - c[:-48000]
    at = int(np.argmax(energy[: len(r) - 49000]))
    seg = r[at:at + 48000]
    xc = correlate(o[at:at + 50000], seg, mode="valid", method="fft")
    lag = int(np.argmax(xc))
    n = min(len(ref), len(out) - lag)
    return ref[:n], out[lag:lag + n]


def spectral_distance_db(ref: np.ndarray, out: np.ndarray, frames_at: list[int]) -> float:
    """Mean log-spectral distance over the given 20 ms frames (phase does not matter)."""
    d = []
    for i in frames_at:
        a = np.abs(np.fft.rfft(ref[i * 960:(i + 1) * 960].astype(float) * np.hanning(960)))
        b = np.abs(np.fft.rfft(out[i * 960:(i + 1) * 960].astype(float) * np.hanning(960)))
        d.append(np.sqrt(np.mean((20 * np.log10(a + 1.0) - 20 * np.log10(b + 1.0)) ** 2)))
    return float(np.mean(d))


def test_speech_round_trip_is_faithful() -> None:
    x = speech_48k()
    enc, dec = OpusEncoder(32000), OpusDecoder()
    out = np.concatenate([dec.decode(enc.encode(f)) for f in frames(x)])
    ref, got = aligned(x, out)
    # waveform SNR of a perceptual codec is modest; garbage or misalignment would be < 0
    assert snr_db(ref, got) > 3.0


def test_bitrate_change_changes_packet_sizes() -> None:
    x = speech_48k(2.0)
    enc = OpusEncoder(64000)
    big = sum(len(enc.encode(f)) for f in frames(x))
    enc.set_bitrate(12000)
    small = sum(len(enc.encode(f)) for f in frames(x))
    assert small < big * 0.4


def test_fec_rebuilds_a_lost_packet_better_than_concealment() -> None:
    x = speech_48k()
    enc = OpusEncoder(32000, fec=True, expected_loss_percent=20)
    packets = [enc.encode(f) for f in frames(x)]
    lost = list(range(20, len(packets) - 1, 10))

    def decode(use_fec: bool) -> np.ndarray:
        dec, out = OpusDecoder(), []
        for i, p in enumerate(packets):
            if i in lost:
                continue
            if i - 1 in lost:
                pcm = dec.decode_fec(p, 960) if use_fec else None
                out.append(pcm if pcm is not None else np.zeros(960, np.int16))
            out.append(dec.decode(p))
        return np.concatenate(out)

    ref, with_fec = aligned(x, decode(True))
    _, zero = aligned(x, decode(False))
    loud = [i for i in lost if np.abs(x[i * 960:(i + 1) * 960]).max() > 3000]
    assert len(loud) >= 5
    d_fec = spectral_distance_db(ref, with_fec, loud)
    d_zero = spectral_distance_db(ref, zero, loud)
    assert d_fec < 0.5 * d_zero


@pytest.mark.parametrize("pcm", [np.zeros(960, np.float32), np.zeros(480, np.int16),
                                 np.zeros((2, 960), np.int16)])
def test_encoder_rejects_wrong_frames(pcm: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="expected int16\\[960\\]"):
        OpusEncoder().encode(pcm)


@pytest.mark.parametrize("garbage", [b"", b"\xff", b"\x00" * 3, bytes(range(256)) * 6])
def test_decoder_survives_garbage(garbage: bytes) -> None:
    dec = OpusDecoder()
    for pcm in (dec.decode(garbage), dec.decode_fec(garbage, 960)):  # never a crash
        assert pcm is None or (pcm.dtype == np.int16 and 0 < len(pcm) <= 5760)
    good = OpusEncoder().encode(np.zeros(960, np.int16))
    assert dec.decode(good) is not None


def test_a_strided_frame_encodes_like_its_copy() -> None:
    x = speech_48k(1.0)
    wide = np.zeros(2 * 960, np.int16)
    wide[::2] = x[24000:24960]
    a = OpusEncoder().encode(wide[::2])
    b = OpusEncoder().encode(np.ascontiguousarray(wide[::2]))
    assert a == b and len(a) > 20
