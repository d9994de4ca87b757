import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tsattn.metrics import (
    METRICS,
    TASK_METRICS,
    brier_score,
    coverage,
    diebold_mariano,
    direction_accuracy,
    direction_mcc,
    directional_accuracy,
    evaluate,
    interval_width,
    log_loss,
    mae,
    mape,
    mase,
    mincer_zarnowitz,
    mse,
    naive_scale,
    pinball_loss,
    qlike,
    rmse,
    roc_auc,
    sign_mcc,
    smape,
    strategy_returns,
)

Y = np.array([1.0, 2.0, 4.0, -1.0])
F = np.array([2.0, 2.0, 1.0, 1.0])  # errors y - f: -1, 0, 3, -2


# -- element-level metrics against hand-computed values -----------------------------


def test_point_metrics_hand_computed():
    assert mae(Y, F) == pytest.approx(6 / 4)
    assert mse(Y, F) == pytest.approx(14 / 4)
    assert rmse(Y, F) == pytest.approx(math.sqrt(3.5))
    assert mape(Y, F) == pytest.approx(100 * (1 / 1 + 0 + 3 / 4 + 2 / 1) / 4)
    assert smape(Y, F) == pytest.approx(200 * (1 / 3 + 0 + 3 / 5 + 2 / 2) / 4)
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0


def test_mase_and_naive_scale():
    scale = naive_scale([1.0, 3.0, 2.0, 6.0])  # |2|, |-1|, |4| -> 7/3
    assert scale == pytest.approx(7 / 3)
    assert naive_scale([1.0, 3.0, 2.0, 6.0], season_length=2) == pytest.approx(2.0)
    assert mase(Y, F, scale) == pytest.approx(1.5 / (7 / 3))
    per_row = [1.0, 1.0, 3.0, 2.0]
    assert mase(Y, F, per_row) == pytest.approx((1 + 0 + 1 + 1) / 4)
    with pytest.raises(ValueError, match="season_length must be >= 1; got 0"):
        naive_scale([1.0, 2.0, 3.0], season_length=0)
    with pytest.raises(ValueError, match="more than season_length"):
        naive_scale([1.0, 2.0], season_length=2)


def test_interval_metrics_hand_computed():
    y = [1.0, 2.0, 3.0, 4.0]
    lower, upper = [0.0, 2.5, 3.0, 0.0], [2.0, 3.0, 3.5, 3.9]
    assert coverage(y, lower, upper) == pytest.approx(0.5)  # bounds inclusive
    assert interval_width(lower, upper) == pytest.approx((2 + 0.5 + 0.5 + 3.9) / 4)
    # q = 0.9: under-forecasts cost 0.9 per unit, over-forecasts 0.1
    assert pinball_loss([3.0, 1.0], [1.0, 2.0], 0.9) == pytest.approx((1.8 + 0.1) / 2)


def test_qlike_hand_computed():
    r, f = np.array([1.0, 4.0]), np.array([2.0, 2.0])
    expected = np.mean([0.5 - math.log(0.5) - 1, 2 - math.log(2) - 1])
    assert qlike(r, f) == pytest.approx(expected)
    assert qlike(f, f) == 0.0


