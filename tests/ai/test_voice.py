"""Turn-taking on a voice call (cbcs.ai.voice): end of turn, barge-in and backchannels,
and the loop's wiring, from tables of per-frame speech probabilities and times."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pytest

from cbcs.ai.providers import Transcript
from cbcs.ai.voice import (BACKCHANNEL_PHRASES, FRAME_MS, BargeIn, BargeInConfig, EndpointConfig, Endpointer,
                           SimulatedLane, VoiceLoop, is_backchannel, run_frames,
                           sentence_state)
from cbcs.errors import ConfigError

S, Q = 0.9, 0.05  # a speech frame's probability, a silent one's


def frames(*runs: tuple[float, int]) -> list[float]:
    """Probabilities from (probability, duration in ms) runs."""
    return [p for p, ms in runs for _ in range(ms // FRAME_MS)]


@pytest.mark.parametrize("text, lang, state", [
    ("Where is my order?", "en", "complete"),
    ("Can you tell me where my order is?", "en", "complete"),
    ("My order number is", "en", "incomplete"),
    ("I bought it last week.", "en", "complete"),
    ("I want to return the lamp and", "en", "incomplete"),
    ("I ordered a", "en", "incomplete"),
    ("um", "en", "incomplete"),
    ("So the thing is,", "en", "incomplete"),
    ("my order number is 1234", "en", "open"),
    ("¿Dónde está mi pedido?", "es", "complete"),
    ("quiero devolver la lámpara pero", "es", "incomplete"),
    ("Paguei ontem e", "pt-BR", "incomplete"),
    ("Pesanan saya belum sampai dan", "id", "incomplete"),
    ("tôi muốn trả hàng vì", "vi", "incomplete"),
    ("nasaan na po yung order ko kasi", "tl", "incomplete"),
    ("ฉันสั่งของไปแล้วแต่", "th", "incomplete"),
    ("ของถึงเมื่อไหร่คะ", "th", "complete"),
    ("我的订单在哪里吗", "zh", "complete"),
    ("我想退货因为", "zh", "incomplete"),
    ("", None, "open"),
])
def test_how_the_words_end(text: str, lang: str | None, state: str) -> None:
    assert sentence_state(text, lang) == state


def run_endpointer(probs: Sequence[float], transcripts: dict[int, str] | None = None,
                   config: EndpointConfig | None = None) -> list[tuple[str, float, float | None]]:
    """(kind, now_ms, speech_end_ms) of each event; ``transcripts`` by frame index."""
    ep = Endpointer(config)
    events: list[tuple[str, float, float | None]] = []
    for i, p in enumerate(probs):
        if transcripts and i in transcripts:
            ep.set_transcript(transcripts[i], "en")
        now = FRAME_MS * (i + 1)
        event = ep.update(p, now)
        if event is not None:
            events.append((event.kind, now, event.speech_end_ms))
    return events


# 200 ms of silence, 1 s of speech (ends at 1200 ms), then 2 s of silence.
TURN = frames((Q, 200), (S, 1000), (Q, 2000))


@pytest.mark.parametrize("transcript, wait_ms", [
    ("Where is my order?", 300),            # a question: short hangover
    ("I want to return the lamp and", 1300),  # a trailing conjunction: long
    ("uh", 1300),                           # a filler: long
    (None, 700),                            # no words yet: in between
])
def test_the_silence_that_ends_a_turn_depends_on_how_the_words_end(
        transcript: str | None, wait_ms: int) -> None:
    events = run_endpointer(TURN, {30: transcript} if transcript else None)
    assert [e[0] for e in events] == ["speech_start", "silence_start", "end_of_turn"]
    kind, now, speech_end = events[-1]
    assert speech_end == 1200 and now == 1200 + wait_ms


def test_a_transcript_that_comes_during_the_silence_decides_at_once() -> None:
    # The final transcript ("...?") lands with frame 80 (ending at 1620 ms), 420 ms into
    # the silence and past the 300 ms a question needs: the turn ends on that frame, not
    # 700 ms in.
    events = run_endpointer(TURN, {80: "Can you check my order?"})
    assert events[-1][:2] == ("end_of_turn", FRAME_MS * 81)


def test_a_pause_after_and_does_not_end_the_turn_and_speech_resumes_it() -> None:
    probs = frames((Q, 200), (S, 1000), (Q, 900), (S, 600), (Q, 1500))
    events = run_endpointer(probs, {55: "I bought a lamp and"})
    kinds = [e[0] for e in events]
    assert kinds == ["speech_start", "silence_start", "speech_resume", "silence_start",
                     "end_of_turn"]
    assert events[-1][2] == 2700  # the end of the second stretch of speech


def test_a_long_turn_ends_at_max_turn_even_while_speaking() -> None:
    config = EndpointConfig(max_turn_ms=5000)
    events = run_endpointer(frames((S, 7000)), config=config)
    assert [e[:2] for e in events[:2]] == [("speech_start", 40), ("end_of_turn", 5000)]
    assert events[2][0] == "speech_start"  # what follows is the next turn


@pytest.mark.parametrize("probs, first_event", [
    (frames((Q, 200), (S, 20), (Q, 1000)), None),        # one loud frame: not speech
    (frames((Q, 200), (S, 60), (Q, 1000)), "dropped"),   # a click: no turn to answer
    (frames((Q, 200), (S, 40), (0.4, 40), (S, 200), (Q, 1000)), "end_of_turn"),  # hysteresis
])
def test_short_sounds(probs: list[float], first_event: str | None) -> None:
    kinds = [e[0] for e in run_endpointer(probs) if e[0] not in ("speech_start",
                                                                  "silence_start")]
    assert (kinds[0] if kinds else None) == first_event
    if first_event == "end_of_turn":
        assert [e[0] for e in run_endpointer(probs)].count("silence_start") == 1


def test_bad_settings_are_refused_with_what_was_expected() -> None:
    with pytest.raises(ConfigError, match="complete_ms <= open_ms"):
        EndpointConfig(complete_ms=900, open_ms=500)
    with pytest.raises(ConfigError, match="150 ms"):
        BargeInConfig(onset_ms=200)


@pytest.mark.parametrize("text, expected", [
    ("Uh-huh.", True), ("mm-hmm", True), ("Mhm.", True), ("OK, ok.", True), ("Yeah yeah", True),
    ("Sí.", True), ("ajá", True), ("Vale", True), ("tá", True), ("iya", True), ("vâng ạ", True),
    ("opo", True), ("Oo, sige.", True), ("ค่ะ", True), ("อืม ครับ", True), ("嗯嗯", True),
    ("对对对", True),
    ("", False), ("no", False), ("Wait.", False), ("yes please cancel it", False),
    ("Okay, but when?", False), ("Sorry, what?", False), ("hindi po", False), ("不是", False),
])
def test_backchannels_in_the_markets_languages(text: str, expected: bool) -> None:
    assert is_backchannel(text) is expected


def run_barge_in(probs: Sequence[float], transcripts: dict[int, str] | None = None,
                 ai_speaking: Callable[[int], bool] = lambda i: True
                 ) -> list[tuple[str, float, float]]:
    """(kind, now_ms, onset_ms) of each action."""
    b = BargeIn()
    actions: list[tuple[str, float, float]] = []
    stopped = False  # a stop drops the rest of the AI's reply
    for i, p in enumerate(probs):
        if transcripts and i in transcripts:
            b.set_transcript(transcripts[i])
        now = FRAME_MS * (i + 1)
        action = b.update(p, now, ai_speaking(i) and not stopped)
        if action is not None:
            actions.append((action.kind, now, action.onset_ms))
            stopped = stopped or action.kind == "stop"
    return actions


# The customer starts speaking at 1000 ms over the AI.
def test_speech_over_the_ai_pauses_it_within_150_ms_of_onset() -> None:
    actions = run_barge_in(frames((Q, 1000), (S, 300), (Q, 400)))
    kind, now, onset = actions[0]
    assert kind == "pause" and onset == 1000
    assert now - onset <= 150 - FRAME_MS  # the next output frame is already silent


def test_speech_while_the_ai_is_quiet_is_no_barge_in() -> None:
    assert run_barge_in(frames((Q, 1000), (S, 1500), (Q, 400)), ai_speaking=lambda i: False) == []


def test_a_long_stretch_of_speech_stops_the_ai() -> None:
    actions = run_barge_in(frames((Q, 1000), (S, 1500), (Q, 400)))
    assert [a[0] for a in actions] == ["pause", "stop"]
    assert actions[1][1] == 1000 + 800 + FRAME_MS  # the first frame past backchannel_max_ms


# A 300 ms burst at 1000-1300 ms; its transcript comes 200 ms after it ends (frame 75).
BURST = frames((Q, 1000), (S, 300), (Q, 2000))


@pytest.mark.parametrize("transcript, action, at_ms", [
    ("Uh-huh.", "resume", 1520),     # the transcript's frame: 1300 + 220 of silence
    ("sí", "resume", 1520),
    ("", "resume", 1520),            # a cough: no words
    ("Wait.", "stop", 1520),         # words: the customer takes the turn
    ("no", "stop", 1520),
    (None, "resume", 1300 + 160 + 1000),  # no transcript in time: resume
])
def test_what_happens_after_a_short_burst(transcript: str | None, action: str,
                                          at_ms: int) -> None:
    actions = run_barge_in(BURST, {75: transcript} if transcript is not None else None)
    assert [a[0] for a in actions] == ["pause", action]
    assert actions[1][1] == at_ms


def test_a_burst_that_goes_on_after_its_transcript_is_judged_again() -> None:
    # "uh-huh" arrives, but before the burst's end is confirmed the customer goes on
    # for a full second: it was the start of a turn.
    probs = frames((Q, 1000), (S, 300), (Q, 100), (S, 1000), (Q, 500))
    actions = run_barge_in(probs, {67: "uh-huh"})
    assert [a[0] for a in actions] == ["pause", "stop"]


# --- the loop, with fake models --------------------------------------------------------

class TableVad:
    """The probability is the frame's first sample (the tests write it there)."""

    sample_rate = 16000
    frame_samples = 320

    def speech_probability(self, frame: np.ndarray) -> float:
        return float(frame[0])


