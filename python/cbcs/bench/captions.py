"""``cbcs bench captions``: captions and their translation in a call through a cbcs node.

A Brazilian customer (pt-BR) and an English-speaking agent, each a stock aiortc client on
loopback, take turns saying phrases: the project's own test phrases in both languages
spoken by the offline voices (espeak-ng for pt-BR, piper for English) and the recorded
clips of ``../shared/data/audio``. For each phrase, the time from the last sample of
speech leaving the speaker's client to the final ``caption`` frame (with its translation
into the other's language, Bergamot) arriving at the other side's live channel; beside it
the node's own part (end of speech as the node heard it to the final text), and what the
caption said against what was spoken (chrF, when sacrebleu is installed).

The speech models run on this machine's two cores beside the node and both clients, as
they would on a small node. Nothing here is tuned on: the phrases are a yardstick.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.bench.report import Report
from cbcs.commands._args import positive_int

DESCRIPTION = ("captions in a call: end of a spoken phrase to its final caption and "
               "translation at the other side (pt-BR customer, English agent)")

FINAL_P95_LIMIT_MS = 1500.0
TRANSLATED_P95_LIMIT_MS = 2000.0
PHRASES = Path(__file__).parent / "data" / "translate_phrases.jsonl"
RECORDED = (("pt-BR", "pt_leopard.wav", "Uma raposa velha não consegue aprender nenhum ofício."),
            ("en", "en_librispeech_quilter_leopard.wav",
             "Mister Quilter is the apostle of the middle classes, and we are glad to "
             "welcome his gospel."))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--phrases", type=positive_int, default=None,
                        help="synthesised phrases per side (default 10; --short: 5)")


def run(args: argparse.Namespace, report: Report) -> None:
    from cbcs.rtc.loop import run as run_calls

    per_side = args.phrases or (5 if args.short else 10)
    print(f"loading the node's models, then {per_side} synthesised phrases a side and "
          f"{len(RECORDED)} recorded ones", flush=True)
    figures = run_calls(_run(per_side))
    report.figures.update(figures)
    rows = []
    for side, f in figures["sides"].items():
        rows.append([side, f["phrases"], f["captioned"], _ms(f["final_p50_ms"]),
                     _ms(f["final_p95_ms"]), _ms(f["node_p50_ms"]),
                     "-" if f["chrf"] is None else f"{f['chrf']:.1f}",
                     ", ".join(sorted(set(f["providers"]))) or "-"])
    report.table("end of phrase -> final caption with its translation, at the other side",
                 ["speaker", "phrases", "captioned", "p50", "p95", "node p50", "chrF",
                  "translated by"], rows)
    for side, f in figures["sides"].items():
        p95 = f["final_p95_ms"]
        report.check(f"{side}: final caption p95 <= {FINAL_P95_LIMIT_MS:.0f} ms",
                     p95 is not None and p95 <= FINAL_P95_LIMIT_MS, _ms(p95))
        report.check(f"{side}: translated caption p95 <= {TRANSLATED_P95_LIMIT_MS:.0f} ms",
                     p95 is not None and p95 <= TRANSLATED_P95_LIMIT_MS
                     and all(p != "untranslated" for p in f["providers"]), _ms(p95))


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"


def _trim(audio: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.int16]:
    """``audio`` at 48 kHz int16, from its first to its last sample above -50 dBFS: the
    phrase ends where its speech ends."""
    from scipy.signal import resample_poly

    loud = np.flatnonzero(np.abs(audio) > 10 ** (-50 / 20))
    if loud.size:
        audio = audio[loud[0]:loud[-1] + 1]
    up = resample_poly(audio, 48000, rate) if rate != 48000 else audio
    return np.clip(up * 32767, -32768, 32767).astype(np.int16)


def _phrases(per_side: int) -> list[tuple[str, str, npt.NDArray[np.int16]]]:
    """(language, text, 48 kHz speech), alternating pt-BR and en."""
    import soundfile

    from cbcs.ai.tts import VoiceRouter

    voices = VoiceRouter.default()
    rows = [json.loads(line) for line in PHRASES.read_text("utf-8").splitlines() if line]
    out: list[tuple[str, str, npt.NDArray[np.int16]]] = []
    for row in rows[:per_side]:
        for lang in ("pt-BR", "en"):
            said = np.concatenate(list(voices.synthesize(row[lang], lang)))
            out.append((lang, row[lang], _trim(said.astype(np.float32), voices.sample_rate)))
    audio_dir = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "audio"
    for lang, name, text in RECORDED:
        path = audio_dir / "speech" / name
        if path.exists():
            pcm, rate = soundfile.read(path, dtype="float32")
            out.append((lang, text, _trim(pcm, rate)))
    return out


async def _run(per_side: int) -> dict[str, Any]:
    from cbcs.bench.harness.stock import SaidOnce, StockClient
    from cbcs.client import Client
    from cbcs.server.app import running
    from cbcs.server.config import ServerConfig

    phrases = await asyncio.to_thread(_phrases, per_side)
    with tempfile.TemporaryDirectory(prefix="cbcs-bench-captions-") as tmp:
        config = replace(ServerConfig(data_dir=Path(tmp)), ai="offline",
                         call_addresses=("127.0.0.1",))
        async with running(config) as (url, node):
            assert node.first_tier is not None
            t0 = time.monotonic()
            await node.first_tier.agent()
            await node.first_tier.transcriber()
            print(f"models loaded in {time.monotonic() - t0:.0f} s", flush=True)
            admin = Client(url, node.auth._admin_key.decode())
            await admin.put_agent("bench-en", name="Agent", languages={"en": 5},
                                  markets=["BR"], time_zone="Asia/Shanghai")
            # an agent who reads no Portuguese: the queue's step allows live translation
            await admin.put_queue("default", offer_timeout_s=30,
                                  steps=[{"target": "", "translate": True}])
            agent = Client(url, await admin.mint_token("agent", "bench-en"))
            customer = Client(url, await admin.mint_token("customer", "bench-br"))
            console = await agent.live()
            await agent.set_status("bench-en", "available")
            conv = (await customer.start_conversation(channel="voice", language="pt-BR",
                                                      market="BR"))["id"]
            widget = await customer.live()
            await customer.escalate(conv, "wants a person")
            await agent.accept((await console.next("reservation"))["id"])
            await console.next("assigned")
            sources = {"pt-BR": SaidOnce(np.zeros(1, np.int16)),
                       "en": SaidOnce(np.zeros(1, np.int16))}
            phone = StockClient(source=sources["pt-BR"])
            laptop = StockClient(source=sources["en"])
            try:
                await phone.accept(await widget.offer_call(conv, await phone.offer()))
                await laptop.accept(await console.offer_call(conv, await laptop.offer()))
                call = node.calls.calls[conv]
                for _ in range(600):
                    if all(leg.captions is not None for leg in call.legs.values()):
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)
                results = []
                for i, (lang, text, speech) in enumerate(phrases):
                    hearer = console if lang == "pt-BR" else widget
                    speaker = "customer" if lang == "pt-BR" else "agent"
                    got = await _say(sources[lang], speech, hearer, speaker)
                    results.append({"lang": lang, "said": text, **got})
                    print(f"  {i + 1}/{len(phrases)} {lang}: "
                          f"{_ms(got.get('latency_ms'))}  {got.get('text', '')!r}", flush=True)
                    await asyncio.sleep(0.8)
            finally:
                for thing in (phone, laptop, console, widget, agent, customer, admin):
                    await thing.close()
    return {"phrases": results, "sides": {
        "customer (pt-BR -> en)": _side([r for r in results if r["lang"] == "pt-BR"]),
        "agent (en -> pt-BR)": _side([r for r in results if r["lang"] == "en"])}}


async def _say(source: Any, speech: npt.NDArray[np.int16], hearer: Any, speaker: str,
               timeout: float = 20.0) -> dict[str, Any]:
    """Say one phrase and collect its final captions at the other side until 1.5 s pass
    without another once it is said (a long phrase may come out as two captions). The
    latency is that of the caption that came after the phrase ended: its last part."""
    while not hearer.frames_in.empty():   # what came before this phrase
        hearer.frames_in.get_nowait()
    source.say(speech)
    texts: list[str] = []
    translated: list[str] = []
    providers: list[str] = []
    latency: float | None = None
    node_ms: float | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wait = 1.5 if latency is not None else deadline - time.monotonic()
        try:
            frame = await hearer.next("caption", max(0.05, wait))
        except asyncio.TimeoutError:
            break
        if not frame.get("final") or frame.get("speaker") != speaker:
            continue
        texts.append(frame["text"])
        translated += list(frame.get("translations", {}).values())
        providers += list(frame.get("translated_by", {}).values())
        if source.said_until_ms is not None:
            latency = time.time() * 1000.0 - source.said_until_ms
            node_ms = frame.get("delay_ms")
    return {"latency_ms": latency, "node_ms": node_ms, "text": " ".join(texts),
            "translation": " ".join(translated), "providers": providers}


def _side(rows: list[dict[str, Any]]) -> dict[str, Any]:
    lat = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
    node = [r["node_ms"] for r in rows if r["node_ms"] is not None]
    chrf: float | None = None
    try:
        import sacrebleu

        said = [r for r in rows if r["text"]]
        if said:
            chrf = float(sacrebleu.corpus_chrf([r["text"] for r in said],
                                               [[r["said"] for r in said]]).score)
    except ImportError:
        pass

    def pct(v: list[float], q: float) -> float | None:
        return float(np.percentile(v, q)) if v else None

    return {"phrases": len(rows), "captioned": len(lat), "final_p50_ms": pct(lat, 50),
            "final_p95_ms": pct(lat, 95), "node_p50_ms": pct(node, 50), "chrf": chrf,
            "providers": sorted({p for r in rows for p in r["providers"]})}