def test_direction_metrics_hand_computed():
    y = [0.5, -0.2, 0.1, -0.3, 0.0]
    f = [0.1, 0.3, 0.2, -0.1, -0.5]
    # up/up, down/up, up/up, down/down, flat(not up)/down
    assert directional_accuracy(y, f) == pytest.approx(4 / 5)
    tp, tn, fp, fn = 2, 2, 1, 0
    expected = (tp * tn - fp * fn) / math.sqrt(
        (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    )
    assert sign_mcc(y, f) == pytest.approx(expected)
    assert sign_mcc([1.0, 2.0], [1.0, -1.0]) == 0.0  # one class only
    # levels with a reference: directions are relative to the last value
    assert (
        directional_accuracy([11.0, 9.0], [10.5, 10.5], reference=[10.0, 10.0]) == 0.5
    )


def test_strategy_returns_hand_computed():
    r = [0.10, -0.05, 0.02]
    out = strategy_returns(r, [1.0, -1.0, 1.0], cost_per_trade=0.01)
    strat = np.array([0.10 - 0.01, 0.05 - 0.02, 0.02 - 0.02])  # turnover 1, 2, 2
    assert out["total_return"] == pytest.approx(np.prod(1 + strat) - 1)
    assert out["sharpe"] == pytest.approx(
        strat.mean() / strat.std(ddof=1) * math.sqrt(252)
    )
    assert out["max_drawdown"] == 0.0
    out = strategy_returns([0.1, -0.5, 0.2], [1.0, 1.0, 1.0], long_only=True)
    assert out["total_return"] == pytest.approx(1.1 * 0.5 * 1.2 - 1)
    assert out["max_drawdown"] == pytest.approx(0.5)  # 1.1 -> 0.55
    flat = strategy_returns([0.1, 0.2], [-1.0, -1.0], long_only=True)
    assert flat["total_return"] == 0.0
    assert math.isnan(flat["sharpe"])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: mae([1.0, 2.0], [1.0]),
            ValueError,
            r"len\(y_true\) = 2, len\(y_pred\) = 1",
        ),
        (lambda: mae([], []), ValueError, "is empty"),
        (lambda: rmse([1.0, np.nan], [1.0, 2.0]), ValueError, "NaN or infinite"),
        (lambda: mae(["a"], ["b"]), TypeError, "must be numeric"),
        (lambda: mape([0.0, 1.0], [1.0, 1.0]), ValueError, "MAPE is undefined"),
        (lambda: mase([1.0], [2.0], 0.0), ValueError, "scale must be positive"),
        (
            lambda: mase([1.0, 2.0], [2.0, 2.0], [1.0, 1.0, 1.0]),
            ValueError,
            "one per element",
        ),
        (lambda: naive_scale([1.0]), ValueError, "more than season_length"),
        (lambda: pinball_loss([1.0], [1.0], 1.0), ValueError, r"q must be in \(0, 1\)"),
        (lambda: coverage([1.0], [2.0], [0.0]), ValueError, "upper < lower"),
        (lambda: qlike([1.0], [0.0]), ValueError, "strictly positive"),
        (
            lambda: strategy_returns([0.1], [1.0], cost_per_trade=-1),
            ValueError,
            "cost_per_trade",
        ),
    ],
)
def test_element_metric_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- property tests --------------------------------------------------------------------

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
pairs = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, n, elements=finite),
        hnp.arrays(np.float64, n, elements=finite),
    )
)


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_point_metric_properties(arrays):
    y, f = arrays
    assert mae(y, f) <= rmse(y, f) + 1e-9
    assert rmse(y, f) ** 2 == pytest.approx(mse(y, f), rel=1e-9, abs=1e-9)
    assert pinball_loss(y, f, 0.5) == pytest.approx(mae(y, f) / 2, rel=1e-9, abs=1e-12)
    assert 0.0 <= smape(y, f) <= 200.0 + 1e-9


@settings(max_examples=60, deadline=None)
@given(pairs, st.floats(0.0, 5.0))
def test_coverage_is_a_share(arrays, half_width):
    y, f = arrays
    c = coverage(y, f - half_width, f + half_width)
    assert 0.0 <= c <= 1.0
    assert coverage(y, f - 2e3 - half_width, f + 2e3 + half_width) == 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.integers(3, 30).flatmap(
        lambda n: hnp.arrays(np.float64, (2, n), elements=st.floats(1e-3, 1e3))
    )
)
def test_qlike_is_non_negative(arrays):
    assert qlike(arrays[0], arrays[1]) >= -1e-12


# -- frame-level evaluate --------------------------------------------------------------


