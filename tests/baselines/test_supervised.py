"""The supervised contract every task baseline keeps: no look-ahead, sklearn API."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from baselines.helpers import ohlc
from tsattn.baselines import (
    ARReturnForecaster,
    BaseRateForecaster,
    GARCHForecaster,
    HARForecaster,
    LogisticDirectionForecaster,
    MeanReturnForecaster,
    ZeroReturnForecaster,
)
from tsattn.targets import make_targets

CASES = [
    (GARCHForecaster(), "realized_var"),
    (GARCHForecaster(gjr=True, dist="t", unit="volatility"), "volatility"),
    (HARForecaster(), "realized_var"),
    (HARForecaster(variance_estimator="parkinson"), "realized_var"),
    (BaseRateForecaster(), "direction"),
    (LogisticDirectionForecaster(n_lags=3), "direction"),
    (ZeroReturnForecaster(), "log_return"),
    (MeanReturnForecaster(), "cum_log_return"),
    (ARReturnForecaster(lags=2), "cum_log_return"),
]
IDS = [f"{type(m).__name__}-{i}" for i, (m, _) in enumerate(CASES)]


def data(kind, n=320):
    X = ohlc(n, seed=7)
    return X, make_targets(X, kind=kind, horizon=3)


@pytest.mark.parametrize(("model", "kind"), CASES, ids=IDS)
def test_no_look_ahead_perturbing_later_rows_keeps_earlier_predictions(model, kind):
    X, y = data(kind)
    est = clone(model).fit(X.iloc[:200], y.iloc[:200])
    base = est.predict(X)
    t = 260
    bumped = X.copy()
    bumped.iloc[t + 1 :] *= np.exp(np.linspace(0.05, 0.3, len(X) - t - 1))[:, None]
    np.testing.assert_array_equal(est.predict(bumped)[: t + 1], base[: t + 1])
    # a forecast from row t uses rows up to t: predicting on the prefix agrees
    np.testing.assert_allclose(est.predict(X.iloc[: t + 1])[-1], base[t])
    # later rows alone continue the training rows
    np.testing.assert_allclose(est.predict(X.iloc[200:]), base[200:])
    assert base.shape == (len(X), y.shape[1])
    assert np.isfinite(base[200:]).all()


@pytest.mark.parametrize(("model", "kind"), CASES, ids=IDS)
def test_clone_params_and_not_fitted(model, kind):
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        twin.predict(ohlc(30))
    X, y = data(kind, 150)
    fitted = clone(model).fit(X, y)
    assert not hasattr(clone(fitted), "history_")


@pytest.mark.parametrize(("model", "kind"), CASES, ids=IDS)
def test_bad_prices_and_one_dimensional_targets(model, kind):
    X, y = data(kind, 150)
    bad = X.copy()
    bad.iloc[5, 3] = -1.0
    with pytest.raises(ValueError, match=r"needs finite prices > 0 in column 'Close'"):
        clone(model).fit(bad, y)
    col = y.iloc[:, -1]
    pred = clone(model).fit(X, col).predict(X.iloc[100:])
    assert pred.shape == (50,)


def test_returns_input_equals_prices_input():
    X, y = data("realized_var")
    r = np.log(X["Close"]).diff().iloc[1:]
    a = GARCHForecaster().fit(X, y).predict(X)[1:]
    b = GARCHForecaster(input_kind="returns").fit(r, y.iloc[1:]).predict(r)
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match=r"needs High/Low prices, but HARForecaster"):
        HARForecaster(variance_estimator="parkinson", input_kind="returns").fit(
            r, y.iloc[1:]
        )
