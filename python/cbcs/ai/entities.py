"""What a customer's turn names: an order, a product, an amount of money.

Orders are matched against the customer's own orders first (``1001`` finds ``PH-1001``;
"#PH-1001", "pedido 1001" and "order ko 1001" all do), so a number that is not theirs is
reported as such instead of being looked up elsewhere. Amounts keep their currency as an
ISO code where the symbol or code tells it (``R$ 459,90`` is BRL 459.90).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cbcs.contact.order import Order

_ORDER_ID = re.compile(r"#?\b([A-Z]{2}-?\d{3,10}|\d{4,10})\b", re.IGNORECASE)
_MONEY = re.compile(
    r"(?P<pre>R\$|MX\$|US\$|\$|₱|PHP|BRL|MXN|USD|IDR|Rp\.?|฿|THB|VND|₫|¥|CNY|RMB)\s?"
    r"(?P<a>\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"|(?P<b>\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)\s?"
    r"(?P<post>pesos|reais|baht|บาท|đ|₫|dong|VND|元|块|rupiah|PHP|BRL|MXN|IDR|THB)",
    re.IGNORECASE)
_CURRENCY = {"r$": "BRL", "brl": "BRL", "reais": "BRL", "mx$": "MXN", "mxn": "MXN",
             "pesos": None, "us$": "USD", "usd": "USD", "$": None, "₱": "PHP", "php": "PHP",
             "idr": "IDR", "rp": "IDR", "rp.": "IDR", "rupiah": "IDR", "฿": "THB",
             "thb": "THB", "baht": "THB", "บาท": "THB", "vnd": "VND", "₫": "VND", "đ": "VND",
             "dong": "VND", "¥": "CNY", "cny": "CNY", "rmb": "CNY", "元": "CNY", "块": "CNY"}
_MARKET_PESO = {"MX": "MXN", "PH": "PHP"}
_MARKET_DOLLAR = {"MX": "MXN", "US": "USD"}

#: product words in the markets' languages -> the catalogue's own word
PRODUCTS = {
    "sofa": "sofa", "sofá": "sofa", "couch": "sofa", "sillón": "sofa", "sillon": "sofa",
    "โซฟา": "sofa", "沙发": "sofa", "lamp": "lamp", "lámpara": "lamp", "lampara": "lamp",
    "luminária": "lamp", "luminaria": "lamp", "lampu": "lamp", "โคมไฟ": "lamp", "đèn": "lamp",
    "den": "lamp", "ilaw": "lamp", "lampara de pie": "lamp", "灯": "lamp", "rug": "rug",
    "alfombra": "rug", "tapete": "rug", "karpet": "rug", "พรม": "rug", "thảm": "rug",
    "tham": "rug", "basahan": "rug", "地毯": "rug", "chair": "chair", "silla": "chair",
    "cadeira": "chair", "kursi": "chair", "เก้าอี้": "chair", "ghế": "chair", "ghe": "chair",
    "upuan": "chair", "椅子": "chair", "table": "table", "mesa": "table", "meja": "table",
    "โต๊ะ": "table", "bàn": "table", "ban": "table", "lamesa": "table", "桌": "table",
    "shelf": "shelf", "estante": "shelf", "rak": "shelf", "ชั้นวาง": "shelf", "kệ": "shelf",
    "ke": "shelf", "istante": "shelf", "架": "shelf", "bed": "bed", "cama": "bed",
    "kasur": "bed", "ranjang": "bed", "เตียง": "bed", "giường": "bed", "giuong": "bed",
    "kama": "bed", "床": "bed",
}
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Entities:
    """``order_id``: one of the customer's orders the turn names; ``unknown_order``: a number
    that looks like an order but is not theirs; ``product`` the catalogue's word;
    ``amount`` with its ``currency`` (ISO 4217, None when the symbol does not tell)."""

    order_id: str | None = None
    unknown_order: str | None = None
    product: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


def _amount(text: str) -> Decimal | None:
    digits = text.replace(" ", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", digits):          # 1.234.567 or 1,234
        return Decimal(re.sub(r"[.,]", "", digits))
    match = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*|\d+)[.,](\d{1,2})", digits)
    if match:
        return Decimal(re.sub(r"[.,]", "", match.group(1)) + "." + match.group(2))
    try:
        return Decimal(re.sub(r"[.,]", "", digits))
    except InvalidOperation:
        return None


def extract(text: str, orders: Sequence[Order] = (), market: str | None = None) -> Entities:
    """The entities of ``text``, matched against the customer's ``orders``."""
    order_id = unknown = None
    by_number = {}
    for o in orders:
        by_number[o.id.upper()] = o.id
        by_number[o.id.upper().replace("-", "")] = o.id
        number = o.id.rsplit("-", 1)[-1]
        by_number.setdefault(number.upper(), o.id)
    for match in _ORDER_ID.finditer(text):
        token = match.group(1).upper()
        if token in by_number:
            order_id = by_number[token]
            break
        if unknown is None and not _is_money_context(text, match.start()):
            unknown = match.group(1)
    amount = currency = None
    money = _MONEY.search(text)
    if money:
        symbol = (money.group("pre") or money.group("post") or "").lower()
        amount = _amount(money.group("a") or money.group("b"))
        currency = _CURRENCY.get(symbol)
        if symbol == "pesos":
            currency = _MARKET_PESO.get(market or "")
        elif symbol == "$":
            currency = _MARKET_DOLLAR.get(market or "")
        if amount is not None and unknown and unknown in money.group(0):
            unknown = None
    lowered = text.lower()
    product = None
    for word in _WORD.findall(lowered):
        if word in PRODUCTS:
            product = PRODUCTS[word]
            break
    if product is None:
        for word, name in PRODUCTS.items():
            if not word.isascii() and not any(c.isspace() for c in word) and word in lowered:
                product = name
                break
    return Entities(order_id, None if order_id else unknown, product, amount, currency)


def _is_money_context(text: str, start: int) -> bool:
    before = text[max(0, start - 4):start]
    return any(s in before for s in ("$", "₱", "Rp", "฿", "¥", "R$"))
