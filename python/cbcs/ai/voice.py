"""Turn-taking on a voice call: when the customer has finished, when they cut in, and the
loop that wires voice activity, speech recognition, the agent's reply and speech synthesis.

Everything here takes time as an argument (``now_ms``, the end of the 20 ms frame just
received) and does no I/O. Model calls go through a :class:`Lane`: :class:`ThreadLane`
runs them on a worker thread in a call; :class:`SimulatedLane` runs each at once and
hands its result back after its compute time on a simulated clock, which is how
:mod:`cbcs.ai.voicebench` and the tests drive the loop frame by frame.

- :class:`Endpointer` decides the end of a turn from speech probabilities and the latest
  transcript: the silence it waits for depends on how the words end (a question or a
  finished sentence: short; a filler or a trailing "and"/"pero"/"แต่": long), and a turn
  ends anyway after ``max_turn_ms``.
- :class:`BargeIn` pauses the AI's audio when the customer starts to speak over it and
  then either resumes it (a backchannel) or stops it (the customer takes the turn). What
  happens on a backchannel is spelled out on the class.
- :class:`VoiceLoop` puts them together and records each stage's time per turn.
"""

from __future__ import annotations

import concurrent.futures
import math
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import numpy as np

from cbcs.ai.providers import Synthesizer, Transcriber, TranscriberStream, Transcript, VoiceActivity
from cbcs.errors import ConfigError

__all__ = ["BACKCHANNELS", "BACKCHANNEL_PHRASES", "BargeIn", "BargeInAction", "BargeInConfig",
           "BargeInRecord", "CoreVad", "EndpointConfig", "EndpointEvent", "Endpointer", "FRAME_MS", "Lane",
           "SimulatedLane", "ThreadLane", "TurnRecord", "VoiceLoop", "is_backchannel",
           "sentence_state"]

FRAME_MS = 20
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

# --- what the words say about the turn ------------------------------------------------

#: Words after which a speaker usually goes on: fillers, conjunctions, articles and
#: prepositions, per primary language subtag (accents kept; compared in lower case).
CONTINUATIONS: Mapping[str, frozenset[str]] = {
    "en": frozenset("um uh er erm hmm like and but or so because cause that which who to the "
                    "a an of for with my your our in on at if when then than is are was "
                    "were i".split()),
    "es": frozenset("eh este pues mmm y e o u ni pero porque que de del la el los las un "
                    "una mi mis su para con en por si cuando como a al es".split()),
    "pt": frozenset("tipo então e ou mas porque que de do da dos das o a os as um uma meu "
                    "minha seu sua para pra com em no na se quando como é".split()),
    "id": frozenset("eh anu em emm dan atau tapi tetapi karena yang di ke dari untuk "
                    "dengan kalau jadi terus saya".split()),
    "vi": frozenset("ờ ừm à ơ và hoặc nhưng vì của cho với là thì mà nếu khi".split()),
    "tl": frozenset("ano eh kasi parang at pero o para ng sa na kung yung ang mga".split()),
    "th": frozenset("เอ่อ อ่า แบบ และ แต่ หรือ เพราะ ที่ ของ ก็ ว่า".split()),
    "zh": frozenset("那个 这个 呃 就是 和 但是 因为 所以 然后 还有 的 跟".split()),
}
_UNSPACED = ("th", "zh")  # scripts written without spaces: match word endings instead
_ENDING_PARTICLES = ("ครับ", "ค่ะ", "คะ", "นะ", "ไหม", "มั้ย", "吗", "呢", "吧", "了")
_OPEN_ENDINGS = ("...", "…", ",", "，", "、", "-", "—", ";")
_STRIP = ".!?。！？¿¡\"'“”()[] "


def _primary(language: str | None) -> str | None:
    return None if not language else language.split("-")[0].lower()


def sentence_state(text: str, language: str | None = None
                   ) -> Literal["complete", "open", "incomplete"]:
    """How a (partial) transcript ends: ``complete`` (a question or finished sentence),
    ``incomplete`` (a filler, a conjunction, a trailing comma or ellipsis) or ``open``
    (no cue either way, or no words yet)."""
    t = text.strip()
    if not t:
        return "open"
    if t.endswith(_OPEN_ENDINGS):
        return "incomplete"
    if t[-1] in "?？":
        return "complete"  # a question is a turn, however it ends ("where is it?")
    lang = _primary(language)
    sets = ([CONTINUATIONS[lang]] if lang is not None and lang in CONTINUATIONS
            else list(CONTINUATIONS.values()))
    core = t.rstrip(_STRIP).lower()
    words = core.split()
    last = words[-1].strip(_STRIP) if words else ""
    if any(last in s for s in sets):
        return "incomplete"
    if lang in _UNSPACED or lang is None:
        for code in _UNSPACED if lang is None else (lang,):
            if any(core.endswith(w) for w in CONTINUATIONS[code]) and not core.endswith(
                    _ENDING_PARTICLES):
                return "incomplete"
    if t[-1] in ".!?。！？" or core.endswith(_ENDING_PARTICLES):
        return "complete"
    return "open"


