import inspect
import re
import sys
from typing import ClassVar

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, clone
from threadpoolctl import threadpool_limits

from tsattn.backtesting.inputs import is_multivariate
from tsattn.backtesting.series import backtest

TIMING = ["fit_seconds", "predict_seconds", "peak_memory_mb"]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # statsmodels' small matrices gain nothing from BLAS threads, and on a busy
    # machine oversubscribed OpenBLAS threads slow each fit down many times over.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# ---------------------------------------------------------------------------
# small forecasters speaking the tsattn protocol, written for these tests
# ---------------------------------------------------------------------------
def _future(index, steps):
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq or "D"
        return pd.date_range(index[-1], periods=steps + 1, freq=freq)[1:]
    return pd.RangeIndex(index[-1] + 1, index[-1] + 1 + steps)


class ShrinkForecaster(BaseEstimator):
    """Forecast_k = alpha*last + (1-alpha)*fit mean + k*fit drift (+ quantiles).

    Parameters fitted on the training rows (mean, drift, spread) and the last
    observed value both enter the forecast, so leakage through either shows.
    """

    def __init__(self, horizon=1, alpha=0.5, quantiles=None):
        self.horizon = horizon
        self.alpha = alpha
        self.quantiles = quantiles

    def fit(self, X, y=None):
        X = pd.DataFrame(X)
        self.columns_ = list(X.columns)
        v = X.to_numpy(dtype=float)
        self.mean_ = self._centre(v)
        d = np.diff(v, axis=0)
        self.drift_ = d.mean(axis=0) if len(d) else np.zeros(v.shape[1])
        self.spread_ = d.std(axis=0) + 1.0 if len(d) else np.ones(v.shape[1])
        self.last_ = v[-1]
        self.index_ = X.index
        self.n_params_ = 3 * v.shape[1]
        return self

    def _centre(self, v):
        return v.mean(axis=0)

    def _paths(self, last, steps):  # (steps, T)
        k = np.arange(1, steps + 1)[:, None]
        a = self.alpha
        return a * last + (1 - a) * self.mean_ + k * self.drift_

    def forecast(self, steps=None):
        steps = self.horizon if steps is None else steps
        point = self._paths(self.last_, steps)
        out = pd.DataFrame(
            point, columns=self.columns_, index=_future(self.index_, steps)
        )
        for q in self.quantiles or ():
            z = {0.05: -1.6448536, 0.5: 0.0, 0.95: 1.6448536}[q]
            width = np.sqrt(np.arange(1, steps + 1))[:, None] * self.spread_
            for j, c in enumerate(self.columns_):
                out[f"{c}_q{q:g}"] = point[:, j] + z * width[:, j]
        return out

    def update(self, X_new):
        X_new = pd.DataFrame(X_new)
        if len(X_new):
            self.last_ = X_new.to_numpy(dtype=float)[-1]
            self.index_ = self.index_.append(X_new.index)
        return self

    def predict(self, X):
        X = pd.DataFrame(X)
        v = X.to_numpy(dtype=float)
        H = self.horizon
        cols, data = [], []
        for j, c in enumerate(self.columns_):
            for k in range(1, H + 1):
                cols.append(f"{c}_h{k}")
                data.append(
                    self.alpha * v[:, j]
                    + (1 - self.alpha) * self.mean_[j]
                    + k * self.drift_[j]
                )
        return pd.DataFrame(np.column_stack(data), columns=cols, index=X.index)


class JointForecaster(ShrinkForecaster):
    """Multivariate: every column shrinks towards the mean of all columns."""

    _multivariate = True

    def _centre(self, v):
        return np.full(v.shape[1], v.mean())


def _pos(stamp):
    return stamp.toordinal() if isinstance(stamp, pd.Timestamp) else int(stamp)


