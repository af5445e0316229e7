"""The customer's journey on a phone, in real Chromium: a Brazilian shopper on a builder's
page (one <script> tag) opens the widget at 360x740 with the keyboard, reads it in
Portuguese, asks the AI tier (the offline models, on the demo shop's orders) with the
keyboard only and gets its answer, asks for a person and gets one, loses the network while
sending a message and, once back, the message is delivered exactly once and what the agent
wrote meanwhile is there, also after a reload. Screenshots go to
$CBCS_ARTIFACTS/widget-journey."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cbcs.bench.harness.chromium import available
from cbcs.client import Client
from widget_harness import (
    artifacts,
    chromium,
    js_until,
    node_config,
    running,
    shop_page,
    shop_server,
    until,
    widget_frame,
)

pytestmark = pytest.mark.skipif(not available(), reason="needs Chromium and Playwright")

FIRST = "Olá! Onde está o meu pedido 1006?"
OFFLINE = "Ainda está aí? Posso mandar uma foto."
AGENT_1 = "Olá Juliana, sou a Ana. Sinto muito! Vou verificar o pedido 1006."
AGENT_2 = "Estou aqui, sim. Pode mandar a foto."


async def bubbles(frame: Any, text: str) -> int:
    n: int = await frame.evaluate(
        "(t) => [...document.querySelectorAll('#messages li .text')]"
        ".filter((e) => e.textContent === t).length", text)
    return n


async def tab_to(page: Any, frame: Any, element_id: str, presses: int = 12) -> None:
    """Tab (keyboard only) until the widget's element ``element_id`` has the focus."""
    for _ in range(presses):
        if await frame.evaluate("document.hasFocus() && document.activeElement.id") \
                == element_id:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def test_a_brazilian_shopper_on_a_phone_chats_goes_offline_and_loses_nothing(
        tmp_path: Path) -> None:
    shots = artifacts(tmp_path, "widget-journey")
    config = replace(node_config(tmp_path), ai="offline")
    loaded = subprocess.run([sys.executable, "-m", "cbcs.cli", "demo-shop", "--data-dir",
                             str(config.data_dir)], capture_output=True, text=True,
                            timeout=180, check=False)
    assert loaded.returncode == 0, loaded.stderr

    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with running(config) as (url, node):
            admin = Client(url, node.auth._admin_key.decode())
            # the demo's Ana, on shift whatever the hour the test runs at
            await admin.put_agent("ana", name="Ana Oliveira", languages={"pt-BR": 5, "en": 3},
                                  skills={"returns": 5, "payments": 4}, markets=["BR"],
                                  time_zone="America/Sao_Paulo", shift={})
            agent = Client(url, await admin.mint_token("agent", "ana"))
            console = await agent.live()
            await agent.set_status("ana", "available")
            token = await admin.mint_token("customer", "cust-br-1")

            async with chromium(locale="pt-BR") as b, \
                    shop_server(shop_page(url, token, market="BR")) as shop:
                page = b.page
                await page.goto(shop)
                seen["shop"] = shop.rsplit("/", 1)[0] + "/"
                await page.screenshot(path=str(shots / "1-shop-with-launcher.png"))

                # the launcher, then the widget, with the keyboard
                for _ in range(5):
                    await page.keyboard.press("Tab")
                    if await page.evaluate(
                            "document.activeElement?.hasAttribute('data-cbcs-widget')"):
                        break
                await page.keyboard.press("Enter")
                frame = await widget_frame(page)
                await js_until(frame, "() => document.querySelector('#status')"
                               ".classList.contains('state-open')", what="connected")
                seen["lang"] = await frame.evaluate("document.documentElement.lang")
                seen["texts"] = await frame.evaluate("""() => ({
                    title: document.querySelector('#title').textContent,
                    placeholder: document.querySelector('#text').placeholder,
                    status: document.querySelector('#status-text').textContent,
                    person: document.querySelector('#human').getAttribute('aria-label'),
                    send: document.querySelector('#send').getAttribute('aria-label'),
                    picker: document.querySelector('#lang').value})""")
                seen["fits"] = await frame.evaluate(
                    "document.documentElement.scrollWidth <= innerWidth")
                seen["frame_size"] = await frame.evaluate("[innerWidth, innerHeight]")
                await page.screenshot(path=str(shots / "2-widget-in-portuguese.png"))

                # keyboard only: the focus is in the message box, Enter sends
                await tab_to(page, frame, "text")
                await page.keyboard.type(FIRST)
                await page.keyboard.press("Enter")
                await js_until(frame, "() => !!document.querySelector("
                               "'#messages li.mine:not(.pending)')", what="the first message sent")
                # the AI tier answers (the first message loads its models: minutes at worst)
                await js_until(frame, "() => !!document.querySelector("
                               "'#messages li[data-role=ai][data-seq]:not([data-seq=\"\"])')",
                               what="the AI's answer", timeout=300)
                seen["ai"] = await frame.evaluate("""() => {
                    const li = document.querySelector(
                        '#messages li[data-role=ai][data-seq]:not([data-seq=""])');
                    return {who: li.querySelector('.who').textContent,
                            text: li.querySelector('.text').textContent};
                }""")
                await page.screenshot(path=str(shots / "3-the-ai-answered.png"))

                # a person: the widget's button, the agent accepts and answers
                await frame.locator("#human").tap()
                reservation = await console.next("reservation", timeout=30)
                conv = reservation["conversation"]
                await agent.accept(reservation["id"])
                await console.next("assigned", timeout=30)
                await console.send_message(conv, AGENT_1)
                await until(lambda: bubbles(frame, AGENT_1), "the agent's answer")
                seen["agent_name"] = await frame.evaluate(
                    "document.querySelector('#messages li[data-role=agent] .who').textContent")
                await page.screenshot(path=str(shots / "4-agent-answered.png"))

                # the network drops while the customer sends; the agent writes meanwhile
                await b.ctx.set_offline(True)
                await js_until(frame, "() => document.querySelector('#status')"
                               ".classList.contains('state-reconnecting')", what="offline shown",
                               timeout=15)
                await frame.locator("#text").focus()
                await page.keyboard.type(OFFLINE)
                await page.keyboard.press("Enter")
                await console.send_message(conv, AGENT_2)
                await asyncio.sleep(4)
                seen["while_offline"] = await frame.evaluate("""(t) => {
                    const li = [...document.querySelectorAll('#messages li.mine')]
                      .find((e) => e.querySelector('.text').textContent === t);
                    return {pending: li ? li.classList.contains('pending') : null,
                            banner: !document.querySelector('#banner').hidden};
                }""", OFFLINE)
                seen["agent_2_while_offline"] = await bubbles(frame, AGENT_2)
                await page.screenshot(path=str(shots / "5-offline-message-waiting.png"))
                await b.ctx.set_offline(False)

                await js_until(frame, """(t) => [...document.querySelectorAll(
                    '#messages li.mine:not(.pending) .text')].some((e) => e.textContent === t)""",
                               OFFLINE, what="the offline message delivered")
                await until(lambda: bubbles(frame, AGENT_2), "the agent's message sent offline")
                await asyncio.sleep(1.5)   # time for any duplicate to show up
                seen["shown"] = {t: await bubbles(frame, t)
                                 for t in (FIRST, OFFLINE, AGENT_1, AGENT_2)}
                seen["banner_after"] = await frame.evaluate(
                    "document.querySelector('#banner').hidden")
                await page.screenshot(path=str(shots / "6-back-online-delivered-once.png"))

                # a reload of the widget: the same conversation, every message once
                await frame.evaluate("location.reload()")
                frame = await widget_frame(page)
                await until(lambda: bubbles(frame, AGENT_2), "the history after a reload")
                seen["after_reload"] = {t: await bubbles(frame, t)
                                        for t in (FIRST, OFFLINE, AGENT_1, AGENT_2)}
                # Escape closes it and gives the focus back to the launcher
                await frame.locator("#text").focus()
                await page.keyboard.press("Escape")
                seen["closed_to_launcher"] = await js_until(page, (
                    "() => document.activeElement?.hasAttribute('data-cbcs-widget')"),
                    what="the focus back on the launcher")
                seen["requests"] = list(b.requests)
                seen["errors"] = list(b.errors)

            stored = await agent.messages(conv)
            seen["stored"] = [(m["author"]["role"], m["text"]) for m in stored]
            await console.close()
            await agent.close()
            await admin.close()
            seen["url"] = url
        return seen

    seen = asyncio.run(go())
    assert seen["lang"] == "pt-BR", seen
    assert seen["texts"] == {"title": "Ajuda", "placeholder": "Digite sua mensagem",
                             "status": "Conectado", "person": "Falar com uma pessoa",
                             "send": "Enviar", "picker": "pt-BR"}, seen["texts"]
    assert seen["frame_size"] == [360, 740] and seen["fits"], seen   # full screen, no sideways scroll
    assert seen["ai"]["who"].startswith("Assistente virtual") and seen["ai"]["text"].strip(), seen
    assert seen["agent_name"].startswith("Ana"), seen
    assert seen["while_offline"] == {"pending": True, "banner": True}, seen
    assert seen["agent_2_while_offline"] == 0, seen   # it was not there while offline ...
    assert seen["shown"] == {FIRST: 1, OFFLINE: 1, AGENT_1: 1, AGENT_2: 1}, seen  # ... then once
    assert seen["banner_after"] is True, seen
    assert seen["after_reload"] == seen["shown"], seen
    assert seen["closed_to_launcher"] is True, seen
    assert any(role == "ai" for role, _ in seen["stored"]), seen["stored"]
    customer_said = [t for role, t in seen["stored"] if role == "customer"]
    assert customer_said == [FIRST, OFFLINE], seen["stored"]   # stored once each, in order
    outside = [u for u in seen["requests"]
               if not u.startswith((seen["url"] + "/", seen["shop"]))]
    assert not outside, outside
    assert not seen["errors"], seen["errors"]
