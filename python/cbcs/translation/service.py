"""Which model translates which language pair, directly or through English, and honest
reports of what was done: a pair no model covers is untranslated, never faked."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cbcs.ai.providers import Translator
from cbcs.errors import CbcsError
from cbcs.translation.languages import canonical

#: ``provider`` of a text whose source and target language are the same
SAME = "same"
#: ``provider`` where no model covers the pair (or a model declined the text)
UNTRANSLATED = "untranslated"
#: the language a pair without a direct model is pivoted through
PIVOT = "en"


class TranslationFailed(CbcsError):
    """A model that covers the pair raised while translating (the message names it)."""


@dataclass(frozen=True)
class Translation:
    """The result of one translation: ``text`` (None when untranslated) and ``provider``,
    the model that made it: ``bergamot``, ``llm``, two hops joined by ``+``
    (``llm+bergamot``: through English), ``same`` (nothing to do) or ``untranslated``."""

    text: str | None
    provider: str

    @property
    def translated(self) -> bool:
        """Whether ``text`` holds the text in the target language."""
        return self.text is not None


@dataclass
class Provider:
    """One model: its ``name`` in reports, the translator, and the ordered pairs it does
    well enough to show a person (``pairs``). With ``serial`` (the default), calls into
    the translator wait for each other (llama.cpp runs one sequence at a time)."""

    name: str
    translator: Translator
    pairs: frozenset[tuple[str, str]]
    serial: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.pairs = frozenset((canonical(s), canonical(t)) for s, t in self.pairs)

    def run(self, text: str, source: str, target: str) -> str | None:
        """The translator's answer; :class:`TranslationFailed` if it raised."""
        try:
            if self.serial:
                with self._lock:
                    return self.translator.translate(text, source, target)
            return self.translator.translate(text, source, target)
        except TranslationFailed:
            raise
        except Exception as error:   # a model's own failure: name it, keep the cause
            raise TranslationFailed(f"{self.name} failed on {source}->{target}: "
                                    f"{type(error).__name__}: {error}") from error


class TranslationService:
    """Translates text between languages with the first provider (in the order given) that
    covers the pair, else through English when one provider covers each hop, else not.

    ``translate`` runs the model in the calling thread (seconds for an LLM): asyncio code
    calls it through ``asyncio.to_thread``. ``covers`` and ``provider_for`` load nothing
    and are cheap enough for routing."""

    def __init__(self, providers: Iterable[Provider] = (), *, pivot: str | None = PIVOT) -> None:
        self.providers: tuple[Provider, ...] = tuple(providers)
        self.pivot = pivot

    def _direct(self, source: str, target: str) -> Provider | None:
        return next((p for p in self.providers if (source, target) in p.pairs), None)

    def _route(self, source: str, target: str) -> Sequence[tuple[Provider, str, str]] | None:
        """The hops that translate ``source`` into ``target`` (empty: the same language,
        None: no route)."""
        source, target = canonical(source), canonical(target)
        if source == target:
            return ()
        direct = self._direct(source, target)
        if direct is not None:
            return ((direct, source, target),)
        pivot = self.pivot
        if pivot is not None and pivot not in (source, target):
            first, second = self._direct(source, pivot), self._direct(pivot, target)
            if first is not None and second is not None:
                return ((first, source, pivot), (second, pivot, target))
        return None

    def covers(self, source: str, target: str) -> bool:
        """Whether a model covers ``source`` -> ``target`` (directly or through English),
        or both are the same language."""
        return self._route(source, target) is not None

    def provider_for(self, source: str, target: str) -> str:
        """What :meth:`translate` reports for the pair when its models do their work."""
        route = self._route(source, target)
        if route is None:
            return UNTRANSLATED
        if not route:
            return SAME
        return "+".join(hop[0].name for hop in route)

    def pairs(self, languages: Iterable[str]) -> dict[tuple[str, str], str]:
        """The provider of every ordered pair of different ``languages``."""
        langs = list(languages)
        return {(s, t): self.provider_for(s, t) for s in langs for t in langs if s != t}

    def translate(self, text: str, source: str, target: str) -> Translation:
        """``text`` (in ``source``) in ``target``; untranslated where no model covers the
        pair or a model declines it. :class:`TranslationFailed` when a model raises."""
        route = self._route(source, target)
        if route is None:
            return Translation(None, UNTRANSLATED)
        if not route or not text.strip():
            return Translation(text, SAME if not route else "+".join(h[0].name for h in route))
        current: str | None = text
        for provider, hop_source, hop_target in route:
            assert current is not None
            current = provider.run(current, hop_source, hop_target)
            if current is None or not current.strip():
                return Translation(None, UNTRANSLATED)
        return Translation(current, "+".join(hop[0].name for hop in route))
