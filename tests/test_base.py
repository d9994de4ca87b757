import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score

from tsattn._base import BaseForecaster
from tsattn.baselines import DriftForecaster, NaiveForecaster


class LastValue(BaseForecaster):
    """Minimal forecaster relying on every generic default of the base class."""

    def __init__(self, *, horizon=1):
        self.horizon = horizon

    def _fit(self, values, index):
        assert values.dtype == np.float64
        assert values.ndim == 2
        self.last_ = values[-1].copy()
        self.n_seen_ = len(values)

    def _forecast(self, steps):
        # A forecast that depends on how much was seen, to catch state bugs.
        return np.tile(self.last_ + 0.01 * self.n_seen_, (steps, 1)), None

    def _update(self, values, index):
        self.last_ = values[-1].copy()
        self.n_seen_ += len(values)


def prices(n=30, start="2024-01-01", freq="D", columns=("a", "b"), seed=0):
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=n, freq=freq)
    data = 100 + np.cumsum(rng.normal(size=(n, len(columns))), axis=0)
    return pd.DataFrame(data, index=index, columns=list(columns))


def test_nan_error_names_column_and_index():
    X = prices(5)
    X.iloc[3, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape("column 'b' at index 2024-01-04")):
        NaiveForecaster().fit(X)


# -- fit / forecast / update -----------------------------------------------------


def test_fit_sets_sklearn_attributes():
    X = prices(10)
    est = NaiveForecaster().fit(X)
    assert est.n_features_in_ == 2
    assert list(est.feature_names_in_) == ["a", "b"]
    assert est.columns_ == ["a", "b"]
    assert est.index_.equals(X.index)
    est.fit(X.to_numpy())
    assert not hasattr(est, "feature_names_in_")
    assert est.columns_ == ["y0", "y1"]


def test_not_fitted_errors():
    est = NaiveForecaster()
    for call in (
        est.forecast,
        lambda: est.predict([1.0, 2.0]),
        lambda: est.update([1.0]),
    ):
        with pytest.raises(NotFittedError):
            call()


def test_parameters_changed_after_fit_are_named_not_mixed_in():
    X = prices(30)
    est = DriftForecaster(horizon=3, quantiles=(0.1, 0.9)).fit(X)
    assert est.fitted_params_ == {"horizon": 3, "quantiles": (0.1, 0.9)}
    expected = est.forecast()
    est.set_params(horizon=5)
    for call in (est.forecast, lambda: est.predict(X), lambda: est.score(X)):
        with pytest.raises(ValueError, match=re.escape("horizon from 3 to 5 was set")):
            call()
    est.set_params(horizon=3, quantiles=[0.1, 0.9])  # a list equals the tuple
    pd.testing.assert_frame_equal(est.forecast(), expected)
    est.set_params(quantiles=(0.2, 0.8))
    with pytest.raises(
        ValueError, match=r"quantiles from \(0.1, 0.9\) to \(0.2, 0.8\)"
    ):
        est.update(X.iloc[:0])
    # a refit adopts the new values
    assert len(est.fit(X).forecast().columns) == 2 * 3


def test_forecast_frame_layout():
    X = prices(10)
    fc = NaiveForecaster(horizon=3, quantiles=(0.95, 0.05)).fit(X).forecast()
    assert list(fc.columns) == ["a", "a_q0.05", "a_q0.95", "b", "b_q0.05", "b_q0.95"]
    assert list(fc.index) == list(pd.date_range("2024-01-11", periods=3, freq="D"))
    assert NaiveForecaster(quantiles=None).fit(X).forecast(5).shape == (5, 2)


@pytest.mark.parametrize(
    ("steps", "error"), [(0, ValueError), (-2, ValueError), (1.5, TypeError)]
)
def test_forecast_bad_steps(steps, error):
    est = NaiveForecaster().fit(prices(5))
    with pytest.raises(error, match="steps must be an int >= 1"):
        est.forecast(steps)


def test_update_moves_the_origin_without_refit():
    X = prices(20)
    est = LastValue(horizon=2).fit(X.iloc[:15])
    est.update(X.iloc[15:18]).update(X.iloc[18:].to_numpy())
    ref = LastValue(horizon=2).fit(X)
    pd.testing.assert_frame_equal(est.forecast(), ref.forecast())
    assert est.index_.equals(X.index)


