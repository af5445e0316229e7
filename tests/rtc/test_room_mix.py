"""A room: 4 speakers and 50 listeners on one call, each an aiortc client on loopback
(in a child process, so that the server's CPU is its own). Every listener hears all four
speakers' marker tones with a MOS of at least 4.0 (mouth-to-ear delay and loss); each
speaker hears the three others and not itself; the room mixes five mixes per round (one
per speaker, one shared by all the listeners), and the server's CPU is printed.

The legs go through the service's :class:`~cbcs.services.calls.CallCentre`: the speakers
are the customer, the agent, an interpreter and a second agent (``join``); the listeners
are supervisor legs in ``listen`` mode (heard by no one), the mode a live show's audience
uses too."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time
from typing import Any

import numpy as np

from cbcs.media import quality

LISTENERS = int(os.environ.get("CBCS_ROOM_LISTENERS", "50"))
SECONDS = float(os.environ.get("CBCS_ROOM_SECONDS", "8"))
SPEAKERS = ("customer:c", "agent:a", "agent:interpreter", "agent:b")
#: each speaker's own tones (400 Hz apart: never mistaken for another's), bursts staggered
FREQS = ((700.0, 2300.0), (1100.0, 2700.0), (1500.0, 3100.0), (1900.0, 3500.0))
FIRST_S = (1.0, 1.12, 1.24, 1.36)


def _clients(conn: Any, listeners: int, seconds: float) -> None:
    """The child process: the speakers' and listeners' aiortc clients."""
    asyncio.run(_run_clients(conn, listeners, seconds))


async def _run_clients(conn: Any, listeners: int, seconds: float) -> None:
    from aiortc import RTCPeerConnection

    from cbcs.bench.harness import markers as mk
    from cbcs.bench.harness.stock import StockClient
    from cbcs.rtc.ice import configure_ice
    from cbcs.rtc.media import wall_ms

    class Listener(StockClient):
        """Receives only (a live show's audience does not send)."""

        async def offer(self) -> str:
            self.pc.addTransceiver("audio", direction="recvonly")
            configure_ice(self.pc, ["127.0.0.1"])
            await self.pc.setLocalDescription(await self.pc.createOffer())
            return str(self.pc.localDescription.sdp)

    loop = asyncio.get_running_loop()
    speakers = [StockClient(first_s=FIRST_S[i], freqs=FREQS[i]) for i in range(4)]
    audience = [Listener() for _ in range(listeners)]
    everyone = speakers + audience
    conn.send(("offers", [await c.offer() for c in everyone]))
    answers = await loop.run_in_executor(None, conn.recv)
    for c, answer in zip(everyone, answers):
        await c.accept(answer)
    end = loop.time() + 90
    while any(c.pc.connectionState != "connected" for c in everyone):
        if loop.time() > end:
            states = [c.pc.connectionState for c in everyone]
            conn.send(("failed", f"not all connected: {states}"))
            return
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)   # every jitter buffer settles
    cpu0, t0 = time.process_time(), wall_ms()
    conn.send(("start", t0))
    await asyncio.sleep(seconds)
    t1 = wall_ms()
    conn.send(("end", t1))
    child_cpu = 100.0 * (time.process_time() - cpu0) / ((t1 - t0) / 1000.0)
    await asyncio.sleep(1.5)   # the last markers arrive

    def markers(i: int) -> list[mk.Marker]:
        return [m for m in speakers[i].source.markers if t0 < m.sent_ms < t1 - 500]

    async def inbound(pc: RTCPeerConnection) -> tuple[int, int]:
        for r in pc.getReceivers():
            for s in (await r.getStats()).values():
                if s.type == "inbound-rtp":
                    return int(s.packetsReceived), max(0, int(s.packetsLost))
        return 0, 0

    result: dict[str, Any] = {"child_cpu_pct": child_cpu, "listeners": [], "speakers": []}
    for c in audience:
        pcm, times = c.recorder.audio()
        received, lost = await inbound(c.pc)
        result["listeners"].append({
            "delays": [mk.detect(markers(i), pcm, times) for i in range(4)],
            "received": received, "lost": lost})
    for j, c in enumerate(speakers):
        pcm, times = c.recorder.audio()
        result["speakers"].append([mk.detect(markers(i), pcm, times) for i in range(4)])
    conn.send(("result", result))
    for c in everyone:
        await c.close()


