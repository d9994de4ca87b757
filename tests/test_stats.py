import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import t as student_t

from tsattn.metrics import evaluate
from tsattn.stats import (
    Verdict,
    as_finite,
    diebold_mariano,
    dm_horizon,
    dm_shortfall,
    dm_test,
    fold_spacing,
    holm,
    verdict,
)

# -- Diebold-Mariano ------------------------------------------------------------------


def test_diebold_mariano_hand_computed_h1():
    # absolute loss differentials d = |e1| - |e2| = 1, -1, 2, 0, 3
    e1, e2 = [1.0, 0.0, 2.0, 1.0, 3.0], [0.0, 1.0, 0.0, 1.0, 0.0]
    stat, p = diebold_mariano(e1, e2, h=1, loss="absolute")
    # mean 1, variance (0 + 4 + 1 + 1 + 4) / 5 = 2; HLN factor sqrt(4/5)
    expected = 1.0 / math.sqrt(2.0 / 5) * math.sqrt(4 / 5)
    assert stat == pytest.approx(expected)
    assert stat == pytest.approx(math.sqrt(2))
    assert p == pytest.approx(2 * student_t.sf(math.sqrt(2), 4))


def test_diebold_mariano_hand_computed_h2_full_weights():
    # d = 1, 2, 2, 0, 0: mean 1, centred 0, 1, 1, -1, -1
    e1, e2 = [1.0, 2.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]
    stat, p = diebold_mariano(e1, e2, h=2, loss="absolute")
    gamma0 = 4 / 5
    gamma1 = (0 * 1 + 1 * 1 + 1 * -1 + -1 * -1) / 5  # = 1/5
    var = gamma0 + 2 * gamma1  # full weight on lag 1 (Diebold-Mariano)
    hln = math.sqrt((5 + 1 - 4 + 2 * 1 / 5) / 5)
    assert stat == pytest.approx(1.0 / math.sqrt(var / 5) * hln)
    assert p == pytest.approx(2 * student_t.sf(stat, 4))


def test_diebold_mariano_hand_computed_h2():
    # Here the full-weight variance is 0, so the Bartlett fallback is used.
    e1, e2 = [1.0, 0.0, 2.0, 1.0, 3.0], [0.0, 1.0, 0.0, 1.0, 0.0]
    stat, _ = diebold_mariano(e1, e2, h=2, loss="absolute")
    c = np.array([0.0, -2.0, 1.0, -1.0, 2.0])  # d - mean(d)
    gamma1 = (0 * -2 + -2 * 1 + 1 * -1 + -1 * 2) / 5  # = -1
    var = 2.0 + 2 * 0.5 * gamma1  # Bartlett weight 1 - 1/2
    assert gamma1 == pytest.approx((c[1:] @ c[:-1]) / 5)
    hln = math.sqrt((5 + 1 - 4 + 2 * 1 / 5) / 5)
    assert stat == pytest.approx(1.0 / math.sqrt(var / 5) * hln)


def test_diebold_mariano_squared_loss_and_alternatives():
    rng = np.random.default_rng(0)
    e1, e2 = rng.normal(size=50) * 1.3, rng.normal(size=50)
    d = e1**2 - e2**2
    stat, p = diebold_mariano(e1, e2)
    hln = math.sqrt((50 + 1 - 2) / 50)
    assert stat == pytest.approx(d.mean() / math.sqrt(d.var() / 50) * hln)
    _, p_less = diebold_mariano(e1, e2, alternative="less")
    _, p_greater = diebold_mariano(e1, e2, alternative="greater")
    assert p_less + p_greater == pytest.approx(1.0)
    assert p == pytest.approx(2 * min(p_less, p_greater))


