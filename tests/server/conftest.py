"""A real node on loopback for each test (aiohttp's runner on a free port)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cbcs.server.app import running
from cbcs.server.config import ServerConfig


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
