import re
import warnings

import numpy as np
import pandas as pd
import pytest
from presets import TINY_NETWORK
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression

from tsattn import make_stock_like, make_targets
from tsattn.backtesting import (
    BacktestFailureWarning,
    backtest_tasks,
    target_task,
    task_lookahead,
)


@pytest.fixture(scope="module")
def data():
    prices = make_stock_like("garch", n_steps=400, random_state=3)
    y = make_targets(
        prices["Close"], kind=["log_return", "direction", "volatility"], vol_window=5
    )
    X = np.log(prices[["Close"]]).diff().fillna(0.0).rename(columns={"Close": "r"})
    return X, y


class Recorder(RegressorMixin, BaseEstimator):
    """Predicts each row's own feature sum; records what fit saw."""

    seen: list = []  # noqa: RUF012 - shared across clones on purpose

    def fit(self, X, y):
        Recorder.seen.append((X.index.copy(), pd.DataFrame(y).copy()))
        self.mean_ = np.nanmean(np.asarray(y, dtype=float).reshape(len(y), -1), axis=0)
        return self

    def predict(self, X):
        # Row t uses X up to row t only: a running mean of the first column.
        v = np.asarray(X, dtype=float)[:, 0]
        running = np.cumsum(v) / np.arange(1, len(v) + 1)
        return running[:, None] + self.mean_[None, :]


class Fails(DummyRegressor):
    def fit(self, X, y):
        raise RuntimeError("boom")


class Proba(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        self.p_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), float(self.p_ > 0.5))

    def predict_proba(self, X):
        return np.column_stack([np.full(len(X), 1 - self.p_), np.full(len(X), self.p_)])


def test_training_rows_are_purged_to_targets_known_at_the_cutoff(data):
    X, y = data
    Recorder.seen = []
    res = backtest_tasks(
        {"rec": (Recorder(), "realized_vol_k5")},
        X,
        y,
        n_folds=4,
        test_size=10,
        refit=True,
    )
    cutoffs = res.groupby("fold")["cutoff_pos"].min().to_numpy() - 1
    assert len(Recorder.seen) == 4
    for cutoff, (index, fit_y) in zip(cutoffs, Recorder.seen):
        last = X.index.get_loc(index[-1])
        # realized_vol_k5 of row t ends at t + 5: known at the cutoff iff t + 5 <= c
        assert last == cutoff - 5
        assert fit_y.notna().all().all()


def test_scored_rows_follow_the_cutoff_and_hold_the_true_targets(data):
    X, y = data
    res = backtest_tasks(
        {"zero": (DummyRegressor(strategy="constant", constant=0.0), "log_return_h1")},
        X,
        y,
        n_folds=3,
        test_size=7,
    )
    assert len(res) == 21
    pos = res["cutoff_pos"].to_numpy()
    assert np.all(np.diff(pos) == 1)
    assert pos[-1] == y["realized_vol_k5"].notna().to_numpy().nonzero()[0][-1]
    np.testing.assert_array_equal(res["y_true"], y["log_return_h1"].to_numpy()[pos])
    assert (res["y_pred"] == 0).all()
    assert (res["task"] == "return").all()
    assert (res["step"] == 1).all()
    assert list(res["timestamp"]) == list(X.index[pos + 1])


@pytest.mark.parametrize("refit", [False, True, 2])
def test_changing_data_after_a_fold_never_changes_its_predictions(data, refit):
    X, y = data
    models = {
        "rec": Recorder(),
        "lin": (LinearRegression(), "log_return_h1"),
        "proba": (Proba(), "up_h1"),
    }
    kw = {"n_folds": 4, "test_size": 10, "refit": refit}
    base = backtest_tasks(models, X, y, **kw)
    fold0_end = int(base.loc[base["fold"] == 0, "cutoff_pos"].max())
    X2, y2 = X.copy(), y.copy()
    rng = np.random.default_rng(0)
    X2.iloc[fold0_end + 1 :] = rng.normal(size=(len(X) - fold0_end - 1, 1))
    y2.iloc[fold0_end + 1 :] = np.abs(rng.normal(size=(len(y) - fold0_end - 1, 3)))
    # keep the completeness pattern of y so that the folds are the same
    y2[y.isna()] = np.nan
    y2.attrs = y.attrs
    other = backtest_tasks(models, X2, y2, **kw)
    a = base[base["fold"] == 0].reset_index(drop=True)
    b = other[other["fold"] == 0].reset_index(drop=True)
    pd.testing.assert_series_equal(a["y_pred"], b["y_pred"])


def test_direction_models_are_scored_on_probabilities(data):
    X, y = data
    res = backtest_tasks({"base": (Proba(), "up_h1")}, X, y, n_folds=2, test_size=5)
    first = y["up_h1"].iloc[: res["cutoff_pos"].min() - 1].mean()
    np.testing.assert_allclose(res["y_pred"], first)
    assert (res["task"] == "direction").all()


def test_a_failing_model_is_recorded_and_the_others_come_back(data):
    X, y = data
    models = {"bad": (Fails(), "log_return_h1"), "zero": (DummyRegressor(), "up_h1")}
    with pytest.warns(
        BacktestFailureWarning, match=r"Model 'bad' failed on series 'asset'"
    ):
        res = backtest_tasks(models, X, y, n_folds=2, test_size=5, series="asset")
    assert set(res["model"]) == {"zero"}
    (failure,) = res.attrs["failures"]
    assert failure["model"] == "bad"
    assert failure["fold"] == 0
    assert failure["error"] == "RuntimeError: boom"
    with pytest.raises(
        RuntimeError, match=r"'bad' failed on series 'series' at fold 0"
    ):
        backtest_tasks(models, X, y, n_folds=2, test_size=5, on_error="raise")


