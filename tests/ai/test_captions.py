"""Captions of one speaker (cbcs.ai.captions.Captioner) on a simulated clock: a scripted
VAD says when the speaker talks, a stand-in transcriber says how much audio it was given,
and the lane charges a fixed time per model call."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cbcs.ai.captions import Caption, Captioner, caption_event
from cbcs.ai.providers import Transcript
from cbcs.ai.voice import SimulatedLane
from cbcs.errors import ConfigError, FrameError

RATE = 16000
FRAME = 320   # 20 ms


class ScriptedVad:
    """Speech where the frame's first sample is 1.0 (the test writes the script into the
    audio itself)."""

    sample_rate = RATE
    frame_samples = FRAME

    def speech_probability(self, frame: np.ndarray) -> float:
        return 0.9 if frame[0] > 0.5 else 0.05


class Counting:
    """Answers with the length of what it was given ("1240 ms"), in ``language`` or the one
    it 'detects' ("pt-BR")."""

    sample_rate = RATE

    def __init__(self, detects: str = "pt-BR") -> None:
        self.calls: list[tuple[int, str | None]] = []
        self.detects = detects

    def transcribe(self, audio: np.ndarray, language: str | None = None, *,
                   expect: Any = ()) -> Transcript:
        self.calls.append((audio.shape[0], language))
        return Transcript(f"{1000 * audio.shape[0] // RATE} ms", language or self.detects)

    def stream(self, language: str | None = None) -> Any:
        raise NotImplementedError


def run(script: list[tuple[bool, int]], captioner: Captioner) -> list[Caption]:
    """Feed (speaking, ms) spans, 20 ms at a time; every caption that came back."""
    out: list[Caption] = []
    now = 0.0
    for speaking, ms in script:
        for _ in range(ms // 20):
            now += 20
            frame = np.full(FRAME, 1.0 if speaking else 0.0, np.float32)
            out += captioner.push(frame, now)
    return out


def make(lane_ms: dict[str, float] | None = None, **kw: Any) -> tuple[Captioner, Counting]:
    asr = Counting()
    lane = SimulatedLane(lane_ms or {"interim": 300.0, "final": 500.0})
    return Captioner(vad=ScriptedVad(), transcriber=asr, lane=lane, **kw), asr


def test_a_phrase_gets_interims_while_spoken_and_one_final_after_the_pause() -> None:
    cap, asr = make(language="es")
    got = run([(False, 500), (True, 3000), (False, 1500)], cap)
    interims = [c for c in got if not c.final]
    finals = [c for c in got if c.final]
    assert len(finals) == 1 and len(interims) >= 2, got
    final = finals[0]
    # the whole phrase (3 s of speech and a little pre-roll and tail), not the silence
    heard_ms = int(final.text.split()[0])
    assert 3000 <= heard_ms <= 3000 + 200 + 150 + 40, final
    assert final.lang == "es" and all(lang == "es" for _, lang in asr.calls)
    assert final.start_ms == pytest.approx(500, abs=40)
    assert final.end_ms == pytest.approx(3500, abs=40)
    # ready after the pause that ends a phrase and the model's time, not seconds later
    assert 300 + 500 <= final.ready_ms - final.end_ms <= 700 + 500 + 40, final
    # interims grow, share the final's phrase number, and come before it
    assert [c.phrase for c in interims] == [final.phrase] * len(interims)
    assert [int(c.text.split()[0]) for c in interims] == sorted(
        int(c.text.split()[0]) for c in interims)
    assert all(c.ready_ms < final.ready_ms and c.end_ms is None for c in interims)


def test_two_phrases_are_two_finals_and_a_click_is_none() -> None:
    cap, _ = make()
    got = run([(True, 1200), (False, 1000), (True, 60), (False, 1000),
               (True, 1600), (False, 1500)], cap)
    finals = [c for c in got if c.final]
    assert len(finals) == 2, got
    assert int(finals[0].text.split()[0]) < int(finals[1].text.split()[0])


def test_the_language_is_detected_on_the_first_phrase_and_kept() -> None:
    cap, asr = make()
    run([(True, 1000), (False, 1500), (True, 1000), (False, 1500)], cap)
    finals = [lang for _, lang in asr.calls]
    assert finals[0] is None and finals[-1] == "pt-BR"
    assert cap.language == "pt-BR"


def test_a_busy_lane_skips_interims_but_never_the_final() -> None:
    cap, asr = make({"interim": 5000.0, "final": 100.0})
    got = run([(True, 4000), (False, 8000)], cap)
    assert len([c for c in got if not c.final]) <= 1
    assert len([c for c in got if c.final]) == 1


def test_a_long_monologue_is_cut_into_phrases() -> None:
    cap, _ = make()
    got = run([(True, 20_000), (False, 2000)], cap)
    assert len([c for c in got if c.final]) >= 2


def test_a_failing_model_loses_that_caption_only() -> None:
    class Broken(Counting):
        def transcribe(self, audio: np.ndarray, language: str | None = None, *,
                       expect: Any = ()) -> Transcript:
            if len(self.calls) == 0:
                self.calls.append((0, None))
                raise RuntimeError("model fell over")
            return super().transcribe(audio, language)

    asr = Broken()
    cap = Captioner(vad=ScriptedVad(), transcriber=asr, lane=SimulatedLane({"final": 10.0}),
                    interim_every_ms=10_000)
    got = run([(True, 1000), (False, 1500), (True, 1000), (False, 1500)], cap)
    assert [c.final for c in got] == [True]


def test_wrong_audio_and_bad_settings_are_refused_clearly() -> None:
    cap, _ = make()
    with pytest.raises(FrameError, match="float32"):
        cap.push(np.zeros(FRAME, np.int16), 20.0)
    with pytest.raises(FrameError):
        cap.push(np.zeros(FRAME + 1, np.float32), 20.0)
    with pytest.raises(ConfigError):
        make(interim_every_ms=50)


def test_after_close_nothing_comes_back() -> None:
    cap, _ = make()
    run([(True, 1000)], cap)
    cap.close()
    assert run([(False, 2000)], cap) == []


def test_the_caption_frame_carries_the_contracts_names() -> None:
    c = Caption(2, "hola", "es", True, 100.0, 900.0, 1500.0)
    frame = caption_event("conv-1", "customer", c, {"en": "hello"}, {"en": "llm"})
    assert {k: frame[k] for k in ("type", "conversation", "speaker", "text", "lang",
                                  "translations")} == {
        "type": "caption", "conversation": "conv-1", "speaker": "customer", "text": "hola",
        "lang": "es", "translations": {"en": "hello"}}
    assert frame["final"] is True and frame["translated_by"] == {"en": "llm"}
