import contextlib
import itertools
import os
import re
import subprocess
import sys
import textwrap
from unittest import mock

import hypothesis.extra.numpy as hnp
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsattn.windows import (
    WindowSet,
    _flags,
    _numba,
    _reference,
    gather,
    make_windows,
    window_starts,
)

FINITE = st.floats(-1e3, 1e3, width=32, allow_subnormal=False)


# ------------------------------------------------------------------ strategies
@st.composite
def panels(draw, max_series=4, max_len=25):
    """(offsets, values (n, F), targets (n, T)) with a few NaNs sprinkled in."""
    lengths = draw(st.lists(st.integers(0, max_len), min_size=1, max_size=max_series))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(offsets[-1])
    arrays = []
    for width in (draw(st.integers(1, 3)), draw(st.integers(1, 2))):
        arr = draw(hnp.arrays(np.float32, (n, width), elements=FINITE))
        if n:
            cells = st.tuples(st.integers(0, n - 1), st.integers(0, width - 1))
            for i, j in draw(st.lists(cells, max_size=3)):
                arr[i, j] = np.nan
        arrays.append(arr)
    return offsets, arrays[0], arrays[1]


geometries = st.fixed_dictionaries(
    {
        "window_length": st.integers(1, 8),
        "horizon": st.integers(1, 4),
        "target_offset": st.integers(-10, 3),
        "step": st.integers(1, 4),
    }
)


@st.composite
def gather_cases(draw):
    """values (n, F), valid starts, length and offset."""
    n = draw(st.integers(1, 40))
    n_features = draw(st.integers(1, 4))
    values = draw(hnp.arrays(np.float32, (n, n_features), elements=FINITE))
    length = draw(st.integers(1, n))
    offset = draw(st.integers(-3, 3))
    first = draw(st.lists(st.integers(0, n - length), max_size=12))
    starts = np.asarray(first, dtype=np.int64) - offset
    return values, starts, length, offset


@contextlib.contextmanager
def threads(on: bool):
    """Route every batch to the prange kernels (on) or to the serial ones (off)."""
    with mock.patch.object(_flags, "PARALLEL_MIN_ELEMENTS", 0 if on else 1 << 62):
        yield


def _rows_touched(s, window_length, horizon, target_offset):
    t0 = s + window_length + target_offset
    return min(s, t0), max(s + window_length, t0 + horizon)


# ---------------------------------------------------------- kernels vs numpy twin
@given(panel=panels(), geo=geometries, skip_nan=st.booleans(), use=st.integers(0, 3))
def test_window_starts_matches_reference(panel, geo, skip_nan, use):
    offsets, values, targets = panel
    x = values if use & 1 else None
    y = targets if use & 2 else None
    got = window_starts(offsets, values=x, targets=y, skip_nan=skip_nan, **geo)
    want = _reference.window_starts(
        offsets,
        geo["window_length"],
        geo["horizon"],
        geo["target_offset"],
        geo["step"],
        x if skip_nan else None,
        y if skip_nan else None,
    )
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


