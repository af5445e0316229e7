"""A real node on loopback for each test (aiohttp's runner on a free port)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from cbcs.server.app import Node, create_app
from cbcs.server.config import ServerConfig


@contextlib.asynccontextmanager
async def running(config: ServerConfig) -> AsyncIterator[tuple[str, Node]]:
    """Serve ``config`` on 127.0.0.1 at a free port; yields (base URL, node)."""
    node = Node(config)
    runner = web.AppRunner(create_app(config, node=node), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", node
    finally:
        await runner.cleanup()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ServerConfig:
    monkeypatch.delenv("CBCS_ADMIN_KEY", raising=False)
    return ServerConfig(data_dir=tmp_path / "data")


@pytest.fixture
def serve() -> object:
    """``async with serve(config) as (url, node)``: a node on loopback."""
    return running


def with_limits(config: ServerConfig, **changes: object) -> ServerConfig:
    """``config`` with some of its limits changed."""
    return replace(config, limits=replace(config.limits, **changes))
