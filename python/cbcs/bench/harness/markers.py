"""Marker tones for measuring mouth-to-ear delay at the audio level.

The sender puts short tone bursts of known frequencies into its audio at known wall-clock
times; the receiver records what it plays with the wall-clock time of every sample; both
ends run on one machine and so share the clock. :func:`detect` finds each burst's onset in
the received audio and returns the delay per marker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Distinct frequencies cycled over successive bursts, so a burst can never be matched
#: to its neighbour even when one is lost entirely.
FREQS: tuple[float, ...] = (700.0, 1100.0, 1500.0, 1900.0)
BURST_S = 0.08
AMPLITUDE = 0.5


@dataclass(frozen=True)
class Marker:
    """One burst: index, frequency and the wall-clock ms its first sample was produced."""

    index: int
    freq: float
    sent_ms: float


def _tone_power(block: npt.NDArray[np.float64], freq: float, rate: int) -> float:
    n = np.arange(len(block))
    c = np.exp(-2j * np.pi * freq * n / rate)
    return float(abs(np.dot(block, c)) * 2.0 / len(block))


def detect(markers: list[Marker], pcm: npt.NDArray[np.int16], times_ms: npt.NDArray[np.float64],
           *, rate: int = 48000, max_delay_ms: float = 2000.0) -> list[float | None]:
    """Mouth-to-ear delay (ms) of each marker in received audio, None where not heard.

    ``times_ms[i]`` is the wall-clock time sample ``i`` was played. The onset is where the
    marker's frequency first reaches a third of the sent amplitude in a sliding 5 ms window;
    the window's first sample is refined to the first sample above half that level.
    """
    x = pcm.astype(np.float64) / 32768.0
    win = rate // 200  # 5 ms
    out: list[float | None] = []
    for m in markers:
        lo = int(np.searchsorted(times_ms, m.sent_ms))
        hi = int(np.searchsorted(times_ms, m.sent_ms + max_delay_ms))
        found: float | None = None
        pos = lo
        while pos + win <= hi:
            block = x[pos:pos + win]
            if _tone_power(block, m.freq, rate) > AMPLITUDE / 3.0:
                # step back to the first loud sample of the burst for sub-window precision
                start = max(lo, pos - win)
                seg = np.abs(x[start:pos + win])
                loud = np.nonzero(seg > AMPLITUDE / 2.0)[0]
                onset = start + int(loud[0]) if len(loud) else pos
                found = float(times_ms[onset] - m.sent_ms)
                break
            pos += win // 2
        out.append(found)
    return out


class MarkerTrackSource:
    """Server-side audio content: a tone burst every ``period_s`` over silence, or over
    ``bed`` (int16 at ``rate``, looped: the agent talking).

    ``block(start_sample, n)`` returns int16 audio for samples ``start_sample ..`` of the
    stream; the caller (an audio track paced by the loop clock) records the wall time of
    each burst's first sample with :meth:`note_sent`.
    """

    def __init__(self, *, rate: int = 48000, period_s: float = 0.5, first_s: float = 1.0,
                 burst_s: float = BURST_S, freqs: tuple[float, ...] = FREQS,
                 bed: npt.NDArray[np.int16] | None = None) -> None:
        self.rate = rate
        self.bed = bed if bed is not None and len(bed) else None
        self.period = int(period_s * rate)
        self.first = int(first_s * rate)
        self.burst = int(burst_s * rate)
        self.freqs = freqs
        self.markers: list[Marker] = []

    def _bed(self, start: int, n: int) -> npt.NDArray[np.int16]:
        if self.bed is None:
            return np.zeros(n, dtype=np.int16)
        return self.bed.take(np.arange(start, start + n), mode="wrap")

    def block(self, start: int, n: int, wall_ms_at_start: float) -> npt.NDArray[np.int16]:
        # most blocks fall between bursts: answer those without building the waveform
        first_k = (start - self.first) // self.period
        last_k = (start + n - 1 - self.first) // self.period
        if start + n <= self.first or (
                first_k == last_k and start - self.first - first_k * self.period >= self.burst):
            return self._bed(start, n)
        idx = np.arange(start, start + n)
        rel = idx - self.first
        k = np.floor_divide(rel, self.period)
        phase = rel - k * self.period
        on = (rel >= 0) & (phase < self.burst)
        out = np.zeros(n, dtype=np.float64)
        if on.any():
            f = np.array(self.freqs)[k[on] % len(self.freqs)]
            out[on] = AMPLITUDE * np.sin(2 * np.pi * f * phase[on] / self.rate)
            for j in np.nonzero(on & (phase == 0))[0]:
                kk = int(k[j])
                self.markers.append(Marker(kk, self.freqs[kk % len(self.freqs)],
                                           wall_ms_at_start + j * 1000.0 / self.rate))
        out = out * 32767 + self._bed(start, n)
        return np.clip(out, -32768, 32767).astype(np.int16)
