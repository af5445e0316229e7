"""The AI's voice as one more leg of a call.

A :class:`VoiceLeg` stands in the call's bridge where a party's WebRTC peer would: on the
call's media clock it takes, every 20 ms, what the bridge has for it (the others mixed, at
48 kHz), hands that to a :class:`Voice` (the first tier's turn-taking loop,
:class:`cbcs.ai.voice.VoiceLoop`: speech recognition, the agent's reply, speech synthesis,
barge-in) at the voice's rate, and puts the 20 ms the voice says back into the bridge for
the others. No network, no codec: the AI hears the customer as the node decoded it.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from cbcs.media import Resampler
from cbcs.rtc.bridge import RATE, AudioBridge
from cbcs.rtc.clock import MediaClock
from cbcs.rtc.stats import CallStats

FRAME = RATE // 50  # 20 ms at 48 kHz


class Voice(Protocol):
    """Audio in, audio out, 20 ms at a time (float32 in -1..1 at ``sample_rate``)."""

    sample_rate: int

    def push(self, frame: npt.NDArray[np.float32], now_ms: float) -> npt.NDArray[np.float32]:
        """The last 20 ms heard, the end of that frame; the next 20 ms to say."""
        ...


class VoiceLeg:
    """A call leg whose party is a :class:`Voice` (see the module docstring). It has what
    the call centre asks of a leg's peer: ``pc`` (None: no connection to watch),
    :meth:`stats` and :meth:`close`."""

    media_path = "ai"
    pc: Any = None

    def __init__(self, voice: Voice, bridge: AudioBridge, party: str, clock: MediaClock) -> None:
        self.voice, self.bridge, self.party, self.clock = voice, bridge, party, clock
        self._down = Resampler(RATE, voice.sample_rate)
        self._up = Resampler(voice.sample_rate, RATE)
        self.frames = 0
        self.closed_reason: str | None = None
        clock.add(self)

    # -- the media clock's calls (cbcs.rtc.clock.Clocked) --------------------------------
    def read(self) -> None:
        """No sockets."""

    def step_receive(self, now_ms: float, wall: float) -> None:
        """Nothing arrives by network."""

    def step_send(self, now_ms: float, wall: float) -> None:
        heard = self.bridge.to_send(self.party, FRAME).astype(np.float32) / 32768.0
        said = self.voice.push(self._down.process(heard), now_ms)
        out = self._up.process(np.asarray(said, dtype=np.float32)) * 32768.0
        self.bridge.heard(self.party, np.clip(out, -32768, 32767).astype(np.int16))
        self.frames += 1

    # -- what a leg's peer answers ---------------------------------------------------------
    async def stats(self) -> CallStats:
        return CallStats(media_path=self.media_path, impairment=None)

    async def close(self, reason: str = "hang-up") -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            self.clock.remove(self)
            close = getattr(self.voice, "close", None)
            if close is not None:
                close()
