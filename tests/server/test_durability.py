"""``cbcs serve`` killed with SIGKILL under chat load, then started again on the same store:
every acknowledged message is there once and in order, a retry of an unacknowledged one
is stored at most once, and a client that resumes gets exactly what it missed. On SQLite
and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from serve_process import ADMIN_KEY, ServeProcess

from cbcs.client import Client

CUSTOMERS = 12


async def talk(url: str, token: str, conv: str, log: dict[str, Any]) -> None:
    """Send numbered messages one after another until the node dies; note each ack."""
    async with Client(url, token) as me:
        live = await me.live()
        await live.resume(conv, 0)
        i = 0
        try:
            while True:
                cid = f"{conv[:8]}-{i}"
                log["sent"].append(cid)
                ack = await live.send_message(conv, f"message {i}", client_id=cid,
                                              timeout=5)
                log["acked"].append((cid, ack["seq"]))
                i += 1
                await asyncio.sleep(0.25)   # under the 5 messages/s per conversation
        except (ConnectionError, asyncio.TimeoutError, OSError):
            pass
        finally:
            log["seen"] = live.seen.get(conv, 0)
            with contextlib.suppress(Exception):
                await live.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_9_under_chat_load_loses_and_duplicates_nothing(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = None
    if kind == "postgresql":
        store = request.getfixturevalue("postgres_url")
    node = ServeProcess(tmp_path / "data", store=store)

    async def before() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        tokens: dict[str, str] = {}
        logs: dict[str, dict[str, Any]] = {}
        async with Client(node.url, ADMIN_KEY) as admin:
            for n in range(CUSTOMERS):
                token = await admin.mint_token("customer", f"cust-{n}")
                async with Client(node.url, token) as me:
                    conv = (await me.start_conversation(language="es", market="MX"))["id"]
                tokens[conv] = token
                logs[conv] = {"sent": [], "acked": []}
        talkers = [asyncio.create_task(talk(node.url, tokens[c], c, logs[c])) for c in logs]
        # until every conversation has a few messages stored (a loaded machine is slower)
        for _ in range(200):
            if sum(len(log["acked"]) for log in logs.values()) > CUSTOMERS * 5:
                break
            await asyncio.sleep(0.05)
        node.kill()   # mid-stream: messages in flight on every connection
        await asyncio.gather(*talkers)
        return tokens, logs

    try:
        tokens, logs = asyncio.run(before())
    finally:
        if node.proc.poll() is None:   # before() failed ahead of the kill: no stray server
            node.kill()
    assert sum(len(log["acked"]) for log in logs.values()) > CUSTOMERS * 5
    again = ServeProcess(tmp_path / "data", store=store)

    async def after() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for conv, log in logs.items():
            async with Client(again.url, tokens[conv]) as me:
                stored = await me.messages(conv, 0, 500)
                live = await me.live()
                await live.resume(conv, log["seen"])
                expected = [m["seq"] for m in stored if m["seq"] > log["seen"]]
                got = [(await live.next("message"))["seq"] for _ in expected]
                # the message that was in flight at the kill, sent again with its client_id
                last = log["sent"][-1]
                retry = await live.send_message(conv, "again", client_id=last)
                after_retry = await me.messages(conv, 0, 500)
                await live.close()
            out[conv] = {"stored": stored, "expected": expected, "got": got,
                         "retry": retry, "after_retry": after_retry}
        return out

    try:
        results = asyncio.run(after())
    finally:
        again.terminate()
    for conv, log in logs.items():
        r = results[conv]
        by_client = [m["author"]["id"] for m in r["stored"]]
        assert by_client == [f"cust-{list(logs).index(conv)}"] * len(r["stored"])
        seqs = [m["seq"] for m in r["stored"]]
        assert seqs == list(range(1, len(seqs) + 1)), "sequence numbers have no holes"
        texts = [m["text"] for m in r["stored"]]
        # every acknowledged message is there, once, with the seq its ack named, in order
        for cid, seq in log["acked"]:
            i = int(cid.rsplit("-", 1)[1])
            assert texts[seq - 1] == f"message {i}"
        assert texts == [f"message {i}" for i in range(len(texts))]
        # resume gave exactly what was missed
        assert r["got"] == r["expected"]
        # the retry of the last message sent is stored at most once
        n_before = len(r["stored"])
        if len(texts) == len(log["sent"]):      # it was stored before the kill
            assert len(r["after_retry"]) == n_before and r["retry"]["seq"] == n_before
        else:
            assert len(r["after_retry"]) == n_before + 1


def test_sigterm_stops_cleanly_and_hands_back_pending_offers(tmp_path: Path) -> None:
    node = ServeProcess(tmp_path / "data")

    async def offer() -> str:
        async with Client(node.url, ADMIN_KEY) as admin:
            await admin.put_agent("ana", languages={"es": 5}, markets=["MX"])
            await admin.put_queue("default", offer_timeout_s=600)
            agent = Client(node.url, await admin.mint_token("agent", "ana"))
            customer = Client(node.url, await admin.mint_token("customer", "cust-1"))
        console = await agent.live()
        await agent.set_status("ana", "available")
        conv = (await customer.start_conversation(language="es", market="MX"))["id"]
        await customer.escalate(conv, "refund")
        frame = await console.next("reservation")
        for c in (agent, customer):
            await c.close()
        return str(frame["id"])

    reservation = asyncio.run(offer())
    printed = node.terminate()
    assert node.proc.returncode == 0
    assert "stopping" in printed and "stopped" in printed and "Traceback" not in printed

    async def status() -> str:
        from cbcs.store import default_url, open_store
        store = await open_store(default_url(tmp_path / "data"))
        try:
            return (await store.get_reservation(reservation)).status.value
        finally:
            await store.close()
    # handed back at once, not left to time out ten minutes later
    assert asyncio.run(status()) == "canceled"
