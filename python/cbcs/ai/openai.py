"""OpenAI-compatible HTTP adapters for the AI tier: chat, embeddings, speech and transcription.

Each class implements one interface of :mod:`cbcs.ai.providers` over the OpenAI REST API,
which the OpenAI service and most self-hosted servers (vLLM, llama.cpp's server, Ollama,
LocalAI) speak: :class:`OpenAIChat` is a ``ChatModel`` (``POST /chat/completions``),
:class:`OpenAIEmbeddings` an ``Embeddings`` (``/embeddings``), :class:`OpenAISpeech` a
``Synthesizer`` (``/audio/speech``) and :class:`OpenAITranscriber` a ``Transcriber``
(``/audio/transcriptions``). The calls are synchronous and block; asyncio code runs them in
a worker thread (``asyncio.to_thread``), never on the event loop.

Configuring the cloud tier
--------------------------

A seller switches a kind of model to the cloud by building its adapter where the offline
one would be built, and passing it wherever the interface is expected::

    from cbcs.ai.openai import OpenAIChat, OpenAIEmbeddings, OpenAISpeech, OpenAITranscriber

    base = "https://api.openai.com/v1"           # or "http://10.0.0.5:8000/v1" (vLLM, ...)
    chat = OpenAIChat(base, model="gpt-4o-mini")
    embeddings = OpenAIEmbeddings(base, model="text-embedding-3-small", dim=1536)
    speech = OpenAISpeech(base, model="gpt-4o-mini-tts", voice="alloy")
    stt = OpenAITranscriber(base, model="whisper-1")

- ``base_url`` ends where the API's paths begin (with ``/v1`` for OpenAI and vLLM).
- ``api_key``: pass it, or leave it out and set ``CBCS_OPENAI_API_KEY`` in the
  environment (a self-hosted server that checks no key still needs some value). The key
  is sent as ``Authorization: Bearer ...`` and nowhere else: it is not in ``repr()``, in
  log records or in the text of any error, even when the server quotes it back.
- ``model`` is the server's model name; ``timeout_s`` (default 30) bounds one attempt of a
  request: an answer not wholly in ``timeout_s`` after the attempt began is a timeout, even
  one that trickles in. For :class:`OpenAISpeech`, whose audio streams, it bounds the wait
  for each next piece instead.
- Failures raise :class:`ProviderError` (``status`` holds the HTTP status when there was
  one) with the status and the server's own message, or what was wrong with the answer.
  A 429 or 5xx is retried once, after the server's ``Retry-After`` when it gives one (else
  half a second); a ``Retry-After`` longer than ``max_retry_wait_s`` (default 10 s) is not
  waited for, the error is raised at once, as a customer is waiting.
- :class:`OpenAIEmbeddings` knows ``dim`` after its first call, or from ``dim=``; pass it
  when the embeddings go straight into a classifier (:class:`cbcs.ai.nearest.NearestExamples`
  asks for ``dim`` before it embeds). Vectors come back unit length, like the offline ones.
  A model that wants prefixes (an e5 served by vLLM) gets them from ``query_prefix`` and
  ``passage_prefix``.
- :class:`OpenAISpeech` asks for ``response_format: "pcm"`` (24 kHz, 16-bit mono) and
  yields float32 chunks of ``chunk_samples`` as the audio arrives; ``voices`` maps a
  language to a voice where one voice does not suit every language.
- :class:`OpenAITranscriber` uploads 16 kHz audio as a WAV file; its ``stream()`` keeps
  what is fed (up to ``max_stream_s``) and transcribes it at ``finish()``, with no interim
  transcripts. ``response_format="json"`` for models that only answer text (gpt-4o-transcribe);
  the language is then the one asked for, or ``"und"``.
- Newer OpenAI chat models refuse ``max_tokens`` and want ``max_completion_tokens``:
  ``OpenAIChat(..., token_limit_field="max_completion_tokens")``.

Nothing here is used unless it is built: the offline tier needs no network at all.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import threading
import time
import wave
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
import requests
import urllib3

from cbcs.ai.embeddings import Side
from cbcs.ai.langid import LANGUAGES
from cbcs.ai.providers import ChatMessage, Transcript, TranscriberStream
from cbcs.errors import CbcsError, ConfigError, FrameError

__all__ = ["OpenAIChat", "OpenAIEmbeddings", "OpenAISpeech", "OpenAITranscriber",
           "ProviderError", "API_KEY_ENV"]

#: the environment variable the key is read from when no ``api_key`` is passed
API_KEY_ENV = "CBCS_OPENAI_API_KEY"

log = logging.getLogger(__name__)

_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_DEFAULT_RETRY_WAIT_S = 0.5


class ProviderError(CbcsError):
    """A model behind an HTTP API failed: an error status, a timeout, a connection that
    could not be made, or an answer that is not what the API documents.

    ``status`` is the HTTP status when the server answered with an error, else ``None``.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Secret:
    """A key that ``repr``, ``vars()`` and debug dumps show as ``***``."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'***'"


class _Client:
    """What every adapter shares: the key, one HTTP session per thread, errors, one retry."""

    def __init__(self, kind: str, base_url: str, *, model: str, api_key: str | None,
                 timeout_s: float, max_retry_wait_s: float,
                 sleep: Callable[[float], None]) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"base_url: expected http(s)://host[:port]/path, got "
                              f"{base_url!r}")
        if parts.username or parts.password:
            raise ConfigError("base_url: expected no user or password in the URL; pass the "
                              "key as api_key")
        if not isinstance(model, str) or not model:
            raise ConfigError(f"model: expected the server's model name, got {model!r}")
        if not timeout_s > 0:
            raise ConfigError(f"timeout_s: expected a positive number, got {timeout_s!r}")
        if not max_retry_wait_s >= 0:
            raise ConfigError(f"max_retry_wait_s: expected 0 or more, got "
                              f"{max_retry_wait_s!r}")
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key:
            raise ConfigError(f"api_key: expected an argument or the environment variable "
                              f"{API_KEY_ENV}, got neither")
        self._kind = kind
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = float(timeout_s)
        self.max_retry_wait_s = float(max_retry_wait_s)
        self._api_key = _Secret(key)
        self._sleep = sleep
        self._local = threading.local()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(base_url={self.base_url!r}, model={self.model!r}, "
                f"api_key='***')")

    def close(self) -> None:
        """Close this thread's connections (others close when their thread ends)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    # -- the request -------------------------------------------------------------------

    def _session(self) -> requests.Session:
        # requests.Session is not documented as thread-safe; callers use worker threads.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self._api_key.value}"
            self._local.session = session
        return session

    def _where(self, path: str) -> str:
        return f"{self._kind} {self.model!r} at {self.base_url}{path}"

    def _scrub(self, text: str) -> str:
        """``text`` without the key (a server may quote the key it was sent)."""
        return text.replace(self._api_key.value, "***")

    def _fail(self, path: str, what: str, status: int | None = None) -> ProviderError:
        return ProviderError(self._scrub(f"{self._where(path)}: {what}"), status)

    def _send(self, path: str, *, json_body: dict[str, Any] | None = None,
              data: dict[str, str] | None = None,
              files: dict[str, tuple[str, bytes, str]] | None = None) -> requests.Response:
        """The response of a successful POST (status < 400), its body still to be read."""
        url = self.base_url + path
        for attempt in (1, 2):
            started = time.monotonic()
            try:
                response = self._session().post(url, json=json_body, data=data, files=files,
                                                timeout=self.timeout_s, stream=True)
                status = response.status_code
                if status >= 400:
                    message = _server_message(response.content)
                    response.close()
            except requests.RequestException as e:
                raise self._request_failed(path, e) from None
            log.debug("POST %s -> %d in %.0f ms", self._where(path), status,
                      (time.monotonic() - started) * 1000)
            if status < 400:
                return response
            error = self._fail(path, f"HTTP {status} {response.reason}: {message}", status)
            if attempt == 2 or status not in _RETRYABLE:
                raise error
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait > self.max_retry_wait_s:
                raise self._fail(path, f"HTTP {status} {response.reason}: {message} (the "
                                 f"server asks to retry after {wait:g} s, longer than "
                                 f"max_retry_wait_s, {self.max_retry_wait_s:g} s)", status)
            log.warning("HTTP %d from %s; retrying once in %.2f s", status, self._where(path),
                        wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _post_json(self, path: str, *, json_body: dict[str, Any] | None = None,
                   data: dict[str, str] | None = None,
                   files: dict[str, tuple[str, bytes, str]] | None = None) -> dict[str, Any]:
        """POST and parse the JSON object that answers, all within ``timeout_s`` (the
        socket's read timeout alone would let a server that trickles bytes take forever)."""
        started = time.monotonic()
        response = self._send(path, json_body=json_body, data=data, files=files)
        body = bytearray()
        try:
            for chunk in _pieces_as_they_come(response):
                body += chunk
                if time.monotonic() - started > self.timeout_s:
                    raise requests.Timeout()
        except (requests.RequestException, urllib3.exceptions.HTTPError) as e:
            raise self._request_failed(path, e) from None
        finally:
            response.close()
        try:
            document = json.loads(bytes(body))
        except ValueError:
            raise self._fail(path, f"the answer is not JSON: {_preview(bytes(body))}"
                             ) from None
        if not isinstance(document, dict):
            raise self._fail(path, f"expected a JSON object, got {type(document).__name__}")
        return document

    def _request_failed(self, path: str, e: Exception) -> ProviderError:
        # Raised "from None": a requests exception holds the request, headers and all.
        if isinstance(e, requests.Timeout) or "timed out" in str(e).lower():
            return self._fail(path, f"no answer within {self.timeout_s:g} s (timeout_s)")
        return self._fail(path, f"request failed: {type(e).__name__}: {e}")


def _pieces_as_they_come(response: requests.Response) -> Iterator[bytes]:
    """The body in whatever pieces arrive (``iter_content`` waits to fill each chunk, so a
    deadline between chunks would not be looked at while bytes trickle in)."""
    read1 = getattr(response.raw, "read1", None)  # urllib3 2
    if read1 is None:
        yield from response.iter_content(chunk_size=4096)
        return
    while piece := read1(64 * 1024, decode_content=True):
        yield piece


def _server_message(body: bytes) -> str:
    """The server's own words: OpenAI's ``{"error": {"message": ...}}``, else the body."""
    if not body:
        return "(no body)"
    try:
        document = json.loads(body)
    except ValueError:
        return _preview(body)
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:500]
        if isinstance(error, str):
            return error[:500]
        if isinstance(document.get("message"), str):
            return str(document["message"])[:500]
    return _preview(body)


