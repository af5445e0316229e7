"""
cbcs media core (private; use cbcs.media)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['EModelResult', 'JitterDistribution', 'Link', 'allocation_count', 'burst_ratio', 'emodel', 'mos_from_r']
class JitterDistribution:
    """
    Members:
    
      gaussian
    
      heavy_tailed
    """
    __members__: typing.ClassVar[dict[str, JitterDistribution]]
    gaussian: typing.ClassVar[JitterDistribution]
    heavy_tailed: typing.ClassVar[JitterDistribution]
    @typing.overload
    def __eq__(self, other: JitterDistribution) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: JitterDistribution) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class Link:
    def __init__(self, *, base_delay_ms: typing.SupportsFloat | typing.SupportsIndex, jitter_ms: typing.SupportsFloat | typing.SupportsIndex, jitter_distribution: JitterDistribution, spike_probability: typing.SupportsFloat | typing.SupportsIndex, spike_ms: typing.SupportsFloat | typing.SupportsIndex, loss_rate: typing.SupportsFloat | typing.SupportsIndex, mean_burst: typing.SupportsFloat | typing.SupportsIndex, bandwidth_bps: typing.SupportsFloat | typing.SupportsIndex, queue_ms: typing.SupportsFloat | typing.SupportsIndex, reorder: bool, seed: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def send(self, send_ms: typing.SupportsFloat | typing.SupportsIndex, size_bytes: typing.SupportsInt | typing.SupportsIndex) -> float:
        """
        Arrival time (ms) of one packet, NaN when lost, dropped or invalid.
        """
    def stats(self) -> dict:
        ...
    def transmit(self, send_ms: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], size_bytes: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> numpy.typing.NDArray[numpy.float64]:
        """
        Arrival times (ms) of a send schedule; NaN where lost.
        """
class EModelResult:
    def __repr__(self) -> str:
        ...
    @property
    def delay_impairment(self) -> float:
        ...
    @property
    def equipment_impairment(self) -> float:
        ...
    @property
    def mos(self) -> float:
        ...
    @property
    def r(self) -> float:
        ...
def allocation_count() -> int:
    """
    Number of C++ heap allocations made inside cbcs._core since import.
    """
def burst_ratio(loss_fraction: typing.SupportsFloat | typing.SupportsIndex, mean_burst_packets: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
def emodel(one_way_delay_ms: typing.SupportsFloat | typing.SupportsIndex, loss_percent: typing.SupportsFloat | typing.SupportsIndex, burst_ratio: typing.SupportsFloat | typing.SupportsIndex, codec_ie: typing.SupportsFloat | typing.SupportsIndex, codec_bpl: typing.SupportsFloat | typing.SupportsIndex, advantage: typing.SupportsFloat | typing.SupportsIndex) -> EModelResult:
    ...
def mos_from_r(r: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