@given(panel=panels(), geo=geometries)
def test_window_starts_invariants(panel, geo):
    """Sorted, inside one series, NaN-free, end-aligned, and complete."""
    offsets, values, targets = panel
    L, H, to, step = (
        geo["window_length"],
        geo["horizon"],
        geo["target_offset"],
        geo["step"],
    )
    starts = window_starts(offsets, values=values, targets=targets, **geo)
    assert np.all(np.diff(starts) > 0)
    lo_hi = [_rows_touched(int(s), L, H, to) for s in starts]
    series = np.searchsorted(offsets, starts, side="right") - 1
    for s, i, (lo, hi) in zip(starts, series, lo_hi):
        a, b = offsets[i], offsets[i + 1]
        assert a <= lo, (s, a, b)
        assert hi <= b, (s, a, b)
        # Steps count back from the last start that fits in the series.
        last = b - max(L, L + to + H)
        assert (last - s) % step == 0
        assert not np.isnan(values[s : s + L]).any()
        t0 = s + L + to
        assert not np.isnan(targets[t0 : t0 + H]).any()
    # Without NaN screening every end-aligned start is present.
    everything = window_starts(offsets, **geo)
    lead = min(0, L + to)
    expected = sum(
        max(0, (int(b) - max(L, L + to + H) - (int(a) - lead)) // step + 1)
        for a, b in itertools.pairwise(offsets)
    )
    assert everything.shape[0] == expected
    assert np.isin(starts, everything).all()


@given(panel=panels())
def test_nan_row_counts_matches_reference(panel):
    _, values, targets = panel
    for arr in (values, targets):
        np.testing.assert_array_equal(
            _numba.nan_row_counts(arr), _reference.nan_row_counts(arr)
        )


@given(case=gather_cases())
def test_gather_matches_reference(case):
    values, starts, length, offset = case
    want = _reference.gather(values, starts, length, offset)
    for on in (False, True):
        with threads(on):
            got = gather(values, starts, length, offset=offset)
        assert got.dtype == np.float32
        assert got.shape == (starts.shape[0], length, values.shape[1])
        np.testing.assert_array_equal(got, want)


@given(panel=panels(), geo=geometries)
def test_window_set_batches_are_the_rows(panel, geo):
    offsets, values, targets = panel
    if window_starts(offsets, values=values, targets=targets, **geo).size == 0:
        with pytest.raises(
            ValueError, match=r"longest series|candidate windows|no rows"
        ):
            make_windows(values, targets, offsets=offsets, **geo)
        return
    ws = make_windows(values, targets, offsets=offsets, **geo)
    L, H, to = geo["window_length"], geo["horizon"], geo["target_offset"]
    idx = np.arange(len(ws))
    x, y = ws.get_batch(idx)
    for k, s in enumerate(ws.starts):
        np.testing.assert_array_equal(x[k], values[s : s + L])
        np.testing.assert_array_equal(y[k], targets[s + L + to : s + L + to + H])
    assert not np.isnan(x).any()
    assert not np.isnan(y).any()
    series = ws.series_index
    assert np.all((offsets[series] <= ws.starts) & (ws.starts < offsets[series + 1]))


# ---------------------------------------------------------------- golden cases
def test_golden_two_series_panel():
    # Series 0 holds rows 0..5, series 1 rows 6..9; a window needs 3 + 1 rows.
    offsets = np.array([0, 6, 10])
    starts = window_starts(offsets, window_length=3, horizon=1)
    np.testing.assert_array_equal(starts, [0, 1, 2, 6])
    values = np.arange(10, dtype=np.float32)[:, None]
    ws = make_windows(values, values * 10, window_length=3, horizon=1, offsets=offsets)
    x, y = ws.get_batch([1, 3])
    np.testing.assert_array_equal(x[:, :, 0], [[1, 2, 3], [6, 7, 8]])
    np.testing.assert_array_equal(y[:, :, 0], [[40], [90]])
    np.testing.assert_array_equal(ws.series_index, [0, 0, 0, 1])


def test_golden_step_is_aligned_to_series_end():
    # Last start that fits a 2 + 1 window in 7 rows is 4; step 3 goes back to 1.
    np.testing.assert_array_equal(
        window_starts([0, 7], window_length=2, horizon=1, step=3), [1, 4]
    )
    np.testing.assert_array_equal(
        window_starts([0, 7, 15], window_length=2, horizon=1, step=2),
        [0, 2, 4, 8, 10, 12],
    )
    # The most recent window is kept whatever the step.
    starts = window_starts([0, 100], window_length=10, horizon=5, step=7)
    np.testing.assert_array_equal(starts, np.arange(1, 86, 7))


def test_golden_supervised_mode_targets_last_row():
    values = np.arange(5, dtype=np.float32)
    targets = values + 100
    ws = make_windows(values, targets, window_length=3, horizon=1, target_offset=-1)
    np.testing.assert_array_equal(ws.starts, [0, 1, 2])  # the last row is usable
    x, y = ws.get_batch(np.arange(3))
    np.testing.assert_array_equal(x[:, -1, 0] + 100, y[:, 0, 0])


def test_golden_nan_skipping():
    values = np.arange(8, dtype=np.float32)
    values[3] = np.nan
    targets = np.zeros(8, dtype=np.float32)
    targets[7] = np.nan
    kw = {"window_length": 2, "horizon": 1}
    np.testing.assert_array_equal(
        window_starts([0, 8], values=values, targets=targets, **kw), [0, 1, 4]
    )
    np.testing.assert_array_equal(
        window_starts([0, 8], values=values, targets=targets, skip_nan=False, **kw),
        np.arange(6),
    )
    # Integer data cannot hold NaN and is accepted as-is.
    np.testing.assert_array_equal(
        window_starts([0, 8], values=np.arange(8), **kw), np.arange(6)
    )


def test_golden_empty_series_and_short_series():
    # An empty series and one too short for any window contribute nothing.
    starts = window_starts([0, 0, 2, 7], window_length=3, horizon=2)
    np.testing.assert_array_equal(starts, [2])
    assert window_starts([0, 3], window_length=3, horizon=2).size == 0


def test_gather_targets_by_offset():
    targets = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = gather(targets, [0, 4], 3, offset=2)
    np.testing.assert_array_equal(y[1], targets[6:9])


def test_large_panel_matches_reference():
    # Big enough to run the parallel loops on more than one thread.
    rng = np.random.default_rng(0)
    values = rng.standard_normal((5000, 3)).astype(np.float32) * 50 + 100
    values[rng.integers(0, 5000, 20), rng.integers(0, 3, 20)] = np.nan
    offsets = np.array([0, 1200, 1201, 3900, 5000])
    starts = window_starts(offsets, window_length=64, horizon=8, step=3, values=values)
    np.testing.assert_array_equal(
        starts, _reference.window_starts(offsets, 64, 8, 0, 3, values)
    )
    want = _reference.gather(values, starts, 64)
    for on in (False, True):
        with threads(on):
            got = gather(values, starts, 64)
        np.testing.assert_array_equal(got, want)


def test_only_large_batches_use_threads():
    values = np.ones((64, 2), dtype=np.float32)
    small = [0, 1, 2]
    names = ("gather",)
    spies = {
        name + suffix: mock.patch.object(
            _numba, name + suffix, wraps=getattr(_numba, name + suffix)
        )
        for name in names
        for suffix in ("", "_parallel")
    }
    with contextlib.ExitStack() as stack:
        calls = {key: stack.enter_context(spy) for key, spy in spies.items()}
        gather(values, small, 8)
        for name in names:
            assert calls[name].call_count == 1
            assert calls[name + "_parallel"].call_count == 0
        if numba.config.NUMBA_NUM_THREADS > 1:
            with mock.patch.object(_flags, "PARALLEL_MIN_ELEMENTS", 3 * 8 * 2):
                gather(values, small, 8)
            for name in names:
                assert calls[name + "_parallel"].call_count == 1


# ------------------------------------------------------------------ out buffers
def test_out_buffers_are_filled_in_place():
    values = np.arange(30, dtype=np.float32).reshape(10, 3)
    out = np.full((2, 4, 3), -1.0, dtype=np.float32)
    res = gather(values, [1, 5], 4, out=out)
    assert res is out
    np.testing.assert_array_equal(out[1], values[5:9])
    ws = make_windows(values, values[:, :1], window_length=4, horizon=2)
    ox = np.empty((3, 4, 3), dtype=np.float32)
    oy = np.empty((3, 2, 1), dtype=np.float32)
    x, y = ws.get_batch([0, 2, -1], out_x=ox, out_y=oy)
    assert x is ox
    assert y is oy
    np.testing.assert_array_equal(oy[2, :, 0], values[8:10, 0])


def test_make_windows_converts_once_and_shares_float32():
    values = np.ones((20, 2), dtype=np.float32)
    ws = make_windows(values, window_length=4, horizon=1)
    assert ws.values is values
    ws64 = make_windows(values.astype(np.float64), window_length=4, horizon=1)
    assert ws64.values.dtype == np.float32
    assert ws64.values.flags.c_contiguous
    x, y = ws.get_batch(np.arange(len(ws)))
    assert y is None
    assert x.shape == (16, 4, 2)
    assert (len(ws), ws.n_features, ws.n_targets) == (16, 2, 0)
    assert "n_windows=16" in repr(ws)
    assert isinstance(ws, WindowSet)
    # 1-D input is one feature; default offsets span all rows.
    ws1 = make_windows(np.arange(6.0), np.arange(6.0), window_length=2, horizon=2)
    np.testing.assert_array_equal(ws1.offsets, [0, 6])
    assert ws1.n_features == ws1.n_targets == 1


def test_empty_batches():
    values = np.ones((5, 2), dtype=np.float32)
    assert gather(values, [], 3).shape == (0, 3, 2)
    ws = make_windows(values, values, window_length=2, horizon=1)
    x, y = ws.get_batch([])
    assert x.shape == (0, 2, 2)
    assert y.shape == (0, 1, 2)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"window_length": 0}, ValueError, "window_length must be an int >= 1. Got 0"),
        ({"horizon": -2}, ValueError, "horizon must be an int >= 1. Got -2"),
        ({"step": 0}, ValueError, "step must be an int >= 1. Got 0"),
        (
            {"window_length": 2.5},
            TypeError,
            "window_length must be an int >= 1. Got 2.5",
        ),
        ({"window_length": True}, TypeError, "window_length must be an int"),
        ({"target_offset": 1.0}, TypeError, "target_offset must be an int. Got 1.0"),
        ({"skip_nan": "yes"}, TypeError, "skip_nan must be True or False"),
        ({"offsets": [[0, 10]]}, ValueError, "offsets must be a 1-D array"),
        ({"offsets": [10]}, ValueError, "offsets must be a 1-D array"),
        ({"offsets": [0.0, 10.0]}, TypeError, "offsets must hold integers"),
        ({"offsets": [1, 10]}, ValueError, "offsets[0] must be 0; got 1"),
        (
            {"offsets": [0, 5, 3, 10]},
            ValueError,
            "offsets must be non-decreasing; offsets[2] = 3 < offsets[1] = 5",
        ),
        (
            {"values": np.ones((9, 1))},
            ValueError,
            "values has 9 rows but the panel has 10",
        ),
        (
            {"targets": np.ones(11)},
            ValueError,
            "targets has 11 rows but the panel has 10",
        ),
        (
            {"values": np.ones((10, 1, 1))},
            ValueError,
            "values must be 1-D (n,) or 2-D (n, n_features); got 3-D",
        ),
    ],
)
def test_window_starts_bad_input(kwargs, exc, message):
    args = {"offsets": [0, 10], "window_length": 3, "horizon": 1, **kwargs}
    with pytest.raises(exc, match=re.escape(message)):
        window_starts(**args)


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"starts": [0, 8]}, ValueError, "starts[1] = 8 reads rows 8:11"),
        ({"starts": [0, 8]}, ValueError, "starts must lie in [0, 7]"),
        ({"starts": [1], "offset": -2}, ValueError, "starts[0] = 1 reads rows -1:2"),
        ({"starts": [0.0]}, TypeError, "starts must hold integer row positions"),
        ({"starts": [[0]]}, ValueError, "starts must be 1-D"),
        ({"length": 0}, ValueError, "length must be an int >= 1. Got 0"),
        ({"offset": 0.5}, TypeError, "offset must be an int"),
        ({"values": np.ones((10, 2, 2))}, ValueError, "values must be 1-D (n,) or 2-D"),
        ({"values": np.array(["a"] * 10)}, TypeError, "values must hold real numbers"),
        ({"values": np.ones((10, 0))}, ValueError, "values has no columns"),
        (
            {"out": np.empty((2, 3, 2), np.float32)},
            ValueError,
            "out has shape (2, 3, 2) but this batch needs (2, 3, 1)",
        ),
        (
            {"out": np.empty((2, 3, 1), np.float64)},
            TypeError,
            "out must have dtype float32; got float64",
        ),
        ({"out": [[0.0]]}, TypeError, "out must be a numpy.ndarray"),
        (
            {"out": np.empty((2, 3, 2), np.float32)[:, :, :1]},
            ValueError,
            "out must be a writeable, C-contiguous array",
        ),
    ],
)
def test_gather_bad_input(kwargs, exc, message):
    args = {"values": np.ones(10, np.float32), "starts": [0, 1], "length": 3, **kwargs}
    with pytest.raises(exc, match=re.escape(message)):
        gather(args.pop("values"), args.pop("starts"), args.pop("length"), **args)


