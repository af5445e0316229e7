"""A customer's network drops for 10 s in the middle of a chat with an agent (through a
loopback TCP proxy): cut (every connection reset, new ones refused, as a phone that loses
its network) or stalled (nothing gets through, the connection stays). The customer's
client reconnects when it can, resumes from the last message it had and sends again,
with the same client id, what was not acknowledged: afterwards it has every message of
the conversation exactly once, in order, and the history has each of its messages once."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from fault_nodes import ADMIN_KEY, NodeProcess, RawChannel, TcpProxy, log_problems, until

from cbcs.client import Client

DROP_S = 10.0


class Customer:
    """A customer's client on raw frames: every ``message`` frame it is sent is kept (a
    duplicate counts), on a lost connection it reconnects and sends ``resume`` from the
    last message it had, and it sends each of its messages until it is acknowledged."""

    def __init__(self, url: str, token: str, conversation: str) -> None:
        self.url, self.token, self.conversation = url, token, conversation
        self.channels: list[RawChannel] = []
        self.reconnects = 0
        self.acked: dict[str, int] = {}

    @property
    def channel(self) -> RawChannel:
        return self.channels[-1]

    def received(self) -> list[int]:
        return [seq for ch in self.channels for seq in ch.seqs(self.conversation)]

    async def connect(self) -> None:
        while True:
            try:
                channel = await RawChannel(self.url, self.token).open()
                await channel.send({"type": "resume", "conversation": self.conversation,
                                    "after_seq": max(self.received(), default=0)})
                break
            except Exception:   # noqa: BLE001 - no network yet
                await asyncio.sleep(0.5)
        self.channels.append(channel)

    async def say(self, client_id: str, text: str) -> None:
        frame = {"type": "message", "conversation": self.conversation,
                 "client_id": client_id, "text": text}
        while client_id not in self.acked:
            if self.channel.closed:
                self.reconnects += 1
                await self.connect()
            with contextlib.suppress(Exception):   # the socket went meanwhile
                await self.channel.send(frame)
            with contextlib.suppress(AssertionError):
                ack = await until(lambda ch=self.channel: ch.closed or next(
                    (f for f in ch.of("ack") if f["client_id"] == client_id), None),
                    "the ack", timeout=60)
                if isinstance(ack, dict):
                    self.acked[client_id] = int(ack["seq"])

    async def close(self) -> None:
        for ch in self.channels:
            await ch.close()


@pytest.mark.parametrize("drop", ["cut", "stall"])
def test_a_customer_whose_network_drops_for_10_s_misses_and_doubles_nothing(
        drop: str, tmp_path: Path) -> None:
    node = NodeProcess(tmp_path / "data", tmp_path / "node.log")

    async def go() -> dict[str, Any]:
        port = int(node.url.rsplit(":", 1)[1])
        proxy = TcpProxy(port)
        await proxy.start()
        async with Client(node.url, ADMIN_KEY) as admin:
            await admin.put_agent("ana", languages={"es": 5}, markets=["MX"])
            await admin.put_queue("default", offer_timeout_s=30)
            agent = Client(node.url, await admin.mint_token("agent", "ana"))
            token = await admin.mint_token("customer", "cust-1")
        console = await agent.live()
        await agent.set_status("ana", "available")
        customer_rest = Client(node.url, token)
        conv = (await customer_rest.start_conversation(language="es", market="MX"))["id"]
        await customer_rest.escalate(conv, "a person please")
        await agent.accept((await console.next("reservation"))["id"])
        me = Customer(f"http://127.0.0.1:{proxy.port}", token, conv)
        await me.connect()
        agent_acks: list[int] = []
        stop = asyncio.Event()

        async def agent_writes() -> None:
            i = 0
            while not stop.is_set():
                agent_acks.append((await console.send_message(conv, f"agent {i}"))["seq"])
                i += 1
                await asyncio.sleep(0.3)

        writer = asyncio.create_task(agent_writes())
        for i in range(3):
            await me.say(f"c{i}", f"customer {i}")
        if drop == "cut":
            proxy.cut()
        else:
            proxy.stall()
        # the customer writes while its network is gone: it goes once it is back
        during = asyncio.create_task(me.say("c3", "customer 3 (written offline)"))
        await asyncio.sleep(DROP_S)   # the fault itself lasts 10 s; nothing is judged by it
        proxy.restore()
        await during
        for i in range(4, 7):
            await me.say(f"c{i}", f"customer {i}")
        stop.set()
        await writer
        history = await customer_rest.messages(conv, 0, 500)
        await until(lambda: max(me.received(), default=0) >= history[-1]["seq"],
                    "the customer has the whole conversation")
        out = {"received": me.received(), "history": history, "acked": me.acked,
               "reconnects": me.reconnects, "agent_acks": agent_acks,
               "connections": proxy.connections}
        await me.close()
        await console.close()
        await proxy.close()
        for c in (agent, customer_rest):
            await c.close()
        return out

    try:
        r = asyncio.run(go())
    finally:
        log = node.terminate()
    history = r["history"]
    print(f"network {drop} for {DROP_S:.0f} s: {r['reconnects']} reconnects, "
          f"{len(r['received'])} message frames for {len(history)} messages, "
          f"{len(r['agent_acks'])} agent messages")
    assert r["received"] == [m["seq"] for m in history], "missed or doubled a message"
    customer_texts = [m["text"] for m in history if m["author"]["role"] == "customer"]
    assert customer_texts == [f"customer {i}" for i in range(3)] + [
        "customer 3 (written offline)"] + [f"customer {i}" for i in range(4, 7)]
    for cid, seq in r["acked"].items():
        assert history[seq - 1]["text"].startswith(f"customer {cid[1:]}")
    if drop == "cut":
        assert r["reconnects"] == 1 and r["connections"] == 2
    else:   # the connection outlived the silence
        assert r["reconnects"] == 0 and r["connections"] == 1
    assert log_problems(log) == []
