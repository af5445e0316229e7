"""RED depth for the audio we send, sized from the loss the remote's feedback reports."""

from __future__ import annotations

import numpy as np
import pytest

from cbcs.rtc.protection import MAX_DEPTH, LossRuns, red_depth_for


def gilbert_elliott(n: int, loss: float, burst: float, seed: int = 1) -> list[bool]:
    """Received flags of n packets on a two-state bursty-loss link."""
    rng = np.random.default_rng(seed)
    r = 1.0 / burst
    q = loss * r / (1.0 - loss)
    bad, out = False, []
    for _ in range(n):
        bad = rng.random() >= r if bad else rng.random() < q
        out.append(not bad)
    return out


def test_loss_runs_measure_rate_and_burst_length() -> None:
    runs = LossRuns(memory_packets=100_000)
    runs.add(gilbert_elliott(50_000, 0.04, 3.0))
    assert runs.loss_rate == pytest.approx(0.04, abs=0.005)
    assert runs.mean_burst == pytest.approx(3.0, abs=0.3)


def test_loss_runs_forget_a_bad_spell() -> None:
    runs = LossRuns(memory_packets=500)
    runs.add(gilbert_elliott(2000, 0.10, 4.0))
    assert runs.loss_rate > 0.05
    runs.add([True] * 3000)  # a minute of clean link
    assert runs.loss_rate < 0.001
    assert runs.seen == 5000


def test_depth_grows_with_loss_and_burstiness() -> None:
    assert red_depth_for(0.0, 1.0) == 1
    assert red_depth_for(0.01, 1.2) == 1
    latam = red_depth_for(0.04, 3.0)  # the latam-3g profile
    assert 3 <= latam < MAX_DEPTH
    assert red_depth_for(0.04, 1.0) < latam  # the same loss in single packets is cheaper
    assert red_depth_for(0.10, 4.0) == MAX_DEPTH  # "worst": as deep as a browser can use


@pytest.mark.parametrize("loss,burst", [(0.04, 3.0), (0.02, 2.0), (0.10, 4.0)])
def test_chosen_depth_recovers_what_the_model_promises(loss: float, burst: float) -> None:
    """Send RED at the chosen depth over a simulated bursty link: frames lost with all their
    copies stay within the target (or, at the deepest, well below unprotected loss)."""
    received = gilbert_elliott(200_000, loss, burst, seed=7)
    depth = red_depth_for(loss, burst)
    frames_lost = sum(
        1 for i in range(len(received) - depth)
        if not any(received[i + j] for j in range(depth + 1)))
    residual = frames_lost / len(received)
    if depth < MAX_DEPTH:
        assert residual <= 0.0125
    else:
        assert residual < loss / 2


def test_peer_takes_a_fixed_depth_or_adapts() -> None:
    from cbcs.errors import ConfigError
    from cbcs.rtc import Peer

    assert Peer().adaptive_red
    fixed = Peer(red_depth=3)
    assert not fixed.adaptive_red and fixed.red_depth == 3
    with pytest.raises(ConfigError, match="red_depth: expected None or 1..5, got 0"):
        Peer(red_depth=0)
