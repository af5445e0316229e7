"""Marker-tone onset detection: known delays in, the same delays out, lost bursts as None."""

from __future__ import annotations

import numpy as np
import pytest

from cbcs.bench.harness import markers as mk


def received(delays_ms: list[float | None], *, noise: float = 0.0, gap_ms: float = 0.0,
             speech: np.ndarray | None = None) -> tuple[list[mk.Marker], np.ndarray, np.ndarray]:
    src = mk.MarkerTrackSource(period_s=0.5, first_s=0.2)
    sent_pcm = np.concatenate([src.block(i * 960, 960, 1000.0 + i * 20.0) for i in range(200)])
    rng = np.random.default_rng(1)
    out = (rng.normal(0, noise * 32767, 200 * 960 + 96000)).astype(np.int16)
    if speech is not None:  # someone talking under the markers
        out += np.resize(speech, len(out))
    for m, d in zip(src.markers, delays_ms):
        if d is None:
            continue
        start = int(round((m.sent_ms - 1000.0) * 48))
        seg = sent_pcm[start:start + src.burst]
        at = start + int(round(d * 48))
        out[at:at + len(seg)] += seg
    times = 1000.0 + np.arange(len(out)) / 48.0
    if gap_ms:  # a playout stall: later samples play later
        times[len(times) // 2:] += gap_ms
    return src.markers[: len(delays_ms)], out, times


@pytest.mark.parametrize("delays", [
    [50.0, 120.0, 300.0, 410.5, 599.0, 650.0, 700.0],  # one stream: bursts keep order
    [5.0, 5.0, 5.0, 5.0],
    [1000.0, 20.0, 1500.0],
])
def test_detects_known_delays(delays: list[float]) -> None:
    markers, pcm, times = received(delays, noise=0.01)
    got = mk.detect(markers, pcm, times)
    assert all(g is not None and abs(g - d) < 2.0 for g, d in zip(got, delays)), got


def test_a_lost_burst_is_none_and_does_not_steal_the_next() -> None:
    markers, pcm, times = received([100.0, None, 100.0, None, 100.0])
    got = mk.detect(markers, pcm, times)
    assert got[1] is None and got[3] is None
    assert all(abs(g - 100.0) < 2.0 for g in (got[0], got[2], got[4]) if g is not None)


def test_sent_times_come_from_the_frames_that_carry_onsets() -> None:
    src = mk.MarkerTrackSource(period_s=0.5, first_s=0.1)
    for i in range(60):
        src.block(i * 960, 960, 5000.0 + i * 20.0)
    assert [round(m.sent_ms) for m in src.markers] == [5100, 5600, 6100]
    assert [m.freq for m in src.markers] == list(mk.FREQS[:3])


def test_blocks_between_bursts_are_silent_and_bursts_intact() -> None:
    src = mk.MarkerTrackSource(period_s=0.5, first_s=0.1)
    whole = np.concatenate([src.block(i * 480, 480, 0.0) for i in range(200)])
    ref = mk.MarkerTrackSource(period_s=0.5, first_s=0.1)
    one = ref.block(0, 200 * 480, 0.0)
    assert np.array_equal(whole, one)
    assert len(src.markers) == len(ref.markers) == 4


def test_detects_markers_over_recorded_speech() -> None:
    from cbcs.bench.harness.measure import customer_speech

    pcm16, rate = customer_speech(10.0)
    speech = np.repeat(pcm16, 48000 // rate)  # crude 48 kHz: the level is what matters
    delays = [80.0, 150.0, 230.0, 310.0, 95.0, 400.0, 120.0]
    markers, pcm, times = received(delays, speech=speech)
    got = mk.detect(markers, pcm, times)
    assert all(g is not None and abs(g - d) < 2.0 for g, d in zip(got, delays)), got


def test_a_bed_plays_between_bursts_and_under_them() -> None:
    bed = (np.arange(4800) % 200 - 100).astype(np.int16)  # a loud sawtooth, looped
    src = mk.MarkerTrackSource(period_s=0.5, first_s=0.1, bed=bed)
    plain = mk.MarkerTrackSource(period_s=0.5, first_s=0.1)
    whole = np.concatenate([src.block(i * 480, 480, 0.0) for i in range(200)]).astype(int)
    tones = np.concatenate([plain.block(i * 480, 480, 0.0) for i in range(200)]).astype(int)
    # (within one step: the tone's fraction truncates once with the bed added)
    assert np.max(np.abs(whole - tones - np.resize(bed, len(whole)))) <= 1
    assert len(src.markers) == len(plain.markers) == 4
