import math

import pytest

from cbcs import ConfigError
from cbcs.media import quality


def test_perfect_path_rates_toll_quality() -> None:
    r = quality.rate(0.0)
    assert r.r == pytest.approx(93.2, abs=0.15)
    assert r.mos == pytest.approx(4.41, abs=0.02)


@pytest.mark.parametrize(("delay", "loss", "lo", "hi"), [
    (50, 0, 4.3, 4.45),   # LAN call
    (150, 1, 3.9, 4.3),   # a good mobile call
    (400, 0, 3.2, 3.7),   # long delay alone is noticeable
    (200, 10, 2.3, 3.3),  # the "worst" profile without recovery
])
def test_mos_lands_in_known_bands(delay: float, loss: float, lo: float, hi: float) -> None:
    assert lo <= quality.rate(delay, loss).mos <= hi


def test_bursty_loss_rates_lower() -> None:
    br = quality.burst_ratio(0.04, 3.0)
    assert br > 1
    assert quality.rate(110, 4, burst_ratio=br).r < quality.rate(110, 4).r


@pytest.mark.parametrize("kwargs", [
    {"one_way_delay_ms": -1.0},
    {"one_way_delay_ms": math.nan},
    {"one_way_delay_ms": 10.0, "loss_percent": 150.0},
    {"one_way_delay_ms": 10.0, "codec": "amr-wb-unknown"},
])
def test_bad_input_is_a_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        quality.rate(**kwargs)  # type: ignore[arg-type]