def test_update_rejects_non_continuing_data():
    X = prices(20)
    est = NaiveForecaster().fit(X.iloc[:10])
    with pytest.raises(ValueError, match="does not continue"):
        est.update(X.iloc[5:12])  # overlaps
    with pytest.raises(ValueError, match="regular frequency"):
        est.update(X.iloc[12:14])  # skips two days
    with pytest.raises(ValueError, match=re.escape("has columns ['b', 'a']")):
        est.update(X.iloc[10:12][["b", "a"]])
    with pytest.raises(
        ValueError, match="X_new has 1 features, but NaiveForecaster is expecting 2"
    ):
        est.update(np.ones(3))


def test_fit_checks_params_and_lengths():
    with pytest.raises(
        ValueError, match="'horizon' parameter of NaiveForecaster must be an int >= 1"
    ):
        NaiveForecaster(horizon=0).fit(prices(5))
    with pytest.raises(TypeError, match="'horizon' parameter"):
        NaiveForecaster(horizon="3").fit(prices(5))
    with pytest.raises(ValueError, match=r"levels strictly between 0 and 1"):
        NaiveForecaster(quantiles=(0.5, 1.0)).fit(prices(5))
    with pytest.raises(ValueError, match="repeated"):
        NaiveForecaster(quantiles=(0.1, 0.1)).fit(prices(5))
    with pytest.raises(ValueError, match="y has 3 rows but X has 5"):
        NaiveForecaster().fit(prices(5), y=np.zeros(3))
    with pytest.raises(ValueError, match="needs at least 2"):
        DriftForecaster(quantiles=None).fit([1.0])


# -- predict / score -------------------------------------------------------------------


def test_predict_layout_and_types():
    X = prices(12)
    est = DriftForecaster(horizon=2).fit(X.iloc[:8])
    out = est.predict(X.iloc[8:])
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(X.index[8:])
    assert list(out.columns) == ["a_h1", "a_h2", "b_h1", "b_h2"]
    arr = est.predict(X.iloc[8:].to_numpy())
    assert isinstance(arr, np.ndarray)
    assert arr.shape == (4, 4)


def test_predict_continuing_uses_fitted_history():
    X = prices(12)
    est = DriftForecaster(horizon=1, quantiles=None).fit(X.iloc[:8])
    cont = est.predict(X.iloc[8:])
    alone = est.predict(X.iloc[8:].reset_index(drop=True))
    # Continuing: drift from the first fitted point; alone: from X's own start.
    full = X["a"].to_numpy()
    t = 9
    assert cont["a_h1"].iloc[t - 8] == pytest.approx(full[t] + (full[t] - full[0]) / t)
    assert np.isnan(alone["a_h1"].iloc[0])
    assert alone["a_h1"].iloc[1] == pytest.approx(full[9] + (full[9] - full[8]))


def test_generic_predict_path_equals_prefix_fits():
    X = prices(15)
    est = LastValue(horizon=3).fit(X.iloc[:5])
    cont = est.predict(X.iloc[5:])
    alone = est.predict(X.iloc[5:].to_numpy())
    for t in range(10):
        by_update = LastValue(horizon=3).fit(X.iloc[:5]).update(X.iloc[5 : 6 + t])
        np.testing.assert_allclose(
            cont.iloc[t], by_update.forecast().to_numpy().T.ravel()
        )
        prefix = LastValue(horizon=3).fit(X.iloc[5 : 6 + t].to_numpy())
        np.testing.assert_allclose(alone[t], prefix.forecast().to_numpy().T.ravel())


def test_score_against_realised_future():
    X = prices(20)
    est = NaiveForecaster(horizon=2).fit(X.iloc[:10])
    pred = est.predict(X.iloc[10:]).to_numpy()
    future = X.iloc[10:].to_numpy()
    target = np.column_stack(
        [future[1:-1, 0], future[2:, 0], future[1:-1, 1], future[2:, 1]]
    )
    expected = r2_score(target, pred[:-2])
    assert est.score(X.iloc[10:]) == pytest.approx(expected)
    y = np.vstack([target, np.full((2, 4), np.nan)])
    assert est.score(X.iloc[10:], y) == pytest.approx(expected)
    with pytest.raises(ValueError, match="shape"):
        est.score(X.iloc[10:], np.zeros((10, 3)))


def test_clone_params_and_tags():
    est = NaiveForecaster(horizon=4, quantiles=(0.1, 0.9)).fit(prices(6))
    twin = clone(est)
    assert twin.get_params() == {"horizon": 4, "quantiles": (0.1, 0.9)}
    assert not hasattr(twin, "models_")
    with pytest.raises(NotFittedError):
        twin.forecast()
    tags = est.__sklearn_tags__()
    assert not tags.target_tags.required
    assert tags.target_tags.multi_output


def test_init_is_keyword_only():
    with pytest.raises(TypeError):
        NaiveForecaster(3)
