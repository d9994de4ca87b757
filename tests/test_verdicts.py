"""Tests for tsattn.verdicts: one verdict, verdicts over seeds, the task leaderboard."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsattn.evaluation import evaluate
from tsattn.verdicts import (
    Verdict,
    seed_spread,
    seed_verdict,
    task_leaderboard,
    verdict,
)


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


# -- seeds and the per-task leaderboard ---------------------------------------------


def test_seed_spread_matches_numpy():

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

    v = seed_verdict(_seeds([0.9, 1.1, 0.95], stat, p), "garch")
    assert v.kind == kind
    assert (v.n_better, v.n_worse, v.n_tied, v.n_untested) == counts
    assert v.n_seeds == 3
    # the ratio is the mean over seeds, not the best seed's
    assert v.ratio == pytest.approx(np.mean([0.9, 1.1, 0.95]))
    assert (v.ratio_min, v.ratio_max) == (0.9, 1.1)


def test_seed_verdict_bad_input():

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

    board = task_leaderboard(task_results[task_results.model != "garch"])
    var = board[board.task == "variance"].set_index("model")
    assert var["verdict"].eq("none").all()
    assert var["dm_reason"].str.contains("no 'garch' model").all()
    assert board.loc[board.task == "return", "verdict"].ne("none").all()
    with pytest.raises(ValueError, match=r"missing column\(s\) \['task'\]"):
        task_leaderboard(task_results.drop(columns="task"))
    with pytest.raises(TypeError, match="baseline must be 'auto' or a mapping"):
        task_leaderboard(task_results, baseline="garch")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-5, 5, allow_nan=False),
            st.one_of(st.just(math.nan), st.floats(0, 1)),
            st.floats(0.5, 1.5),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_seed_verdict_counts_add_up(runs):

    stat, p, ratio = (list(x) for x in zip(*runs))
    v = seed_verdict(_seeds(ratio, stat, p), "garch")
    assert v.n_better + v.n_worse + v.n_tied + v.n_untested == v.n_seeds == len(runs)
    assert v.ratio_min - 1e-12 <= v.ratio <= v.ratio_max + 1e-12
    if v.kind == "wins":
        assert v.n_better == v.n_seeds
    if v.kind == "none":
        assert v.n_untested == v.n_seeds


def test_verdicts_stay_importable_from_stats():
    from tsattn import stats, verdicts

    for name in verdicts.__all__:
        assert getattr(stats, name) is getattr(verdicts, name)
        assert name in dir(stats)
    with pytest.raises(AttributeError, match="has no attribute 'verdicts'"):
        stats.verdicts  # noqa: B018
