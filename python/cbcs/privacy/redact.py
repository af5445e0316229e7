"""Redaction of card numbers, phone numbers, e-mail addresses and personal ID numbers in
free text.

What counts, for the eight markets' usual ways of writing them:
- e-mail: ``name@domain.tld`` (also ``+tags``, sub-domains, a local part in any script,
  a full-width ``＠``, ``(at)``, or a space either side of the ``@``);
- card: 13 to 19 digits that pass the Luhn check (so an order number that happens to be
  long is kept unless it is a valid card number);
- phone: an international number (``+`` or ``00``, a country code and a national number
  of that country's length for the markets, 8 to 15 digits in all for others), a national mobile
  or landline number with its trunk prefix as written in PH (09xx, (02)), ID (08xx, (021)),
  TH (08x, 02), VN (09x, 028), BR (0xx), MX (044, 01), CN (0xx landlines), a number without
  a trunk prefix: CN mobiles (1xx xxxx xxxx), BR ((11) 9xxxx-xxxx, (11) 3xxx-xxxx), MX and
  North American ten digits (also 1-xxx-xxx-xxxx), and a market's country code without the
  ``+`` (WhatsApp links: 6281234567890);
- id: Brazil's CPF and Indonesia's NIK, Thailand's and China's citizen ID numbers (each
  with its check digits or date of birth checked), Mexico's CURP and a person's RFC.

Digits may be any script's (Thai ๐-๙, full-width ０-９) and split by spaces, dots, dashes,
slashes or brackets, one digit at a time if need be. A run of numbers is split where it
holds more than one (``0917 123 4567 0918 765 4321``, ``2 0917 123 4567``).

Kept: order references (``PH-10023``, ``#4411``, ``BR1234567890``: digits glued to Latin
letters are an identifier), amounts (``1,299.00``, ``R$ 1.234,56``, ``Rp 1.250.000.000``:
thousands groups), dates (``2026-11-30``, ``30/11/2026``), references that begin with a
year (``2026-000123``), times, postal codes and tracking codes. Privacy comes first: a long
digit run is searched for numbers inside it, so a 22-digit tracking number may lose a part
that reads as a phone or card number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_AT = r"\s?(?:[@＠]|\(at\)|\[at\])\s?"
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+" + _AT
                   + r"(?:[\w-]+\.)+(?:[A-Za-z]{2,}|xn--[A-Za-z0-9-]+)", re.IGNORECASE)

# The separators a number's groups are written with (ASCII and full-width).
_SEP = r"[ \t\u00a0\u2009\u202f\u3000.\-\u2010-\u2013\uff0d\uff0e()\uff08\uff09/]"
# A run of digits and separators (at most two between digits), not glued to a Latin letter
# or inside a longer number; possessive, so matching is linear in the text's length.
CANDIDATE = re.compile(r"(?<![A-Za-z_\d])(?<!\d[.,])[+＋]?[(（]?\d(?:" + _SEP + r"{0,2}\d)*+"
                       r"(?![A-Za-z_\d])(?![.,]\d)")
_GROUP = re.compile(r"\d+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_AMOUNT = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
#: National formats (ASCII digits, separators removed) of the markets.
NATIONAL = re.compile(
    r"0\d{8,12}"               # a trunk prefix: PH 09xx / (02), BR 0 + area, TH 08x / 02,
                               # ID 08xx / (021), VN 09x / 028, MX 044 / 01, CN 0xx landlines
    r"|1[3-9]\d{9}"            # CN mobile 1xx xxxx xxxx
    r"|[1-9]{2}9\d{8}"         # BR (11) 9xxxx-xxxx without the trunk 0
    r"|[2-9]\d{9}"             # MX ten digits, NANP ten digits
    r"|1[2-9]\d{2}[2-9]\d{6}"  # NANP with its country code 1
    # the markets' country codes without + or 00 (as in WhatsApp links)
    r"|63(?:9\d{9}|2\d{8})"                     # PH
    r"|62(?:8\d{8,11}|[2-7]\d{7,10})"           # ID
    r"|66(?:[689]\d{8}|2\d{7})"                 # TH
    r"|84(?:[35789]\d{8}|2\d{9})"               # VN
    r"|55[1-9]{2}(?:9\d{8}|[2-5]\d{7})"         # BR
    r"|521?[1-9]\d{9}"                          # MX
    r"|86(?:1[3-9]\d{9}|10\d{8}|[2-9]\d{8,10})"  # CN
)
#: A BR landline without its trunk 0, (11) 3123-4567: only when written in groups (a bare
#: ten-digit number starting with 1 is more often an order number).
BR_LANDLINE = re.compile(r"[1-9]{2}[2-5]\d{7}")

# Personal ID numbers written with letters (CURP, RFC) or a check letter (CN ID).
_CURP_STATES = ("AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|"
                "SR|TC|TS|TL|VZ|YN|ZS|NE")
_DATE6 = r"\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
LETTER_IDS = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    rf"[A-Z][AEIOUX][A-Z]{{2}}{_DATE6}[HMX](?:{_CURP_STATES})[B-DF-HJ-NP-TV-Z]{{3}}[A-Z\d]\d"
    rf"|[A-ZÑ&]{{4}}{_DATE6}[A-Z\d]{{2}}[A\d]"        # RFC of a person (13 characters)
    r"|(?P<cn>\d{6}(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX])"
    r")(?![A-Za-z0-9_])", re.IGNORECASE)
_NIK_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63,
     64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97})


@dataclass(frozen=True)
class Redaction:
    """The redacted text and what was found (counts per kind)."""

    text: str
    emails: int = 0
    cards: int = 0
    phones: int = 0
    ids: int = 0

    @property
    def changed(self) -> bool:
        """True when anything was redacted."""
        return bool(self.emails or self.cards or self.phones or self.ids)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number (ASCII digits)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def cpf_ok(digits: str) -> bool:
    """A Brazilian CPF: 11 digits whose last two are its mod-11 check digits."""
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    d = [ord(c) - 48 for c in digits]
    for n in (9, 10):
        check = sum(v * (n + 1 - i) for i, v in enumerate(d[:n])) * 10 % 11 % 10
        if check != d[n]:
            return False
    return True


def thai_id_ok(digits: str) -> bool:
    """A Thai citizen ID: 13 digits, the first 1 to 8, the last a mod-11 check digit."""
    if len(digits) != 13 or digits[0] not in "12345678":
        return False
    total = sum((ord(c) - 48) * (13 - i) for i, c in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == ord(digits[12]) - 48


def cn_id_ok(text: str) -> bool:
    """A Chinese resident ID: 17 digits and an ISO 7064 mod 11-2 check character."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((ord(c) - 48) * w for c, w in zip(text[:17], weights))
    return "10X98765432"[total % 11] == text[17].upper()


