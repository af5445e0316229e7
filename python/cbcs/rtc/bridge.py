"""The audio of a call's legs, bridged in the server: what each leg hears is the mix of
what the others said.

Each leg's received audio, as its jitter buffer plays it out (10 ms blocks at 48 kHz),
goes into :meth:`AudioBridge.heard`; each leg's encoder takes :meth:`AudioBridge.to_send`
samples per frame. With two legs that is a forward with one decode and one encode; with
more, every leg gets everyone but itself, mixed once per leg. A leg may be heard by only
some of the others (``heard_by``: a supervisor who listens is heard by no one, one who
whispers by the agent only). No I/O and no clock: the legs' media ticks drive it.

Speech for one leg only (a spoken translation, :meth:`AudioBridge.overlay`) is mixed over
what that leg hears, and what it hears is ducked while that speech plays.

A tap (:meth:`AudioBridge.tap`) sees one leg's audio as it comes in, whoever hears it (the
call's captions).

Latency is bounded: a leg's queue towards another holds at most ``max_queue_ms``; audio
older than that is dropped (a leg that stalled does not make the other hear the past).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from cbcs.errors import ConfigError, FrameError

RATE = 48000
#: Which legs hear a leg: a predicate on the listening leg's name; None: every other leg.
HeardBy = Callable[[str], bool] | None
#: Sees a leg's received audio (mono int16 at 48 kHz; it must not keep the array).
Tap = Callable[[npt.NDArray[np.int16]], None]


class AudioBridge:
    """Mixes the audio of the legs added with :meth:`add` (see the module docstring)."""

    def __init__(self, *, max_queue_ms: int = 120, duck: float = 0.2) -> None:
        if not 20 <= max_queue_ms <= 2000:
            raise ConfigError(f"max_queue_ms: expected 20..2000, got {max_queue_ms}")
        if not 0.0 <= duck <= 1.0:
            raise ConfigError(f"duck: expected a gain in 0..1, got {duck}")
        self.duck = duck
        self._overlays: dict[str, deque[npt.NDArray[np.int16]]] = {}
        self.max_samples = max_queue_ms * RATE // 1000
        # queues[to][from]: what ``from`` said, waiting to be sent to ``to``
        self._queues: dict[str, dict[str, deque[npt.NDArray[np.int16]]]] = {}
        self._queued: dict[tuple[str, str], int] = {}
        self._heard_by: dict[str, HeardBy] = {}
        self._taps: dict[str, list[Tap]] = {}
        self.dropped_samples = 0

    @property
    def legs(self) -> list[str]:
        return list(self._queues)

    def add(self, leg: str, *, heard_by: HeardBy = None) -> None:
        """A leg joins: it hears the others from now on, and those ``heard_by`` admits (all,
        by default) hear it."""
        self._heard_by[leg] = heard_by
        if leg in self._queues:
            return
        for other, queues in self._queues.items():
            queues[leg] = deque()
            self._queued[(other, leg)] = 0
        self._queues[leg] = {other: deque() for other in self._queues}
        for other in self._queues[leg]:
            self._queued[(leg, other)] = 0

    def set_heard_by(self, leg: str, heard_by: HeardBy) -> None:
        """Change who hears ``leg`` from now on; what it said before and now goes to a leg
        that no longer hears it is dropped."""
        if leg not in self._queues:
            return
        self._heard_by[leg] = heard_by
        for to, queues in self._queues.items():
            if to != leg and heard_by is not None and not heard_by(to):
                queues[leg].clear()
                self._queued[(to, leg)] = 0

    def tap(self, leg: str, tap: Tap) -> None:
        """``tap`` sees what ``leg`` says from now on, until :meth:`untap` or the leg leaves."""
        if leg in self._queues:
            self._taps.setdefault(leg, []).append(tap)

    def untap(self, leg: str, tap: Tap) -> None:
        taps = self._taps.get(leg, [])
        if tap in taps:
            taps.remove(tap)

    def overlay(self, to: str, pcm: npt.NDArray[np.int16]) -> None:
        """Speech for ``to`` alone (mono int16 at 48 kHz), after any still playing; the
        others are ducked for ``to`` while it plays."""
        if pcm.dtype != np.int16 or pcm.ndim != 1:
            raise FrameError(f"pcm: expected int16[n] at 48 kHz, got {pcm.dtype}{list(pcm.shape)}")
        if to in self._queues and pcm.size:
            self._overlays.setdefault(to, deque()).append(pcm.copy())

    def overlaying(self, to: str) -> bool:
        """Whether speech for ``to`` alone is playing or waiting."""
        return bool(self._overlays.get(to))

    def remove(self, leg: str) -> None:
        """A leg leaves; what it said and what waited for it are dropped."""
        self._queues.pop(leg, None)
        self._overlays.pop(leg, None)
        self._taps.pop(leg, None)
        self._heard_by.pop(leg, None)
        for other, queues in self._queues.items():
            queues.pop(leg, None)
            self._queued.pop((other, leg), None)
        for key in [k for k in self._queued if k[0] == leg]:
            del self._queued[key]

    def heard(self, leg: str, pcm: npt.NDArray[np.int16]) -> None:
        """Audio ``leg`` received (mono int16 at 48 kHz, any length), for the others."""
        if pcm.dtype != np.int16 or pcm.ndim != 1:
            raise FrameError(f"pcm: expected int16[n] at 48 kHz, got {pcm.dtype}{list(pcm.shape)}")
        if leg not in self._queues or pcm.size == 0:
            return
        for tap in self._taps.get(leg, ()):
            tap(pcm)
        heard_by = self._heard_by.get(leg)
        for to, queues in self._queues.items():
            if to == leg or (heard_by is not None and not heard_by(to)):
                continue
            queue = queues[leg]
            queue.append(pcm.copy())
            key = (to, leg)
            self._queued[key] += pcm.size
            while self._queued[key] > self.max_samples and queue:
                old = queue.popleft()
                self._queued[key] -= old.size
                self.dropped_samples += old.size

    def to_send(self, leg: str, n: int) -> npt.NDArray[np.int16]:
        """The next ``n`` samples for ``leg`` to send: the others mixed (silence where
        nothing waits)."""
        out = np.zeros(n, np.int32)
        for other, queue in self._queues.get(leg, {}).items():
            got = self._take(queue, n)
            self._queued[(leg, other)] -= got.size
            out[:got.size] += got
        overlay = self._overlays.get(leg)
        if overlay:
            said = self._take(overlay, n)
            out = (out * self.duck).astype(np.int32)
            out[:said.size] += said
        return np.clip(out, -32768, 32767).astype(np.int16)

    @staticmethod
    def _take(queue: deque[npt.NDArray[np.int16]], n: int) -> npt.NDArray[np.int16]:
        parts: list[npt.NDArray[np.int16]] = []
        need = n
        while need and queue:
            head = queue[0]
            if head.size <= need:
                parts.append(queue.popleft())
                need -= head.size
            else:
                parts.append(head[:need])
                queue[0] = head[need:]
                need = 0
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)
