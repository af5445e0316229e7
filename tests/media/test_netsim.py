import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from cbcs import ConfigError
from cbcs.media import netsim

# DESIGN.md's table: base delay, loss, bandwidth per profile.
DESIGN = {
    "lan": (2, 0.0, 100e6),
    "sea-4g": (60, 0.01, 5e6),
    "latam-3g": (110, 0.04, 800e3),
    "cross-border": (170, 0.02, 10e6),
    "worst": (200, 0.10, 300e3),
}


@pytest.mark.parametrize("name", netsim.PROFILE_NAMES)
def test_profiles_match_the_design_table(name: str) -> None:
    base, loss, bw = DESIGN[name]
    p = netsim.profile(name)
    assert (p.base_delay_ms, p.loss_rate, p.bandwidth_bps) == (base, loss, bw)
    # A voice stream through the profile sees about that delay and loss.
    n = 30_000
    send = np.arange(n) * 20.0
    arrival = netsim.Link(name, seed=1).transmit(send, 160)
    lost = np.isnan(arrival).mean()
    assert lost == pytest.approx(loss, abs=max(0.01, loss * 0.3))
    delay = arrival[~np.isnan(arrival)] - send[~np.isnan(arrival)]
    assert delay.min() >= 0
    assert base - 1 <= np.median(delay) <= base + 40


def test_same_seed_same_trace_and_streaming_equals_batch() -> None:
    send = np.cumsum(np.full(5000, 20.0))
    a = netsim.Link("worst", seed=9).transmit(send, 200)
    b = netsim.Link("worst", seed=9).transmit(send, 200)
    np.testing.assert_array_equal(a, b)
    live = netsim.Link("worst", seed=9)
    streamed = [live.send(t, 200) for t in send]
    np.testing.assert_array_equal(a, np.array([math.nan if x is None else x for x in streamed]))
    assert not np.array_equal(a, netsim.Link("worst", seed=10).transmit(send, 200), equal_nan=True)


def test_bottleneck_turns_overload_into_queueing_and_drops() -> None:
    link = netsim.Link(netsim.LinkParams(base_delay_ms=20, bandwidth_bps=800_000, queue_ms=200))
    send = np.arange(2000) * 5.0  # 1200 B every 5 ms = 1.92 Mbit/s into 0.8 Mbit/s
    arrival = link.transmit(send, np.full(2000, 1200, dtype=np.int32))
    stats = link.stats()
    assert stats["dropped"] > 1000
    delay = (arrival - send)[~np.isnan(arrival)]
    assert delay.max() <= 20 + 200 + 12 + 1e-6  # base + full queue + own serialisation
    assert delay[-100:].mean() > 150  # a standing queue


def test_user_profiles_from_a_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text('[jakarta-wifi]\nbase_delay_ms = 35\njitter_ms = 8\nloss_rate = 0.005\n')
    loaded = netsim.load_profiles(f)
    assert loaded["jakarta-wifi"].base_delay_ms == 35
    assert netsim.Link("jakarta-wifi", seed=1).send(0.0, 100) is not None
    f.write_text('[oops]\nbase_delay = 35\n')
    with pytest.raises(ConfigError, match="unknown field"):
        netsim.load_profiles(f)
    f.write_text('[oops]\nloss_rate = 1.5\n')
    with pytest.raises(ConfigError, match="loss_rate"):
        netsim.load_profiles(f)


@pytest.mark.parametrize("change", [
    {"base_delay_ms": -5.0},
    {"mean_burst": 0.2},
    {"jitter_distribution": "cauchy"},
    {"bandwidth_bps": 12.0},
])
def test_bad_params_are_config_errors(change: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        netsim.Link(dataclasses.replace(netsim.profile("lan"), **change))  # type: ignore[arg-type]


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="latam-3g"):
        netsim.Link("mars")


def test_bad_packets_are_counted_not_raised() -> None:
    link = netsim.Link("lan")
    assert link.send(float("nan"), 100) is None
    assert link.send(1.0, -3) is None
    assert link.stats()["invalid"] == 2


def test_transmit_refuses_wrong_dtypes_instead_of_converting() -> None:
    link = netsim.Link("lan")
    with pytest.raises(ConfigError, match="int32"):
        link.transmit(np.arange(4.0), np.arange(4, dtype=np.int64))
    with pytest.raises(ConfigError, match="expected 4"):
        link.transmit(np.arange(4.0), np.arange(3, dtype=np.int32))
