"""Intent and sentiment from labelled examples: a linear model over two views of a text.

:class:`TextClassifier` joins the text's multilingual e5 vector (what it means, in any
language) with character n-grams of the text folded to lower case without diacritics
(how it is written: "don hang" and "đơn hàng" look alike, and colloquial spellings such
as "udah sampe" or "pq" are learnt as written) and fits a logistic regression over both.
It starts from the examples shipped in ``data/`` (written for cbcs, disjoint from the
evaluation sets) and learns from every example :meth:`TextClassifier.add` gives it, such
as an intent a human agent corrected: the next text classified uses it (the model is
refitted then, in about a second for a few thousand examples).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cbcs.ai.embeddings import Embeddings
from cbcs.ai.nearest import INTENTS, SENTIMENTS, Example, Label, load_examples
from cbcs.errors import ConfigError


def fold(text: str) -> str:
    """Lower case without diacritics, for the n-gram view."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")


@dataclass(frozen=True)
class _Model:
    vectorizer: object
    regression: object
    labels: tuple[str, ...]


class TextClassifier:
    """Labels over ``labels`` from examples (see the module docstring). ``weight`` scales
    the e5 view against the n-gram view; ``c`` is the regression's inverse penalty."""

    def __init__(self, embeddings: Embeddings, labels: Sequence[str],
                 examples: Iterable[Example] = (), *, weight: float = 2.0,
                 c: float = 20.0) -> None:
        self.embeddings, self.labels = embeddings, tuple(labels)
        self.weight, self.c = weight, c
        self.examples: list[Example] = []
        self._vectors: list[np.ndarray] = []
        self._model: _Model | None = None
        self._lock = threading.Lock()
        self.add(examples)

    def add(self, examples: Iterable[Example]) -> None:
        """Learn from more labelled examples (used from the next text on)."""
        batch = list(examples)
        for e in batch:
            if e.label not in self.labels:
                raise ConfigError(f"label: expected one of {', '.join(self.labels)}, "
                                  f"got {e.label!r}")
        if not batch:
            return
        vectors = self.embeddings.embed([e.text for e in batch], "query")
        with self._lock:
            self.examples.extend(batch)
            self._vectors.extend(vectors)
            self._model = None

    def _fit(self) -> _Model:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        with self._lock:
            if self._model is not None:
                return self._model
            labels = sorted({e.label for e in self.examples})
            if len(labels) < 2:
                raise ConfigError("the classifier needs examples of at least two labels")
            vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4),
                                         sublinear_tf=True, min_df=1, preprocessor=fold)
            grams = vectorizer.fit_transform([e.text for e in self.examples])
            dense = csr_matrix(np.stack(self._vectors) * self.weight)
            regression = LogisticRegression(C=self.c, max_iter=2000)
            regression.fit(hstack([grams, dense]).tocsr(), [e.label for e in self.examples])
            self._model = _Model(vectorizer, regression, tuple(regression.classes_))
            return self._model

    def classify(self, text: str) -> Label:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Label]:
        """One :class:`Label` per text: the most probable label, its probability and the
        runner-up."""
        from scipy.sparse import csr_matrix, hstack

        if not self.examples:
            raise ConfigError("the classifier has no examples to learn from")
        model = self._fit()
        grams = model.vectorizer.transform(list(texts))  # type: ignore[attr-defined]
        dense = csr_matrix(self.embeddings.embed(list(texts), "query") * self.weight)
        probabilities = model.regression.predict_proba(  # type: ignore[attr-defined]
            hstack([grams, dense]).tocsr())
        out = []
        for row in probabilities:
            order = np.argsort(-row)
            out.append(Label(model.labels[order[0]], float(row[order[0]]),
                             model.labels[order[1]] if len(order) > 1 else None))
        return out


def _shipped(field: str, *names: str) -> list[Example]:
    examples: list[Example] = []
    for name in names:
        try:
            examples += load_examples(name, field)
        except FileNotFoundError:
            continue
    return examples


def intents(embeddings: Embeddings) -> TextClassifier:
    """Intents over :data:`INTENTS`, from the shipped examples."""
    return TextClassifier(embeddings, INTENTS,
                          _shipped("intent", "intent_seed.jsonl", "intent_train.jsonl"))


def sentiments(embeddings: Embeddings) -> TextClassifier:
    """Sentiment over :data:`SENTIMENTS`, from the shipped examples."""
    return TextClassifier(embeddings, SENTIMENTS,
                          _shipped("sentiment", "sentiment_seed.jsonl", "intent_train.jsonl"))