def results_frame(n_cutoffs=25, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    truth = {
        (s, c, k): rng.normal() for s in "AB" for c in range(n_cutoffs) for k in (1, 2)
    }
    for model, noise in (("naive", 1.0), ("arima", 0.6)):
        for (s, c, k), y in truth.items():
            pred = y + noise * rng.normal()
            rows.append(
                {
                    "model": model,
                    "series": s,
                    "cutoff": pd.Timestamp("2024-01-01") + pd.Timedelta(days=c),
                    "step": k,
                    "timestamp": pd.Timestamp("2024-01-01") + pd.Timedelta(days=c + k),
                    "y_true": y,
                    "y_pred": pred,
                    "q0.05": pred - 1.5,
                    "q0.95": pred + 1.5,
                    "y_insample_naive_scale": 0.8 if s == "A" else 1.2,
                    "fit_seconds": 0.01,
                    "predict_seconds": 0.001,
                }
            )
    return pd.DataFrame(rows)


def test_evaluate_default_metrics_match_element_functions():
    res = results_frame()
    table = evaluate(res)
    assert list(table.columns[:4]) == ["model", "series", "step", "n"]
    assert {
        "mae",
        "rmse",
        "smape",
        "mase",
        "pinball",
        "coverage_0.9",
        "interval_width_0.9",
    } <= set(table.columns)
    assert len(table) == 2 * 2 * 2
    row = table[
        (table.model == "arima") & (table.series == "B") & (table.step == 2)
    ].iloc[0]
    g = res[(res.model == "arima") & (res.series == "B") & (res.step == 2)]
    assert row["n"] == len(g) == 25
    assert row["mae"] == pytest.approx(mae(g.y_true, g.y_pred))
    assert row["rmse"] == pytest.approx(rmse(g.y_true, g.y_pred))
    assert row["mase"] == pytest.approx(mae(g.y_true, g.y_pred) / 1.2)
    pin = (
        pinball_loss(g.y_true, g["q0.05"], 0.05)
        + pinball_loss(g.y_true, g["q0.95"], 0.95)
    ) / 2
    assert row["pinball"] == pytest.approx(pin)
    assert row["coverage_0.9"] == pytest.approx(
        coverage(g.y_true, g["q0.05"], g["q0.95"])
    )
    assert row["interval_width_0.9"] == pytest.approx(3.0)


def test_evaluate_dm_against_baseline_on_matched_rows():
    res = results_frame()
    table = evaluate(res, metrics=["mae"])
    naive_rows = table[table.model == "naive"]
    assert naive_rows["dm_stat"].isna().all()
    row = table[
        (table.model == "arima") & (table.series == "A") & (table.step == 2)
    ].iloc[0]
    a = res[(res.model == "arima") & (res.series == "A") & (res.step == 2)].sort_values(
        "cutoff"
    )
    b = res[(res.model == "naive") & (res.series == "A") & (res.step == 2)].sort_values(
        "cutoff"
    )
    stat, p = diebold_mariano(a.y_true - a.y_pred, b.y_true - b.y_pred, h=2)
    assert row["dm_stat"] == pytest.approx(stat)
    assert row["dm_pvalue"] == pytest.approx(p)
    # swapping the roles flips the statistic
    swapped = evaluate(res, metrics=["mae"], baseline="arima")
    other = swapped[
        (swapped.model == "naive") & (swapped.series == "A") & (swapped.step == 2)
    ]
    assert other["dm_stat"].iloc[0] == pytest.approx(-stat)
    # unmatched rows of a model are ignored by the test, not by the metrics
    extra = res[res.model == "arima"].assign(cutoff=pd.Timestamp("2030-01-01"))
    table2 = evaluate(pd.concat([res, extra.iloc[:1]]), metrics=["mae"])
    r2 = table2[
        (table2.model == "arima") & (table2.series == "A") & (table2.step == 1)
    ].iloc[0]
    r1 = table[
        (table.model == "arima") & (table.series == "A") & (table.step == 1)
    ].iloc[0]
    assert r2["dm_stat"] == pytest.approx(r1["dm_stat"])
    assert r2["n"] == r1["n"] + 1


def test_evaluate_pooled_over_steps_averages_per_cutoff():
    res = results_frame()
    table = evaluate(res, by="model", metrics="mse")
    a = res[res.model == "arima"].sort_values(["cutoff", "series", "step"])
    b = res[res.model == "naive"].sort_values(["cutoff", "series", "step"])
    d = (a.y_true - a.y_pred).to_numpy() ** 2 - (b.y_true - b.y_pred).to_numpy() ** 2
    d_cut = pd.Series(d).groupby(a.cutoff.to_numpy()).mean().to_numpy()
    # e1 = sqrt(d+) ... build errors whose squared difference is d_cut
    e1, e2 = np.sqrt(np.maximum(d_cut, 0)), np.sqrt(np.maximum(-d_cut, 0))
    stat, _ = diebold_mariano(e1, e2, h=2)
    assert table.set_index("model").loc["arima", "dm_stat"] == pytest.approx(stat)
    overall = evaluate(res, by=(), metrics=["mae"], baseline=None)
    assert overall["n"].iloc[0] == len(res)
    assert overall["mae"].iloc[0] == pytest.approx(mae(res.y_true, res.y_pred))


def test_evaluate_direction_and_trading_metrics():
    res = results_frame()
    names = [
        "directional_accuracy",
        "sign_mcc",
        "total_return",
        "sharpe",
        "max_drawdown",
    ]
    res = res.assign(y_true=res.y_true * 0.01, y_pred=res.y_pred * 0.01)
    table = evaluate(res, metrics=names, baseline=None, cost_per_trade=0.001)
    row = table[
        (table.model == "arima") & (table.series == "A") & (table.step == 1)
    ].iloc[0]
    g = res[(res.model == "arima") & (res.series == "A") & (res.step == 1)]
    g = g.sort_values("timestamp")
    assert row["directional_accuracy"] == pytest.approx(
        directional_accuracy(g.y_true, g.y_pred)
    )
    assert row["sign_mcc"] == pytest.approx(sign_mcc(g.y_true, g.y_pred))
    expected = strategy_returns(g.y_true, g.y_pred, cost_per_trade=0.001)
    for key in ("total_return", "sharpe", "max_drawdown"):
        assert row[key] == pytest.approx(expected[key])
    with pytest.raises(ValueError, match="include 'step' in by"):
        evaluate(res, by=("model", "series"), metrics=["sharpe"], baseline=None)


def test_evaluate_qlike_and_scale_argument():
    res = results_frame().assign(
        y_true=lambda d: d.y_true**2 + 0.1, y_pred=lambda d: d.y_pred**2 + 0.1
    )
    res = res.drop(columns="y_insample_naive_scale")
    table = evaluate(
        res, metrics=["qlike", "mase"], scale={"A": 2.0, "B": 4.0}, baseline=None
    )
    row = table[
        (table.model == "naive") & (table.series == "B") & (table.step == 1)
    ].iloc[0]
    g = res[(res.model == "naive") & (res.series == "B") & (res.step == 1)]
    assert row["qlike"] == pytest.approx(qlike(g.y_true, g.y_pred))
    assert row["mase"] == pytest.approx(mae(g.y_true, g.y_pred) / 4.0)


@pytest.mark.parametrize(
    ("kwargs", "frame_fn", "error", "match"),
    [
        ({}, lambda r: r.iloc[:0], ValueError, "results is empty"),
        (
            {},
            lambda r: r.drop(columns="y_pred"),
            ValueError,
            re.escape("missing column(s) ['y_pred']"),
        ),
        ({"metrics": ["maee"]}, None, ValueError, "Did you mean 'mae'"),
        ({"baseline": "naiv"}, None, ValueError, "Did you mean 'naive'"),
        ({"by": ("series",)}, None, ValueError, "include 'model' in by"),
        (
            {"metrics": ["mase"]},
            lambda r: r.drop(columns="y_insample_naive_scale"),
            ValueError,
            "mase needs",
        ),
        (
            {"metrics": ["pinball"]},
            lambda r: r.drop(columns=["q0.05", "q0.95"]),
            ValueError,
            "quantile columns",
        ),
        (
            {"metrics": ["coverage"]},
            lambda r: r.drop(columns=["q0.95"]),
            ValueError,
            "symmetric pair",
        ),
        (
            {"scale": {"A": 1.0}},
            None,
            ValueError,
            re.escape("no value for series ['B']"),
        ),
        ({"dm_loss": "squred"}, None, ValueError, "Did you mean 'squared'"),
        ({}, lambda r: r.to_numpy(), TypeError, "must be a pandas DataFrame"),
    ],
)
def test_evaluate_errors(kwargs, frame_fn, error, match):
    res = results_frame(5)
    if frame_fn is not None:
        res = frame_fn(res)
    with pytest.raises(error, match=match):
        evaluate(res, **kwargs)


def test_metric_names_are_all_supported():
    res = results_frame(6)
    res = res.assign(y_true=res.y_true.abs() + 0.1, y_pred=res.y_pred.abs() + 0.1)
    # the probability metrics need 0/1 outcomes: scored on direction rows below
    names = [m for m in METRICS if m not in TASK_METRICS["direction"]]
    table = evaluate(res, metrics=names, baseline="naive")
    for name in names:
        assert any(col.startswith(name) for col in table.columns), name
    tasks = task_frame()
    direction = tasks[tasks.task == "direction"]
    table = evaluate(direction, metrics=TASK_METRICS["direction"], baseline=None)
    assert set(TASK_METRICS["direction"]) <= set(table.columns)
    assert set(METRICS) >= {m for t in TASK_METRICS.values() for m in t}


# -- per-task metrics ------------------------------------------------------------------


def test_point_metrics_match_sklearn():
    import sklearn.metrics as skm

    rng = np.random.default_rng(1)
    y, f = rng.normal(size=50) + 3, rng.normal(size=50) + 3
    assert mae(y, f) == pytest.approx(skm.mean_absolute_error(y, f))
    assert mse(y, f) == pytest.approx(skm.mean_squared_error(y, f))
    assert mape(y, f) == pytest.approx(100 * skm.mean_absolute_percentage_error(y, f))
    assert pinball_loss(y, f, 0.2) == pytest.approx(
        skm.mean_pinball_loss(y, f, alpha=0.2)
    )
    # the plain-numpy definitions, independently
    assert mae(y, f) == pytest.approx(np.mean(np.abs(y - f)))
    assert mape(y, f) == pytest.approx(100 * np.mean(np.abs((y - f) / y)))


OUTCOMES = np.array([1, 0, 1, 1, 0, 0, 1, 0])
PROBS = np.array([0.9, 0.2, 0.6, 0.4, 0.3, 0.7, 0.8, 0.1])


def test_direction_probability_metrics_hand_computed():
    # calls (p > 0.5): 1 0 1 0 0 1 1 0 -> right on 6 of 8
    assert direction_accuracy(OUTCOMES, PROBS) == pytest.approx(6 / 8)
    assert brier_score(OUTCOMES, PROBS) == pytest.approx(
        np.mean((PROBS - OUTCOMES) ** 2)
    )
    ll = -np.mean(OUTCOMES * np.log(PROBS) + (1 - OUTCOMES) * np.log(1 - PROBS))
    assert log_loss(OUTCOMES, PROBS) == pytest.approx(ll)
    # AUC: share of (up, not-up) pairs ranked right: 14 of 16
    ups, downs = PROBS[OUTCOMES == 1], PROBS[OUTCOMES == 0]
    pairs = np.mean(ups[:, None] > downs[None, :])
    assert roc_auc(OUTCOMES, PROBS) == pytest.approx(pairs)
    assert pairs == pytest.approx(14 / 16)
    tp, tn, fp, fn = 3, 3, 1, 1
    mcc = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert direction_mcc(OUTCOMES, PROBS) == pytest.approx(mcc)
    # a constant 0.5 forecast: Brier 0.25, log loss log 2, no MCC
    half = np.full(8, 0.5)
    assert brier_score(OUTCOMES, half) == pytest.approx(0.25)
    assert log_loss(OUTCOMES, half) == pytest.approx(math.log(2))
    assert direction_mcc(OUTCOMES, half) == 0.0


def test_mincer_zarnowitz_matches_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    f = rng.uniform(0.5, 2.0, size=200)
    r = f * rng.chisquare(1, size=200)  # unbiased: E[r | f] = f
    mz = mincer_zarnowitz(r, f)
    fit = sm.OLS(r, sm.add_constant(f)).fit()
    assert mz["r2"] == pytest.approx(fit.rsquared)
    assert mz["slope"] == pytest.approx(fit.params[1])
    # the regression of r on f by hand
    slope = np.cov(f, r, ddof=1)[0, 1] / np.var(f, ddof=1)
    assert mz["slope"] == pytest.approx(slope)
    assert mz["intercept"] == pytest.approx(r.mean() - slope * f.mean())
    assert mz["r2"] == pytest.approx(np.corrcoef(f, r)[0, 1] ** 2)
    assert mz["pvalue"] > 0.01  # unbiased forecasts pass the joint test
    assert mincer_zarnowitz(2.0 * r + 1.0, f)["pvalue"] < 1e-6  # biased ones fail


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: brier_score([0, 2], [0.1, 0.2]), r"outcomes 0 \(not up\) or 1"),
        (lambda: log_loss([0, 1], [0.1, 1.5]), r"probabilities in \[0, 1\]"),
        (lambda: roc_auc([1, 1, 1], [0.1, 0.2, 0.3]), "both up"),
        (lambda: mincer_zarnowitz([1.0, 2.0], [1.0, 2.0]), "at least 3"),
        (lambda: mincer_zarnowitz([1.0, 2.0, 3.0], [1.0] * 3), "is constant"),
        (lambda: direction_accuracy([0, 1], [0.2]), r"len\(y_true\) = 2"),
    ],
)
def test_task_metric_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def task_frame(n=60, seed=4):
    """A multi-task results frame: returns, direction probabilities, variance."""
    rng = np.random.default_rng(seed)
    rows = []
    ret = rng.normal(0, 0.01, n)
    var = rng.uniform(0.5, 2.0, n) * 1e-4
    realized = var * rng.chisquare(1, n)
    up = (ret > 0).astype(int)
    for c in range(n):
        common = {"series": "s", "cutoff": c, "cutoff_pos": 100 + c, "step": 1}
        for model, task, truth, pred in (
            ("zero", "return", ret[c], 0.0),
            ("ar", "return", ret[c], 0.5 * ret[c] + rng.normal(0, 0.01)),
            ("base_rate", "direction", up[c], 0.5),
            ("logit", "direction", up[c], np.clip(0.5 + 30 * ret[c], 0.01, 0.99)),
            ("ewma", "variance", realized[c], var.mean()),
            ("garch", "variance", realized[c], var[c]),
        ):
            rows.append(dict(common, model=model, task=task, y_true=truth, y_pred=pred))
    return pd.DataFrame(rows)