#: Short, low-content replies that keep the other speaker talking, in the markets'
#: languages (folded: lower case; compared after dropping punctuation and spaces).
BACKCHANNELS = frozenset("""
uh-huh uhhuh uhuh uh huh mhm mmhmm mm-hmm mmhm mm hmm hm mhmm ah oh okay ok yeah yes yep yup
right sure alright allright isee gotit gotcha cool fine
si sí aja ajá vale claro bueno ya dale ok órale orale exacto entiendo
sim tá ta aham uhum hum certo entendi beleza isso
iya ya oke sip betul baik nggih oh gitu
vâng dạ ừ ờ ừm dạvâng vângạ okê được
opo oo sige ay talaga ganun
ค่ะ คะ ครับ อืม อ๋อ โอเค ใช่ จ้ะ จ้า
嗯 嗯嗯 对 对对 好 好的 是 是的 哦 啊 行
""".split())
_BACKCHANNEL_MAX_CHARS = 24

#: What the transcriber is told to expect of speech over the AI: the language's usual
#: backchannels (see ``Transcriber.transcribe(expect=...)``). Short words said over
#: another voice are often misread without it; real interruptions still are not taken
#: for one.
BACKCHANNEL_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("Uh-huh.", "Okay.", "Yeah.", "Yes.", "Right.", "Mhm.", "Sure.", "I see.", "Got it."),
    "es": ("Sí.", "Sí, sí.", "Ajá.", "Vale.", "Claro.", "Bueno.", "Ok.", "Ya.", "Mhm.",
           "Entiendo.", "Exacto.", "Dale."),
    "pt-BR": ("Sim.", "Sim, sim.", "Aham.", "Tá.", "Certo.", "Entendi.", "Beleza.", "Uhum.",
              "Isso."),
    "id": ("Iya.", "Oke.", "Ya.", "Betul.", "Baik.", "Oh, gitu."),
    "vi": ("Vâng.", "Dạ.", "Ừ.", "Ờ.", "Được.", "Okê."),
    "tl": ("Opo.", "Oo.", "Sige.", "Ah, talaga."),
    "th": ("ค่ะ", "ครับ", "อืม", "โอเค", "ใช่"),
    "zh": ("嗯。", "对。", "好的。", "是的。", "哦。"),
}


def _fold(text: str) -> str:
    kept = [c for c in unicodedata.normalize("NFC", text.lower())
            if not (unicodedata.category(c).startswith(("P", "Z", "S")) or c.isspace())]
    return "".join(kept)


_BC_FOLDED = sorted({_fold(b) for b in BACKCHANNELS if _fold(b)}, key=len, reverse=True)


def is_backchannel(text: str) -> bool:
    """True when ``text`` is only backchannel words ("uh-huh", "ok ok", "sí", "opo",
    "ค่ะ", "嗯嗯"), in any of the markets' languages. An empty text is not a backchannel
    (it is no words at all); "no", "wait" or any other word is not one either."""
    s = _fold(text)
    if not s or len(s) > _BACKCHANNEL_MAX_CHARS:
        return False
    # Word break over the backchannel vocabulary (handles unspaced Thai and Chinese).
    can = [False] * (len(s) + 1)
    can[0] = True
    for i in range(len(s)):
        if can[i]:
            for b in _BC_FOLDED:
                if s.startswith(b, i):
                    can[i + len(b)] = True
    return can[len(s)]


# --- the end of a turn -----------------------------------------------------------------

@dataclass(frozen=True)
class EndpointConfig:
    """Speech is a frame with probability >= ``threshold``; inside a turn a frame is
    silence below ``release`` (hysteresis). ``onset_ms`` of speech start a turn and
    ``resume_ms`` continue one. The silence that ends a turn: ``complete_ms``,
    ``open_ms`` or ``incomplete_ms`` as the latest transcript ends (:func:`sentence_state`);
    ``max_turn_ms`` ends it whatever; a turn with less than ``min_speech_ms`` of speech
    (a click, a breath) is dropped after ``complete_ms`` of silence."""

    threshold: float = 0.5
    release: float = 0.3
    onset_ms: int = 40
    resume_ms: int = 40
    complete_ms: int = 300
    open_ms: int = 700
    incomplete_ms: int = 1300
    max_turn_ms: int = 15000
    min_speech_ms: int = 120

    def __post_init__(self) -> None:
        if not 0.0 < self.release <= self.threshold < 1.0:
            raise ConfigError(f"threshold, release: expected 0 < release <= threshold < 1, "
                              f"got {self.threshold}, {self.release}")
        if not 0 < self.complete_ms <= self.open_ms <= self.incomplete_ms:
            raise ConfigError(f"complete_ms <= open_ms <= incomplete_ms expected, got "
                              f"{self.complete_ms}, {self.open_ms}, {self.incomplete_ms}")
        if self.max_turn_ms < 1000 or self.onset_ms < FRAME_MS or self.resume_ms < FRAME_MS:
            raise ConfigError(f"max_turn_ms >= 1000, onset_ms and resume_ms >= {FRAME_MS} "
                              f"expected, got {self.max_turn_ms}, {self.onset_ms}, "
                              f"{self.resume_ms}")

    def hangover_ms(self, state: str) -> int:
        return {"complete": self.complete_ms, "incomplete": self.incomplete_ms}.get(
            state, self.open_ms)


@dataclass(frozen=True)
class EndpointEvent:
    """``speech_start`` (``at_ms``: start of the first speech frame), ``silence_start``
    (``at_ms``: end of the last speech frame), ``speech_resume``, ``end_of_turn`` (``at_ms``:
    the decision; ``speech_end_ms`` and ``reason`` say after what) or ``dropped``."""

    kind: Literal["speech_start", "silence_start", "speech_resume", "end_of_turn", "dropped"]
    at_ms: float
    speech_end_ms: float | None = None
    reason: str = ""


