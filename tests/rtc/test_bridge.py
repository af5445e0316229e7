"""The call bridge's mixing: each leg hears the others, never itself; queues stay bounded;
a leg that leaves takes its audio with it; a leg heard by only some legs (a supervisor who
listens or whispers) reaches only those; bad audio is a typed error."""

from __future__ import annotations

import numpy as np
import pytest

from cbcs.errors import ConfigError, FrameError
from cbcs.rtc.bridge import AudioBridge


def tone(value: int, n: int = 480) -> np.ndarray:
    return np.full(n, value, np.int16)


def test_each_leg_hears_the_others_mixed_and_not_itself() -> None:
    b = AudioBridge()
    for leg in ("customer", "agent", "supervisor"):
        b.add(leg)
    b.heard("customer", tone(1000))
    b.heard("agent", tone(200))
    assert np.all(b.to_send("supervisor", 480) == 1200)
    assert np.all(b.to_send("agent", 480) == 1000)
    assert np.all(b.to_send("customer", 480) == 200)
    assert np.all(b.to_send("customer", 480) == 0)  # nothing more waits: silence


def test_a_whisper_reaches_only_the_legs_it_names_and_a_listener_no_one() -> None:
    b = AudioBridge()
    b.add("customer:c"), b.add("agent:a")
    b.add("supervisor:s", heard_by=lambda to: to.startswith("agent:"))
    b.heard("supervisor:s", tone(500))
    b.heard("customer:c", tone(100))
    assert np.all(b.to_send("agent:a", 480) == 600)      # the customer and the whisper
    assert np.all(b.to_send("customer:c", 480) == 0)     # not the whisper
    assert np.all(b.to_send("supervisor:s", 480) == 100)  # the supervisor hears the call
    b.heard("supervisor:s", tone(500))
    b.set_heard_by("supervisor:s", lambda to: False)     # back to listening: queued goes too
    b.heard("supervisor:s", tone(500))
    assert np.all(b.to_send("agent:a", 480) == 0)
    b.set_heard_by("supervisor:s", None)                 # joins the call
    b.heard("supervisor:s", tone(500))
    assert np.all(b.to_send("customer:c", 480) == 500)
    assert np.all(b.to_send("agent:a", 480) == 500)


def test_blocks_are_split_across_frames_in_order_and_the_mix_saturates() -> None:
    b = AudioBridge()
    b.add("a"), b.add("b"), b.add("c")
    b.heard("a", np.arange(480, dtype=np.int16))
    out = np.concatenate([b.to_send("b", 300), b.to_send("b", 300)])
    assert out[:480].tolist() == list(range(480)) and np.all(out[480:] == 0)
    b.to_send("c", 480)  # c heard the same ramp
    b.heard("a", tone(30000))
    b.heard("b", tone(30000))
    assert np.all(b.to_send("c", 480) == 32767)


def test_a_stalled_leg_hears_only_the_last_max_queue_ms() -> None:
    b = AudioBridge(max_queue_ms=100)
    b.add("a"), b.add("b")
    for i in range(50):  # 500 ms said while b's encoder did not run
        b.heard("a", tone(i))
    assert b.dropped_samples == 40 * 480
    assert b.to_send("b", 480)[0] == 40  # the newest 100 ms only


def test_a_leg_that_leaves_takes_its_audio_and_bad_input_is_refused() -> None:
    b = AudioBridge()
    b.add("a"), b.add("b")
    b.heard("a", tone(5))
    b.remove("a")
    assert b.legs == ["b"] and np.all(b.to_send("b", 480) == 0)
    with pytest.raises(FrameError, match="int16"):
        b.heard("b", np.zeros(480, np.float32))
    with pytest.raises(ConfigError):
        AudioBridge(max_queue_ms=5)


def test_a_tap_sees_its_legs_audio_whoever_hears_it_until_the_leg_leaves() -> None:
    b = AudioBridge()
    b.add("customer")
    b.add("supervisor", heard_by=lambda to: False)   # listens: heard by no one
    seen: dict[str, list[int]] = {"customer": [], "supervisor": []}
    b.tap("customer", lambda pcm: seen["customer"].append(int(pcm[0])))
    b.tap("supervisor", lambda pcm: seen["supervisor"].append(int(pcm[0])))
    b.heard("customer", tone(7))
    b.heard("supervisor", tone(9))
    assert seen == {"customer": [7], "supervisor": [9]}
    b.remove("customer")
    b.heard("customer", tone(8))
    assert seen["customer"] == [7]
    b.tap("ghost", lambda pcm: None)   # no such leg: nothing to tap
    assert "ghost" not in b.legs


