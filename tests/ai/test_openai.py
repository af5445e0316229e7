"""The OpenAI-compatible adapters (cbcs.ai.openai) against a FAKE local server
(fake_openai.py) that stands in for the cloud service this machine cannot reach."""

from __future__ import annotations

import json
import logging
import math
import socket
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import numpy as np
import pytest

from cbcs.ai.nearest import Example, NearestExamples
from cbcs.ai.openai import (OpenAIChat, OpenAIEmbeddings, OpenAISpeech, OpenAITranscriber,
                            ProviderError)
from cbcs.ai.providers import (ChatMessage, ChatModel, Embeddings, Synthesizer, Transcriber,
                               TranscriberStream)
from cbcs.errors import ConfigError, FrameError
from fake_openai import FAKE_KEY, SPEECH_RATE, SPEECH_SAMPLES_PER_CHAR, FakeOpenAI, Fault


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


class Waits:
    """Stands in for time.sleep: records how long an adapter would have waited."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def tone(seconds: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * math.pi * 300 * t)).astype(np.float32)


# Every adapter, built against a URL with keyword arguments, and one call of it.
Build = Callable[..., Any]
ADAPTERS: dict[str, tuple[Build, Callable[[Any], object]]] = {
    "chat": (lambda url, **kw: OpenAIChat(url, model="gpt-fake", **kw),
             lambda a: a.complete([ChatMessage("user", "hi")])),
    "embeddings": (lambda url, **kw: OpenAIEmbeddings(url, model="embed-fake", **kw),
                   lambda a: a.embed(["hi", "there"])),
    "speech": (lambda url, **kw: OpenAISpeech(url, model="tts-fake", **kw),
               lambda a: list(a.synthesize("hi there", "en"))),
    "transcription": (lambda url, **kw: OpenAITranscriber(url, model="stt-fake", **kw),
                      lambda a: a.transcribe(tone(0.5))),
}
KINDS = sorted(ADAPTERS)


# -- each adapter round-trips ----------------------------------------------------------

def test_chat_sends_the_conversation_and_returns_the_reply(fake: FakeOpenAI) -> None:
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY)
    reply = chat.complete([ChatMessage("system", "You are a shop's assistant."),
                           ChatMessage("user", "onde está meu pedido?")], max_tokens=64)
    assert reply == "FAKE reply to: onde está meu pedido?"
    body = fake.received[0].body
    assert fake.received[0].path == "/v1/chat/completions"
    assert body["model"] == "gpt-fake" and body["max_tokens"] == 64
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "response_format" not in body


def test_chat_with_a_schema_asks_for_it_and_returns_a_document_that_follows_it(
        fake: FakeOpenAI) -> None:
    schema = {"title": "Triage decision", "type": "object",
              "properties": {"intent": {"enum": ["refund_status", "order_status"]},
                             "escalate": {"type": "boolean"},
                             "reasons": {"type": "array", "items": {"type": "string"}}},
              "required": ["intent", "escalate", "reasons"], "additionalProperties": False}
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY)
    reply = chat.complete([ChatMessage("user", "cadê meu reembolso")], json_schema=schema)
    document = json.loads(reply)
    jsonschema.validate(document, schema)
    assert document["intent"] == "refund_status"
    assert fake.received[0].body["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "Triage_decision", "schema": schema}}


def test_chat_can_name_the_token_limit_the_way_newer_models_want(fake: FakeOpenAI) -> None:
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY,
                      token_limit_field="max_completion_tokens")
    chat.complete([ChatMessage("user", "hi")], max_tokens=10)
    body = fake.received[0].body
    assert body["max_completion_tokens"] == 10 and "max_tokens" not in body


def answer_with(model: ChatModel, question: str) -> str:
    """Written against the interface, as the AI tier is."""
    return f"{model.name}: " + model.complete([ChatMessage("user", question)])


def test_the_adapters_are_used_where_the_interfaces_are_expected(fake: FakeOpenAI) -> None:
    # The annotations are checked by mypy; the calls show they work through the interface.
    chat: ChatModel = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY)
    embeddings: Embeddings = OpenAIEmbeddings(fake.base_url, model="e", api_key=FAKE_KEY,
                                              dim=8)
    speech: Synthesizer = OpenAISpeech(fake.base_url, model="t", api_key=FAKE_KEY)
    stt: Transcriber = OpenAITranscriber(fake.base_url, model="w", api_key=FAKE_KEY)
    stream: TranscriberStream = stt.stream()
    assert answer_with(chat, "hi") == "openai:gpt-fake: FAKE reply to: hi"
    assert embeddings.embed(["hi"]).shape == (1, embeddings.dim)
    assert speech.sample_rate == 24000 and "th" in speech.languages()
    assert stream.finish().text == ""


def test_cloud_embeddings_drive_the_intent_classifier(fake: FakeOpenAI) -> None:
    embeddings = OpenAIEmbeddings(fake.base_url, model="embed-fake", api_key=FAKE_KEY, dim=8)
    classifier = NearestExamples(embeddings, ["order_status", "refund_status"],
                                 [Example("where is my parcel", "en", "order_status"),
                                  Example("my refund never came", "en", "refund_status")])
    assert classifier.classify("my refund never came").label == "refund_status"
    assert classifier.classify("where is my parcel").label == "order_status"


def test_embeddings_are_unit_vectors_in_the_order_of_the_texts(fake: FakeOpenAI) -> None:
    embeddings = OpenAIEmbeddings(fake.base_url, model="embed-fake", api_key=FAKE_KEY)
    vectors = embeddings.embed(["pesanan saya", "refund", "pesanan saya"])
    assert vectors.shape == (3, 8) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(vectors[0], vectors[2])
    # The FAKE answers in reverse order with indexes: the index decides.
    assert np.array_equal(vectors[1], embeddings.embed(["refund"])[0])
    assert fake.received[0].body["input"] == ["pesanan saya", "refund", "pesanan saya"]


def test_embeddings_dim_is_known_after_the_first_call_or_when_given(
        fake: FakeOpenAI) -> None:
    embeddings = OpenAIEmbeddings(fake.base_url, model="embed-fake", api_key=FAKE_KEY)
    with pytest.raises(ConfigError, match="pass dim="):
        embeddings.dim
    embeddings.embed(["hi"])
    assert embeddings.dim == 8
    wrong = OpenAIEmbeddings(fake.base_url, model="embed-fake", api_key=FAKE_KEY, dim=384)
    assert wrong.embed([]).shape == (0, 384) and fake.received[1:] == []
    with pytest.raises(ProviderError, match="expected vectors of dim 384, got 8"):
        wrong.embed(["hi"])


def test_embeddings_are_sent_in_batches_with_the_sides_prefix(fake: FakeOpenAI) -> None:
    texts = [f"text {i}" for i in range(5)]
    whole = OpenAIEmbeddings(fake.base_url, model="e5-fake", api_key=FAKE_KEY,
                             query_prefix="query: ", passage_prefix="passage: ")
    batched = OpenAIEmbeddings(fake.base_url, model="e5-fake", api_key=FAKE_KEY,
                               batch_size=2, query_prefix="query: ")
    expected = whole.embed(texts, "query")
    assert np.array_equal(batched.embed(texts, "query"), expected)
    assert [len(r.body["input"]) for r in fake.received] == [5, 2, 2, 1]
    assert fake.received[0].body["input"][0] == "query: text 0"
    whole.embed(["an article"], "passage")
    assert fake.received[-1].body["input"] == ["passage: an article"]


def test_speech_streams_the_pcm_as_float32_chunks(fake: FakeOpenAI) -> None:
    speech = OpenAISpeech(fake.base_url, model="tts-fake", api_key=FAKE_KEY, chunk_samples=500,
                          voices={"th": "nova"})
    text = "Seu pedido chega amanhã."
    chunks = list(speech.synthesize(text, "pt-BR"))
    n = SPEECH_SAMPLES_PER_CHAR * len(text)
    assert [len(c) for c in chunks] == [500] * (n // 500) + [n % 500]
    assert all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    expected = 0.25 * np.sin(2 * math.pi * 440 * np.arange(n) / SPEECH_RATE)
    # The FAKE sends pieces of 1001 bytes: samples split between pieces come out whole.
    assert np.max(np.abs(np.concatenate(chunks) - expected)) < 2 / 32768
    body = fake.received[0].body
    assert body["response_format"] == "pcm" and body["voice"] == "alloy"
    list(speech.synthesize("สวัสดีค่ะ", "th"))
    assert fake.received[1].body["voice"] == "nova"


def test_speech_in_a_language_it_was_not_given_is_refused(fake: FakeOpenAI) -> None:
    speech = OpenAISpeech(fake.base_url, model="tts-fake", api_key=FAKE_KEY,
                          languages=["en", "es"])
    with pytest.raises(ConfigError, match="expected one of en, es, got 'vi'"):
        speech.synthesize("xin chào", "vi")
    assert fake.received == []


def test_transcription_uploads_a_wav_and_reads_the_transcript(fake: FakeOpenAI) -> None:
    stt = OpenAITranscriber(fake.base_url, model="whisper-fake", api_key=FAKE_KEY)
    said = stt.transcribe(tone(1.5), language="pt-BR")
    assert said.text == "FAKE transcript of 1.50 s at 16000 Hz"
    assert said.language == "pt-BR" and said.final
    assert said.segments == ((0.0, 1.5, said.text),)
    form = fake.received[0].body
    assert form["language"] == "pt" and form["model"] == "whisper-fake"
    assert form["file"][:4] == b"RIFF" and "prompt" not in form
    stt.transcribe(tone(0.3), language="es", expect=("Sí.", "Vale."))
    assert fake.received[1].body["prompt"] == "Sí. Vale."  # the service's word bias
    # Whisper names the language it heard; cbcs tags it.
    assert stt.transcribe(tone(0.2)).language == "en"


def test_a_text_only_transcription_model_keeps_the_language_asked_for(
        fake: FakeOpenAI) -> None:
    stt = OpenAITranscriber(fake.base_url, model="gpt-4o-transcribe", api_key=FAKE_KEY,
                            response_format="json")
    assert stt.transcribe(tone(0.25), language="th").language == "th"
    assert stt.transcribe(tone(0.25)).language == "und"


def test_a_transcription_stream_transcribes_everything_at_finish(fake: FakeOpenAI) -> None:
    stt = OpenAITranscriber(fake.base_url, model="whisper-fake", api_key=FAKE_KEY)
    stream = stt.stream(language="es")
    audio = tone(1.5)
    assert [stream.feed(audio[i:i + 8000]) for i in range(0, len(audio), 8000)] == [None] * 3
    assert fake.received == []
    final = stream.finish()
    assert final.text == "FAKE transcript of 1.50 s at 16000 Hz" and final.language == "es"
    assert stream.finish() == final and len(fake.received) == 1


def test_a_transcription_stream_keeps_at_most_max_stream_s(fake: FakeOpenAI,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    stt = OpenAITranscriber(fake.base_url, model="whisper-fake", api_key=FAKE_KEY,
                            max_stream_s=1.0)
    stream = stt.stream()
    for _ in range(4):
        stream.feed(tone(0.5))
    assert "1.00 s" in stream.finish().text
    assert "dropped" in caplog.text


def test_audio_that_is_not_float32_mono_is_refused(fake: FakeOpenAI) -> None:
    stt = OpenAITranscriber(fake.base_url, model="whisper-fake", api_key=FAKE_KEY)
    with pytest.raises(FrameError, match=r"expected float32\[n\] \(mono\), got float64\[320\]"):
        stt.transcribe(np.zeros(320))
    with pytest.raises(FrameError, match=r"got float32\[2,160\]"):
        stt.stream().feed(np.zeros((2, 160), np.float32))


# -- the key ---------------------------------------------------------------------------

def test_the_key_is_sent_and_is_not_in_repr(fake: FakeOpenAI) -> None:
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY)
    chat.complete([ChatMessage("user", "hi")])
    assert fake.received[0].headers["Authorization"] == f"Bearer {FAKE_KEY}"
    assert FAKE_KEY not in repr(chat) and FAKE_KEY not in str(vars(chat))
    assert "api_key='***'" in repr(chat)


def test_the_key_comes_from_the_environment_when_not_given(
        fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CBCS_OPENAI_API_KEY", FAKE_KEY)
    OpenAIEmbeddings(fake.base_url, model="embed-fake").embed(["hi"])
    assert fake.received[0].headers["Authorization"] == f"Bearer {FAKE_KEY}"
    monkeypatch.delenv("CBCS_OPENAI_API_KEY")
    with pytest.raises(ConfigError, match="CBCS_OPENAI_API_KEY"):
        OpenAIEmbeddings(fake.base_url, model="embed-fake")


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_key_gives_401_without_the_key_in_the_error_or_the_logs(
        fake: FakeOpenAI, kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3's and requests' records too
    wrong = "sk-wrong-but-still-secret-42"
    build, call = ADAPTERS[kind]
    adapter = build(fake.base_url, api_key=wrong)
    with pytest.raises(ProviderError, match="HTTP 401 Unauthorized: Incorrect API key") as e:
        call(adapter)
    assert e.value.status == 401 and len(fake.received) == 1  # not retried
    # The FAKE quoted the whole key back; the adapter kept it out.
    assert wrong not in str(e.value) and "***" in str(e.value)
    assert caplog.records and wrong not in caplog.text
    assert not any(wrong in r.getMessage() for r in caplog.records)


def test_the_key_is_not_logged_when_a_request_is_retried(
        fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script(Fault(status=503, retry_after="0"))
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY)
    chat.complete([ChatMessage("user", "hi")])
    assert "retrying once" in caplog.text and FAKE_KEY not in caplog.text


# -- retries ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_a_429_then_a_200_is_retried_once_after_retry_after(fake: FakeOpenAI,
                                                            kind: str) -> None:
    fake.script(Fault(status=429, retry_after="2", message="Rate limit reached"))
    waits = Waits()
    build, call = ADAPTERS[kind]
    call(build(fake.base_url, api_key=FAKE_KEY, sleep=waits))
    assert len(fake.received) == 2 and waits.seconds == [2.0]


def test_a_retry_after_given_as_a_date_is_waited_for(fake: FakeOpenAI) -> None:
    fake.script(Fault(status=429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
    waits = Waits()
    OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY,
               sleep=waits).complete([ChatMessage("user", "hi")])
    assert waits.seconds == [0.0]  # a date in the past: at once


def test_two_server_errors_in_a_row_give_up_after_one_retry(fake: FakeOpenAI) -> None:
    fake.script(Fault(status=500, message="upstream exploded"), Fault(status=502))
    waits = Waits()
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY, sleep=waits)
    with pytest.raises(ProviderError, match="HTTP 502") as e:
        chat.complete([ChatMessage("user", "hi")])
    assert e.value.status == 502 and len(fake.received) == 2 and waits.seconds == [0.5]


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(fake: FakeOpenAI) -> None:
    fake.script(Fault(status=429, retry_after="60", message="Rate limit reached"))
    waits = Waits()
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY, sleep=waits,
                      max_retry_wait_s=5)
    with pytest.raises(ProviderError, match=r"HTTP 429 .*Rate limit reached.*retry after 60 s"
                                            r".*max_retry_wait_s"):
        chat.complete([ChatMessage("user", "hi")])
    assert len(fake.received) == 1 and waits.seconds == []


def test_a_client_error_is_not_retried(fake: FakeOpenAI) -> None:
    fake.script(Fault(status=400, message="max_tokens is too large"))
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY, sleep=Waits())
    with pytest.raises(ProviderError, match="HTTP 400 Bad Request: max_tokens is too large"):
        chat.complete([ChatMessage("user", "hi")])
    assert len(fake.received) == 1


# -- timeouts, broken answers ----------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_does_not_answer_in_time_gives_provider_error(fake: FakeOpenAI,
                                                                    kind: str) -> None:
    fake.script(Fault(delay_s=10))
    build, call = ADAPTERS[kind]
    with pytest.raises(ProviderError, match="no answer within 0.3 s"):
        call(build(fake.base_url, api_key=FAKE_KEY, timeout_s=0.3))


def test_an_answer_trickling_in_past_timeout_s_gives_provider_error(fake: FakeOpenAI) -> None:
    # Each piece comes well within the timeout; the whole answer does not.
    fake.script(Fault(trickle_s=0.2))
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY, timeout_s=0.5)
    with pytest.raises(ProviderError, match="no answer within 0.5 s"):
        chat.complete([ChatMessage("user", "hi")])


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_json_gives_provider_error(fake: FakeOpenAI, kind: str) -> None:
    fake.script(Fault(malformed=True))
    build, call = ADAPTERS[kind]
    with pytest.raises(ProviderError, match="not JSON|expected raw PCM"):
        call(build(fake.base_url, api_key=FAKE_KEY))


@pytest.mark.parametrize("kind, body, message", [
    ("chat", {"choices": []}, r"missing \['choices'\]\[0\]"),
    ("chat", {"choices": [{"message": {"content": None, "refusal": "I can't help"}}]},
     "the model refused: I can't help"),
    ("chat", [1, 2], "expected a JSON object, got list"),
    ("embeddings", {"data": "nope"}, "expected data with 2 embeddings, got str"),
    ("embeddings", {"data": [{"index": 0, "embedding": [1.0]},
                             {"index": 1, "embedding": [1.0, 2.0]}]}, "of one length"),
    ("embeddings", {"data": [{"index": 0, "embedding": [0.0]},
                             {"index": 1, "embedding": [1.0]}]}, "zero or not finite"),
    ("embeddings", {"data": [{"index": 0, "embedding": [1.0]},
                             {"index": 0, "embedding": [1.0]}]}, "a new index"),
    ("transcription", {"transcript": "hi"}, "expected text in the answer"),
    ("transcription", {"text": "hi", "segments": [{"start": 0}]}, "start, end and text"),
])
def test_an_answer_of_the_wrong_shape_gives_provider_error(fake: FakeOpenAI, kind: str,
                                                           body: Any, message: str) -> None:
    fake.script(Fault(body=body))
    build, call = ADAPTERS[kind]
    with pytest.raises(ProviderError, match=message):
        call(build(fake.base_url, api_key=FAKE_KEY))


def test_a_reply_that_is_not_the_json_asked_for_gives_provider_error(
        fake: FakeOpenAI) -> None:
    fake.script(Fault(body={"choices": [{"finish_reason": "length",
                                         "message": {"content": '{"intent": "ord'}}]}))
    chat = OpenAIChat(fake.base_url, model="gpt-fake", api_key=FAKE_KEY)
    with pytest.raises(ProviderError, match=r"not JSON \(cut off at max_tokens\)"):
        chat.complete([ChatMessage("user", "hi")], json_schema={"type": "object"})


def test_a_server_that_is_not_there_gives_provider_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once it is closed
    chat = OpenAIChat(f"http://127.0.0.1:{port}/v1", model="gpt-fake", api_key=FAKE_KEY)
    with pytest.raises(ProviderError, match=f"at http://127.0.0.1:{port}/v1/chat/completions: "
                                            "request failed: ConnectionError"):
        chat.complete([ChatMessage("user", "hi")])


@pytest.mark.parametrize("arguments, message", [
    ({"base_url": "api.openai.com/v1"}, "base_url: expected http"),
    ({"base_url": "https://user:pw@api.example/v1"}, "no user or password"),
    ({"model": ""}, "model: expected"),
    ({"timeout_s": 0}, "timeout_s: expected a positive number, got 0"),
])
def test_a_configuration_it_cannot_use_is_refused_saying_what_was_expected(
        arguments: dict[str, Any], message: str) -> None:
    given = {"base_url": "http://127.0.0.1:9/v1", "model": "gpt-fake", "api_key": FAKE_KEY,
             **arguments}
    with pytest.raises(ConfigError, match=message):
        OpenAIChat(given.pop("base_url"), **given)