class ScriptedAsr:
    """Answers ``script(seconds of audio)``; its streams answer interims the same way."""

    sample_rate = 16000

    def __init__(self, script: Callable[[float], str]) -> None:
        self.script = script
        self.calls: list[float] = []
        self.expects: list[tuple[str, ...]] = []

    def transcribe(self, audio: np.ndarray, language: str | None = None, *,
                   expect: Sequence[str] = ()) -> Transcript:
        self.expects.append(tuple(expect))
        self.calls.append(audio.size / 16000)
        return Transcript(self.script(audio.size / 16000), language or "en")

    def stream(self, language: str | None = None) -> _Stream:
        return _Stream(self)


class _Stream:
    def __init__(self, asr: ScriptedAsr) -> None:
        self.asr, self.audio = asr, np.zeros(0, np.float32)

    def feed(self, audio: np.ndarray) -> Transcript | None:
        self.audio = np.concatenate([self.audio, audio])
        t = self.asr.transcribe(self.audio)
        return Transcript(t.text, t.language, final=False)

    def finish(self) -> Transcript:
        return self.asr.transcribe(self.audio)


class CountingTts:
    """Each chunk is 200 ms of a ramp, so where playback resumes can be checked."""

    sample_rate = 16000

    def __init__(self, chunks: int = 3) -> None:
        self.chunks = chunks

    def languages(self) -> Sequence[str]:
        return ("en",)

    def synthesize(self, text: str, language: str) -> Iterator[np.ndarray]:
        for i in range(self.chunks):
            yield np.linspace(0.1 + i * 0.2, 0.3 + i * 0.2, 3200, dtype=np.float32)


