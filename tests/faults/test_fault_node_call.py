"""A node killed (SIGKILL) during calls, two nodes on one PostgreSQL and one Redis, one call
on each (stock aiortc clients for the customer and the agent, both legs in the node): the
call on the surviving node goes on untouched (its audio keeps coming both ways and its
marker tones are heard); the dead node's parties are told at once (their live channels
close) and its audio stops; they call again through the surviving node and hear each
other; the survivor logs the other's death with its reason."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fault_nodes import ADMIN_KEY, NodeProcess, log_problems, until

from cbcs.bench.harness import markers as mk
from cbcs.client import Client
from cbcs.rtc.media import wall_ms


async def assigned(admin: Client, url: str, agent_id: str, customer_id: str
                   ) -> tuple[list[Client], Any, Any, str]:
    """Agent ``agent_id``'s console and customer ``customer_id``'s widget on ``url``, the
    customer's voice conversation assigned to the agent."""
    agent = Client(url, await admin.mint_token("agent", agent_id))
    customer = Client(url, await admin.mint_token("customer", customer_id))
    console = await agent.live()
    await agent.set_status(agent_id, "available")
    conv = (await customer.start_conversation(channel="voice", language="es",
                                              market="MX"))["id"]
    widget = await customer.live()
    await customer.escalate(conv, "wants a person")
    await agent.accept((await console.next("reservation", timeout=30))["id"])
    await agent.set_status(agent_id, "away")   # the next conversation goes to the other
    return [agent, customer], console, widget, conv


async def call(aiortc_client: type, console: Any, widget: Any, conv: str) -> tuple[Any, Any]:
    customer_rtc, agent_rtc = aiortc_client(first_s=1.0), aiortc_client(first_s=1.25)
    await customer_rtc.accept(await widget.offer_call(conv, await customer_rtc.offer()))
    await agent_rtc.accept(await console.offer_call(conv, await agent_rtc.offer()))
    return customer_rtc, agent_rtc


def samples(*rtcs: Any) -> list[int]:
    return [r.recorder.total_samples for r in rtcs]


def heard_after(sender: Any, receiver: Any, after_ms: float) -> list[float | None]:
    pcm, times = receiver.recorder.audio()
    due = [m for m in sender.source.markers
           if after_ms < m.sent_ms < (times[-1] - 1000 if len(times) else 0)]
    return mk.detect(due, pcm, times)


def test_killing_a_node_leaves_the_call_on_the_other_node_untouched(
        tmp_path: Path, postgres_url: str, redis_url: str, aiortc_client: type) -> None:
    nodes = [NodeProcess(tmp_path / f"data-{n}", tmp_path / f"node-{n}.log",
                         store=postgres_url, bus=redis_url, node_id=f"node-{n}")
             for n in "ab"]
    a, b = nodes
    second = 48000

    async def go() -> dict[str, Any]:
        r: dict[str, Any] = {}
        rtcs: list[Any] = []
        clients: list[Client] = []
        admin = Client(a.url, ADMIN_KEY)
        await admin.put_queue("default", offer_timeout_s=30)
        for agent_id in ("ana", "bea"):
            await admin.put_agent(agent_id, languages={"es": 5}, markets=["MX"])
        try:
            cx, console_x, widget_x, conv_x = await assigned(admin, a.url, "ana", "cust-x")
            cy, console_y, widget_y, conv_y = await assigned(admin, b.url, "bea", "cust-y")
            clients += cx + cy
            x = await call(aiortc_client, console_x, widget_x, conv_x)
            y = await call(aiortc_client, console_y, widget_y, conv_y)
            rtcs += [*x, *y]
            await until(lambda: min(samples(*x, *y)) > 2 * second, "audio on both calls")

            a.kill()
            killed_at = wall_ms()
            at_kill = samples(*y)
            await until(lambda: widget_x.closed.is_set() and console_x.closed.is_set(),
                        "the dead node's parties told")
            x_told = samples(*x)
            # the surviving call: 6 s more audio each way, its tones heard
            await until(lambda: all(now >= then + 6 * second for now, then
                                    in zip(samples(*y), at_kill)), "audio on the other call")
            r["x_after_notice"] = [now - then for now, then in zip(samples(*x), x_told)]
            r["y_gained"] = [now - then for now, then in zip(samples(*y), at_kill)]
            r["y_up"] = heard_after(y[0], y[1], killed_at)
            r["y_down"] = heard_after(y[1], y[0], killed_at)

            # the dead node's parties call again through the surviving node
            for rtc in x:
                await rtc.close()
            agent_x = Client(b.url, cx[0].token)
            customer_x = Client(b.url, cx[1].token)
            clients += [agent_x, customer_x]
            console_x2, widget_x2 = await agent_x.live(), await customer_x.live()
            again = await call(aiortc_client, console_x2, widget_x2, conv_x)
            rtcs += list(again)
            redialled = wall_ms()
            await until(lambda: min(samples(*again)) > 4 * second, "audio on the new call")
            r["x2_up"] = heard_after(again[0], again[1], redialled + 1500)
            await until(lambda: "node node-a is gone" in b.log(), "the death in the log")
            for ch in (console_y, widget_y, console_x2, widget_x2):
                await ch.close()
        finally:
            for rtc in rtcs:
                await rtc.close()
            for c in (admin, *clients):
                await c.close()
        return r

    try:
        r = asyncio.run(go())
    finally:
        a.kill()
        log_b = b.terminate()
    print(f"node killed during a call: surviving call gained {r['y_gained']} samples "
          f"(customer, agent) after the kill; tones heard after it: "
          f"{sum(d is not None for d in r['y_up'])}/{len(r['y_up'])} up, "
          f"{sum(d is not None for d in r['y_down'])}/{len(r['y_down'])} down; the dead "
          f"node's call played {r['x_after_notice']} samples after its parties were told")
    for direction in ("y_up", "y_down", "x2_up"):
        delays = r[direction]
        got = [d for d in delays if d is not None]
        assert len(delays) >= 3 and len(got) >= 0.8 * len(delays), (direction, delays)
    # nothing comes from a dead node (at most what a jitter buffer still held)
    assert all(n < second // 2 for n in r["x_after_notice"]), r["x_after_notice"]
    assert log_problems(log_b) == []
    assert log_b.count("node node-a is gone") == 1
