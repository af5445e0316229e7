"""
cbcs media core (private; use cbcs.media)
"""
from __future__ import annotations
import typing
__all__: list[str] = ['EModelResult', 'allocation_count', 'burst_ratio', 'emodel', 'mos_from_r']
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
