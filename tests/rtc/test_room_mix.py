"""A room: 4 speakers and 50 listeners on one call, each an aiortc client on loopback
(in child processes, so that the server's CPU is its own). Every listener hears all four
speakers' marker tones with a MOS of at least 4.0 (mouth-to-ear delay and loss); each
speaker hears the three others and not itself; the room mixes five mixes per round (one
per speaker, one shared by all the listeners), the listeners share one Opus encode, and
the server's CPU is printed.

The legs go through the service's :class:`~cbcs.services.calls.CallCentre`: the speakers
are the customer, the agent, an interpreter and a second agent (``join``); the listeners
are supervisor legs in ``listen`` mode (heard by no one), the mode a live show's audience
uses too. The speakers' clients run in one child process, the listeners' in
``CBCS_ROOM_PROCESSES - 1`` others (a listener's aiortc receive path costs more than the
server's whole leg)."""

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
PROCESSES = int(os.environ.get("CBCS_ROOM_PROCESSES", "3"))
SPEAKERS = ("customer:c", "agent:a", "agent:interpreter", "agent:b")
#: each speaker's own tones (400 Hz apart: never mistaken for another's), bursts staggered
FREQS = ((700.0, 2300.0), (1100.0, 2700.0), (1500.0, 3100.0), (1900.0, 3500.0))
FIRST_S = (1.0, 1.12, 1.24, 1.36)


def _clients(conn: Any, speakers: bool, listeners: int) -> None:
    """A child process: the speakers' aiortc clients, or ``listeners`` listeners'."""
    asyncio.run(_run_clients(conn, speakers, listeners))


async def _run_clients(conn: Any, speaking: bool, listeners: int) -> None:
    from aiortc import RTCPeerConnection

    from cbcs.bench.harness import markers as mk
    from cbcs.bench.harness.stock import StockClient
    from cbcs.rtc.ice import configure_ice

    class Listener(StockClient):
        """Receives only (a live show's audience does not send)."""

        async def offer(self) -> str:
            self.pc.addTransceiver("audio", direction="recvonly")
            configure_ice(self.pc, ["127.0.0.1"])
            await self.pc.setLocalDescription(await self.pc.createOffer())
            return str(self.pc.localDescription.sdp)

    loop = asyncio.get_running_loop()
    clients: list[StockClient] = (
        [StockClient(first_s=FIRST_S[i], freqs=FREQS[i]) for i in range(4)] if speaking
        else [Listener() for _ in range(listeners)])
    cpu_log: list[tuple[float, float]] = []

    async def log_cpu() -> None:
        while True:
            cpu_log.append((time.time() * 1000.0, time.process_time()))
            await asyncio.sleep(0.25)

    logger = asyncio.ensure_future(log_cpu())
    conn.send(("offers", [await c.offer() for c in clients]))
    answers = await loop.run_in_executor(None, conn.recv)
    for c, answer in zip(clients, answers):
        await c.accept(answer)
    end = loop.time() + 120
    while any(c.pc.connectionState != "connected" for c in clients):
        if loop.time() > end:
            conn.send(("failed", [c.pc.connectionState for c in clients]))
            return
        await asyncio.sleep(0.1)
    conn.send(("connected", None))
    kind, t0, t1 = await loop.run_in_executor(None, conn.recv)   # the window, once over

    def cpu_at(t: float) -> tuple[float, float]:
        return min(cpu_log, key=lambda e: abs(e[0] - t))

    (w0, c0), (w1, c1) = cpu_at(t0), cpu_at(t1)
    cpu_pct = 100.0 * (c1 - c0) / max((w1 - w0) / 1000.0, 1e-3)
    if speaking:   # what was said in the window, and what each speaker heard of it
        said = [[m for m in c.source.markers if t0 < m.sent_ms < t1 - 500] for c in clients]
        heard = []
        for c in clients:
            pcm, times = c.recorder.audio()
            heard.append([mk.detect(said[i], pcm, times) for i in range(4)])
        conn.send(("said", (said, heard, cpu_pct)))
    else:
        kind, said = await loop.run_in_executor(None, conn.recv)

        async def inbound(pc: RTCPeerConnection) -> tuple[int, int]:
            for r in pc.getReceivers():
                for s in (await r.getStats()).values():
                    if s.type == "inbound-rtp":
                        return int(s.packetsReceived), max(0, int(s.packetsLost))
            return 0, 0

        out = []
        for c in clients:
            pcm, times = c.recorder.audio()
            received, lost = await inbound(c.pc)
            out.append({"delays": [mk.detect(said[i], pcm, times) for i in range(4)],
                        "received": received, "lost": lost})
        conn.send(("heard", (out, cpu_pct)))
    logger.cancel()
    for c in clients:
        await c.close()


def mos(delays: list[list[float | None]], received: int, lost: int) -> tuple[float, float, float]:
    """(MOS, p50 mouth-to-ear ms, loss %) of one listener: the E-model from the median
    delay of every speaker's markers and the larger of the markers missed and the packets
    lost on the way to it."""
    flat = [d for per in delays for d in per]
    got = [d for d in flat if d is not None]
    missed = 100.0 * (len(flat) - len(got)) / len(flat) if flat else 100.0
    packet_loss = 100.0 * lost / (received + lost) if received + lost else 100.0
    loss = max(missed, packet_loss)
    p50 = float(np.median(got)) if got else 2000.0
    return quality.rate(p50, min(loss, 100.0)).mos, p50, loss


