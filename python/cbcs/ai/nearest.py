"""Labels from labelled examples that grow with use: what a customer wants, how they feel.

:class:`NearestExamples` embeds each labelled example once, keeps the mean vector of each
label's examples (its centroid) and answers a new text with the label of the nearest
centroid, in any language. Centroids rather than the nearest single examples: texts
written alike (colloquial Indonesian with "kak" and "gan", say) sit near each other
whatever they ask, and a vote of neighbours followed the style; a mean keeps what a
label's examples share (measured: the neighbours' vote got worse as labelled examples
came in, the centroids got better). It starts from the seed
examples shipped in ``data/intent_seed.jsonl`` (two per intent and language, written for cbcs, disjoint from
any evaluation set) and learns from every example :meth:`NearestExamples.add` gives it,
such as an intent a human agent corrected: no retraining, the next text already uses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from cbcs.ai.embeddings import Embeddings
from cbcs.contact.example import INTENTS, SENTIMENTS
from cbcs.errors import ConfigError

__all__ = ["INTENTS", "SENTIMENTS", "Example", "Label", "NearestExamples", "load_examples",
           "intent_classifier", "sentiment_classifier"]



@dataclass(frozen=True)
class Example:
    """A text with its label (an intent, a sentiment); ``lang`` a BCP 47 tag, ``market``
    when known."""

    text: str
    lang: str
    label: str
    market: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ConfigError("example text: expected a non-empty string")


@dataclass(frozen=True)
class Label:
    """The answer: ``label``, ``confidence`` (its share of the vote, 0..1) and the
    runner-up, for an agent to see when it was close."""

    label: str
    confidence: float
    runner_up: str | None


def read_rows(name: str) -> list[dict[str, Any]]:
    """The JSON lines shipped in ``cbcs/ai/data/<name>``."""
    text = resources.files("cbcs.ai").joinpath(f"data/{name}").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_examples(name: str, field: str) -> list[Example]:
    """Examples shipped in ``cbcs/ai/data/<name>`` (JSON lines with ``field`` the label)."""
    return [Example(r["text"], r["lang"], r[field]) for r in read_rows(name)]


def check_labels(examples: Sequence[Example], labels: Sequence[str]) -> None:
    """A :class:`ConfigError` naming the allowed labels when an example has another."""
    for e in examples:
        if e.label not in labels:
            raise ConfigError(f"label: expected one of {', '.join(labels)}, "
                              f"got {e.label!r}")


class NearestExamples:
    """Nearest labelled examples over sentence embeddings, for one set of ``labels``."""

    def __init__(self, embeddings: Embeddings, labels: Sequence[str],
                 examples: Iterable[Example] = ()) -> None:
        self.embeddings = embeddings
        self.labels = tuple(labels)
        self.examples: list[Example] = []
        self._sums = np.zeros((len(self.labels), embeddings.dim), np.float64)
        self._counts = np.zeros(len(self.labels), np.int64)
        self.add(examples)

    def add(self, examples: Iterable[Example]) -> None:
        """Learn from more labelled examples (used from the next text on)."""
        batch = list(examples)
        check_labels(batch, self.labels)
        if not batch:
            return
        vectors = self.embeddings.embed([e.text for e in batch], "query")
        for e, v in zip(batch, vectors):
            index = self.labels.index(e.label)
            self._sums[index] += v
            self._counts[index] += 1
        self.examples.extend(batch)

    def classify(self, text: str) -> Label:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Label]:
        """One :class:`Label` per text; ``confidence`` is the softmax share of the best
        centroid's similarity (temperature 0.02), ``runner_up`` the next label."""
        known = self._counts > 0
        if not known.any():
            raise ConfigError("the classifier has no examples to compare with")
        centroids = self._sums[known] / np.linalg.norm(self._sums[known], axis=1,
                                                       keepdims=True)
        names = [n for n, k in zip(self.labels, known) if k]
        similarity = self.embeddings.embed(list(texts), "query") @ centroids.T.astype(
            np.float32)
        out = []
        for row in similarity:
            order = np.argsort(-row)
            shares = np.exp((row - row[order[0]]) / 0.02)
            out.append(Label(names[order[0]], float(1.0 / shares.sum()),
                             names[order[1]] if len(order) > 1 else None))
        return out


def intent_classifier(embeddings: Embeddings) -> NearestExamples:
    """Intents over :data:`INTENTS`, from the shipped seed examples."""
    return NearestExamples(embeddings, INTENTS, load_examples("intent_seed.jsonl", "intent"))



def sentiment_classifier(embeddings: Embeddings) -> NearestExamples:
    """Sentiment over :data:`SENTIMENTS`, from the shipped seed examples."""
    return NearestExamples(embeddings, SENTIMENTS,
                           load_examples("sentiment_seed.jsonl", "sentiment"))
