"""A text labelled by a person at work: the intent an agent corrected, the intent of a
conversation they resolved. The AI tier's classifiers learn from these, per market and
language; the text is stored redacted."""

from __future__ import annotations

from dataclasses import dataclass

from cbcs.contact.errors import check, check_language, check_market

#: what a customer may want: the AI tier's taxonomy
INTENTS = ("order_status", "shipping_time", "return_request", "refund_status",
           "cancel_order", "payment_methods", "change_address", "damaged_item", "wrong_item",
           "product_question", "coupon_discount", "account_login", "speak_to_human",
           "complaint", "thanks_goodbye")
SENTIMENTS = ("negative", "neutral", "positive")
KINDS = ("intent", "sentiment")
SOURCES = ("correction", "resolved")


@dataclass(frozen=True)
class LabelledExample:
    kind: str
    market: str
    language: str
    label: str
    text: str
    source: str
    created_at: float = 0.0

    def __post_init__(self) -> None:
        check(self.kind in KINDS, f"kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        check_market("example.market", self.market)
        check_language("example.language", self.language)
        labels = INTENTS if self.kind == "intent" else SENTIMENTS
        check(self.label in labels,
              f"{self.kind}: expected one of {', '.join(labels)}, got {self.label!r}")
        check(isinstance(self.text, str) and 0 < len(self.text.strip()) and len(self.text)
              <= 4000, "text: expected 1 to 4000 characters")
        check(self.source in SOURCES,
              f"source: expected one of {', '.join(SOURCES)}, got {self.source!r}")
