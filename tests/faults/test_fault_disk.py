"""The data dir's disk fills up under chat load (the embedded SQLite store on a small tmpfs
of the test's own, filled to the last byte by another file): messages are refused with
``storage_full`` (507 over REST) and never acknowledged, reads go on, the node stays up
and logs the reason once; once the file is deleted the customers' retried messages are
stored, once each, and the node logs that writes succeed again."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from fault_nodes import ADMIN_KEY, NodeProcess, SmallDisk, Talker, log_problems, until

from cbcs.client import ApiError, Client

CUSTOMERS = 3


def in_database_file(path: Path) -> set[str]:
    """The texts of the messages in the database file alone, without its write-ahead log
    (what a checkpoint has copied back)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT text FROM messages")}
    finally:
        conn.close()


def test_a_full_disk_refuses_writes_clearly_and_the_node_recovers(
        tmp_path: Path, small_disk: SmallDisk) -> None:
    node = NodeProcess(small_disk.dir / "data", tmp_path / "node.log")

    async def go() -> dict[str, Any]:
        async with Client(node.url, ADMIN_KEY) as admin:
            tokens = [await admin.mint_token("customer", f"cust-{i}")
                      for i in range(CUSTOMERS)]
        customers = [Client(node.url, t) for t in tokens]
        talkers = [Talker(c, (await c.start_conversation(language="es", market="MX"))["id"])
                   for c in customers]
        running = [asyncio.create_task(t.run()) for t in talkers]
        await until(lambda: all(len(t.acked) >= 3 for t in talkers), "chat under way")

        await asyncio.to_thread(small_disk.fill)
        # full for a while: longer than the store's checkpoint interval (1 s)
        await until(lambda: all(len(t.refused) >= 6 for t in talkers), "writes refused",
                    timeout=90)
        rest = None
        try:
            await customers[0].post_message(talkers[0].conversation, "over REST")
        except ApiError as exc:
            rest = (exc.status, exc.code)
        # reads go on while the disk is full
        readable = len(await customers[0].messages(talkers[0].conversation, 0, 500))
        health = await customers[0].request("GET", "/healthz")
        refused_before_free = [len(t.refused) for t in talkers]
        small_disk.free()
        marks = [len(t.acked) for t in talkers]
        await until(lambda: all(len(t.acked) >= m + 3 for t, m in zip(talkers, marks)),
                    "writes again once there is space", timeout=90)
        for t in talkers:
            t.stop.set()
        await asyncio.gather(*running)
        # the write-ahead log is copied back into the database file again (the store's
        # checkpoints outlived the full disk): the last message is in the file itself
        last = talkers[-1].text(talkers[-1].acked[-1][0])
        await until(lambda: last in in_database_file(small_disk.dir / "data" / "cbcs.db"),
                    "the last message checkpointed into the database file")
        histories = {t.conversation: await c.messages(t.conversation, 0, 500)
                     for t, c in zip(talkers, customers)}
        for c in customers:
            await c.close()
        return {"talkers": talkers, "histories": histories, "rest": rest,
                "readable": readable, "health": health, "refused": refused_before_free}

    try:
        r = asyncio.run(go())
        alive = node.alive()
    finally:
        log = node.terminate()
    acked = sum(len(t.acked) for t in r["talkers"])
    print(f"disk full: {acked} messages acknowledged, {sum(r['refused'])} refusals while "
          f"full ({sorted({c for t in r['talkers'] for c in t.refused})}), REST {r['rest']}")
    assert alive, "the node died of a full disk"
    assert r["rest"] == (507, "storage_full")
    # reads go on, and the node says why it is degraded
    assert r["readable"] > 0 and r["health"] == {"status": "degraded", "store": "full",
                                                 "bus": "ok"}
    for t in r["talkers"]:
        history = r["histories"][t.conversation]
        texts = [m["text"] for m in history]
        assert len(texts) == len(set(texts)), "a message retried after the disk filled " \
            "was stored twice"
        assert sorted(texts) == sorted(t.text(cid) for cid, _ in t.acked), \
            "stored without an ack, or acknowledged and not stored"
        for cid, seq in t.acked:
            assert history[seq - 1]["text"] == t.text(cid)
        assert set(t.refused) == {"storage_full"}
    assert log_problems(log) == []
    assert log.count("store: disk full") == 1, log
    assert log.count("store: writes succeed again") == 1, log
