"""``cbcs bench translate``'s measurement: the project's phrases cover the eight languages,
chrF tells a right translation from a wrong one, untranslated pairs carry no figures."""

from __future__ import annotations

import itertools

from cbcs.bench.translate import load_phrases, measure_pair, pairs_to_measure
from cbcs.translation import LANGUAGES, Provider, TranslationService


def test_the_phrases_hold_every_language_and_at_least_twenty_each() -> None:
    phrases = load_phrases()
    assert len(phrases) >= 20
    for lang in LANGUAGES:
        texts = [p[lang] for p in phrases]
        assert len(set(texts)) == len(texts)       # no phrase written twice


class Lookup:
    """Answers with the reference itself (a perfect model) or with another phrase's."""

    def __init__(self, shift: int) -> None:
        self.phrases = load_phrases()
        self.shift = shift

    def translate(self, text: str, source: str, target: str) -> str | None:
        i = next(i for i, p in enumerate(self.phrases) if p[source] == text)
        return self.phrases[(i + self.shift) % len(self.phrases)][target]


def test_chrf_scores_a_right_translation_high_and_a_wrong_one_low() -> None:
    phrases = load_phrases()
    ticks = itertools.count()
    right = TranslationService([Provider("oracle", Lookup(0), frozenset({("es", "en")}))])
    wrong = TranslationService([Provider("shuffled", Lookup(5), frozenset({("es", "en")}))])
    good = measure_pair(right, phrases, "es", "en", clock=lambda: next(ticks) * 0.001)
    bad = measure_pair(wrong, phrases, "es", "en")
    assert good.provider == "oracle" and good.chrf == 100.0
    assert bad.chrf is not None and bad.chrf < 40.0
    assert good.sentences == len(phrases) and good.p50_ms == good.p95_ms == 1.0
    none = measure_pair(right, phrases, "th", "vi")
    assert none.figures() == {"provider": "untranslated", "chrf": None, "p50_ms": None,
                              "p95_ms": None, "first_ms": None, "sentences": 0}


def test_short_runs_the_pairs_with_english_both_ways() -> None:
    short = pairs_to_measure(True)
    assert len(short) == 14 and all("en" in pair for pair in short)
    assert len(pairs_to_measure(False)) == 56
