"""Direction baselines against scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from baselines.helpers import ohlc
from tsattn.baselines import BaseRateForecaster, LogisticDirectionForecaster
from tsattn.targets import make_targets


def test_base_rate_matches_dummy_classifier():
    X = ohlc(300, seed=2)
    y = make_targets(X, kind="direction", horizon=3)
    est = BaseRateForecaster().fit(X.iloc[:200], y.iloc[:200])
    proba = est.predict_proba(X.iloc[200:])
    pred = est.predict(X.iloc[200:])
    for j, col in enumerate(y.columns):
        labels = y[col].iloc[:200].dropna().to_numpy()
        twin = DummyClassifier(strategy="prior").fit(np.zeros((len(labels), 1)), labels)
        want = twin.predict_proba(np.zeros((100, 1)))
        np.testing.assert_allclose(proba[j], want)
        np.testing.assert_array_equal(pred[:, j], twin.predict(np.zeros((100, 1))))
        assert proba[j][0, 1] == pytest.approx(labels.mean())


def test_base_rate_predicts_the_majority_class_of_a_rising_market():
    X = pd.DataFrame(
        {"Close": np.exp(np.linspace(0, 1, 50)) + 0.01 * np.sin(np.arange(50))}
    )
    y = make_targets(X, kind="direction")
    est = BaseRateForecaster().fit(X, y)
    assert (est.predict(X)[:, 0] == 1.0).all()


def test_logistic_matches_sklearn_on_lagged_returns():
    X = ohlc(400, seed=3)
    y = make_targets(X, kind="direction", horizon=2)
    est = LogisticDirectionForecaster(n_lags=3, C=0.5).fit(X.iloc[:300], y.iloc[:300])
    r = pd.Series(np.log(X["Close"]).diff().to_numpy())
    F = np.column_stack([r.shift(k) for k in range(3)])
    proba = est.predict_proba(X.iloc[300:])
    for j, col in enumerate(y.columns):
        target = y[col].to_numpy()
        rows = np.isfinite(F).all(axis=1) & np.isfinite(target)
        rows[300:] = False
        twin = make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
        twin.fit(F[rows], target[rows])
        np.testing.assert_allclose(proba[j], twin.predict_proba(F[300:]), rtol=1e-10)
        np.testing.assert_array_equal(
            est.predict(X.iloc[300:])[:, j], twin.predict(F[300:])
        )


def test_direction_baselines_reject_other_kinds_and_bad_parameters():
    X = ohlc(100)
    with pytest.raises(ValueError, match=r"forecasts kinds \['direction'\]; column"):
        BaseRateForecaster().fit(X, make_targets(X, kind="log_return"))
    y = make_targets(X, kind="direction")
    with pytest.raises(ValueError, match=r"'n_lags' parameter .* must be an int >= 1"):
        LogisticDirectionForecaster(n_lags=0).fit(X, y)
    with pytest.raises(ValueError, match=r"'C' parameter must be a float > 0"):
        LogisticDirectionForecaster(C=0.0).fit(X, y)
    with pytest.raises(ValueError, match=r"needs 0/1 direction targets"):
        BaseRateForecaster().fit(X, np.full(len(X), 0.5))
    with pytest.raises(ValueError, match=r"needs at least 10 training rows"):
        LogisticDirectionForecaster(n_lags=5).fit(X.iloc[:12], y.iloc[:12])
