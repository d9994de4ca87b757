import re

import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsattn.data import (
    Panel,
    as_history,
    continuation_problem,
    future_index,
    infer_freq,
    to_panel,
)


def _frame(n=6, start="2024-01-01", freq="B", **cols):
    index = pd.date_range(start, periods=n, freq=freq, name="date")
    data = cols or {"a": np.arange(n, dtype=float), "b": np.arange(n) * 10.0}
    return pd.DataFrame(data, index=index)


def _long():
    t = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])
    return pd.DataFrame(
        {
            # sorted by date, then ticker, as many exports are
            "ticker": ["B", "A", "B", "A", "B", "A"],
            "date": np.repeat(t, 2),
            "x": [10.0, 1.0, 20.0, 2.0, 30.0, 3.0],
            "v": [5, 6, 7, 8, 9, 10],
        }
    )


# --------------------------------------------------------------------------- #
# conversion
# --------------------------------------------------------------------------- #


def test_1d_array():
    p = to_panel(np.array([1, 2, 3]))
    assert p.values.dtype == np.float32
    assert p.values.flags.c_contiguous
    np.testing.assert_array_equal(p.values, [[1.0], [2.0], [3.0]])
    assert p.columns == ("0",)
    assert isinstance(p.index, pd.RangeIndex)
    assert len(p.index) == 3
    np.testing.assert_array_equal(p.offsets, [0, 3])
    assert p.offsets.dtype == np.int64
    assert p.series_ids == ("0",)
    assert p.freq is None
    assert (p.n_series, p.n_features, len(p)) == (1, 1, 3)


def test_2d_array_names_and_casts():
    p = to_panel(np.array([[True, False], [False, True]]), columns=["u", "d"])
    np.testing.assert_array_equal(p.values, [[1, 0], [0, 1]])
    assert p.values.dtype == np.float32
    assert p.columns == ("u", "d")
    ints = to_panel(np.array([[1, 2**20], [3, 4]], dtype=np.int64))
    np.testing.assert_array_equal(ints.values, [[1, 2**20], [3, 4]])
    lists = to_panel([[1.5, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(lists.values, [[1.5, 2.0], [3.0, 4.0]])


def test_series_and_frame():
    df = _frame()
    p = to_panel(df)
    np.testing.assert_array_equal(p.values, df.to_numpy(np.float32))
    assert p.columns == ("a", "b")
    pd.testing.assert_index_equal(p.index, df.index)
    assert p.freq == "B"
    s = to_panel(df["a"])
    assert s.columns == ("a",)
    unnamed = to_panel(pd.Series([1.0, 2.0]))
    assert unnamed.columns == ("0",)
    # the user's frame is left as it was
    pd.testing.assert_frame_equal(df, _frame())


def test_values_do_not_alias_the_input():
    arr = np.arange(4, dtype=np.float32)
    df = pd.DataFrame({"a": np.arange(4, dtype=np.float32)})
    from_arr, from_df = to_panel(arr), to_panel(df)
    arr[0] = 99.0
    df.loc[0, "a"] = 99.0
    assert from_arr.values[0, 0] == 0.0
    assert from_df.values[0, 0] == 0.0
    assert from_df.values.flags.writeable


def test_tz_aware_and_period_indexes():
    tz = _frame(n=5, freq="h")
    tz.index = tz.index.tz_localize("Europe/Paris")
    p = to_panel(tz)
    assert p.freq == "h"
    assert str(p.index.tz) == "Europe/Paris"
    periods = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0]}, index=pd.period_range("2024-01", periods=3, freq="M")
    )
    assert to_panel(periods).freq == "M"
    with pytest.raises(ValueError, match="not in increasing order"):
        to_panel(periods.iloc[::-1])


def test_frame_column_selection_and_time_col():
    df = _frame().reset_index()
    df["label"] = "x"
    p = to_panel(df, columns=["b"], time_col="date")
    assert p.columns == ("b",)
    assert isinstance(p.index, pd.DatetimeIndex)
    assert p.freq == "B"
    np.testing.assert_array_equal(p.values[:, 0], df["b"].to_numpy(np.float32))