def test_evaluate_scores_each_task_kind_with_its_metrics():
    res = task_frame()
    table = evaluate(res, by="model", baseline=None).set_index("model")
    assert table["task"].to_dict() == {
        "ar": "return", "base_rate": "direction", "ewma": "variance",
        "garch": "variance", "logit": "direction", "zero": "return",
    }  # fmt: skip
    g = res[res.model == "logit"]
    row = table.loc["logit"]
    assert row["brier"] == pytest.approx(brier_score(g.y_true, g.y_pred))
    assert row["log_loss"] == pytest.approx(log_loss(g.y_true, g.y_pred))
    assert row["roc_auc"] == pytest.approx(roc_auc(g.y_true, g.y_pred))
    assert row["accuracy"] == pytest.approx(direction_accuracy(g.y_true, g.y_pred))
    assert row["mcc"] == pytest.approx(direction_mcc(g.y_true, g.y_pred))
    assert np.isnan(row["qlike"])  # not a variance task
    v = res[res.model == "garch"]
    assert table.loc["garch", "qlike"] == pytest.approx(qlike(v.y_true, v.y_pred))
    assert table.loc["garch", "mz_r2"] == pytest.approx(
        mincer_zarnowitz(v.y_true, v.y_pred)["r2"]
    )
    assert np.isnan(table.loc["ewma", "mz_r2"])  # a flat forecast has no slope
    r = res[res.model == "ar"]
    assert table.loc["ar", "mse"] == pytest.approx(mse(r.y_true, r.y_pred))
    assert np.isnan(table.loc["ar", "brier"])