def test_diebold_mariano_degenerate_and_errors():
    stat, p = diebold_mariano([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert math.isnan(stat)
    assert math.isnan(p)
    stat, p = diebold_mariano([2.0, 2.0, 2.0], [1.0, 1.0, 1.0], loss="absolute")
    assert stat == math.inf
    assert p == 0.0
    # model 1 is always worse: "less" (model 1 more accurate) cannot be supported
    _, p_less = diebold_mariano(
        [2.0, 2.0, 2.0], [1.0, 1.0, 1.0], loss="absolute", alternative="less"
    )
    assert p_less == 1.0
    with pytest.raises(ValueError, match="3-step forecasts needs at least 6 loss"):
        diebold_mariano([1.0, 2.0, 3.0], [0.0, 1.0, 0.0], h=3)
    # n = 5 < 2h = 6 is refused; n = 6 is the first size the test accepts
    with pytest.raises(ValueError, match="got n = 5"):
        diebold_mariano([1.0, 2.0, 3.0, 1.0, 2.0], [0.0] * 5, h=3)
    stat, _ = diebold_mariano([1.0, 2.0, 3.0, 1.0, 2.0, 2.5], [0.0] * 6, h=3)
    assert math.isfinite(stat)
    with pytest.raises(ValueError, match="needs at least 2 loss differentials"):
        diebold_mariano([1.0], [0.0])
    with pytest.raises(ValueError, match="loss must be one of"):
        diebold_mariano([1.0, 2.0], [0.0, 1.0], loss="huber")
    with pytest.raises(ValueError, match="alternative must be"):
        diebold_mariano([1.0, 2.0], [0.0, 1.0], alternative="bigger")
    with pytest.raises(ValueError, match="h must be an int >= 1"):
        diebold_mariano([1.0, 2.0], [0.0, 1.0], h=0)


# two error series of one length, drawn as the rows of a (2, n) array
error_pairs = st.integers(2, 40).flatmap(
    lambda n: hnp.arrays(
        np.float64, (2, n), elements=st.floats(-1e3, 1e3, allow_nan=False)
    )
)


@settings(max_examples=60, deadline=None)
@given(error_pairs, st.integers(1, 3), st.sampled_from(["squared", "absolute"]))
def test_diebold_mariano_antisymmetry(arrays, h, loss):
    e1, e2 = arrays
    if len(e1) < 2 * h:  # refused: see test_diebold_mariano_degenerate_and_errors
        with pytest.raises(ValueError, match="needs at least"):
            diebold_mariano(e1, e2, h=h, loss=loss)
        return
    s12, p12 = diebold_mariano(e1, e2, h=h, loss=loss)
    s21, p21 = diebold_mariano(e2, e1, h=h, loss=loss)
    if math.isnan(s12):
        assert math.isnan(s21)
    else:
        assert s12 == pytest.approx(-s21)
        assert p12 == pytest.approx(p21)
        assert 0.0 <= p12 <= 1.0


# -- the lag from the fold spacing -----------------------------------------------------


def test_fold_spacing_and_dm_horizon_hand_cases():
    assert fold_spacing([0, 0, 1, 1, 2]) == 1
    assert fold_spacing([10, 14, 18, 22]) == 4
    assert fold_spacing([3]) is None
    # irregular spacing: the smallest gap, the longer (safe) lag
    assert fold_spacing([0, 5, 7, 12]) == 2
    assert dm_horizon(6, [0, 1, 2]) == 6  # step = 1: h = horizon
    assert dm_horizon(6, [0, 4, 8]) == 2  # step < horizon: ceil(6 / 4)
    assert dm_horizon(5, [0, 2, 4]) == 3  # ceil(5 / 2)
    assert dm_horizon(6, [0, 6, 12]) == 1  # step = horizon: no overlap
    assert dm_horizon(6, [0, 9, 18]) == 1  # step > horizon
    assert dm_horizon(6) == 6  # unknown spacing: the earlier convention
    assert dm_horizon(6, [7]) == 6


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: dm_horizon(0), ValueError, "horizon must be an int >= 1; got 0"),
        (lambda: dm_horizon(2.5), TypeError, "horizon must be an int"),
        (lambda: fold_spacing([0.0, 1.5]), ValueError, "integer row positions"),
        (lambda: fold_spacing([0.0, np.nan]), ValueError, "NaN or infinite"),
    ],
)
def test_dm_horizon_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_dm_shortfall_matches_what_dm_test_refuses():
    assert dm_shortfall(6, 3) == ""
    assert "at least 6 forecast origins" in dm_shortfall(5, 3)
    assert dm_shortfall(0, 1) == "no forecast origins in common"
    assert "at least 2" in dm_shortfall(1, 1)
    for n in range(1, 9):
        for h in (1, 2, 3):
            if dm_shortfall(n, h):
                with pytest.raises(ValueError, match="needs at least"):
                    dm_test(np.arange(n, dtype=float) % 3, h)
            else:
                dm_test(np.arange(n, dtype=float) % 3, h)