def mos(delays: list[list[float | None]], received: int, lost: int) -> tuple[float, float, float]:
    """(MOS, p50 mouth-to-ear ms, loss %) of one listener: the E-model from the median
    delay of every speaker's markers and the larger of the markers missed and the packets
    lost on the way to it."""
    flat = [d for per in delays for d in per]
    got = [d for d in flat if d is not None]
    missed = 100.0 * (len(flat) - len(got)) / len(flat)
    packet_loss = 100.0 * lost / (received + lost) if received + lost else 100.0
    loss = max(missed, packet_loss)
    p50 = float(np.median(got)) if got else 2000.0
    return quality.rate(p50, loss).mos, p50, loss


def test_a_room_of_four_speakers_and_fifty_listeners_holds_mos_4_for_every_listener() -> None:
    from cbcs.services.calls import CallCentre

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_clients, args=(child, LISTENERS, SECONDS), daemon=True)
    proc.start()

    async def serve() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        centre = CallCentre(ice_addresses=["127.0.0.1"], max_legs=len(SPEAKERS) + LISTENERS,
                            media_timeout_s=60.0)
        r: dict[str, Any] = {}
        try:
            kind, offers = await loop.run_in_executor(None, parent.recv)
            assert kind == "offers"
            parties = list(SPEAKERS) + [f"supervisor:l{i}" for i in range(LISTENERS)]
            answers = []
            for party, sdp in zip(parties, offers):
                role, subject = party.split(":")
                answers.append(await centre.offer("room", role, subject, sdp, owner=None))
            parent.send(answers)
            kind, t0 = await loop.run_in_executor(None, parent.recv)
            assert kind == "start", t0
            call = centre.calls["room"]
            cpu0, wall0, rounds0 = time.process_time(), time.monotonic(), call.bridge.rounds
            kind, _ = await loop.run_in_executor(None, parent.recv)
            assert kind == "end"
            wall = time.monotonic() - wall0
            r["server_cpu_pct"] = 100.0 * (time.process_time() - cpu0) / wall
            r["rounds_per_s"] = (call.bridge.rounds - rounds0) / wall
            r["speakers"] = call.bridge.speakers
            r["mixes"] = call.bridge.mixes()
            r["modes"] = {p: leg.mode for p, leg in call.legs.items()}
            kind, r["result"] = await loop.run_in_executor(None, parent.recv)
            assert kind == "result", r["result"]
        finally:
            await centre.close()
        return r

    try:
        r = asyncio.run(serve())
    finally:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
    res = r["result"]
    scores = [mos(x["delays"], x["received"], x["lost"]) for x in res["listeners"]]
    worst = min(scores)
    print(f"\nroom: {len(SPEAKERS)} speakers, {LISTENERS} listeners, {SECONDS:.0f} s; server CPU "
          f"{r['server_cpu_pct']:.0f} % of a core, clients (child) {res['child_cpu_pct']:.0f} %; "
          f"{r['rounds_per_s']:.1f} mixing rounds/s, {r['mixes']} mixes per round; listeners' "
          f"MOS min {worst[0]:.2f} (p50 {worst[1]:.0f} ms, loss {worst[2]:.1f} %), median "
          f"{float(np.median([s[0] for s in scores])):.2f}; load {os.getloadavg()[0]:.1f}")
    assert sorted(r["speakers"]) == sorted(SPEAKERS)
    assert r["mixes"] == len(SPEAKERS) + 1   # each speaker's, and one for all the listeners
    assert all(r["modes"][f"supervisor:l{i}"] == "listen" for i in range(LISTENERS))
    for i, per in enumerate(res["speakers"]):   # everyone but itself
        for j, delays in enumerate(per):
            heard = sum(d is not None for d in delays)
            if i == j:
                assert heard == 0, (SPEAKERS[i], "heard itself", delays)
            else:
                assert heard >= 0.8 * len(delays) and len(delays) >= 8, (SPEAKERS[i], j, delays)
    assert all(s[0] >= 4.0 for s in scores), sorted(scores)[:5]
