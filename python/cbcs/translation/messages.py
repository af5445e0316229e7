"""Chat translation: which languages a message needs (plain rules, no I/O) and the
translations of one message, made off the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cbcs.ai.providers import LanguageId
from cbcs.translation.languages import canonical
from cbcs.translation.service import UNTRANSLATED, TranslationFailed, TranslationService

log = logging.getLogger("cbcs.translation")

#: ``translated_by`` of a language whose model raised or ran out of time
FAILED = "failed"


def first_language(languages: Mapping[str, int]) -> str | None:
    """An agent's first language: the one of the highest level (the first one listed
    among equals); None when the profile lists none."""
    best: tuple[int, str] | None = None
    for lang, level in languages.items():
        if best is None or level > best[0]:
            best = (level, lang)
    return canonical(best[1]) if best is not None else None


def speaks(languages: Mapping[str, int], lang: str) -> bool:
    """Whether a profile lists ``lang`` (any level, as routing counts it)."""
    return canonical(lang) in {canonical(known) for known in languages}


def written_in(author_role: str, customer_language: str,
               agent_languages: Mapping[str, int] | None) -> str:
    """The language a message is taken to be written in when nobody says: the customer
    and the AI write the conversation's language; an agent writes the customer's language
    when they speak it, else their first language."""
    if author_role == "agent" and agent_languages:
        if speaks(agent_languages, customer_language):
            return canonical(customer_language)
        return first_language(agent_languages) or canonical(customer_language)
    return canonical(customer_language)


def needed_languages(author_role: str, lang: str, customer_language: str,
                     agent_languages: Mapping[str, int] | None,
                     staff_language: str = "en") -> tuple[str, ...]:
    """The languages a message written in ``lang`` is translated into: the other party's.

    - The customer's (and the AI's) messages go into the assigned agent's first language,
      or, while no agent has the conversation, the staff language (the language handoff
      summaries use), so whoever takes it reads the history.
    - An agent's messages go into the customer's language.
    - Events and system notes are not translated (an empty tuple).
    """
    lang = canonical(lang)
    if author_role == "agent":
        targets: Iterable[str] = (customer_language,)
    elif author_role in ("customer", "ai"):
        reader = first_language(agent_languages) if agent_languages else None
        targets = (reader or staff_language,)
    else:
        return ()
    out: list[str] = []
    for target in targets:
        target = canonical(target)
        if target != lang and target not in out:
            out.append(target)
    return tuple(out)


@dataclass(frozen=True)
class MessageTranslations:
    """The translations of one message: ``translations`` ``{lang: text}`` (those made),
    and ``translated_by`` ``{lang: provider}`` for every language asked for: the model
    (``bergamot``, ``llm``, ``llm+bergamot``), ``untranslated`` (no model covers the
    pair) or ``failed`` (the model raised or took too long)."""

    translations: dict[str, str] = field(default_factory=dict)
    translated_by: dict[str, str] = field(default_factory=dict)


class ChatTranslator:
    """Translates chat messages for the contact centre with ``service``, each model call
    in a worker thread (``asyncio.to_thread``) so the event loop never waits on a model;
    a translation that fails or exceeds ``timeout_s`` is reported ``failed`` and the
    message is stored without it."""

    def __init__(self, service: TranslationService, *, staff_language: str = "en",
                 timeout_s: float = 20.0, language_id: LanguageId | None = None) -> None:
        self.service = service
        self.staff_language = canonical(staff_language)
        self.timeout_s = timeout_s
        self.language_id = language_id

    def language_of(self, text: str, author_role: str, customer_language: str,
                    agent_languages: Mapping[str, int] | None) -> str:
        """The language of an agent's message: told by ``language_id`` among the agent's
        languages and the customer's when there is one, else :func:`written_in`."""
        guess = written_in(author_role, customer_language, agent_languages)
        if author_role != "agent" or self.language_id is None or not agent_languages:
            return guess
        detected = canonical(self.language_id.detect(text, hint=guess).lang)
        known = {canonical(x) for x in agent_languages} | {canonical(customer_language)}
        return detected if detected in known else guess

    async def translate(self, text: str, lang: str,
                        targets: Iterable[str]) -> MessageTranslations:
        """``text`` (in ``lang``) in each of ``targets``, one after another."""
        out = MessageTranslations()
        for target in targets:
            if self.service.provider_for(lang, target) == UNTRANSLATED:
                out.translated_by[target] = UNTRANSLATED
                continue
            try:
                result = await asyncio.wait_for(
                    asyncio.to_thread(self.service.translate, text, lang, target),
                    self.timeout_s)
            except (TranslationFailed, TimeoutError) as error:
                log.warning("message stored untranslated into %s: %s", target,
                            error or f"no translation within {self.timeout_s:g} s")
                out.translated_by[target] = FAILED
                continue
            out.translated_by[target] = result.provider
            if result.text is not None:
                out.translations[target] = result.text
        return out
