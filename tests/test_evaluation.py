"""Tests for tsattn.evaluation: scoring a backtest's results frame."""

import re

import numpy as np
import pandas as pd
import pytest

from tsattn.evaluation import METRICS, TASK_METRICS, evaluate
from tsattn.metrics import (
    brier_score,
    coverage,
    diebold_mariano,
    direction_accuracy,
    direction_mcc,
    directional_accuracy,
    log_loss,
    mae,
    mincer_zarnowitz,
    mse,
    pinball_loss,
    qlike,
    rmse,
    roc_auc,
    sign_mcc,
    strategy_returns,
)

# -- evaluate ----------------------------------------------------------------------


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


def test_variance_qlike_leaves_out_zero_realized_variance_with_a_warning():
    from tsattn import TsattnWarning

    y = np.array([0.0, 2.0e-4, 1.0e-4, 3.0e-4])
    frame = pd.DataFrame(
        {
            "model": "garch",
            "series": "peg",
            "task": "variance",
            "cutoff": np.arange(4),
            "step": 1,
            "y_true": y,
            "y_pred": [1.0e-4, 1.5e-4, 2.0e-4, 2.0e-4],
        }
    )
    with pytest.warns(TsattnWarning, match=r"1 of 4 row\(s\) \(series peg\)"):
        out = evaluate(frame, by="model", metrics="qlike", baseline=None)
    r, f = y[1:], np.array([1.5e-4, 2.0e-4, 2.0e-4])
    expected = np.mean(r / f - np.log(r / f) - 1)
    assert out["qlike"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_evaluate_and_its_names_stay_importable_from_metrics_and_tsattn():
    import tsattn
    from tsattn import evaluation, metrics

    assert metrics.evaluate is evaluation.evaluate is tsattn.evaluate
    for name in ("METRICS", "SCALE_COLUMN", "TASK_BASELINES", "TASK_DM_LOSS",
                 "TASK_METRICS", "TASK_SCORE"):  # fmt: skip
        assert getattr(metrics, name) is getattr(evaluation, name)
        assert name in dir(metrics)
    with pytest.raises(AttributeError, match="has no attribute 'evaluat'"):
        metrics.evaluat  # noqa: B018