class Endpointer:
    """End-of-turn decisions, one 20 ms frame at a time.

    Feed every frame's speech probability to :meth:`update` and every new transcript of
    the turn (interim or final) to :meth:`set_transcript`; at most one event comes back
    per frame.
    """

    def __init__(self, config: EndpointConfig | None = None, *, frame_ms: int = FRAME_MS) -> None:
        self.config = config or EndpointConfig()
        self.frame_ms = frame_ms
        self.reset()

    def reset(self) -> None:
        self.state: Literal["idle", "speech", "trailing"] = "idle"
        self.turn_start_ms: float | None = None
        self.speech_end_ms: float | None = None
        self._run = 0
        self._run_start = 0.0
        self._speech_ms = 0.0
        self._segment_start = 0.0
        self.text = ""
        self.language: str | None = None

    def set_transcript(self, text: str, language: str | None = None) -> None:
        self.text = text
        self.language = language or self.language

    def hangover_ms(self) -> int:
        return self.config.hangover_ms(sentence_state(self.text, self.language))

    def update(self, probability: float, now_ms: float) -> EndpointEvent | None:
        c = self.config
        frame_start = now_ms - self.frame_ms
        if self.state == "idle":
            if probability >= c.threshold:
                if self._run == 0:
                    self._run_start = frame_start
                self._run += 1
                if self._run * self.frame_ms >= c.onset_ms:
                    self.state, self._run = "speech", 0
                    self.turn_start_ms = self._segment_start = self._run_start
                    self._speech_ms = 0.0
                    return EndpointEvent("speech_start", self._run_start)
            else:
                self._run = 0
            return None
        assert self.turn_start_ms is not None
        if self.state == "speech":
            if probability < c.release:
                self.state = "trailing"
                self.speech_end_ms = frame_start
                self._speech_ms += frame_start - self._segment_start
                return EndpointEvent("silence_start", frame_start)
            if now_ms - self.turn_start_ms >= c.max_turn_ms:
                return self._end(now_ms, now_ms, f"max turn {c.max_turn_ms} ms")
            return None
        # trailing silence
        assert self.speech_end_ms is not None
        if probability >= c.threshold:
            if self._run == 0:
                self._run_start = frame_start
            self._run += 1
            if self._run * self.frame_ms >= c.resume_ms:
                self.state, self._run = "speech", 0
                self._segment_start = self._run_start
                self.speech_end_ms = None
                return EndpointEvent("speech_resume", self._run_start)
        else:
            self._run = 0
        silence = now_ms - self.speech_end_ms
        if self._speech_ms < c.min_speech_ms and silence >= c.complete_ms:
            end = self.speech_end_ms
            self.reset()
            return EndpointEvent("dropped", now_ms, end, "too little speech")
        state = sentence_state(self.text, self.language)
        if silence >= c.hangover_ms(state):
            return self._end(now_ms, self.speech_end_ms,
                             f"{state} words, {c.hangover_ms(state)} ms of silence")
        if now_ms - self.turn_start_ms >= c.max_turn_ms:
            return self._end(now_ms, self.speech_end_ms, f"max turn {c.max_turn_ms} ms")
        return None

    def _end(self, now_ms: float, speech_end_ms: float, reason: str) -> EndpointEvent:
        self.reset()
        return EndpointEvent("end_of_turn", now_ms, speech_end_ms, reason)


# --- the customer speaking over the AI ------------------------------------------------

@dataclass(frozen=True)
class BargeInConfig:
    """``onset_ms`` of speech (probability >= ``threshold``) over the AI's audio pause it;
    a burst ends after ``end_silence_ms`` below ``release``; a burst longer than
    ``backchannel_max_ms`` stops the AI; after a burst ends, its transcript is awaited
    ``transcript_wait_ms`` at most."""

    threshold: float = 0.5
    release: float = 0.3
    onset_ms: int = 40
    resume_ms: int = 40
    end_silence_ms: int = 160
    backchannel_max_ms: int = 800
    transcript_wait_ms: int = 1000

    def __post_init__(self) -> None:
        if not 0.0 < self.release <= self.threshold < 1.0:
            raise ConfigError(f"threshold, release: expected 0 < release <= threshold < 1, "
                              f"got {self.threshold}, {self.release}")
        if not FRAME_MS <= self.onset_ms <= 140:
            raise ConfigError(f"onset_ms: expected {FRAME_MS}..140 (the AI must stop within "
                              f"150 ms of the customer's onset), got {self.onset_ms}")
        if self.backchannel_max_ms < self.onset_ms or self.end_silence_ms < FRAME_MS:
            raise ConfigError(f"backchannel_max_ms >= onset_ms and end_silence_ms >= "
                              f"{FRAME_MS} expected, got {self.backchannel_max_ms}, "
                              f"{self.end_silence_ms}")


@dataclass(frozen=True)
class BargeInAction:
    """``pause`` the AI's audio, ``resume`` it where it paused, or ``stop`` it (drop the
    rest of the reply: the customer has the turn). ``onset_ms``: the burst's first speech."""

    kind: Literal["pause", "resume", "stop"]
    at_ms: float
    onset_ms: float
    reason: str = ""


