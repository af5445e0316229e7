"""The 20 ms media clock: one timer on the event loop for a set of peers.

A peer on its own has a clock of its own. The legs of a bridged call share one, so that
every tick first reads every leg's sockets and plays out what each leg received (into the
bridge), and only then has each leg encode what it is to send: what one leg heard goes out
on the other legs in the same tick, instead of waiting up to a frame for the other leg's
timer to come round.

Drift-free (absolute deadlines); after a stall of the loop it resynchronises instead of
bursting. One wake-up per packet time: on a small VM each wake-up of the loop costs more
than the work it does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from cbcs.rtc.media import mono_ms, wall_ms

log = logging.getLogger("cbcs.rtc")

#: The media clock's period: one Opus frame.
TICK_S = 0.020


class Clocked(Protocol):
    """What a :class:`MediaClock` drives each tick, in this order for all its members."""

    def read(self) -> None:
        """Read what waits on the sockets."""

    def step_receive(self, now_ms: float, wall: float) -> None:
        """Play out 20 ms of what was received."""

    def step_send(self, now_ms: float, wall: float) -> None:
        """Encode and send one frame; feedback and rate control."""


class MediaClock:
    """Ticks its members every :data:`TICK_S` while it has any (see the module docstring)."""

    def __init__(self) -> None:
        self.members: list[Clocked] = []
        self._timer: asyncio.TimerHandle | None = None
        self._t0, self._k = 0.0, 0

    def add(self, member: Clocked) -> None:
        if member in self.members:
            return
        self.members.append(member)
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._t0, self._k = loop.time(), 0
            self._timer = loop.call_at(self._t0, self._tick)

    def remove(self, member: Clocked) -> None:
        if member in self.members:
            self.members.remove(member)
        if not self.members and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        self._k += 1
        members = list(self.members)
        for m in members:
            self._run(m.read)
        now, wall = mono_ms(), wall_ms()
        for m in members:
            self._run(m.step_receive, now, wall)
        for m in members:
            self._run(m.step_send, now, wall)
        if not self.members:
            self._timer = None
            return
        due = self._t0 + (self._k + 1) * TICK_S
        if due < loop.time() - 0.2:
            self._t0, self._k = loop.time(), 0
            due = self._t0 + TICK_S
        self._timer = loop.call_at(due, self._tick)

    @staticmethod
    def _run(step: object, *args: float) -> None:
        try:
            step(*args)  # type: ignore[operator]
        except Exception:  # one bad tick of one member must not stop the clock
            log.exception("media clock tick failed")