def test_a_room_of_four_speakers_and_fifty_listeners_holds_mos_4_for_every_listener() -> None:
    from cbcs.rtc.media import wall_ms
    from cbcs.services.calls import CallCentre

    ctx = mp.get_context("spawn")
    groups = [LISTENERS // (PROCESSES - 1) + (1 if i < LISTENERS % (PROCESSES - 1) else 0)
              for i in range(PROCESSES - 1)]
    pipes, procs = [], []
    for i in range(PROCESSES):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_clients, args=(child, i == 0, groups[i - 1] if i else 0),
                           daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)

    async def serve() -> dict[str, Any]:
        loop = asyncio.get_running_loop()

        async def recv(i: int) -> Any:
            kind, value = await loop.run_in_executor(None, pipes[i].recv)
            assert kind not in ("failed",), (i, value)
            return value

        centre = CallCentre(ice_addresses=["127.0.0.1"], max_legs=len(SPEAKERS) + LISTENERS,
                            media_timeout_s=60.0)
        r: dict[str, Any] = {}
        try:
            n = 0
            for i in range(PROCESSES):
                offers = await recv(i)
                parties = list(SPEAKERS) if i == 0 else [
                    f"supervisor:l{n + k}" for k in range(len(offers))]
                n += 0 if i == 0 else len(offers)
                answers = []
                for party, sdp in zip(parties, offers):
                    role, subject = party.split(":")
                    answers.append(await centre.offer("room", role, subject, sdp, owner=None))
                pipes[i].send(answers)
            for i in range(PROCESSES):
                await recv(i)
            await asyncio.sleep(2.0)   # every jitter buffer settles
            call = centre.calls["room"]
            t0, cpu0, wall0 = wall_ms(), time.process_time(), time.monotonic()
            rounds0, encodes0 = call.bridge.rounds, call.bridge.encodes
            await asyncio.sleep(SECONDS)
            t1, wall = wall_ms(), time.monotonic() - wall0
            r["server_cpu_pct"] = 100.0 * (time.process_time() - cpu0) / wall
            r["rounds_per_s"] = (call.bridge.rounds - rounds0) / wall
            r["encodes_per_s"] = (call.bridge.encodes - encodes0) / wall
            r["shared_frames"] = {p: leg.peer.audio_sender.shared_frames
                                  for p, leg in call.legs.items()}
            r["speakers"] = call.bridge.speakers
            r["mixes"] = call.bridge.mixes()
            r["modes"] = {p: leg.mode for p, leg in call.legs.items()}
            r["load"] = os.getloadavg()[0]
            await asyncio.sleep(1.5)   # the last markers arrive
            for p in pipes:
                p.send(("window", t0, t1))
            said, r["speakers_heard"], cpu = await recv(0)
            r["client_cpu_pct"] = [cpu]
            r["listeners"] = []
            for i in range(1, PROCESSES):
                pipes[i].send(("said", said))
                heard, cpu = await recv(i)
                r["listeners"] += heard
                r["client_cpu_pct"].append(cpu)
        finally:
            await centre.close()
        return r

    try:
        r = asyncio.run(serve())
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    scores = [mos(x["delays"], x["received"], x["lost"]) for x in r["listeners"]]
    worst = min(scores)
    print(f"\nroom: {len(SPEAKERS)} speakers, {LISTENERS} listeners, {SECONDS:.0f} s; server CPU "
          f"{r['server_cpu_pct']:.0f} % of a core; clients (children) "
          f"{', '.join(f'{c:.0f}' for c in r['client_cpu_pct'])} %; "
          f"{r['rounds_per_s']:.1f} mixing rounds/s, {r['mixes']} mixes per round, "
          f"{r['encodes_per_s']:.1f} shared encodes/s; listeners' MOS min {worst[0]:.2f} "
          f"(p50 {worst[1]:.0f} ms, loss {worst[2]:.1f} %), median "
          f"{float(np.median([s[0] for s in scores])):.2f}; load {r['load']:.1f}")
    assert sorted(r["speakers"]) == sorted(SPEAKERS)
    assert r["mixes"] == len(SPEAKERS) + 1   # each speaker's, and one for all the listeners
    assert all(r["modes"][f"supervisor:l{i}"] == "listen" for i in range(LISTENERS))
    # the listeners' frames are encoded once for all of them, the speakers' each their own
    assert all(r["shared_frames"][f"supervisor:l{i}"] > 0 for i in range(LISTENERS))
    assert all(r["shared_frames"][p] == 0 for p in SPEAKERS)
    for i, per in enumerate(r["speakers_heard"]):   # everyone but itself
        for j, delays in enumerate(per):
            heard = sum(d is not None for d in delays)
            if i == j:
                assert heard == 0, (SPEAKERS[i], "heard itself", delays)
            else:
                assert heard >= 0.8 * len(delays) and len(delays) >= 8, (SPEAKERS[i], j, delays)
    assert len(scores) == LISTENERS
    assert all(s[0] >= 4.0 for s in scores), sorted(scores)[:5]
