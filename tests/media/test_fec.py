"""Reed-Solomon through the public API: exactness, typed errors, kernels agreeing."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbcs import ConfigError, FrameError
from cbcs.media import ReedSolomon, TooManyLossesError, available_kernels


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
    assert ReedSolomon(4, 2).kernel == available_kernels()[-1]


def test_parity_is_linear_like_a_code_over_gf256() -> None:
    # Parity of a XOR b equals parity(a) XOR parity(b): a user can combine stripes.
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (6, 100), dtype=np.uint8)
    b = rng.integers(0, 256, (6, 100), dtype=np.uint8)
    rs = ReedSolomon(6, 3)
    np.testing.assert_array_equal(rs.encode(a ^ b), rs.encode(a) ^ rs.encode(b))
    assert not rs.encode(a).any() or rs.encode(np.zeros_like(a)).sum() == 0


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