def test_speech_for_one_leg_is_heard_by_it_alone_over_the_others_ducked() -> None:
    b = AudioBridge(duck=0.25)
    for leg in ("customer", "agent", "supervisor"):
        b.add(leg)
    b.overlay("agent", tone(4000, 960))
    assert b.overlaying("agent") and not b.overlaying("customer")
    b.heard("customer", tone(1000, 960))
    assert np.all(b.to_send("agent", 480) == 4000 + 250)     # the translation over a ducked mix
    assert np.all(b.to_send("supervisor", 480) == 1000)      # the others hear the customer
    assert np.all(b.to_send("agent", 480) == 4000 + 250)
    assert not b.overlaying("agent")
    b.heard("customer", tone(1000, 480))
    assert np.all(b.to_send("agent", 480) == 1000)           # over: no more ducking
    with pytest.raises(FrameError):
        b.overlay("agent", np.zeros(10, np.float32))
    with pytest.raises(ConfigError):
        AudioBridge(duck=1.5)


def test_a_room_mixes_once_per_tick_and_its_listeners_share_one_mix() -> None:
    b = AudioBridge()
    speakers = [f"agent:s{i}" for i in range(4)]
    listeners = [f"supervisor:l{i}" for i in range(50)]
    for leg in speakers:
        b.add(leg)
    for leg in listeners:
        b.add(leg, heard_by=lambda to: False)
    assert b.speakers == speakers and b.mixes() == 5   # each speaker's, the listeners'
    for tick in range(3):
        for i, leg in enumerate(speakers):
            b.heard(leg, tone(10 ** i))
            b.heard(leg, tone(10 ** i))
        for leg in listeners:
            b.heard(leg, tone(7, 960))                   # heard by no one
        sent = {leg: b.to_send(leg, 960) for leg in speakers + listeners}
        assert b.rounds == tick + 1                        # one round for 54 legs
        assert all(np.all(sent[leg] == 1111) for leg in listeners)
        assert [int(sent[leg][0]) for leg in speakers] == [1110, 1101, 1011, 111]


def test_what_a_whisperer_said_before_barging_in_never_reaches_the_customer() -> None:
    b = AudioBridge()
    b.add("customer:c"), b.add("agent:a")
    b.add("supervisor:s", heard_by=lambda to: to.startswith("agent:"))
    b.heard("supervisor:s", tone(500))                  # whispered, not mixed yet
    b.set_heard_by("supervisor:s", None)                 # barges in
    assert np.all(b.to_send("customer:c", 480) == 0)
    b.heard("supervisor:s", tone(300))
    assert np.all(b.to_send("customer:c", 480) == 300)


def test_more_legs_heard_at_once_than_the_bridge_has_speakers_is_refused() -> None:
    b = AudioBridge(max_speakers=2)
    b.add("a"), b.add("b")
    b.add("listener", heard_by=lambda to: False)        # heard by no one: no slot
    with pytest.raises(ConfigError, match="at most 2"):
        b.add("c")
    with pytest.raises(ConfigError):
        AudioBridge(max_speakers=65)


def test_a_rooms_listeners_share_one_encode_and_a_speaker_encodes_its_own() -> None:
    from cbcs.rtc.opus import OpusDecoder

    b = AudioBridge()
    b.add("agent:s0"), b.add("agent:s1")
    listeners = [f"supervisor:l{i}" for i in range(5)]
    for leg in listeners:
        b.add(leg, heard_by=lambda to: False)
    t = np.arange(960)
    for tick in range(5):
        said = (8000 * np.sin(2 * np.pi * 440 * (t + 960 * tick) / 48000)).astype(np.int16)
        b.heard("agent:s0", said)
        payloads = {b.encoded(leg, 24000) for leg in listeners}
        assert len(payloads) == 1 and None not in payloads     # one encode for five
        assert b.encoded("agent:s1") is None                   # its own mix: encodes itself
        assert np.array_equal(b.to_send("agent:s1", 960), said)
        assert b.encoded(listeners[0]) is not None              # the next round
        b.to_send("agent:s1", 960)
    assert b.encodes == 10 and b.rounds == 10
    decoded = OpusDecoder().decode(payloads.pop())
    assert decoded is not None and decoded.size == 960
    b.overlay(listeners[1], tone(100, 960))                     # speech for one alone
    assert b.encoded(listeners[1]) is None and b.to_send(listeners[1], 960)[0] != 0
