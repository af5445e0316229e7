"""Shared fixtures. Real PostgreSQL and Redis servers for the store and bus tests: the ones
CI started (``CBCS_TEST_POSTGRES``, ``CBCS_TEST_REDIS``), or started here on loopback for
the session with scripts/test-servers.sh, and stopped at the end. A stock aiortc client
for the cbcs peer and the node's calls to talk to, over loopback (real UDP, real DTLS)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cbcs.bench.harness.stock import StockClient

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, str]]:
    """``{"postgresql": URL, "redis": URL}`` of running servers."""
    given = {"postgresql": os.environ.get("CBCS_TEST_POSTGRES"),
             "redis": os.environ.get("CBCS_TEST_REDIS")}
    if all(given.values()):
        yield given  # type: ignore[misc]
        return
    where = tempfile.mkdtemp(prefix="cbcs-servers-")
    script = str(ROOT / "scripts" / "test-servers.sh")
    out = subprocess.run(["bash", script, "start", where], check=True, capture_output=True,
                         text=True).stdout
    urls = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines()
                if line.startswith("export "))
    try:
        yield {"postgresql": urls["CBCS_TEST_POSTGRES"], "redis": urls["CBCS_TEST_REDIS"]}
    finally:
        subprocess.run(["bash", script, "stop", where], check=False)


async def _create_database(admin_url: str, name: str) -> None:
    import asyncpg
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def fresh_postgres(servers: dict[str, str]) -> str:
    """A new, empty database on the test server; its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    asyncio.run(_create_database(servers["postgresql"], name))
    return servers["postgresql"].rsplit("/", 1)[0] + "/" + name


def flushed_redis(servers: dict[str, str]) -> str:
    import redis
    client = redis.Redis.from_url(servers["redis"])
    client.flushall()
    client.close()
    return servers["redis"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on an embedded SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cbcs.db'}"
    return fresh_postgres(request.getfixturevalue("servers"))


@pytest.fixture(params=["memory", "redis"])
def bus_url(request: pytest.FixtureRequest) -> str:
    """Each bus test runs in-process and on the Redis server."""
    if request.param == "memory":
        return "memory://"
    return flushed_redis(request.getfixturevalue("servers"))


@pytest.fixture
def postgres_url(servers: dict[str, str]) -> str:
    """A fresh database on the PostgreSQL test server."""
    return fresh_postgres(servers)


@pytest.fixture
def redis_url(servers: dict[str, str]) -> str:
    """The Redis test server, emptied."""
    return flushed_redis(servers)


@pytest.fixture
def aiortc_client() -> type[StockClient]:
    """The class of the stock aiortc client (tests create one per call)."""
    return StockClient
