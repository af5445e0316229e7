"""A FAKE OpenAI-compatible server for the tests: it stands in for a cloud service this
machine cannot reach. Nothing it answers comes from a model.

:class:`FakeOpenAI` serves ``/v1/chat/completions``, ``/v1/embeddings``,
``/v1/audio/speech`` and ``/v1/audio/transcriptions`` on 127.0.0.1 (a port the system
picks) from a thread. Like the real service it checks the ``Authorization`` header and
refuses a request body the API would refuse (400, OpenAI's error shape); unlike it, its
401 quotes back the whole key it was sent, which is worse than the real service and so
makes a better test of an adapter keeping the key out of its errors. Its answers are
deterministic: chat replies ``FAKE reply to: <the last user message>``; with a JSON schema it
returns a document that follows the schema (the first value of each enum); an embedding
is a vector derived from the text's sha256 (not unit length, on purpose); speech is a
tone as long as the text, sent in pieces of odd sizes; a transcription says how much
audio came and at which rate. :meth:`FakeOpenAI.script` makes the next requests fail: an
HTTP status (429 with ``Retry-After``, 500, ...), malformed JSON, a JSON answer of the wrong
shape, or an answer that comes too late.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
import numpy as np

#: the key the FAKE server accepts unless told another
FAKE_KEY = "sk-fake-0123456789abcdef-not-a-real-key"

SPEECH_RATE = 24000
SPEECH_SAMPLES_PER_CHAR = 240  # 10 ms of tone per character of text


@dataclass
class Fault:
    """How the FAKE server answers one request instead of its normal answer: ``status``
    (with ``retry_after`` and ``message``), ``malformed`` JSON, a ``body`` of the wrong
    shape, ``delay_s`` before the normal answer, or the normal answer in ten pieces with
    ``trickle_s`` between them."""

    status: int | None = None
    retry_after: str | None = None
    message: str = "the fake server was told to fail"
    malformed: bool = False
    body: Any = None
    delay_s: float = 0.0
    trickle_s: float = 0.0


@dataclass
class Received:
    """One request the FAKE server got: ``path``, ``headers`` and the parsed ``body``
    (JSON, or for multipart the form fields with the file's bytes under ``"file"``)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


class BadRequest(Exception):
    """A request body the API would refuse (the FAKE answers 400 with this message)."""


class FakeOpenAI:
    """A FAKE OpenAI-compatible server on 127.0.0.1; use as a context manager.

    ``base_url`` is what an adapter is given; ``received`` lists every request;
    ``embedding_dim`` is the length of the vectors it answers.
    """

    def __init__(self, api_key: str = FAKE_KEY, embedding_dim: int = 8) -> None:
        self.api_key = api_key
        self.embedding_dim = embedding_dim
        self.received: list[Received] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *faults: Fault) -> None:
        """The next requests (one per fault, whatever their path) get these answers."""
        with self._lock:
            self._faults.extend(faults)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # ends the delay of a slow answer
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what the FAKE answers ----------------------------------------------------------

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        _need(body, "model", str)
        messages = _need(body, "messages", list)
        if not messages:
            raise BadRequest("messages: expected at least one message")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant") \
                    or not isinstance(m.get("content"), str):
                raise BadRequest(f"messages[{i}]: expected a role and a string content")
        limit = body.get("max_tokens", body.get("max_completion_tokens"))
        if not isinstance(limit, int) or limit < 1:
            raise BadRequest("max_tokens: expected a positive integer")
        last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        content = f"FAKE reply to: {last_user}"
        fmt = body.get("response_format")
        if fmt is not None:
            if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
                raise BadRequest("response_format: expected type json_schema")
            spec = fmt.get("json_schema")
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) \
                    or not isinstance(spec.get("schema"), dict):
                raise BadRequest("response_format.json_schema: expected a name and a schema")
            try:
                jsonschema.Draft202012Validator.check_schema(spec["schema"])
            except jsonschema.SchemaError as e:
                raise BadRequest(f"response_format.json_schema.schema: {e.message}") from None
            content = json.dumps(_follow(spec["schema"]), ensure_ascii=False)
        return {"id": "chatcmpl-fake", "object": "chat.completion", "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    def embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        _need(body, "model", str)
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or \
                not all(isinstance(t, str) and t for t in texts):
            raise BadRequest("input: expected a non-empty string or list of them")
        # answered in reverse order: the index field, not the position, says which is which
        data = [{"object": "embedding", "index": i, "embedding": _vector(t, self.embedding_dim)}
                for i, t in enumerate(texts)]
        return {"object": "list", "model": body["model"], "data": data[::-1]}

    def speech(self, body: dict[str, Any]) -> bytes:
        _need(body, "model", str)
        text = _need(body, "input", str)
        _need(body, "voice", str)
        if not text:
            raise BadRequest("input: expected some text")
        if body.get("response_format") != "pcm":
            raise BadRequest("response_format: this FAKE only answers pcm")
        n = SPEECH_SAMPLES_PER_CHAR * len(text)
        tone = 0.25 * np.sin(2 * math.pi * 440 * np.arange(n) / SPEECH_RATE)
        return (tone * 32767).round().astype("<i2").tobytes()

    def transcription(self, form: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(form.get("model"), str):
            raise BadRequest("model: expected a string form field")
        audio = form.get("file")
        if not isinstance(audio, bytes):
            raise BadRequest("file: expected an uploaded file")
        try:
            with wave.open(io.BytesIO(audio), "rb") as w:
                channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
                frames = w.getnframes()
        except (wave.Error, EOFError) as e:
            raise BadRequest(f"file: not a WAV file ({e})") from None
        if channels != 1 or width != 2:
            raise BadRequest("file: expected mono 16-bit WAV")
        seconds = frames / rate
        text = f"FAKE transcript of {seconds:.2f} s at {rate} Hz"
        if form.get("response_format", "json") == "json":
            return {"text": text}
        language = {"pt": "portuguese", "en": "english", "es": "spanish"}.get(
            form.get("language", "en"), "english")
        return {"text": " " + text, "language": language, "duration": seconds,
                "segments": [{"id": 0, "start": 0.0, "end": seconds, "text": " " + text}]}


def _need(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind):
        raise BadRequest(f"{name}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _follow(schema: dict[str, Any]) -> Any:
    """A document that follows ``schema``: each enum's first value, each object's
    properties, one item per array, zero values for the rest."""
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        return {k: _follow(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [_follow(schema.get("items", {"type": "string"}))]
    return {"string": "FAKE", "integer": 0, "number": 0.0, "boolean": False,
            "null": None}[kind]


def _vector(text: str, dim: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dim:
        digest += hashlib.sha256(digest).digest()
    return [(b - 127.5) / 10 for b in digest[:dim]]


def _pieces(data: bytes) -> Iterator[bytes]:
    """Odd-sized pieces, so a sample is split between two of them."""
    step = 1001
    for i in range(0, len(data), step):
        yield data[i:i + step]


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the tests read fake.received instead

        trickle_s = 0.0

        def do_POST(self) -> None:
            try:
                self._answer()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (a timeout test)

        def _answer(self) -> None:
            self.trickle_s = 0.0
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received = Received(self.path, dict(self.headers.items()))
            fake.received.append(received)
            if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                sent = self.headers.get("Authorization", "").removeprefix("Bearer ")
                return self._error(401, f"Incorrect API key provided: {sent}",
                                   "invalid_api_key")
            try:
                received.body = self._parse(raw)
            except BadRequest as e:
                return self._error(400, str(e))
            fault = fake._next_fault()
            if fault is not None:
                if fake._closing.wait(fault.delay_s):
                    return
                if fault.status is not None:
                    return self._error(fault.status, fault.message,
                                       retry_after=fault.retry_after)
                if fault.malformed:
                    return self._send(200, b'{"choices": [{"message": ', "application/json")
                if fault.body is not None:
                    return self._send(200, json.dumps(fault.body).encode(), "application/json")
            if fault is not None:
                self.trickle_s = fault.trickle_s
            routes = {"/v1/chat/completions": fake.chat, "/v1/embeddings": fake.embeddings,
                      "/v1/audio/transcriptions": fake.transcription}
            try:
                if self.path == "/v1/audio/speech":
                    return self._send_pieces(fake.speech(received.body))
                if self.path not in routes:
                    return self._error(404, f"no route {self.path} in this FAKE")
                answer = routes[self.path](received.body)
            except BadRequest as e:
                return self._error(400, str(e))
            self._send(200, json.dumps(answer).encode(), "application/json")

        def _parse(self, raw: bytes) -> dict[str, Any]:
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("multipart/form-data"):
                message = BytesParser(policy=policy.HTTP).parsebytes(
                    f"Content-Type: {kind}\r\n\r\n".encode() + raw)
                form: dict[str, Any] = {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    content = part.get_payload(decode=True)
                    if not isinstance(content, bytes):
                        raise BadRequest(f"{name}: expected a simple form field")
                    form[str(name)] = content if part.get_filename() else content.decode()
                return form
            if kind != "application/json":
                raise BadRequest(f"Content-Type: expected application/json, got {kind!r}")
            try:
                body = json.loads(raw)
            except ValueError:
                raise BadRequest("the body is not JSON") from None
            if not isinstance(body, dict):
                raise BadRequest("the body is not a JSON object")
            return body

        def _error(self, status: int, message: str, code: str | None = None,
                   retry_after: str | None = None) -> None:
            body = {"error": {"message": message, "type": "invalid_request_error",
                              "code": code}}
            extra = {"Retry-After": retry_after} if retry_after is not None else {}
            self._send(status, json.dumps(body).encode(), "application/json", extra)

        def _send(self, status: int, body: bytes, kind: str,
                  extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if not self.trickle_s:
                self.wfile.write(body)
                return
            step = max(1, len(body) // 10)
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
                if fake._closing.wait(self.trickle_s):
                    return

        def _send_pieces(self, audio: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "audio/pcm")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in _pieces(audio):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

    return Handler