def test_integer_column_labels_become_strings():
    p = to_panel(pd.DataFrame(np.ones((3, 2))))
    assert p.columns == ("0", "1")


def test_nullable_and_bool_columns():
    df = pd.DataFrame(
        {
            "i": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
        }
    )
    p = to_panel(df, allow_nan=True)
    np.testing.assert_array_equal(p.values, [[1, 1], [np.nan, 0], [3, 1]])


def test_long_format_groups_series_keeping_row_order():
    df = _long()
    p = to_panel(df, id_col="ticker", time_col="date")
    assert p.series_ids == ("B", "A")  # order of first appearance
    np.testing.assert_array_equal(p.offsets, [0, 3, 6])
    assert p.columns == ("x", "v")
    np.testing.assert_array_equal(p.values[:, 0], [10, 20, 30, 1, 2, 3])
    assert p.freq == "B"  # 2024-01-01 .. 03 are Mon-Wed
    first = p.series(0)
    assert list(first["x"]) == [10, 20, 30]
    assert first.index[0] == pd.Timestamp("2024-01-01")
    a = p.series(-1)
    assert list(a["v"]) == [6, 8, 10]


def test_long_format_without_time_col_uses_positions():
    p = to_panel(_long().drop(columns="date"), id_col="ticker")
    assert list(p.index) == [0, 1, 2, 0, 1, 2]


def test_multiindex_equals_long_format():
    df = _long()
    wide = df.set_index(["ticker", "date"])
    a = to_panel(wide)
    b = to_panel(df, id_col="ticker", time_col="date")
    np.testing.assert_array_equal(a.values, b.values)
    assert a.series_ids == b.series_ids
    pd.testing.assert_index_equal(
        pd.DatetimeIndex(a.index), pd.DatetimeIndex(b.index), check_names=False
    )
    back = b.to_frame()
    assert back.index.names == ["series_id", "date"]
    np.testing.assert_array_equal(
        back.loc["A", "x"].to_numpy(), np.array([1, 2, 3], dtype=np.float32)
    )


def test_dict_of_series_aligns_columns_by_name():
    one = _frame(n=4)
    two = _frame(n=5)[["b", "a"]]
    p = to_panel({"s1": one, "s2": two})
    assert p.series_ids == ("s1", "s2")
    np.testing.assert_array_equal(p.offsets, [0, 4, 9])
    assert p.columns == ("a", "b")
    np.testing.assert_array_equal(
        p.series(1).to_numpy(), _frame(n=5).to_numpy(np.float32)
    )
    arrays = to_panel({"x": np.arange(3), "y": np.arange(4)})
    assert list(arrays.index) == [0, 1, 2, 0, 1, 2, 3]


def test_dict_errors():
    with pytest.raises(ValueError, match=re.escape("all series need the same columns")):
        to_panel({"s1": _frame(), "s2": _frame(c=np.ones(6))})
    with pytest.raises(TypeError, match="same kind of time index"):
        to_panel({"s1": _frame(), "s2": _frame().reset_index(drop=True)})
    with pytest.raises(ValueError, match="empty dict"):
        to_panel({})


def test_panel_passthrough_and_selection():
    p = to_panel(_frame())
    assert to_panel(p) is p
    only_b = to_panel(p, columns=["b"])
    assert only_b.columns == ("b",)
    np.testing.assert_array_equal(only_b.values[:, 0], p.values[:, 1])
    with pytest.raises(ValueError, match=re.escape("Column(s) ['zz'] not found")):
        to_panel(p, columns=["zz"])


@pytest.mark.parametrize(
    ("n_columns", "offsets", "message"),
    [(1, [0, 2], "strictly increasing from 0"), (2, [0, 3], "column name")],
)
def test_panel_invariants(n_columns, offsets, message):
    with pytest.raises(ValueError, match=message):
        Panel(
            values=np.zeros((3, n_columns)),
            columns=("a",),
            index=pd.RangeIndex(3),
            offsets=np.array(offsets),
            series_ids=("0",),
        )


