"""One emotion per turn from the text's sentiment and, on calls, the voice's prosody.

:func:`combine` takes what the sentiment classifier said about the turn's words and, when
there is audio, the turn's :class:`cbcs.media.ProsodyTurn` (pitch, level and speaking rate
against the same caller's start), and returns an :class:`EmotionCue` with the reason in
words an agent can read ("negative words, voice 4 semitones above the caller's start,
9 dB louder"). Plain rules, no I/O; without audio (chat) the text decides alone.

The rules:

- negative words: ``frustrated``; with a raised voice (arousal >= :data:`RAISED`), or a
  very raised one (>= :data:`VERY_RAISED`) when the words are only weakly negative
  (confidence < :data:`CONFIDENT`): ``angry``.
- neutral words: ``calm``; with a very raised voice: ``frustrated`` (the voice alone never
  makes ``angry``: a caller in a noisy street raises their voice too).
- positive words: ``calm`` whatever the voice (a raised voice reads as excitement).

What this was validated on, honestly: the prosody side on synthetic harmonic signals and on
recorded *read* speech (shared/data/audio/speech: twelve single-speaker clips in eleven
languages) whose pitch, level and rate were manipulated (played back 4 semitones higher
and 26 % faster by resampling, 9 dB louder) after a calm start of the same recording; the
manipulated turns score higher arousal than the calm continuation on every clip (tests in
tests/media/test_prosody.py and tests/ai/test_emotion.py). No corpus of emotional speech
was available, so neither the thresholds here nor the arousal weights have been fitted to
or measured against real angry or frustrated callers; treat the voice as a cue that
raises an emotion the words suggest, not as a detector on its own.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["CONFIDENT", "RAISED", "SENTIMENTS", "VERY_RAISED", "Emotion", "EmotionCue", "ProsodyCue",
           "combine"]

#: The labels of the sentiment classifier (cbcs.ai.classifier / nearest).
SENTIMENTS = ("negative", "neutral", "positive")
#: Text confidence from which negative words count as clearly negative.
CONFIDENT = 0.5
#: Arousal (0..1, from cbcs.media.Prosody) from which the voice counts as raised ...
RAISED = 0.6
#: ... and very raised. A turn like the caller's start scores about 0.18; 4 semitones
#: higher and 10 dB louder about 0.79.
VERY_RAISED = 0.8

# What counts as worth saying in the reason.
_PITCH_SEMITONES = 1.0
_LEVEL_DB = 2.0
_RATE_RATIO = 1.15


class Emotion(enum.StrEnum):
    CALM = "calm"
    FRUSTRATED = "frustrated"
    ANGRY = "angry"


class ProsodyCue(Protocol):
    """What :func:`combine` reads of a turn's prosody (cbcs.media.ProsodyTurn has it)."""

    @property
    def has_speech(self) -> bool: ...
    @property
    def arousal(self) -> float: ...
    @property
    def pitch_semitones(self) -> float: ...
    @property
    def energy_db(self) -> float: ...
    @property
    def rate_ratio(self) -> float: ...
    @property
    def baseline_complete(self) -> bool: ...
    @property
    def baseline_voiced_seconds(self) -> float: ...


@dataclass(frozen=True)
class EmotionCue:
    """The turn's emotion, how sure (0..1), why, and what the voice contributed.

    ``arousal`` is None when no voice was used: a chat turn, or a call turn without enough
    voiced audio to measure.
    """

    emotion: Emotion
    confidence: float
    reason: str
    arousal: float | None
    source: Literal["text", "text+voice"]


def combine(text_sentiment: str, text_confidence: float, prosody_turn: ProsodyCue | None = None) -> EmotionCue:
    """The emotion of one turn from its words' sentiment and, if any, its voice.

    ``text_sentiment`` is one of :data:`SENTIMENTS` with the classifier's confidence
    (0..1); ``prosody_turn`` the turn's prosody from the same caller's
    :class:`cbcs.media.Prosody`, or None without audio. Raises ValueError for a label or
    confidence outside those.
    """
    if text_sentiment not in SENTIMENTS:
        raise ValueError(f"text_sentiment: expected one of {', '.join(SENTIMENTS)}, got {text_sentiment!r}")
    if not (0.0 <= text_confidence <= 1.0):
        raise ValueError(f"text_confidence: expected 0..1, got {text_confidence!r}")
    words = _words(text_sentiment, text_confidence)
    voice = prosody_turn if prosody_turn is not None and prosody_turn.has_speech \
        and math.isfinite(prosody_turn.arousal) else None
    if voice is None:
        emotion = Emotion.FRUSTRATED if text_sentiment == "negative" else Emotion.CALM
        why = "no voice in this turn" if prosody_turn is not None else "text only"
        return EmotionCue(emotion, round(text_confidence, 3), f"{words} ({why})", None, "text")

    a = min(max(voice.arousal, 0.0), 1.0)
    raised, very = a >= RAISED, a >= VERY_RAISED
    if text_sentiment == "negative":
        clear = text_confidence >= CONFIDENT
        emotion = Emotion.ANGRY if (raised and clear) or very else Emotion.FRUSTRATED
    elif text_sentiment == "neutral":
        emotion = Emotion.FRUSTRATED if very else Emotion.CALM
    else:
        emotion = Emotion.CALM
    # How much the voice agrees with the outcome: aroused for frustrated or angry, calm for calm
    # (a positive caller's raised voice is excitement, not disagreement).
    agreement = a if emotion is not Emotion.CALM else (1.0 if text_sentiment == "positive" else 1.0 - a)
    confidence = round(0.5 * (text_confidence + agreement), 3)
    reason = f"{words}, {_describe(voice)}"
    if text_sentiment == "positive" and raised:
        reason += " (read as excitement)"
    return EmotionCue(emotion, confidence, reason, round(a, 3), "text+voice")


def _words(sentiment: str, confidence: float) -> str:
    if sentiment == "negative" and confidence < CONFIDENT:
        return "possibly negative words"
    return f"{sentiment} words"


def _describe(voice: ProsodyCue) -> str:
    """E.g. "voice 4 semitones above the caller's start, 9 dB louder, 20 % faster"."""
    parts = []
    p = voice.pitch_semitones
    if abs(p) >= _PITCH_SEMITONES:
        n = round(abs(p))
        parts.append(f"{n} semitone{'s' if n != 1 else ''} {'above' if p > 0 else 'below'} the caller's start")
    e = voice.energy_db
    if abs(e) >= _LEVEL_DB:
        parts.append(f"{round(abs(e))} dB {'louder' if e > 0 else 'quieter'}")
    r = voice.rate_ratio
    if r >= _RATE_RATIO or (r > 0 and 1 / r >= _RATE_RATIO):
        parts.append(f"{round(abs(r - 1) * 100)} % {'faster' if r > 1 else 'slower'}")
    text = "voice " + ", ".join(parts) if parts else "voice like the caller's start"
    if not voice.baseline_complete:
        text += f" (start still being learnt: {voice.baseline_voiced_seconds:.0f} s of voice)"
    return text
