"""Tests for MultiTaskForecaster (and AttentionForecaster given y, the same fit)."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from presets import TINY_NETWORK
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from tsattn.estimators import AttentionForecaster, MultiTaskForecaster
from tsattn.fitting.pipeline import split_windows
from tsattn.fitting.predict import predict_module
from tsattn.targets import make_targets
from tsattn.windows import make_windows
from tsattn.windows.ending import windows_ending_at_rows

TINY = dict(TINY_NETWORK, max_epochs=2, batch_size=64, random_state=0)


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


# ----------------------------------------------------- starts at the baselines
THREE_TASKS = {"log_return_h1": "mse", "up_h1": "bce", "realized_var_k5": "qlike"}


def _training_rows(n_rows: int, y: pd.DataFrame, L: int, fraction: float) -> np.ndarray:
    """Rows whose targets the training windows see (target row s + L - 1)."""
    values = np.zeros((n_rows, 1), dtype=np.float32)
    windows = make_windows(
        values, y.to_numpy(np.float32), window_length=L, horizon=1, target_offset=-1
    )
    train, held = split_windows(
        windows, validation_fraction=fraction, early_stopping=True, target_span=5
    )
    assert held is not None
    return train.starts + L - 1


@pytest.mark.parametrize("output_head", ["single", "multi"])
def test_an_untrained_fit_predicts_each_tasks_trivial_baseline(prices, output_head):
    X = prices[["Close"]]
    y = make_targets(
        prices["Close"], kind=["log_return", "direction", "realized_var"], horizon=5
    )[list(THREE_TASKS)]
    # tol=1 asks for a negative loss: no epoch can improve on the start (epoch 0).
    model = MultiTaskForecaster(
        tasks=THREE_TASKS, output_head=output_head, tol=1.0, **TINY
    ).fit(X, y)
    assert model.best_epoch_ == 0
    rows = _training_rows(len(X), y, TINY["window_length"], 0.15)
    train_y = y.to_numpy()[rows]
    expected = np.nanmean(train_y, axis=0)  # mean return, base rate, mean variance
    # ... from the training rows only, not from every row of y.
    assert not np.allclose(expected, np.nanmean(y.to_numpy(), axis=0), rtol=1e-4)
    pred = model.predict(X).to_numpy()
    np.testing.assert_allclose(pred, np.broadcast_to(expected, pred.shape), rtol=2e-5)
    # Target scaling is fitted on the training rows only: the return's shift
    # and scale, the variance's scale (its mean), the direction unscaled.
    np.testing.assert_allclose(model._y_shift, [expected[0], 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(
        model._y_scale,
        [np.nanstd(train_y[:, 0]), 1.0, np.nanmean(np.abs(train_y[:, 2]))],
        rtol=1e-6,
    )
    # The output weights of every head are zero at the start.
    heads = model.module_.heads
    if output_head == "single":
        assert not heads.shared.weight.any()
    else:
        assert all(not h.out.weight.any() for h in heads.heads)


def test_task_start_values_against_hand_computed_links():
    from tsattn.fitting.starts import inverse_softplus, task_start

    y = np.array([0.0, 1.0, 1.0, 1.0, np.nan])
    np.testing.assert_allclose(task_start("bce", y), [np.log(0.75 / 0.25)])
    np.testing.assert_allclose(task_start("mse", y), [0.75])
    var = np.array([0.5, 1.5, 1.0])
    raw = task_start("qlike", var)
    np.testing.assert_allclose(np.log1p(np.exp(raw)) + 1e-6, [1.0], rtol=1e-12)
    np.testing.assert_allclose(inverse_softplus(np.log1p(np.exp(2.0))), 2.0)
    q = task_start("pinball", np.arange(101.0), (0.1, 0.5, 0.9))
    np.testing.assert_allclose(q[0], 10.0)
    np.testing.assert_allclose(np.log1p(np.exp(q[1:])), [40.0, 40.0])


@pytest.mark.parametrize(
    ("kind", "loss", "message"),
    [
        ("log_return", "qlike", "loss 'qlike' scores kind 'realized_var'"),
        ("volatility", "qlike", "a standard deviation"),
        ("log_return", "bce", "loss 'bce' scores kind 'direction'"),
    ],
)
def test_a_loss_that_cannot_score_its_target_is_one_clear_error(
    prices, kind, loss, message
):
    y = make_targets(prices["Close"], kind=["direction", kind], horizon=1)
    column = y.columns[-1]
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        MultiTaskForecaster(tasks={"up_h1": "bce", column: loss}, **TINY).fit(
            prices[["Close"]], y
        )
    assert repr(column) in str(info.value)
    assert "\n" not in str(info.value)


def test_plain_column_names_are_checked_too(prices):
    y = pd.DataFrame({"log_return_h1": np.zeros(len(prices))}, index=prices.index)
    with pytest.raises(ValueError, match="loss 'qlike' scores kind 'realized_var'"):
        MultiTaskForecaster(tasks={"log_return_h1": "qlike"}, **TINY).fit(
            prices[["Close"]], y
        )


# ---------------------------------------------------------- evidence per task
def _signal_and_noise(n: int = 700) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    index = pd.bdate_range("2020-01-01", periods=n)
    x = rng.normal(size=n)
    X = pd.DataFrame({"x": x}, index=index)
    y = pd.DataFrame({"signal": 2 * x, "noise": rng.normal(size=n)}, index=index)
    return X, y


def test_significance_keeps_a_task_only_on_evidence():
    X, y = _signal_and_noise()
    model = MultiTaskForecaster(
        significance=0.05,
        validation_fraction=0.3,
        **{**TINY, "max_epochs": 12, "learning_rate": 3e-3, "batch_size": 32},
    ).fit(X, y)
    assert model.best_epoch_ > 0
    (signal,) = model.task_tests_["signal"]
    (noise,) = model.task_tests_["noise"]
    assert signal["kept"] == "trained"
    assert signal["p_value"] < 0.05
    assert noise["kept"] == "start"
    # Tested on the later half of the held-out windows only.
    n_windows = len(X) - TINY["window_length"] + 1
    assert signal["n_windows"] == round(0.5 * round(0.3 * n_windows))
    pred = model.predict(X)
    # The reverted task is its start again: a constant, the training mean.
    assert pred["noise"].nunique() == 1
    rows = np.arange(TINY["window_length"] - 1, len(X))
    assert abs(pred["noise"].iloc[0] - y["noise"].to_numpy()[rows].mean()) < 0.2
    # The kept task follows its signal.
    assert np.corrcoef(pred["signal"], y["signal"])[0, 1] > 0.9


def test_significance_without_test_windows_keeps_every_start(prices):
    from tsattn import TsattnWarning

    X, y = _signal_and_noise(300)
    with pytest.warns(TsattnWarning, match="keeps its start"):
        model = MultiTaskForecaster(
            significance=0.05, early_stopping=False, **TINY
        ).fit(X, y)
    pred = model.predict(X)
    assert pred.nunique().tolist() == [1, 1]


# ------------------------------------------------------------------ ensemble
def test_ensemble_averages_members_fitted_with_derived_seeds(prices):
    X = prices[["Close"]]
    y = make_targets(prices["Close"], kind=["log_return", "direction"], horizon=1)
    tasks = {"up_h1": "bce"}
    ens = MultiTaskForecaster(tasks=tasks, n_ensemble=2, **TINY).fit(X, y)
    first = MultiTaskForecaster(tasks=tasks, **TINY).fit(X, y)
    seed = int(np.random.SeedSequence([0, 1]).generate_state(1)[0]) & 0x7FFFFFFF
    second = MultiTaskForecaster(tasks=tasks, **{**TINY, "random_state": seed}).fit(
        X, y
    )
    expected = (first.predict(X) + second.predict(X)) / 2
    pd.testing.assert_frame_equal(ens.predict(X), expected, rtol=1e-5)
    assert not np.allclose(first.predict(X), second.predict(X))
    assert len(ens.ensemble_best_epochs_) == 2
    # Probabilities are averaged: still in (0, 1).
    assert ens.predict(X)["up_h1"].between(0, 1).all()


def test_an_ensemble_survives_pickling(prices):
    X = prices[["Close"]]
    y = make_targets(prices["Close"], kind="log_return", horizon=1)
    model = MultiTaskForecaster(n_ensemble=3, **TINY).fit(X, y)
    assert len(model._members) == 2
    again = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(again.predict(X), model.predict(X))