class SpyForecaster(BaseEstimator):
    """Forecast = 1000 * (last fitted position) + (last visible position) + step."""

    def __init__(self, horizon=1):
        self.horizon = horizon

    def fit(self, X, y=None):
        self.fit_end_ = _pos(X.index[-1])
        self.seen_ = _pos(X.index[-1])
        self.col_ = X.columns[0]
        return self

    def _row(self, seen, steps):
        return [1000.0 * self.fit_end_ + seen + k for k in range(1, steps + 1)]

    def forecast(self, steps=None):
        steps = self.horizon if steps is None else steps
        return pd.DataFrame({self.col_: self._row(self.seen_, steps)})

    def update(self, X_new):
        self.seen_ = _pos(X_new.index[-1])
        return self

    def predict(self, X):
        rows = [self._row(_pos(t), self.horizon) for t in X.index]
        cols = [f"{self.col_}_h{k}" for k in range(1, self.horizon + 1)]
        return pd.DataFrame(rows, columns=cols, index=X.index)


class CountingForecaster(SpyForecaster):
    """Forecast = how many times this object was fitted (kept with warm_start)."""

    def __init__(self, horizon=1, warm_start=False):
        self.horizon = horizon
        self.warm_start = warm_start

    def fit(self, X, y=None):
        previous = getattr(self, "n_fits_", 0) if self.warm_start else 0
        super().fit(X)
        self.n_fits_ = previous + 1
        return self

    def _row(self, seen, steps):
        return [float(self.n_fits_)] * steps


class NoUpdate(BaseEstimator):
    def fit(self, X, y=None):
        return self

    def forecast(self, steps=None):
        return None

    def predict(self, X):
        return None


def walk(n=60, n_series=1, seed=0, start=None):
    rng = np.random.default_rng(seed)
    values = 100 + np.cumsum(rng.normal(size=(n, n_series)), axis=0)
    index = pd.bdate_range(start, periods=n) if start else pd.RangeIndex(n)
    cols = [f"s{i}" for i in range(n_series)]
    frame = pd.DataFrame(values, index=index, columns=cols)
    return frame["s0"] if n_series == 1 else frame


def manual_forecast(model, history, train_start, train_end, cutoff, horizon):
    """Fit on train rows, feed the embargo rows, forecast: the reference path."""
    est = clone(model).set_params(horizon=horizon)
    frame = history.to_frame() if isinstance(history, pd.Series) else history
    est.fit(frame.iloc[train_start : train_end + 1])
    if cutoff > train_end:
        est.update(frame.iloc[train_end + 1 : cutoff + 1])
    return est.forecast(horizon)


def baseline_classes():
    """Every forecaster class of tsattn.baselines that can be built by default."""
    try:
        import tsattn.baselines as baselines
        from tsattn._base import BaseForecaster
    except ImportError:
        return []
    found = []
    for _, cls in inspect.getmembers(baselines, inspect.isclass):
        if (
            cls.__module__ == baselines.__name__
            and issubclass(cls, BaseForecaster)
            and not inspect.isabstract(cls)
        ):
            found.append(cls)
    return found


BASELINE_CLASSES = baseline_classes()


# ---------------------------------------------------------------------------
# output layout
# ---------------------------------------------------------------------------
def test_output_layout_and_values():
    y = walk(40, start="2024-01-01")
    res = backtest(
        {"shrink": ShrinkForecaster(quantiles=(0.05, 0.95))},
        y,
        horizon=3,
        initial=30,
        step=2,
    )
    assert list(res.columns) == [
        "model", "series", "fold", "cutoff", "cutoff_pos", "step", "timestamp",
        "y_true", "y_pred", "q0.05", "q0.95", "fit_seconds", "predict_seconds",
        "n_params", "peak_memory_mb",
    ]  # fmt: skip
    assert res["cutoff_pos"].dtype == np.int64
    assert res["cutoff_pos"].tolist() == [c for c in (29, 31, 33, 35) for _ in "abc"]
    assert res.attrs["failures"] == []
    # cutoffs 29, 31, 33, 35 (37 + 3 > 39): 4 folds x 3 steps
    assert len(res) == 12
    assert res["fold"].tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    assert list(res["cutoff"].unique()) == list(y.index[[29, 31, 33, 35]])
    assert res["step"].tolist() == [1, 2, 3] * 4
    target = [c + k for c in (29, 31, 33, 35) for k in (1, 2, 3)]
    assert list(res["timestamp"]) == list(y.index[target])
    np.testing.assert_array_equal(res["y_true"], y.to_numpy()[target])
    assert (res["series"] == "s0").all()
    assert (res["model"] == "shrink").all()
    assert (res["q0.05"] < res["y_pred"]).all()
    assert (res["y_pred"] < res["q0.95"]).all()
    assert (res["n_params"] == 3).all()
    assert res["peak_memory_mb"].isna().all()
    assert (res["fit_seconds"] > 0).all()
    assert (res["predict_seconds"] > 0).all()