def _hac_reference(d, h):
    """DM statistic as OLS of d on a constant with a uniform-kernel HAC variance
    (lags 0..h-1, no small-sample correction), times the HLN factor."""
    import statsmodels.api as sm

    n = d.size
    fit = sm.OLS(d, np.ones(n)).fit(
        cov_type="HAC",
        cov_kwds={"maxlags": h - 1, "kernel": "uniform", "use_correction": False},
    )
    hln = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    stat = float(fit.tvalues[0]) * hln
    return stat, 2 * student_t.sf(abs(stat), n - 1)


def _spaced_results(step, horizon=6, n_cutoffs=40, seed=0):
    """Two models on one random walk, cutoffs ``step`` rows apart."""
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.normal(size=n_cutoffs * step + horizon + 1))
    rows = []
    for i in range(n_cutoffs):
        c = i * step
        for k in range(1, horizon + 1):
            truth = y[c + k]
            rows.append(("naive", c, k, truth, y[c]))
            rows.append(("drift", c, k, truth, y[c] + 0.05 * k))
    frame = pd.DataFrame(
        rows, columns=["model", "cutoff_pos", "step", "y_true", "y_pred"]
    )
    return frame.assign(series="s", cutoff=frame["cutoff_pos"])


@pytest.mark.parametrize(("step", "h"), [(1, 6), (4, 2), (6, 1), (9, 1)])
def test_evaluate_dm_lag_from_spacing_matches_statsmodels_hac(step, h):
    res = _spaced_results(step)
    table = evaluate(res, by="model", metrics=["mae"]).set_index("model")
    assert table.loc["drift", "dm_h"] == h
    # independent computation: the per-cutoff mean differential, HAC on a constant
    a = res[res.model == "drift"].sort_values(["cutoff", "step"])
    b = res[res.model == "naive"].sort_values(["cutoff", "step"])
    d = (a.y_true - a.y_pred).to_numpy() ** 2 - (b.y_true - b.y_pred).to_numpy() ** 2
    d = d.reshape(-1, 6).mean(axis=1)
    stat, p = _hac_reference(d, h)
    assert table.loc["drift", "dm_stat"] == pytest.approx(stat, rel=1e-9)
    assert table.loc["drift", "dm_pvalue"] == pytest.approx(p, rel=1e-9)


def test_evaluate_without_cutoff_pos_falls_back_to_horizon():
    res = _spaced_results(6).drop(columns="cutoff_pos")
    table = evaluate(res, by="model", metrics=["mae"]).set_index("model")
    assert table.loc["drift", "dm_h"] == 6


def _size(step, horizon, n_cutoffs, reps, seed):
    """Rejection rate at 5% under the null: differentials are sums of the shocks
    each origin's horizon spans, so they overlap exactly as the folds do."""
    rng = np.random.default_rng(seed)
    pos = np.arange(n_cutoffs) * step
    h = dm_horizon(horizon, pos)
    spans = pos[:, None] + np.arange(1, horizon + 1)[None, :]  # (n, H)
    rejected = 0
    for _ in range(reps):
        shocks = rng.normal(size=pos[-1] + horizon + 1)
        _, p = dm_test(shocks[spans].sum(axis=1), h)
        rejected += p < 0.05
    return rejected / reps


