"""Micro-benchmarks of cbcs.media's voice processing per 10 ms frame, beside the peers.

Run with ``pytest bench/bench_dsp.py --benchmark-enable``; the peers (WebRTC NS, RNNoise,
SpeexDSP via cbcs.bench._dsp_peers) are skipped when not installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cbcs import _core
from cbcs.media import Agc, Denoiser, Resampler, Vad

RNG = np.random.default_rng(0)
FRAME16 = (RNG.standard_normal(160) * 0.05).astype(np.float32)
FRAME48 = (RNG.standard_normal(480) * 0.05).astype(np.float32)
SECOND16 = (RNG.standard_normal(16000) * 0.05 * 32768).astype(np.int16)


@pytest.mark.parametrize(("rate", "frame"), [(16000, FRAME16), (48000, FRAME48)])
@pytest.mark.parametrize("method", ["hybrid", "statistical"])
def test_denoiser_frame(benchmark: Any, rate: int, frame: np.ndarray, method: str) -> None:
    d = Denoiser(rate, method=method)  # type: ignore[arg-type]
    out = np.empty_like(frame)
    d.process_into(frame, out)
    before = _core.allocation_count()
    benchmark(d.process_into, frame, out)
    assert _core.allocation_count() == before  # nothing allocated per frame


def test_denoiser_one_second_native_loop(benchmark: Any) -> None:
    d = Denoiser()
    benchmark(d.process_buffer, SECOND16, align=False)


def test_vad_frame(benchmark: Any) -> None:
    v = Vad()
    benchmark(v.process, FRAME16)


def test_agc_frame(benchmark: Any) -> None:
    a = Agc()
    benchmark(a.process, FRAME16)


@pytest.mark.parametrize(("src", "dst", "frame"), [(16000, 48000, FRAME16), (48000, 16000, FRAME48)])
def test_resampler_frame(benchmark: Any, src: int, dst: int, frame: np.ndarray) -> None:
    r = Resampler(src, dst)
    benchmark(r.process, frame)


def _peer(name: str) -> Any:
    from cbcs.bench import _dsp_peers
    return getattr(_dsp_peers, name)()  # a missing peer fails: CI installs them all


@pytest.mark.parametrize("name", ["WebrtcNsPeer", "SpeexPeer", "RnnoisePeer"])
def test_peer_one_second(benchmark: Any, name: str) -> None:
    peer = _peer(name)
    benchmark(peer.process, SECOND16)
