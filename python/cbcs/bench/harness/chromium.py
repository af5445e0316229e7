"""Headless Chromium (Debian ``chromium``) driven by Playwright, as a customer's browser.

The page (``web/call.html``) sends WebAudio marker tones over a real ``RTCPeerConnection``
and records what it hears with the machine's clock, so mouth-to-ear delay is measured at
the audio level in both directions.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import base64
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from cbcs.errors import ConfigError

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    # a second page of one browser (two parties on one machine) is a background tab
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def available() -> bool:
    """Whether Chromium and Playwright are installed (tests skip with a reason if not)."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


class Browser:
    """One headless Chromium with one page loaded; ``async with Browser() as b``."""

    def __init__(self, executable: str = CHROMIUM) -> None:
        self.executable = executable
        self.page: Any = None
        self._pw: Any = None
        self._ctx: Any = None
        self._profile = ""
        self._server: asyncio.base_events.Server | None = None
        self.origin = ""

    async def __aenter__(self) -> Browser:
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise ConfigError("playwright: expected the PyPI package (pip install "
                              "'cbcs[e2e]'), got none") from None
        if not Path(self.executable).exists():
            raise ConfigError(f"chromium: expected {self.executable} (apt-get install "
                              "chromium), got nothing there")
        self._profile = tempfile.mkdtemp(prefix="cbcs-chromium-")
        self._pw = await async_playwright().start()
        self._ctx = await self._pw.chromium.launch_persistent_context(
            self._profile, executable_path=self.executable, headless=True, args=FLAGS)
        self.page = self._ctx.pages[0] if self._ctx.pages else await self._ctx.new_page()
        # Served from the package by a tiny loopback HTTP server: http://127.0.0.1 is a
        # secure origin (WebAudio worklets need one), and nothing leaves the machine.
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.origin = f"http://127.0.0.1:{port}"
        await self.page.goto(f"{self.origin}/call.html")
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await reader.readline()).decode("latin-1").split()
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            name = line[1].lstrip("/").split("?")[0] if len(line) > 1 else ""
            if name in ("call.html", "recorder.js"):
                body = resources.files("cbcs.bench.harness").joinpath("web", name).read_bytes()
                kind = "text/html" if name.endswith(".html") else "application/javascript"
                head = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}; charset=utf-8\r\n"
            else:
                body, head = b"not found", "HTTP/1.1 404 Not Found\r\n"
            writer.write(f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                         .encode() + body)
            await writer.drain()
        except (ConnectionError, IndexError, OSError):
            pass
        finally:
            writer.close()

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._ctx is not None:
            await self._ctx.close()
            self._ctx = None
        if self._pw is not None:
            await self._pw.stop()
            self._pw = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = ""

    async def new_call(self) -> None:
        """Reload the page: a fresh RTCPeerConnection and AudioContext, same browser."""
        await self.page.goto(f"{self.origin}/call.html")

    async def open_page(self) -> Browser:
        """Another page of this browser with the call page loaded (a second party on the
        same machine); it has this object's methods and closes with this browser."""
        if self._ctx is None:
            raise ConfigError("chromium: expected a started browser (async with Browser())")
        other = Browser(self.executable)
        other.origin = self.origin
        other.page = await self._ctx.new_page()
        await other.page.goto(f"{self.origin}/call.html")
        return other

    async def offer(self, *, video: bool = False,
                    camera: tuple[int, int, int] | None = None) -> str:
        """Start a call and return its offer. ``video``: a canvas stream; ``camera``:
        (width, height, fps) of the fake camera's test pattern."""
        opts: dict[str, Any] = {"video": video}
        if camera is not None:
            opts["camera"] = {"width": camera[0], "height": camera[1], "fps": camera[2]}
        sdp: str = await self.page.evaluate("(o) => cbcs.start(o)", opts)
        return sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.page.evaluate("(s) => cbcs.answer(s)", answer_sdp)

    async def schedule_markers(self, count: int, period_s: float, burst_s: float,
                               freqs: list[float], lead_s: float) -> None:
        await self.page.evaluate(
            "([c, p, b, f, l]) => cbcs.scheduleMarkers(c, p, b, f, l)",
            [count, period_s, burst_s, freqs, lead_s])

    async def talk(self, pcm: npt.NDArray[np.int16], rate: int) -> None:
        """Loop ``pcm`` (mono int16 at ``rate``) into the page's sent audio, under the markers."""
        b64 = base64.b64encode(np.ascontiguousarray(pcm, dtype="<i2").tobytes()).decode()
        await self.page.evaluate("([b, r]) => cbcs.talk(b, r)", [b64, rate])

    async def markers_sent(self) -> list[dict[str, float]]:
        out: list[dict[str, float]] = await self.page.evaluate("() => cbcs.markersSent()")
        return out

    async def received(self) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.float64]]:
        """Received audio (int16, 48 kHz) and the wall time (ms) of every sample."""
        r = await self.page.evaluate("() => cbcs.received()")
        pcm = np.frombuffer(base64.b64decode(r["b64"]), dtype=np.int16)
        times = np.empty(len(pcm), dtype=np.float64)
        marks = r["times"] + [[len(pcm), None]]
        rate = float(r["rate"])
        for (start, t), (end, _) in zip(marks[:-1], marks[1:]):
            times[start:end] = t + np.arange(end - start) * 1000.0 / rate
        return pcm, times

    async def stats(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = await self.page.evaluate("() => cbcs.stats()")
        return out

    async def stop_video(self) -> None:
        """Stop sending video (the call stays up)."""
        await self.page.evaluate("() => cbcs.stopVideo()")

    async def hang_up(self) -> None:
        await self.page.evaluate("() => cbcs.close()")

    async def wall_offset_ms(self) -> float:
        """The page clock minus Python's ``time.time()`` (ms); ~0 on one machine."""
        import time
        t0 = time.time() * 1000.0
        js: float = await self.page.evaluate("() => performance.timeOrigin + performance.now()")
        t1 = time.time() * 1000.0
        return js - (t0 + t1) / 2.0
