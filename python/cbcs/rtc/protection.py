"""How many earlier frames ride in each RED packet we send, from the loss the remote reports.

Browsers take RED (RFC 2198) with any number of redundant blocks, but neither Reed-Solomon
nor NACK for audio, so RED depth is the one knob for our audio to them. The remote's
transport-wide feedback says which of our packets arrived; from it :class:`LossRuns` keeps
the loss rate and mean burst length over the last few hundred packets, and
:func:`red_depth_for` picks the smallest depth that the core's Gilbert-Elliott model
(``cbcs.media.fec.red_residual``) says leaves at most ``target_residual`` of frames lost.
"""

from __future__ import annotations

from collections.abc import Iterable

from cbcs.media.fec import red_residual

#: Depth used until the feedback has described enough packets.
START_DEPTH = 2
#: The deepest copy arrives this many packet times after its frame; a browser's jitter
#: buffer (about 100 ms on a mobile link) must still be waiting for it.
MAX_DEPTH = 5


class LossRuns:
    """Loss rate and mean loss-burst length of a packet stream, forgetting old packets.

    Counts decay by ``1 - 1 / memory_packets`` per packet, so the figures describe roughly
    the last ``memory_packets`` packets (10 s of 20 ms audio by default).
    """

    def __init__(self, memory_packets: int = 500) -> None:
        self._keep = 1.0 - 1.0 / memory_packets
        self.packets = 0.0  # decayed counts
        self.lost = 0.0
        self.bursts = 0.0
        self.seen = 0  # packets ever added
        self._last_lost = False

    def add(self, received: Iterable[bool]) -> None:
        """Add packets in sequence order: True for received, False for lost."""
        keep = self._keep
        for ok in received:
            self.packets = self.packets * keep + 1.0
            self.lost *= keep
            self.bursts *= keep
            if not ok:
                self.lost += 1.0
                if not self._last_lost:
                    self.bursts += 1.0
            self._last_lost = not ok
            self.seen += 1

    @property
    def loss_rate(self) -> float:
        return self.lost / self.packets if self.packets else 0.0

    @property
    def mean_burst(self) -> float:
        return max(1.0, self.lost / self.bursts) if self.bursts else 1.0


def red_depth_for(loss_rate: float, mean_burst: float, *, target_residual: float = 0.01,
                  max_depth: int = MAX_DEPTH) -> int:
    """The smallest RED depth (1..max_depth) expected to leave at most ``target_residual``
    of frames lost, or ``max_depth`` when none does."""
    for depth in range(1, max_depth):
        if red_residual(loss_rate, mean_burst, depth, 1) <= target_residual:
            return depth
    return max_depth
