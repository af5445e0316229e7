"""Captions in calls: each person's leg, as the node hears it, through a
:class:`cbcs.ai.captions.Captioner`.

A :class:`LegCaptions` is a tap on the call's bridge (:meth:`cbcs.rtc.bridge.AudioBridge.tap`):
it takes the leg's decoded audio (48 kHz, in the blocks its jitter buffer plays out, on the
call's media clock), resamples it to the transcriber's rate and feeds it 20 ms at a time;
the captions that come back go to ``emit`` in order. Nothing here waits on a model (the
captioner's lane runs them) and nothing here raises into the bridge: a broken captioner
stops captioning its leg and says so once in the log.

The node decides who is captioned (people who ``join`` a call; not the AI, whose words are
text already, nor a supervisor who listens or whispers) and what happens to a caption
(translation, the ``caption`` frame, the conversation's record).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from cbcs.ai.captions import Caption, Captioner
from cbcs.media import Resampler
from cbcs.rtc.bridge import RATE

log = logging.getLogger(__name__)


class LegCaptions:
    """The tap of one leg (see the module docstring). ``paused()``: while True the audio is
    not captioned (the AI voice is on the call and posts what the customer says itself)."""

    def __init__(self, captioner: Captioner, emit: Callable[[Caption], None], *,
                 paused: Callable[[], bool] = lambda: False) -> None:
        self.captioner, self.emit, self.paused = captioner, emit, paused
        self._down = Resampler(RATE, captioner.sample_rate)
        self._frame = captioner.frame_samples
        self._pending: npt.NDArray[np.float32] = np.zeros(0, np.float32)
        self._ms = 0.0
        self.failed = False

    def __call__(self, pcm: npt.NDArray[np.int16]) -> None:
        if self.failed:
            return
        try:
            self._feed(pcm)
        except Exception:   # captions are extra: the call goes on without them
            self.failed = True
            log.exception("captions stopped on one leg")

    def _feed(self, pcm: npt.NDArray[np.int16]) -> None:
        samples = self._down.process(pcm.astype(np.float32) / 32768.0)
        self._pending = np.concatenate((self._pending, samples)) if self._pending.size \
            else samples
        paused = self.paused()
        while self._pending.shape[0] >= self._frame:
            frame = np.ascontiguousarray(self._pending[:self._frame])
            self._pending = self._pending[self._frame:]
            self._ms += 1000.0 * self._frame / self.captioner.sample_rate
            if paused:
                continue
            for caption in self.captioner.push(frame, self._ms):
                self.emit(caption)

    def close(self) -> None:
        self.captioner.close()
