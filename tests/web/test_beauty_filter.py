"""The beauty filter in real Chromium: skin gets smoother; other colours and edges stay."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any


def test_skin_is_smoothed_and_the_rest_is_kept(chromium_page: Any,
                                               web_dirs: tuple[Path, Path]) -> None:
    async def go() -> Any:
        async with chromium_page(*web_dirs) as (page, origin):
            await page.goto(f"{origin}/data/beauty.html")
            return await page.evaluate("check()")

    r = asyncio.run(go())
    before, after = r["before"], r["after"]
    assert after["skin"]["sd"] < 0.5 * before["skin"]["sd"], r  # the noise on skin halves
    assert abs(after["skin"]["mean"] - before["skin"]["mean"]) < 3, r  # same tone
    assert abs(after["blue"]["sd"] - before["blue"]["sd"]) < 0.5, r  # not skin: untouched
    assert abs(after["edge"]["mean"] - before["edge"]["mean"]) < 8, r  # the edge stays dark
