"""Translation by a chat model: the offline LLM (Qwen2.5-Coder-1.5B through llama.cpp) for
the pairs it does passably, or a seller's cloud model over the OpenAI-compatible API."""

from __future__ import annotations

from collections.abc import Iterable

from cbcs.ai.providers import ChatMessage, ChatModel

#: English names of the languages, for the prompt
NAMES = {"en": "English", "es": "Spanish", "pt-BR": "Brazilian Portuguese",
         "id": "Indonesian", "th": "Thai", "vi": "Vietnamese", "tl": "Tagalog (Filipino)",
         "zh": "Simplified Chinese"}

#: Where the offline 1.5B model is passable (measured by hand on shop phrases and by
#: ``cbcs bench translate``): Spanish and Chinese with English. It is weak for Indonesian
#: and bad for Thai, Vietnamese and Tagalog, which stay untranslated rather than wrong.
OFFLINE_LLM_PAIRS = frozenset({("es", "en"), ("en", "es"), ("zh", "en"), ("en", "zh")})

_PROMPT = ("You translate customer-service chat messages of an online shop from {source} "
           "to {target}. Keep names, numbers, order codes and e-mail addresses as they are. "
           "Answer with the {target} translation only: no notes, no quotes.")


class ChatModelTranslator:
    """A :class:`~cbcs.ai.providers.Translator` over a :class:`ChatModel`, for ``pairs``
    (None for any other). One request per text, greedy, about as many tokens out as
    characters in."""

    def __init__(self, chat: ChatModel, pairs: Iterable[tuple[str, str]], *,
                 name: str = "llm") -> None:
        self.chat = chat
        self.pairs = frozenset(pairs)
        self.name = name

    def translate(self, text: str, source: str, target: str) -> str | None:
        """``text`` in ``target``, or None where the pair is not this model's."""
        if (source, target) not in self.pairs or source not in NAMES or target not in NAMES:
            return None
        if not text.strip():
            return text
        system = _PROMPT.format(source=NAMES[source], target=NAMES[target])
        reply = self.chat.complete([ChatMessage("system", system), ChatMessage("user", text)],
                                   max_tokens=min(512, 24 + len(text)))
        return clean_reply(reply)


def clean_reply(reply: str) -> str | None:
    """The translation in a model's reply: without a label line (``Translation:``) or the
    quotes it may wrap it in; None when nothing is left."""
    lines = [line for line in reply.strip().splitlines() if line.strip()]
    if lines and lines[0].rstrip().endswith(":") and len(lines) > 1:
        lines = lines[1:]
    text = "\n".join(lines).strip()
    for label in ("Translation:", "translation:"):
        if text.startswith(label):
            text = text[len(label):].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”「":
        text = text[1:-1].strip()
    if len(text) >= 2 and text[0] == "“" and text[-1] == "”":
        text = text[1:-1].strip()
    return text or None
