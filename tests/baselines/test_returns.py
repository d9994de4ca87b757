"""Return baselines against statsmodels and scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from statsmodels.tsa.ar_model import AutoReg, ar_select_order

from baselines.helpers import ohlc
from tsattn.baselines import (
    ARReturnForecaster,
    MeanReturnForecaster,
    ZeroReturnForecaster,
)
from tsattn.targets import make_targets


def ar_prices(n=400, phi=0.4, seed=5):
    rng = np.random.default_rng(seed)
    r = np.zeros(n)
    e = rng.normal(scale=0.01, size=n)
    for t in range(1, n):
        r[t] = 0.0005 + phi * r[t - 1] + e[t]
    return pd.DataFrame({"Close": 100 * np.exp(np.cumsum(r))})


def test_zero_and_mean_against_dummy_regressor():
    X = ohlc(200)
    y = make_targets(X, kind="log_return", horizon=2)
    assert (ZeroReturnForecaster().fit(X, y).predict(X) == 0).all()
    est = MeanReturnForecaster().fit(X.iloc[:150], y.iloc[:150])
    for j, col in enumerate(y.columns):
        known = y[col].iloc[:150].dropna().to_numpy()
        twin = DummyRegressor().fit(np.zeros((len(known), 1)), known)
        np.testing.assert_allclose(
            est.predict(X.iloc[150:])[:, j], twin.predict(np.zeros((50, 1)))
        )


@pytest.mark.parametrize("lags", [2, None])
def test_ar_matches_statsmodels_autoreg(lags):
    X = ar_prices()
    y = make_targets(X, kind=["log_return", "cum_log_return"], horizon=3)
    est = ARReturnForecaster(lags=lags).fit(X.iloc[:300], y.iloc[:300])
    r = np.diff(np.log(X["Close"].to_numpy()))  # r[i] is the return of row i + 1
    p = (
        lags
        if lags is not None
        else len(ar_select_order(r[:299], 10, ic="aic").ar_lags)
    )
    assert est.lags_ == p
    res = AutoReg(r[:299], lags=p, trend="c").fit()
    np.testing.assert_allclose(est.result_.params, res.params)
    applied = res.apply(r)
    pred = est.predict(X.iloc[300:])
    for t in range(300, 396, 19):  # rows of X; the last return known is r[t - 1]
        path = applied.predict(start=t, end=t + 2, dynamic=True)
        row = pred[t - 300]
        np.testing.assert_allclose(row[:3], path, rtol=1e-8)
        np.testing.assert_allclose(row[3:], np.cumsum(path), rtol=1e-8)


def test_ar_without_lags_forecasts_its_constant():
    # lags=0 (also what AIC picks on white noise) is the intercept-only AR
    X = ar_prices()
    y = make_targets(X, kind="log_return", horizon=2)
    est = ARReturnForecaster(lags=0).fit(X.iloc[:300], y.iloc[:300])
    r = np.diff(np.log(X["Close"].to_numpy()))
    mean = AutoReg(r[:299], lags=0, trend="c").fit().params[0]
    np.testing.assert_allclose(est.predict(X.iloc[300:]), mean, rtol=1e-10)


def test_ar_simple_return_kinds_compound():
    X = ar_prices()
    y = make_targets(X, kind="cum_return", horizon=2)
    est = ARReturnForecaster(lags=1).fit(X, y)
    simple = np.expm1(np.diff(np.log(X["Close"].to_numpy())))
    res = AutoReg(simple, lags=1, trend="c").fit()
    path = res.predict(start=len(simple), end=len(simple) + 1)
    np.testing.assert_allclose(est.predict(X)[-1], np.cumprod(1 + path) - 1)


def test_return_baselines_reject_other_kinds_and_bad_data():
    X = ohlc(100)
    with pytest.raises(ValueError, match=r"column 'up_h1' of y is kind 'direction'"):
        ARReturnForecaster().fit(X, make_targets(X, kind="direction"))
    y = make_targets(X, kind="log_return")
    flat = pd.DataFrame({"Close": np.full(50, 3.0)})
    y_flat = make_targets(flat, kind="log_return")
    with pytest.raises(ValueError, match=r"at least 20 varying returns"):
        ARReturnForecaster().fit(flat, y_flat)
    with pytest.raises(ValueError, match=r"one row per row of X \(100\)"):
        MeanReturnForecaster().fit(X, y.iloc[:50])
    with pytest.raises(ValueError, match=r"mixes log kinds and simple kinds"):
        ARReturnForecaster().fit(X, make_targets(X, kind=["log_return", "return"]))
    with pytest.raises(ValueError, match=r"cannot tell which column of X holds"):
        ARReturnForecaster().fit(X.rename(columns={"Close": "Last"}), y)
