"""Tests for tsattn.targets.realized: per-row and range-based variance."""

import numpy as np
import pytest

from targets.helpers import ohlc
from tsattn.targets import (
    TargetMaker,
    make_targets,
    range_variance,
)


def test_realized_var_is_the_sum_of_future_squared_log_returns():
    prices = ohlc()["Close"]
    y = make_targets(prices, kind=["realized_var", "volatility"], horizon=3)
    assert list(y.columns) == ["realized_var_k3", "realized_vol_k3"]
    r = np.diff(np.log(prices.to_numpy()))
    for t in (0, 5, 26):
        assert y["realized_var_k3"].iloc[t] == pytest.approx(np.sum(r[t : t + 3] ** 2))
    np.testing.assert_allclose(y["realized_vol_k3"] ** 2, y["realized_var_k3"])
    assert y.iloc[-3:].isna().all().all()
    assert y.attrs["tsattn_targets"]["columns"]["realized_var_k3"] == (
        "realized_var",
        3,
    )


@pytest.mark.parametrize("estimator", ["parkinson", "garman_klass"])
def test_range_based_realized_var_sums_the_formula_over_the_next_rows(estimator):
    df = ohlc()
    y = make_targets(
        df, kind="realized_var", horizon=2, vol_window=4, variance_estimator=estimator
    )
    o, h, lo, c = (df[k].to_numpy() for k in ("Open", "High", "Low", "Close"))
    if estimator == "parkinson":
        v = np.log(h / lo) ** 2 / (4 * np.log(2))
    else:
        v = 0.5 * np.log(h / lo) ** 2 - (2 * np.log(2) - 1) * np.log(c / o) ** 2
    for t in (0, 7, 25):
        assert y["realized_var_k4"].iloc[t] == pytest.approx(v[t + 1 : t + 5].sum())
    assert y.attrs["tsattn_targets"]["variance_estimator"] == estimator


def test_range_variance_hand_computed_and_bad_rows():
    assert range_variance([110.0], [100.0])[0] == pytest.approx(
        np.log(1.1) ** 2 / (4 * np.log(2))
    )
    gk = range_variance(
        [110.0], [100.0], open_=[101.0], close=[108.0], estimator="garman_klass"
    )[0]
    want = 0.5 * np.log(1.1) ** 2 - (2 * np.log(2) - 1) * np.log(108 / 101) ** 2
    assert gk == pytest.approx(want)
    with pytest.raises(ValueError, match=r"low is above the high at row 0"):
        range_variance([100.0], [110.0])
    with pytest.raises(ValueError, match=r"close at row 0 \(120.0\) is outside"):
        range_variance(
            [110.0], [100.0], open_=[101.0], close=[120.0], estimator="garman_klass"
        )
    with pytest.raises(ValueError, match="needs the open and the close"):
        range_variance([110.0], [100.0], estimator="garman_klass")
    with pytest.raises(ValueError, match="'parkinson' or 'garman_klass'"):
        range_variance([110.0], [100.0], estimator="yang_zhang")


def test_range_based_variance_needs_ohlc_columns_and_a_window_kind():
    df = ohlc()
    with pytest.raises(ValueError, match=r"needs a 'High' column; the data have"):
        make_targets(df[["Close"]], kind="realized_var", variance_estimator="parkinson")
    with pytest.raises(ValueError, match=r"needs a DataFrame with 'High' and 'Low'"):
        make_targets(df["Close"], kind="realized_var", variance_estimator="parkinson")
    with pytest.raises(ValueError, match=r"needs a 'Open' column"):
        make_targets(
            df.drop(columns="Open"),
            kind="realized_var",
            variance_estimator="garman_klass",
        )
    with pytest.raises(ValueError, match=r"applies to kind='realized_var'"):
        make_targets(df, kind="log_return", variance_estimator="parkinson")
    with pytest.raises(ValueError, match=r"Did you mean 'parkinson'\?"):
        make_targets(df, kind="realized_var", variance_estimator="parkinsn")
    with pytest.raises(ValueError, match=r"needs a 'High' column"):
        TargetMaker(kind="realized_var", variance_estimator="parkinson").fit(
            df[["Close"]]
        )
