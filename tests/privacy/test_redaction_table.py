"""The redaction table: the card, phone, e-mail and personal ID formats of the eight markets
(PH, ID, TH, VN, BR, MX, CN for the seller's side, and US-style English), inside sentences
in the markets' languages, none of which survives :func:`cbcs.privacy.redact`; and the
order numbers, amounts, dates, times, tracking and postal codes that must survive it.

The same table is posted through a real node in ``test_redaction_storage.py``. Card
numbers are the networks' published test numbers or Luhn-valid numbers on the networks'
prefixes; ID numbers are made up with valid check digits. None is a real person's.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

import pytest

from cbcs.privacy import redact
from cbcs.privacy.redact import cn_id_ok, cpf_ok, luhn_ok, nik_ok, thai_id_ok


class Case(NamedTuple):
    """A sentence with personal data: ``secrets`` must not survive, each replaced by a tag
    of its ``kind``."""

    market: str
    kind: str          # phone, card, email, id
    text: str
    secrets: tuple[str, ...]


def c(market: str, kind: str, text: str, *secrets: str) -> Case:
    return Case(market, kind, text, secrets)


PERSONAL: list[Case] = [
    # --- Philippines (Tagalog, Taglish) ---------------------------------------------------
    c("PH", "phone", "Pwede po ba kayong tumawag sa +63 917 123 4567?", "+63 917 123 4567"),
    c("PH", "phone", "Ito po number ko 0917-123-4567, salamat po", "0917-123-4567"),
    c("PH", "phone", "I-text niyo na lang po ako sa 09171234567.", "09171234567"),
    c("PH", "phone", "Landline namin (02) 8123 4567 po", "(02) 8123 4567"),
    c("PH", "phone", "office +63 2 8123 4567 po", "+63 2 8123 4567"),
    c("PH", "phone", "GCash number ko 0917.123.4567", "0917.123.4567"),
    c("PH", "phone", "wa.me/639171234567 po", "639171234567"),
    c("PH", "phone", "call me 0 9 1 7 1 2 3 4 5 6 7 po", "0 9 1 7 1 2 3 4 5 6 7"),
    c("PH", "phone", "Tel.0917 123 4567", "0917 123 4567"),
    c("PH", "phone", "dalawa po: 0917 123 4567 0918 765 4321",
      "0917 123 4567", "0918 765 4321"),
    c("PH", "email", "Ang email ko po ay juan.delacruz+lazada@gmail.com",
      "juan.delacruz+lazada@gmail.com"),
    c("PH", "card", "Yung card ko po 4111 1111 1111 1111, bakit declined?",
      "4111 1111 1111 1111"),
    # --- Indonesia (Bahasa) ---------------------------------------------------------------
    c("ID", "phone", "Tolong hubungi saya di +62 812-3456-7890 ya kak", "+62 812-3456-7890"),
    c("ID", "phone", "Nomor WA saya 0812 3456 7890, makasih", "0812 3456 7890"),
    c("ID", "phone", "hp: 08123456789", "08123456789"),
    c("ID", "phone", "Telepon kantor (021) 5790 1234", "(021) 5790 1234"),
    c("ID", "phone", "kantor +62 21 5790 1234", "+62 21 5790 1234"),
    c("ID", "phone", "chat aja ke 62 812 3456 7890", "62 812 3456 7890"),
    c("ID", "email", "Kirim fakturnya ke budi.santoso@yahoo.co.id ya", "budi.santoso@yahoo.co.id"),
    c("ID", "card", "kartu kredit saya 5555-5555-5555-4444", "5555-5555-5555-4444"),
    c("ID", "id", "NIK saya 3174051205890003 untuk verifikasi", "3174051205890003"),
    c("ID", "id", "NIK: 3273 0156 0792 0001", "3273 0156 0792 0001"),
    # --- Thailand (Thai: no spaces between words; Thai digits) ----------------------------
    c("TH", "phone", "โทรหาฉันที่ 081-234-5678 ได้เลยค่ะ", "081-234-5678"),
    c("TH", "phone", "เบอร์ +66 81 234 5678 ครับ", "+66 81 234 5678"),
    c("TH", "phone", "โทร0812345678ค่ะ", "0812345678"),
    c("TH", "phone", "โทร ๐๘๑-๒๓๔-๕๖๗๘ นะคะ", "๐๘๑-๒๓๔-๕๖๗๘"),
    c("TH", "phone", "สำนักงาน 02-123-4567 ครับ", "02-123-4567"),
    c("TH", "email", "อีเมล somchai.k@hotmail.co.th ครับ", "somchai.k@hotmail.co.th"),
    c("TH", "id", "เลขบัตรประชาชน 1-1037-00543-21-0 ค่ะ", "1-1037-00543-21-0"),
    c("TH", "card", "บัตร 3530 1113 3330 0000 ตัดเงินสองครั้ง", "3530 1113 3330 0000"),
    # --- Vietnam (Vietnamese) -------------------------------------------------------------
    c("VN", "phone", "Gọi cho em số +84 91 234 56 78 nhé", "+84 91 234 56 78"),
    c("VN", "phone", "Số điện thoại của tôi là 091 234 5678.", "091 234 5678"),
    c("VN", "phone", "SĐT: 0912.345.678", "0912.345.678"),
    c("VN", "phone", "văn phòng 028 3812 3456", "028 3812 3456"),
    c("VN", "phone", "Zalo 84912345678 ạ", "84912345678"),
    c("VN", "email", "Email của tôi: nguyễn.văn.an@gmail.com", "nguyễn.văn.an@gmail.com"),
    c("VN", "card", "thẻ Visa 4012.8888.8888.1881 bị trừ tiền", "4012.8888.8888.1881"),
    # --- Brazil (Portuguese) --------------------------------------------------------------
    c("BR", "phone", "Meu celular é +55 (11) 91234-5678, pode ligar", "+55 (11) 91234-5678"),
    c("BR", "phone", "Liga no (11) 91234-5678 depois das 18h", "(11) 91234-5678"),
    c("BR", "phone", "zap 11 91234-5678", "11 91234-5678"),
    c("BR", "phone", "Telefone fixo (11) 3123-4567", "(11) 3123-4567"),
    c("BR", "phone", "fixo (21) 2555-1234", "(21) 2555-1234"),
    c("BR", "phone", "com DDD 011 91234-5678", "011 91234-5678"),
    c("BR", "phone", "0800 123 4567 é o SAC", "0800 123 4567"),
    c("BR", "email", "meu e-mail é joão.silva@uol.com.br", "joão.silva@uol.com.br"),
    c("BR", "email", "manda pra ana.souza @ gmail.com", "ana.souza @ gmail.com"),
    c("BR", "card", "Paguei com o cartão Elo 6363 6812 3456 7894", "6363 6812 3456 7894"),
    c("BR", "card", "cartão Hipercard 6062825624254001", "6062825624254001"),
    c("BR", "card", "Mastercard 2223 0031 2200 3222 foi cobrado", "2223 0031 2200 3222"),
    c("BR", "id", "Meu CPF é 123.456.789-09, para a nota fiscal", "123.456.789-09"),
    c("BR", "id", "cpf 52998224725", "52998224725"),
    # --- Mexico (Spanish) -----------------------------------------------------------------
    c("MX", "phone", "Mi celular es +52 55 1234 5678", "+52 55 1234 5678"),
    c("MX", "phone", "Márcame al 55 1234 5678 por favor", "55 1234 5678"),
    c("MX", "phone", "tel (55) 1234-5678", "(55) 1234-5678"),
    c("MX", "phone", "whatsapp +52 1 33 1234 5678", "+52 1 33 1234 5678"),
    c("MX", "phone", "desde fijo 044 81 1234 5678", "044 81 1234 5678"),
    c("MX", "email", "mi correo es maría.lópez+tienda@correo.com.mx",
      "maría.lópez+tienda@correo.com.mx"),
    c("MX", "card", "mi tarjeta American Express 3782 822463 10005", "3782 822463 10005"),
    c("MX", "card", "tarjeta 5105105105105100 vence 12/27", "5105105105105100"),
    c("MX", "id", "Mi CURP es GODE561231HDFRRN09", "GODE561231HDFRRN09"),
    c("MX", "id", "el RFC para la factura: GODE561231GR8", "GODE561231GR8"),
    c("MX", "id", "curp gode561231mdfrrn04", "gode561231mdfrrn04"),
    # --- China (the seller's side; full-width digits) -------------------------------------
    c("CN", "phone", "请打我电话+86 138 0013 8000", "+86 138 0013 8000"),
    c("CN", "phone", "我的手机13800138000，谢谢", "13800138000"),
    c("CN", "phone", "手机 138-0013-8000", "138-0013-8000"),
    c("CN", "phone", "座机010-6552 9988", "010-6552 9988"),
    c("CN", "phone", "电话：１３８００１３８０００", "１３８００１３８０００"),
    c("CN", "phone", "深圳办公室（0755）8123 4567", "（0755）8123 4567"),
    c("CN", "email", "邮箱 zhang.wei@163.com 谢谢", "zhang.wei@163.com"),
    c("CN", "email", "发到 wang_fang＠qq.com", "wang_fang＠qq.com"),
    c("CN", "id", "身份证号11010519491231002X", "11010519491231002X"),
    c("CN", "id", "身份证 440304199003073219", "440304199003073219"),
    c("CN", "card", "银联卡 6212 2600 0000 0000 01", "6212 2600 0000 0000 01"),
    # --- US-style English ---------------------------------------------------------------
    c("US", "phone", "call me at (415) 555-2671 after 5", "(415) 555-2671"),
    c("US", "phone", "my cell is +1 415-555-2671", "+1 415-555-2671"),
    c("US", "phone", "dial 1-212-555-0199", "1-212-555-0199"),
    c("US", "phone", "or 415.555.2671", "415.555.2671"),
    c("US", "card", "card 4111-1111-1111-1111 exp 08/29 cvv 123", "4111-1111-1111-1111"),
    c("US", "card", "visa 4222222222222", "4222222222222"),
    c("US", "card", "card 4111 1111 1111 1111 12/27 123", "4111 1111 1111 1111"),
    c("US", "card", "Discover 6011 1111 1111 1117", "6011 1111 1111 1117"),
    c("US", "card", "diners 3056 930902 5904", "3056 930902 5904"),
    c("US", "card", "maestro 6759 6498 2643 8453 128", "6759 6498 2643 8453 128"),
    c("US", "card", "spaced out 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
      "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"),
    c("US", "email", "email john.doe@mail.example.co.uk.", "john.doe@mail.example.co.uk"),
    c("US", "email", "John.Doe(at)Example.com", "John.Doe(at)Example.com"),
    # --- several at once ---------------------------------------------------------------
    c("MX", "phone", "Soy Ana, 55 1234 5678, ana@correo.mx, tarjeta 4111111111111111",
      "55 1234 5678", "ana@correo.mx", "4111111111111111"),
    c("BR", "phone", "entregue em 30/11/2026 — meu cel (11) 91234-5678",
      "(11) 91234-5678"),
    c("PH", "phone", "2026-11-30 0917 123 4567", "0917 123 4567"),
]

KEPT: list[tuple[str, str]] = [
    # order numbers and SKUs
    ("PH", "Order PH-1001 po, total ₱2,499.00"),
    ("PH", "order PH-10023 total 1,299.00 PHP"),
    ("MX", "mi pedido #4411 llegó incompleto"),
    ("BR", "pedido BR1234567890 ainda não chegou"),
    ("US", "order 123456789 please"),
    ("VN", "đơn hàng VN-20231 của em"),
    ("US", "sofa model SF-2201, 3 seats, 2 cushions"),
    # amounts
    ("BR", "Pedido BR-55012: R$ 1.234,56 em 3x de R$ 411,52"),
    ("ID", "Totalnya Rp 1.250.000.000 untuk 50 unit"),
    ("ID", "ongkir Rp 12.500"),
    ("TH", "ราคา 1,590 บาท"),
    ("VN", "Giá 1.500.000đ, phí ship 25.000 ₫"),
    ("MX", "son $12,499.00 MXN en 12 meses"),
    ("CN", "货款 ¥3,280.50"),
    # dates and times
    ("US", "delivered on 2026-11-30 at 14:05"),
    ("PH", "dumating 2026-11-30 14:05"),
    ("BR", "entregue em 30/11/2026 às 14h05"),
    ("ID", "dikirim 30.11.2026 jam 10.30"),
    ("MX", "horario 10:30-18:00, de lunes a viernes"),
    ("CN", "2026年11月30日 14:05 发货"),
    ("US", "return within 30 days, 7 days for MX"),
    # tracking and postal codes
    ("US", "tracking 1Z999AA10123456784"),
    ("US", "FedEx 7489 1234 5678"),
    ("MX", "factura 2026-000123"),
    ("BR", "rastreio NL123456789BR"),
    ("PH", "J&T JT0001234567890"),
    ("TH", "Kerry KEX1234567890"),
    ("BR", "CEP 01310-100, São Paulo"),
    ("MX", "C.P. 06600, CDMX"),
    ("ID", "kode pos 12190"),
    ("PH", "1229 Makati City"),
    ("VN", "mã bưu chính 700000"),
    ("CN", "邮编 100080"),
    # numbers that only look like one
    ("US", "4111 1111 1111 1112 is not a valid card"),
    ("US", "the router is at 192.168.1.10"),
    ("US", "version 2.14.3"),
]


def _digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


@pytest.mark.parametrize("case", PERSONAL, ids=[f"{x.market}-{x.kind}:{x.secrets[0]}"
                                                for x in PERSONAL])
def test_personal_data_never_survives(case: Case) -> None:
    r = redact(case.text)
    left = _digits(r.text)
    for secret in case.secrets:
        assert secret not in r.text, r.text
        digits = _digits(secret)
        if len(digits) >= 6:
            assert digits not in left, r.text
    assert r.changed
    # the agent sees what was there: an id may also be a valid card number
    tags = {"id": ("[id]", "[card]")}.get(case.kind, (f"[{case.kind}]",))
    assert any(t in r.text for t in tags), r.text


@pytest.mark.parametrize(("market", "text"), KEPT, ids=[t for _, t in KEPT])
def test_order_numbers_amounts_dates_and_codes_survive(market: str, text: str) -> None:
    r = redact(text)
    assert r.text == text
    assert not r.changed


def test_the_table_covers_every_market_and_kind() -> None:
    markets = {x.market for x in PERSONAL}
    assert markets >= {"PH", "ID", "TH", "VN", "BR", "MX", "CN", "US"}
    for m in ("PH", "ID", "TH", "VN", "BR", "MX", "CN", "US"):
        kinds = {x.kind for x in PERSONAL if x.market == m}
        assert {"phone", "email", "card"} <= kinds, m


def test_the_table_numbers_are_what_they_claim() -> None:
    """The table's cards pass Luhn and its IDs their checks, so a pass means the rule
    worked, not that the number was malformed."""
    for x in PERSONAL:
        for secret in x.secrets:
            d = _digits(secret)
            if x.kind == "card":
                assert luhn_ok(d), secret
            if x.kind == "id" and not any(ch.isalpha() for ch in secret.rstrip("X")):
                ident = d + ("X" if secret.endswith("X") else "")
                assert cpf_ok(d) or thai_id_ok(d) or nik_ok(d) or cn_id_ok(ident), secret


def test_counts_per_kind() -> None:
    r = redact("ana@correo.mx 4111111111111111 +52 55 1234 5678 123.456.789-09")
    assert (r.emails, r.cards, r.phones, r.ids) == (1, 1, 1, 1)
    assert r.text == "[email] [card] [phone] [id]"


def test_a_long_adversarial_text_is_fast() -> None:
    import time
    texts = ["1 " * 2000, "1." * 2000, "a@" * 2000, "9" * 4000 + "x", "+(" * 2000,
             ("0917 123 4567 " * 300)[:4000]]
    t0 = time.perf_counter()
    for t in texts:
        redact(t)
    assert time.perf_counter() - t0 < 2.0