def test_panel_series_out_of_range():
    p = to_panel(np.arange(3))
    with pytest.raises(IndexError, match="out of range for a panel of 1 series"):
        p.series(1)


# --------------------------------------------------------------------------- #
# bad input
# --------------------------------------------------------------------------- #


def test_nan_names_column_and_first_timestamp():
    df = _frame()
    df.loc[df.index[2], "b"] = np.nan
    df.loc[df.index[4], "b"] = np.nan
    msg = "X contains missing values (NaN) in column 'b', first at 2024-01-03"
    with pytest.raises(ValueError, match=re.escape(msg)):
        to_panel(df)
    with pytest.raises(ValueError, match=re.escape("2 in all")):
        to_panel(df)
    p = to_panel(df, allow_nan=True)
    assert np.isnan(p.values[2, 1])
    assert np.isnan(p.values[4, 1])


def test_nan_in_panel_names_series():
    df = _long()
    df.loc[4, "x"] = np.nan  # ticker B, 2024-01-03
    msg = "first at 2024-01-03 (position 2 of series 'B')"
    with pytest.raises(ValueError, match=re.escape(msg)):
        to_panel(df, id_col="ticker", time_col="date")


def test_inf_refused_even_with_allow_nan():
    df = _frame()
    df.loc[df.index[1], "a"] = -np.inf
    for allow in (False, True):
        with pytest.raises(
            ValueError, match=re.escape("infinite values in column 'a'")
        ):
            to_panel(df, allow_nan=allow)
    with pytest.raises(ValueError, match=re.escape("infinite values in column '0'")):
        to_panel(np.array([1.0, np.inf]))


def test_float32_overflow():
    with pytest.raises(ValueError, match="outside the float32 range"):
        to_panel(np.array([1.0, 1e40]))
    with pytest.raises(ValueError, match=re.escape("column 'big' holds 1e+39")):
        to_panel(pd.DataFrame({"big": [1.0, 1e39]}))


def test_float64_keeps_the_input_precision():
    x = np.array([0.1, 1.0 / 3.0, 1e-9 + 1.0])
    wide = to_panel(x, dtype=np.float64)
    assert wide.values.dtype == np.float64
    np.testing.assert_array_equal(wide.values[:, 0], x)
    narrow = to_panel(x)
    assert narrow.values.dtype == np.float32
    assert not np.array_equal(narrow.values[:, 0], x)  # 0.1 is not a float32
    long = pd.DataFrame({"id": ["a", "a", "b"], "v": x})
    np.testing.assert_array_equal(
        to_panel(long, id_col="id", dtype=np.float64).values[:, 0], x
    )
    with pytest.raises(ValueError, match="outside the float32 range"):
        to_panel(np.array([1.0, 1e40]), dtype=np.float64)
    with pytest.raises(ValueError, match=re.escape("dtype must be numpy.float32 or")):
        to_panel(x, dtype=np.int64)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [0, 1, 3, 2, 4],
            "not in increasing order: 2024-01-03 (position 3) comes after 2024-01-04",
        ),
        (
            [0, 1, 2, 2, 3],
            "duplicate time stamps: 2024-01-03 (position 3) repeats the previous row",
        ),
    ],
)
def test_time_stamps_out_of_order(rows, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        to_panel(_frame().iloc[rows])


def test_reversed_default_index():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0]}).iloc[::-1]
    with pytest.raises(ValueError, match=re.escape("position 1 comes after index 2")):
        to_panel(df)


def test_time_order_checked_per_series():
    df = _long()
    # the same stamps in two series are fine; a repeat inside series 'A' is not
    df.loc[5, "date"] = pd.Timestamp("2024-01-02")
    msg = "2024-01-02 (position 2 of series 'A') repeats the previous row"
    with pytest.raises(ValueError, match=re.escape(msg)):
        to_panel(df, id_col="ticker", time_col="date")
    unsorted = _long()
    unsorted.loc[1, "date"] = pd.Timestamp("2024-01-05")
    with pytest.raises(ValueError, match=re.escape("of series 'A') comes after")):
        to_panel(unsorted, id_col="ticker", time_col="date")


