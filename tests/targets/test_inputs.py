"""Tests for tsattn.targets.inputs: reading and checking the prices."""

import re

import numpy as np
import pandas as pd
import pytest

from targets.helpers import IDX, NAN, P
from tsattn.targets import (
    TARGET_KINDS,
    make_targets,
)

# ---------------------------------------------------------------------------
# inputs: Series, DataFrame columns, arrays
# ---------------------------------------------------------------------------


def test_dataframe_uses_close_by_default(prices):
    df = pd.DataFrame({"Open": np.arange(1.0, 7.0), "Close": prices})
    y = make_targets(df, kind="level")
    np.testing.assert_array_equal(y["level_h1"], [*P[1:], NAN])
    assert y.attrs["tsattn_targets"]["price_col"] == "Close"


@pytest.mark.parametrize(
    ("columns", "chosen"),
    [
        (["Open", "close"], "close"),
        (["Open", "Adj Close"], "Adj Close"),
        (["Adj Close", "Close"], "Close"),  # Close wins over Adj Close
        (["price"], "price"),  # the only column
    ],
)
def test_default_price_column_choice(columns, chosen):
    df = pd.DataFrame({c: np.arange(1.0, 7.0) * (i + 1) for i, c in enumerate(columns)})
    y = make_targets(df, kind="level")
    assert y.attrs["tsattn_targets"]["price_col"] == chosen
    np.testing.assert_array_equal(y["level_h1"].iloc[:-1], df[chosen].iloc[1:])


def test_explicit_price_col(prices):
    df = pd.DataFrame({"Close": np.ones(6), "mid": prices})
    y = make_targets(df, kind="level", price_col="mid")
    np.testing.assert_array_equal(y["level_h1"], [*P[1:], NAN])


@pytest.mark.parametrize(
    "arr", [np.array(P), P, np.array(P)[:, None]], ids=["1d", "list", "2d-1col"]
)
def test_array_input_gets_range_index(arr):
    y = make_targets(arr, kind="level")
    assert isinstance(y.index, pd.RangeIndex)
    assert len(y) == 6
    assert y.attrs["tsattn_targets"]["price_col"] is None
    np.testing.assert_array_equal(y["level_h1"], [*P[1:], NAN])


def test_negative_prices_allowed_for_level_direction_and_return():
    p = pd.Series([-1.0, 2.0, -4.0])
    y = make_targets(p, kind=["level", "direction", "return"])
    np.testing.assert_array_equal(y["level_h1"], [2.0, -4.0, NAN])
    np.testing.assert_array_equal(y["up_h1"], [1.0, 0.0, NAN])
    np.testing.assert_array_equal(y["return_h1"], [-3.0, -3.0, NAN])


def test_input_is_not_modified(prices):
    before = prices.copy()
    make_targets(prices, kind=list(TARGET_KINDS), horizon=3)
    pd.testing.assert_series_equal(prices, before)


def test_missing_price_column_lists_available_columns(prices):
    df = pd.DataFrame({"Open": prices, "High": prices})
    with pytest.raises(
        ValueError, match=re.escape("Available columns: ['Open', 'High']")
    ):
        make_targets(df)
    with pytest.raises(ValueError, match=re.escape("Pass price_col='<column name>'")):
        make_targets(df)
    with pytest.raises(ValueError, match=re.escape("Did you mean 'High'?")):
        make_targets(df, price_col="high")


def test_duplicated_price_column(prices):
    df = pd.concat([prices, prices], axis=1)
    with pytest.raises(
        ValueError, match=re.escape("prices has 2 columns named 'Close'")
    ):
        make_targets(df)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (NAN, "the first is nan at 2024-01-03 00:00:00 (row 2)"),
        (np.inf, "the first is inf at 2024-01-03 00:00:00 (row 2)"),
    ],
)
def test_missing_or_infinite_price_names_timestamp(prices, value, match):
    prices.iloc[2] = value
    prices.iloc[4] = value
    with pytest.raises(ValueError, match=re.escape("2 missing or infinite value(s)")):
        make_targets(prices, kind="level")
    with pytest.raises(ValueError, match=re.escape(match)):
        make_targets(prices, kind="level")


def test_nullable_missing_price_is_reported():
    p = pd.Series([1.0, None, 3.0], dtype="Float64", index=IDX[:3])
    with pytest.raises(ValueError, match=re.escape("at 2024-01-02 00:00:00 (row 1)")):
        make_targets(p)


@pytest.mark.parametrize("kind", ["log_return", "cum_log_return", "volatility"])
@pytest.mark.parametrize("bad", [0.0, -3.0])
def test_non_positive_price_for_log_kinds_names_timestamp(prices, kind, bad):
    prices.iloc[3] = bad
    prices.iloc[5] = -1.0
    msg = (
        f"kind ['{kind}'] takes the logarithm of prices, which must be > 0; found 2 "
        f"non-positive price(s), the first is {bad} at 2024-01-04 00:00:00 (row 3)"
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        make_targets(prices, kind=[kind, "level"])


@pytest.mark.parametrize("kind", ["return", "cum_return"])
def test_zero_price_for_simple_returns_names_timestamp(prices, kind):
    prices.iloc[1] = 0.0
    msg = "the price at 2024-01-02 00:00:00 (row 1) is 0"
    with pytest.raises(ValueError, match=re.escape(msg)):
        make_targets(prices, kind=kind)


@pytest.mark.parametrize(
    "bad",
    [
        pd.Series(["1", "2", "3"]),
        pd.Series([True, False, True]),
    ],
    ids=["str", "bool"],
)
def test_non_numeric_prices(bad):
    with pytest.raises(TypeError, match=re.escape("prices must be numeric")):
        make_targets(bad)


def test_array_shape_errors():
    with pytest.raises(ValueError, match=re.escape("got an array of shape (6, 2)")):
        make_targets(np.ones((6, 2)))
    with pytest.raises(ValueError, match=re.escape("prices is empty")):
        make_targets(pd.Series([], dtype=float))


def test_time_order_errors(prices):
    with pytest.raises(
        ValueError,
        match=re.escape("2024-01-03 00:00:00 (row 2) comes after 2024-01-04 00:00:00"),
    ):
        make_targets(prices.iloc[[0, 3, 2, 4]])
    with pytest.raises(
        ValueError, match=re.escape("duplicated timestamps, the first being 2024-01-03")
    ):
        make_targets(prices.iloc[[0, 1, 2, 2, 3]])