def _preview(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return repr(text + ("..." if len(body) > limit else ""))


def _retry_after(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if value is None:
        return _DEFAULT_RETRY_WAIT_S
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return _DEFAULT_RETRY_WAIT_S
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return _DEFAULT_RETRY_WAIT_S
    return max(0.0, seconds)


def _field(document: Any, *keys: str | int) -> Any:
    """``document[k0][k1]...``, or a KeyError naming the path that was missing."""
    value = document
    walked = ""
    for key in keys:
        walked += f"[{key!r}]"
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            raise KeyError(walked) from None
    return value


# -- chat ------------------------------------------------------------------------------

_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]+")


class OpenAIChat(_Client):
    """A :class:`~cbcs.ai.providers.ChatModel` over ``POST {base_url}/chat/completions``."""

    def __init__(self, base_url: str, *, model: str, api_key: str | None = None,
                 timeout_s: float = 30.0, temperature: float | None = None,
                 token_limit_field: Literal["max_tokens", "max_completion_tokens"]
                 = "max_tokens",
                 max_retry_wait_s: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__("chat", base_url, model=model, api_key=api_key, timeout_s=timeout_s,
                         max_retry_wait_s=max_retry_wait_s, sleep=sleep)
        if token_limit_field not in ("max_tokens", "max_completion_tokens"):
            raise ConfigError(f"token_limit_field: expected max_tokens or "
                              f"max_completion_tokens, got {token_limit_field!r}")
        self.name = f"openai:{model}"
        self.temperature = temperature
        self.token_limit_field = token_limit_field

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
                 json_schema: dict[str, Any] | None = None) -> str:
        """The reply's text; with ``json_schema``, a JSON document (checked to parse; the
        server is asked to follow the schema, which OpenAI's structured outputs do)."""
        if not messages:
            raise ConfigError("messages: expected at least one message, got none")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ConfigError(f"max_tokens: expected a positive int, got {max_tokens!r}")
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            self.token_limit_field: max_tokens,
        }
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if json_schema is not None:
            if not isinstance(json_schema, dict):
                raise ConfigError(f"json_schema: expected a dict, got "
                                  f"{type(json_schema).__name__}")
            title = str(json_schema.get("title") or "reply")
            name = _SCHEMA_NAME.sub("_", title).strip("_")[:64] or "reply"
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": name, "schema": json_schema}}
        path = "/chat/completions"
        document = self._post_json(path, json_body=body)
        try:
            message = _field(document, "choices", 0, "message")
            finish = _field(document, "choices", 0).get("finish_reason")
        except (KeyError, AttributeError) as e:
            raise self._fail(path, f"expected choices[0].message in the answer, missing "
                             f"{e.args[0]}"
                             ) from None
        if not isinstance(message, dict):
            raise self._fail(path, "expected choices[0].message to be an object")
        content = message.get("content")
        if not isinstance(content, str):
            refusal = message.get("refusal")
            if isinstance(refusal, str) and refusal:
                raise self._fail(path, f"the model refused: {refusal[:300]}")
            raise self._fail(path, f"expected choices[0].message.content to be a string, "
                             f"got {type(content).__name__}")
        if json_schema is not None:
            try:
                json.loads(content)
            except ValueError:
                cut = " (cut off at max_tokens)" if finish == "length" else ""
                raise self._fail(path, f"asked for JSON, the reply is not JSON{cut}: "
                                 f"{_preview(content.encode())}") from None
        return content


