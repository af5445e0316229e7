"""The agent console's own controls in real Chromium, on a node without the AI tier (fast):
presence, an offer refused and one taken, a ticket created, its priority and status
changed and closed with the conversation; the customer (Python client) reads the reply."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from cbcs.bench.harness import chromium
from cbcs.bench.harness.chromium import CHROMIUM, FLAGS
from cbcs.client import Client
from cbcs.server.app import running
from cbcs.server.config import ServerConfig

pytestmark = pytest.mark.skipif(not chromium.available(),
                                reason="needs Debian chromium and PyPI playwright")


def test_an_agent_refuses_takes_and_works_a_ticket_in_the_console(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.async_api import async_playwright, expect

    monkeypatch.delenv("CBCS_ADMIN_KEY", raising=False)
    config = ServerConfig(data_dir=tmp_path / "data", ai="off", translation="off")
    shots = Path(os.environ.get("CBCS_ARTIFACTS") or tmp_path) / "console-tickets"
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with running(config) as (url, node), async_playwright() as pw:
            admin = Client(url, node.auth._admin_key.decode())
            await admin.put_agent("maria", name="Maria Santos", languages={"en": 5},
                                  time_zone="Asia/Manila", capacity={"chat": 2})
            await admin.put_queue("default", offer_timeout_s=60)
            token = await admin.mint_token("agent", "maria")
            customer = Client(url, await admin.mint_token("customer", "cust-1"))
            ctx = await pw.chromium.launch_persistent_context(
                tempfile.mkdtemp(prefix="cbcs-chromium-"), executable_path=CHROMIUM,
                headless=True, args=FLAGS, viewport={"width": 1280, "height": 900})
            try:
                page = ctx.pages[0] if ctx.pages else await ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(f"{url}/web/console/#token={token}")
                await expect(page.locator("#link")).to_have_text("connected")
                await page.select_option("#presence", "available")
                await expect(page.locator("#presence")).to_have_value("available")

                refused = (await customer.start_conversation(language="en", market="PH"))["id"]
                await customer.post_message(refused, "Hello?")
                await customer.escalate(refused, "wants a person")
                offer = page.locator(f'#offers .offer[data-conversation="{refused}"]')
                await expect(offer).to_contain_text(re.compile(r"\d+ s left"))
                await offer.get_by_role("button", name="Reject").click()
                await expect(offer).to_have_count(0)   # it moves on (not to her again)
                await expect(page.locator("#no-offers")).to_be_visible()
                first = (await customer.start_conversation(language="en", market="PH"))["id"]
                await customer.post_message(first, "My parcel never arrived.")
                await customer.escalate(first, "wants a person")
                offer = page.locator(f'#offers .offer[data-conversation="{first}"]')
                await offer.get_by_role("button", name="Accept").click()
                history = page.locator("#history")
                await expect(history).to_contain_text("My parcel never arrived.")
                await expect(page.locator("#conv-state")).to_have_text("assigned")

                await page.fill("#reply", "Sorry to hear that, I am checking with the "
                                          "courier.")
                await page.get_by_role("button", name="Send").click()
                for _ in range(100):
                    said = [m for m in await customer.messages(first)
                            if m["author"]["role"] == "agent"]
                    if said:
                        break
                    await asyncio.sleep(0.1)
                seen["reply"] = said

                await page.locator("#ticket-new summary").click()
                await page.select_option("#ticket-category", "delivery")
                await page.select_option("#ticket-priority", "high")
                await page.fill("#ticket-summary", "Courier lost the parcel; trace it.")
                await page.get_by_role("button", name="Create ticket").click()
                card = page.locator("#tickets .ticket").first
                await expect(card).to_contain_text("Delivery")
                await expect(card).to_contain_text("Open")
                await expect(card.locator("select")).to_have_value("high")
                await card.locator("select").select_option("urgent")
                await expect(page.locator("#tickets .ticket").first.locator("select")
                             ).to_have_value("urgent")
                await page.locator("#tickets .ticket").first.get_by_role(
                    "button", name="Wait on customer").click()
                await expect(page.locator("#tickets .ticket").first).to_contain_text("Pending")
                await page.screenshot(path=str(shots / "01-console-ticket-pending.png"),
                                      full_page=True)
                seen["tickets"] = (await admin.request(
                    "GET", f"/api/v1/conversations/{first}/history"))["tickets"]

                await page.fill("#resolution", "Courier traced the parcel; delivered.")
                await page.get_by_role("button", name="Close conversation").click()
                await expect(page.locator("#conv-state")).to_have_text(
                    re.compile("closed|wrap-up"))
                await expect(page.locator("#tickets .ticket").first).to_contain_text("Closed")
                await page.screenshot(path=str(shots / "02-console-closed.png"),
                                      full_page=True)
                seen["closed"] = (await admin.request(
                    "GET", f"/api/v1/conversations/{first}/history"))["tickets"]
            finally:
                await ctx.close()
                await customer.close()
                await admin.close()
        return seen

    seen = asyncio.run(go())
    assert not errors, errors
    assert seen["reply"] and "courier" in seen["reply"][0]["text"]
    [ticket] = seen["tickets"]
    assert (ticket["category"], ticket["priority"], ticket["status"]) == (
        "delivery", "urgent", "pending")
    [closed] = seen["closed"]
    assert closed["status"] == "closed" and "Resolution: Courier traced" in closed["summary"]
