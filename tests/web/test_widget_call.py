"""A Mexican customer on a phone, in real Chromium: the widget in Spanish, the agent's
English message shown in its Spanish translation (the original a tap away), a video call
through the node started with the keyboard, the connection-quality indicator from the
call's stats, the beauty filter on the sent video, captions in the customer's language,
and hanging up. Screenshots go to $CBCS_ARTIFACTS/widget-call."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from cbcs.bench.harness.chromium import available
from cbcs.client import Client
from widget_harness import artifacts, chromium, js_until, node_config, running, until

pytestmark = pytest.mark.skipif(not available(), reason="needs Chromium and Playwright")

SAID = "Hello Fernanda, I can refund the lamp today."
SAID_ES = "Hola Fernanda, puedo reembolsarte la lámpara hoy."
CAPTION_EN = "the refund will reach your card in three days"
CAPTION_ES = "el reembolso llegará a tu tarjeta en tres días"


def test_a_customer_on_a_phone_reads_translations_and_makes_a_video_call(
        tmp_path: Path) -> None:
    shots = artifacts(tmp_path, "widget-call")

    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with running(node_config(tmp_path)) as (url, node):
            admin = Client(url, node.auth._admin_key.decode())
            # (routing asks for Spanish: this node translates nothing itself)
            await admin.put_agent("ana", name="Ana", languages={"en": 5, "zh": 5, "es": 2},
                                  markets=["MX"])
            await admin.put_queue("default", offer_timeout_s=60)
            agent = Client(url, await admin.mint_token("agent", "ana"))
            console = await agent.live()
            await agent.set_status("ana", "available")
            token = await admin.mint_token("customer", "cust-mx-1")
            customer = Client(url, token)

            async with chromium(locale="es-MX") as b:
                page = b.page
                await page.goto(f"{url}/web/widget/#token={token}&market=MX")
                await js_until(page, "() => document.body.dataset.ready === '1' && "
                               "document.querySelector('#status').classList.contains("
                               "'state-open')", what="the widget connected")
                seen["address"] = page.url   # the token is not left in the address bar
                # the first message starts the conversation; a person takes it
                await page.locator("#text").fill("Quiero un reembolso de la lámpara")
                await page.keyboard.press("Enter")
                await js_until(page, "() => !!document.querySelector('li.mine:not(.pending)')",
                               what="sent")
                conv = await page.evaluate("window.cbcsWidget.state.conversation")
                await customer.escalate(conv, "refund")
                reservation = await console.next("reservation", timeout=30)
                await agent.accept(reservation["id"])
                await console.next("assigned", timeout=30)
                # the agent's English message, with its Spanish translation
                c = await node.store.get_conversation(conv)
                await node.centre.post_as("agent", "ana", c, "m-1", SAID,
                                          translations={"es": SAID_ES},
                                          translated_by={"es": "test"})
                await js_until(page, "(t) => [...document.querySelectorAll('li .text')]"
                               ".some((e) => e.textContent === t)", SAID_ES,
                               what="the translation shown")
                seen["original"] = await page.evaluate(
                    "document.querySelector('li[data-role=agent] details span').textContent")

                # a video call, with the keyboard
                for _ in range(15):
                    if await page.evaluate("document.activeElement.id") == "video":
                        break
                    await page.keyboard.press("Tab")
                await page.keyboard.press("Enter")
                await js_until(page, "() => window.cbcsWidget.state.call?.state === "
                               "'connected'", what="the call connected", timeout=40)
                await js_until(page, "() => !document.querySelector('#quality').hidden",
                               what="the quality indicator", timeout=20)
                seen["quality"] = await page.evaluate(
                    "[document.querySelector('#quality').dataset.level,"
                    " document.querySelector('#quality').getAttribute('aria-label')]")
                seen["call_state"] = await page.evaluate(
                    "document.querySelector('#call-state').textContent")
                # the beauty filter on: the sent track becomes the filter's
                await page.locator("#beauty").click()
                await js_until(page, "() => document.querySelector('#beauty')"
                               ".getAttribute('aria-pressed') === 'true'", what="beauty on")
                seen["filtered"] = await page.evaluate("""() => {
                    const c = window.cbcsWidget.state.call;
                    return c.videoSender.track === c.filter.track
                        && c.videoSender.track !== c.local.getVideoTracks()[0]
                        && Boolean(c.filter.worker);   // in its worker, under the page's CSP
                }""")
                await asyncio.sleep(2)
                seen["filter_ms"] = await page.evaluate(
                    "window.cbcsWidget.state.call.filter.meanCostMs()")

                async def frames_sent() -> Any:
                    return await page.evaluate("""async () => {
                        let n = 0;
                        (await window.cbcsWidget.state.call.pc.getStats()).forEach((s) => {
                            if (s.type === 'outbound-rtp' && s.kind === 'video') n = s.framesEncoded;
                        });
                        return n;
                    }""")
                first = await frames_sent()
                await until(lambda: _more(frames_sent, first), "filtered video frames sent")

                # captions: the agent's words in English, shown in Spanish
                caption = {"type": "caption", "conversation": conv, "speaker": "agent",
                           "text": CAPTION_EN, "lang": "en", "final": False, "phrase": 1}
                await node.centre.publish(conv, caption)
                await js_until(page, "(t) => document.querySelector('#captions')"
                               ".textContent.includes(t)", CAPTION_EN, what="interim caption")
                await node.centre.publish(conv, {**caption, "final": True,
                                                 "translations": {"es": CAPTION_ES}})
                await js_until(page, "(t) => document.querySelector('#captions')"
                               ".textContent.includes(t)", CAPTION_ES, what="final caption")
                seen["captions"] = await page.evaluate(
                    "document.querySelector('#captions').textContent")
                await page.screenshot(path=str(shots / "1-video-call-beauty-captions.png"))

                await page.locator("#hangup").click()
                await js_until(page, "() => document.querySelector('#call').hidden",
                               what="the call closed", timeout=15)
                await page.screenshot(path=str(shots / "2-after-the-call.png"))
                seen["errors"] = list(b.errors)
            await console.close()
            for client in (customer, agent, admin):
                await client.close()
        return seen

    seen = asyncio.run(go())
    assert "token=" not in seen["address"], seen["address"]
    assert seen["original"] == SAID, seen
    assert seen["call_state"] == "En llamada", seen
    level, label = seen["quality"]
    assert level in ("good", "fair", "poor") and label.startswith("Calidad de la conexión"), seen
    assert seen["filtered"] is True and seen["filter_ms"] > 0, seen
    assert CAPTION_ES in seen["captions"] and CAPTION_EN not in seen["captions"], seen
    assert not seen["errors"], seen["errors"]


async def _more(count: Any, than: int) -> bool:
    return bool(await count() > than + 10)