def test_read_only_out_is_rejected():
    out = np.empty((1, 2, 1), np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="writeable, C-contiguous"):
        gather(np.ones(4, np.float32), [0], 2, out=out)


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        (
            np.ones(48),
            {"window_length": 50, "horizon": 10},
            "window_length + horizon (= 60) exceeds the longest series (= 48 rows). "
            "Pass a longer series or reduce window_length / horizon.",
        ),
        (
            np.ones(48),
            {"window_length": 60, "horizon": 1, "target_offset": -1},
            "window_length (= 60) exceeds the longest series (= 48 rows)",
        ),
        (
            np.ones(48),
            {"window_length": 40, "horizon": 5, "target_offset": 4},
            "spans 49 rows, which exceeds the longest series (= 48 rows)",
        ),
        (
            np.ones(20),
            {"window_length": 8, "horizon": 4, "offsets": [0, 10, 20]},
            "window_length + horizon (= 12) exceeds the longest series (= 10 rows)",
        ),
        (
            np.r_[np.ones(4), np.nan, np.ones(4)],
            {"window_length": 5, "horizon": 1},
            "All 4 candidate windows hold a NaN",
        ),
        (np.ones((0, 2)), {"window_length": 1, "horizon": 1}, "values has no rows"),
        (
            np.ones(10),
            {"window_length": 2, "horizon": 1, "offsets": [0, 9]},
            "offsets[-1] (= 9) must equal the number of rows (= 10)",
        ),
        (
            np.ones(10),
            {"window_length": 2, "horizon": 1, "targets": np.ones(9)},
            "targets has 9 rows but values has 10",
        ),
        (np.ones(10), {"window_length": 0, "horizon": 1}, "window_length must be"),
    ],
)
def test_make_windows_bad_input(values, kwargs, message):
    targets = kwargs.pop("targets", None)
    with pytest.raises(ValueError, match=re.escape(message)):
        make_windows(values, targets, **kwargs)