# The overlap of h-step forecasts makes small samples oversized at step 1, so that
# spacing gets more cutoffs (as a 1-step-apart backtest has).
SPACINGS = [(1, 6, 400), (2, 5, 150), (4, 6, 150), (6, 6, 150), (9, 6, 150)]


@pytest.mark.parametrize(("step", "horizon", "n_cutoffs"), SPACINGS)
def test_dm_size_at_each_spacing(step, horizon, n_cutoffs):
    assert 0.03 <= _size(step, horizon, n_cutoffs, 1500, step) <= 0.07


@pytest.mark.slow
@pytest.mark.parametrize(("step", "horizon", "n_cutoffs"), SPACINGS)
def test_dm_size_at_each_spacing_large(step, horizon, n_cutoffs):
    assert 0.03 <= _size(step, horizon, n_cutoffs, 20000, 100 + step) <= 0.07


def test_dm_size_with_the_wrong_lag_is_off():
    # the check above can fail: ignoring the overlap (h = 1 at step 1) over-rejects
    rng = np.random.default_rng(3)
    spans = np.arange(200)[:, None] + np.arange(1, 7)[None, :]
    rejected = 0
    for _ in range(500):
        shocks = rng.normal(size=207)
        rejected += dm_test(shocks[spans].sum(axis=1), 1)[1] < 0.05
    assert rejected / 500 > 0.2


# -- multiple testing and the verdict ----------------------------------------------


def test_holm_matches_statsmodels_and_keeps_nan():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, np.nan, 0.03, 0.5])
    out = holm(p)
    ref = multipletests(p[[0, 1, 3, 4]], method="holm")[1]
    np.testing.assert_allclose(out[[0, 1, 3, 4]], ref)
    assert np.isnan(out[2])
    # hand case: sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.09, 0.09, 0.5
    np.testing.assert_allclose(out[[0, 3, 1, 4]], [0.04, 0.09, 0.09, 0.5])
    assert np.isnan(holm([np.nan])).all()


def _board(mae, pvalues, stats=None):
    models = ["naive", *[f"m{i}" for i in range(len(mae) - 1)]]
    stats = stats if stats is not None else [-1.0] * len(mae)
    return pd.DataFrame(
        {"mae": mae, "dm_stat": stats, "dm_pvalue": pvalues}, index=models
    )


def test_verdict_uses_holm():
    # uncorrected 0.03 wins alone; with a second test Holm makes it 0.06
    alone = verdict(_board([1.0, 0.9], [np.nan, 0.03]), "naive")
    assert (alone.kind, alone.model, alone.n_tested) == ("wins", "m0", 1)
    assert alone.pvalue_holm == pytest.approx(0.03)
    two = verdict(_board([1.0, 0.9, 0.95], [np.nan, 0.03, 0.5]), "naive")
    assert (two.kind, two.model, two.n_tested) == ("tie", "m0", 2)
    assert two.pvalue == pytest.approx(0.03)
    assert two.pvalue_holm == pytest.approx(0.06)
    assert two.ratio == pytest.approx(0.9)


def test_verdict_prefers_a_significant_winner_and_reports_losses():
    v = verdict(_board([1.0, 0.98, 0.99], [np.nan, 0.2, 0.001]), "naive")
    assert (v.kind, v.model) == ("wins", "m1")
    assert v.pvalue_holm == pytest.approx(0.002)
    lose = verdict(_board([1.0, 1.1, 1.2], [np.nan, 0.001, 0.2]), "naive")
    assert (lose.kind, lose.model) == ("loses", "m0")
    assert lose.ratio == pytest.approx(1.1)
    # a worse model with a tiny p-value never wins
    assert lose.kind != "wins"


