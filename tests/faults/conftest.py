"""Fixtures of the fault suite: a PostgreSQL and a Redis of the test's own (on loopback, in
its temporary directory, the way scripts/test-servers.sh starts them) that a test may stop
and start again on the same port; ``cbcs serve`` nodes whose log goes to a file the test
reads; a data dir on a small filesystem of its own that a test can fill."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_nodes import PostgresServer, RedisServer, SmallDisk


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis that only this test uses (so it may restart it)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/install-system-deps.sh)")
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL that only this test uses (so it may restart it)."""
    if PostgresServer.bin_dir() is None:
        pytest.skip("PostgreSQL is not installed (scripts/install-system-deps.sh)")
    # PostgreSQL refuses to run as root: its directory then belongs to the postgres user
    where = Path("/tmp") / f"cbcs-fault-pg-{uuid.uuid4().hex[:8]}" if os.getuid() == 0 \
        else tmp_path / "pg"
    server = PostgresServer(where)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", str(where)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 24 MB filesystem of the test's own (tmpfs), for a data dir that can fill up."""
    disk = SmallDisk(tmp_path / "disk", size_mb=24)
    reason = disk.mount()
    if reason:
        pytest.skip(f"no filesystem of its own to fill: {reason}")
    try:
        yield disk
    finally:
        disk.unmount()