def test_nat_in_index():
    df = _frame()
    df.index = df.index.insert(6, pd.NaT)[1:]
    with pytest.raises(
        ValueError, match=re.escape("missing value (NaT) at position 5")
    ):
        to_panel(df)


def test_non_numeric_columns_named():
    df = _frame()
    df["name"] = "abc"
    df["when"] = df.index
    with pytest.raises(TypeError, match=r"non-numeric column\(s\): 'name' \(str"):
        to_panel(df)
    with pytest.raises(TypeError, match=re.escape("'when' (datetime64")):
        to_panel(df, columns=["a", "when"])
    with pytest.raises(TypeError, match="A time column belongs in the index"):
        to_panel(df, columns=["when"])


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.zeros((2, 3, 4)), ValueError, "3-D with shape (2, 3, 4)"),
        (np.float64(3.0), ValueError, "is a scalar"),
        (np.array([], dtype=float), ValueError, "X is empty (0 rows)"),
        (np.zeros((3, 0)), ValueError, "no value columns"),
        (pd.DataFrame({"a": []}, dtype=float), ValueError, "X is empty (0 rows)"),
        (np.array([1.0, "a"], dtype=object), TypeError, "dtype object"),
        (np.array(["a", "b"]), TypeError, "non-numeric dtype <U1"),
        (np.array([1 + 2j]), TypeError, "non-numeric dtype complex128"),
        ([[1.0, 2.0], [3.0]], ValueError, "could not be turned into a rectangular"),
        (None, TypeError, "X is None"),
    ],
)
def test_bad_shapes_and_types(bad, error, message):
    with pytest.raises(error, match=re.escape(message)):
        to_panel(bad)


def test_bad_columns_and_index():
    df = _frame()
    with pytest.raises(ValueError, match=re.escape("Column(s) ['c'] not found in X")):
        to_panel(df, columns=["c"])
    dup = pd.DataFrame(np.ones((2, 2)), columns=["a", "a"])
    with pytest.raises(ValueError, match=re.escape("duplicate column name(s) ['a']")):
        to_panel(dup)
    strings = pd.DataFrame({"a": [1.0, 2.0]}, index=["2024-01-01", "2024-01-02"])
    with pytest.raises(TypeError, match=re.escape("pd.to_datetime(df.index)")):
        to_panel(strings)
    with pytest.raises(ValueError, match="time_col='t' is not a column"):
        to_panel(df, time_col="t")
    with pytest.raises(ValueError, match="id_col='id' is not a column"):
        to_panel(df, id_col="id")
    with pytest.raises(TypeError, match="apply to a DataFrame"):
        to_panel(np.ones(3), id_col="id")
    with pytest.raises(ValueError, match=re.escape("but 1 name(s) were given")):
        to_panel(np.ones((3, 2)), columns=["a"])
    with pytest.raises(ValueError, match="MultiIndex with 3 levels"):
        to_panel(
            pd.DataFrame({"x": [1.0]}, index=pd.MultiIndex.from_tuples([(1, 2, 3)]))
        )


def test_missing_series_id():
    df = _long()
    df.loc[3, "ticker"] = None
    with pytest.raises(ValueError, match="series id of X is missing at row 3"):
        to_panel(df, id_col="ticker", time_col="date")


def test_name_is_used_in_messages():
    with pytest.raises(ValueError, match=re.escape("exog contains infinite values")):
        to_panel(np.array([np.inf]), name="exog")


# --------------------------------------------------------------------------- #
# lengths and targets
# --------------------------------------------------------------------------- #


