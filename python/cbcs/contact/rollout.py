"""Where the AI first tier answers: a seller turns it on market by market, language by
language and channel by channel (the seed's phases: the Philippines with English first,
then Tagalog and Indonesia, then Thai, Vietnamese and voice ...). Elsewhere a conversation
goes straight to a person. With no rollout stored, the AI answers everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cbcs.contact.agent import CHANNELS
from cbcs.contact.errors import check, check_language, check_market


@dataclass(frozen=True)
class MarketRollout:
    languages: tuple[str, ...]
    channels: tuple[str, ...] = ("chat",)


@dataclass(frozen=True)
class Rollout:
    """``markets``: market -> the languages and channels the AI answers there."""

    markets: Mapping[str, MarketRollout]

    def allows(self, market: str, language: str, channel: str) -> bool:
        step = self.markets.get(market)
        return step is not None and language in step.languages and channel in step.channels

    @classmethod
    def parse(cls, data: object) -> Rollout:
        """From ``{"markets": {"PH": {"languages": ["en"], "channels": ["chat"]}}}``; a
        :class:`ConfigError` names what is wrong."""
        check(isinstance(data, dict) and isinstance(data.get("markets"), dict),
              "rollout: expected {\"markets\": {MARKET: {\"languages\": [...], "
              "\"channels\": [...]}}}")
        assert isinstance(data, dict)
        markets = {}
        for market, step in data["markets"].items():
            check_market("rollout market", market)
            check(isinstance(step, dict) and isinstance(step.get("languages"), list),
                  f"rollout.markets.{market}: expected {{\"languages\": [...], "
                  f"\"channels\": [...]}}")
            languages = tuple(check_language(f"rollout.markets.{market}.languages", lang)
                              for lang in step["languages"])
            channels = step.get("channels", ["chat"])
            check(isinstance(channels, list) and all(c in CHANNELS for c in channels),
                  f"rollout.markets.{market}.channels: expected some of "
                  f"{', '.join(CHANNELS)}, got {channels!r}")
            markets[market] = MarketRollout(languages, tuple(channels))
        return cls(markets)

    def to_json(self) -> dict[str, Any]:
        return {"markets": {m: {"languages": list(s.languages), "channels": list(s.channels)}
                            for m, s in sorted(self.markets.items())}}
