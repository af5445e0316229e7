"""Card, phone and e-mail formats of the eight markets never survive redaction; order
references, amounts and dates do."""

from __future__ import annotations

import pytest

from cbcs.privacy import redact
from cbcs.privacy.redact import luhn_ok

PERSONAL = [
    # (market, text, the personal part that must disappear)
    ("PH", "pls call 0917 123 4567 po", "0917 123 4567"),
    ("PH", "my number is +63 917 123 4567", "+63 917 123 4567"),
    ("PH", "landline (02) 8123 4567", "(02) 8123 4567"),
    ("BR", "meu zap (11) 98765-4321", "(11) 98765-4321"),
    ("BR", "liga +55 11 98765 4321", "+55 11 98765 4321"),
    ("BR", "celular 011 98765-4321", "011 98765-4321"),
    ("MX", "mi cel es 55 1234 5678", "55 1234 5678"),
    ("MX", "tel +52 1 55 1234 5678", "+52 1 55 1234 5678"),
    ("TH", "โทร 081-234-5678 ครับ", "081-234-5678"),
    ("TH", "เบอร์ +66 81 234 5678", "+66 81 234 5678"),
    ("ID", "hubungi 0812-3456-7890 ya", "0812-3456-7890"),
    ("ID", "WA +62 812 3456 7890", "+62 812 3456 7890"),
    ("VN", "số của em 0912 345 678", "0912 345 678"),
    ("VN", "gọi +84 91 234 5678", "+84 91 234 5678"),
    ("CN", "电话 138 1234 5678", "138 1234 5678"),
    ("CN", "手机+86 13812345678", "+86 13812345678"),
    ("US", "call (415) 555-2671", "(415) 555-2671"),
    ("any", "card 4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111"),
    ("any", "cartão 5500-0000-0000-0004", "5500-0000-0000-0004"),
    ("any", "amex 378282246310005", "378282246310005"),
    ("any", "tarjeta 6011000990139424", "6011000990139424"),
    ("any", "write to maria.lopez+tienda@correo.com.mx", "maria.lopez+tienda@correo.com.mx"),
    ("any", "email: somchai_k@hotmail.co.th.", "somchai_k@hotmail.co.th"),
    ("any", "00 63 917 123 4567", "00 63 917 123 4567"),
]

KEPT = [
    "order PH-10023 total 1,299.00 PHP",
    "pedido BR-55012, R$ 349,90 em 3x",
    "order 123456789 please",
    "tracking 1Z999AA10123456784",
    "delivered on 2026-11-30 at 14:05",
    "return within 30 days, 7 days for MX",
    "sofa model SF-2201, 3 seats",
    "4111 1111 1111 1112 is not a valid card",  # fails Luhn: not a card, too long for a phone
]


@pytest.mark.parametrize(("market", "text", "secret"), PERSONAL,
                         ids=[f"{m}:{s}" for m, _, s in PERSONAL])
def test_personal_data_is_redacted(market: str, text: str, secret: str) -> None:
    r = redact(text)
    assert secret not in r.text, r.text
    digits = "".join(ch for ch in secret if ch.isdigit())
    if digits:
        assert digits not in "".join(ch for ch in r.text if ch.isdigit()), r.text
    assert r.changed


@pytest.mark.parametrize("text", KEPT)
def test_order_references_amounts_and_dates_are_kept(text: str) -> None:
    assert redact(text).text == text


def test_counts_and_tags() -> None:
    r = redact("a@b.co, 4111111111111111 and +63 917 123 4567")
    assert (r.emails, r.cards, r.phones) == (1, 1, 1)
    assert r.text == "[email], [card] and [phone]"


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
