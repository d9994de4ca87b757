"""Naive family against hand-computed values."""

import re

import numpy as np
import pytest

from baselines.helpers import Z90, point_forecast, series
from tsattn.baselines import (
    DriftForecaster,
    EWMAVolatilityForecaster,
    MeanForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
)

# -- naive family against hand-computed values ---------------------------------------


def test_naive_hand_computed():
    fc = NaiveForecaster(horizon=3).fit([1.0, 2.0, 4.0, 3.0]).forecast()
    sd = np.sqrt(2.0 * np.arange(1, 4))  # mean of squared diffs (1, 2, -1) is 2
    np.testing.assert_allclose(fc["y"], [3.0, 3.0, 3.0])
    np.testing.assert_allclose(fc["y_q0.05"], 3.0 - Z90 * sd)
    np.testing.assert_allclose(fc["y_q0.95"], 3.0 + Z90 * sd)


def test_seasonal_naive_hand_computed():
    est = SeasonalNaiveForecaster(season_length=2, horizon=3)
    fc = est.fit([1.0, 5.0, 2.0, 6.0, 3.0]).forecast()
    np.testing.assert_allclose(fc["y"], [6.0, 3.0, 6.0])
    # seasonal differences (1, 1, 1): sigma = 1; sd = sqrt(k + 1), k = (h-1)//m
    np.testing.assert_allclose(fc["y_q0.95"] - fc["y"], Z90 * np.sqrt([1.0, 1.0, 2.0]))


def test_drift_hand_computed():
    y = np.array([1.0, 2.0, 5.0, 6.0])
    fc = DriftForecaster(horizon=2).fit(y).forecast()
    drift = 5.0 / 3.0
    np.testing.assert_allclose(fc["y"], [6.0 + drift, 6.0 + 2 * drift])
    resid = np.array([1.0, 3.0, 1.0]) - drift
    sigma2 = np.sum(resid**2) / 2  # T - 2 degrees of freedom
    h = np.array([1.0, 2.0])
    sd = np.sqrt(sigma2 * h * (1 + h / 3))
    np.testing.assert_allclose(fc["y_q0.05"], fc["y"] - Z90 * sd)


def test_mean_hand_computed():
    y = [1.0, 2.0, 4.0, 7.0]
    fc = MeanForecaster(horizon=2).fit(y).forecast()
    np.testing.assert_allclose(fc["y"], [3.5, 3.5])
    sd = np.std(y, ddof=1) * np.sqrt(1 + 1 / 4)
    np.testing.assert_allclose(fc["y_q0.95"], 3.5 + Z90 * sd)
    fc = MeanForecaster(window=2).fit(y).forecast()
    assert fc["y"].iloc[0] == pytest.approx(5.5)
    sd = np.std([4.0, 7.0], ddof=1) * np.sqrt(1.5)
    assert fc["y_q0.05"].iloc[0] == pytest.approx(5.5 - Z90 * sd)


@pytest.mark.parametrize(
    "make",
    [
        lambda: NaiveForecaster(horizon=2, quantiles=None),
        lambda: DriftForecaster(horizon=2, quantiles=None),
        lambda: MeanForecaster(horizon=2, quantiles=None),
        lambda: MeanForecaster(window=3, horizon=2, quantiles=None),
        lambda: SeasonalNaiveForecaster(season_length=3, horizon=2, quantiles=None),
        lambda: EWMAVolatilityForecaster(init_window=4, horizon=2),
    ],
)
def test_predict_row_equals_fit_on_prefix(make):
    y = series(20)
    pred = make().fit(y).predict(y)  # an array: X alone is the history
    for t in range(len(y)):
        est = make()
        need, _ = est._min_length()
        if t + 1 < need:
            assert np.isnan(pred[t]).all()
        else:
            np.testing.assert_allclose(
                pred[t], point_forecast(est.fit(y[: t + 1])).ravel()
            )


def test_short_series_for_seasonal_period():
    with pytest.raises(
        ValueError, match=re.escape("needs at least 8 (season_length + 1")
    ):
        SeasonalNaiveForecaster(season_length=7).fit(np.arange(7.0))
    fc = SeasonalNaiveForecaster(season_length=7, quantiles=None).fit(np.arange(7.0))
    assert fc.forecast()["y"].iloc[0] == 0.0
