"""Tests for MultiTaskForecaster (and AttentionForecaster given y, the same fit)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from tsattn.estimators import AttentionForecaster, MultiTaskForecaster
from tsattn.fitting.loop import predict_module
from tsattn.targets import make_targets
from tsattn.windows.ending import windows_ending_at_rows

TINY = dict(
    window_length=16,
    d_model=8,
    n_heads=2,
    n_layers=1,
    patch_len=4,
    max_epochs=2,
    batch_size=64,
    random_state=0,
)


def test_supervised_multitask_direction_probabilities(prices):
    y = make_targets(prices["Close"], kind=["log_return", "direction"], horizon=2)
    X = prices[["Close", "Volume"]]
    model = MultiTaskForecaster(
        tasks={"up_h1": "bce", "up_h2": {"loss": "bce", "weight": 0.5}},
        output_head="multi",
        **TINY,
    ).fit(X, y)
    pred = model.predict(X)
    assert list(pred.columns) == list(y.columns)
    assert len(pred) == len(X)
    up = pred[["up_h1", "up_h2"]].to_numpy()
    assert ((up > 0) & (up < 1)).all()
    fc = model.forecast()
    # log returns are mapped back to prices of the Close column
    assert list(fc.columns) == ["Close"]
    assert len(fc) == 2


def test_supervised_skips_nan_targets_instead_of_filling(prices):
    X = prices[["Close"]]
    y = make_targets(prices["Close"], kind="log_return", horizon=1)
    assert y.iloc[-1].isna().all()
    model = MultiTaskForecaster(**TINY).fit(X, y)
    assert np.isfinite(model.predict(X.to_numpy())).all()


def test_unknown_task_column_is_named(prices):
    y = make_targets(prices["Close"], kind="log_return", horizon=1)
    with pytest.raises(ValueError, match=re.escape("tasks names column(s) ['nope']")):
        MultiTaskForecaster(tasks={"nope": "mse"}, **TINY).fit(prices[["Close"]], y)


def test_pipeline_and_grid_search(prices):
    X = prices[["Close", "Volume"]].to_numpy()
    y = make_targets(prices["Close"], kind="log_return", horizon=1).to_numpy()[:, 0]
    X, y = X[:-1], y[:-1]
    pipe = Pipeline(
        [("scale", StandardScaler()), ("model", MultiTaskForecaster(**TINY))]
    )
    pred = pipe.fit(X, y).predict(X)
    assert pred.shape == (len(X),)
    grid = GridSearchCV(
        AttentionForecaster(**TINY),
        {"n_heads": [1, 2], "output_head": ["single", "multi"]},
        cv=TimeSeriesSplit(n_splits=3),
        scoring="neg_mean_squared_error",
    ).fit(X, y)
    assert grid.best_params_["n_heads"] in (1, 2)
    assert len(grid.cv_results_["mean_test_score"]) == 4
    scores = cross_val_score(
        MultiTaskForecaster(**TINY), X, y, cv=TimeSeriesSplit(n_splits=2)
    )
    assert np.isfinite(scores).all()


def test_revin_auto_is_on_for_forecasting_and_off_for_supervised(prices):
    X = prices[["Close"]]
    assert AttentionForecaster(**TINY, horizon=3).fit(X).config_.revin is True
    y = make_targets(prices["Close"], kind="volatility", horizon=5)
    assert MultiTaskForecaster(**TINY).fit(X, y).config_.revin is False
    forced = MultiTaskForecaster(**{**TINY, "revin": True}).fit(X, y)
    assert forced.config_.revin is True
    with pytest.raises(ValueError, match="'revin' parameter"):
        MultiTaskForecaster(**{**TINY, "revin": "sometimes"}).fit(X, y)


def test_supervised_pinball_point_prediction_is_the_median(prices):
    X = prices[["Close"]]
    y = make_targets(prices["Close"], kind="log_return", horizon=1)
    model = MultiTaskForecaster(
        tasks={"log_return_h1": {"loss": "pinball", "quantiles": (0.1, 0.9)}}, **TINY
    ).fit(X, y)
    (spec,) = model.config_.tasks
    assert spec.quantiles == (0.1, 0.5, 0.9)
    # The prediction is the network's 0.5 output, not the 0.1 or 0.9 one.
    values = X.to_numpy()
    raw = predict_module(
        model.module_, windows_ending_at_rows(values[:0], values, TINY["window_length"])
    )[spec.name][:, 0, 0]  # (n, Q) in scaled units
    expected = raw[:, 1] * model._y_scale[0] + model._y_shift[0]
    np.testing.assert_allclose(model.predict(values)[:, 0], expected, rtol=1e-6)
    assert not np.allclose(expected, raw[:, 0] * model._y_scale[0] + model._y_shift[0])


def test_supervised_checks_index_alignment_and_scoring_needs_y(prices):
    X = prices[["Close"]]
    y = make_targets(prices["Close"], kind="log_return", horizon=1)
    with pytest.raises(ValueError, match="different indexes"):
        MultiTaskForecaster(**TINY).fit(X, y.shift(1, freq="B"))
    model = MultiTaskForecaster(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="pass y to score it"):
        model.score(X)


def test_target_span_is_read_from_make_targets_metadata():
    # next-5-step returns: a target row looks 5 rows ahead.
    from tsattn.estimators.multitask import target_span

    y = make_targets(pd.Series(np.linspace(1, 2, 30)), kind="log_return", horizon=5)
    meta = y.attrs["tsattn_targets"]
    assert target_span(meta, list(y.columns)) == 5
    assert target_span({}, ["y"]) == 1


def test_fit_without_y_names_the_forecasting_class(prices):
    with pytest.raises(ValueError, match=r"fit\(X, y\).*AttentionForecaster"):
        MultiTaskForecaster(**TINY).fit(prices[["Close"]])


def test_attention_forecaster_given_y_fits_the_same_model(prices):
    X = prices[["Close", "Volume"]]
    y = make_targets(prices["Close"], kind=["log_return", "direction"], horizon=2)
    tasks = {"up_h1": "bce", "up_h2": "bce"}
    multi = MultiTaskForecaster(tasks=tasks, **TINY).fit(X, y)
    legacy = AttentionForecaster(tasks=tasks, horizon=3, **TINY).fit(X, y)
    assert legacy.mode_ == "supervised"
    pd.testing.assert_frame_equal(legacy.predict(X), multi.predict(X))
    pd.testing.assert_frame_equal(legacy.forecast(), multi.forecast())
    assert legacy.score(X.iloc[:-2], y.iloc[:-2]) == multi.score(
        X.iloc[:-2], y.iloc[:-2]
    )
