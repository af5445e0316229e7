"""One measured call between headless Chromium and a peer: marker tones both ways,
mouth-to-ear delay per direction, frames delivered, concealment, MOS and server CPU."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import numpy.typing as npt

import numpy as np

from cbcs.media import Resampler, quality
from cbcs.bench.harness import markers as mk
from cbcs.bench.harness.chromium import Browser
from cbcs.bench.harness.stock import StockPeer
from cbcs.rtc.peer import Peer
from cbcs.bench.harness.relay import LinkRelay


@dataclass
class CallResult:
    """Figures of one call. ``up`` = browser -> server (the server's receive path),
    ``down`` = server -> browser (Chrome's receive path)."""

    path: str
    profile: str
    up_delays: list[float | None] = field(default_factory=list)
    down_delays: list[float | None] = field(default_factory=list)
    delivered: float = 0.0      # share of the uplink's audio played from real/recovered data
    concealed: float = 0.0      # share of the uplink's playout that was concealment
    #: server CPU per call, % of one core: process CPU time over wall time, minus the
    #: benchmark's own work done in the same process (``cpu_markers_pct``, making the test
    #: audio); ``cpu_total_pct`` is the whole process. ``cpu_emulator_pct`` is the emulated
    #: network's, in its own process (not in either figure)
    cpu_pct: float = 0.0
    cpu_total_pct: float = 0.0
    cpu_emulator_pct: float = 0.0
    cpu_markers_pct: float = 0.0
    server_stats: dict[str, Any] = field(default_factory=dict)
    chrome: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _pct(values: list[float | None], q: float) -> float | None:
        got = [v for v in values if v is not None]
        return float(np.percentile(got, q)) if got else None

    def summary(self) -> dict[str, Any]:
        up50, up95 = self._pct(self.up_delays, 50), self._pct(self.up_delays, 95)
        loss_pct = 100.0 * (1.0 - self.delivered)
        # G.107 takes the typical one-way delay: the median; loss is what was not played
        mos = quality.rate(up50, loss_pct).mos if up50 is not None else None
        return {
            "p50_ms": up50, "p95_ms": up95,
            "delivered": self.delivered, "concealed": self.concealed,
            "mos": mos, "cpu_pct": self.cpu_pct, "cpu_total_pct": self.cpu_total_pct,
            "cpu_emulator_pct": self.cpu_emulator_pct, "cpu_markers_pct": self.cpu_markers_pct,
            "markers_heard": sum(v is not None for v in self.up_delays),
            "markers_sent": len(self.up_delays),
            "down_p50_ms": self._pct(self.down_delays, 50),
            "down_p95_ms": self._pct(self.down_delays, 95),
            "down_markers_heard": sum(v is not None for v in self.down_delays),
            "chrome": self.chrome,
            "server": self.server_stats,
        }


class _TimedFill:
    """The benchmark's audio source (marker tones), with the CPU time it takes: producing
    test audio is the benchmark's work, not the server's (a deployed server gets its audio
    from elsewhere)."""

    def __init__(self, source: mk.MarkerTrackSource) -> None:
        self.source = source
        self.cpu_s = 0.0

    def __call__(self, start: int, n: int, wall_ms: float) -> npt.NDArray[np.int16]:
        cpu0 = time.process_time()
        out = self.source.block(start, n, wall_ms)
        self.cpu_s += time.process_time() - cpu0
        return out


#: Level of the customer's speech under the markers (RMS, dBFS): a normal talker, 24 dB
#: below the marker bursts, so a burst's onset stands well clear of the speech.
SPEECH_DBFS = -30.0


def customer_speech(min_seconds: float = 30.0) -> tuple[npt.NDArray[np.int16], int]:
    """Recorded speech (the test clips of ``../shared/data/audio``, one after another,
    each levelled to :data:`SPEECH_DBFS`) for the browser to say during a call, and its
    sample rate."""
    from cbcs.media.samples import speech_clips

    rate = 16000
    out: list[npt.NDArray[np.float64]] = []
    total = 0
    for _, pcm in speech_clips(sample_rate=rate):
        x = pcm.astype(np.float64)
        rms = float(np.sqrt(np.mean(x ** 2))) or 1.0
        out.append(x * (32768.0 * 10 ** (SPEECH_DBFS / 20.0) / rms))
        total += len(x)
        if total >= min_seconds * rate:
            break
    return np.clip(np.concatenate(out), -32768, 32767).astype(np.int16), rate


async def measured_call(browser: Browser, path: str, profile: str, *, seconds: float,
                        warmup: float = 2.0, seed: int = 1, period_s: float = 0.5,
                        talk: tuple[npt.NDArray[np.int16], int] | None = None) -> CallResult:
    """Run one call of ``seconds`` of markers after ``warmup`` seconds, return the figures.

    ``talk``: speech ``(pcm, rate)`` said under the markers for the whole call, by the
    browser and by the server (see :func:`customer_speech`); None: markers over silence.
    The emulated network is a :class:`LinkRelay` between the browser and the server (its
    own process), so the server's CPU figure holds only the server's work."""
    bed = None
    if talk is not None:  # the agent talks too: the same recordings at 48 kHz, half a loop on
        at_48k = Resampler(talk[1], 48000).process(talk[0].astype(np.float32))
        bed = np.roll(np.clip(at_48k, -32768, 32767).astype(np.int16), len(at_48k) // 2)
    source = mk.MarkerTrackSource(period_s=period_s, first_s=warmup + 0.3, bed=bed)
    relay = LinkRelay(profile, seed) if profile != "none" else None
    cls = Peer if path == "cbcs" else StockPeer
    fill = _TimedFill(source)
    peer = cls(seed=seed, ice_addresses=["127.0.0.1"], fill=fill, loopback_only_remote=True)
    await browser.new_call()
    try:
        offer = await browser.offer()
        answer = await peer.answer(relay.offer(offer) if relay else offer)
        await browser.accept(relay.answer(answer) if relay else answer)
        await peer.wait_connected()
        if talk is not None:
            await browser.talk(*talk)
        count = int(seconds / period_s)
        await browser.schedule_markers(count, period_s, mk.BURST_S, list(mk.FREQS), warmup)
        peer.recorder.blocks.clear()
        peer.recorder.times.clear()
        await asyncio.sleep(warmup * 0.5)
        peer.start_cpu_window()
        emu0, fill0 = _network_cpu_s(relay), fill.cpu_s
        rx0 = _rx_snapshot(peer)
        await asyncio.sleep(warmup * 0.5 + seconds + 1.5)
        cpu_s, wall_s = peer.cpu_seconds()
        emu_s, fill_s = _network_cpu_s(relay) - emu0, fill.cpu_s - fill0
        rx1 = _rx_snapshot(peer)
        offset = await browser.wall_offset_ms()
        sent = [mk.Marker(int(m["i"]), float(m["f"]), float(m["wall_ms"]) - offset)
                for m in await browser.markers_sent()]
        pcm, times = peer.recorder.audio()
        up = mk.detect(sent, pcm, times)
        bpcm, btimes = await browser.received()
        btimes = btimes - offset
        srv_markers = [m for m in source.markers if m.sent_ms > source.markers[0].sent_ms - 1
                       ] if source.markers else []
        srv_markers = [m for m in srv_markers if m.sent_ms < btimes[-1] - 1500] \
            if len(btimes) else []
        down = mk.detect(srv_markers, bpcm, btimes)
        chrome = _chrome_figures(await browser.stats())
        st = await peer.stats()
        delivered, concealed = _delivery(peer, rx0, rx1, st)
        result = CallResult(path=path, profile=profile, up_delays=up, down_delays=down,
                            delivered=delivered, concealed=concealed,
                            cpu_pct=100.0 * (cpu_s - fill_s) / wall_s,
                            cpu_total_pct=100.0 * cpu_s / wall_s,
                            cpu_emulator_pct=100.0 * emu_s / wall_s,
                            cpu_markers_pct=100.0 * fill_s / wall_s,
                            server_stats=st.as_dict(), chrome=chrome)
        await browser.hang_up()
        return result
    finally:
        await peer.close()
        if relay is not None:
            relay.close()


def _network_cpu_s(relay: LinkRelay | None) -> float:
    return relay.cpu_s() if relay is not None else 0.0


def _rx_snapshot(peer: Peer | StockPeer) -> dict[str, int]:
    rx = getattr(peer, "rx", None)
    if rx is not None:
        c = rx.counters
        return {"expected": rx.expected(), "received": c.packets_received,
                "fec": c.recovered_fec, "red": c.recovered_red,
                "played": c.blocks_played, "real": c.blocks_real,
                "concealed": c.blocks_concealed}
    return {"samples": peer.recorder.total_samples,
            "t_ms": int(asyncio.get_running_loop().time() * 1000)}


def _delivery(peer: Peer | StockPeer, a: dict[str, int], b: dict[str, int],
              st: Any) -> tuple[float, float]:
    """(delivered, concealed) over the measurement window."""
    if "played" in a:
        played = b["played"] - a["played"]
        if played <= 0:
            return 0.0, 0.0
        return (b["real"] - a["real"]) / played, (b["concealed"] - a["concealed"]) / played
    # stock aiortc: audio it handed to the application against real time over the window;
    # it conceals nothing (a lost or dropped frame is simply missing)
    span_ms = b["t_ms"] - a["t_ms"]
    if span_ms <= 0:
        return 0.0, 0.0
    return min(1.0, (b["samples"] - a["samples"]) / (48.0 * span_ms)), 0.0


def _chrome_figures(stats: dict[str, dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    # Only the pair ICE selected carries the live estimate; other pairs keep the start value.
    selected = {s.get("selectedCandidatePairId") for s in stats.values()
                if s.get("type") == "transport"}
    for key, s in stats.items():
        if s.get("type") == "inbound-rtp" and s.get("kind") == "audio":
            total = s.get("totalSamplesReceived") or 0
            if total:
                out["concealed"] = s.get("concealedSamples", 0) / total
            emitted = s.get("jitterBufferEmittedCount") or 0
            if emitted:
                out["jitter_buffer_ms"] = 1000.0 * s.get("jitterBufferDelay", 0) / emitted
            out["packets_lost"] = s.get("packetsLost", 0)
            out["packets_received"] = s.get("packetsReceived", 0)
        if s.get("type") == "candidate-pair" and s.get("id", key) in selected:
            if s.get("availableOutgoingBitrate"):
                out["available_outgoing_bitrate"] = s["availableOutgoingBitrate"]
            if s.get("currentRoundTripTime") is not None:
                out["rtt_ms"] = 1000.0 * s["currentRoundTripTime"]
    return out
