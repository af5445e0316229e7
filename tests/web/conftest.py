"""Headless Chromium on pages served from the package (and test harness pages)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cbcs.bench.harness.chromium import CHROMIUM, FLAGS

STATIC = Path(__file__).parents[2] / "python" / "cbcs" / "web" / "static"
HARNESS = Path(__file__).parent / "data"


@contextlib.asynccontextmanager
async def page_on(*dirs: Path) -> AsyncIterator[tuple[Any, str]]:
    """A Chromium page and the loopback origin that serves ``dirs`` (first match wins)."""
    from playwright.async_api import async_playwright

    app = web.Application()
    for d in dirs:
        app.router.add_static(f"/{d.name}/", d)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    profile = tempfile.mkdtemp(prefix="cbcs-chromium-")
    async with async_playwright() as pw:
        ctx = await pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = ctx.pages[0] if ctx.pages else await ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, origin
            assert not errors, errors
        finally:
            await ctx.close()
            await runner.cleanup()


@pytest.fixture
def chromium_page() -> Any:
    """``async with chromium_page(dir, ...) as (page, origin)``."""
    return page_on


@pytest.fixture
def web_dirs() -> tuple[Path, Path]:
    """The package's static files and the tests' harness pages."""
    return STATIC, HARNESS
