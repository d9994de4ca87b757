"""Variance baselines: EWMA by its recursion, GARCH against arch, HAR against OLS."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from arch import arch_model

from baselines.helpers import ohlc
from tsattn.baselines import (
    EWMAVarianceForecaster,
    EWMAVolatilityForecaster,
    GARCHForecaster,
    HARForecaster,
)
from tsattn.targets import make_targets


def test_ewma_hand_recursion():
    r = np.array([0.01, -0.02, 0.015, 0.0, -0.03])
    s = np.mean(r[:2] ** 2)
    for x in r:
        s = 0.9 * s + 0.1 * x**2
    est = EWMAVolatilityForecaster(decay=0.9, init_window=2, horizon=2).fit(r)
    np.testing.assert_allclose(est.forecast()["y"], [s, s])
    assert list(est.forecast().columns) == ["y"]  # no quantiles for variances


# -- GARCH and HAR (supervised face) ---------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "o", "dist"),
    [({}, 0, "normal"), ({"gjr": True, "dist": "t"}, 1, "t")],
)
def test_garch_matches_arch_fit_and_variance_path(kwargs, o, dist):
    X = ohlc(500)
    y = make_targets(X, kind="realized_var", horizon=5)
    est = GARCHForecaster(**kwargs).fit(X.iloc[:350], y.iloc[:350])
    r = 100 * np.diff(np.log(X["Close"].to_numpy()))
    twin = arch_model(
        r[:349], mean="Constant", vol="GARCH", p=1, o=o, q=1, dist=dist, rescale=False
    ).fit(disp="off")
    np.testing.assert_allclose(est.params_, twin.params, rtol=1e-6)
    # arch's own forecasts on the longer series with the same parameters
    full = arch_model(
        r, mean="Constant", vol="GARCH", p=1, o=o, q=1, dist=dist, rescale=False
    )
    want = full.forecast(twin.params, horizon=5, start=0, reindex=False).variance
    pred = est.predict(X)[:, 0]
    assert np.isnan(pred[0])  # no return known at the first price
    np.testing.assert_allclose(pred[1:], want.to_numpy().sum(axis=1) / 1e4, rtol=1e-6)
    # later rows alone continue the training rows: the same numbers
    np.testing.assert_allclose(est.predict(X.iloc[350:])[:, 0], pred[350:])


def test_garch_volatility_unit_is_the_root_of_the_variance():
    X = ohlc(300)
    var = make_targets(X, kind="realized_var", horizon=3)
    vol = make_targets(X, kind="volatility", horizon=3)
    a = GARCHForecaster().fit(X, var).predict(X)
    b = GARCHForecaster(unit="volatility").fit(X, vol).predict(X)
    np.testing.assert_allclose(np.sqrt(a), b, rtol=1e-6)


def _har_by_hand(v, target, train, lags=(1, 5, 22)):
    s = pd.Series(v)
    F = pd.concat([s.rolling(k).mean() for k in lags], axis=1).to_numpy()
    rows = np.isfinite(F).all(axis=1) & np.isfinite(target)
    rows[train:] = False
    ols = sm.OLS(target[rows], sm.add_constant(F[rows])).fit()
    return ols.params, ols.params[0] + F @ ols.params[1:]


@pytest.mark.parametrize("estimator", ["close", "parkinson", "garman_klass"])
def test_har_matches_statsmodels_ols_by_hand(estimator):
    X = ohlc(400)
    y = make_targets(X, kind="realized_var", horizon=5, variance_estimator=estimator)
    est = HARForecaster(variance_estimator=estimator).fit(X.iloc[:300], y.iloc[:300])
    o, h, lo, c = (X[k].to_numpy() for k in ("Open", "High", "Low", "Close"))
    if estimator == "close":
        v = np.concatenate([[np.nan], np.diff(np.log(c)) ** 2])
    elif estimator == "parkinson":
        v = np.log(h / lo) ** 2 / (4 * np.log(2))
    else:
        v = 0.5 * np.log(h / lo) ** 2 - (2 * np.log(2) - 1) * np.log(c / o) ** 2
    target = y.iloc[:, 0].to_numpy()
    params, pred = _har_by_hand(v, target, 300)
    np.testing.assert_allclose([est.intercept_, *est.coef_], params, rtol=1e-8)
    seen = target[:300][np.isfinite(target[:300])]
    lo, hi = seen[seen > 0].min(), seen.max()
    expected = np.where((pred >= lo) & (pred <= hi), pred, seen.mean())[300:]
    np.testing.assert_allclose(est.predict(X.iloc[300:])[:, 0], expected, rtol=1e-8)


def test_har_replaces_forecasts_outside_the_training_range_by_its_mean():
    X = ohlc(400)
    y = make_targets(X, kind="realized_var", horizon=5)
    est = HARForecaster().fit(X.iloc[:300], y.iloc[:300])
    F = est._features(X)
    target = y.iloc[:300, 0].to_numpy()
    seen = target[np.isfinite(F[:300]).all(axis=1) & np.isfinite(target)]
    assert est.sane_range_ == (seen[seen > 0].min(), seen.max())
    assert est.fallback_ == pytest.approx(seen.mean())
    # Shift the fitted line so that some forecasts fall below the smallest
    # training target (as OLS does after a calm spell) and some above the
    # largest: those, and only those, become the training mean.
    raw = est.intercept_ + F @ est.coef_
    est.intercept_ -= np.nanmedian(raw) - seen.min() * 0.5
    shifted = est.intercept_ + F @ est.coef_
    pred = est.predict(X)[:, 0]
    low, high = est.sane_range_
    out = np.isfinite(shifted) & ((shifted < low) | (shifted > high))
    assert out.sum() > 10
    assert (~out & np.isfinite(shifted)).sum() > 10
    np.testing.assert_allclose(pred[out], est.fallback_)
    keep = np.isfinite(shifted) & ~out
    np.testing.assert_allclose(pred[keep], shifted[keep])
    assert (pred[np.isfinite(pred)] > 0).all()


def test_variance_baselines_reject_the_wrong_unit_and_missing_ranges():
    X = ohlc(200)
    vol = make_targets(X, kind="volatility", horizon=2)
    with pytest.raises(ValueError, match=r"forecasts a variance but y is kind 'vol"):
        GARCHForecaster().fit(X, vol)
    var = make_targets(X, kind="realized_var", horizon=2)
    with pytest.raises(ValueError, match=r"needs a 'High' column"):
        HARForecaster(variance_estimator="parkinson").fit(X[["Close"]], var)
    ret = make_targets(X, kind="log_return")
    with pytest.raises(ValueError, match=r"column 'log_return_h1' of y is kind"):
        HARForecaster().fit(X, ret)
    with pytest.raises(ValueError, match=r"cannot tell how many rows the target"):
        HARForecaster().fit(X, var.to_numpy())
    HARForecaster(window=2).fit(X, var.to_numpy())  # the window said explicitly


def test_variance_baselines_reject_short_and_constant_data():
    X = ohlc(40)
    y = make_targets(X, kind="realized_var", horizon=2)
    with pytest.raises(ValueError, match=r"HARForecaster needs at least 5 rows"):
        HARForecaster().fit(X.iloc[:25], y.iloc[:25])
    flat = pd.DataFrame({"Close": np.full(60, 10.0)})
    yf = make_targets(flat, kind="realized_var", horizon=2)
    with pytest.raises(ValueError, match=r"at least 30 varying returns"):
        GARCHForecaster().fit(flat, yf)
    with pytest.raises(ValueError, match=r"regressors are collinear"):
        HARForecaster().fit(flat, yf)
    with pytest.raises(ValueError, match=r"needs at least 30 rows"):
        GARCHForecaster().fit(X.iloc[:10], y.iloc[:10])


def test_ewma_variance_matches_a_plain_loop_and_the_series_forecaster():
    X = ohlc(120)
    y = make_targets(X, kind="realized_var", horizon=4)
    est = EWMAVarianceForecaster(decay=0.9, init_window=10).fit(X.iloc[:80], y[:80])
    r = np.diff(np.log(X["Close"].to_numpy()))  # r[i]: return of row i + 1
    s = np.mean(r[:10] ** 2)
    want = [np.nan]
    for x in r:
        s = 0.9 * s + 0.1 * x**2
        want.append(4 * s)
    np.testing.assert_allclose(est.predict(X)[:, 0], want, rtol=1e-12)
    series = EWMAVolatilityForecaster(decay=0.9, init_window=10).fit(r[:79])
    assert est.predict(X.iloc[:80])[-1, 0] == pytest.approx(
        4 * series.forecast()["y"].iloc[0]
    )
