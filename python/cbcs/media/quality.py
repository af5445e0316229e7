"""ITU-T G.107 E-model: transmission rating R and estimated MOS of a voice path.

Only delay, loss (with its burstiness) and the codec vary; every other G.107 parameter
keeps its default, so a perfect path rates R = 93.2 (MOS 4.41).
"""

from __future__ import annotations

from dataclasses import dataclass

from cbcs import _core
from cbcs.errors import ConfigError


@dataclass(frozen=True)
class Codec:
    """Equipment impairment ``ie`` and loss robustness ``bpl`` (ITU-T G.113 Appendix I)."""

    name: str
    ie: float
    bpl: float


#: Codecs with G.113 values. G.113 lists no narrowband figures for Opus; ``opus`` uses
#: G.711 with packet-loss concealment (Ie 0, Bpl 25.1) as a stated, conservative stand-in.
CODECS: dict[str, Codec] = {
    "g711": Codec("g711", 0.0, 4.3),
    "g711-plc": Codec("g711-plc", 0.0, 25.1),
    "g729a": Codec("g729a", 11.0, 19.0),
    "opus": Codec("opus", 0.0, 25.1),
}


@dataclass(frozen=True)
class Rating:
    """Result of :func:`rate`: R (0-100), MOS (1-4.5) and the two impairments."""

    r: float
    mos: float
    delay_impairment: float
    equipment_impairment: float


def rate(
    one_way_delay_ms: float,
    loss_percent: float = 0.0,
    *,
    codec: str | Codec = "opus",
    burst_ratio: float = 1.0,
    advantage: float = 0.0,
) -> Rating:
    """Rate a voice path from its mouth-to-ear delay and residual loss.

    ``burst_ratio`` is G.107's BurstR (1 for random loss; see :func:`burst_ratio`).
    Raises :class:`cbcs.ConfigError` for negative, non-finite or out-of-range values.
    """
    if isinstance(codec, str):
        if codec not in CODECS:
            raise ConfigError(f"codec: expected one of {', '.join(CODECS)}, got {codec!r}")
        codec = CODECS[codec]
    res = _core.emodel(
        float(one_way_delay_ms), float(loss_percent), float(burst_ratio),
        codec.ie, codec.bpl, float(advantage),
    )
    return Rating(res.r, res.mos, res.delay_impairment, res.equipment_impairment)


def mos_from_r(r: float) -> float:
    """G.107 Annex B mapping of a rating R to MOS."""
    return float(_core.mos_from_r(float(r)))


def burst_ratio(loss_fraction: float, mean_burst_packets: float) -> float:
    """BurstR from a measured loss rate (0..1) and mean loss-burst length in packets."""
    return float(_core.burst_ratio(float(loss_fraction), float(mean_burst_packets)))
