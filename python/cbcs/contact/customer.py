"""A customer: who writes or calls, in which language and market, and how much they matter."""

from __future__ import annotations

from dataclasses import dataclass

from cbcs.contact.errors import check, check_id, check_language, check_market
from cbcs.contact.shift import check_time_zone

TIERS = ("standard", "gold", "vip")  # order matters: later tiers are served first


@dataclass(frozen=True)
class Customer:
    """One customer of a seller; every conversation of theirs shares one history."""

    id: str
    language: str = "en"
    market: str = "US"
    time_zone: str = "UTC"
    tier: str = "standard"
    name: str = ""

    def __post_init__(self) -> None:
        check_id("customer.id", self.id)
        check_language("customer.language", self.language)
        check_market("customer.market", self.market)
        check_time_zone("customer.time_zone", self.time_zone)
        check(self.tier in TIERS, f"customer.tier: expected one of {', '.join(TIERS)}, "
                                  f"got {self.tier!r}")


def tier_rank(tier: str) -> int:
    """0 for standard, higher for tiers served first; unknown tiers rank as standard."""
    return TIERS.index(tier) if tier in TIERS else 0
