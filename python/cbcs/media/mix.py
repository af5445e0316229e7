"""The room mixer: the audio of a room's speakers mixed once per round, for everyone.

Each speaker has a slot; its audio is queued with :meth:`RoomMixer.push`. A round
(:meth:`RoomMixer.mix`) takes up to ``n`` samples from every queue (silence where one runs
short), sums them once in 32 bits and makes one output per *heard-by mask* set with
:meth:`RoomMixer.set_mixes` (bit ``s``: slot ``s`` is heard). A speaker's own mix is
everyone but itself (the sum minus its own frame); every pure listener hears the same
speakers and so shares one mix; a whisper is a slot whose bit only some masks carry.
Saturation to 16 bits comes last, on the exact sum. No allocation per round::

    mixer = RoomMixer(max_speakers=4)
    mixer.set_mixes([0b1110, 0b1101, 0b1011, 0b0111, 0b1111])   # 4 speakers, listeners
    for slot, pcm in enumerate(frames):
        mixer.push(slot, pcm)
    mixer.mix(960)
    listeners_hear = mixer.output(4)     # read-only, overwritten by the next mix()
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from cbcs import _core
from cbcs.errors import FrameError

__all__ = ["RoomMixer"]


class RoomMixer:
    """See the module docstring. ``max_speakers`` 1..64 slots, ``max_mixes`` distinct masks,
    ``max_round_samples`` the most one round makes, ``queue_samples`` what each speaker's
    queue holds (older audio drops). Raises :class:`cbcs.errors.ConfigError` for bad sizes."""

    def __init__(self, *, max_speakers: int = 16, max_mixes: int = 32,
                 max_round_samples: int = 960, queue_samples: int = 5760) -> None:
        self._core = _core.RoomMixer(max_speakers=max_speakers, max_mixes=max_mixes,
                                     max_round_samples=max_round_samples,
                                     queue_samples=queue_samples)

    @property
    def max_speakers(self) -> int:
        return int(self._core.max_speakers)

    @property
    def max_round_samples(self) -> int:
        return int(self._core.max_round_samples)

    @property
    def active(self) -> int:
        """Mask of the slots that had audio in the last round."""
        return int(self._core.active)

    def push(self, slot: int, pcm: npt.NDArray[np.int16]) -> int:
        """Queue ``pcm`` (int16[n]) for ``slot``; how many of the oldest queued samples
        were dropped to make room. Raises :class:`FrameError` for other audio and
        :class:`IndexError` for a slot out of range."""
        if pcm.dtype != np.int16 or pcm.ndim != 1:
            raise FrameError(f"pcm: expected int16[n], got {pcm.dtype}{list(pcm.shape)}")
        dropped = int(self._core.push(slot, np.ascontiguousarray(pcm)))
        if dropped < 0:
            raise IndexError(f"slot: expected 0..{self.max_speakers - 1}, got {slot}")
        return dropped

    def clear(self, slot: int) -> None:
        """Drop what waits in ``slot``'s queue."""
        self._core.clear(slot)

    def queued(self, slot: int) -> int:
        return int(self._core.queued(slot))

    def set_mixes(self, masks: Sequence[int]) -> None:
        """The masks mixed from the next round on (output ``i`` is ``masks[i]``); the last
        round's outputs are gone. Raises :class:`cbcs.errors.ConfigError` for too many."""
        self._core.set_mixes(list(masks))

    def mix(self, n: int) -> int:
        """One round of ``min(n, max_round_samples)`` samples; how many."""
        return int(self._core.mix(n))

    def output(self, mix: int) -> npt.NDArray[np.int16]:
        """Mix ``mix`` of the last round: a read-only view, valid until the next
        :meth:`mix` (empty for an unknown ``mix``)."""
        out: npt.NDArray[np.int16] = self._core.output(mix)
        return out