def test_evaluate_tests_each_task_against_its_own_baseline_with_holm():
    res = task_frame()
    extra = res[res.model == "ar"].assign(model="ar2", y_pred=lambda f: f.y_pred * 0.9)
    res = pd.concat([res, extra], ignore_index=True)
    base = {"return": "zero", "direction": "base_rate", "variance": "ewma"}
    table = evaluate(res, by="model", baseline=base, dm_loss="squared")
    table = table.set_index("model")
    for model, ref in (("ar", "zero"), ("logit", "base_rate"), ("garch", "ewma")):
        a = res[res.model == model].sort_values("cutoff")
        b = res[res.model == ref].sort_values("cutoff")
        stat, p = diebold_mariano(a.y_true - a.y_pred, b.y_true - b.y_pred, h=1)
        assert table.loc[model, "dm_stat"] == pytest.approx(stat)
        assert table.loc[model, "dm_pvalue"] == pytest.approx(p)
        assert np.isnan(table.loc[ref, "dm_pvalue"])
    # the return task's family holds ar and ar2: Holm over those two only
    from statsmodels.stats.multitest import multipletests

    ref = multipletests(table.loc[["ar", "ar2"], "dm_pvalue"], method="holm")[1]
    np.testing.assert_allclose(table.loc[["ar", "ar2"], "dm_pvalue_holm"], ref)
    assert table.loc["logit", "dm_pvalue_holm"] == pytest.approx(
        table.loc["logit", "dm_pvalue"]
    )