COSTS = {"asr_final": 400.0, "asr_interim": 300.0, "reply": 50.0, "tts": 100.0}


def make_loop(script: Callable[[float], str], *, tts: CountingTts | None = None,
              costs: dict[str, float] | None = None) -> tuple[VoiceLoop, ScriptedAsr]:
    asr = ScriptedAsr(script)
    loop = VoiceLoop(vad=TableVad(), transcriber=asr, synthesizer=tts or CountingTts(),
                     reply=lambda text, lang: f"you said {text}", lane=SimulatedLane(
                         costs or COSTS), language="en")
    return loop, asr


def signal(probs: Sequence[float]) -> np.ndarray:
    return np.concatenate([np.full(320, p, np.float32) for p in probs])


def test_each_stage_is_timed_and_the_final_transcript_starts_at_the_first_silence() -> None:
    loop, asr = make_loop(lambda s: "Where is my order?")
    out, _ = run_frames(loop, signal(frames((Q, 200), (S, 2000), (Q, 2000))))
    assert set(asr.expects) == {()}  # the AI was quiet: nothing is expected
    [turn] = loop.turns
    assert turn.outcome == "replied" and turn.reply == "you said Where is my order?"
    assert turn.speech_end_ms == 2200
    # The interims said a question, so the endpoint came 300 ms into the silence; the
    # final began on the first silent frame (2220), before it, and took 400 ms.
    assert turn.endpoint_ms == 2200 + 300
    assert turn.speculative and turn.final_started_ms == 2220
    assert turn.final_ms is not None and turn.final_ms >= 2220 + 400
    assert turn.reply_ms == turn.final_ms + 60       # 50 ms, seen on the next frame
    assert turn.first_audio_ms == turn.reply_ms + 100  # played on the frame it is ready
    first = int(turn.first_audio_ms * 16)  # the first output sample of the reply
    assert np.all(out[:first - 320] == 0) and np.abs(out[first:first + 320]).max() > 0.05


