"""Captions of one speaker in a call: interim text while they speak, a final text per phrase.

A :class:`Captioner` takes the speaker's audio 20 ms at a time (16 kHz float32, the clock
passed in) and cuts it into phrases with the voice activity detector and the same
end-of-turn rules as the voice loop (:class:`cbcs.ai.voice.Endpointer`), tuned shorter: a
caption ends at a pause, not at the end of a turn. While a phrase goes on it asks the
transcriber for an interim text every ``interim_every_ms`` of new speech when the lane is
free; when the phrase ends, for the final text of the whole phrase. Model calls run on a
:class:`~cbcs.ai.voice.Lane` (a worker thread in a call, a simulated clock in tests), so
:meth:`Captioner.push` never waits on a model; what is ready comes back from it as
:class:`Caption` events.

Translation is not done here: the service translates each final caption into the other
parties' languages (:mod:`cbcs.translation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.ai.providers import Transcriber, Transcript, VoiceActivity
from cbcs.ai.voice import EndpointConfig, Endpointer, Job, Lane
from cbcs.errors import ConfigError, FrameError

#: Phrase ends for captions: a shorter pause than a turn's end (the speaker keeps the floor).
CAPTION_ENDPOINT = EndpointConfig(complete_ms=300, open_ms=450, incomplete_ms=700,
                                  max_turn_ms=8000)


@dataclass(frozen=True)
class Caption:
    """What a speaker said: ``text`` in ``lang``; ``final`` for a phrase's last text.

    ``phrase`` numbers the speaker's phrases (an interim and the final of one phrase share
    it); ``start_ms`` and ``end_ms`` are the phrase's speech on the captioner's clock
    (``end_ms`` None while it goes on); ``ready_ms`` is when the text was there."""

    phrase: int
    text: str
    lang: str
    final: bool
    start_ms: float
    end_ms: float | None
    ready_ms: float


@dataclass
class _Pending:
    job: Job[Transcript]
    phrase: int
    final: bool
    start_ms: float
    end_ms: float | None


class Captioner:
    """Captions of one speaker (see the module docstring).

    ``language``: what they speak (a cbcs tag; None: detected on the first phrase and kept).
    ``max_phrase_s`` bounds the audio one phrase keeps (the endpointer ends longer ones).
    """

    def __init__(self, *, vad: VoiceActivity, transcriber: Transcriber, lane: Lane,
                 language: str | None = None, endpoint: EndpointConfig = CAPTION_ENDPOINT,
                 interim_every_ms: int = 1000, pre_roll_ms: int = 200) -> None:
        if vad.sample_rate != transcriber.sample_rate:
            raise ConfigError(f"vad at {vad.sample_rate} Hz, transcriber at "
                              f"{transcriber.sample_rate} Hz: expected the same rate")
        if not 200 <= interim_every_ms <= 10_000:
            raise ConfigError(f"interim_every_ms: expected 200..10000, got {interim_every_ms}")
        self.sample_rate = transcriber.sample_rate
        self.frame_samples = vad.frame_samples
        self.frame_ms = 1000 * self.frame_samples // self.sample_rate
        self.vad, self.transcriber, self.lane = vad, transcriber, lane
        self.language = language
        self.interim_every_ms = interim_every_ms
        self._endpointer = Endpointer(endpoint, frame_ms=self.frame_ms)
        limit = int((endpoint.max_turn_ms + 2000) * self.sample_rate / 1000)
        self._audio: npt.NDArray[np.float32] = np.zeros(limit, np.float32)
        self._pre = max(1, pre_roll_ms // self.frame_ms)
        self._recent: list[npt.NDArray[np.float32]] = []   # the frames before an onset
        self._filled = 0
        self._in_phrase = False
        self._phrase = 0
        self._phrase_start = 0.0
        self._since_interim_ms = 0.0
        self._pending: list[_Pending] = []
        self.closed = False

    def push(self, frame: npt.NDArray[np.float32], now_ms: float) -> list[Caption]:
        """The speaker's next ``frame_samples`` (the frame ends at ``now_ms``); the
        captions that became ready."""
        if frame.dtype != np.float32 or frame.shape != (self.frame_samples,):
            raise FrameError(f"frame: expected float32[{self.frame_samples}], got "
                             f"{frame.dtype}{list(frame.shape)}")
        if self.closed:
            return []
        event = self._endpointer.update(self.vad.speech_probability(frame), now_ms)
        if self._in_phrase:
            self._append(frame)
            self._since_interim_ms += self.frame_ms
        else:
            self._recent = (self._recent + [frame.copy()])[-self._pre:]
        if event is not None:
            if event.kind == "speech_start":
                self._start(event.at_ms)
            elif event.kind == "end_of_turn" and self._in_phrase:
                self._finish(now_ms, event.speech_end_ms)
            elif event.kind == "dropped":
                self._in_phrase, self._filled = False, 0
        if self._in_phrase and self._since_interim_ms >= self.interim_every_ms \
                and not self.lane.busy(now_ms):
            self._submit(now_ms, final=False)
        return self._collect(now_ms)

    def close(self) -> None:
        """No more audio: pending work is dropped."""
        self.closed = True
        for p in self._pending:
            p.job.cancel()
        self._pending.clear()

    def _start(self, at_ms: float) -> None:
        self._in_phrase, self._filled = True, 0
        self._phrase += 1
        self._phrase_start = at_ms
        self._since_interim_ms = 0.0
        for f in self._recent:
            self._append(f)
        self._recent = []

    def _append(self, frame: npt.NDArray[np.float32]) -> None:
        n = frame.shape[0]
        if self._filled + n <= self._audio.shape[0]:
            self._audio[self._filled:self._filled + n] = frame
            self._filled += n

    def _finish(self, now_ms: float, speech_end_ms: float | None) -> None:
        end = speech_end_ms if speech_end_ms is not None else now_ms
        # the phrase's audio up to a short tail after its last speech
        keep = self._filled - int(max(0.0, now_ms - end - 150) * self.sample_rate / 1000)
        self._filled = max(0, keep)
        self._submit(now_ms, final=True, end_ms=end)
        self._in_phrase, self._filled = False, 0

    def _submit(self, now_ms: float, *, final: bool, end_ms: float | None = None) -> None:
        audio = self._audio[:self._filled].copy()
        language = self.language

        def work() -> Transcript:
            return self.transcriber.transcribe(audio, language)

        if not final:
            self._since_interim_ms = 0.0
        self._pending.append(_Pending(self.lane.submit("final" if final else "interim", work,
                                                       now_ms),
                                      self._phrase, final, self._phrase_start, end_ms))

    def _collect(self, now_ms: float) -> list[Caption]:
        out: list[Caption] = []
        still: list[_Pending] = []
        finals = {p.phrase for p in self._pending if p.final}
        for p in self._pending:
            if not p.job.ready(now_ms):
                still.append(p)
                continue
            try:
                transcript = p.job.result()
            except Exception:   # a failed model call loses one caption, never the call
                continue
            if not p.final and p.phrase in finals:
                continue   # the final of that phrase is on its way
            text = transcript.text.strip()
            if transcript.language and self.language is None and p.final:
                self.language = transcript.language    # detected once, then kept
            if not p.final and p.phrase == self._phrase and self._in_phrase:
                # how the words so far end sets the pause that ends the phrase
                self._endpointer.set_transcript(text, transcript.language or self.language)
            if text:
                out.append(Caption(p.phrase, text, transcript.language or self.language or "",
                                   p.final, p.start_ms, p.end_ms, now_ms))
        self._pending = still
        return out


def caption_event(conversation: str, speaker: str, caption: Caption,
                  translations: dict[str, str] | None = None,
                  translated_by: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``caption`` frame of the service contract for one caption (plus ``final``,
    ``phrase`` and who translated it)."""
    return {"type": "caption", "conversation": conversation, "speaker": speaker,
            "text": caption.text, "lang": caption.lang, "final": caption.final,
            "phrase": caption.phrase, "translations": dict(translations or {}),
            "translated_by": dict(translated_by or {})}