def test_float32_range_is_checked_on_every_entry_path():
    from tsattn.baselines import NaiveForecaster

    X = pd.DataFrame({"close": [1.0, 2.0, 1e39, 4.0]})
    with pytest.raises(
        ValueError, match=r"column 'close' holds 1e\+39 at index 2 \(row 2\)"
    ):
        as_history(X)
    with pytest.raises(ValueError, match="outside the float32 range"):
        NaiveForecaster().fit(X)
    model = NaiveForecaster().fit(pd.DataFrame({"close": [1.0, 2.0, 3.0]}))
    new = pd.DataFrame({"close": [-1e300]}, index=[3])
    with pytest.raises(ValueError, match=r"X_new column 'close' holds -1e\+300"):
        model.update(new)
    with pytest.raises(ValueError, match=r"X column 'close' holds -1e\+300"):
        model.predict(new)


# -- input conversion -----------------------------------------------------------


def test_as_history_names_and_dtypes():
    values, index, cols, named, is_pandas = as_history(np.arange(4))
    assert values.shape == (4, 1)
    assert values.dtype == np.float64
    assert cols == ["y"]
    assert not named
    assert not is_pandas
    assert isinstance(index, pd.RangeIndex)
    _, _, cols, named, _ = as_history(np.zeros((3, 2)))
    assert cols == ["y0", "y1"]
    assert not named
    _, _, cols, named, is_pandas = as_history(pd.Series([1.0, 2.0], name="Close"))
    assert cols == ["Close"]
    assert named
    assert is_pandas
    _, _, cols, named, _ = as_history(pd.Series([1.0, 2.0]))
    assert cols == ["y"]
    assert not named
    values, _, cols, named, _ = as_history(
        pd.DataFrame({"x": [1, 2], "z": [True, False]})
    )
    assert cols == ["x", "z"]
    assert named
    np.testing.assert_array_equal(values, [[1.0, 1.0], [2.0, 0.0]])


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (np.zeros((2, 2, 2)), ValueError, "must be 1-D or 2-D"),
        (np.zeros((0, 1)), ValueError, "is empty"),
        (
            pd.DataFrame(index=range(3)),
            ValueError,
            re.escape("0 feature(s) (shape=(3, 0))"),
        ),
        (np.ones(3) * 1j, ValueError, "Complex data not supported"),
        (pd.DataFrame({"c": [1j, 2j]}), ValueError, "Complex data not supported"),
        (pd.DataFrame({"s": ["a", "b"]}), TypeError, "column 's' has dtype"),
        (["a", "b"], TypeError, "could not convert"),
        (
            pd.Series([1.0, 3.0, 2.0], index=[0, 2, 1]),
            ValueError,
            "not in increasing time order",
        ),
        (pd.Series([1.0, 2.0], index=[1, 1]), ValueError, "duplicate label"),
    ],
)
def test_as_history_rejects(bad, error, match):
    with pytest.raises(error, match=match):
        as_history(bad)


def test_sparse_input_is_refused():
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse input is not supported"):
        as_history(sparse.csr_matrix(np.eye(3)))


# -- time index helpers --------------------------------------------------------------


def test_future_index_business_days_after_friday():
    # Weekday-only daily data with a holiday gap has no regular frequency.
    index = pd.DatetimeIndex(["2024-03-25", "2024-03-26", "2024-03-28", "2024-03-29"])
    freq, strict = infer_freq(index)
    assert freq == pd.offsets.BDay()
    assert not strict
    future = future_index(index, 3, freq)
    assert list(future) == list(
        pd.DatetimeIndex(["2024-04-01", "2024-04-02", "2024-04-03"])
    )


def test_future_index_regular_range_and_period():
    index = pd.date_range("2024-01-01", periods=4, freq="h")
    index = pd.DatetimeIndex(list(index))  # drop the freq attribute
    freq, strict = infer_freq(index)
    assert strict
    assert future_index(index, 2, freq)[0] == pd.Timestamp("2024-01-01 04:00")
    assert list(future_index(pd.RangeIndex(0, 10, 2), 2, None)) == [10, 12]
    assert list(future_index(pd.Index([3, 4, 5]), 2, None)) == [6, 7]
    periods = pd.period_range("2024-01", periods=3, freq="M")
    assert str(future_index(periods, 1, periods.freq)[0]) == "2024-04"


