"""A room through the node: 4 speakers and 50 listeners on one call, each a stock aiortc
client on loopback (in child processes: :mod:`cbcs.bench.room`). Every listener hears
every speaker's marker tones with nothing lost on the way; each speaker hears the three
others and not itself; the room makes five mixes per round (one per speaker, one that all
the listeners share) and one Opus encode for all the listeners. The listeners' MOS and the
node's CPU are printed; the MOS >= 4.0 bound itself is a gate of ``cbcs bench room``
(timing never decides a test), here only the 600 ms mouth-to-ear budget is held."""

from __future__ import annotations

import os

import numpy as np

from cbcs.bench import room

LISTENERS = int(os.environ.get("CBCS_ROOM_LISTENERS", "50"))
SECONDS = float(os.environ.get("CBCS_ROOM_SECONDS", "8"))


def test_a_room_of_four_speakers_and_fifty_listeners_hears_everyone_once_mixed() -> None:
    r = room.room(LISTENERS, SECONDS)
    scores = r["listener_scores"]
    print(f"\nroom: {len(room.SPEAKERS)} speakers, {LISTENERS} listeners, {SECONDS:.0f} s; "
          f"node CPU {r['server_cpu_pct']:.0f} % of a core; clients "
          f"{', '.join(f'{c:.0f}' for c in r['client_cpu_pct'])} %; {r['rounds_per_s']:.1f} "
          f"rounds/s, {r['mixes']} mixes per round, {r['encodes_per_s']:.1f} shared encodes/s; "
          f"listeners' MOS min {r['mos_min']:.2f} median {r['mos_median']:.2f}, p50 up to "
          f"{r['p50_ms_max']:.0f} ms, loss up to {r['loss_pct_max']:.1f} %; load {r['load']:.1f}")
    assert sorted(r["speakers"]) == sorted(room.SPEAKERS)
    assert r["mixes"] == len(room.SPEAKERS) + 1
    listeners = [f"supervisor:l{i}" for i in range(LISTENERS)]
    assert all(r["modes"][p] == "listen" for p in listeners)
    # the listeners' frames are encoded once for all of them, the speakers' each their own
    assert all(r["shared_frames"][p] > 0 for p in listeners)
    assert all(r["shared_frames"][p] == 0 for p in room.SPEAKERS)
    assert r["speakers_ok"], r["speakers_heard"]          # everyone but itself
    assert len(scores) == LISTENERS
    for heard in r["listener_heard"]:   # every speaker, four markers in five at least
        assert all(said >= 8 and h >= 0.8 * said for h, said in heard), heard
    assert r["loss_pct_max"] <= 10.0, sorted(scores, key=lambda s: -s[2])[:3]
    assert all(s[1] < 600.0 for s in scores), sorted(scores, key=lambda s: -s[1])[:3]
    assert np.isfinite(r["server_cpu_pct"]) and r["server_cpu_pct"] > 0
