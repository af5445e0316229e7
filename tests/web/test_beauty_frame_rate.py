"""The beauty filter does not cost the sent video its frame rate: a 640x480 camera at
30 frames/s (Chromium's fake device) sent over a loopback RTCPeerConnection in headless
Chromium, frames encoded per second read from the sender's outbound-rtp stats with the
filter off and on (alternating, twice each). The bar: on is at least 90 % of off. Both
rates are printed and written to $CBCS_ARTIFACTS/beauty_fps.json."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cbcs.bench.harness.chromium import CHROMIUM, FLAGS, available

STATIC = Path(__file__).parents[2] / "python" / "cbcs" / "web" / "static"
HARNESS = Path(__file__).parent / "data"
#: the fake camera at 30 frames/s (its default is 20)
CAMERA_FLAGS = [f if f != "--use-fake-device-for-media-stream"
                else "--use-fake-device-for-media-stream=fps=30" for f in FLAGS]

pytestmark = pytest.mark.skipif(not available(), reason="needs Chromium and Playwright")


@contextlib.asynccontextmanager
async def camera_page() -> AsyncIterator[Any]:
    """A Chromium page with the 30 fps fake camera on the harness page."""
    from playwright.async_api import async_playwright

    app = web.Application()
    for d in (STATIC, HARNESS):
        app.router.add_static(f"/{d.name}/", d)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with async_playwright() as pw:
        ctx = await pw.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="cbcs-chromium-"), executable_path=CHROMIUM,
            headless=True, args=CAMERA_FLAGS)
        try:
            page = ctx.pages[0] if ctx.pages else await ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{origin}/data/beauty_fps.html")
            yield page
            assert not errors, errors
        finally:
            await ctx.close()
            await runner.cleanup()


def artifacts(tmp_path: Path) -> Path:
    out = Path(os.environ.get("CBCS_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_the_beauty_filter_keeps_the_cameras_frame_rate(tmp_path: Path) -> None:
    async def go() -> dict[str, Any]:
        async with camera_page() as page:
            camera = await page.evaluate("setup()")
            await page.evaluate("measure(4, 1)")   # the loopback's bandwidth estimate ramps up
            runs: list[dict[str, Any]] = []
            for on in (False, True, False, True):
                await page.evaluate("(on) => useFilter(on)", on)
                r = await page.evaluate("measure(2, 6)")
                r["filter"] = on
                runs.append(r)
            await page.evaluate("teardown()")
            return {"camera": camera, "runs": runs}

    result = asyncio.run(go())
    runs = result["runs"]
    off = [r["fps"] for r in runs if not r["filter"]]
    on = [r["fps"] for r in runs if r["filter"]]
    figures = {
        "camera": {k: result["camera"].get(k) for k in ("width", "height", "frameRate")},
        "fps_off": round(sum(off) / len(off), 2), "fps_on": round(sum(on) / len(on), 2),
        "runs": [{"filter": r["filter"], "fps": round(r["fps"], 2),
                  "stats_fps": r["stats_fps"], "frame": f"{r['width']}x{r['height']}",
                  "limitation": r["limitation"], "in_worker": r["in_worker"],
                  "filter_ms": None if r["filter_ms"] is None else round(r["filter_ms"], 2)}
                 for r in runs],
    }
    (artifacts(tmp_path) / "beauty_fps.json").write_text(json.dumps(figures, indent=2))
    print(f"\nbeauty filter: {figures['fps_off']} fps off, {figures['fps_on']} fps on "
          f"(640x480 camera at {figures['camera']['frameRate']} fps); runs: {figures['runs']}")
    assert figures["camera"] == {"width": 640, "height": 480, "frameRate": 30}, figures
    assert all(r["filter_ms"] for r in runs if r["filter"]), figures  # it did filter ...
    assert all(r["in_worker"] for r in runs if r["filter"]), figures  # ... off the main thread
    assert figures["fps_on"] >= 0.9 * figures["fps_off"], figures