class BargeIn:
    """Whether the customer's speech over the AI's audio interrupts it.

    What happens, frame by frame (20 ms), while the AI's audio plays:

    1. ``onset_ms`` (40 ms) of speech: **pause**. The loop silences its output from the
       next frame it sends (a 5 ms fade), so the AI goes quiet 40-60 ms after the
       customer's first speech frame, within the 150 ms bound whatever the words turn
       out to be. Nothing of the reply is lost: it waits at the sample where it paused.
    2. The burst goes on past ``backchannel_max_ms`` (800 ms): **stop**. A backchannel is
       short; anything longer is the customer taking the turn.
    3. The burst ends (``end_silence_ms``, 160 ms, of silence) and its transcript (the
       loop starts it at the first silent frame) is
       - backchannel words only (:func:`is_backchannel`: "uh-huh", "ok", "sí", "opo",
         "ค่ะ", "嗯"...) or no words at all (a cough, a noise): **resume** from the
         paused sample (a 5 ms fade in). The AI's turn goes on; the burst is not a turn.
       - anything else ("no", "wait", "sorry, which day?"): **stop**; the burst is the
         start of the customer's turn.
    4. No transcript ``transcript_wait_ms`` (1 s) after the burst ended: **resume**
       (a short sound whose words are unknown does not end the AI's turn).

    While paused, the loop synthesises no further chunk of the reply, so the burst's
    transcript does not queue behind speech synthesis on the two cores.

    The customer's audio is taken to hold no echo of the AI's (the phone's or the
    browser's echo canceller removes it, as on a WebRTC leg); with echo, the AI would
    barge in on itself.

    So a backchannel costs the customer a gap in the AI's audio of about its own length
    plus ``end_silence_ms`` plus the recognition time (0.5-0.9 s in all), after which the
    AI continues mid-word where it paused. It never ends the AI's turn.
    """

    def __init__(self, config: BargeInConfig | None = None, *, frame_ms: int = FRAME_MS) -> None:
        self.config = config or BargeInConfig()
        self.frame_ms = frame_ms
        self.reset()

    def reset(self) -> None:
        self.state: Literal["idle", "burst", "ended"] = "idle"
        self.onset_ms = 0.0
        self._run = 0
        self._silence = 0
        self._last_speech_end = 0.0
        self._burst_end = 0.0
        self.text: str | None = None

    @property
    def active(self) -> bool:
        """True from a pause until the resume or stop that ends it."""
        return self.state != "idle"

    def set_transcript(self, text: str) -> None:
        """The transcript of the burst so far (from its first silent frame)."""
        if self.active:
            self.text = text

    def update(self, probability: float, now_ms: float, ai_speaking: bool) -> BargeInAction | None:
        c = self.config
        frame_start = now_ms - self.frame_ms
        speech = probability >= c.threshold
        if self.state == "idle":
            if not ai_speaking or not speech:
                self._run = 0
                return None
            if self._run == 0:
                self.onset_ms = frame_start
            self._run += 1
            if self._run * self.frame_ms >= c.onset_ms:
                self.state, self._run, self._silence = "burst", 0, 0
                self._last_speech_end = now_ms
                self.text = None
                return BargeInAction("pause", now_ms, self.onset_ms, "speech over the AI")
            return None
        if self.state == "burst":
            if probability >= c.release:
                if self._silence and speech:
                    self.text = None  # a transcript from before this speech no longer covers it
                if speech or not self._silence:
                    self._silence = 0
                    self._last_speech_end = now_ms
            else:
                self._silence += 1
            if self._last_speech_end - self.onset_ms > c.backchannel_max_ms:
                return self._finish("stop", now_ms, f"speech longer than "
                                    f"{c.backchannel_max_ms} ms")
            if self._silence * self.frame_ms >= c.end_silence_ms:
                self.state = "ended"
                self._burst_end = self._last_speech_end
            else:
                return None
        # ended: waiting for the words
        if speech:
            self._run += 1
            if self._run * self.frame_ms >= c.resume_ms:
                self.state, self._run, self._silence = "burst", 0, 0
                self._last_speech_end = now_ms
                self.text = None
                return None
        else:
            self._run = 0
        if self.text is not None:
            if not self.text.strip():
                return self._finish("resume", now_ms, "no words")
            if is_backchannel(self.text):
                return self._finish("resume", now_ms, f"backchannel {self.text!r}")
            return self._finish("stop", now_ms, f"words {self.text!r}")
        if now_ms - self._burst_end >= c.end_silence_ms + c.transcript_wait_ms:
            return self._finish("resume", now_ms, "short sound, no transcript in time")
        return None

    def _finish(self, kind: Literal["resume", "stop"], now_ms: float, reason: str) -> BargeInAction:
        onset = self.onset_ms
        self.reset()
        return BargeInAction(kind, now_ms, onset, reason)


# --- where model calls run ------------------------------------------------------------

class Job(Protocol[T_co]):
    @property
    def stage(self) -> str: ...

    def ready(self, now_ms: float) -> bool: ...

    def result(self) -> T_co: ...

    def cancel(self) -> None: ...


class Lane(Protocol):
    """Runs model calls one at a time (two cores: one call uses both)."""

    def submit(self, stage: str, work: Callable[[], T], now_ms: float) -> Job[T]: ...

    def busy(self, now_ms: float) -> bool: ...


