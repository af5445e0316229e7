"""Calls through a real node: a customer and the agent assigned to the conversation each
offer a call over the live channel (``call.offer`` -> ``call.answer``), both legs end in
the node and each hears the other's marker tones through the bridge; a hang-up and a
closed live channel end the legs; bad offers, strangers and closed conversations are
refused with a reason."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import numpy as np

from cbcs.bench.harness import markers as mk
from cbcs.client import ApiError, Client
from cbcs.rtc.media import wall_ms
from cbcs.server.config import ServerConfig


async def assigned_conversation(url: str, node: Any) -> tuple[list[Client], Any, Any, str]:
    """An admin, agent ana (live, assigned to a Mexican customer's conversation) and the
    customer (live); (clients, console, widget, conversation id)."""
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


async def tasks_of(node: Any, agent: str) -> list[str]:
    """The statuses of the agent's tasks, oldest first."""
    return [t.status.value for t in await node.store.list_tasks() if t.agent_id == agent]


async def close_all(*things: Any) -> None:
    """Close clients, live channels and peers, in order."""
    for thing in things:
        await thing.close()


def mostly_heard(delays: list[float | None], what: str) -> None:
    """At least four markers were due and four in five of them were heard."""
    got = [d for d in delays if d is not None]
    assert len(delays) >= 4 and len(got) >= 0.8 * len(delays), (what, delays)


def heard(markers: list[mk.Marker], recorder: Any, after_ms: float) -> list[float | None]:
    pcm, times = recorder.audio()
    late = [m for m in markers if after_ms < m.sent_ms < times[-1] - 1000] if len(times) else []
    return mk.detect(late, pcm, times)


def test_customer_and_agent_hear_each_other_through_the_node(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    config = replace(config, call_addresses=("127.0.0.1",))

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            clients, console, widget, conv = await assigned_conversation(url, node)
            customer_rtc, agent_rtc = aiortc_client(first_s=1.0), aiortc_client(first_s=1.25)
            try:
                await customer_rtc.accept(await widget.offer_call(conv,
                                                                  await customer_rtc.offer()))
                await console.send({"type": "call.offer", "conversation": conv,
                                    "sdp": await agent_rtc.offer()})
                answer = await console.next("call.answer")
                assert answer["conversation"] == conv
                await agent_rtc.accept(answer["sdp"])
                both_up = wall_ms() + 1500  # ICE and DTLS of the second leg
                await asyncio.sleep(6.0)
                up = heard(customer_rtc.source.markers, agent_rtc.recorder, both_up)
                down = heard(agent_rtc.source.markers, customer_rtc.recorder, both_up)
                parties = node.calls.parties(conv)
                await console.send({"type": "call.hangup", "conversation": conv})
                ended = await console.next("call.ended")
                after_hangup = node.calls.parties(conv)
                await widget.close()
                for _ in range(50):
                    if not node.calls.parties(conv):
                        break
                    await asyncio.sleep(0.1)
                after_close = node.calls.parties(conv)
            finally:
                await customer_rtc.close()
                await agent_rtc.close()
                await console.close()
                for c in clients:
                    await c.close()
            return {"up": up, "down": down, "parties": parties, "ended": ended,
                    "after_hangup": after_hangup, "after_close": after_close}

    r = asyncio.run(go())
    for direction in ("up", "down"):
        delays = r[direction]
        got = [d for d in delays if d is not None]
        assert len(delays) >= 6 and len(got) >= 0.8 * len(delays), (direction, delays)
        # loopback, two legs each with a jitter buffer, one decode/encode: well under 600 ms
        assert all(0 < d < 400 for d in got), (direction, delays)
    assert sorted(r["parties"]) == ["agent:ana", "customer:cust-1"]
    assert r["ended"]["reason"] == "hang-up"
    assert r["after_hangup"] == ["customer:cust-1"]
    assert r["after_close"] == []


def test_bad_offers_strangers_and_closed_conversations_are_refused(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    config = replace(config, call_addresses=("127.0.0.1",))

    async def go() -> tuple[list[str], list[str]]:
        async with serve(config) as (url, node):
            clients, console, widget, conv = await assigned_conversation(url, node)
            admin = clients[0]
            stranger = Client(url, await admin.mint_token("customer", "cust-2"))
            outsider = await stranger.live()
            rtc = aiortc_client()
            codes = []
            try:
                offer = await rtc.offer()
                for live, frame in (
                        (widget, {"type": "call.offer", "conversation": conv,
                                  "sdp": "v=0\r\nthis is not SDP"}),
                        (widget, {"type": "call.offer", "conversation": conv,
                                  "sdp": offer.replace("opus/48000/2", "speex/16000")}),
                        (outsider, {"type": "call.offer", "conversation": conv, "sdp": offer}),
                        (widget, {"type": "call.hangup", "conversation": conv})):
                    await live.send(frame)
                    codes.append((await live.next("error"))["code"])
                await clients[1].close_conversation(conv, "done")
                try:
                    await widget.offer_call(conv, offer)
                except ApiError as exc:
                    codes.append(exc.code)
                parties = node.calls.parties(conv)
            finally:
                await rtc.close()
                for live in (outsider, console, widget):
                    await live.close()
                for c in (*clients, stranger):
                    await c.close()
            return codes, parties

    codes, parties = asyncio.run(go())
    assert codes == ["bad_sdp", "bad_sdp", "not_found", "not_found", "closed"]
    assert parties == []


SUPERVISOR_FREQS = (2300.0, 2700.0, 3100.0, 3500.0)


def test_a_supervisor_listens_whispers_to_the_agent_only_and_sees_each_legs_quality(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    config = replace(config, call_addresses=("127.0.0.1",))

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            node.calls.quality_every_s = 1.0
            clients, console, widget, conv = await assigned_conversation(url, node)
            boss = Client(url, await clients[0].mint_token("supervisor", "sam"))
            desk = await boss.live()
            await desk.send({"type": "resume", "conversation": conv, "after_seq": 0})
            customer_rtc, agent_rtc = aiortc_client(first_s=1.0), aiortc_client(first_s=1.25)
            boss_rtc = aiortc_client(first_s=1.1, freqs=SUPERVISOR_FREQS)
            r: dict[str, Any] = {"conv": conv}
            try:
                await customer_rtc.accept(await widget.offer_call(conv,
                                                                  await customer_rtc.offer()))
                await agent_rtc.accept(await console.offer_call(conv, await agent_rtc.offer()))
                # a customer cannot listen in or whisper
                await widget.send({"type": "call.offer", "conversation": conv,
                                   "sdp": await aiortc_client().offer(), "mode": "whisper"})
                r["customer_whisper"] = (await widget.next("error"))["code"]
                await boss_rtc.accept(await desk.offer_call(conv, await boss_rtc.offer()))
                r["first_mode"] = node.calls.mode(conv, "supervisor", "sam")
                up = wall_ms() + 1500
                await asyncio.sleep(3.5)
                listening_until = wall_ms()
                await desk.set_call_mode(conv, "whisper")
                r["mode_frame"] = await desk.next("call.mode")
                whisper_from = wall_ms() + 300
                await asyncio.sleep(4.0)
                for _ in range(10):  # reports are queued: the first after the change
                    r["quality"] = (await console.next("call.quality"))["legs"]
                    if r["quality"].get("supervisor:sam", {}).get("mode") == "whisper":
                        break
                end = wall_ms()
                marks = boss_rtc.source.markers
                listened = [m for m in marks if up < m.sent_ms < listening_until - 300]
                whispered = [m for m in marks if whisper_from < m.sent_ms < end - 1000]
                r["agent_heard_listening"] = mk.detect(listened, *agent_rtc.recorder.audio())
                r["agent_heard_whisper"] = mk.detect(whispered, *agent_rtc.recorder.audio())
                r["customer_heard_whisper"] = mk.detect(whispered,
                                                        *customer_rtc.recorder.audio())
                r["boss_heard_customer"] = heard(customer_rtc.source.markers,
                                                 boss_rtc.recorder, up)
                await console.hang_up(conv)
                await console.next("call.ended")
                frames = []
                while True:
                    try:
                        frames.append(await widget.next(None, timeout=1.0))
                    except asyncio.TimeoutError:
                        break
                r["widget_types"] = {f.get("type") for f in frames}
                r["record"] = [m["text"] for m in await clients[1].messages(conv)
                               if m["text"].startswith("Call: ")]
                r["audit"] = [(e["subject"], e["action"], e["target"], e["detail"].get("mode"))
                              for e in await clients[0].audit() if e["role"] == "supervisor"]
            finally:
                await close_all(customer_rtc, agent_rtc, boss_rtc, console, widget, desk,
                                *clients, boss)
            return r

    r = asyncio.run(go())
    assert r["customer_whisper"] == "forbidden"
    assert r["first_mode"] == "listen" and r["mode_frame"]["mode"] == "whisper"
    mostly_heard(r["boss_heard_customer"], "supervisor")
    assert all(d is None for d in r["agent_heard_listening"]), r["agent_heard_listening"]
    mostly_heard(r["agent_heard_whisper"], "whisper")
    assert all(d is None for d in r["customer_heard_whisper"]), r["customer_heard_whisper"]
    legs = r["quality"]
    assert set(legs) == {"customer:cust-1", "agent:ana", "supervisor:sam"}
    assert legs["supervisor:sam"]["mode"] == "whisper" and legs["agent:ana"]["mode"] == "join"
    # loopback: nothing lost, a short jitter buffer, a good MOS
    assert legs["customer:cust-1"]["loss_after_recovery_pct"] == 0.0
    assert legs["customer:cust-1"]["mos"] > 4.0
    assert "call.quality" not in r["widget_types"]
    # listening in and whispering are in the audit log
    assert r["audit"] == [("sam", "call.offer", f"conversation={r['conv']}", "listen"),
                          ("sam", "call.mode", f"conversation={r['conv']}", "whisper")]
    assert any(t.startswith("Call: the agent left after") and "MOS" in t for t in r["record"]), \
        r["record"]


def test_a_leg_that_goes_silent_or_vanishes_ends_and_the_others_are_told(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    config = replace(config, call_addresses=("127.0.0.1",))

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            node.calls.media_timeout_s = 2.0
            clients, console, widget, conv = await assigned_conversation(url, node)
            customer_rtc, agent_rtc = aiortc_client(first_s=1.0), aiortc_client(first_s=1.25)
            r: dict[str, Any] = {}
            try:
                await customer_rtc.accept(await widget.offer_call(conv,
                                                                  await customer_rtc.offer()))
                await agent_rtc.accept(await console.offer_call(conv, await agent_rtc.offer()))
                await asyncio.sleep(3.0)
                r["before"] = sorted(node.calls.parties(conv))
                customer_rtc._track.stop()   # the phone's audio stops; ICE and RTCP go on
                r["silent"] = await console.next("call.left", timeout=15.0)
                await agent_rtc.pc.close()   # the agent's browser tab is gone
                for _ in range(100):
                    if not node.calls.parties(conv):
                        break
                    await asyncio.sleep(0.1)
                r["after"] = node.calls.parties(conv)
                r["record"] = [m["text"] for m in await clients[1].messages(conv)
                               if m["text"].startswith("Call: ")]
            finally:
                await customer_rtc.close()
                await agent_rtc.close()
                for live in (console, widget):
                    await live.close()
                for c in clients:
                    await c.close()
            return r

    r = asyncio.run(go())
    assert r["before"] == ["agent:ana", "customer:cust-1"]
    assert r["silent"]["party"] == "customer" and r["silent"]["reason"] == "no media"
    assert r["silent"]["parties"] == ["agent"]
    assert r["after"] == []
    assert any("the customer left" in t and "(no media)" in t for t in r["record"]), r["record"]
    assert any("the agent left" in t and "connection" in t for t in r["record"]), r["record"]


def test_a_warm_transfer_to_another_agent_keeps_the_customers_call_up(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    config = replace(config, call_addresses=("127.0.0.1",))
    BOB_FREQS = (2300.0, 2700.0, 3100.0, 3500.0)

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            clients, console, widget, conv = await assigned_conversation(url, node)
            admin, ana = clients[0], clients[1]
            await admin.put_agent("bob", name="Bob", languages={"es": 5}, markets=["MX"],
                                  time_zone="America/Mexico_City")
            bob = Client(url, await admin.mint_token("agent", "bob"))
            bob_console = await bob.live()
            customer_rtc, ana_rtc = aiortc_client(first_s=1.0), aiortc_client(first_s=1.25)
            bob_rtc = aiortc_client(first_s=1.1, freqs=BOB_FREQS)
            r: dict[str, Any] = {"parties": []}
            try:
                await customer_rtc.accept(await widget.offer_call(conv,
                                                                  await customer_rtc.offer()))
                await ana_rtc.accept(await console.offer_call(conv, await ana_rtc.offer()))
                await asyncio.sleep(2.0)
                await bob.set_status("bob", "available")
                await ana.escalate(conv, "a colleague handles refunds")
                r["ana_tasks_offered"] = await tasks_of(node, "ana")
                await bob.accept((await bob_console.next("reservation"))["id"])
                await bob_console.next("assigned")
                r["ana_tasks_assigned"] = await tasks_of(node, "ana")
                await bob_rtc.accept(await bob_console.offer_call(conv, await bob_rtc.offer()))
                r["parties"].append(sorted(node.calls.parties(conv)))   # warm: all three
                await asyncio.sleep(2.0)
                await console.hang_up(conv)   # ana leaves the call she no longer owns
                r["ana_ended"] = await console.next("call.ended")
                bob_from = wall_ms() + 500
                await asyncio.sleep(4.0)
                r["parties"].append(sorted(node.calls.parties(conv)))
                r["customer_heard_bob"] = heard(
                    [m for m in bob_rtc.source.markers if m.sent_ms > bob_from],
                    customer_rtc.recorder, bob_from)
                r["bob_heard_customer"] = heard(customer_rtc.source.markers,
                                                bob_rtc.recorder, bob_from)
            finally:
                await close_all(customer_rtc, ana_rtc, bob_rtc, console, widget, bob_console,
                                *clients, bob)
            return r

    r = asyncio.run(go())
    # ana keeps the conversation until bob takes it, then she wraps up
    assert r["ana_tasks_offered"] == ["assigned"] and r["ana_tasks_assigned"] == ["wrapping"]
    assert r["parties"][0] == ["agent:ana", "agent:bob", "customer:cust-1"]
    assert r["ana_ended"]["reason"] == "hang-up"
    assert r["parties"][1] == ["agent:bob", "customer:cust-1"]
    for key in ("customer_heard_bob", "bob_heard_customer"):
        mostly_heard(r[key], key)


def test_a_customer_who_changes_network_offers_again_and_the_call_goes_on(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    """A phone moving from Wi-Fi to mobile data calls ``call.offer`` again from a new peer
    connection: its leg is replaced, the agent's leg is untouched and hears the new one."""
    config = replace(config, call_addresses=("127.0.0.1",))

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            clients, console, widget, conv = await assigned_conversation(url, node)
            wifi, agent_rtc = aiortc_client(first_s=1.0), aiortc_client(first_s=1.25)
            mobile = aiortc_client(first_s=1.0)
            r: dict[str, Any] = {}
            try:
                await wifi.accept(await widget.offer_call(conv, await wifi.offer()))
                await agent_rtc.accept(await console.offer_call(conv, await agent_rtc.offer()))
                await asyncio.sleep(2.0)
                agent_leg = node.calls.calls[conv].legs["agent:ana"]
                await mobile.accept(await widget.offer_call(conv, await mobile.offer()))
                r["left"] = await console.next("call.left")
                since = wall_ms() + 1500
                await asyncio.sleep(5.0)
                r["same_agent_leg"] = node.calls.calls[conv].legs["agent:ana"] is agent_leg
                r["parties"] = sorted(node.calls.parties(conv))
                r["agent_heard"] = heard(mobile.source.markers, agent_rtc.recorder, since)
                r["mobile_heard"] = heard(agent_rtc.source.markers, mobile.recorder, since)
            finally:
                for rtc in (wifi, mobile, agent_rtc):
                    await rtc.close()
                for live in (console, widget):
                    await live.close()
                for c in clients:
                    await c.close()
            return r

    r = asyncio.run(go())
    assert r["left"]["party"] == "customer" and r["left"]["reason"] == "replaced by a new offer"
    assert r["left"]["parties"] == ["agent"]
    assert r["same_agent_leg"] and r["parties"] == ["agent:ana", "customer:cust-1"]
    for key in ("agent_heard", "mobile_heard"):
        mostly_heard(r[key], key)


class EchoVoice:
    """Stands in for the AI voice's models (the real loop is tested in tests/ai): says
    back what it heard ``delay_ms`` earlier, at 16 kHz."""

    sample_rate = 16000

    def __init__(self, delay_ms: int = 200) -> None:
        self.line = [np.zeros(320, np.float32) for _ in range(delay_ms // 20)]
        self.closed = False

    def push(self, frame: np.ndarray, now_ms: float) -> np.ndarray:
        self.line.append(frame)
        return self.line.pop(0)

    def close(self) -> None:
        self.closed = True


def test_the_ai_voice_is_a_leg_of_the_call_and_leaves_when_a_person_joins(
        config: ServerConfig, serve: Any, aiortc_client: type) -> None:
    config = replace(config, call_addresses=("127.0.0.1",))

    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            clients, console, widget, conv = await assigned_conversation(url, node)
            customer_rtc, agent_rtc = aiortc_client(first_s=1.0), aiortc_client(first_s=1.25)
            voice = EchoVoice()
            r: dict[str, Any] = {}
            try:
                await customer_rtc.accept(await widget.offer_call(conv,
                                                                  await customer_rtc.offer()))
                node.calls.add_voice(conv, voice)
                since = wall_ms() + 1000
                await asyncio.sleep(4.0)
                r["parties"] = sorted(node.calls.parties(conv))
                r["echo"] = heard(customer_rtc.source.markers, customer_rtc.recorder, since)
                await agent_rtc.accept(await console.offer_call(conv, await agent_rtc.offer()))
                r["after"] = sorted(node.calls.parties(conv))
                r["closed"] = voice.closed
                r["record"] = [m["text"] for m in await clients[1].messages(conv)
                               if m["text"].startswith("Call: ")]
            finally:
                await close_all(customer_rtc, agent_rtc, console, widget, *clients)
            return r

    r = asyncio.run(go())
    assert r["parties"] == ["ai:first-tier", "customer:cust-1"]
    mostly_heard(r["echo"], "the customer hears what the AI leg says")
    # up to the node, 200 ms in the voice, back down: the AI leg adds no more than its own
    assert all(200 < d < 500 for d in r["echo"] if d is not None), r["echo"]
    assert any(t.startswith("Call: the AI left after") and "(handed to a person)" in t for t in r["record"]), \
        r["record"]
    assert r["after"] == ["agent:ana", "customer:cust-1"] and r["closed"]
