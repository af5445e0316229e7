"""The room mixer's Python face: each mask's mix from one sum, saturation at the end,
queues that keep order and drop the oldest, and typed errors for bad audio or slots."""

from __future__ import annotations

import numpy as np
import pytest

from cbcs.errors import ConfigError, FrameError
from cbcs.media.mix import RoomMixer


def test_speakers_hear_everyone_but_themselves_and_listeners_share_the_sum() -> None:
    m = RoomMixer(max_speakers=3)
    m.set_mixes([0b110, 0b101, 0b011, 0b111])
    for slot, value in enumerate((20000, 20000, 5)):
        assert m.push(slot, np.full(960, value, np.int16)) == 0
    assert m.mix(960) == 960 and m.active == 0b111
    assert [int(m.output(i)[0]) for i in range(4)] == [20005, 20005, 32767, 32767]
    out = m.output(3)
    assert not out.flags.writeable and out.shape == (960,)
    assert m.output(9).shape == (0,)


def test_queues_keep_order_drop_the_oldest_and_bad_input_is_a_typed_error() -> None:
    m = RoomMixer(max_speakers=1, max_round_samples=480, queue_samples=960)
    m.set_mixes([1])
    assert m.push(0, np.arange(1000, dtype=np.int16)) == 40
    assert m.queued(0) == 960
    m.mix(480)
    assert m.output(0)[:3].tolist() == [40, 41, 42]
    with pytest.raises(FrameError):
        m.push(0, np.zeros(480, np.float32))
    with pytest.raises(IndexError):
        m.push(1, np.zeros(480, np.int16))
    with pytest.raises(ConfigError, match="at most"):
        m.set_mixes([1] * 40)
    with pytest.raises(ConfigError, match="max_speakers"):
        RoomMixer(max_speakers=0)