def test_a_speculative_final_is_dropped_when_the_customer_goes_on() -> None:
    words = {1.3: "I bought a lamp and", 2.9: "I bought a lamp and it broke."}

    def script(seconds: float) -> str:
        return words[min(words, key=lambda k: abs(k - seconds))]

    loop, asr = make_loop(script)
    run_frames(loop, signal(frames((Q, 200), (S, 1000), (Q, 600), (S, 1000), (Q, 2000))))
    replied = [t for t in loop.turns if t.outcome == "replied"]
    assert len(replied) == 1
    assert replied[0].transcript == "I bought a lamp and it broke."
    assert replied[0].speech_end_ms == 2800


def test_speech_before_the_reply_is_heard_reopens_the_turn() -> None:
    # Ends on a question, but the customer adds more while the reply is being written.
    loop, _ = make_loop(lambda s: "Is it here?" if s < 1.8 else "Is it here? The lamp.",
                        costs={**COSTS, "reply": 800.0})
    run_frames(loop, signal(frames((Q, 200), (S, 1000), (Q, 500), (S, 500), (Q, 2500))))
    assert [t.outcome for t in loop.turns] == ["superseded", "replied"]
    assert loop.turns[-1].transcript == "Is it here? The lamp."


def ai_then_customer(loop: VoiceLoop, customer: list[float], lead_ms: int = 400) -> np.ndarray:
    loop.play(np.concatenate(list(CountingTts(10).synthesize("", "en"))), 16000)
    out, _ = run_frames(loop, signal(frames((Q, lead_ms)) + customer))
    return out


def test_the_ai_goes_quiet_within_150_ms_of_the_customers_onset() -> None:
    loop, _ = make_loop(lambda s: "Sorry, which day?")
    out = ai_then_customer(loop, frames((S, 1500), (Q, 2000)))
    onset = 400
    frame = 320
    silent_from = next(i for i in range(onset * 16, out.size, frame)
                       if np.all(out[i + 80:i + frame] == 0))  # after the 5 ms fade
    assert silent_from / 16 - onset <= 150
    assert loop.barge_ins[0].action == "stop"
    # The old reply never comes back: after the stop the only audio is the new answer.
    [turn] = [t for t in loop.turns if t.outcome == "replied"]
    assert turn.first_audio_ms is not None
    between = out[int(silent_from) + frame:int(turn.first_audio_ms * 16) - frame]
    assert np.all(between == 0)


