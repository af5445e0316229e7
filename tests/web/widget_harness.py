"""What the widget's browser tests share: a node serving the pages, a phone-sized Chromium
with a request log, a builder's shop page that embeds the widget with one tag, and the
directory screenshots go to ($CBCS_ARTIFACTS, else the test's tmp dir)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbcs.bench.harness.chromium import CHROMIUM, FLAGS
from cbcs.server.app import running
from cbcs.server.config import ServerConfig

PHONE = {"width": 360, "height": 740}


def artifacts(tmp_path: Path, name: str) -> Path:
    """Where a test's screenshots go: $CBCS_ARTIFACTS/<name> (CI keeps it) or tmp_path."""
    base = os.environ.get("CBCS_ARTIFACTS")
    out = Path(base) / name if base else tmp_path / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def node_config(tmp_path: Path) -> ServerConfig:
    """A node with the AI tier and translation off (a person answers: see the note in the
    journey test) on loopback."""
    return ServerConfig(data_dir=tmp_path / "data", ai="off", translation="off",
                        captions=False, ai_voice=False, call_addresses=("127.0.0.1",))


@dataclass
class Browser:
    """A Chromium context and its first page; every request's URL and every page error."""

    ctx: Any
    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def chromium(*, locale: str = "en-US", phone: bool = True) -> AsyncIterator[Browser]:
    """Headless Debian Chromium (the project's flags) at a phone's viewport and ``locale``."""
    from playwright.async_api import async_playwright

    profile = tempfile.mkdtemp(prefix="cbcs-chromium-")
    async with async_playwright() as pw:
        extra: dict[str, Any] = {"viewport": PHONE, "is_mobile": True, "has_touch": True} \
            if phone else {}
        ctx = await pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, locale=locale,
            **extra)
        try:
            page = ctx.pages[0] if ctx.pages else await ctx.new_page()
            b = Browser(ctx, page)
            ctx.on("request", lambda r: b.requests.append(r.url))
            ctx.on("weberror", lambda e: b.errors.append(str(e.error)))
            page.on("console", lambda m: b.console.append(f"{m.type}: {m.text}"))
            yield b
        finally:
            await ctx.close()


def shop_page(node_url: str, token: str, **data: str) -> str:
    """A builder's page embedding the widget with one tag."""
    attrs = "".join(f' data-{k}="{v}"' for k, v in data.items())
    return ("<!doctype html><html lang='pt-BR'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Loja Lumen</title></head><body><h1>Loja Lumen</h1>"
            "<p>Sofás, mesas e luminárias.</p>"
            f"<script src='{node_url}/widget.js' data-token='{token}'{attrs}></script>"
            "</body></html>")


@contextlib.asynccontextmanager
async def shop_server(html: str, path: str = "/loja.html") -> AsyncIterator[str]:
    """The builder's site on loopback (another origin than the node's: ``localhost``, not
    127.0.0.1, and its own port) answering ``path`` with ``html``; yields the page's URL."""
    from aiohttp import web

    async def shop(_request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get(path, shop)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://localhost:{runner.addresses[0][1]}{path}"
    finally:
        await runner.cleanup()


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy; AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def widget_frame(page: Any) -> Any:
    """The widget's iframe (inside the loader's closed shadow root) once it has started."""
    async def find() -> Any:
        for f in page.frames:
            if "/web/widget/" in f.url:
                return f
        return None
    frame = await until(find, "the widget's iframe")
    await js_until(frame, "() => document.body && document.body.dataset.ready === '1'",
                   what="the widget to start")
    return frame


async def js_until(frame: Any, predicate: str, arg: Any = None, *, what: str = "",
                   timeout: float = 30.0) -> Any:
    """Poll a JavaScript function in ``frame`` until it returns something truthy. (Not
    Playwright's wait_for_function: that evaluates strings, which the pages' CSP refuses.)"""
    async def check() -> Any:
        try:
            return await frame.evaluate(predicate, arg)
        except Exception as exc:
            if "Execution context was destroyed" in str(exc):
                return None
            raise
    return await until(check, what or predicate, timeout)


__all__ = [
    "Browser",
    "artifacts",
    "chromium",
    "js_until",
    "node_config",
    "running",
    "shop_page",
    "shop_server",
    "until",
    "widget_frame",
]
