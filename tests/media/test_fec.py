"""Reed-Solomon through the public API: exactness, typed errors, kernels agreeing."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbcs import ConfigError, FrameError
from cbcs._core import red_residual as _core_red_residual
from cbcs.media import ReedSolomon, TooManyLossesError, available_kernels, fec, rtp


def _shards(data: np.ndarray, parity: np.ndarray, lost: set[int]) -> list[np.ndarray | None]:
    rows: list[np.ndarray | None] = [*data, *parity]
    return [None if i in lost else r for i, r in enumerate(rows)]


@st.composite
def _case(draw: st.DrawFn) -> tuple[int, int, np.ndarray, set[int]]:
    k = draw(st.integers(1, 40))
    m = draw(st.integers(0, min(20, 255 - k)))
    length = draw(st.integers(0, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    data = np.random.default_rng(seed).integers(0, 256, (k, length), dtype=np.uint8)
    lost = draw(st.sets(st.integers(0, k + m - 1), max_size=m))
    return k, m, data, lost


@settings(max_examples=300, deadline=None)
@given(_case())
def test_decode_of_encode_is_exact_for_any_loss_up_to_m(
        case: tuple[int, int, np.ndarray, set[int]]) -> None:
    k, m, data, lost = case
    rs = ReedSolomon(k, m)
    parity = rs.encode(data)
    assert parity.shape == (m, data.shape[1]) and parity.dtype == np.uint8
    np.testing.assert_array_equal(rs.decode(_shards(data, parity, lost)), data)


@settings(max_examples=100, deadline=None)
@given(_case(), st.integers(1, 5))
def test_more_than_m_losses_is_a_typed_error(
        case: tuple[int, int, np.ndarray, set[int]], extra: int) -> None:
    k, m, data, _ = case
    rs = ReedSolomon(k, m)
    parity = rs.encode(data)
    lost = set(range(min(k + m, m + extra)))
    with pytest.raises(TooManyLossesError, match=f"need at least {k} of {k + m}"):
        rs.decode(_shards(data, parity, lost))


@pytest.mark.parametrize(("k", "m"), [(10, 4), (20, 10), (4, 2), (1, 1), (200, 55), (254, 1)])
@pytest.mark.parametrize("length", [1, 160, 1200, 1333])
def test_every_kernel_gives_identical_parity_and_recovers(k: int, m: int, length: int) -> None:
    data = np.random.default_rng(k * 1000 + length).integers(0, 256, (k, length), dtype=np.uint8)
    kernels = available_kernels()
    assert kernels[0] == "scalar"
    reference = ReedSolomon(k, m, kernel="scalar").encode(data)
    lost = set(range(min(m, k)))  # the data shards first: every parity row is needed
    for name in kernels:
        rs = ReedSolomon(k, m, kernel=name)
        assert rs.kernel == name
        np.testing.assert_array_equal(rs.encode(data), reference, err_msg=name)
        np.testing.assert_array_equal(rs.decode(_shards(data, reference, lost)), data, err_msg=name)


def test_auto_picks_the_fastest_supported_kernel() -> None:
    preference = ["gfni", "avx2", "avx512bw", "ssse3", "scalar"]
    expected = next(k for k in preference if k in available_kernels())
    assert ReedSolomon(4, 2).kernel == expected


def test_parity_is_linear_like_a_code_over_gf256() -> None:
    # Parity of a XOR b equals parity(a) XOR parity(b): a user can combine stripes.
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (6, 100), dtype=np.uint8)
    b = rng.integers(0, 256, (6, 100), dtype=np.uint8)
    rs = ReedSolomon(6, 3)
    np.testing.assert_array_equal(rs.encode(a ^ b), rs.encode(a) ^ rs.encode(b))
    assert not rs.encode(np.zeros_like(a)).any()


def test_decode_matrices_are_cached_per_loss_pattern() -> None:
    data = np.arange(10 * 64, dtype=np.uint8).reshape(10, 64)
    rs = ReedSolomon(10, 4)
    parity = rs.encode(data)
    for _ in range(5):
        rs.decode(_shards(data, parity, {1, 5}))
    rs.decode(_shards(data, parity, {2}))
    assert (rs.cache_misses, rs.cache_hits) == (2, 4)


def test_out_arrays_are_filled_in_place() -> None:
    rng = np.random.default_rng(3)
    data = rng.integers(0, 256, (5, 77), dtype=np.uint8)
    rs = ReedSolomon(5, 2)
    parity = np.empty((2, 77), dtype=np.uint8)
    assert rs.encode(data, out=parity) is parity
    out = np.empty_like(data)
    assert rs.decode(_shards(data, parity, {0, 4}), out=out) is out
    np.testing.assert_array_equal(out, data)


def test_input_views_are_used_without_copies() -> None:
    # Rows of one big buffer (as a receiver would keep them) decode directly.
    rng = np.random.default_rng(4)
    buf = rng.integers(0, 256, (14, 1200), dtype=np.uint8)
    rs = ReedSolomon(10, 4)
    buf[10:] = rs.encode(buf[:10])
    shards: list[np.ndarray | None] = list(buf)
    shards[3] = shards[9] = None
    np.testing.assert_array_equal(rs.decode(shards), buf[:10])


@pytest.mark.parametrize(("data", "message"), [
    (np.zeros((4, 10), dtype=np.int16), r"data: expected uint8\[4, L\] C-contiguous, got int16\[4, 10\]"),
    (np.zeros((3, 10), dtype=np.uint8), r"got uint8\[3, 10\]"),
    (np.zeros((4, 20), dtype=np.uint8)[:, ::2], r"not C-contiguous"),
    (np.zeros(40, dtype=np.uint8), r"got uint8\[40\]"),
    ([[0] * 10] * 4, r"got list"),
])
def test_wrong_data_is_a_frame_error_never_a_conversion(data: object, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        ReedSolomon(4, 2).encode(data)  # type: ignore[arg-type]


def test_wrong_shards_are_frame_errors() -> None:
    rs = ReedSolomon(4, 2)
    ok = np.zeros(8, dtype=np.uint8)
    with pytest.raises(FrameError, match="expected 6 entries"):
        rs.decode([ok] * 5)
    with pytest.raises(FrameError, match=r"shards\[2\]: expected uint8\[8\]"):
        rs.decode([ok, ok, np.zeros(9, dtype=np.uint8), ok, ok, ok])
    with pytest.raises(FrameError, match=r"shards\[0\]"):
        rs.decode([np.zeros(8, dtype=np.float32), ok, ok, ok, ok, ok])
    with pytest.raises(FrameError, match="out"):
        rs.decode([ok] * 6, out=np.zeros((4, 7), dtype=np.uint8))


@pytest.mark.parametrize(("k", "m", "kernel", "message"), [
    (0, 2, "auto", "k >= 1"),
    (250, 10, "auto", "k \\+ m <= 255, got k=250, m=10"),
    (4, 2, "neon", "kernel: expected one of"),
])
def test_bad_construction_is_a_config_error(k: int, m: int, kernel: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ReedSolomon(k, m, kernel=kernel)


def test_concurrent_large_decodes_stay_exact() -> None:
    # Large shards release the GIL; the shared decode cache must not be corrupted.
    rng = np.random.default_rng(8)
    data = rng.integers(0, 256, (10, 64 * 1024), dtype=np.uint8)
    rs = ReedSolomon(10, 4)
    parity = rs.encode(data)
    errors: list[str] = []

    def worker(lost: set[int]) -> None:
        for _ in range(5):
            if not np.array_equal(rs.decode(_shards(data, parity, lost)), data):
                errors.append(str(lost))

    threads = [threading.Thread(target=worker, args=({i, i + 3},)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- NACK / RTX -------------------------------------------------------------------------

def test_nack_requests_a_gap_once_per_rtt_until_its_deadline() -> None:
    gen = fec.NackGenerator(packet_interval_ms=20, playout_delay_ms=200, rtt_ms=50)
    gen.on_packet(10, 0.0)
    gen.on_packet(13, 60.0)            # 11 and 12 lost: nominal arrivals 20 and 40 ms
    assert gen.nacks(60.0) == [11, 12]
    assert gen.nacks(80.0) == []       # within one RTT of the request
    assert gen.nacks(110.0) == [11, 12]
    gen.on_packet(11, 115.0)           # the retransmission of 11 arrived
    # 12 is due at 40 + 200 = 240 ms: a request at t must return by then (t + 50 <= 240).
    assert gen.nacks(160.0) == [12]
    assert gen.nacks(195.0) == []      # 195 + 50 > 240: gave up
    assert gen.stats() == {"requested": 5, "recovered": 1, "given_up": 1}
    assert gen.missing_count == 0


def test_nack_does_not_request_what_cannot_arrive_in_time() -> None:
    gen = fec.NackGenerator(playout_delay_ms=100, rtt_ms=300)
    gen.on_packet(0, 0.0)
    gen.on_packet(2, 40.0)
    assert gen.nacks(40.0) == []
    assert gen.stats()["given_up"] == 1


def test_nack_tracks_gaps_across_the_sequence_wrap() -> None:
    gen = fec.NackGenerator(playout_delay_ms=500, rtt_ms=10)
    gen.on_packet(65534, 0.0)
    gen.on_packet(1, 60.0)
    assert gen.nacks(60.0) == [65535, 0]


def test_nack_config_errors_name_the_field() -> None:
    with pytest.raises(ConfigError, match="packet_interval_ms"):
        fec.NackGenerator(packet_interval_ms=0)
    with pytest.raises(ConfigError, match="max_missing"):
        fec.NackGenerator(max_missing=0)


def test_retransmission_history_is_bounded_and_rate_limited() -> None:
    hist = fec.RetransmissionHistory(capacity=4, max_packet_size=200, max_age_ms=1000)
    assert hist.memory_bytes == 800
    packets = {seq: rtp.build(111, seq % 65536, seq * 960, 1, bytes([seq % 256]) * 50)
               for seq in range(65533, 65541)}
    for i, seq in enumerate(range(65533, 65541)):
        assert hist.store(seq % 65536, packets[seq], float(i * 20))
    assert hist.resend(65533, 200.0) is None            # overwritten by newer packets
    assert hist.resend(65540 % 65536, 200.0, 100.0) == packets[65540]
    assert hist.resend(65540 % 65536, 250.0, 100.0) is None  # again within min_interval
    assert hist.resend(65540 % 65536, 2000.0) is None        # too old
    assert not hist.store(7, b"x" * 201, 0.0)
    stats = hist.stats()
    assert (stats["resent"], stats["too_soon"], stats["too_large"]) == (1, 1, 1)


# --- RED --------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2), st.integers(1, 3), st.lists(st.booleans(), min_size=30, max_size=80),
       st.integers(0, 65535))
def test_red_round_trip_delivers_each_frame_once_and_recovers_losses(
        depth: int, spacing: int, lost: list[bool], first_seq: int) -> None:
    enc = fec.RedEncoder(max_depth=2, max_spacing=3, payload_type=111)
    rx = fec.RedReceiver(samples_per_frame=960)
    frames = [bytes([i % 256]) * (10 + i % 7) for i in range(len(lost))]
    delivered: dict[int, tuple[int, bytes]] = {}
    for i, frame in enumerate(frames):
        seq, ts = (first_seq + i) % 65536, (960 * i) % 2**32
        payload = enc.encode(ts, frame, depth, spacing)
        assert payload is not None
        if lost[i]:
            continue
        for fseq, fts, data, _ in rx.on_packet(seq, ts, payload):
            assert fseq not in delivered
            delivered[fseq] = (fts, data)
    for i, frame in enumerate(frames):
        seq = (first_seq + i) % 65536
        carriers = [i] + [i + j * spacing for j in range(1, depth + 1)]
        if any(c < len(frames) and not lost[c] for c in carriers):
            assert delivered[seq] == (960 * i, frame)
        else:
            assert seq not in delivered


# --- packet FEC groups (Reed-Solomon over RTP payloads) -------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10), st.integers(1, 4), st.integers(0, 65535), st.data())
def test_fec_groups_recover_up_to_m_losses_per_group(
        k: int, m: int, first_seq: int, data: st.DataObject) -> None:
    enc = fec.FecGroupEncoder(k, m, max_payload=300)
    dec = fec.FecGroupDecoder(max_payload=300)
    groups = 3
    frames = [data.draw(st.binary(max_size=300)) for _ in range(k * groups)]
    got: dict[int, tuple[int, bytes]] = {}
    for g in range(groups):
        lost = data.draw(st.sets(st.integers(0, k + m - 1), max_size=m))
        repairs: list[bytes] = []
        for j in range(k):
            i = g * k + j
            seq, ts = (first_seq + i) % 65536, 160 * i
            repairs = enc.add_frame(seq, ts, frames[i]) or repairs
            if j not in lost:
                got[seq] = (ts, frames[i])
                for fseq, fts, payload, recovered in dec.on_frame(seq, ts, frames[i]):
                    assert recovered and fseq not in got
                    got[fseq] = (fts, payload)
        assert len(repairs) == m
        for r, repair in enumerate(repairs):
            if k + r not in lost:
                for fseq, fts, payload, _ in dec.on_repair(repair):
                    assert fseq not in got
                    got[fseq] = (fts, payload)
    for i, frame in enumerate(frames):
        assert got[(first_seq + i) % 65536] == (160 * i, frame)


def test_fec_group_decoder_survives_garbage_repairs() -> None:
    dec = fec.FecGroupDecoder(max_payload=100)
    rng = np.random.default_rng(0)
    for _ in range(500):
        dec.on_repair(rng.integers(0, 256, int(rng.integers(0, 130)), dtype=np.uint8).tobytes())
    assert dec.stats()["malformed"] > 0


# --- protection policy ------------------------------------------------------------------

def test_policy_protects_nothing_on_a_clean_link() -> None:
    assert fec.decide_protection(0.0, 1.0, 10, 5).mode == "none"


def test_policy_uses_nack_when_the_rtt_fits_the_playout_slack() -> None:
    d = fec.decide_protection(0.03, 1.5, rtt_ms=30, playout_slack_ms=150)
    assert d.mode == "nack" and d.predicted_residual < 0.01 and d.overhead < 0.1


def test_policy_never_picks_nack_when_a_resend_cannot_arrive() -> None:
    d = fec.decide_protection(0.04, 3, rtt_ms=400, playout_slack_ms=50)
    assert d.mode in {"red", "fec"} and d.added_delay_ms <= 60


@pytest.mark.parametrize(("loss", "burst"), [(0.04, 3.0), (0.10, 4.0), (0.02, 2.0)])
def test_policy_meets_its_target_within_the_delay_budget(loss: float, burst: float) -> None:
    d = fec.decide_protection(loss, burst, rtt_ms=300, playout_slack_ms=120,
                              target_residual=0.01, allowed_bitrate_bps=300_000)
    assert d.predicted_residual <= 0.01 and d.added_delay_ms <= 60
    assert d.mode != "none" and d.overhead > 0


def test_policy_respects_the_bitrate_cap() -> None:
    tight = fec.decide_protection(0.10, 4, 300, 120, allowed_bitrate_bps=70_000)
    loose = fec.decide_protection(0.10, 4, 300, 120, allowed_bitrate_bps=1_000_000)
    assert tight.overhead <= 70_000 / 56_000 - 1 + 1e-9
    assert loose.predicted_residual <= tight.predicted_residual


def test_red_model_matches_a_simulated_gilbert_elliott_chain() -> None:
    rng = np.random.default_rng(1)
    p, b, n = 0.1, 4.0, 400_000
    r, q = 1 / b, (1 / b) * p / (1 - p)
    u = rng.random(n)
    lost = np.empty(n, dtype=bool)
    state = False
    for i in range(n):
        state = (u[i] >= r) if state else (u[i] < q)
        lost[i] = state
    d, s = 2, 2
    unrecovered = lost[: n - d * s].copy()
    for j in range(1, d + 1):
        unrecovered &= lost[j * s: n - d * s + j * s]
    assert unrecovered.mean() == pytest.approx(_core_red_residual(p, b, d, s), rel=0.1)


# --- the recovery simulation behind `cbcs bench fec` -----------------------------------

def test_nack_and_red_recover_real_losses_on_an_emulated_link() -> None:
    from cbcs.bench import fec as bench
    from cbcs.media import netsim

    # A short-RTT bursty link where retransmissions fit the playout delay.
    params = netsim.LinkParams(base_delay_ms=15, jitter_ms=3, loss_rate=0.05, mean_burst=2)
    frames = 1500
    base = bench._playout_delay(params, 3, frames)
    send = np.arange(frames) * bench.FRAME_MS
    residual: dict[tuple[str, int], tuple[float, float]] = {}
    for scheme in bench.SCHEMES:
        if scheme.name == "adaptive":
            continue
        res = bench._simulate(params, 3, frames, scheme, base)
        lost = np.isinf(res.original_ms)
        for added in (60, 100):
            missed = res.available_ms > send + base[0] + added
            residual[(scheme.name, added)] = (float(lost.mean()), float((missed & lost).mean()))
    network = residual[("none", 60)][0]
    assert 0.03 < network < 0.08
    assert residual[("none", 60)][1] == pytest.approx(network)
    # RTT ~33 ms: a gap seen one packet late, asked for and resent arrives within ~70 ms.
    assert residual[("NACK", 60)][1] < network / 2
    assert residual[("NACK", 100)][1] < network / 5
    assert residual[("RED 2", 60)][1] < residual[("RED 1", 60)][1] < network


def test_encode_and_decode_into_out_arrays_allocate_nothing_in_the_core() -> None:
    from cbcs import _core

    rs = ReedSolomon(10, 4)
    data = np.random.default_rng(2).integers(0, 256, (10, 1200), dtype=np.uint8)
    parity = np.empty((4, 1200), dtype=np.uint8)
    out = np.empty_like(data)
    rs.encode(data, out=parity)
    shards = _shards(data, parity, {0, 1, 2, 3})
    rs.decode(shards, out=out)  # fills the decode-matrix cache
    before = _core.allocation_count()
    for _ in range(100):
        rs.encode(data, out=parity)
        rs.decode(shards, out=out)
    assert _core.allocation_count() == before
    np.testing.assert_array_equal(out, data)
