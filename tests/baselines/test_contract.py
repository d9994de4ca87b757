"""The contract every baseline forecaster keeps."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from baselines.helpers import IDS, MODELS, frame, point_forecast, quiet, series
from tsattn._base import BaseForecaster, UnivariateForecaster
from tsattn.baselines import (
    ARIMAForecaster,
    ETSForecaster,
    EWMAVolatilityForecaster,
    MeanForecaster,
    SeasonalNaiveForecaster,
)

# -- contract shared by every baseline --------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_vectorised_predict_equals_generic_update_path(model):
    X = frame(72)
    est = quiet(clone(model).fit, X.iloc[:48])
    for data, continuing in ((X.iloc[48:], True), (X.iloc[48:].to_numpy(), False)):
        values = np.asarray(data, dtype=np.float64)
        fast = quiet(est._predict_path, values, pd.RangeIndex(len(values)), continuing)
        slow = quiet(
            BaseForecaster._predict_path,
            est,
            values,
            pd.RangeIndex(len(values)),
            continuing,
        )
        per_column = np.stack(
            [
                quiet(UnivariateForecaster._path_one, est, s, values[:, j], continuing)
                for j, s in enumerate(est.models_)
            ],
            axis=1,
        )
        np.testing.assert_allclose(slow, per_column, rtol=1e-8, atol=1e-10)
        if not continuing and isinstance(est, EWMAVolatilityForecaster):
            continue  # fits each prefix instead (test_predict_row_equals_fit_on_prefix)
        # The generic path starts once a full fit is possible (intervals
        # included); the vectorised one as soon as a point forecast is.
        defined = ~np.isnan(slow)
        assert not np.isnan(fast[defined]).any()
        assert defined[-10:].all()
        np.testing.assert_allclose(fast[defined], slow[defined], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_future_data_never_changes_past_predictions(model):
    X = frame(72)
    est = quiet(clone(model).fit, X.iloc[:48])
    changed = X.copy()
    changed.iloc[60:] *= 1.5
    for a, b in (
        (X.iloc[48:], changed.iloc[48:]),
        (X.iloc[48:].to_numpy(), changed.iloc[48:].to_numpy()),
    ):
        pa = np.asarray(quiet(est.predict, a))
        pb = np.asarray(quiet(est.predict, b))
        np.testing.assert_array_equal(pa[:12], pb[:12])
        assert not np.allclose(pa[12:], pb[12:], equal_nan=True)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_update_then_forecast_equals_last_predict_row(model):
    X = frame(72)
    est = quiet(clone(model).fit, X.iloc[:48])
    pred = quiet(est.predict, X.iloc[48:])
    quiet(est.update, X.iloc[48:])
    fc = est.forecast()
    assert fc.index[0] == pd.Timestamp("2024-03-13")
    np.testing.assert_allclose(
        pred.iloc[-1].to_numpy(), point_forecast(est).T.ravel(), rtol=1e-8
    )


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_columns_are_modelled_independently(model):
    X = frame(60)
    both = quiet(clone(model).fit, X).forecast()
    for col in X.columns:
        alone = quiet(clone(model).fit, X[[col]]).forecast()
        pd.testing.assert_frame_equal(both[alone.columns], alone)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_clone_and_params(model):
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert twin is not model
    with pytest.raises(NotFittedError):
        twin.forecast()
    with pytest.raises(NotFittedError):
        twin.predict(series(10))


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_bad_input_errors(model):
    X = frame(60)
    bad = X.copy()
    bad.iloc[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        clone(model).fit(bad)
    est = quiet(clone(model).fit, X.iloc[:40])
    with pytest.raises(ValueError, match="does not continue"):
        est.update(X.iloc[42:50])
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        est.forecast(0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        est.predict(bad)


@pytest.mark.parametrize(
    ("est", "error", "match"),
    [
        (SeasonalNaiveForecaster(season_length=0), ValueError, "'season_length'"),
        (MeanForecaster(window=1), ValueError, "must be >= 2 when quantiles"),
        (MeanForecaster(window=0), ValueError, "'window'"),
        (EWMAVolatilityForecaster(decay=1.0), ValueError, r"'decay'.*\(0, 1\)"),
        (EWMAVolatilityForecaster(decay="x"), TypeError, "'decay'"),
        (ARIMAForecaster(order=(1, 1)), ValueError, "tuple of 3 non-negative ints"),
        (ARIMAForecaster(information_criterion="aik"), ValueError, "'aic'"),
        (ARIMAForecaster(trend="linear"), ValueError, "'trend'"),
        (ETSForecaster(trend="mul"), ValueError, "'trend'"),
    ],
)
def test_parameter_errors(est, error, match):
    with pytest.raises(error, match=match):
        est.fit(series(30))