def test_evaluate_task_errors():
    res = task_frame()
    with pytest.raises(ValueError, match="Unknown task kind 'volatilty'"):
        evaluate(res.replace({"task": {"variance": "volatilty"}}), baseline=None)
    with pytest.raises(ValueError, match="Unknown baseline model 'garh'"):
        evaluate(res, by="model", baseline={"variance": "garh"})
    with pytest.raises(ValueError, match="needed for a baseline per task"):
        evaluate(res.drop(columns="task"), by="model", baseline={"return": "zero"})


# -- losses of the test per task, volatility, references by default -----------------


def _dm_h1_numpy(d):
    """Diebold-Mariano with h = 1 in plain numpy: mean / se, HLN factor, t(n-1)."""
    from scipy.stats import t as student_t

    n = d.size
    stat = d.mean() / np.sqrt(d.var() / n) * np.sqrt((n - 1) / n)
    return stat, 2 * student_t.sf(abs(stat), n - 1)


def test_qlike_differential_equals_qlike_difference_and_allows_zero_variance():
    from tsattn.metrics import qlike_differential

    r = np.array([1.0, 4.0, 0.5])
    fa, fb = np.array([2.0, 2.0, 1.0]), np.array([1.0, 4.0, 0.25])
    ql = lambda r, f: r / f - np.log(r / f) - 1.0  # noqa: E731
    np.testing.assert_allclose(qlike_differential(r, fa, fb), ql(r, fa) - ql(r, fb))
    # r = 0: qlike itself is undefined, the differential is log(fa / fb)
    assert qlike_differential([0.0], [2.0], [1.0])[0] == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="strictly positive variance forecasts"):
        qlike_differential([1.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="realized_var must be >= 0"):
        qlike_differential([-1.0], [1.0], [1.0])


def test_evaluate_uses_qlike_for_variance_and_brier_terms_for_direction():
    res = task_frame()
    base = {"return": "zero", "direction": "base_rate", "variance": "ewma"}
    table = evaluate(res, by="model", baseline=base).set_index("model")
    g = res[res.model == "garch"].sort_values("cutoff")
    e = res[res.model == "ewma"].sort_values("cutoff")
    r, fg, fe = g.y_true.to_numpy(), g.y_pred.to_numpy(), e.y_pred.to_numpy()
    d = (r / fg - np.log(r / fg) - 1) - (r / fe - np.log(r / fe) - 1)
    stat, p = _dm_h1_numpy(d)
    assert table.loc["garch", "dm_stat"] == pytest.approx(stat)
    assert table.loc["garch", "dm_pvalue"] == pytest.approx(p)
    lo = res[res.model == "logit"].sort_values("cutoff")
    br = res[res.model == "base_rate"].sort_values("cutoff")
    d = (lo.y_true - lo.y_pred).to_numpy() ** 2 - (
        br.y_true - br.y_pred
    ).to_numpy() ** 2
    assert table.loc["logit", "dm_stat"] == pytest.approx(_dm_h1_numpy(d)[0])
    # the mean of that differential is the difference of the Brier scores
    assert d.mean() == pytest.approx(
        brier_score(lo.y_true, lo.y_pred) - brier_score(br.y_true, br.y_pred)
    )
    # squared error for variance instead, when asked per task
    sq = evaluate(res, by="model", baseline=base, dm_loss={"variance": "squared"})
    assert sq.set_index("model").loc["garch", "dm_stat"] != pytest.approx(stat)


def test_evaluate_references_by_default_and_missing_ones_untested():
    res = task_frame()
    res = pd.concat(
        [
            res,
            res[res.model == "ewma"].assign(
                model="har", y_pred=lambda f: f.y_pred * 1.1
            ),
        ],
        ignore_index=True,
    )
    table = evaluate(res, by="model").set_index("model")
    # return -> zero, direction -> base_rate, variance -> garch
    assert np.isfinite(table.loc[["ar", "logit", "ewma", "har"], "dm_pvalue"]).all()
    assert table.loc[["zero", "base_rate", "garch"], "dm_pvalue"].isna().all()
    explicit = evaluate(
        res, by="model", baseline={"return": "zero", "direction": "base_rate",
                                   "variance": "garch"},
    ).set_index("model")  # fmt: skip
    pd.testing.assert_frame_equal(table, explicit)
    # no garch: the variance task is left untested, the others still are
    no_garch = evaluate(res[res.model != "garch"], by="model").set_index("model")
    assert no_garch.loc[["ewma", "har"], "dm_pvalue"].isna().all()
    assert np.isfinite(no_garch.loc["ar", "dm_pvalue"])


def test_volatility_task_metrics_and_qlike_refused():
    res = task_frame()
    vol = res[res.task == "variance"].assign(
        task="volatility", y_true=lambda f: np.sqrt(f.y_true),
        y_pred=lambda f: np.sqrt(f.y_pred),
    )  # fmt: skip
    table = evaluate(vol, by="model").set_index("model")
    g = vol[vol.model == "garch"]
    assert TASK_METRICS["volatility"] == ("mse", "mae", "mz_r2")
    assert table.loc["garch", "mse"] == pytest.approx(mse(g.y_true, g.y_pred))
    assert table.loc["garch", "mae"] == pytest.approx(mae(g.y_true, g.y_pred))
    assert table.loc["garch", "mz_r2"] == pytest.approx(
        mincer_zarnowitz(g.y_true, g.y_pred)["r2"]
    )
    assert "qlike" not in table.columns
    assert np.isfinite(table.loc["ewma", "dm_pvalue"])  # squared error vs garch
    with pytest.raises(ValueError, match="QLIKE scores variance forecasts, not vol"):
        evaluate(vol, by="model", metrics=["qlike"], baseline=None)
    with pytest.raises(ValueError, match=r"asked for task\(s\) \['volatility'\]"):
        evaluate(vol, by="model", dm_loss="qlike")
    with pytest.raises(ValueError, match=r"asked for task\(s\) \['return'\]"):
        evaluate(res, by="model", dm_loss={"return": "qlike"})
    with pytest.raises(ValueError, match="Unknown dm_loss 'qlik'"):
        evaluate(res, by="model", dm_loss="qlik")


def test_evaluate_per_seed_tests_each_seed_against_a_seedless_reference():
    res = task_frame()
    var = res[res.task == "variance"]
    rng = np.random.default_rng(0)
    seeded = []
    for seed in (0, 1, 2):
        g = var[var.model == "garch"].copy()
        g["model"], g["seed"] = "mha", seed
        g["y_pred"] = g["y_pred"] * np.exp(rng.normal(0, 0.3, len(g)))
        seeded.append(g)
    frame = pd.concat([var, *seeded], ignore_index=True)
    table = evaluate(frame, by=("model", "seed"), baseline={"variance": "garch"})
    mha = table[table.model == "mha"].set_index("seed")
    assert len(mha) == 3
    assert np.isfinite(mha["dm_pvalue"]).all()
    for seed in (0, 1, 2):
        alone = pd.concat([var[var.model == "garch"], seeded[seed]])
        one = evaluate(alone.drop(columns="seed"), by="model",
                       baseline={"variance": "garch"}).set_index("model")  # fmt: skip
        assert mha.loc[seed, "dm_stat"] == pytest.approx(one.loc["mha", "dm_stat"])
    # one model per seed family: Holm leaves each p as it is
    np.testing.assert_allclose(mha["dm_pvalue_holm"], mha["dm_pvalue"])


def test_calibration_table_matches_sklearn_and_numpy():
    from sklearn.calibration import calibration_curve

    from tsattn.metrics import calibration_table

    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 1, 300), [0.0, 1.0, 0.1, 0.2]])
    y = (rng.uniform(0, 1, p.size) < p).astype(int)
    table = calibration_table(y, p, n_bins=5)
    assert table["count"].sum() == p.size
    assert list(table["lower"]) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    prob_true, prob_pred = calibration_curve(y, p, n_bins=5, strategy="uniform")
    full = table[table["count"] > 0]
    np.testing.assert_allclose(full["frequency"], prob_true)
    np.testing.assert_allclose(full["mean_prob"], prob_pred)
    # numpy: bin k holds lower < p <= upper (0 in the first bin)
    k = np.clip(np.ceil(p * 5).astype(int) - 1, 0, 4)
    np.testing.assert_array_equal(table["count"], np.bincount(k, minlength=5))
    # an empty bin is NaN, not 0
    sparse = calibration_table([1, 0], [0.95, 0.9], n_bins=4)
    assert sparse["count"].tolist() == [0, 0, 0, 2]
    assert sparse["frequency"].isna().sum() == 3
    with pytest.raises(ValueError, match="n_bins must be an int >= 1"):
        calibration_table([1], [0.5], n_bins=0)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        calibration_table([1], [1.5])
