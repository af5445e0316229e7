"""``cbcs bench bridge``: a customer (a stock aiortc client, a phone app) and an agent
(headless Chromium, the agent's console in a browser; ``--agent aiortc`` for a second
stock aiortc client) on a call through a cbcs node, each leg on its own emulated network,
beside a direct one-hop call between the same two clients through both networks in series.

Mouth-to-ear is measured at the audio level both ways (marker tones, as ``bench e2e``).
The networks run in relay processes of their own (:class:`cbcs.bench.harness.relay.LinkRelay`); the
node runs in this process with the clients, so the node's CPU per call is given as this
process's CPU during the bridged call less that during the direct one.

Why the agent is a browser by default: stock aiortc's audio receiver releases a frame only
once four later ones are in, and after a lost packet waits until sixteen are queued, one
frame out per frame in from then on, so on any lossy leg it holds about 300 ms for the
rest of the call, whoever sends to it. A browser's NetEq is what the agent really has.
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
from cbcs.errors import ConfigError
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
    parser.add_argument("--agent", choices=("chromium", "aiortc"), default="chromium",
                        help="the agent's client: headless Chromium (default) or stock aiortc")


def run(args: argparse.Namespace, report: Report) -> None:
    from cbcs.bench.harness import chromium
    from cbcs.rtc.loop import run as run_calls

    seconds = args.seconds or (8.0 if args.short else 20.0)
    pairs = PAIRS[:2] if args.short else PAIRS
    agent = args.agent
    if agent == "chromium" and not chromium.available():
        raise ConfigError("--agent chromium: expected /usr/bin/chromium and playwright "
                          "(apt-get install chromium; pip install 'cbcs[e2e]'), or pass "
                          "--agent aiortc")
    print(f"customer: stock aiortc; agent: {'headless Chromium' if agent == 'chromium' else 'stock aiortc'}",
          flush=True)
    results = run_calls(_run_all(pairs, seconds, args.seed, agent))
    report.figures["pairs"] = results
    report.figures["seconds_per_call"] = seconds
    report.figures["agent_client"] = agent

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


class _BrowserAgent:
    """The agent's console in headless Chromium, with the stock client's few calls:
    ``offer``/``accept``/``close``, plus what it sent and heard (page clock made Python's)."""

    def __init__(self, browser: Any, first_s: float) -> None:
        self.browser, self.first_s = browser, first_s
        self._offset = 0.0

    async def offer(self) -> str:
        await self.browser.new_call()
        sdp: str = await self.browser.offer()
        return sdp

    async def accept(self, answer: str) -> None:
        from cbcs.bench.harness import markers as mk

        await self.browser.accept(answer)
        await self.browser.schedule_markers(240, 0.5, mk.BURST_S, list(mk.FREQS), self.first_s)
        self._offset = await self.browser.wall_offset_ms()

    async def sent(self) -> list[Any]:
        from cbcs.bench.harness import markers as mk

        return [mk.Marker(int(m["i"]), float(m["f"]), float(m["wall_ms"]) - self._offset)
                for m in await self.browser.markers_sent()]

    async def audio(self) -> tuple[Any, Any]:
        pcm, times = await self.browser.received()
        return pcm, times - self._offset

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # a page already gone has nothing to hang up
            await self.browser.hang_up()


async def _sent(client: Any) -> list[Any]:
    return await client.sent() if isinstance(client, _BrowserAgent) else client.source.markers


async def _audio(client: Any) -> tuple[Any, Any]:
    return await client.audio() if isinstance(client, _BrowserAgent) else client.recorder.audio()


async def _heard(sender: Any, receiver: Any, after_ms: float) -> list[float | None]:
    from cbcs.bench.harness import markers as mk

    markers = await _sent(sender)
    pcm, times = await _audio(receiver)
    if not len(times):
        return [None] * len(markers)
    late = [m for m in markers if after_ms < m.sent_ms < times[-1] - 1500]
    return mk.detect(late, pcm, times)


@contextlib.asynccontextmanager
async def _node() -> AsyncIterator[tuple[str, Any]]:
    from cbcs.server.app import running
    from cbcs.server.config import ServerConfig

    with tempfile.TemporaryDirectory(prefix="cbcs-bench-bridge-") as tmp:
        config = ServerConfig(data_dir=Path(tmp), call_addresses=("127.0.0.1",))
        async with running(config) as (url, node):
            yield url, node


async def _run_all(pairs: tuple[tuple[str, str], ...], seconds: float, seed: int,
                   agent_client: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        browser = None
        if agent_client == "chromium":
            from cbcs.bench.harness.chromium import Browser
            browser = await stack.enter_async_context(Browser())
        url, node = await stack.enter_async_context(_node())

        def agent_for() -> Any:
            from cbcs.bench.harness.stock import StockClient
            return StockClient(first_s=1.25) if browser is None else _BrowserAgent(browser, 1.25)

        for customer, agent in pairs:
            name = f"{customer}+{agent}"
            print(f"  {name}: direct call ...", flush=True)
            direct, direct_cpu = await _direct(customer, agent, seconds, seed, agent_for())
            print(f"  {name}: through the node ...", flush=True)
            bridged, bridged_cpu = await _bridged(url, node, customer, agent, seconds, seed,
                                                  agent_for())
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
    return _summary(await _heard(customer, agent, start), await _heard(agent, customer, start))


async def _direct(customer_profile: str, agent_profile: str, seconds: float,
                  seed: int, agent: Any) -> tuple[dict[str, Any], float]:
    from cbcs.bench.harness.stock import StockClient
    from cbcs.bench.harness.relay import LinkRelay

    near, far = LinkRelay(customer_profile, seed), LinkRelay(agent_profile, seed + 1)
    customer = StockClient(first_s=1.0)
    try:
        if isinstance(agent, _BrowserAgent):  # the page offers; the customer answers
            offer = near.offer(far.offer(await agent.offer()))
            await agent.accept(far.answer(near.answer(await customer.answer(offer))))
        else:
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
                   seconds: float, seed: int, agent: Any) -> tuple[dict[str, Any], float]:
    from cbcs.bench.harness.stock import StockClient
    from cbcs.client import Client
    from cbcs.bench.harness.relay import LinkRelay

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
    customer = StockClient(first_s=1.0)
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
