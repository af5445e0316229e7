"""Chat translation rules (which languages a message needs) and the translation of one
message off the event loop, with failures reported rather than lost."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from cbcs.translation import (ChatTranslator, Provider, TranslationService, first_language,
                              needed_languages, written_in)


@pytest.mark.parametrize("role, lang, customer, agent, want", [
    ("customer", "pt-BR", "pt-BR", {"en": 5, "es": 3}, ("en",)),
    ("customer", "es", "es", {"zh": 5, "es": 2}, ("zh",)),   # speaks some: still helped
    ("customer", "es", "es", {"es": 5, "en": 4}, ()),        # first language: nothing to do
    ("customer", "th", "th", None, ("en",)),                  # no agent yet: staff language
    ("ai", "es", "es", {"zh": 5}, ("zh",)),
    ("agent", "en", "pt-BR", {"en": 5}, ("pt-BR",)),
    ("agent", "pt-BR", "pt-BR", {"pt-BR": 3, "en": 5}, ()),
    ("system", "en", "pt-BR", {"en": 5}, ()),
])
def test_a_message_goes_into_the_other_partys_language(
        role: str, lang: str, customer: str, agent: dict[str, int] | None,
        want: tuple[str, ...]) -> None:
    assert needed_languages(role, lang, customer, agent) == want


def test_first_language_and_what_an_agent_writes_in() -> None:
    assert first_language({"es": 3, "zh": 5, "en": 5}) == "zh"
    assert first_language({}) is None
    assert written_in("agent", "pt-BR", {"en": 5}) == "en"
    assert written_in("agent", "pt-BR", {"en": 5, "pt-BR": 2}) == "pt-BR"
    assert written_in("customer", "th", {"en": 5}) == "th"


class Slow:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.thread: str | None = None

    def translate(self, text: str, source: str, target: str) -> str | None:
        self.thread = threading.current_thread().name
        time.sleep(self.seconds)
        return text.upper()


class Broken:
    def translate(self, text: str, source: str, target: str) -> str | None:
        raise RuntimeError("model crashed")


def test_translations_run_in_a_worker_thread_while_the_loop_keeps_going() -> None:
    slow = Slow(0.3)
    chat = ChatTranslator(TranslationService([Provider("slow", slow,
                                                       frozenset({("es", "en")}))]))

    async def go() -> tuple[object, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        done = await chat.translate("hola", "es", ["en", "th"])
        ticker.cancel()
        return done, ticks

    done, ticks = asyncio.run(go())
    assert done.translations == {"en": "HOLA"}                       # type: ignore[attr-defined]
    assert done.translated_by == {"en": "slow", "th": "untranslated"}  # type: ignore[attr-defined]
    assert ticks >= 10                       # the loop ran while the model worked
    assert slow.thread != threading.main_thread().name


def test_a_failing_or_slow_model_leaves_the_message_untranslated_and_says_so() -> None:
    broken = ChatTranslator(TranslationService([Provider("llm", Broken(),
                                                         frozenset({("es", "en")}))]))
    slow = ChatTranslator(TranslationService([Provider("llm", Slow(1.0),
                                                       frozenset({("es", "en")}))]),
                          timeout_s=0.05)
    failed = asyncio.run(broken.translate("hola", "es", ["en"]))
    late = asyncio.run(slow.translate("hola", "es", ["en"]))
    for result in (failed, late):
        assert result.translations == {} and result.translated_by == {"en": "failed"}