def test_future_index_without_frequency_is_an_error():
    index = pd.DatetimeIndex(["2024-01-01", "2024-01-05", "2024-01-06 13:00"])
    freq, _ = infer_freq(index)
    assert freq is None
    with pytest.raises(ValueError, match="could not be inferred"):
        future_index(index, 1, freq)


def test_continuation_rules():
    index = pd.date_range("2024-01-01", periods=3, freq="D")
    freq, strict = infer_freq(index)
    ok = pd.date_range("2024-01-04", periods=2, freq="D")
    assert continuation_problem(index, freq, strict, ok) is None
    gap = pd.DatetimeIndex(["2024-01-05"])
    assert "regular frequency" in continuation_problem(index, freq, strict, gap)
    overlap = pd.DatetimeIndex(["2024-01-03"])
    assert "not after" in continuation_problem(index, freq, strict, overlap)
    # business-day guess: any later day continues (holidays are skipped)
    bidx = pd.DatetimeIndex(["2024-03-27", "2024-03-28"])
    bfreq, bstrict = infer_freq(bidx)
    assert (
        continuation_problem(bidx, bfreq, bstrict, pd.DatetimeIndex(["2024-04-01"]))
        is None
    )
    assert (
        continuation_problem(pd.RangeIndex(5), None, True, pd.RangeIndex(5, 7)) is None
    )
    assert "comes next" in continuation_problem(
        pd.RangeIndex(5), None, True, pd.RangeIndex(6, 8)
    )


@settings(max_examples=40, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    start=st.datetimes(
        min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2030-01-01").to_pydatetime(),
    ),
    freq=st.sampled_from(["D", "B", "h", "min", "W-SUN"]),
)
def test_frame_round_trip(values, start, freq):
    stamps = pd.date_range(start, periods=values.shape[0], freq=freq)
    index = pd.DatetimeIndex(stamps.to_numpy(), name="t")  # no freq attached
    columns = [f"c{i}" for i in range(values.shape[1])]
    df = pd.DataFrame(values, index=index, columns=columns)
    p = to_panel(df)
    pd.testing.assert_frame_equal(p.series(0), df.astype(np.float32))
    np.testing.assert_array_equal(p.values, values.astype(np.float32))
    if len(df) < 3:
        # Too short to infer a frequency, except the business-day guess for
        # weekday-only daily stamps (tested with infer_freq itself).
        guess, _ = infer_freq(index)
        assert p.freq == (None if guess is None else guess.freqstr)
        assert p.freq in (None, "B")
    elif freq == "D" and (index.day_of_week < 5).all():
        assert p.freq == "B"
    else:
        assert p.freq == freq


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 8), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
    interleave=st.booleans(),
)
def test_long_round_trip(lengths, seed, interleave):
    rng = np.random.default_rng(seed)
    parts = [
        pd.DataFrame(
            {
                "id": f"s{k}",
                "time": pd.date_range("2020-01-01", periods=n, freq="D"),
                "v": rng.normal(size=n),
                "w": rng.integers(0, 100, size=n),
            }
        )
        for k, n in enumerate(lengths)
    ]
    long = pd.concat(parts, ignore_index=True)
    if interleave:  # sorted by time, then id: rows of series interleave
        long = long.sort_values(["time", "id"], kind="stable", ignore_index=True)
    p = to_panel(long, id_col="id", time_col="time")
    ids = list(dict.fromkeys(long["id"]))
    assert p.series_ids == tuple(ids)
    np.testing.assert_array_equal(p.lengths, [lengths[int(i[1:])] for i in ids])
    for k, sid in enumerate(ids):
        expected = long[long["id"] == sid].set_index("time")[["v", "w"]]
        pd.testing.assert_frame_equal(
            p.series(k), expected.astype(np.float32), check_freq=False
        )
