"""Redaction of card numbers, phone numbers and e-mail addresses in free text.

What counts, for the eight markets' usual ways of writing them:
- e-mail: ``name@domain.tld`` (also with ``+tags`` and sub-domains);
- card: 13 to 19 digits, optionally in groups split by spaces or dashes, that pass the
  Luhn check (so an order number that happens to be long is kept unless it is a valid
  card number);
- phone: an international number (``+`` or ``00`` then a country code, 8 to 15 digits in
  all, groups split by spaces, dots, dashes or brackets), or a national mobile or landline
  number with its trunk prefix as written in PH (09xx), BR ((11) 9xxxx-xxxx), MX, TH (08x),
  ID (08xx), VN (09x), CN (1xx xxxx xxxx), and ten-digit North American numbers.

Order references such as ``PH-10023`` or ``#4411`` and amounts such as ``1,299.00`` are
not touched: they are too short, or written with letters or decimal separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Digits with single separators between groups; the look-arounds keep it off longer runs
# and off numbers that are part of a word (order ids like BR1234567890).
_DIGIT_RUN = r"(?<![\w.,])(?:\+|00)?\(?\d(?:[\d]|[ .\-()/]{1,2}(?=[\d(])){6,24}\d(?![\w,]|\.\d)"
CANDIDATE = re.compile(_DIGIT_RUN)
#: National formats (digits only, after the separators are removed) by market.
NATIONAL = re.compile(
    r"^(?:"
    r"0\d{8,12}"          # a trunk prefix: PH 09xx / (02), BR 0 + area (+ carrier), TH 08x,
                          # ID 08xx, VN 09x / 03x; 9 to 13 digits in all
    r"|1[3-9]\d{9}"       # CN mobile 1xx xxxx xxxx
    r"|[1-9]\d9\d{8}"     # BR (11) 9xxxx-xxxx written without the trunk 0
    r"|[2-9]\d{9}"        # MX ten digits, NANP ten digits
    r")$")


@dataclass(frozen=True)
class Redaction:
    """The redacted text and what was found (counts per kind)."""

    text: str
    emails: int = 0
    cards: int = 0
    phones: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.emails or self.cards or self.phones)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _kind(token: str) -> str | None:
    digits = re.sub(r"\D", "", token)
    international = token.startswith("+") or (token.startswith("00") and len(digits) > 10)
    if 13 <= len(digits) <= 19 and not international and luhn_ok(digits):
        return "card"
    if international and 8 <= len(digits.removeprefix("00")) <= 15:
        return "phone"
    if NATIONAL.match(digits):
        return "phone"
    return None


def redact(text: str) -> Redaction:
    """``text`` with every e-mail address, card and phone number replaced by a tag
    (``[email]``, ``[card]``, ``[phone]``)."""
    counts = {"email": 0, "card": 0, "phone": 0}

    def email(m: re.Match[str]) -> str:
        counts["email"] += 1
        return "[email]"

    def number(m: re.Match[str]) -> str:
        token = m.group(0)
        kind = _kind(token)
        if kind is None:
            return token
        counts[kind] += 1
        return f"[{kind}]"

    out = CANDIDATE.sub(number, EMAIL.sub(email, text))
    return Redaction(out, counts["email"], counts["card"], counts["phone"])
