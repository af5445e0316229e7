"""The callers of ``cbcs loadtest calls``: bridged calls through a node, each with a customer
leg and an agent leg, both stock aiortc clients behind the in-process link emulator
(:class:`cbcs.rtc.impair.Impairment` on the client's own sockets), run as
``python -m cbcs.loadtest.calls_clients SPEC`` (SPEC: JSON, see :func:`main`).

Each call is what a customer and an agent do in the product: the agent's console is
live and available, the customer starts a voice conversation and asks for a person, the
agent accepts the offer, and then each offers its call leg over its live channel
(``call.offer`` -> ``call.answer``); the node bridges the two legs. Both clients send marker
tones (:mod:`cbcs.bench.harness.markers`) and record what they play, stamped with the
machine's clock, which every process on the machine shares.

It speaks JSON lines with the process that started it: ``setup`` on its standard input
sets its calls up one after the other (routing gives each customer the agent that has
just become available) and answers ``{"event": "ready"}`` once every leg is connected;
``measure FROM_MS TO_MS`` (wall clock) has it wait until the markers sent in that window
have had time to arrive and answer ``{"event": "result", "calls": [...]}`` with, per call,
the mouth-to-ear delay of each marker both ways (None: not heard) and each client's RTP
receive counters; then it hangs up and ends. Failures answer ``{"event": "error"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

#: after the window: the longest a marker may take and still count (markers.detect's 2 s
#: search) is not waited for in full; 1.5 s covers any delay a call at MOS >= 4 can have
TAIL_S = 1.5
CONNECT_TIMEOUT_S = 30.0


class InlineExecutor(ThreadPoolExecutor):
    """The callers' loop executor: runs what is handed to it at once, on the loop's thread.

    Stock aiortc encodes each 20 ms audio frame through ``run_in_executor``; the hand-off to
    a worker thread and back cost the callers more CPU than the encoding itself (two calls
    between four clients: 25-31 % of a core with the threads, 21-22 % inline), CPU that on
    a shared machine is taken from the node under test. The callers are load, not the
    product: their encoder runs inline."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            done.set_exception(exc)
        return done


def _stock_client(profile: str, seed: int, first_s: float) -> Any:
    """A stock aiortc client whose UDP goes through the link emulator (``profile``)."""
    from cbcs.bench.harness.stock import StockClient
    from cbcs.rtc.ice import configure_ice
    from cbcs.rtc.impair import Impairment

    class ImpairedClient(StockClient):
        def __init__(self) -> None:
            super().__init__(first_s=first_s)
            self.impairment = Impairment(profile, seed)

        async def offer(self) -> str:
            # the first configuration of a connection stays: the emulator wraps its sockets
            self.pc.addTrack(self._track)
            configure_ice(self.pc, ["127.0.0.1"], self.impairment.wrap)
            await self.pc.setLocalDescription(await self.pc.createOffer())
            return str(self.pc.localDescription.sdp)

    return ImpairedClient()


@dataclass
class _Call:
    index: int
    conversation: str = ""
    closers: list[Any] = field(default_factory=list)   # closed in reverse order
    customer: Any = None
    agent: Any = None
    console: Any = None
    agent_api: Any = None


async def _rx(client: Any) -> dict[str, int]:
    """What a stock client's receiver counted (aiortc's inbound-rtp)."""
    out = {"received": 0, "lost": 0}
    for receiver in client.pc.getReceivers():
        for s in (await receiver.getStats()).values():
            if s.type == "inbound-rtp":
                out["received"] += int(s.packetsReceived)
                out["lost"] += max(0, int(s.packetsLost))
    return out


