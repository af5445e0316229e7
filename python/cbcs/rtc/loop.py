"""The event loop a call runs on: uvloop when it is installed, asyncio's own otherwise.

A voice call wakes the loop a few hundred times a second (the 10 ms media clock, every
datagram, every timer), and with asyncio's pure-Python loop the wake-ups themselves are a
large part of what a call costs the server; uvloop's (libuv) costs a fraction of that per
wake-up. Peers work on either loop: this only picks the cheaper one. ``CBCS_EVENT_LOOP=asyncio``
in the environment forces asyncio's own.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """``uvloop.new_event_loop`` when uvloop is installed, else None (asyncio's default)."""
    if os.environ.get("CBCS_EVENT_LOOP", "") == "asyncio":
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
    """``asyncio.run(main)`` on the cheapest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