def test_verdict_relative_and_none():
    board = _board([np.nan, 0.97], [np.nan, 0.01]).rename(columns={"mae": "rel"})
    v = verdict(board, "naive", score="rel", relative=True)
    assert (v.kind, v.ratio) == ("wins", pytest.approx(0.97))
    none = verdict(_board([1.0, 0.9], [np.nan, 0.01]), None)
    assert isinstance(none, Verdict)
    assert (none.kind, none.model, none.baseline, none.n_tested) == (
        "none",
        "m0",
        None,
        0,
    )
    assert math.isnan(none.pvalue_holm)
    only = verdict(_board([1.0], [np.nan]), "naive")
    assert (only.kind, only.model) == ("none", None)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['dm_pvalue'\]"):
        verdict(pd.DataFrame({"mae": [1.0], "dm_stat": [0.1]}), "naive")
    with pytest.raises(ValueError, match="alpha must be in"):
        verdict(_board([1.0], [np.nan]), "naive", alpha=1.5)


def test_as_finite_checks_input():
    np.testing.assert_array_equal(as_finite([[1, 2], [3, 4]], "x"), [1.0, 2, 3, 4])
    with pytest.raises(TypeError, match="x must be numeric; got list"):
        as_finite(["a"], "x")
    with pytest.raises(
        ValueError, match=r"1 NaN or infinite value\(s\) \(first at position 1\)"
    ):
        as_finite([1.0, np.inf], "x")


# -- seeds and the per-task leaderboard ---------------------------------------------


def test_seed_spread_matches_numpy():
    from tsattn.stats import seed_spread

    v = np.array([1.0, 4.0, np.nan, 2.5])
    out = seed_spread(v)
    finite = v[np.isfinite(v)]
    assert out["mean"] == pytest.approx(finite.mean())
    assert out["sd"] == pytest.approx(np.std(finite, ddof=1))
    assert (out["min"], out["max"], out["n"]) == (1.0, 4.0, 3)
    one = seed_spread([2.0])
    assert one["mean"] == 2.0
    assert math.isnan(one["sd"])
    assert seed_spread([np.nan])["n"] == 0


def _seeds(ratio, stat, p_holm):
    return pd.DataFrame(
        {"model": "mha", "ratio": ratio, "dm_stat": stat, "dm_pvalue_holm": p_holm}
    )


@pytest.mark.parametrize(
    ("stat", "p", "kind", "counts"),
    [
        ([-3.0, -2.5, -4.0], [0.01, 0.02, 0.001], "wins", (3, 0, 0, 0)),
        ([3.0, 2.5, 4.0], [0.01, 0.02, 0.001], "loses", (0, 3, 0, 0)),
        ([-1.0, 0.5, -0.2], [0.3, 0.6, 0.9], "tie", (0, 0, 3, 0)),
        ([-3.0, 3.0, -0.2], [0.01, 0.01, 0.9], "mixed", (1, 1, 1, 0)),
        ([-3.0, np.nan, -0.2], [0.01, np.nan, 0.9], "mixed", (1, 0, 1, 1)),
        ([np.nan] * 3, [np.nan] * 3, "none", (0, 0, 0, 3)),
    ],
)
def test_seed_verdict_counts_seeds_never_picks_one(stat, p, kind, counts):
    from tsattn.stats import seed_verdict

    v = seed_verdict(_seeds([0.9, 1.1, 0.95], stat, p), "garch")
    assert v.kind == kind
    assert (v.n_better, v.n_worse, v.n_tied, v.n_untested) == counts
    assert v.n_seeds == 3
    # the ratio is the mean over seeds, not the best seed's
    assert v.ratio == pytest.approx(np.mean([0.9, 1.1, 0.95]))
    assert (v.ratio_min, v.ratio_max) == (0.9, 1.1)


