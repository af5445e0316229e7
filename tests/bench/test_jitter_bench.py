"""The jitter benchmark's yardsticks on tiny hand-made traces: oracle, metrics, aiortc driver."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cbcs.media import playout as pl
from cbcs.bench._aiortc_peer import play_aiortc


def _trace(delays: list[float] | np.ndarray, packet_ms: int = 20) -> pl.Trace:
    d = np.asarray(delays, dtype=np.float64)
    send = np.arange(d.size, dtype=np.float64) * packet_ms
    return pl.Trace("hand", send, send + d, packet_ms, 16000)


def _tone(n: int = 16000) -> np.ndarray:
    return (np.sin(np.arange(n) * 2 * np.pi * 300 / 16000) * 8000).astype(np.int16)


# --- oracle -------------------------------------------------------------------------------

@pytest.mark.parametrize(("delays", "late_fraction", "n", "expected_ms", "late"), [
    # 100 frames, 1 % budget: the single worst frame may be late, the oracle takes the 2nd
    ([80.0] * 97 + [90.0, 120.0, 300.0], 0.01, 100, 120.0, 1),
    # budget of 2 frames
    ([80.0] * 97 + [90.0, 120.0, 300.0], 0.02, 100, 90.0, 2),
    # 50 frames: floor(0.5) = 0 late frames allowed, so the maximum
    ([50.0] * 49 + [70.0], 0.01, 50, 70.0, 0),
    # lost frames (NaN) do not use up the late budget
    ([math.nan] * 10 + [80.0] * 88 + [150.0, 200.0], 0.01, 100, 150.0, 1),
])
def test_oracle_is_the_smallest_constant_delay_within_the_late_budget(
        delays: list[float], late_fraction: float, n: int, expected_ms: float,
        late: int) -> None:
    o = pl.oracle(_trace(delays), late_fraction=late_fraction, n=n)
    assert o.delay_ms == pytest.approx(expected_ms)
    assert o.late_packets == late
    assert o.lost_packets == int(np.isnan(delays).sum())


def test_oracle_scores_constant_delay_and_conceals_lost_and_late() -> None:
    t = _trace([math.nan] * 5 + [80.0] * 93 + [95.0, 400.0])
    m = pl.score_oracle(t, pl.oracle(t, n=100))
    assert m.mean_delay_ms == m.p95_delay_ms == pytest.approx(95.0)
    assert m.not_played_pp == pytest.approx(1.0)
    assert m.network_loss_percent == pytest.approx(5.0)
    assert m.concealment_share == pytest.approx(0.06)


def test_evaluation_window_leaves_out_the_last_second() -> None:
    t = _trace([80.0] * 200)
    assert t.eval_packets == 150


def test_spike_makes_later_packets_queue_first_in_first_out() -> None:
    t = _trace([80.0] * 20)
    s = pl.with_spike(t, at_ms=100.0, spike_ms=100.0)
    delay = s.network_delay_ms
    # packet 5 (sent at 100 ms) waits 100 ms more; 6.. arrive right behind it until the
    # queue has drained at 20 ms per packet
    assert delay[:5].tolist() == [80.0] * 5
    assert delay[5:11].tolist() == [180.0, 160.0, 140.0, 120.0, 100.0, 80.0]
    assert np.all(np.diff(s.arrival_ms) >= 0)


# --- metrics ------------------------------------------------------------------------------

def _run(trace: pl.Trace, ticks: list[float], packets: list[int], block_ms: float = 20.0
         ) -> pl.PlayoutRun:
    played = np.zeros(trace.n_packets, bool)
    played[[p for p in packets if p >= 0]] = True
    return pl.PlayoutRun(
        peer="hand", block_ms=block_ms, tick_ms=np.asarray(ticks, float),
        block_packet=np.asarray(packets, np.int64),
        block_offset=np.zeros(len(ticks), np.int64), block_kind=[], played=played,
        late=np.zeros(trace.n_packets, bool))


def test_metrics_count_delay_loss_beyond_network_and_concealment() -> None:
    # 100 packets; packet 3 lost by the network, packet 7 arrives but is never played
    delays = [80.0] * 100
    delays[3] = math.nan
    t = _trace(delays)
    packets = [i for i in range(100) if i not in (3, 7)]
    ticks = [100.0 + 20.0 * i for i in packets]
    # two concealment blocks in place of 3 and 7
    ticks += [160.0, 240.0]
    packets += [-1, -1]
    order = np.argsort(ticks)
    run = _run(t, list(np.asarray(ticks)[order]), list(np.asarray(packets)[order]))
    m = pl.score(t, run)
    assert m.mean_delay_ms == pytest.approx(100.0)
    assert m.p95_delay_ms == pytest.approx(100.0)
    assert m.network_loss_percent == pytest.approx(100.0 / 50)  # 1 of 50 in the window
    assert m.not_played_pp == pytest.approx(100.0 / 50)         # packet 7 only
    assert m.concealment_share == pytest.approx(2 / 50)


def test_block_delay_uses_the_send_time_of_the_first_real_sample() -> None:
    t = _trace([80.0] * 60)
    run = _run(t, [100.0, 110.0], [0, 0], block_ms=10.0)
    run.block_offset[1] = 160  # second half of packet 0 (10 ms in)
    assert run.block_delay_ms(t).tolist() == [100.0, 100.0]


def test_spike_recovery_waits_until_the_target_stays_near_its_earlier_level() -> None:
    t = np.arange(0, 30000, 100.0)
    target = np.full(t.size, 60.0)
    target[(t >= 10000) & (t < 14000)] = 300.0
    target[(t >= 14000) & (t < 16000)] = 75.0   # inside the 20 ms band
    target[(t >= 16000) & (t < 16500)] = 90.0   # outside again
    run = _run(_trace([80.0] * 60), [], [])
    run.delay_samples = np.stack([t, target, target], axis=1)
    secs, level, peak = pl.spike_recovery_s(run, 10000.0)
    assert level == 60.0 and peak == 300.0
    assert secs == pytest.approx(6.5)
    run.delay_samples[-1, 1] = 200.0
    assert pl.spike_recovery_s(run, 10000.0)[0] == math.inf


def test_rtp_numbering_is_random_but_repeatable() -> None:
    assert pl.rtp_numbering(1) == pl.rtp_numbering(1)
    assert pl.rtp_numbering(1) != pl.rtp_numbering(2)
    seq, ts = pl.rtp_numbering(7)
    assert 0 <= seq < 65536 and 0 <= ts < 2**32


def test_packet_payloads_loop_the_source() -> None:
    t = _trace([80.0] * 10)
    p = pl.packet_payloads(np.arange(500, dtype=np.int16), t)
    assert p.shape == (10, 320)
    assert p[1, 0] == 320 and p[1, 180] == 0  # 500 wraps to 0


# --- aiortc driver ------------------------------------------------------------------------

def test_aiortc_without_impairment_plays_everything_four_frames_late() -> None:
    t = _trace([80.0] * 200)
    m = pl.score(t, play_aiortc(t, _tone(), seed=3))
    # prefetch=4: a frame leaves the buffer when four more behind it have arrived
    assert m.mean_delay_ms == pytest.approx(80.0 + 4 * 20.0)
    assert m.not_played_pp == 0.0 and m.concealment_share == 0.0


def test_aiortc_stalls_on_one_loss_and_flushes_frames_it_already_had() -> None:
    delays = [80.0] * 200
    delays[50] = math.nan
    t = _trace(delays)
    run = play_aiortc(t, _tone(), seed=3, record_pcm=True)
    m = pl.score(t, run)
    # aiortc#543: the gap blocks the buffer until it overflows (16 packets), which throws
    # away the four frames before the gap and leaves the delay raised from then on
    assert sorted(np.flatnonzero(~run.played[:150]).tolist()) == [46, 47, 48, 49, 50]
    assert m.not_played_pp == pytest.approx(100.0 * 4 / 150)
    assert m.p95_delay_ms > 300.0
    assert m.concealment_share > 0.05
    assert run.pcm is not None and run.pcm.size == run.tick_ms.size * 320
    assert np.array_equal(run.pcm[:320], _tone()[:320])


def test_aiortc_counts_packets_behind_the_released_frame_as_late() -> None:
    delays = [80.0] * 200
    delays[60] = 400.0  # overtaken by 61.. (reordering on the wire)
    t = _trace(delays)
    run = play_aiortc(t, _tone(), seed=5)
    assert run.late[60] and not run.played[60]
    assert pl.score(t, run).late_percent == pytest.approx(100.0 / 150)


def test_aiortc_handles_sequence_wrap() -> None:
    # seed 0 numbering starts anywhere; sweep seeds until one wraps within 200 packets
    seed = next(s for s in range(5000) if pl.rtp_numbering(s)[0] > 65536 - 150)
    t = _trace([80.0] * 200)
    m = pl.score(t, play_aiortc(t, _tone(), seed=seed))
    assert m.not_played_pp == 0.0


@pytest.mark.parametrize(("mask", "expected"), [
    ([], 0.0),
    ([False, False], 0.0),
    ([True], 1.0),
    ([True, True, False, True], 1.5),
    ([False, True, True, True, False, False, True, True, True], 3.0),
])
def test_mean_run_length(mask: list[bool], expected: float) -> None:
    assert pl.mean_run_length(np.asarray(mask, bool)) == expected


# --- the benchmark's own definitions --------------------------------------------------------

def test_scenarios_cover_the_issue_families_and_every_profile() -> None:
    from cbcs.bench import jitter
    from cbcs.media import netsim

    sc = {s.name: s for s in jitter.scenarios()}
    assert set(netsim.PROFILE_NAMES) <= set(sc)
    fam = {n: s.link for n, s in sc.items() if s.group == "family"}
    assert len(fam) == 5
    assert all(p.base_delay_ms == 80.0 for p in fam.values())
    lossy = [p for p in fam.values() if p.loss_rate]
    assert len(lossy) == 3
    assert all(p.loss_rate == 0.05 and p.mean_burst == 2.5 for p in lossy)
    assert sc["gaussian 20ms"].link.jitter_ms == 20.0
    assert sc["spikes"].link.jitter_distribution == "heavy_tailed"


@pytest.mark.parametrize(("oracle_ms", "bound"), [(4.0, 24.0), (100.0, 120.0),
                                                  (133.3, 153.3), (200.0, 230.0)])
def test_delay_bound_is_the_larger_of_20_ms_and_15_percent(oracle_ms: float,
                                                           bound: float) -> None:
    from cbcs.bench import jitter

    assert jitter.delay_bound_ms(oracle_ms) == pytest.approx(bound)


def test_emulated_trace_matches_its_link() -> None:
    from cbcs.media import netsim

    t = pl.emulate(netsim.LinkParams(base_delay_ms=80.0, jitter_ms=5.0, loss_rate=0.05,
                                     mean_burst=2.5), seed=4, duration_s=30.0)
    assert t.n_packets == 1500
    assert 2.0 < t.loss_percent() < 9.0
    assert 75.0 < float(np.nanmedian(t.network_delay_ms)) < 90.0
    o = pl.oracle(t)
    # 1 % of frames may be late, so the oracle sits between the median and the maximum
    assert float(np.nanmedian(t.network_delay_ms)) < o.delay_ms
    assert o.delay_ms < float(np.nanmax(t.network_delay_ms))


# --- the whole benchmark, tiny -----------------------------------------------------------------

def test_bench_jitter_runs_end_to_end_and_writes_side_by_side_json(
        tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    from pathlib import Path

    from cbcs.bench import jitter
    from cbcs.cli import main

    out = Path(str(tmp_path)) / "jitter.json"
    code = main(["bench", "jitter", "--duration", "4", "--seeds", "1", "--clips", "1",
                 "--json", str(out)])
    assert code == 0  # without --gate a missed bound is reported, not fatal
    doc = json.loads(out.read_text())
    names = {s.name for s in jitter.scenarios()}
    assert set(doc["scenarios"]) == names
    for r in doc["scenarios"].values():
        for peer in ("cbcs", "aiortc", "oracle"):
            assert math.isfinite(r[peer]["mean_delay_ms"])
    assert len(doc["gates"]) == 7
    assert {"cbcs_get_normal_ns", "aiortc_add_ns", "cbcs_get_allocs_total"} <= set(doc["cost"])
    assert doc["listening"]["rows"][0]["clip"]
    text = capsys.readouterr().out
    assert "playout delay, ms" in text and "PESQ-WB" in text and "gates (jitter)" in text
