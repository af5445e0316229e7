"""The widget speaks the customer's language from the first screen: the browser's language
picks it (pt-PT -> pt-BR, zh-TW -> zh, anything unknown -> English), the picker changes it
at once (with the keyboard), and every language's screen fits a 360 px phone without
sideways scrolling. A screenshot per language goes to $CBCS_ARTIFACTS/widget-languages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from cbcs.bench.harness.chromium import available
from cbcs.client import Client
from widget_harness import artifacts, chromium, js_until, node_config, running

pytestmark = pytest.mark.skipif(not available(), reason="needs Chromium and Playwright")
WIDGET = Path(__file__).parents[2] / "python" / "cbcs" / "web" / "static" / "widget"
BROWSERS = {"pt-PT": "pt-BR", "es-AR": "es", "zh-TW": "zh", "de-DE": "en"}

SCREEN = """() => ({lang: document.documentElement.lang,
  title: document.querySelector('#title').textContent,
  placeholder: document.querySelector('#text').placeholder,
  greeting: document.querySelector('#messages li .text').textContent,
  fits: document.documentElement.scrollWidth <= innerWidth})"""


def title(lang: str) -> str:
    return str(json.loads((WIDGET / "i18n" / f"{lang}.json").read_text("utf-8"))
               ["widget.title"])


def test_the_widget_opens_in_the_browsers_language_and_the_picker_changes_it(
        tmp_path: Path) -> None:
    shots = artifacts(tmp_path, "widget-languages")

    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with running(node_config(tmp_path)) as (url, node):
            async with Client(url, node.auth._admin_key.decode()) as admin:
                token = await admin.mint_token("customer", "cust-1")
            for browser_lang in BROWSERS:
                async with chromium(locale=browser_lang) as b:
                    await b.page.goto(f"{url}/web/widget/#token={token}")
                    await js_until(b.page, "() => document.body.dataset.ready === '1'",
                                   what="the widget")
                    seen[browser_lang] = await b.page.evaluate(SCREEN)
                    await b.page.screenshot(path=str(shots / f"{browser_lang}.png"))
                    if browser_lang == "de-DE":
                        # the picker, with the keyboard: to 中文
                        await b.page.locator("#lang").focus()
                        await b.page.keyboard.press("End")
                        await js_until(b.page, "() => document.documentElement.lang === 'zh'",
                                       what="the page in Chinese")
                        seen["picked"] = await b.page.evaluate(SCREEN)
                        await b.page.screenshot(path=str(shots / "picked-zh.png"))
                        seen["errors"] = list(b.errors)
        return seen

    seen = asyncio.run(go())
    for browser_lang, lang in BROWSERS.items():
        screen = seen[browser_lang]
        assert screen["lang"] == lang and screen["title"] == title(lang), (browser_lang, screen)
        assert screen["fits"], (browser_lang, screen)
    assert len({seen[b]["placeholder"] for b in BROWSERS}) == 4, seen   # four languages
    assert seen["picked"]["title"] == title("zh") and seen["picked"]["fits"], seen
    assert seen["picked"]["greeting"] == seen["zh-TW"]["greeting"], seen
    assert not seen["errors"], seen["errors"]
