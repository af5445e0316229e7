"""Captions in a call through a real node, on the real offline models: a Brazilian
customer and an English-speaking agent each say a recorded sentence; Whisper captions
each leg, the final caption is translated (Bergamot, pt-BR <-> en) into the other party's
language, both sides get the ``caption`` frame, and the conversation keeps it; an agent who
turns spoken translation on hears the customer's words said in English."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import resample_poly

from cbcs.bench.harness.stock import SaidOnce
from cbcs.client import Client
from cbcs.rtc.media import wall_ms
from cbcs.server.config import ServerConfig

AUDIO = Path(__file__).resolve().parents[3] / "shared" / "data" / "audio" / "speech"


def speech(name: str) -> np.ndarray:
    import soundfile

    pcm, rate = soundfile.read(AUDIO / name, dtype="float32")
    assert rate == 16000
    return np.clip(resample_poly(pcm, 3, 1) * 32767, -32768, 32767).astype(np.int16)


def rms(recorded: tuple[np.ndarray, np.ndarray], from_ms: float, ms: float) -> float:
    pcm, times = recorded
    part = pcm[(times >= from_ms) & (times < from_ms + ms)].astype(np.float64) / 32768.0
    return float(np.sqrt(np.mean(part ** 2))) if part.size else 0.0


async def final_caption(live: Any, speaker: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = await live.next("caption", max(0.1, deadline - time.monotonic()))
        if frame["final"] and frame["speaker"] == speaker:
            return frame


def test_each_person_is_captioned_and_translated_for_the_other(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    config = replace(config, ai="offline", call_addresses=("127.0.0.1",))

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            await node.first_tier.agent()   # loaded, as on a node that has been up a while
            admin = Client(url, node.auth._admin_key.decode())
            await admin.put_agent("bob", name="Bob", languages={"en": 5, "pt-BR": 1},
                                  markets=["BR"], time_zone="Asia/Shanghai")
            await admin.put_queue("default", offer_timeout_s=30)
            agent = Client(url, await admin.mint_token("agent", "bob"))
            customer = Client(url, await admin.mint_token("customer", "cust-br"))
            console = await agent.live()
            await agent.set_status("bob", "available")
            conv = (await customer.start_conversation(channel="voice", language="pt-BR",
                                                      market="BR"))["id"]
            widget = await customer.live()
            await customer.escalate(conv, "wants a person")
            await agent.accept((await console.next("reservation"))["id"])
            await console.next("assigned")
            said_pt, said_en = SaidOnce(speech("pt_leopard.wav")), SaidOnce(
                speech("en_librispeech_quilter_leopard.wav"))
            phone, laptop = aiortc_client(source=said_pt), aiortc_client(source=said_en)
            try:
                await phone.accept(await widget.offer_call(conv, await phone.offer()))
                await laptop.accept(await console.offer_call(conv, await laptop.offer()))
                call = node.calls.calls[conv]
                for _ in range(1200):   # Whisper loads on the first call
                    if all(leg.captions is not None for leg in call.legs.values()):
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)
                said_pt.say()
                pt_at_agent = await final_caption(console, "customer", 60.0)
                quiet_from = wall_ms()
                pt_at_customer = await final_caption(widget, "customer", 10.0)
                said_en.say()
                en_at_customer = await final_caption(widget, "agent", 60.0)
                # the agent asks to hear translations spoken; the customer says it again
                await console.send({"type": "call.speak", "conversation": conv, "on": True})
                speak = await console.next("call.speak")
                await asyncio.sleep(1.0)
                said_pt.say()
                await final_caption(console, "customer", 60.0)
                spoken_from = wall_ms()
                await asyncio.sleep(4.0)
                history = await customer.messages(conv)
                agent_heard, customer_heard = laptop.recorder.audio(), phone.recorder.audio()
            finally:
                for thing in (phone, laptop, console, widget, agent, customer, admin):
                    await thing.close()
            return {"pt": pt_at_agent, "pt_customer": pt_at_customer, "en": en_at_customer,
                    "history": history, "speak": speak,
                    # what each side heard in the 2 s after a caption, the other side silent
                    "agent_quiet": rms(agent_heard, quiet_from, 2000),
                    "agent_spoken": rms(agent_heard, spoken_from, 2000),
                    "customer_quiet": rms(customer_heard, spoken_from, 2000)}

    r = asyncio.run(go())
    pt, en = r["pt"], r["en"]
    assert pt["lang"] == "pt-BR" and "raposa" in pt["text"].lower(), pt
    assert pt["translated_by"] == {"en": "bergamot"}
    assert "fox" in pt["translations"]["en"].lower(), pt
    assert r["pt_customer"]["seq"] == pt["seq"]       # the customer sees their own caption
    assert en["lang"] == "en" and "quilter" in en["text"].lower(), en
    assert en["translated_by"] == {"pt-BR": "bergamot"} and en["translations"]["pt-BR"], en
    kept = [m for m in r["history"] if m["kind"] == "caption"]
    assert [(m["author"]["role"], m["lang"]) for m in kept] == [
        ("customer", "pt-BR"), ("agent", "en"), ("customer", "pt-BR")]
    assert kept[0]["translations"]["en"] == pt["translations"]["en"]
    # spoken translation: off, the agent hears nothing after the customer's phrase; on,
    # the English translation is said to the agent, and not to the customer
    assert r["speak"] == {"type": "call.speak", "conversation": r["pt"]["conversation"],
                          "on": True}
    assert r["agent_quiet"] < 0.003 and r["customer_quiet"] < 0.003, r
    assert r["agent_spoken"] > 0.01, r
