"""``cbcs bench bridge``: a customer and an agent (each a stock aiortc client) on a call
through a cbcs node, each leg on its own emulated network, beside a direct one-hop call
between the same two clients through both networks in series.

Mouth-to-ear is measured at the audio level both ways (marker tones, as ``bench e2e``).
The networks run in relay processes of their own (:class:`cbcs.rtc.relay.LinkRelay`); the
node runs in this process with the two clients, so the node's CPU per call is given as
this process's CPU during the bridged call less that during the direct one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np

from cbcs.bench.report import Report
from cbcs.commands._args import float_range, non_negative_int
from cbcs.media import quality

DESCRIPTION = ("customer <-> cbcs node <-> agent over two emulated networks vs a direct call "
               "through both (mouth-to-ear both ways, markers heard, MOS, node CPU)")

#: (customer profile, agent profile); the issue's bounds are on the first two
PAIRS = (("latam-3g", "cross-border"), ("worst", "lan"), ("sea-4g", "lan"))
P95_LIMIT_MS = 600.0
BRIDGE_EXTRA_P95_MS = 40.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float_range(2.0, 600.0), default=None,
                        help="measured seconds of markers per call (default 20; --short: 8)")
    parser.add_argument("--seed", type=non_negative_int, default=1, help="link emulator seed")


def run(args: argparse.Namespace, report: Report) -> None:
    from cbcs.rtc.loop import run as run_calls

    seconds = args.seconds or (8.0 if args.short else 20.0)
    pairs = PAIRS[:2] if args.short else PAIRS
    results = run_calls(_run_all(pairs, seconds, args.seed))
    report.figures["pairs"] = results
    report.figures["seconds_per_call"] = seconds

    def f(v: Any, fmt: str = "{:.0f}") -> str:
        return "-" if v is None else fmt.format(v)

    rows = []
    for pair, by_path in results.items():
        for path, r in by_path.items():
            rows.append([pair, path, f(r["p50_ms"]), f(r["p95_ms"]), f(r["back_p50_ms"]),
                         f(r["back_p95_ms"]), f(100 * r["delivered"], "{:.0f}"),
                         f(r["mos"], "{:.2f}"), f(r.get("cpu_pct"), "{:.1f}")])
    report.table(f"mouth-to-ear, {seconds:.0f} s of markers per call (to agent = customer -> "
                 "agent, back = agent -> customer)",
                 ["customer+agent", "path", "to agent p50", "p95", "back p50", "p95",
                  "heard %", "MOS", "node CPU %"], rows)
    for pair, by_path in results.items():
        b, d = by_path["bridge"], by_path["direct"]
        report.check(f"{pair}: customer -> agent p95 < {P95_LIMIT_MS:.0f} ms through the node",
                     b["p95_ms"] is not None and b["p95_ms"] < P95_LIMIT_MS,
                     f"{f(b['p95_ms'])} ms (direct {f(d['p95_ms'])} ms)")
        extra = None if b["p95_ms"] is None or d["p95_ms"] is None else b["p95_ms"] - d["p95_ms"]
        report.check(f"{pair}: the node adds <= {BRIDGE_EXTRA_P95_MS:.0f} ms p95 over the "
                     "direct call", extra is not None and extra <= BRIDGE_EXTRA_P95_MS,
                     f"{f(extra)} ms")


def _summary(to_agent: list[float | None], back: list[float | None]) -> dict[str, Any]:
    def pct(values: list[float | None], q: float) -> float | None:
        got = [v for v in values if v is not None]
        return float(np.percentile(got, q)) if got else None

    heard = sum(v is not None for v in to_agent)
    delivered = heard / len(to_agent) if to_agent else 0.0
    p50 = pct(to_agent, 50)
    return {"p50_ms": p50, "p95_ms": pct(to_agent, 95), "back_p50_ms": pct(back, 50),
            "back_p95_ms": pct(back, 95), "delivered": delivered,
            "markers": len(to_agent),
            "mos": quality.rate(p50, 100 * (1 - delivered)).mos if p50 is not None else None}


def _heard(sender: Any, receiver: Any, after_ms: float) -> list[float | None]:
    from cbcs.rtc import markers as mk

    pcm, times = receiver.recorder.audio()
    if not len(times):
        return [None] * len(sender.source.markers)
    late = [m for m in sender.source.markers if after_ms < m.sent_ms < times[-1] - 1500]
    return mk.detect(late, pcm, times)


@contextlib.asynccontextmanager
async def _node() -> AsyncIterator[tuple[str, Any]]:
    from cbcs.server.app import running
    from cbcs.server.config import ServerConfig

    with tempfile.TemporaryDirectory(prefix="cbcs-bench-bridge-") as tmp:
        config = ServerConfig(data_dir=Path(tmp), call_addresses=("127.0.0.1",))
        async with running(config) as (url, node):
            yield url, node


async def _run_all(pairs: tuple[tuple[str, str], ...], seconds: float,
                   seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with _node() as (url, node):
        for customer, agent in pairs:
            name = f"{customer}+{agent}"
            print(f"  {name}: direct call ...", flush=True)
            direct, direct_cpu = await _direct(customer, agent, seconds, seed)
            print(f"  {name}: through the node ...", flush=True)
            bridged, bridged_cpu = await _bridged(url, node, customer, agent, seconds, seed)
            bridged["cpu_pct"] = max(0.0, bridged_cpu - direct_cpu)
            out[name] = {"bridge": bridged, "direct": direct}
    return out


def _cpu() -> tuple[float, float]:
    return time.process_time(), time.monotonic()


def _pct_since(start: tuple[float, float]) -> float:
    cpu, wall = _cpu()
    return 100.0 * (cpu - start[0]) / max(wall - start[1], 1e-9)


async def _measure(customer: Any, agent: Any, seconds: float) -> dict[str, Any]:
    from cbcs.rtc.media import wall_ms

    start = wall_ms() + 2000  # ICE, DTLS and the buffers' first second
    await asyncio.sleep(2.0 + seconds + 2.0)
    return _summary(_heard(customer, agent, start), _heard(agent, customer, start))


async def _direct(customer_profile: str, agent_profile: str, seconds: float,
                  seed: int) -> tuple[dict[str, Any], float]:
    from cbcs.bench._stock_client import StockClient
    from cbcs.rtc.relay import LinkRelay

    near, far = LinkRelay(customer_profile, seed), LinkRelay(agent_profile, seed + 1)
    customer, agent = StockClient(first_s=1.0), StockClient(first_s=1.25)
    try:
        offer = far.offer(near.offer(await customer.offer()))
        await customer.accept(near.answer(far.answer(await agent.answer(offer))))
        cpu = _cpu()
        result = await _measure(customer, agent, seconds)
        return result, _pct_since(cpu)
    finally:
        await customer.close()
        await agent.close()
        near.close()
        far.close()


async def _bridged(url: str, node: Any, customer_profile: str, agent_profile: str,
                   seconds: float, seed: int) -> tuple[dict[str, Any], float]:
    from cbcs.bench._stock_client import StockClient
    from cbcs.client import Client
    from cbcs.rtc.relay import LinkRelay

    admin = Client(url, node.auth._admin_key.decode())
    agent_id = f"agent-{seed}-{customer_profile}-{agent_profile}"
    await admin.put_agent(agent_id, name="Agent", languages={"es": 5}, markets=["MX"],
                          time_zone="America/Mexico_City")
    await admin.put_queue("default", offer_timeout_s=30)
    agent_api = Client(url, await admin.mint_token("agent", agent_id))
    customer_api = Client(url, await admin.mint_token("customer", f"cust-{agent_id}"))
    console = await agent_api.live()
    widget = None
    near, far = LinkRelay(customer_profile, seed), LinkRelay(agent_profile, seed + 1)
    customer, agent = StockClient(first_s=1.0), StockClient(first_s=1.25)
    try:
        await agent_api.set_status(agent_id, "available")
        conv = (await customer_api.start_conversation(channel="voice", language="es",
                                                      market="MX"))["id"]
        widget = await customer_api.live()
        await customer_api.escalate(conv, "wants a person")
        await agent_api.accept((await console.next("reservation"))["id"])
        await console.next("assigned")
        answer = await widget.offer_call(conv, near.offer(await customer.offer()))
        await customer.accept(near.answer(answer))
        answer = await console.offer_call(conv, far.offer(await agent.offer()))
        await agent.accept(far.answer(answer))
        cpu = _cpu()
        result = await _measure(customer, agent, seconds)
        return result, _pct_since(cpu)
    finally:
        await customer.close()
        await agent.close()
        for live in (widget, console):
            if live is not None:
                await live.close()
        for c in (admin, agent_api, customer_api):
            await c.close()
        near.close()
        far.close()
