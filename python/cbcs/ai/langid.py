"""Which language a customer writes in, among the markets' languages.

:class:`LinguaLanguageId` runs lingua restricted to the eight languages cbcs serves (so
Tagalog is not mistaken for Cebuano or Malay for Indonesian) and answers BCP 47 tags as
the rest of cbcs uses them (``pt-BR``, ``tl``, ``zh``). Thai and Chinese are told by their
script. A text too short to tell ("ok", "1001", an emoji) keeps the language the
conversation already has (``hint``).

Chat in Vietnamese is often typed without its tone marks ("don hang cua toi dau roi"),
and colloquial Indonesian and Taglish are short and full of loanwords; lingua is unsure
of such texts (confidence below 0.6). There a count of each language's commonest
function words, written without diacritics, decides when it clearly points one way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

from cbcs.ai.models import ModelError
from cbcs.ai.text import fold

#: the languages of the markets, as cbcs tags them
LANGUAGES = ("en", "es", "pt-BR", "id", "th", "vi", "tl", "zh")


@dataclass(frozen=True)
class Detection:
    """``lang`` (a BCP 47 tag) and how sure (0..1); ``guessed``: from the hint, not the text."""

    lang: str
    confidence: float
    guessed: bool = False


class LanguageId(Protocol):
    def detect(self, text: str, hint: str | None = None) -> Detection:
        """The language of ``text``; ``hint`` (the conversation's) when it cannot tell."""


def _script(text: str) -> str | None:
    """``th`` or ``zh`` when most letters are Thai or Han."""
    thai = han = letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        name = unicodedata.name(ch, "")
        if name.startswith("THAI"):
            thai += 1
        elif name.startswith("CJK"):
            han += 1
    if letters and thai * 2 > letters:
        return "th"
    if letters and han * 2 > letters:
        return "zh"
    return None


# Common function words and particles, folded (lower case, no diacritics), of the
# Latin-script languages lingua confuses on short, unaccented chat.
_FUNCTION_WORDS = {
    "vi": set("khong cua toi minh ban roi chua duoc hang don giao shop oi nhe nha vay sao "
              "lam mat bao lau tien hoan cam on co ma voi thi la cho den nay nao gi the di ve "
              "da dang se bi qua lai xin mua tra doi nhung cai mot ngay khi neu duoc nhan "
              "hoi gui chi anh em ad dc ko".split()),
    "tl": set("ang ng mga po naman ba ko ako ikaw yung sa na pa lang hindi wala may meron "
              "pwede paano bakit kasi talaga salamat kayo nyo namin ito iyan dito ulit din "
              "rin nasaan kailan ano sino pero kung para niyo ninyo ka si nang opo".split()),
    "id": set("saya aku yang dan di ke dari ini itu tidak ga gak nggak bisa sudah udah belum "
              "kak min gan dong sih ya apa kapan berapa pesanan barang mau tolong kok aja "
              "nya pake pakai atau bayar lagi sama kalau kalo gimana bagaimana kenapa "
              "sampai sampe kirim dikirim terima kasih makasih".split()),
}
_WORD = re.compile(r"[^\W\d_]+")


def _function_word_vote(text: str) -> str | None:
    """The language whose function words ``text`` uses most, if clearly ahead."""
    words = _WORD.findall(fold(text))
    counts = sorted(((sum(w in vocab for w in words), lang)
                     for lang, vocab in _FUNCTION_WORDS.items()), reverse=True)
    (best, lang), (second, _) = counts[0], counts[1]
    if best >= 2 and best >= 2 * second + 1:
        return lang
    return None


class LinguaLanguageId:
    """lingua over :data:`LANGUAGES`; ``min_confidence`` below which the hint wins."""

    def __init__(self, min_confidence: float = 0.5, min_letters: int = 3) -> None:
        try:
            from lingua import Language, LanguageDetectorBuilder
        except ImportError:
            raise ModelError("lingua is not installed: pip install 'cbcs[ai]' (or "
                             "lingua-language-detector==2.1.1)") from None
        self._tags: dict[Any, str] = {
            Language.ENGLISH: "en", Language.SPANISH: "es", Language.PORTUGUESE: "pt-BR",
            Language.INDONESIAN: "id", Language.THAI: "th", Language.VIETNAMESE: "vi",
            Language.TAGALOG: "tl", Language.CHINESE: "zh"}
        self._detector = LanguageDetectorBuilder.from_languages(
            *self._tags).with_preloaded_language_models().build()
        self.min_confidence = min_confidence
        self.min_letters = min_letters

    def detect(self, text: str, hint: str | None = None) -> Detection:
        script = _script(text)
        if script is not None:
            return Detection(script, 1.0)
        letters = sum(ch.isalpha() for ch in text)
        fallback = Detection(hint or "en", 0.0, guessed=True)
        if letters < self.min_letters:
            return fallback
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return fallback
        best = values[0]
        if best.value < 0.6:
            vote = _function_word_vote(text)
            if vote is not None:
                return Detection(vote, 0.6)
        if hint is not None and best.value < self.min_confidence:
            return fallback
        return Detection(self._tags[best.language], float(best.value))
