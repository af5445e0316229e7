"""The small interfaces the AI tier is written against, one per kind of model.

Each has an offline default from a PyPI wheel or a Debian package (named on each
interface) and, for a seller who prefers cloud models, an OpenAI-compatible HTTP adapter.
Audio is mono float32 in -1..1 at the provider's ``sample_rate``; time, where it matters,
is passed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from cbcs.ai.embeddings import Embeddings
from cbcs.ai.langid import Detection, LanguageId

__all__ = ["ChatMessage", "ChatModel", "Detection", "Embeddings", "LanguageId",
           "Synthesizer", "Transcriber", "TranscriberStream", "Transcript", "Translator",
           "VoiceActivity"]


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


class ChatModel(Protocol):
    """A language model that completes a chat (offline: a GGUF model run by xllamacpp;
    cloud: an OpenAI-compatible ``/v1/chat/completions``)."""

    name: str

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
                 json_schema: dict[str, Any] | None = None) -> str:
        """The reply's text; with ``json_schema``, a JSON document that follows it."""


@dataclass(frozen=True)
class Transcript:
    """What was said: ``text``, its ``language`` (BCP 47), and whether it is ``final``."""

    text: str
    language: str
    final: bool = True
    segments: tuple[tuple[float, float, str], ...] = field(default=())  # (start_s, end_s, text)


class TranscriberStream(Protocol):
    def feed(self, audio: np.ndarray) -> Transcript | None:
        """More audio; an interim transcript when there is a new one."""

    def finish(self) -> Transcript:
        """The final transcript of everything fed."""


class Transcriber(Protocol):
    """Speech to text (offline: Whisper base via faster-whisper; cloud:
    ``/v1/audio/transcriptions``)."""

    sample_rate: int

    def transcribe(self, audio: np.ndarray, language: str | None = None, *,
                   expect: Sequence[str] = ()) -> Transcript:
        """The text of ``audio``. ``expect``: phrases the speaker is likely to say (the
        backchannels of ``language`` while the AI talks); a transcriber may answer one of
        them when the audio fits it nearly as well as its own best reading."""

    def stream(self, language: str | None = None) -> TranscriberStream: ...


class Synthesizer(Protocol):
    """Text to speech, streamed in chunks as they are ready (offline: piper for English,
    espeak-ng from Debian for the other voices; cloud: ``/v1/audio/speech``)."""

    sample_rate: int

    def languages(self) -> Sequence[str]: ...

    def synthesize(self, text: str, language: str) -> Iterator[np.ndarray]: ...


class Translator(Protocol):
    """Text from one language to another; ``None`` where no model covers the pair."""

    def translate(self, text: str, source: str, target: str) -> str | None: ...


class VoiceActivity(Protocol):
    """The probability that one frame holds speech (the core's VAD by default)."""

    sample_rate: int
    frame_samples: int

    def speech_probability(self, frame: np.ndarray) -> float: ...
