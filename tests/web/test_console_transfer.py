"""A warm transfer in two agent consoles (real Chromium, no AI tier): the first agent is
on a call with the conversation, hands it on with a reason; the second is offered it (not
the first again), accepts, reads the history and the reason, joins the call while the
first agent is still on it, and the first hangs up."""

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


def test_a_warm_transfer_reaches_the_next_agent_while_the_first_is_on_the_call(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.async_api import async_playwright, expect

    monkeypatch.delenv("CBCS_ADMIN_KEY", raising=False)
    config = ServerConfig(data_dir=tmp_path / "data", ai="off", translation="off",
                          call_addresses=("127.0.0.1",))
    shots = Path(os.environ.get("CBCS_ARTIFACTS") or tmp_path) / "console-transfer"
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    async def go() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with running(config) as (url, node), async_playwright() as pw:
            admin = Client(url, node.auth._admin_key.decode())
            for agent, name in (("maria", "Maria Santos"), ("jose", "Jose Reyes")):
                await admin.put_agent(agent, name=name, languages={"en": 5},
                                      time_zone="Asia/Manila",
                                      capacity={"chat": 2, "voice": 1})
            await admin.put_queue("default", offer_timeout_s=60)
            customer = Client(url, await admin.mint_token("customer", "cust-1"))
            ctx = await pw.chromium.launch_persistent_context(
                tempfile.mkdtemp(prefix="cbcs-chromium-"), executable_path=CHROMIUM,
                headless=True, args=FLAGS, viewport={"width": 1280, "height": 900})
            try:
                pages = {}
                for agent in ("maria", "jose"):
                    page = pages[agent] = await ctx.new_page()
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    token = await admin.mint_token("agent", agent)
                    await page.goto(f"{url}/web/console/#token={token}")
                    await expect(page.locator("#link")).to_have_text("connected")
                first, second = pages["maria"], pages["jose"]
                await first.select_option("#presence", "available")
                await expect(first.locator("#presence")).to_have_value("available")

                conv = (await customer.start_conversation("voice", language="en",
                                                          market="PH"))["id"]
                await customer.post_message(conv, "I was charged twice for one order.")
                await customer.escalate(conv, "wants a person")
                offer = first.locator(f'#offers .offer[data-conversation="{conv}"]')
                await offer.get_by_role("button", name="Accept").click()
                await expect(first.locator("#history")).to_contain_text("charged twice")
                await first.get_by_role("button", name="Start voice call").click()
                await expect(first.locator("#call-state")).to_have_text("On call",
                                                                        timeout=30_000)

                await second.select_option("#presence", "available")
                await expect(second.locator("#presence")).to_have_value("available")
                await first.fill("#transfer-reason", "double charge: payments team")
                await first.get_by_role("button", name="Transfer").click()
                await expect(first.locator("#composer-note")).to_contain_text("Transferred")
                taken = second.locator(f'#offers .offer[data-conversation="{conv}"]')
                await taken.get_by_role("button", name="Accept").click(timeout=30_000)
                history = second.locator("#history")
                await expect(history).to_contain_text("charged twice")
                await expect(history).to_contain_text("double charge: payments team")
                await second.get_by_role("button", name="Start voice call").click()
                await expect(second.locator("#call-state")).to_have_text("On call",
                                                                         timeout=30_000)
                await expect(second.locator("#legs tbody tr")).to_have_count(
                    2, timeout=30_000)
                seen["legs"] = await second.locator("#legs").inner_text()
                await second.screenshot(path=str(shots / "01-second-agent-joined.png"),
                                        full_page=True)
                await first.get_by_role("button", name="Hang up").click()
                await expect(first.locator("#call-state")).to_have_text("Call ended")
                await expect(second.locator("#call-state")).to_have_text(
                    re.compile("left the call"), timeout=30_000)
                seen["first_list"] = await first.locator("#conversations").inner_text()
                seen["state"] = await customer.conversation(conv)
                await first.screenshot(path=str(shots / "02-first-agent-after.png"),
                                       full_page=True)
                await second.get_by_role("button", name="Hang up").click()
            finally:
                await ctx.close()
                await customer.close()
                await admin.close()
        return seen

    seen = asyncio.run(go())
    assert not errors, errors
    assert seen["state"]["agent_id"] == "jose" and seen["state"]["state"] == "assigned"
    assert "Agent" in seen["legs"] and seen["legs"].count("Agent") >= 2, seen["legs"]
    assert "cust-1" not in seen["first_list"], seen["first_list"]
