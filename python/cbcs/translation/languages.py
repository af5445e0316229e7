"""The languages cbcs translates between and how their tags are written."""

from __future__ import annotations

from cbcs.errors import ConfigError

#: the markets' eight languages, tagged as the rest of cbcs tags them (cbcs.ai.langid)
LANGUAGES: tuple[str, ...] = ("en", "es", "pt-BR", "id", "th", "vi", "tl", "zh")

#: other spellings of the same languages that clients and models use
_ALIASES = {"pt": "pt-BR", "pt-br": "pt-BR", "fil": "tl", "zh-hans": "zh", "zh-cn": "zh",
            "zh-sg": "zh", "in": "id", "en-us": "en", "en-gb": "en", "es-mx": "es",
            "es-419": "es"}


def canonical(tag: str) -> str:
    """``tag`` as cbcs writes it (``pt`` -> ``pt-BR``, ``fil`` -> ``tl``); other tags are
    returned unchanged, so a language outside the eight stays itself (and untranslated)."""
    folded = tag.strip().lower()
    if folded in _ALIASES:
        return _ALIASES[folded]
    for lang in LANGUAGES:
        if lang.lower() == folded:
            return lang
    return tag.strip()


def check_supported(field: str, tag: str) -> str:
    """The canonical tag of one of the eight languages, or a :class:`ConfigError` that
    lists them."""
    lang = canonical(tag)
    if lang not in LANGUAGES:
        raise ConfigError(f"{field}: expected one of {', '.join(LANGUAGES)}, got {tag!r}")
    return lang


def all_pairs() -> list[tuple[str, str]]:
    """Every ordered pair of two different languages of the eight (56)."""
    return [(s, t) for s in LANGUAGES for t in LANGUAGES if s != t]