# -- embeddings ------------------------------------------------------------------------

class OpenAIEmbeddings(_Client):
    """An :class:`~cbcs.ai.embeddings.Embeddings` over ``POST {base_url}/embeddings``; the
    vectors are made unit length, so a dot product is the cosine."""

    def __init__(self, base_url: str, *, model: str, api_key: str | None = None,
                 timeout_s: float = 30.0, dim: int | None = None, batch_size: int = 256,
                 query_prefix: str = "", passage_prefix: str = "",
                 max_retry_wait_s: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__("embeddings", base_url, model=model, api_key=api_key,
                         timeout_s=timeout_s, max_retry_wait_s=max_retry_wait_s, sleep=sleep)
        if dim is not None and (not isinstance(dim, int) or dim < 1):
            raise ConfigError(f"dim: expected a positive int or None, got {dim!r}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size: expected a positive int, got {batch_size!r}")
        self._dim = dim
        self.batch_size = batch_size
        self.prefixes: dict[Side, str] = {"query": query_prefix, "passage": passage_prefix}

    @property
    def dim(self) -> int:
        """The vectors' length: given, or learnt from the first answer."""
        if self._dim is None:
            raise ConfigError(f"dim: not known before the first embed() of {self.model!r}; "
                              f"pass dim= to OpenAIEmbeddings")
        return self._dim

    @dim.setter
    def dim(self, value: int) -> None:
        self._dim = value

    def embed(self, texts: Sequence[str], side: Side = "query") -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed: expected a list of texts, got one string")
        if side not in self.prefixes:
            raise ConfigError(f"side: expected query or passage, got {side!r}")
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        prefix = self.prefixes[side]
        parts = [self._embed_batch([prefix + t for t in texts[i:i + self.batch_size]])
                 for i in range(0, len(texts), self.batch_size)]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        path = "/embeddings"
        body = {"model": self.model, "input": texts, "encoding_format": "float"}
        document = self._post_json(path, json_body=body)
        data = document.get("data")
        if not isinstance(data, list) or len(data) != len(texts):
            got = f"{len(data)} items" if isinstance(data, list) else type(data).__name__
            raise self._fail(path, f"expected data with {len(texts)} embeddings, got {got}")
        rows: list[Any] = [None] * len(texts)
        seen: set[int] = set()
        for position, item in enumerate(data):
            index = item.get("index", position) if isinstance(item, dict) else None
            if not isinstance(index, int) or not 0 <= index < len(texts) or index in seen:
                raise self._fail(path, f"data[{position}]: expected an object with a new "
                                 f"index in 0..{len(texts) - 1}")
            seen.add(index)
            rows[index] = item.get("embedding")
        try:
            vectors = np.array(rows, dtype=np.float32)
        except (TypeError, ValueError):
            raise self._fail(path, "expected every embedding to be a list of numbers of one "
                             "length") from None
        if vectors.ndim != 2 or vectors.shape[1] == 0:
            raise self._fail(path, f"expected {len(texts)} vectors of one length, got an "
                             f"array of shape {vectors.shape}")
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise self._fail(path, f"expected vectors of dim {self._dim}, got "
                             f"{vectors.shape[1]}")
        norms: np.ndarray = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise self._fail(path, "an embedding is zero or not finite")
        self._dim = int(vectors.shape[1])
        unit: np.ndarray = (vectors / norms).astype(np.float32)
        return unit


# -- speech ----------------------------------------------------------------------------

class OpenAISpeech(_Client):
    """A :class:`~cbcs.ai.providers.Synthesizer` over ``POST {base_url}/audio/speech``,
    raw 24 kHz 16-bit PCM streamed into float32 chunks."""

    sample_rate = 24000

    def __init__(self, base_url: str, *, model: str, api_key: str | None = None,
                 timeout_s: float = 30.0, voice: str = "alloy",
                 voices: Mapping[str, str] | None = None,
                 languages: Sequence[str] = LANGUAGES, chunk_samples: int = 2400,
                 max_retry_wait_s: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__("speech", base_url, model=model, api_key=api_key,
                         timeout_s=timeout_s, max_retry_wait_s=max_retry_wait_s, sleep=sleep)
        if not isinstance(chunk_samples, int) or chunk_samples < 1:
            raise ConfigError(f"chunk_samples: expected a positive int, got {chunk_samples!r}")
        self.voice = voice
        self.voices = dict(voices or {})
        self._languages = tuple(languages)
        unknown = sorted(set(self.voices) - set(self._languages))
        if unknown:
            raise ConfigError(f"voices: expected languages among "
                              f"{', '.join(self._languages)}, got {', '.join(unknown)}")
        self.chunk_samples = chunk_samples

    def languages(self) -> Sequence[str]:
        return self._languages

    def synthesize(self, text: str, language: str) -> Iterator[np.ndarray]:
        """float32 chunks of ``chunk_samples`` (the last may be shorter) as they arrive."""
        if language not in self._languages:
            raise ConfigError(f"language: expected one of {', '.join(self._languages)}, "
                              f"got {language!r}")
        if not text.strip():
            raise ConfigError("text: expected something to say, got an empty string")
        return self._stream(text, self.voices.get(language, self.voice))

    def _stream(self, text: str, voice: str) -> Iterator[np.ndarray]:
        path = "/audio/speech"
        body = {"model": self.model, "input": text, "voice": voice, "response_format": "pcm"}
        response = self._send(path, json_body=body)
        kind = response.headers.get("Content-Type", "")
        chunk_bytes = 2 * self.chunk_samples
        pending = bytearray()
        total = 0
        try:
            if "json" in kind or "text/" in kind:
                raise self._fail(path, f"expected raw PCM audio, got {kind}: "
                                       f"{_preview(response.content)}")
            for piece in response.iter_content(chunk_size=chunk_bytes):
                if total == 0 and not pending and piece[:4] == b"RIFF":
                    raise self._fail(path, "expected raw PCM (response_format pcm), got a "
                                           "WAV file")
                pending += piece
                while len(pending) >= chunk_bytes:
                    total += self.chunk_samples
                    yield _pcm16(bytes(pending[:chunk_bytes]))
                    del pending[:chunk_bytes]
            if len(pending) % 2:
                pending.pop()  # half a sample: the stream was cut mid-sample
            if pending:
                total += len(pending) // 2
                yield _pcm16(bytes(pending))
            if total == 0:
                raise self._fail(path, "the answer held no audio")
        except requests.RequestException as e:
            timed_out = isinstance(e, requests.Timeout) or "timed out" in str(e).lower()
            what = (f"the audio stopped for more than {self.timeout_s:g} s" if timed_out
                    else f"the audio stream broke: {type(e).__name__}: {e}")
            raise self._fail(path, what) from None
        finally:
            response.close()


def _pcm16(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


# -- transcription ---------------------------------------------------------------------

# What whisper's verbose_json calls the markets' languages, as cbcs tags them.
_WHISPER_NAMES = {"english": "en", "spanish": "es", "portuguese": "pt-BR",
                  "indonesian": "id", "thai": "th", "vietnamese": "vi", "tagalog": "tl",
                  "chinese": "zh", "pt": "pt-BR"}


class OpenAITranscriber(_Client):
    """A :class:`~cbcs.ai.providers.Transcriber` over ``POST
    {base_url}/audio/transcriptions``: the audio uploaded as a 16-bit WAV file."""

    def __init__(self, base_url: str, *, model: str, api_key: str | None = None,
                 timeout_s: float = 30.0, sample_rate: int = 16000,
                 response_format: Literal["verbose_json", "json"] = "verbose_json",
                 max_stream_s: float = 600.0, max_retry_wait_s: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__("transcription", base_url, model=model, api_key=api_key,
                         timeout_s=timeout_s, max_retry_wait_s=max_retry_wait_s, sleep=sleep)
        if sample_rate not in (8000, 16000, 24000, 48000):
            raise ConfigError(f"sample_rate: expected one of 8000, 16000, 24000, 48000, got "
                              f"{sample_rate!r}")
        if response_format not in ("verbose_json", "json"):
            raise ConfigError(f"response_format: expected verbose_json or json, got "
                              f"{response_format!r}")
        if not max_stream_s > 0:
            raise ConfigError(f"max_stream_s: expected a positive number, got "
                              f"{max_stream_s!r}")
        self.sample_rate = sample_rate
        self.response_format = response_format
        self.max_stream_s = float(max_stream_s)

    def transcribe(self, audio: np.ndarray, language: str | None = None, *,
                   expect: Sequence[str] = ()) -> Transcript:
        """``expect`` is sent as the request's ``prompt`` (the service's way to bias
        recognition towards words)."""
        _check_audio(audio)
        if audio.size == 0:
            raise FrameError("audio: expected float32[n] with n > 0, got float32[0]")
        path = "/audio/transcriptions"
        data = {"model": self.model, "response_format": self.response_format}
        if language is not None:
            data["language"] = language.split("-")[0].lower()  # ISO 639-1: pt-BR -> pt
        if expect:
            data["prompt"] = " ".join(expect)
        files = {"file": ("audio.wav", _wav(audio, self.sample_rate), "audio/wav")}
        document = self._post_json(path, data=data, files=files)
        text = document.get("text")
        if not isinstance(text, str):
            raise self._fail(path, f"expected text in the answer, got "
                             f"{type(text).__name__}")
        found = document.get("language")
        if language is not None:
            lang = language
        elif isinstance(found, str) and found:
            lang = _WHISPER_NAMES.get(found.lower(), found.lower())
        else:
            lang = "und"
        segments = []
        for s in document.get("segments") or ():
            try:
                segments.append((float(s["start"]), float(s["end"]), str(s["text"]).strip()))
            except (KeyError, TypeError, ValueError):
                raise self._fail(path, "expected segments with start, end and text") from None
        return Transcript(text.strip(), lang, True, tuple(segments))

    def stream(self, language: str | None = None) -> TranscriberStream:
        return _BufferedStream(self, language)


class _BufferedStream:
    """Keeps what is fed and transcribes it at :meth:`finish`; no interim transcripts."""

    def __init__(self, transcriber: OpenAITranscriber, language: str | None) -> None:
        self._transcriber = transcriber
        self._language = language
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._limit = int(transcriber.max_stream_s * transcriber.sample_rate)
        self._dropped = False
        self._result: Transcript | None = None

    def feed(self, audio: np.ndarray) -> Transcript | None:
        _check_audio(audio)
        room = self._limit - self._samples
        if audio.size > room:
            if not self._dropped:
                log.warning("transcription stream over max_stream_s (%g s): the rest of "
                            "the audio is dropped", self._transcriber.max_stream_s)
                self._dropped = True
            audio = audio[:max(room, 0)]
        if audio.size:
            self._chunks.append(audio.copy())
            self._samples += audio.size
        return None

    def finish(self) -> Transcript:
        """The transcript of everything fed (asked for once; later calls repeat it)."""
        if self._result is None:
            if self._samples == 0:
                self._result = Transcript("", self._language or "und", True)
            else:
                audio = np.concatenate(self._chunks)
                self._chunks.clear()
                self._result = self._transcriber.transcribe(audio, self._language)
        return self._result


def _check_audio(audio: np.ndarray) -> None:
    if not isinstance(audio, np.ndarray) or audio.dtype != np.float32 or audio.ndim != 1:
        got = (f"{audio.dtype}[{','.join(map(str, audio.shape))}]"
               if isinstance(audio, np.ndarray) else type(audio).__name__)
        raise FrameError(f"audio: expected float32[n] (mono), got {got}")


def _wav(audio: np.ndarray, sample_rate: int) -> bytes:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()