def nik_ok(digits: str) -> bool:
    """An Indonesian NIK: 16 digits, a province code, then the date of birth (the day
    plus 40 for women) and a serial number."""
    if len(digits) != 16 or int(digits[:2]) not in _NIK_PROVINCES:
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    return (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12 and digits[12:] != "0000"


def _kind(digits: str, plus: bool, grouped: bool) -> str | None:
    """What a number is (``card``, ``id``, ``phone``) or None, from its ASCII digits,
    whether it began with ``+`` and whether it was written in groups."""
    n = len(digits)
    if plus:
        return "phone" if _international_ok(digits) else None
    if 13 <= n <= 19 and luhn_ok(digits):
        return "card"
    if cpf_ok(digits) or thai_id_ok(digits) or nik_ok(digits) or cn_id_ok(digits):
        return "id"
    if digits.startswith("00") and n > 10 and _international_ok(digits[2:]):
        return "phone"
    if NATIONAL.fullmatch(digits) or (grouped and BR_LANDLINE.fullmatch(digits)):
        return "phone"
    return None


#: The national number's length after the markets' country codes (with MX's old mobile 1
#: and CN's landlines of 10 or 11 digits): a longer run after ``+55`` holds another number.
_NATIONAL_LENGTHS = {"1": (10,), "52": (10, 11), "55": (10, 11), "62": (9, 10, 11, 12),
                     "63": (9, 10), "66": (8, 9), "84": (9, 10), "86": (10, 11)}


def _international_ok(digits: str) -> bool:
    """``digits`` (after a ``+``) are a whole international number: one of the markets'
    country codes and a national number of its length, or 8 to 15 digits in all."""
    for code in (digits[:1], digits[:2]):
        lengths = _NATIONAL_LENGTHS.get(code)
        if lengths is not None:
            return len(digits) - len(code) in lengths
    return 8 <= len(digits) <= 15


def _is_date(values: list[str], seps: list[str]) -> bool:
    """Three groups joined by the same ``-``, ``/`` or ``.``: Y-M-D, D/M/Y or M/D/Y."""
    if len(seps) != 2 or seps[0] != seps[1] or seps[0] not in ("-", "/", "."):
        return False
    a, b, c = values
    if len(a) == 4 and a[:2] in ("19", "20") and len(b) <= 2 and len(c) <= 2:
        return 1 <= int(b) <= 12 and 1 <= int(c) <= 31
    if len(a) <= 2 and len(b) <= 2 and len(c) in (2, 4):
        x, y = int(a), int(b)
        return (1 <= x <= 31 and 1 <= y <= 12) or (1 <= x <= 12 and 1 <= y <= 31)
    return False


#: The most digits one number can have (a 19-digit card; 00 + 15 for a phone).
_MAX_DIGITS = 19


def _numbers(token: str) -> list[tuple[int, int, str]]:
    """The personal numbers in a run of digits and separators: (start, end, kind) within
    ``token``, left to right, the longest first."""
    ascii_token = _ascii_digits_keep(token)
    if _AMOUNT.fullmatch(ascii_token):
        return []
    groups = [(m.start(), m.end(), m.group(0)) for m in _GROUP.finditer(ascii_token)]
    seps = [ascii_token[groups[i][1]:groups[i + 1][0]] for i in range(len(groups) - 1)]
    # dates split the run: the numbers are looked for on either side of them; so does a
    # year that begins a reference (invoice 2026-000123)
    barrier = [False] * len(groups)
    for i in range(len(groups) - 2):
        if _is_date([g[2] for g in groups[i:i + 3]], seps[i:i + 2]):
            barrier[i] = barrier[i + 1] = barrier[i + 2] = True
    for i in range(len(groups) - 1):
        if _YEAR.fullmatch(groups[i][2]) and seps[i] in ("-", "/") \
                and len(groups[i + 1][2]) >= 3:
            barrier[i] = True
    plus = token[:1] in ("+", "＋")
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(groups):
        if barrier[i]:
            i += 1
            continue
        best: tuple[int, str] | None = None
        count = 0
        for j in range(i, len(groups)):
            if barrier[j]:
                break
            count += len(groups[j][2])
            if count > _MAX_DIGITS:
                break
            digits = "".join(g[2] for g in groups[i:j + 1])
            kind = _kind(digits, plus and i == 0, j > i)
            if kind is not None:
                best = (j, kind)
        if best is None:
            i += 1
            continue
        j, kind = best
        start = 0 if i == 0 else groups[i][0]
        found.append((start, groups[j][1], kind))
        i = j + 1
    return found


def _ascii_digits_keep(token: str) -> str:
    """``token`` with its digits in ASCII, same length (every decimal digit is one code
    point in any script)."""
    return "".join(chr(48 + unicodedata.decimal(ch)) if ch.isdecimal() else ch
                   for ch in token)


def redact(text: str) -> Redaction:
    """``text`` with every e-mail address, card number, phone number and personal ID
    number replaced by a tag (``[email]``, ``[card]``, ``[phone]``, ``[id]``)."""
    counts = {"email": 0, "card": 0, "phone": 0, "id": 0}

    def email(m: re.Match[str]) -> str:
        counts["email"] += 1
        return "[email]"

    def letter_id(m: re.Match[str]) -> str:
        if m.group("cn") is not None and not cn_id_ok(m.group("cn")):
            return m.group(0)
        counts["id"] += 1
        return "[id]"

    def number(m: re.Match[str]) -> str:
        token = m.group(0)
        parts = _numbers(token)
        if not parts:
            return token
        out: list[str] = []
        at = 0
        for start, end, kind in parts:
            counts[kind] += 1
            out.append(token[at:start])
            out.append(f"[{kind}]")
            at = end
        out.append(token[at:])
        return "".join(out)

    out = EMAIL.sub(email, text)
    out = LETTER_IDS.sub(letter_id, out)
    out = CANDIDATE.sub(number, out)
    return Redaction(out, counts["email"], counts["card"], counts["phone"], counts["id"])