@dataclass
class _SimJob(Generic[T]):
    stage: str
    ready_ms: float
    value: T | None
    error: BaseException | None
    cancelled: bool = False

    def ready(self, now_ms: float) -> bool:
        return now_ms >= self.ready_ms

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]

    def cancel(self) -> None:
        self.cancelled = True


class SimulatedLane:
    """A lane on a simulated clock: each job runs at once (really), and its result is
    ready ``compute`` ms after it could start, one job after the other.

    ``cost_ms`` fixes each stage's time (for tests); otherwise the real time of the call,
    times ``scale``, is used. ``compute_ms`` keeps every job's time by stage.
    """

    def __init__(self, cost_ms: Mapping[str, float] | None = None, *, scale: float = 1.0,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self._cost = dict(cost_ms) if cost_ms is not None else None
        self._scale = scale
        self._timer = timer
        self._free_at = -math.inf
        self.compute_ms: dict[str, list[float]] = {}

    def submit(self, stage: str, work: Callable[[], T], now_ms: float) -> _SimJob[T]:
        start = max(now_ms, self._free_at)
        t0 = self._timer()
        value: T | None = None
        error: BaseException | None = None
        try:
            value = work()
        except Exception as e:  # handed back through result(), like a future
            error = e
        cost = ((self._timer() - t0) * 1000.0 * self._scale if self._cost is None
                else self._cost.get(stage, 0.0))
        self._free_at = start + cost
        self.compute_ms.setdefault(stage, []).append(cost)
        return _SimJob(stage, start + cost, value, error)

    def busy(self, now_ms: float) -> bool:
        return now_ms < self._free_at


@dataclass
class _ThreadJob(Generic[T]):
    stage: str
    future: concurrent.futures.Future[T]

    def ready(self, now_ms: float) -> bool:
        return self.future.done()

    def result(self) -> T:
        return self.future.result()

    def cancel(self) -> None:
        self.future.cancel()


class ThreadLane:
    """A lane on one worker thread (model calls release the GIL); ``close()`` twice is
    harmless."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                           thread_name_prefix="cbcs-voice")
        self._pending: list[concurrent.futures.Future[Any]] = []

    def submit(self, stage: str, work: Callable[[], T], now_ms: float) -> _ThreadJob[T]:
        future = self._pool.submit(work)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        return _ThreadJob(stage, future)

    def busy(self, now_ms: float) -> bool:
        self._pending = [f for f in self._pending if not f.done()]
        return bool(self._pending)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# --- the loop -------------------------------------------------------------------------

class CoreVad:
    """:class:`VoiceActivity` on 20 ms frames over the core's VAD (10 ms frames): the
    larger probability of the two halves."""

    def __init__(self, sample_rate: int = 16000) -> None:
        from cbcs.media.dsp import Vad

        self._vad = Vad(sample_rate)
        self.sample_rate = sample_rate
        self.frame_samples = 2 * self._vad.frame_samples

    def speech_probability(self, frame: np.ndarray) -> float:
        half = self.frame_samples // 2
        return max(self._vad.process(frame[:half]), self._vad.process(frame[half:]))


@dataclass
class TurnRecord:
    """One customer turn and the times (ms, the loop's clock) of each stage."""

    speech_start_ms: float
    speech_end_ms: float | None = None     # end of the last speech frame
    endpoint_ms: float | None = None       # the turn was declared over
    final_ms: float | None = None          # the final transcript was there
    reply_ms: float | None = None          # the agent's reply text was there
    first_audio_ms: float | None = None    # the first output frame with reply audio
    transcript: str = ""
    language: str = ""
    reply: str = ""
    reason: str = ""
    final_started_ms: float | None = None  # the final transcript's recognition began
    speculative: bool = False  # it began at the first silence, before the endpoint
    interims: list[tuple[float, str]] = field(default_factory=list)
    outcome: Literal["open", "replied", "empty", "dropped", "backchannel", "superseded",
                     "interrupted"] = "open"


@dataclass
class BargeInRecord:
    onset_ms: float          # the customer's first speech frame
    paused_ms: float         # the first output frame silenced
    decided_ms: float | None = None
    action: str = ""         # "resume" or "stop"
    reason: str = ""


class _Output:
    """The AI's audio waiting to be played, in output frames, with short fades at a pause
    and a resume (bounded by what one reply synthesises)."""

    def __init__(self, frame: int, fade: int) -> None:
        self._chunks: deque[np.ndarray] = deque()
        self._offset = 0
        self._frame = frame
        self._ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
        self.samples = 0
        self._was_playing = False

    def append(self, audio: np.ndarray) -> None:
        if audio.size:
            self._chunks.append(audio.astype(np.float32, copy=False))
            self.samples += audio.size

    def clear(self) -> None:
        self._chunks.clear()
        self._offset = self.samples = 0

    def _peek(self, n: int) -> np.ndarray:
        out = np.zeros(n, np.float32)
        got, offset = 0, self._offset
        for chunk in self._chunks:
            take = min(n - got, chunk.size - offset)
            out[got:got + take] = chunk[offset:offset + take]
            got += take
            offset = 0
            if got == n:
                break
        return out

    def _consume(self, n: int) -> None:
        n = min(n, self.samples)
        self.samples -= n
        while n:
            chunk = self._chunks[0]
            take = min(n, chunk.size - self._offset)
            self._offset += take
            n -= take
            if self._offset == chunk.size:
                self._chunks.popleft()
                self._offset = 0

    def frame(self, paused: bool) -> np.ndarray:
        fade = self._ramp.size
        if paused or not self.samples:
            out = np.zeros(self._frame, np.float32)
            if paused and self._was_playing and self.samples:
                out[:fade] = self._peek(fade) * self._ramp  # fade out; not consumed
            self._was_playing = False
            return out
        out = self._peek(self._frame)
        if not self._was_playing:
            out[:fade] *= self._ramp[::-1]
        self._consume(self._frame)
        self._was_playing = True
        return out


class _Resample:
    def __init__(self, source: int, target: int) -> None:
        g = math.gcd(source, target)
        self.up, self.down = target // g, source // g

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        if self.up == self.down:
            return audio.astype(np.float32, copy=False)
        from scipy.signal import resample_poly

        return np.asarray(resample_poly(audio, self.up, self.down), dtype=np.float32)


_DONE = object()


class VoiceLoop:
    """A voice call's first tier: customer audio in, AI audio out, 20 ms at a time.

    Each :meth:`push` takes the customer's last 20 ms (float32 at ``vad.sample_rate``)
    and ``now_ms`` (the end of that frame) and returns the 20 ms to play next. Inside:
    VAD -> :class:`Endpointer` (interim transcripts from ``transcriber.stream()`` while
    the customer speaks, re-run when the lane is free and ``interim_ms`` of new audio has
    come) -> final transcript -> ``reply(text, language)`` -> ``synthesizer`` chunk by chunk
    -> output. The final transcript starts speculatively at the turn's first silent frame,
    so recognition overlaps the endpoint wait; it is dropped if the customer goes on.
    :class:`BargeIn` pauses, resumes or stops the AI's audio. Speech that starts after a
    turn ended but before its reply is heard reopens the turn (the reply is dropped); so
    does speech that stops a reply within ``reopen_ms`` of its first audio (the customer
    had only paused: the new words join the old ones for one transcript).

    ``turns`` and ``barge_ins`` keep what happened with its times.
    """

    def __init__(self, *, vad: VoiceActivity, transcriber: Transcriber,
                 synthesizer: Synthesizer, reply: Callable[[str, str], str],
                 lane: Lane, language: str | None = None,
                 endpoint: EndpointConfig | None = None, barge_in: BargeInConfig | None = None,
                 interim_ms: int = 800, pre_roll_ms: int = 300, reopen_ms: int = 1500) -> None:
        self.sample_rate = vad.sample_rate
        self.frame_samples = self.sample_rate * FRAME_MS // 1000
        if vad.frame_samples != self.frame_samples:
            raise ConfigError(f"vad.frame_samples: expected {self.frame_samples} "
                              f"({FRAME_MS} ms), got {vad.frame_samples}")
        if transcriber.sample_rate != self.sample_rate:
            raise ConfigError(f"transcriber.sample_rate: expected {self.sample_rate}, got "
                              f"{transcriber.sample_rate}")
        self._vad = vad
        self._asr = transcriber
        self._tts = synthesizer
        self._reply = reply
        self._lane = lane
        self.language = language
        self._endpointer = Endpointer(endpoint)
        self._barge = BargeIn(barge_in)
        self._interim = interim_ms * self.sample_rate // 1000
        self._reopen_ms = reopen_ms
        self._pre_roll: deque[np.ndarray] = deque(maxlen=max(1, pre_roll_ms // FRAME_MS))
        self._out = _Output(self.frame_samples, self.sample_rate // 200)
        self._to_output = _Resample(synthesizer.sample_rate, self.sample_rate)
        self.turns: list[TurnRecord] = []
        self.barge_ins: list[BargeInRecord] = []
        self.bad_frames = 0
        self._turn: TurnRecord | None = None
        self._audio: list[np.ndarray] = []
        self._stream: TranscriberStream | None = None
        self._stream_pending: list[np.ndarray] = []
        self._stream_samples = 0
        self._interim_job: Job[Transcript | None] | None = None
        self._final_job: Job[Transcript] | None = None
        self._final: Transcript | None = None
        self._awaiting_final = False
        self._held_end: EndpointEvent | None = None
        self._responding: TurnRecord | None = None
        self._responding_audio: list[np.ndarray] = []
        self._reply_job: Job[str] | None = None
        self._tts_job: Job[object] | None = None
        self._tts_iter: Iterator[np.ndarray] | None = None
        self._tts_turn: TurnRecord | None = None
        self._tts_deferred = False
        self._paused = False
        self.errors: list[str] = []  # model calls that failed (the turn goes on without them)
        self._played = False  # the current reply has been heard

    # -- public -------------------------------------------------------------------------

    @property
    def ai_speaking(self) -> bool:
        """The AI's audio is playing or paused mid-reply."""
        return bool(self._out.samples) or (
            (self._tts_job is not None or self._tts_deferred) and self._played)

    def close(self) -> None:
        """The call is over: stop the lane's work (its thread, for a :class:`ThreadLane`)."""
        self._cancel_response()
        close = getattr(self._lane, "close", None)
        if close is not None:
            close()

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        """Queue audio (a cached greeting) to play as the AI's."""
        self._out.append(_Resample(sample_rate, self.sample_rate)(audio))

    def say(self, text: str, language: str, now_ms: float) -> None:
        """Synthesise and play ``text`` (not a reply to a turn)."""
        self._start_tts(TurnRecord(now_ms, reply=text, language=language, outcome="replied"),
                        text, language, now_ms, record=False)

    def push(self, frame: np.ndarray, now_ms: float) -> np.ndarray:
        if frame.dtype != np.float32 or frame.shape != (self.frame_samples,):
            self.bad_frames += 1  # per-frame calls do not throw; the frame is skipped
            return self._output(now_ms)
        self._collect(now_ms)
        probability = self._vad.speech_probability(frame)
        self._pre_roll.append(frame)
        if self._turn is not None:
            self._audio.append(frame)
            self._stream_pending.append(frame)
            self._stream_samples += frame.size
        action = self._barge.update(probability, now_ms, self.ai_speaking)
        if action is not None:
            self._on_barge_in(action, now_ms)
        event = self._endpointer.update(probability, now_ms)
        if event is not None:
            self._on_endpoint(event, now_ms)
        self._maybe_interim(now_ms)
        return self._output(now_ms)

    # -- events -------------------------------------------------------------------------

    def _on_endpoint(self, event: EndpointEvent, now_ms: float) -> None:
        if event.kind == "speech_start":
            prefix: list[np.ndarray] = []
            if self._turn is not None:
                # Ended, its final transcript not back yet, and the customer went on.
                self._turn.outcome = "superseded"
                prefix = self._audio
                if self._final_job is not None:
                    self._final_job.cancel()
                self._final_job = None
            elif self._responding is not None and not self._played and not self._out.samples:
                # The customer went on before hearing the reply: reopen their turn.
                self._responding.outcome = "superseded"
                prefix = self._responding_audio
                self._cancel_response()
            self._turn = TurnRecord(event.at_ms)
            self._audio = prefix + list(self._pre_roll)
            self._stream = self._asr.stream(self.language)
            self._stream_pending = list(self._audio)
            self._stream_samples = sum(a.size for a in self._audio)
            self._final = None
            self._awaiting_final = False
            self.turns.append(self._turn)
        elif self._turn is None:
            return
        elif event.kind == "silence_start":
            self._turn.speech_end_ms = event.at_ms
            self._submit_final(now_ms)
        elif event.kind == "speech_resume":
            self._turn.speech_end_ms = None
            if self._final_job is not None:
                self._final_job.cancel()
            self._final_job, self._final = None, None
        elif event.kind == "dropped":
            self._turn.outcome = "dropped"
            self._close_turn()
        elif event.kind == "end_of_turn":
            if self._barge.active:
                self._held_end = event
            else:
                self._end_turn(event, now_ms)

    def _end_turn(self, event: EndpointEvent, now_ms: float) -> None:
        turn = self._turn
        if turn is None:
            return
        turn.endpoint_ms = now_ms
        turn.reason = event.reason
        if turn.speech_end_ms is None:
            turn.speech_end_ms = event.speech_end_ms
        self._awaiting_final = True
        if self._final is None and self._final_job is None:
            self._submit_final(now_ms)
        if self._final is not None:
            self._start_reply(now_ms)

    def _on_barge_in(self, action: BargeInAction, now_ms: float) -> None:
        if action.kind == "pause":
            self._paused = True
            self.barge_ins.append(BargeInRecord(action.onset_ms, now_ms))
            return
        record = self.barge_ins[-1] if self.barge_ins else None
        if record is not None:
            record.decided_ms, record.action, record.reason = now_ms, action.kind, action.reason
        self._paused = False
        held, self._held_end = self._held_end, None
        if action.kind == "resume":
            if self._turn is not None:
                self._turn.outcome = "backchannel"
            self._close_turn()
            self._endpointer.reset()
            if self._tts_deferred:
                self._next_chunk(now_ms)
            return
        # stop: the reply is dropped and the burst is the customer's turn
        answered = self._responding
        if answered is not None:
            answered.outcome = "interrupted"
            heard_at = answered.first_audio_ms
            if (heard_at is not None and self._turn is not None
                    and action.onset_ms - heard_at <= self._reopen_ms):
                # The reply had only just begun: the customer had not finished ("Hola,
                # [pause] compré una lámpara..."). Their turn goes on from where it was.
                answered.outcome = "superseded"
                self._audio = self._responding_audio + self._audio
                if self._final_job is not None:
                    self._final_job.cancel()
                self._final_job, self._final = None, None
                if self._endpointer.state == "trailing" and held is None:
                    self._submit_final(now_ms)
        self._cancel_response()
        if held is not None:
            self._end_turn(held, now_ms)

    # -- model calls ----------------------------------------------------------------------

    def _submit_final(self, now_ms: float) -> None:
        audio = np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)
        language = self.language
        expect = BACKCHANNEL_PHRASES.get(language or "", ()) if self._barge.active else ()
        self._final = None
        if self._turn is not None:
            self._turn.final_started_ms = now_ms
        self._final_job = self._lane.submit(
            "asr_final", lambda: self._asr.transcribe(audio, language, expect=expect), now_ms)

    def _maybe_interim(self, now_ms: float) -> None:
        if (self._turn is None or self._stream is None or self._endpointer.state != "speech"
                or self._interim_job is not None or self._stream_samples < self._interim
                or self._lane.busy(now_ms)):
            return
        stream, audio = self._stream, np.concatenate(self._stream_pending)
        self._stream_pending, self._stream_samples = [], 0
        self._interim_job = self._lane.submit("asr_interim", lambda: stream.feed(audio), now_ms)

    def _start_reply(self, now_ms: float) -> None:
        turn, final = self._turn, self._final
        if turn is None or final is None:
            return
        self._awaiting_final = False
        turn.speculative = (turn.final_started_ms is not None and turn.endpoint_ms is not None
                            and turn.final_started_ms < turn.endpoint_ms)
        turn.transcript, turn.language = final.text, final.language or (self.language or "")
        if self.language is None and final.language:
            self.language = final.language
        self._responding_audio = self._audio
        self._close_turn()
        if not final.text.strip():
            turn.outcome = "empty"
            return
        self._cancel_response()
        self._responding = turn
        text, language = final.text, turn.language
        self._reply_job = self._lane.submit("reply", lambda: self._reply(text, language), now_ms)

    def _start_tts(self, turn: TurnRecord, text: str, language: str, now_ms: float, *,
                   record: bool = True) -> None:
        self._responding = turn if record else self._responding
        self._played = False
        iterator = iter(self._tts.synthesize(text, language))
        self._tts_iter = iterator
        self._tts_job = self._lane.submit("tts", lambda: next(iterator, _DONE), now_ms)
        self._tts_turn = turn

    def _collect(self, now_ms: float) -> None:
        job_i = self._interim_job
        if job_i is not None and job_i.ready(now_ms):
            self._interim_job = None
            interim = self._take(job_i, None)
            if interim is not None and self._turn is not None and self._final is None:
                self._turn.interims.append((now_ms, interim.text))
                self._endpointer.set_transcript(interim.text, interim.language)
        job_f = self._final_job
        if job_f is not None and job_f.ready(now_ms):
            self._final_job = None
            self._final = self._take(job_f, Transcript("", self.language or ""))
            if self._turn is not None:
                self._turn.final_ms = now_ms
                self._endpointer.set_transcript(self._final.text, self._final.language)
                self._barge.set_transcript(self._final.text)
            if self._awaiting_final:
                self._start_reply(now_ms)
        job_r = self._reply_job
        if job_r is not None and job_r.ready(now_ms):
            self._reply_job = None
            turn = self._responding
            if turn is not None:
                turn.reply_ms = now_ms
                turn.reply = self._take(job_r, "")
                if turn.reply.strip():
                    self._start_tts(turn, turn.reply, turn.language, now_ms)
                else:
                    turn.outcome = "replied"
        job_t = self._tts_job
        if job_t is not None and job_t.ready(now_ms):
            self._tts_job = None
            chunk = self._take(job_t, _DONE)
            if chunk is _DONE or not isinstance(chunk, np.ndarray):
                self._tts_iter = None
                if self._tts_turn is not None and self._tts_turn.outcome == "open":
                    self._tts_turn.outcome = "replied"
            else:
                self._out.append(self._to_output(chunk))
                if self._barge.active:
                    self._tts_deferred = True  # the burst's transcript goes first
                else:
                    self._next_chunk(now_ms)

    def _next_chunk(self, now_ms: float) -> None:
        self._tts_deferred = False
        iterator = self._tts_iter
        if iterator is not None:
            self._tts_job = self._lane.submit("tts", lambda: next(iterator, _DONE), now_ms)

    def _take(self, job: Job[Any], failed: Any) -> Any:
        try:
            return job.result()
        except Exception as e:  # a model call failed: note it, go on without its result
            self.errors.append(f"{job.stage}: {type(e).__name__}: {e}")
            return failed

    def _cancel_response(self) -> None:
        for job in (self._reply_job, self._tts_job):
            if job is not None:
                job.cancel()
        self._reply_job = self._tts_job = None
        self._tts_iter = None
        self._tts_deferred = False
        self._out.clear()
        self._paused = False
        self._responding = None

    def _close_turn(self) -> None:
        if self._interim_job is not None:
            self._interim_job.cancel()
        if self._final_job is not None and not self._awaiting_final:
            self._final_job.cancel()
            self._final_job = None
        self._interim_job = None
        self._turn, self._stream = None, None
        self._audio, self._stream_pending, self._stream_samples = [], [], 0

    def _output(self, now_ms: float) -> np.ndarray:
        had_audio = bool(self._out.samples)
        frame = self._out.frame(self._paused)
        if had_audio and not self._paused:
            if not self._played and self._responding is not None:
                if self._responding.first_audio_ms is None:
                    self._responding.first_audio_ms = now_ms
                    if self._responding.outcome == "open":
                        self._responding.outcome = "replied"
            self._played = True
        return frame


def run_frames(loop: VoiceLoop, audio: np.ndarray, *, tail_ms: float = 0.0
               ) -> tuple[np.ndarray, float]:
    """Push ``audio`` (then ``tail_ms`` of silence) through ``loop`` frame by frame on a
    simulated clock from 0; the output and the clock at the end. Output sample ``k``
    plays at ``k / sample_rate`` s on that clock, as input sample ``k`` was captured: the
    frame returned at ``now_ms`` (the end of the input frame) is heard from ``now_ms``."""
    n = loop.frame_samples
    frames = int(math.ceil(audio.size / n)) + int(tail_ms // FRAME_MS)
    padded = np.zeros(frames * n, np.float32)
    padded[:audio.size] = audio
    out = np.zeros((frames + 1) * n, np.float32)
    now = 0.0
    for i in range(frames):
        now += FRAME_MS
        out[(i + 1) * n:(i + 2) * n] = loop.push(padded[i * n:(i + 1) * n], now)
    return out, now
