"""A knowledge-base article: one per market, language and slug (return law differs by market)."""

from __future__ import annotations

from dataclasses import dataclass

from cbcs.contact.errors import check, check_id, check_language, check_market


@dataclass(frozen=True)
class Article:
    market: str
    language: str
    slug: str
    title: str
    body: str
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        check_market("article.market", self.market)
        check_language("article.language", self.language)
        check_id("article.slug", self.slug, 128)
        check(isinstance(self.title, str) and 0 < len(self.title) <= 300,
              "title: expected 1 to 300 characters")
        check(isinstance(self.body, str) and 0 < len(self.body) <= 100_000,
              "body: expected 1 to 100000 characters")