def test_parallel_runs_give_the_same_frame(data):
    X, y = data
    models = {"rec": Recorder(), "lin": (LinearRegression(), "log_return_h1")}
    one = backtest_tasks(models, X, y, n_folds=2, test_size=5, n_jobs=1)
    two = backtest_tasks(models, X, y, n_folds=2, test_size=5, n_jobs=2)
    cost = ["fit_seconds", "predict_seconds", "peak_memory_mb"]
    pd.testing.assert_frame_equal(one.drop(columns=cost), two.drop(columns=cost))


def test_task_kinds_and_lookahead_come_from_make_targets(data):
    _, y = data
    assert target_task("up_h1", y) == "direction"
    assert target_task("realized_vol_k5", y) == "volatility"
    assert task_lookahead("realized_vol_k5", y) == 5
    assert target_task("log_return_h3") == "return"
    assert task_lookahead("up_h4") == 4
    with pytest.raises(ValueError, match="Cannot tell the task of target column 'foo'"):
        target_task("foo")


@pytest.mark.parametrize(
    ("models", "kwargs", "match"),
    [
        ([1], {}, "models must be a non-empty dict"),
        ({"m": (DummyRegressor(), "nope")}, {}, "lacks"),
        ({"m": object()}, {}, "has no fit"),
        ({"m": DummyRegressor()}, {"n_folds": 200, "test_size": 50}, "n_folds"),
        ({"m": DummyRegressor()}, {"refit": 0}, "refit must be"),
        ({"m": DummyRegressor()}, {"on_error": "ignore"}, "on_error"),
    ],
)
def test_bad_input_gets_a_clear_error(data, models, kwargs, match):
    X, y = data
    with pytest.raises((TypeError, ValueError), match=match):
        backtest_tasks(models, X, y, **{"n_folds": 2, "test_size": 5, **kwargs})


def test_y_must_line_up_with_x(data):
    X, y = data
    with pytest.raises(ValueError, match=re.escape("y's index does not match")):
        backtest_tasks({"m": DummyRegressor()}, X.iloc[1:], y.iloc[:-1])


def test_no_warning_on_a_clean_run(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backtest_tasks({"m": DummyRegressor()}, X, y, n_folds=2, test_size=5)


def test_a_pipeline_reports_its_final_model_and_sees_the_same_prices():
    from sklearn.pipeline import Pipeline

    from tsattn.estimators import MultiTaskForecaster
    from tsattn.features import PriceFeatures

    prices = make_stock_like("garch", n_steps=260, random_state=4)
    kinds = ["log_return", "direction", "realized_var"]
    y = make_targets(prices, kind=kinds, vol_window=5)
    net = MultiTaskForecaster(
        tasks={"up_h1": "bce", "realized_var_k5": "qlike"},
        **TINY_NETWORK,
        max_epochs=1,
        max_steps_per_epoch=2,
        output_head="multi",
        random_state=0,
    )
    pipe = Pipeline([("features", PriceFeatures()), ("model", net)])
    models = {"net": pipe, "zero": (LinearRegression(), "log_return_h1")}
    res = backtest_tasks(models, prices, y, n_folds=2, test_size=10)
    rows = res[res["model"] == "net"]
    assert set(rows["task"]) == {"return", "direction", "variance"}
    assert set(rows["n_heads"]) == {2}
    assert set(rows["output_head"]) == {"multi"}
    assert set(rows["d_model"]) == {8}
    fitted = clone(net).fit(PriceFeatures().fit_transform(prices.iloc[:200]), y[:200])
    assert rows["n_params"].iloc[0] == fitted.n_params_
    assert res.loc[res["model"] == "zero", "n_heads"].isna().all()


def test_a_feature_pipeline_never_sees_the_future_through_the_backtest():
    from sklearn.pipeline import Pipeline

    from tsattn.estimators import MultiTaskForecaster
    from tsattn.features import PriceFeatures

    prices = make_stock_like("garch", n_steps=240, random_state=5).astype(float)
    kinds = ["cum_log_return", "direction", "realized_var"]
    y = make_targets(prices, kind=kinds, horizon=3, vol_window=3)
    y = y[["cum_log_return_h3", "up_h3", "realized_var_k3"]]
    net = MultiTaskForecaster(
        tasks={"up_h3": "bce", "realized_var_k3": "qlike"},
        **TINY_NETWORK,
        max_epochs=1,
        max_steps_per_epoch=2,
        random_state=0,
    )
    models = {"net": Pipeline([("features", PriceFeatures()), ("model", net)])}
    kw = {"n_folds": 3, "test_size": 10}
    base = backtest_tasks(models, prices, y, **kw)
    end = int(base.loc[base["fold"] == 0, "cutoff_pos"].max())
    later = prices.copy()
    later.iloc[end + 1 :] *= np.linspace(0.8, 1.3, len(prices) - end - 1)[:, None]
    y2 = make_targets(later, kind=kinds, horizon=3, vol_window=3)[list(y.columns)]
    other = backtest_tasks(models, later, y2, **kw)
    a = base[base["fold"] == 0].reset_index(drop=True)
    b = other[other["fold"] == 0].reset_index(drop=True)
    pd.testing.assert_series_equal(a["y_pred"], b["y_pred"])
    assert not np.allclose(
        base.loc[base["fold"] == 2, "y_pred"], other.loc[other["fold"] == 2, "y_pred"]
    )