def test_seed_verdict_bad_input():
    from tsattn.stats import seed_verdict

    good = _seeds([0.9], [-3.0], [0.01])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['dm_pvalue_holm'\]"):
        seed_verdict(good.drop(columns="dm_pvalue_holm"), "garch")
    with pytest.raises(ValueError, match="the seeds of one model"):
        seed_verdict(pd.concat([good, good.assign(model="sa")]), "garch")
    with pytest.raises(ValueError, match="alpha must be in"):
        seed_verdict(good, "garch", alpha=2.0)
    assert seed_verdict(good, None).kind == "none"  # no reference: untested


@pytest.fixture(scope="module")
def task_results():
    from task_results import make_task_results

    return make_task_results(n_origins=60)


def test_task_leaderboard_means_spread_and_tests_per_seed(task_results):
    from tsattn.metrics import qlike
    from tsattn.stats import holm as holm_adjust
    from tsattn.stats import task_leaderboard

    board = task_leaderboard(task_results).set_index(["task", "model"])
    var = task_results[task_results.task == "variance"]
    per_seed = [
        qlike(g.y_true, g.y_pred) for _, g in var[var.model == "sa"].groupby("seed")
    ]
    row = board.loc[("variance", "sa")]
    assert row["score"] == "qlike"
    assert row["reference"] == "garch"
    assert row["n_seeds"] == 3
    assert row["score_mean"] == pytest.approx(np.mean(per_seed))
    assert row["qlike"] == pytest.approx(np.mean(per_seed))
    assert row["score_sd"] == pytest.approx(np.std(per_seed, ddof=1))
    assert (row["score_min"], row["score_max"]) == pytest.approx(
        (min(per_seed), max(per_seed))
    )
    garch = qlike(*var.loc[var.model == "garch", ["y_true", "y_pred"]].T.to_numpy())
    assert row["ratio"] == pytest.approx(np.mean(np.array(per_seed) / garch))
    # each seed tested alone against garch (QLIKE), Holm within the seed's family
    counts = {"better": 0, "worse": 0, "tied": 0}
    for seed in (0, 1, 2):
        one = var[(var.seed == seed) | var.seed.isna()]
        table = evaluate(
            one.drop(columns="seed"), by="model", baseline={"variance": "garch"}
        ).set_index("model")
        # family of seed s: the seeded models at s (har has no seed: its own family)
        seeded = ["mha", "sa", "mha_multi", "sa_wide"]
        adjusted = dict(zip(seeded, holm_adjust(table.loc[seeded, "dm_pvalue"])))
        p, stat = adjusted["sa"], table.loc["sa", "dm_stat"]
        key = "tied" if p >= 0.05 else ("better" if stat < 0 else "worse")
        counts[key] += 1
    assert (row["n_better"], row["n_worse"], row["n_tied"]) == (
        counts["better"], counts["worse"], counts["tied"]
    )  # fmt: skip
    # a seedless model keeps its own test's numbers
    har = board.loc[("variance", "har")]
    assert har["n_seeds"] == 1
    assert np.isfinite(har["dm_pvalue"])
    assert board.loc[("variance", "garch"), "verdict"] == "reference"
    # cost: fit seconds summed over the fitted folds of one run
    assert board.loc[("return", "mha"), "fit_seconds"] == pytest.approx(2 * 2 * 1.5)
    assert board.loc[("return", "mha"), "n_params"] == 5_000


def test_task_leaderboard_without_the_reference_says_untested(task_results):
    from tsattn.stats import task_leaderboard

    board = task_leaderboard(task_results[task_results.model != "garch"])
    var = board[board.task == "variance"].set_index("model")
    assert var["verdict"].eq("none").all()
    assert var["dm_reason"].str.contains("no 'garch' model").all()
    assert board.loc[board.task == "return", "verdict"].ne("none").all()
    with pytest.raises(ValueError, match=r"missing column\(s\) \['task'\]"):
        task_leaderboard(task_results.drop(columns="task"))
    with pytest.raises(TypeError, match="baseline must be 'auto' or a mapping"):
        task_leaderboard(task_results, baseline="garch")
