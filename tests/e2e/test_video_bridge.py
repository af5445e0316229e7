"""A 1:1 video call through the bridge in real Chromium: a customer's page (on an emulated
network, in a relay process) and an agent's page (on lan), each with Chromium's fake
camera, on a call through a real node, which forwards the video packet by packet
(:mod:`cbcs.rtc.video`). After a warm-up, Chrome's own statistics at both ends decide:
frames decoded at the far side against frames sent, and freezes.

The links are the emulator's, seeded (``seed``; each relay draws its two directions with
``seed`` and ``seed + 1``). sea-4g has rare radio stalls with a heavy tail: the direction
drawn with seed 6 holds every packet for about 1.4 s once, 15 s in, and a call over it
freezes that long whatever the node does (measured: no packet from the customer reached
the node for 1.405 s while the node's clock ticked on time, and Chrome counted a 1.35 s
freeze). The test's seed 3 draws links without a stall over 1 s, as the issue's bound
presumes; ``CBCS_VIDEO_SEED`` picks another."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from cbcs.bench.harness import chromium
from cbcs.rtc.loop import run as run_call

pytestmark = pytest.mark.skipif(not chromium.available(),
                                reason="needs Debian chromium and PyPI playwright")

#: Seconds after both legs are up before measuring: ICE, DTLS, the first keyframes and
#: Chrome's bandwidth ramp-up.
WARMUP_S = 5.0
#: Seconds measured (``CBCS_VIDEO_SECONDS`` overrides).
MEASURE_S = float(os.environ.get("CBCS_VIDEO_SECONDS", "20"))
#: How often both pages' statistics are read (the resolution of the longest stall).
SAMPLE_S = 0.5
#: The fake camera: width, height, frames per second.
CAMERA = (640, 480, 30)
#: Seconds after the senders stop for what was in flight to be decoded (or lost for good).
DRAIN_S = 1.5


def _video(stats: dict[str, dict[str, Any]], kind: str) -> dict[str, Any]:
    return next((s for s in stats.values() if s.get("type") == kind
                 and s.get("kind") == "video"), {})


def _direction(sender: list[dict[str, Any]], receiver: list[dict[str, Any]],
               drained: dict[str, Any]) -> dict[str, Any]:
    """Figures of one direction from the two pages' samples taken at the same instants:
    frames sent from the first sample to the last, against frames decoded from the first
    sample until ``drained`` (read once the senders had stopped and what was in flight had
    arrived). The start counts the few frames in flight then (a one-way delay's worth,
    about 1 %) as decoded in the window."""
    out0, out1 = sender[0]["out"], sender[-1]["out"]
    in0, in1 = receiver[0]["in"], receiver[-1]["in"]

    def d(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
        return float(b.get(key, 0) or 0) - float(a.get(key, 0) or 0)

    longest_freeze = 0.0
    stall, longest_stall = 0.0, 0.0
    for a, b in zip(receiver, receiver[1:]):
        freezes = d(a["in"], b["in"], "freezeCount")
        if freezes > 0:    # a freeze's duration is counted when it ends
            longest_freeze = max(longest_freeze, d(a["in"], b["in"], "totalFreezesDuration"))
        if d(a["in"], b["in"], "framesDecoded") > 0:
            stall = 0.0
        else:
            stall += b["t"] - a["t"]
            longest_stall = max(longest_stall, stall)
    sent = d(out0, out1, "framesSent")
    decoded = d(in0, drained, "framesDecoded")
    return {"frames_sent": sent, "frames_encoded": d(out0, out1, "framesEncoded"),
            "frames_decoded": decoded, "decoded_ratio": decoded / sent if sent else 0.0,
            "decoded_in_window": d(in0, in1, "framesDecoded"),
            "freezes": d(in0, in1, "freezeCount"),
            "freeze_s": d(in0, in1, "totalFreezesDuration"),
            "longest_freeze_s": longest_freeze, "longest_stall_s": longest_stall,
            "packets_lost": d(in0, in1, "packetsLost"), "nacks": d(in0, in1, "nackCount"),
            "plis": d(in0, in1, "pliCount"), "frames_dropped": d(in0, in1, "framesDropped"),
            "width": in1.get("frameWidth"), "height": in1.get("frameHeight"),
            "fps": in1.get("framesPerSecond"),
            "kbps": 8 * d(out0, out1, "bytesSent") / 1000.0 / max(
                sender[-1]["t"] - sender[0]["t"], 1e-9)}


async def _assigned(url: str, node: Any) -> tuple[list[Any], Any, Any, str]:
    from cbcs.client import Client

    admin = Client(url, node.auth._admin_key.decode())
    await admin.put_agent("ana", name="Ana", languages={"es": 5}, markets=["MX"],
                          time_zone="America/Mexico_City")
    await admin.put_queue("default", offer_timeout_s=30)
    agent = Client(url, await admin.mint_token("agent", "ana"))
    customer = Client(url, await admin.mint_token("customer", "cust-1"))
    console = await agent.live()
    await agent.set_status("ana", "available")
    conv = (await customer.start_conversation(channel="voice", language="es",
                                              market="MX"))["id"]
    widget = await customer.live()
    await customer.escalate(conv, "wants a person")
    await agent.accept((await console.next("reservation"))["id"])
    await console.next("assigned")
    return [admin, agent, customer], console, widget, conv


#: The links' seed (see the module docstring).
SEED = int(os.environ.get("CBCS_VIDEO_SEED", "3"))


async def video_call(customer_profile: str, agent_profile: str = "lan",
                     seed: int = SEED) -> dict[str, Any]:
    """One call through a node; Chrome's figures both ways and the node's."""
    from cbcs.bench.harness.relay import LinkRelay
    from cbcs.server.app import running
    from cbcs.server.config import ServerConfig

    with tempfile.TemporaryDirectory(prefix="cbcs-video-") as tmp:
        config = ServerConfig(data_dir=Path(tmp), call_addresses=("127.0.0.1",))
        async with chromium.Browser() as customer_page, running(config) as (url, node):
            agent_page = await customer_page.open_page()
            clients, console, widget, conv = await _assigned(url, node)
            near = LinkRelay(customer_profile, seed)
            far = LinkRelay(agent_profile, seed + 1)
            try:
                offer = await customer_page.offer(camera=CAMERA)
                answer = await widget.offer_call(conv, near.offer(offer))
                await customer_page.accept(near.answer(answer))
                offer = await agent_page.offer(camera=CAMERA)
                answer = await console.offer_call(conv, far.offer(offer))
                await agent_page.accept(far.answer(answer))
                await asyncio.sleep(WARMUP_S)
                samples: dict[str, list[dict[str, Any]]] = {"customer": [], "agent": []}
                cpu0, wall0 = time.process_time(), time.monotonic()
                end = time.monotonic() + MEASURE_S
                while True:
                    t = time.monotonic()
                    for name, page in (("customer", customer_page), ("agent", agent_page)):
                        st = await page.stats()
                        samples[name].append({"t": t, "out": _video(st, "outbound-rtp"),
                                              "in": _video(st, "inbound-rtp")})
                    if t >= end:
                        break
                    await asyncio.sleep(SAMPLE_S)
                cpu = 100.0 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
                await customer_page.stop_video()
                await agent_page.stop_video()
                await asyncio.sleep(DRAIN_S)
                drained = {name: _video(await page.stats(), "inbound-rtp")
                           for name, page in (("customer", customer_page),
                                              ("agent", agent_page))}
                call = node.calls.calls[conv]
                counters = dict(vars(call.video.counters))
                watching = {p: call.video.watching(p) for p in call.legs}
                await customer_page.hang_up()
                await agent_page.hang_up()
            finally:
                near.close()
                far.close()
                for live in (widget, console):
                    await live.close()
                for c in clients:
                    await c.close()
    return {"to_agent": _direction(samples["customer"], samples["agent"], drained["agent"]),
            "to_customer": _direction(samples["agent"], samples["customer"],
                                      drained["customer"]),
            "node_cpu_pct": cpu, "forwarder": counters, "watching": watching,
            "relays": {"customer": near.stats, "agent": far.stats}}


@pytest.mark.parametrize("customer_profile", ["sea-4g", "lan"])
def test_video_through_the_bridge_is_decoded_without_freezes(customer_profile: str) -> None:
    r = run_call(video_call(customer_profile))
    print(f"\nvideo {customer_profile}+lan: {r}")
    assert r["watching"] == {"customer:cust-1": "agent:ana", "agent:ana": "customer:cust-1"}
    assert r["forwarder"]["forwarded"] > 0 and r["forwarder"]["malformed"] == 0, r
    for direction in ("to_agent", "to_customer"):
        f = r[direction]
        assert f["frames_sent"] >= 0.5 * CAMERA[2] * MEASURE_S, (direction, f)
        assert f["frames_decoded"] >= 0.95 * f["frames_sent"], (direction, f)
        assert f["longest_freeze_s"] <= 1.0 and f["longest_stall_s"] <= 1.0, (direction, f)
