"""The audio of a call's legs, bridged in the server: what each leg hears is the mix of
what the others said, mixed once per room (:class:`cbcs.media.mix.RoomMixer`), not once
per leg.

Each leg's received audio, as its jitter buffer plays it out (10 ms blocks at 48 kHz),
goes into :meth:`AudioBridge.heard`; each leg's encoder takes :meth:`AudioBridge.to_send`
samples per frame. A leg may be heard by only some of the others (``heard_by``: a
supervisor who listens is heard by no one, one who whispers by the agent only). No I/O and
no clock: the legs' media ticks drive it.

How: a leg that some other leg hears is a *speaker* with a slot in the room's mixer, where
its audio queues. The first leg to want audio that the last round did not cover has the
mixer make a new round from every speaker's queue (one sum; every leg that hears the same
speakers shares one mix: every pure listener one, each speaker everyone but itself); the
other legs read the same round. So with 4 speakers and 50 listeners a 20 ms tick mixes
once, and 50 legs copy one mix; with :meth:`AudioBridge.encoded` the 50 also share one
Opus encode of it (each leg still frames, protects and encrypts its own packets). A leg
that did not read a whole round misses it (it was not sending); a change of who hears
whom starts afresh (a speaker's queued audio is dropped, so nothing said under the old
mode reaches those the new one admits).

Speech for one leg only (a spoken translation, :meth:`AudioBridge.overlay`) is mixed over
what that leg hears, and what it hears is ducked while that speech plays.

A tap (:meth:`AudioBridge.tap`) sees one leg's audio as it comes in, whoever hears it (the
call's captions).

Latency is bounded: a speaker's queue holds at most ``max_queue_ms``; audio older than
that is dropped (``dropped_samples``: a leg that stalled does not make the others hear
the past).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from cbcs.errors import ConfigError, FrameError
from cbcs.media.mix import RoomMixer

RATE = 48000
#: Which legs hear a leg: a predicate on the listening leg's name; None: every other leg.
HeardBy = Callable[[str], bool] | None
#: Sees a leg's received audio (mono int16 at 48 kHz; it must not keep the array).
Tap = Callable[[npt.NDArray[np.int16]], None]
#: The most samples one mixing round makes (one 20 ms frame).
ROUND_SAMPLES = 960


class _SharedEncode:
    """The one encoder of a mix that several legs hear, and its last payload."""

    def __init__(self, mask: int) -> None:
        from cbcs.rtc.opus import OpusEncoder

        self.mask = mask
        self.encoder = OpusEncoder(32000)
        self.round = -1
        self.payload = b""
        self.asked = self.asked_before = 32000


class AudioBridge:
    """Mixes the audio of the legs added with :meth:`add` (see the module docstring).

    ``max_speakers``: legs that others hear at once (a leg heard by no one, a listener,
    needs none; 1..64)."""

    def __init__(self, *, max_queue_ms: int = 120, duck: float = 0.2,
                 max_speakers: int = 16) -> None:
        if not 20 <= max_queue_ms <= 2000:
            raise ConfigError(f"max_queue_ms: expected 20..2000, got {max_queue_ms}")
        if not 0.0 <= duck <= 1.0:
            raise ConfigError(f"duck: expected a gain in 0..1, got {duck}")
        if not 1 <= max_speakers <= 64:
            raise ConfigError(f"max_speakers: expected 1..64, got {max_speakers}")
        self.duck = duck
        self.max_samples = max_queue_ms * RATE // 1000
        self._mixer = RoomMixer(max_speakers=max_speakers, max_mixes=2 * max_speakers + 2,
                                max_round_samples=ROUND_SAMPLES,
                                queue_samples=max(self.max_samples, ROUND_SAMPLES))
        self._overlays: dict[str, deque[npt.NDArray[np.int16]]] = {}
        self._heard_by: dict[str, HeardBy] = {}   # every leg, in the order they came
        self._taps: dict[str, list[Tap]] = {}
        self._slot: dict[str, int] = {}           # speakers' slots in the mixer
        self._mix: dict[str, int] = {}            # each leg's mix (-1: hears no one)
        # the room's timeline in samples: the last round covered [_r0, _r1); each leg has
        # read up to _pos[leg]
        self._r0 = self._r1 = 0
        self._pos: dict[str, int] = {}
        self.dropped_samples = 0
        self.rounds = 0  #: mixing rounds made (one per tick in a call, whatever its size)
        self.encodes = 0  #: Opus frames encoded once for several legs (:meth:`encoded`)
        self._sharing: list[int] = []              # legs per mix
        self._shared: list[_SharedEncode | None] = []   # per mix heard by several legs

    @property
    def legs(self) -> list[str]:
        return list(self._heard_by)

    @property
    def speakers(self) -> list[str]:
        """The legs some other leg hears now."""
        return list(self._slot)

    def mixes(self) -> int:
        """Distinct mixes each round makes now (a room's listeners share one)."""
        return len({m for m in self._mix.values() if m >= 0})

    def add(self, leg: str, *, heard_by: HeardBy = None) -> None:
        """A leg joins: it hears the others from now on, and those ``heard_by`` admits (all,
        by default) hear it. Raises :class:`ConfigError` when more legs would be heard than
        the bridge has ``max_speakers``."""
        new = leg not in self._heard_by
        self._heard_by[leg] = heard_by
        if new:
            self._pos[leg] = self._r1
        self._rebuild(changed=leg)

    def set_heard_by(self, leg: str, heard_by: HeardBy) -> None:
        """Change who hears ``leg`` from now on; what it said before and has not been
        mixed yet is dropped (it was said under the old mode)."""
        if leg not in self._heard_by:
            return
        self._heard_by[leg] = heard_by
        self._rebuild(changed=leg)

    def tap(self, leg: str, tap: Tap) -> None:
        """``tap`` sees what ``leg`` says from now on, until :meth:`untap` or the leg leaves."""
        if leg in self._heard_by:
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
        if to in self._heard_by and pcm.size:
            self._overlays.setdefault(to, deque()).append(pcm.copy())

    def overlaying(self, to: str) -> bool:
        """Whether speech for ``to`` alone is playing or waiting."""
        return bool(self._overlays.get(to))

    def remove(self, leg: str) -> None:
        """A leg leaves; what it said and what waited for it are dropped."""
        if leg not in self._heard_by:
            return
        del self._heard_by[leg]
        self._overlays.pop(leg, None)
        self._taps.pop(leg, None)
        self._pos.pop(leg, None)
        self._rebuild(changed=leg)

    def heard(self, leg: str, pcm: npt.NDArray[np.int16]) -> None:
        """Audio ``leg`` received (mono int16 at 48 kHz, any length), for the others."""
        if pcm.dtype != np.int16 or pcm.ndim != 1:
            raise FrameError(f"pcm: expected int16[n] at 48 kHz, got {pcm.dtype}{list(pcm.shape)}")
        if leg not in self._heard_by or pcm.size == 0:
            return
        for tap in self._taps.get(leg, ()):
            tap(pcm)
        slot = self._slot.get(leg)
        if slot is not None:   # heard by someone
            self.dropped_samples += self._mixer.push(slot, pcm)

    def to_send(self, leg: str, n: int) -> npt.NDArray[np.int16]:
        """The next ``n`` samples for ``leg`` to send: the others mixed (silence where
        nothing waits)."""
        out = np.zeros(n, np.int16)
        if leg not in self._pos:
            return out
        mix = self._mix.get(leg, -1)
        pos = max(self._pos[leg], self._r0)   # a round it did not read at all: missed
        done = 0
        while done < n:
            if pos >= self._r1:
                self._round(n - done)
                pos = self._r0
            take = min(n - done, self._r1 - pos)
            if mix >= 0:
                at = pos - self._r0
                out[done:done + take] = self._mixer.output(mix)[at:at + take]
            done += take
            pos += take
        self._pos[leg] = pos
        overlay = self._overlays.get(leg)
        if overlay:
            said = self._take(overlay, n)
            mixed = (out * self.duck).astype(np.int32)
            mixed[:said.size] += said
            out = np.clip(mixed, -32768, 32767).astype(np.int16)
        return out

    def encoded(self, leg: str, bitrate_bps: int = 32000) -> bytes | None:
        """The next 20 ms for ``leg`` as one Opus payload, encoded once for every leg that
        hears what it hears (a room's listeners); None when ``leg`` has a mix of its own,
        speech for it alone is playing, or it is not at the start of a round: then it takes
        :meth:`to_send` and encodes itself. Reading it moves ``leg`` on as
        :meth:`to_send` would. ``bitrate_bps``: what the leg's own encoder would use; the
        shared encoder takes the lowest its legs asked for in the round before."""
        mix = self._mix.get(leg, -1)
        if mix < 0 or self._sharing[mix] < 2 or self._overlays.get(leg) or leg not in self._pos:
            return None
        pos = max(self._pos[leg], self._r0)
        if pos >= self._r1:
            self._round(ROUND_SAMPLES)
            pos = self._r0
        if pos != self._r0 or self._r1 - self._r0 != ROUND_SAMPLES:
            return None
        shared = self._shared[mix]
        if shared is None:
            return None
        shared.asked = min(shared.asked, bitrate_bps)
        if shared.round != self._r0:
            if shared.asked_before != shared.encoder.bitrate_bps:
                shared.encoder.set_bitrate(shared.asked_before)
            shared.payload = shared.encoder.encode(self._mixer.output(mix))
            shared.round = self._r0
            shared.asked_before, shared.asked = shared.asked, 1 << 30
            self.encodes += 1
        self._pos[leg] = self._r1
        return shared.payload

    def _round(self, n: int) -> None:
        """A new mixing round of up to ``n`` samples, after the last."""
        made = self._mixer.mix(min(n, ROUND_SAMPLES))
        self._r0, self._r1 = self._r1, self._r1 + made
        self.rounds += 1

    def _rebuild(self, changed: str) -> None:
        """Who is a speaker and which mix each leg hears, after ``changed`` came, left or
        changed mode. The changed leg's queued audio is dropped, and the last round is
        over for everyone (it was mixed for the old set of ears)."""
        legs = list(self._heard_by)

        def hears(listener: str, speaker: str) -> bool:
            rule = self._heard_by[speaker]
            return listener != speaker and (rule is None or rule(listener))

        speakers = [s for s in legs if any(hears(to, s) for to in legs)]
        if len(speakers) > self._mixer.max_speakers:
            raise ConfigError(f"bridge: at most {self._mixer.max_speakers} legs can be heard "
                              f"at once, {len(speakers)} would be")
        old = self._slot.pop(changed, None)
        if old is not None:
            self._mixer.clear(old)
        slots = {s: i for s, i in self._slot.items() if s in speakers}
        for s, i in self._slot.items():
            if s not in slots:
                self._mixer.clear(i)
        free = sorted(set(range(self._mixer.max_speakers)) - set(slots.values()))
        for s in speakers:
            if s not in slots:
                slots[s] = free.pop(0)
                self._mixer.clear(slots[s])
        self._slot = slots
        masks: list[int] = []
        self._mix = {}
        for to in legs:
            mask = 0
            for s in speakers:
                if hears(to, s):
                    mask |= 1 << slots[s]
            if not mask:
                self._mix[to] = -1
                continue
            if mask not in masks:
                masks.append(mask)
            self._mix[to] = masks.index(mask)
        self._mixer.set_mixes(masks)
        self._sharing = [0] * len(masks)
        for m in self._mix.values():
            if m >= 0:
                self._sharing[m] += 1
        # one encoder per mix that several legs hear, kept while its mask lasts
        kept = {shared.mask: shared for shared in self._shared if shared is not None}
        self._shared = [(kept.get(mask) or _SharedEncode(mask)) if legs_of >= 2 else None
                        for mask, legs_of in zip(masks, self._sharing)]
        self._r0 = self._r1   # the last round is over
        for leg in self._pos:
            self._pos[leg] = self._r1

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
