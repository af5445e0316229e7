"""``cbcs bench room``: a room of a few speakers and many listeners on one call through the
node's :class:`~cbcs.services.calls.CallCentre`, every party a stock aiortc client on
loopback; per listener the MOS of what it heard of every speaker, and the node's CPU.

The speakers are the customer, the agent, an interpreter and a second agent (``join``:
each hears everyone but itself), each sending marker tones of its own (two frequencies
400 Hz apart from every other speaker's, bursts staggered); the listeners are supervisor
legs in ``listen`` mode (heard by no one; a live show's audience is the same), receive-only.
The clients run in child processes (the speakers in one, the listeners spread over the
others), so this process's CPU is the node's alone. Beside the room as the node runs it
(one mix per round for all the listeners and one Opus encode of it), the same room with
every leg encoding its own frame: the ratio is what sharing the encode saves.

A listener's MOS is the E-model's (:mod:`cbcs.media.quality`) from the median mouth-to-ear
delay of all the speakers' markers and the larger of the markers it missed and the packets
lost on the way to it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import time
from typing import Any

import numpy as np

from cbcs.bench.report import Report
from cbcs.commands._args import float_range, int_range
from cbcs.media import quality

DESCRIPTION = ("a room of 4 speakers and many listeners on one call through the node (stock "
               "aiortc clients): each listener's MOS, the node's CPU, shared vs per-leg encode")

SPEAKERS = ("customer:c", "agent:a", "agent:interpreter", "agent:b")
#: each speaker's own tones (400 Hz apart: never mistaken for another's), bursts staggered
FREQS = ((700.0, 2300.0), (1100.0, 2700.0), (1500.0, 3100.0), (1900.0, 3500.0))
FIRST_S = (1.0, 1.12, 1.24, 1.36)
MOS_MIN = 4.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listeners", type=int_range(1, 200), default=50,
                        help="listening clients (default 50)")
    parser.add_argument("--seconds", type=float_range(3.0, 600.0), default=None,
                        help="measured seconds (default 15; --short: 8)")
    parser.add_argument("--processes", type=int_range(2, 16), default=3,
                        help="client processes: the speakers' and the listeners' (default 3)")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the room with every leg encoding its own frame")


def run(args: argparse.Namespace, report: Report) -> None:
    seconds = args.seconds or (8.0 if args.short else 15.0)
    runs = {"shared": room(args.listeners, seconds, args.processes)}
    if not args.no_compare:
        runs["per_leg"] = room(args.listeners, seconds, args.processes, share_encode=False)
    report.figures["listeners"] = args.listeners
    report.figures["seconds"] = seconds
    rows = []
    for name, r in runs.items():
        report.figures[name] = {k: v for k, v in r.items() if k != "listener_scores"}
        rows.append([name, f"{r['mos_min']:.2f}", f"{r['mos_median']:.2f}",
                     f"{r['p50_ms_max']:.0f}", f"{r['loss_pct_max']:.1f}",
                     f"{r['server_cpu_pct']:.0f}", f"{r['rounds_per_s']:.1f}",
                     f"{r['encodes_per_s']:.1f}", f"{r['load']:.1f}"])
    report.table(f"room: {len(SPEAKERS)} speakers, {args.listeners} listeners, {seconds:.0f} s",
                 ["encode", "MOS min", "MOS median", "p50 max ms", "loss max %",
                  "node CPU %", "rounds/s", "shared encodes/s", "load"], rows)
    if "per_leg" in runs:
        ratio = runs["per_leg"]["server_cpu_pct"] / max(runs["shared"]["server_cpu_pct"], 1e-9)
        report.figures["cpu_ratio_per_leg_to_shared"] = ratio
        print(f"\nnode CPU, every leg encoding its own / one encode for the listeners: "
              f"{ratio:.2f}x")
    r = runs["shared"]
    report.check(f"every listener's MOS >= {MOS_MIN}", r["mos_min"] >= MOS_MIN,
                 f"min {r['mos_min']:.2f} (p50 up to {r['p50_ms_max']:.0f} ms, loss up to "
                 f"{r['loss_pct_max']:.1f} %), node CPU {r['server_cpu_pct']:.0f} % of a core")
    report.check("each speaker hears the three others and not itself", r["speakers_ok"],
                 str(r["speakers_heard"]))


def mos(delays: list[list[float | None]], received: int, lost: int) -> tuple[float, float, float]:
    """(MOS, p50 mouth-to-ear ms, loss %) of one listener (see the module docstring)."""
    flat = [d for per in delays for d in per]
    got = [d for d in flat if d is not None]
    missed = 100.0 * (len(flat) - len(got)) / len(flat) if flat else 100.0
    packet_loss = 100.0 * lost / (received + lost) if received + lost else 100.0
    loss = min(max(missed, packet_loss), 100.0)
    p50 = float(np.median(got)) if got else 2000.0
    return quality.rate(p50, loss).mos, p50, loss


def room(listeners: int, seconds: float, processes: int = 3, *,
         share_encode: bool = True) -> dict[str, Any]:
    """Run one room and return its figures: ``listener_scores`` [(MOS, p50 ms, loss %)],
    ``mos_min``, ``mos_median``, ``server_cpu_pct``, ``client_cpu_pct`` (per process),
    ``rounds_per_s``, ``encodes_per_s``, ``mixes``, ``speakers``, ``modes``,
    ``shared_frames`` (per party), ``listener_heard`` (per listener, per speaker: markers
    heard / said), ``speakers_heard`` (the same for each speaker) and ``speakers_ok``."""
    ctx = mp.get_context("spawn")
    per = processes - 1
    groups = [listeners // per + (1 if i < listeners % per else 0) for i in range(per)]
    pipes, procs = [], []
    for i in range(processes):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_clients, args=(child, i == 0, groups[i - 1] if i else 0),
                           daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    try:
        r = asyncio.run(_serve(pipes, listeners, seconds, share_encode))
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    scores = [mos(x["delays"], x["received"], x["lost"]) for x in r.pop("listeners")]
    r["listener_scores"] = scores
    r["mos_min"] = min(s[0] for s in scores)
    r["mos_median"] = float(np.median([s[0] for s in scores]))
    r["p50_ms_max"] = max(s[1] for s in scores)
    r["loss_pct_max"] = max(s[2] for s in scores)
    heard = r["speakers_heard"]
    r["speakers_ok"] = all(
        (h == 0) if i == j else (said >= 4 and h >= 0.8 * said)
        for i, row in enumerate(heard) for j, (h, said) in enumerate(row))
    return r


async def _serve(pipes: list[Any], listeners: int, seconds: float,
                 share_encode: bool) -> dict[str, Any]:
    from cbcs.rtc.media import wall_ms
    from cbcs.services.calls import CallCentre

    loop = asyncio.get_running_loop()

    async def recv(i: int) -> Any:
        kind, value = await loop.run_in_executor(None, pipes[i].recv)
        if kind == "failed":
            raise RuntimeError(f"client process {i}: {value}")
        return value

    centre = CallCentre(ice_addresses=["127.0.0.1"], max_legs=len(SPEAKERS) + listeners,
                        media_timeout_s=60.0)
    r: dict[str, Any] = {}
    try:
        n = 0
        # the listeners join first: 50 set-ups in a burst stall this loop for a while, and a
        # speaker connected through them would keep the jitter buffer that stall taught it
        offers_of = [await recv(i) for i in range(len(pipes))]
        for i in [*range(1, len(pipes)), 0]:
            offers = offers_of[i]
            parties = list(SPEAKERS) if i == 0 else [
                f"supervisor:l{n + k}" for k in range(len(offers))]
            n += 0 if i == 0 else len(offers)
            answers = []
            for party, sdp in zip(parties, offers):
                role, subject = party.split(":")
                answers.append(await centre.offer("room", role, subject, sdp, owner=None))
            pipes[i].send(answers)
        for i in range(len(pipes)):
            await recv(i)
        call = centre.calls["room"]
        if not share_encode:   # the peer: every leg encodes its own frame
            for leg in call.legs.values():
                leg.peer.audio_sender.shared = None
        await asyncio.sleep(3.0)   # every jitter buffer settles
        t0, cpu0, wall0 = wall_ms(), time.process_time(), time.monotonic()
        rounds0, encodes0 = call.bridge.rounds, call.bridge.encodes
        await asyncio.sleep(seconds)
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
        figures = await centre.figures("room")
        r["speaker_legs"] = {p: {k: figures[p].get(k) for k in
                                 ("jitter_buffer_ms", "concealed_pct", "loss_after_recovery_pct")}
                             for p in SPEAKERS if p in figures}
        await asyncio.sleep(1.5)   # the last markers arrive
        for p in pipes:
            p.send(("window", t0, t1))
        said, heard, cpu = await recv(0)
        r["speakers_heard"] = [[(sum(d is not None for d in delays), len(delays))
                                for delays in row] for row in heard]
        r["client_cpu_pct"] = [cpu]
        r["listeners"] = []
        for i in range(1, len(pipes)):
            pipes[i].send(("said", said))
            got, cpu = await recv(i)
            r["listeners"] += got
            r["client_cpu_pct"].append(cpu)
        r["listener_heard"] = [[(sum(d is not None for d in delays), len(delays))
                                for delays in x["delays"]] for x in r["listeners"]]
    finally:
        await centre.close()
    return r


def _clients(conn: Any, speaking: bool, listeners: int) -> None:
    """A child process: the speakers' aiortc clients, or ``listeners`` listeners'."""
    asyncio.run(_run_clients(conn, speaking, listeners))


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
    try:
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
        _, t0, t1 = await loop.run_in_executor(None, conn.recv)   # the window, once over

        def cpu_at(t: float) -> tuple[float, float]:
            return min(cpu_log, key=lambda e: abs(e[0] - t))

        (w0, c0), (w1, c1) = cpu_at(t0), cpu_at(t1)
        cpu_pct = 100.0 * (c1 - c0) / max((w1 - w0) / 1000.0, 1e-3)
        if speaking:   # what was said in the window, and what each speaker heard of it
            said = [[m for m in c.source.markers if t0 < m.sent_ms < t1 - 500]
                    for c in clients]
            heard = []
            for c in clients:
                pcm, times = c.recorder.audio()
                heard.append([mk.detect(said[i], pcm, times) for i in range(4)])
            conn.send(("said", (said, heard, cpu_pct)))
            return
        _, said = await loop.run_in_executor(None, conn.recv)

        async def inbound(pc: RTCPeerConnection) -> tuple[int, int]:
            for receiver in pc.getReceivers():
                for s in (await receiver.getStats()).values():
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
    finally:
        logger.cancel()
        for c in clients:
            await c.close()
