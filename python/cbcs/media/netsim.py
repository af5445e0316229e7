"""Link emulator: impairs packets in-process with delay, jitter, stalls, bursty loss and a
bandwidth bottleneck. Deterministic for a seed.

Two ways to use it:

* batch: ``Link("latam-3g", seed=1).transmit(send_ms, size_bytes)`` turns a whole send
  schedule into arrival times (NaN where lost) at millions of packets per second;
* streaming: ``link.send(now_ms, len(datagram))`` for live packets, returning the arrival
  time or ``None`` when the packet is lost.

The named profiles (``lan``, ``sea-4g``, ``latam-3g``, ``cross-border``, ``worst``) live in
``profiles.toml`` beside this module; users add their own with :func:`load_profiles` or by
pointing the ``CBCS_PROFILES`` environment variable at a TOML file of the same shape.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from cbcs import _core
from cbcs.errors import ConfigError

JitterDistribution = Literal["gaussian", "heavy_tailed"]


@dataclass(frozen=True)
class LinkParams:
    """One direction of a link. See ``profiles.toml`` for what each field means."""

    base_delay_ms: float = 0.0
    jitter_ms: float = 0.0
    jitter_distribution: JitterDistribution = "gaussian"
    spike_probability: float = 0.0
    spike_ms: float = 0.0
    loss_rate: float = 0.0
    mean_burst: float = 1.0
    bandwidth_bps: float = 0.0
    queue_ms: float = 0.0
    reorder: bool = False
    description: str = ""


_FIELDS = {f.name for f in dataclasses.fields(LinkParams)}
_profiles: dict[str, LinkParams] = {}


def _params_from_table(name: str, table: dict[str, Any]) -> LinkParams:
    unknown = set(table) - _FIELDS
    if unknown:
        raise ConfigError(
            f"profile {name!r}: unknown field(s) {', '.join(sorted(unknown))}; "
            f"expected some of {', '.join(sorted(_FIELDS))}"
        )
    params = LinkParams(**table)
    _validated(params)  # fail at load time, not at first use
    return params


def load_profiles(path: str | os.PathLike[str]) -> dict[str, LinkParams]:
    """Read profiles from a TOML file (one table per profile) and make them available by name.

    Returns the profiles read. A profile of the same name as an existing one replaces it.
    """
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    loaded = {}
    for name, table in doc.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {name!r} must be a table of link fields")
        loaded[name] = _params_from_table(name, table)
    _profiles.update(loaded)
    return loaded


def _load_builtin() -> None:
    text = resources.files("cbcs.media").joinpath("profiles.toml").read_text(encoding="utf-8")
    for name, table in tomllib.loads(text).items():
        _profiles[name] = _params_from_table(name, table)
    if extra := os.environ.get("CBCS_PROFILES"):
        load_profiles(extra)


#: Names of the profiles that ship with cbcs, in order from best to worst.
PROFILE_NAMES: tuple[str, ...] = ("lan", "sea-4g", "latam-3g", "cross-border", "worst")


def profile(name: str) -> LinkParams:
    """The parameters of a named profile (built in or loaded)."""
    try:
        return _profiles[name]
    except KeyError:
        raise ConfigError(
            f"profile: expected one of {', '.join(sorted(_profiles))}, got {name!r}"
        ) from None


def profiles() -> dict[str, LinkParams]:
    """All profiles known now, by name."""
    return dict(_profiles)


def _validated(params: LinkParams, seed: int = 0) -> Any:
    if params.jitter_distribution not in ("gaussian", "heavy_tailed"):
        raise ConfigError(
            "jitter_distribution: expected 'gaussian' or 'heavy_tailed', "
            f"got {params.jitter_distribution!r}"
        )
    if not 0 <= seed < 2**64:
        raise ConfigError(f"seed: expected an integer in [0, 2**64), got {seed}")
    return _core.Link(
        base_delay_ms=params.base_delay_ms,
        jitter_ms=params.jitter_ms,
        jitter_distribution=getattr(_core.JitterDistribution, params.jitter_distribution),
        spike_probability=params.spike_probability,
        spike_ms=params.spike_ms,
        loss_rate=params.loss_rate,
        mean_burst=params.mean_burst,
        bandwidth_bps=params.bandwidth_bps,
        queue_ms=params.queue_ms,
        reorder=params.reorder,
        seed=seed,
    )


class Link:
    """One direction of an emulated link, stateful across packets.

    ``Link("sea-4g", seed=3)`` or ``Link(LinkParams(base_delay_ms=80, jitter_ms=20))``.
    Raises :class:`cbcs.ConfigError` for unknown profiles or out-of-range parameters.
    """

    def __init__(self, params: LinkParams | str, seed: int = 0) -> None:
        self.params = profile(params) if isinstance(params, str) else params
        self.seed = seed
        self._link = _validated(self.params, seed)

    def send(self, send_ms: float, size_bytes: int) -> float | None:
        """Arrival time (ms) of one packet handed to the link at ``send_ms``, or ``None``
        when it is lost, dropped at the bottleneck or invalid (counted in :meth:`stats`)."""
        arrival = self._link.send(float(send_ms), int(size_bytes))
        return None if arrival != arrival else float(arrival)  # NaN -> None

    def transmit(
        self,
        send_ms: npt.ArrayLike,
        size_bytes: npt.NDArray[np.int32] | int,
    ) -> npt.NDArray[np.float64]:
        """Arrival times (ms, float64) of a whole send schedule; NaN where lost.

        ``send_ms`` is converted to float64 (times are not audio: a list is fine);
        ``size_bytes`` is an int32 array of the same length or one size for all packets.
        Runs without the GIL.
        """
        send = np.ascontiguousarray(send_ms, dtype=np.float64)
        if send.ndim != 1:
            raise ConfigError(f"send_ms: expected a 1-D schedule, got shape {send.shape}")
        if isinstance(size_bytes, (int, np.integer)):
            sizes = np.full(send.shape[0], int(size_bytes), dtype=np.int32)
        else:
            sizes = size_bytes
        try:
            out: npt.NDArray[np.float64] = self._link.transmit(send, sizes)
        except (TypeError, ValueError) as exc:
            raise ConfigError(str(exc)) from None
        return out

    def stats(self) -> dict[str, int]:
        """Counts so far: sent, delivered, lost (random), dropped (queue full), invalid."""
        return dict(self._link.stats())

    def __repr__(self) -> str:
        return f"Link({self.params!r}, seed={self.seed})"


_load_builtin()
