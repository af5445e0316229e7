"""The event loop a call runs on: asyncio's own, or uvloop when asked for.

A voice call wakes the loop a few hundred times a second (the 10 ms media clock, every
datagram, every timer). uvloop (libuv) costs less per wake-up than asyncio's pure-Python
loop: a bare 10 ms timer took 1.3 % of a core against 1.7 % on this machine kind. In
whole calls through Chromium the difference was within the run-to-run noise of a shared
2-core machine, so asyncio stays the default; ``CBCS_EVENT_LOOP=uvloop`` in the
environment picks uvloop where it is installed. Peers work on either loop (their media
timestamps come from :func:`cbcs.rtc.media.mono_ms`, not from the loop's cached time).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """``uvloop.new_event_loop`` when ``CBCS_EVENT_LOOP=uvloop`` and uvloop is installed,
    else None (asyncio's default loop)."""
    if os.environ.get("CBCS_EVENT_LOOP", "asyncio") != "uvloop":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name() -> str:
    """Which loop :func:`run` uses: ``"uvloop"`` or ``"asyncio"``."""
    return "uvloop" if loop_factory() is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the loop :func:`loop_factory` picks."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