def test_make_windows_rejects_non_numeric():
    with pytest.raises(TypeError, match="values must hold real numbers; got an array"):
        make_windows(np.array([object(), object()]), window_length=1, horizon=1)
    ws = make_windows(np.array([1, 2, 3], dtype=object), window_length=1, horizon=1)
    assert ws.values.dtype == np.float32


@pytest.mark.parametrize(
    ("idx", "kwargs", "exc", "message"),
    [
        ([0, 5], {}, ValueError, "idx[1] = 5 is out of range for a WindowSet of 5"),
        ([-6], {}, ValueError, "idx[0] = -6 is out of range"),
        ([0.0], {}, TypeError, "idx must hold integer window numbers"),
        ([[0]], {}, ValueError, "idx must be 1-D"),
        (
            [0],
            {"out_x": np.empty((2, 3, 1), np.float32)},
            ValueError,
            "out has shape (2, 3, 1) but this batch needs (1, 3, 1)",
        ),
    ],
)
def test_get_batch_bad_input(idx, kwargs, exc, message):
    ws = make_windows(np.arange(8.0), np.arange(8.0), window_length=3, horizon=1)
    with pytest.raises(exc, match=re.escape(message)):
        ws.get_batch(idx, **kwargs)


def test_subset_keeps_geometry_and_shares_arrays():
    values = np.arange(12, dtype=np.float32)
    ws = make_windows(values, values, window_length=3, horizon=2, step=2)
    np.testing.assert_array_equal(ws.starts, [1, 3, 5, 7])
    sub = ws.subset([1, 3])
    np.testing.assert_array_equal(sub.starts, [3, 7])
    assert sub.values is ws.values
    assert sub.targets is ws.targets
    assert (sub.window_length, sub.horizon, sub.step) == (3, 2, 2)
    _, y = sub.get_batch([1])
    np.testing.assert_array_equal(y[0, :, 0], [10, 11])
    np.testing.assert_array_equal(ws.subset(ws.starts > 4).starts, [5, 7])
    assert len(ws.subset([])) == 0
    with pytest.raises(ValueError, match=re.escape("one entry per window (4)")):
        ws.subset(np.array([True, False]))
    with pytest.raises(ValueError, match="out of range for a WindowSet of 4"):
        ws.subset([4])
    with pytest.raises(TypeError, match="integer window numbers or booleans"):
        ws.subset([0.5])


