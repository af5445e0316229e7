"""The call's connection-quality indicator (static/common/callstats.js) from getStats()
reports: a clean path is good, loss and delay make it fair then poor, and the loss counted
is the interval's, not the call's whole history."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

JUDGE = """async () => {
  const {quality} = await import('/static/common/callstats.js');
  const report = (rtt, got, lost, jitter, fraction) => new Map([
    ['T', {id: 'T', type: 'transport', selectedCandidatePairId: 'P'}],
    ['P', {id: 'P', type: 'candidate-pair', state: 'succeeded', currentRoundTripTime: rtt}],
    ['I', {id: 'I', type: 'inbound-rtp', kind: 'audio', packetsReceived: got,
           packetsLost: lost, jitter}],
    ['R', {id: 'R', type: 'remote-inbound-rtp', kind: 'audio', fractionLost: fraction,
           jitter, roundTripTime: rtt}],
  ]);
  const early = report(0.02, 1000, 300, 0.004, 0);   // a bad start ...
  const later = report(0.02, 2000, 300, 0.004, 0);   // ... then 1000 packets, none lost
  return {
    clean: quality(report(0.02, 1000, 0, 0.003, 0)),
    lossy: quality(report(0.05, 950, 50, 0.01, 0.05)),
    slow: quality(report(0.6, 1000, 0, 0.03, 0)),
    interval: quality(later, early),
    empty: quality(new Map()),
  };
}"""


def test_the_quality_indicator_reads_loss_delay_and_the_last_interval(
        chromium_page: Any, web_dirs: tuple[Path, Path]) -> None:
    async def go() -> Any:
        async with chromium_page(*web_dirs) as (page, origin):
            await page.goto(f"{origin}/data/beauty.html")
            return await page.evaluate(JUDGE)

    r = asyncio.run(go())
    assert r["clean"]["level"] == "good" and r["clean"]["mos"] >= 4.2, r
    assert r["clean"]["rtt_ms"] == 20 and r["clean"]["loss_pct"] == 0, r
    assert r["lossy"]["level"] == "poor" and r["lossy"]["loss_pct"] == 5, r
    assert r["slow"]["level"] in ("fair", "poor") and r["slow"]["mos"] < r["clean"]["mos"], r
    assert r["interval"]["loss_pct"] == 0 and r["interval"]["level"] == "good", r
    assert r["empty"] == {"level": "good", "rtt_ms": None, "loss_pct": None,
                          "jitter_ms": None, "mos": None}, r