def test_single_window_equals_manual_prefix_fit():
    y = walk(50)
    model = ShrinkForecaster(alpha=0.3, quantiles=(0.05, 0.95))
    res = backtest([model], y, horizon=4, n_folds=1)
    ref = manual_forecast(model, y, 0, 45, 45, 4)
    np.testing.assert_allclose(res["y_pred"], ref["s0"])
    np.testing.assert_allclose(res["q0.05"], ref["s0_q0.05"])
    np.testing.assert_allclose(res["q0.95"], ref["s0_q0.95"])
    assert res["cutoff"].iloc[0] == 45


@pytest.mark.parametrize("window", ["expanding", "sliding"])
@pytest.mark.parametrize("gap", [0, 3])
@pytest.mark.parametrize("refit", [True, False, 2])
@pytest.mark.parametrize("advance", ["predict", "update"])
def test_every_fold_equals_manual_fit_then_forecast(window, gap, refit, advance):
    y = walk(60, seed=1)
    model = ShrinkForecaster(alpha=0.4)
    res = backtest(
        [model], y, horizon=3, initial=30, step=4, window=window, gap=gap,
        refit=refit, advance=advance,
    )  # fmt: skip
    folds = sorted(res["fold"].unique())
    period = {True: 1, False: len(folds), 2: 2}[refit]
    from tsattn.splitters import BacktestSplitter

    geometry = BacktestSplitter(3, initial=30, step=4, window=window, gap=gap).folds(
        len(y)
    )
    for f in geometry:
        fitted = geometry[(f.fold // period) * period]
        ref = manual_forecast(
            model, y, fitted.train_start, fitted.train_end, f.cutoff, 3
        )
        got = res.loc[res["fold"] == f.fold, "y_pred"]
        np.testing.assert_allclose(got, ref["s0"], rtol=1e-12)
        # fit time only where the model was fitted
        fit_s = res.loc[res["fold"] == f.fold, "fit_seconds"].iloc[0]
        assert (fit_s > 0) == (f.fold % period == 0)


@pytest.mark.parametrize("gap", [0, 2])
@pytest.mark.parametrize("refit", [True, False, 3])
@pytest.mark.parametrize("advance", ["predict", "update", "auto"])
def test_spy_sees_train_end_and_cutoff_only(gap, refit, advance):
    y = walk(40)
    y.index = pd.RangeIndex(len(y))
    res = backtest(
        [SpyForecaster()], y, horizon=2, initial=10, step=3, gap=gap, refit=refit,
        advance=advance,
    )  # fmt: skip
    period = {True: 1, False: 10**9, 3: 3}[refit]
    for (fold, cutoff), part in res.groupby(["fold", "cutoff"]):
        fit_fold = (fold // period) * period
        train_end = 9 + fit_fold * 3
        expected = 1000.0 * train_end + cutoff + np.arange(1, 3)
        np.testing.assert_array_equal(part["y_pred"], expected)


def test_quantiles_kept_with_update_and_nan_with_predict():
    y = walk(50)
    model = ShrinkForecaster(quantiles=(0.05,))
    kw = {"horizon": 2, "initial": 30, "refit": False}
    auto = backtest([model], y, **kw)
    upd = backtest([model], y, advance="update", **kw)
    pred = backtest([model], y, advance="predict", **kw)
    pd.testing.assert_frame_equal(auto.drop(columns=TIMING), upd.drop(columns=TIMING))
    assert auto["q0.05"].notna().all()
    first = pred["fold"] == 0
    assert pred.loc[first, "q0.05"].notna().all()
    assert pred.loc[~first, "q0.05"].isna().all()
    np.testing.assert_allclose(pred["y_pred"], upd["y_pred"], rtol=1e-12)


def test_auto_advance_batches_multivariate_models():
    wide = walk(50, n_series=2)
    kw = {"horizon": 2, "initial": 30, "refit": False}
    auto = backtest([JointForecaster(quantiles=(0.05,))], wide, **kw)
    upd = backtest([JointForecaster(quantiles=(0.05,))], wide, advance="update", **kw)
    first = auto["fold"] == 0
    assert auto.loc[first, "q0.05"].notna().all()
    assert auto.loc[~first, "q0.05"].isna().all()  # one batched predict
    assert upd["q0.05"].notna().all()
    np.testing.assert_allclose(auto["y_pred"], upd["y_pred"], rtol=1e-12)


def test_warm_start_refits_one_object_in_order():
    y = walk(30)
    kw = {"horizon": 1, "initial": 25}
    cold = backtest([CountingForecaster()], y, **kw)
    warm = backtest([CountingForecaster(warm_start=True)], y, n_jobs=2, **kw)
    assert cold["y_pred"].tolist() == [1.0] * 5
    assert warm["y_pred"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_models_are_cloned_not_mutated():
    model = ShrinkForecaster(horizon=1)
    backtest({"m": model}, walk(30), horizon=3, initial=20)
    assert model.horizon == 1
    assert not hasattr(model, "mean_")


def test_list_names_and_row_order():
    y = walk(30, n_series=2)
    res = backtest(
        [ShrinkForecaster(alpha=0.1), ShrinkForecaster(alpha=0.9), SpyForecaster()],
        y[["s1", "s0"]],
        horizon=2,
        initial=20,
    )
    names = ["ShrinkForecaster-1", "ShrinkForecaster-2", "SpyForecaster"]
    assert list(res["model"].unique()) == names
    keys = list(zip(res["model"], res["series"], res["cutoff"], res["step"]))
    order = {n: i for i, n in enumerate(names)}
    sorted_keys = sorted(
        keys, key=lambda k: (order[k[0]], ["s1", "s0"].index(k[1]), k[2], k[3])
    )
    assert keys == sorted_keys
    assert list(res["series"].unique()) == ["s1", "s0"]


def test_series_selection_and_panel_forms_agree():
    wide = walk(40, n_series=3, start="2023-06-01")
    kw = {"horizon": 2, "initial": 30}
    model = {"m": ShrinkForecaster()}
    ref = backtest(model, wide, **kw)
    long = (
        wide.rename_axis("time")
        .reset_index()
        .melt(id_vars="time", var_name="series_id", value_name="value")[
            ["series_id", "time", "value"]
        ]
    )
    multi = long.set_index(["series_id", "time"])
    as_dict = {c: wide[c] for c in wide.columns}
    for other in (long, multi, as_dict):
        pd.testing.assert_frame_equal(
            backtest(model, other, **kw).drop(columns=TIMING),
            ref.drop(columns=TIMING),
        )
    sub = backtest(model, wide, series=["s2"], **kw)
    pd.testing.assert_frame_equal(
        sub.drop(columns=TIMING),
        ref[ref["series"] == "s2"].reset_index(drop=True).drop(columns=TIMING),
    )


def test_cutoff_pos_counts_rows_of_each_ragged_series():
    y = walk(30, n_series=2)
    y.iloc[:4, 1] = np.nan  # s1 starts 4 rows later: its positions count from there
    res = backtest([SpyForecaster()], y, horizon=2, initial=20, step=2)
    for key, part in res.groupby("series"):
        start = 0 if key == "s0" else 4
        expected = [y.index.get_loc(c) - start for c in part["cutoff"]]
        assert part["cutoff_pos"].tolist() == expected
    assert res.groupby("series")["cutoff_pos"].apply(
        lambda c: set(np.diff(c.unique()))
    ).tolist() == [{2}, {2}]


def test_ragged_panel_gets_folds_per_series():
    wide = walk(40, n_series=2)
    wide.iloc[:10, 1] = np.nan  # s1 starts 10 rows late
    res = backtest([SpyForecaster()], wide, horizon=2, initial=20)
    s0 = res[res["series"] == "s0"]
    s1 = res[res["series"] == "s1"]
    assert s0["cutoff"].iloc[0] == 19
    assert s1["cutoff"].iloc[0] == 29
    assert s0["fold"].nunique() == 10
    assert s1["fold"].nunique() == 5


def test_multivariate_model_sees_all_series():
    wide = walk(40, n_series=3)
    assert is_multivariate(JointForecaster())
    assert not is_multivariate(ShrinkForecaster())
    res = backtest({"joint": JointForecaster()}, wide, horizon=2, n_folds=2)
    est = JointForecaster(horizon=2).fit(wide.iloc[:36])
    ref = est.forecast(2)
    first = res[res["fold"] == 0]
    for c in wide.columns:
        np.testing.assert_allclose(first.loc[first["series"] == c, "y_pred"], ref[c])
        np.testing.assert_array_equal(
            first.loc[first["series"] == c, "y_true"], wide[c].to_numpy()[36:38]
        )
    # a univariate fit of each column differs: the joint mean is really used
    solo = backtest({"solo": ShrinkForecaster()}, wide, horizon=2, n_folds=2)
    assert not np.allclose(solo["y_pred"], res["y_pred"])


def test_numpy_input_and_range_index():
    values = walk(30).to_numpy()
    res = backtest([SpyForecaster()], values, horizon=1, initial=28)
    assert res["series"].tolist() == ["y", "y"]
    assert res["cutoff"].tolist() == [27, 28]


# ---------------------------------------------------------------------------
# with the statsmodels baselines
# ---------------------------------------------------------------------------
needs_baselines = pytest.mark.skipif(
    not BASELINE_CLASSES, reason="tsattn.baselines is not importable"
)


def arima_series(n=140, seed=7):
    """An ARIMA(1, 1, 1) path: fits converge quickly and reliably."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 1)
    d = np.zeros(n + 1)
    for t in range(1, n + 1):
        d[t] = 0.5 * d[t - 1] + e[t] + 0.3 * e[t - 1]
    return pd.Series(50 + np.cumsum(d[1:]), name="y")


@needs_baselines
def test_naive_refit_false_equals_refit_true_and_manual():
    from tsattn.baselines import NaiveForecaster

    y = walk(50, start="2024-01-01")
    kw = {"horizon": 3, "initial": 30, "step": 2}
    every = backtest([NaiveForecaster()], y, refit=True, **kw)
    once = backtest([NaiveForecaster()], y, refit=False, **kw)
    batched = backtest([NaiveForecaster()], y, refit=False, advance="predict", **kw)
    drop = [*TIMING, "n_params"]
    pd.testing.assert_frame_equal(every.drop(columns=drop), once.drop(columns=drop))
    np.testing.assert_array_equal(batched["y_pred"], every["y_pred"])
    # by hand: the last value, and Gaussian random-walk quantiles
    v = y.to_numpy()
    pos = np.searchsorted(y.index, every["cutoff"])
    np.testing.assert_array_equal(every["y_pred"], v[pos])
    sigma = np.array([np.sqrt(np.mean(np.diff(v[: p + 1]) ** 2)) for p in pos])
    half = 1.6448536269514722 * sigma * np.sqrt(every["step"].to_numpy())
    np.testing.assert_allclose(every["q0.95"], v[pos] + half, rtol=1e-12)
    np.testing.assert_allclose(every["q0.05"], v[pos] - half, rtol=1e-12)


@needs_baselines
def test_arima_single_window_equals_statsmodels_prefix_fit():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from tsattn.baselines import ARIMAForecaster

    y = arima_series()
    res = backtest([ARIMAForecaster(order=(1, 1, 1))], y, horizon=4, n_folds=1)
    ref = SARIMAX(y.to_numpy()[:136], order=(1, 1, 1)).fit(disp=False)
    fc = ref.get_forecast(4)
    np.testing.assert_allclose(res["y_pred"], fc.predicted_mean, rtol=1e-10)
    lo, hi = fc.conf_int(alpha=0.1).T
    np.testing.assert_allclose(res["q0.05"], lo, rtol=1e-10)
    np.testing.assert_allclose(res["q0.95"], hi, rtol=1e-10)
    assert (res["n_params"] == 3).all()  # ar.L1, ma.L1, sigma2


@needs_baselines
@pytest.mark.parametrize("advance", ["auto", "predict"])
def test_arima_state_update_matches_statsmodels_append(advance):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from tsattn.baselines import ARIMAForecaster

    y = arima_series()
    v = y.to_numpy()
    res = backtest(
        [ARIMAForecaster(order=(1, 1, 1))], y, horizon=4, initial=110, step=3,
        refit=False, advance=advance,
    )  # fmt: skip
    fitted = SARIMAX(v[:110], order=(1, 1, 1)).fit(disp=False)
    for cutoff, part in res.groupby("cutoff"):
        state = fitted if cutoff == 109 else fitted.append(v[110 : cutoff + 1])
        fc = state.get_forecast(4)
        np.testing.assert_allclose(part["y_pred"], fc.predicted_mean, rtol=1e-9)
        if advance == "auto":  # update + forecast keeps the intervals
            lo, hi = fc.conf_int(alpha=0.1).T
            np.testing.assert_allclose(part["q0.05"], lo, rtol=1e-9)
            np.testing.assert_allclose(part["q0.95"], hi, rtol=1e-9)
    assert res["fit_seconds"].gt(0).sum() == 4  # one fit, its 4 step rows


# ---------------------------------------------------------------------------
# no leakage
# ---------------------------------------------------------------------------
def _leak_check(model, y, cut_at, check_power=False, **kw):
    """Forecasts made at cutoffs <= cut_at must not change with data after it."""
    base = backtest([model], y, **kw)
    rng = np.random.default_rng(cut_at)
    changed = y.copy()
    tail = changed.iloc[cut_at + 1 :].to_numpy()
    changed.iloc[cut_at + 1 :] = tail * rng.uniform(0.5, 1.5, tail.shape) + 7.0
    other = backtest([model], changed, **kw)
    visible = base["cutoff"] <= y.index[cut_at]
    assert visible.any()
    cols = ["y_pred"] + [c for c in base.columns if c.startswith("q")]
    np.testing.assert_allclose(
        other.loc[visible, cols].to_numpy(),
        base.loc[visible, cols].to_numpy(),
        rtol=1e-9,
        atol=1e-9,
    )
    # the perturbation is large, so forecasts after it do move
    later = ~visible & (base["fold"] > base.loc[visible, "fold"].max() + 1)
    if check_power and later.any():
        assert not np.allclose(other.loc[later, "y_pred"], base.loc[later, "y_pred"])


@settings(max_examples=25, deadline=None)
@given(
    cut_at=st.integers(30, 55),
    refit=st.sampled_from([True, False, 2]),
    window=st.sampled_from(["expanding", "sliding"]),
    gap=st.integers(0, 3),
    advance=st.sampled_from(["auto", "predict", "update"]),
)
def test_no_leakage_property_fake(cut_at, refit, window, gap, advance):
    y = walk(70, seed=3)
    _leak_check(
        ShrinkForecaster(quantiles=(0.05, 0.95)), y, cut_at, check_power=True,
        horizon=3, initial=25, step=2, refit=refit, window=window, gap=gap,
        advance=advance,
    )  # fmt: skip


BASELINES = BASELINE_CLASSES
# Parameters for a quick fit on ~60 points; classes not listed use their defaults
# (a new class with required parameters fails here until it gets an entry). ARIMA
# uses a fixed order: order selection runs inside fit, which only ever receives
# training rows, and the grid search would make this test take minutes.
PRESETS = {
    "ARIMAForecaster": {"order": (1, 1, 1)},
    "SeasonalNaiveForecaster": {"season_length": 5},
    "ETSForecaster": {"trend": "add", "damped_trend": True},
    "EWMAVolatilityForecaster": {"init_window": 20},
}


@pytest.mark.skipif(not BASELINES, reason="tsattn.baselines is not importable")
@pytest.mark.parametrize("cls", BASELINES, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("refit", "gap", "window", "cut_at"),
    [
        (True, 0, "expanding", 60),
        (False, 2, "expanding", 62),
        (2, 1, "sliding", 63),
    ],
)
def test_no_leakage_every_baseline(cls, refit, gap, window, cut_at):
    y = arima_series(72, seed=5)  # 4 folds: cutoffs 57, 60, 63, 66 (+ gap)
    _leak_check(
        cls(**PRESETS.get(cls.__name__, {})), y, cut_at, horizon=3, initial=58,
        step=3, refit=refit, gap=gap, window=window,
    )  # fmt: skip


def test_no_leakage_attention_forecaster():
    estimators = pytest.importorskip("tsattn.estimators")
    model = estimators.AttentionForecaster(
        window_length=16, d_model=8, n_heads=2, n_layers=1, patch_len=4,
        max_epochs=2, quantiles=(0.1, 0.9), random_state=0,
    )  # fmt: skip
    y = walk(110, n_series=2, seed=2)
    _leak_check(
        model, y, 92, horizon=3, initial=85, step=3, refit=2, gap=1,
        check_power=True,
    )  # fmt: skip


# ---------------------------------------------------------------------------
# parallel execution
# ---------------------------------------------------------------------------
def _models():
    return {
        "shrink": ShrinkForecaster(quantiles=(0.05, 0.95)),
        "spy": SpyForecaster(),
        "joint": JointForecaster(),
    }


def test_n_jobs_2_identical_to_n_jobs_1():
    y = walk(60, n_series=3, start="2022-01-03")
    kw = {"horizon": 3, "initial": 40, "step": 2, "refit": 2}
    one = backtest(_models(), y, n_jobs=1, **kw)
    two = backtest(_models(), y, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one.drop(columns=TIMING), two.drop(columns=TIMING))


class WhereForecaster(SpyForecaster):
    """Records where each fit ran: a dask worker address, or "local"."""

    places: ClassVar[list] = []

    def fit(self, X, y=None):
        from dask import distributed

        try:
            self.places.append(distributed.get_worker().address)
        except ValueError:
            self.places.append("local")
        return super().fit(X)


def test_dask_local_cluster_identical_to_n_jobs_1():
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask.distributed is not installed"
    )
    y = walk(60, n_series=3, start="2022-01-03")
    kw = {"horizon": 3, "initial": 40, "step": 2, "refit": 2}
    models = {**_models(), "where": WhereForecaster()}
    one = backtest(models, y, **kw)
    assert set(WhereForecaster.places) == {"local"}
    WhereForecaster.places.clear()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with joblib.parallel_config(backend="dask"):
            via_config = backtest(models, y, **kw)
        via_arg = backtest(models, y, backend="dask", **kw)
        workers = set(client.scheduler_info()["workers"])
    # every fit ran on a worker of the cluster
    assert set(WhereForecaster.places) <= workers
    # 2 runs x 3 series x 5 fits (9 folds: cutoffs 39, 41 .. 55, refit every 2)
    assert len(WhereForecaster.places) == 2 * 3 * 5
    for other in (via_config, via_arg):
        pd.testing.assert_frame_equal(
            one.drop(columns=TIMING), other.drop(columns=TIMING)
        )


def test_dask_backend_without_dask_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(
        ImportError, match=re.escape('pip install "tsattn[distributed]"')
    ):
        backtest([SpyForecaster()], walk(20), horizon=1, initial=18, backend="dask")


def test_track_memory_reports_peak():
    res = backtest([ShrinkForecaster()], walk(30), horizon=1, initial=28,
                   track_memory=True)  # fmt: skip
    assert (res["peak_memory_mb"] > 0).all()


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"horizon": 0, "initial": 10}, ValueError, "horizon must be >= 1"),
        ({"horizon": 2, "initial": 10, "gap": -1}, ValueError, "gap must be >= 0"),
        (
            {"horizon": 2, "initial": 10, "window": "rolling"},
            ValueError,
            "window must be one of ('expanding', 'sliding')",
        ),
        (
            {"horizon": 5, "initial": 28},
            ValueError,
            "Series 's0': initial (= 28) + gap (= 0) + horizon (= 5) = 33 exceeds "
            "the number of rows (= 30)",
        ),
        ({"horizon": 2, "initial": 10, "refit": 0}, ValueError, "got refit=0"),
        ({"horizon": 2, "initial": 10, "refit": -2}, ValueError, "got refit=-2"),
        ({"horizon": 2, "initial": 10, "refit": "yes"}, ValueError, "got refit='yes'"),
        ({"horizon": 2, "initial": 10, "refit": 1.5}, ValueError, "got refit=1.5"),
        (
            {"horizon": 2, "initial": 10, "advance": "fast"},
            ValueError,
            "advance must be one of ('auto', 'predict', 'update'); got 'fast'",
        ),
        (
            {"horizon": 2, "initial": 10, "series": ["nope"]},
            ValueError,
            "Unknown series ['nope']; data holds ['s0']",
        ),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=re.escape(match)):
        backtest([SpyForecaster()], walk(30), **kwargs)


def test_bad_models():
    y = walk(30)
    kw = {"horizon": 1, "initial": 20}
    with pytest.raises(ValueError, match="models is empty"):
        backtest({}, y, **kw)
    with pytest.raises(ValueError, match=re.escape("Duplicate model names ['a']")):
        backtest([("a", SpyForecaster()), ("a", ShrinkForecaster())], y, **kw)
    with pytest.raises(
        TypeError, match=re.escape("Model 'bad' (NoUpdate) lacks update")
    ):
        backtest({"ok": SpyForecaster(), "bad": NoUpdate()}, y, **kw)
    with pytest.raises(TypeError, match="mixes"):
        backtest([("a", SpyForecaster()), ShrinkForecaster()], y, **kw)
    with pytest.raises(TypeError, match="models must be a dict"):
        backtest(SpyForecaster(), y, **kw)


def test_bad_data():
    kw = {"horizon": 1, "initial": 5}
    with pytest.raises(TypeError, match="data must be a pandas Series"):
        backtest([SpyForecaster()], "prices.csv", **kw)
    gappy = walk(30)
    gappy.iloc[12] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        backtest([SpyForecaster()], gappy, **kw)
    ragged = walk(30, n_series=2)
    ragged.iloc[:3, 0] = np.nan
    with pytest.raises(
        ValueError, match=re.escape("missing values per series: {'s0': 3}")
    ):
        backtest([JointForecaster()], ragged, **kw)
    with pytest.raises(TypeError, match="non-numeric column"):
        backtest([SpyForecaster()], pd.Series(list("abcdefgh")), **kw)
    holed = walk(30, n_series=2, start="2020-01-01")
    holed.iloc[:3, 1] = np.nan  # a ragged start is allowed, a hole is not
    holed.iloc[13, 1] = np.nan
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Series 's1' of data contains missing values (NaN), first at "
            "2020-01-20 00:00:00 (position 10); 1 in all"
        ),
    ):
        backtest([SpyForecaster()], holed, **kw)
    two_columns = {"a": walk(30, n_series=2), "b": walk(30, n_series=2)}
    with pytest.raises(ValueError, match="Each series of data must hold one column"):
        backtest([SpyForecaster()], two_columns, **kw)
    empty = walk(30, n_series=2)
    empty["s0"] = np.nan
    with pytest.raises(ValueError, match="Series 's0' of data has no values"):
        backtest([SpyForecaster()], empty, **kw)


def test_input_keeps_float64_precision():
    y = pd.Series(np.linspace(0.1, 3.3, 30), name="y")  # not float32 numbers
    res = backtest([SpyForecaster()], y, horizon=1, initial=25)
    np.testing.assert_array_equal(res["y_true"], y.to_numpy()[25:])


def test_model_returning_too_few_predict_columns():
    class Short(SpyForecaster):
        def predict(self, X):
            return super().predict(X).iloc[:, :1]

    with pytest.raises(ValueError, match=re.escape("Model 'Short': predict() lacks")):
        backtest(
            [Short()], walk(30), horizon=2, initial=20, refit=False, on_error="raise"
        )


def test_batched_predict_refuses_rows_that_skip_a_date():
    # A missing date between refits must not silently turn the rows after the
    # refit into a fresh, unrelated history.
    index = pd.date_range("2024-01-01", periods=80, freq="D").delete(50)
    y = pd.Series(np.arange(79, dtype=float), index=index, name="y")
    from tsattn.baselines import DriftForecaster

    with pytest.raises(ValueError, match="does not continue the data seen so far"):
        backtest(
            {"drift": DriftForecaster(quantiles=None)},
            y,
            horizon=3,
            initial=30,
            step=3,
            refit=False,
            advance="predict",
            on_error="raise",
        )