def test_get_batch_out_y_without_targets():
    ws = make_windows(np.arange(8.0), window_length=3, horizon=1)
    with pytest.raises(ValueError, match="out_y was given but this WindowSet has no"):
        ws.get_batch([0], out_y=np.empty((1, 1, 1), np.float32))
    x, y = ws.get_batch(np.int64(2))
    assert y is None
    assert x.shape == (1, 3, 1)


# ----------------------------------------------------------- numba housekeeping
def _run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_compiles_nothing_and_needs_no_torch_or_pandas():
    proc = _run_python(
        """
        import sys
        import tsattn
        before = set(sys.modules)
        import tsattn.windows
        from tsattn.windows import _numba
        new = {m.split(".")[0] for m in set(sys.modules) - before}
        heavy = new & {"torch", "pandas"}
        assert not heavy, heavy
        kernels = [getattr(_numba, name) for name in _numba.__all__]
        compiled = [k.py_func.__name__ for k in kernels if k.signatures]
        assert not compiled, compiled
        print("ok")
        """,
        NUMBA_DISABLE_JIT="0",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_kernels_run_as_plain_python_with_jit_disabled():
    # The same kernel source, interpreted (NUMBA_DISABLE_JIT=1), against the twins.
    proc = _run_python(
        """
        import numpy as np
        import numba
        assert numba.config.DISABLE_JIT
        from tsattn.windows import _flags, _reference as R, gather, window_starts
        rng = np.random.default_rng(1)
        offsets = np.array([0, 30, 31, 70])
        for n_features, threshold in ((1, 0), (3, 0), (1, 1 << 62), (3, 1 << 62)):
            _flags.PARALLEL_MIN_ELEMENTS = threshold
            x = rng.standard_normal((70, n_features)).astype(np.float32)
            x[[5, 50], 0] = np.nan
            y = rng.standard_normal((70, 2)).astype(np.float32)
            y[12, 1] = np.nan
            s = window_starts(offsets, window_length=6, horizon=2, step=2,
                              values=x, targets=y)
            np.testing.assert_array_equal(
                s, R.window_starts(offsets, 6, 2, 0, 2, x, y))
            np.testing.assert_array_equal(gather(x, s, 6), R.gather(x, s, 6))
            np.testing.assert_array_equal(
                gather(y, s, 2, offset=6), R.gather(y, s, 2, 6))
        print("ok")
        """,
        NUMBA_DISABLE_JIT="1",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