class Callers:
    """The calls of this process (see the module docstring)."""

    def __init__(self, url: str, admin_key: str, indices: list[int], profile: str,
                 seed: int, tag: str) -> None:
        from cbcs.server.auth import TokenAuthority

        self.url, self.indices, self.profile, self.seed, self.tag = (url, indices, profile,
                                                                     seed, tag)
        self.authority = TokenAuthority(admin_key)
        self.calls: list[_Call] = []

    def _client(self, role: str, subject: str) -> Any:
        from cbcs.client import Client

        return Client(self.url, self.authority.mint(_role(role), subject, 3600, time.time()))

    async def setup(self) -> None:
        """Set every call up, one at a time, and wait until all their legs are connected."""
        admin = self._client("admin", f"loadtest-{self.tag}")
        try:
            await admin.put_queue("default", offer_timeout_s=30)
            for i in self.indices:
                call = _Call(i)
                self.calls.append(call)
                await self._one(admin, call)
        finally:
            await admin.close()
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        for call in self.calls:
            for rtc in (call.customer, call.agent):
                while rtc.pc.connectionState != "connected":
                    if time.monotonic() > deadline or rtc.pc.connectionState in ("failed",
                                                                                "closed"):
                        raise ConnectionError(f"call {call.index}: a leg is "
                                              f"{rtc.pc.connectionState}, not connected")
                    await asyncio.sleep(0.05)

    async def _one(self, admin: Any, call: _Call) -> None:
        agent_id = f"lt-{self.tag}-agent-{call.index}"
        await admin.put_agent(agent_id, name=f"Agent {call.index}", languages={"es": 5},
                              markets=["MX"], time_zone="America/Mexico_City")
        agent_api = self._client("agent", agent_id)
        customer_api = self._client("customer", f"lt-{self.tag}-customer-{call.index}")
        call.closers += [agent_api, customer_api]
        call.agent_api = agent_api
        console = await agent_api.live()
        call.console = console
        call.closers.append(console)
        await agent_api.set_status(agent_id, "available")
        conversation = (await customer_api.start_conversation(
            channel="voice", language="es", market="MX"))["id"]
        call.conversation = conversation
        widget = await customer_api.live()
        call.closers.append(widget)
        await customer_api.escalate(conversation, "wants a person")
        await agent_api.accept((await console.next("reservation", timeout=30))["id"])
        assigned = await console.next("assigned", timeout=30)
        if assigned.get("conversation") != conversation:
            raise RuntimeError(f"call {call.index}: the agent was given conversation "
                               f"{assigned.get('conversation')}, not {conversation}")
        seed = self.seed + 4 * call.index     # each direction of each leg draws on its own
        call.customer = _stock_client(self.profile, seed, first_s=1.0)
        call.closers.append(call.customer)
        await call.customer.accept(await widget.offer_call(conversation,
                                                           await call.customer.offer()))
        call.agent = _stock_client(self.profile, seed + 2, first_s=1.25)
        call.closers.append(call.agent)
        await call.agent.accept(await console.offer_call(conversation, await call.agent.offer()))

    async def measure(self, from_ms: float, to_ms: float) -> list[dict[str, Any]]:
        """Each call's marker delays in ``[from_ms, to_ms]`` both ways and RTP counters."""
        from cbcs.bench.harness import markers as mk
        from cbcs.rtc.media import wall_ms

        wait_s = (to_ms - wall_ms()) / 1000.0 + TAIL_S
        if wait_s > 0:
            await asyncio.sleep(wait_s)

        def heard(sender: Any, receiver: Any) -> list[float | None]:
            sent = [m for m in sender.source.markers if from_ms <= m.sent_ms < to_ms]
            pcm, times = receiver.recorder.audio()
            return mk.detect(sent, pcm, times) if len(times) else [None] * len(sent)

        out = []
        for call in self.calls:
            source = call.customer.source
            period_ms = 1000.0 * source.period / source.rate
            out.append({"index": call.index, "conversation": call.conversation,
                        # what a sender keeping real time puts in the window, each way
                        "expected_markers": (to_ms - from_ms) / period_ms,
                        "to_agent_ms": heard(call.customer, call.agent),
                        "to_customer_ms": heard(call.agent, call.customer),
                        "customer_rx": await _rx(call.customer),
                        "agent_rx": await _rx(call.agent)})
        return out

    async def close(self) -> None:
        """Hang up and close every call (each step begins with none)."""
        for call in self.calls:
            with contextlib.suppress(Exception):   # a call that never got this far
                if call.console is not None and call.conversation:
                    await call.console.hang_up(call.conversation)
                    await call.agent_api.close_conversation(call.conversation, "load test")
            for thing in reversed(call.closers):
                with contextlib.suppress(Exception):   # closing what is already gone
                    await thing.close()


def _role(name: str) -> Any:
    from cbcs.server.auth import Role

    return Role(name)


def _say(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def _run(spec: dict[str, Any]) -> int:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(InlineExecutor(max_workers=1))
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    callers = Callers(spec["url"], os.environ["CBCS_ADMIN_KEY"], list(spec["indices"]),
                      str(spec["profile"]), int(spec["seed"]), str(spec["tag"]))
    try:
        while line := await commands.readline():
            words = line.decode().split()
            if words[:1] == ["setup"]:
                await callers.setup()
                _say({"event": "ready", "calls": len(callers.calls)})
            elif words[:1] == ["measure"]:
                calls = await callers.measure(float(words[1]), float(words[2]))
                _say({"event": "result", "calls": calls})
                break
    except Exception as exc:  # noqa: BLE001 - reported to the command, which names the step
        _say({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
        return 1
    finally:
        await callers.close()
    return 0


def main() -> int:
    """``SPEC``: ``{"url", "indices": [call numbers], "profile", "seed", "tag"}``; the admin
    key in ``$CBCS_ADMIN_KEY``."""
    from cbcs.rtc.loop import run

    result: int = run(_run(json.loads(sys.argv[1])))
    return result


if __name__ == "__main__":
    sys.exit(main())
