"""Real headless Chromium (Debian chromium, via Playwright) calling the cbcs peer over
loopback through the link emulator: audio both ways, measured at the audio level."""

from __future__ import annotations

import asyncio

import pytest

from cbcs.media import netsim
from cbcs.rtc import chromium

pytestmark = pytest.mark.skipif(not chromium.available(),
                                reason="needs Debian chromium and PyPI playwright")


@pytest.mark.parametrize("profile", ["lan", "latam-3g", "worst"])
def test_chromium_call_both_ways_within_budget(profile: str) -> None:
    from cbcs.rtc.measure import measured_call

    async def run() -> dict[str, object]:
        async with chromium.Browser() as browser:
            result = await measured_call(browser, "cbcs", profile, seconds=4.0, warmup=2.0)
            return result.summary()

    s = asyncio.run(run())
    base = netsim.profile(profile).base_delay_ms
    # bursts of loss on "worst" can swallow a whole marker onset; most must still be heard
    assert s["markers_heard"] >= 0.5 * s["markers_sent"], s
    assert s["down_markers_heard"] >= 6, s
    for key in ("p50_ms", "down_p50_ms"):
        assert s[key] is not None and s[key] >= base, (key, s)  # physics: no faster than the link
    for key in ("p95_ms", "down_p95_ms"):
        assert s[key] is not None and s[key] < 600.0, (key, s)
    server = s["server"]
    assert isinstance(server, dict) and server["packets_received"] > 150
    assert server["send_bitrate_bps"] > 10_000  # our own send path is on the wire


def test_chromium_offer_is_answered_with_fec_and_loopback_only() -> None:
    from cbcs.rtc import Peer

    async def run() -> str:
        async with chromium.Browser() as browser:
            await browser.new_call()
            peer = Peer(ice_addresses=["127.0.0.1"], loopback_only_remote=True)
            try:
                answer = await peer.answer(await browser.offer())
                await browser.accept(answer)
                await peer.wait_connected()
                return answer
            finally:
                await peer.close()

    answer = asyncio.run(run())
    assert "useinbandfec=1" in answer
    cands = [ln for ln in answer.splitlines() if ln.startswith("a=candidate")]
    assert cands and all(" 127.0.0.1 " in c for c in cands)