def test_a_backchannel_pauses_the_ai_and_it_resumes_where_it_stopped() -> None:
    loop, asr = make_loop(lambda s: "uh-huh")
    out = ai_then_customer(loop, frames((S, 300), (Q, 2500)))
    # speech over the AI is transcribed expecting the language's backchannels
    assert BACKCHANNEL_PHRASES["en"] in asr.expects
    [record] = loop.barge_ins
    assert record.action == "resume" and "backchannel" in record.reason
    assert [t.outcome for t in loop.turns] == ["backchannel"]
    ai = np.concatenate(list(CountingTts(10).synthesize("", "en")))
    played = out[np.abs(out) > 0]
    # Every sample of the AI's audio was played once, in order (the fades aside).
    assert played.size == pytest.approx(ai.size, abs=2 * 80)
    resume = int(record.decided_ms * 16)  # type: ignore[operator]
    paused = int(record.paused_ms * 16)
    assert np.all(out[paused + 80:resume] == 0)
    assert resume - paused <= 16 * (300 + 160 + 400 + 2 * FRAME_MS)  # burst + silence + ASR


def test_words_in_a_short_burst_stop_the_ai_and_get_an_answer() -> None:
    loop, _ = make_loop(lambda s: "Wait.")
    ai_then_customer(loop, frames((S, 300), (Q, 2500)))
    assert loop.barge_ins[0].action == "stop"
    assert [t.outcome for t in loop.turns] == ["replied"]
    assert loop.turns[0].reply == "you said Wait."


def test_a_frame_of_the_wrong_shape_is_skipped_not_raised() -> None:
    loop, _ = make_loop(lambda s: "")
    out = loop.push(np.zeros(160, np.float32), 20.0)
    assert out.shape == (320,) and loop.bad_frames == 1


def test_cutting_in_just_after_the_reply_began_continues_the_same_turn() -> None:
    # "Hola." [900 ms pause, the AI starts to answer] "compré una lámpara...": the reply
    # is stopped and the words join the first ones in one transcript.
    loop, _ = make_loop(lambda s: "Hola." if s < 1.5 else "Hola, compré una lámpara.")
    run_frames(loop, signal(frames((Q, 200), (S, 500), (Q, 900), (S, 1200), (Q, 2500))))
    assert loop.barge_ins[0].action == "stop"
    assert [t.outcome for t in loop.turns] == ["superseded", "replied"]
    assert loop.turns[-1].reply == "you said Hola, compré una lámpara."


def test_cutting_in_long_after_the_reply_began_is_a_new_turn() -> None:
    loop, _ = make_loop(lambda s: "Hola." if s < 1.5 else "Hola, compré una lámpara.",
                        tts=CountingTts(20))
    run_frames(loop, signal(frames((Q, 200), (S, 500), (Q, 2500), (S, 1200), (Q, 2500))))
    assert [t.outcome for t in loop.turns] == ["interrupted", "replied"]
    assert loop.turns[-1].transcript == "Hola."  # only the new words (1.5 s of audio)


def test_leading_silence_of_synthesised_speech_is_trimmed_to_10_ms() -> None:
    from cbcs.ai.tts import trim_leading_silence

    rate = 22050
    tone = (0.3 * np.sin(np.arange(rate // 10) / 5.0)).astype(np.float32)
    audio = np.concatenate([np.zeros(rate // 4, np.float32), tone])
    trimmed = trim_leading_silence(audio, rate)
    assert abs(np.flatnonzero(np.abs(trimmed) > 1e-3)[0] - rate // 100) <= 1
    silent = np.zeros(100, np.float32)
    assert trim_leading_silence(silent, rate) is silent
