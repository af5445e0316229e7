"""None of the redaction table's card, phone, e-mail and ID numbers survives a real node:
the table's sentences are posted as chat messages (over the live channel and over REST,
by the customer and by the agent), given as the reason to escalate and to close, put in
ticket summaries and kept as call captions with their translations; then the SQLite
store (every row of every table, and the bytes of every file in the data dir), the REST
history and tickets, the live frames and every log record the node emitted (DEBUG and
up) are searched for the originals."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from cbcs.client import Client
from cbcs.server.app import running
from cbcs.server.config import Limits, ServerConfig
from cbcs.server.ratelimit import Rate
from test_redaction_table import PERSONAL

SECRETS = sorted({s for case in PERSONAL for s in case.secrets})
FAST = Rate(per_s=1000.0, burst=1000)


def _digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


def _strings(value: Any) -> list[str]:
    """Every string in a value, JSON text decoded (so escaped non-ASCII is seen too)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return [value]
        return [value, *_strings(decoded)] if not isinstance(decoded, str) else [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


_HEX_ID = re.compile(r"[0-9a-f]{16,}")


def leaks(texts: list[str]) -> list[tuple[str, str]]:
    """(secret, where) for each secret found in ``texts``, as written or as its digits
    (eight or more, in any script) with the separators taken out."""
    found = []
    for text in texts:
        plain = _HEX_ID.sub("", text)   # ids and keys are not personal numbers
        digits = _digits(plain)
        for secret in SECRETS:
            d = _digits(secret)
            if secret in text or (len(d) >= 8 and d in digits):
                found.append((secret, text[:200]))
    return found


def test_no_secret_of_the_table_survives_in_storage_history_or_logs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    monkeypatch.delenv("CBCS_ADMIN_KEY", raising=False)
    data = tmp_path / "data"
    config = ServerConfig(data_dir=data, translation="off", ai="off", limits=Limits(
        per_token=FAST, per_ip=FAST, messages_per_conversation=FAST))
    caplog.set_level(logging.DEBUG)
    texts = [case.text for case in PERSONAL]

    async def go() -> dict[str, Any]:
        async with running(config) as (url, node):
            admin = Client(url, node.auth._admin_key.decode())
            await admin.put_agent("ana", name="Ana", languages={"es": 5, "en": 4},
                                  markets=["MX"])
            await admin.put_queue("default", offer_timeout_s=30)
            agent = Client(url, await admin.mint_token("agent", "ana"))
            customer = Client(url, await admin.mint_token("customer", "cust-1"))
            await agent.set_status("ana", "available")
            console = await agent.live()
            conv = await customer.start_conversation(language="es", market="MX")
            widget = await customer.live()
            await widget.resume(conv["id"], 0)
            # the customer writes every sentence, half over the live channel, half over REST
            for i, text in enumerate(texts):
                if i % 2:
                    await widget.send_message(conv["id"], text)
                else:
                    await customer.post_message(conv["id"], text)
            await customer.escalate(conv["id"], texts[0][:500])
            offer = await console.next("reservation")
            await agent.accept(offer["id"])
            # the agent answers with them too
            for text in texts:
                await console.send_message(conv["id"], text)
            # tickets with the sentences in their summaries (2000 characters at most)
            tickets, chunk = [], ""
            for text in texts + [""]:
                if not text or len(chunk) + len(text) + 1 > 2000:
                    opened = await agent.open_ticket("cust-1", "refund", chunk.strip(),
                                                     conversation_id=conv["id"])
                    tickets.append(await agent.ticket(opened["id"]))
                    chunk = ""
                chunk += " " + text
            # a call's final captions, with a translation each
            for text in texts:
                await node.centre.caption(conv["id"], "customer", "cust-1", text, "es",
                                          {"en": text}, {"en": "test"})
            await agent.close_conversation(conv["id"], texts[1][:500])
            history: list[dict[str, Any]] = []
            while True:
                page = await agent.messages(conv["id"], after_seq=len(history), limit=500)
                if not page:
                    break
                history.extend(page)
            frames = []
            while True:
                try:
                    frames.append(await console.next(timeout=0.5))
                except (asyncio.TimeoutError, TimeoutError):
                    break
            for ch in (console, widget):
                await ch.close()
            for cl in (admin, agent, customer):
                await cl.close()
            return {"history": history, "tickets": tickets, "frames": frames}

    r = asyncio.run(go())
    n = len(texts)
    # what was posted is there, redacted: n + n messages, n captions, two events
    assert sum(m["kind"] == "caption" for m in r["history"]) == n
    assert sum(m["kind"] == "text" for m in r["history"]) == 2 * n
    assert any("[phone]" in m["text"] for m in r["history"])
    assert any("Asked for a person: " in m["text"] for m in r["history"])
    assert any("Closed: " in m["text"] for m in r["history"])
    assert all("[" in t["summary"] for t in r["tickets"])

    assert leaks(_strings(r["history"])) == []
    assert leaks(_strings(r["tickets"])) == []
    assert leaks(_strings(r["frames"])) == []

    assert_nothing_survives(data, caplog)


def assert_nothing_survives(data: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No secret of the table in the node's store (every cell of every table, every file's
    bytes) or in any log record it emitted (message, arguments, traceback)."""
    db = data / "cbcs.db"
    con = sqlite3.connect(db)
    cells: list[str] = []
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                cells.extend(_strings(list(row)))
    finally:
        con.close()
    assert "messages" in tables and "tickets" in tables
    assert any("[phone]" in c for c in cells)
    assert leaks(cells) == []
    for f in data.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            assert [s for s in SECRETS if s.encode() in raw] == [], f
    records = caplog.records
    assert any(rec.name.startswith("cbcs") for rec in records)
    logged = []
    for rec in records:
        logged.append(rec.getMessage())
        logged.append(repr(rec.args))
        if rec.exc_info:
            logged.append(logging.Formatter().formatException(rec.exc_info))
    assert leaks(logged) == []


def test_nor_through_the_ai_tier(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline AI tier answers the Mexican and Philippine sentences, then hands a
    threatening customer over with an urgent ticket summarising the conversation: its
    answers, the summary and the labelled examples keep nothing of the table either."""
    monkeypatch.delenv("CBCS_ADMIN_KEY", raising=False)
    data = tmp_path / "data"
    loaded = subprocess.run([sys.executable, "-m", "cbcs.cli", "demo-shop", "--data-dir",
                             str(data)], capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    config = ServerConfig(data_dir=data, translation="off", ai="offline", ai_voice=False,
                          captions=False, limits=Limits(per_token=FAST, per_ip=FAST,
                                                        messages_per_conversation=FAST))
    caplog.set_level(logging.DEBUG)
    chosen = [c for c in PERSONAL if c.market in ("MX", "PH")]

    async def go() -> dict[str, Any]:
        async with running(config) as (url, node):
            async with Client(url, node.auth._admin_key.decode()) as admin:
                token = await admin.mint_token("customer", "cust-mx-1")
                async with Client(url, token) as c:
                    conv = await c.start_conversation()
                    answered = 0
                    for case in chosen:   # the AI answers while it has the conversation
                        posted = await c.post_message(conv["id"], case.text)
                        if (await c.conversation(conv["id"]))["state"] == "bot":
                            await _reply(c, conv["id"], posted["seq"])
                            answered += 1
                    await c.post_message(
                        conv["id"], "voy a poner una queja en PROFECO, nadie me responde. "
                        + chosen[0].text)
                    state: dict[str, Any] = {}
                    for _ in range(200):
                        state = await c.conversation(conv["id"])
                        if state["state"] != "bot" and state["ticket_id"]:
                            break
                        await asyncio.sleep(0.05)
                    history = await c.messages(conv["id"], limit=500)
                    ticket = await c.ticket(state["ticket_id"]) if state["ticket_id"] else None
                await admin.correct_intent(conv["id"], "refund_status")
            return {"history": history, "ticket": ticket, "answered": answered}

    r = asyncio.run(go())
    assert r["answered"] >= 1
    assert sum(m["author"]["role"] == "ai" for m in r["history"]) >= r["answered"]
    assert r["ticket"] is not None and r["ticket"]["summary"]
    assert leaks(_strings(r["history"])) == []
    assert leaks(_strings(r["ticket"])) == []
    assert_nothing_survives(data, caplog)


async def _reply(client: Client, conversation: str, after: int, timeout: float = 60.0
                 ) -> dict[str, Any]:
    """The AI's first message after ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in await client.messages(conversation, after):
            if m["author"]["role"] == "ai":
                return dict(m)
        await asyncio.sleep(0.1)
    raise AssertionError("the AI did not answer")
