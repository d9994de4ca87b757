import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import t as student_t

from tsattn.evaluation import evaluate
from tsattn.stats import (
    as_finite,
    diebold_mariano,
    dm_horizon,
    dm_shortfall,
    dm_test,
    fold_spacing,
    holm,
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


# -- multiple testing ---------------------------------------------------------------


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
    rng = np.random.default_rng(5)
    for size in (1, 2, 7, 30):
        q = rng.uniform(0, 1, size) ** 3
        np.testing.assert_allclose(holm(q), multipletests(q, method="holm")[1])


def test_as_finite_checks_input():
    np.testing.assert_array_equal(as_finite([[1, 2], [3, 4]], "x"), [1.0, 2, 3, 4])
    with pytest.raises(TypeError, match="x must be numeric; got list"):
        as_finite(["a"], "x")
    with pytest.raises(
        ValueError, match=r"1 NaN or infinite value\(s\) \(first at position 1\)"
    ):
        as_finite([1.0, np.inf], "x")


def test_error_loss_squares_or_takes_absolute_values_and_keeps_a_series():
    from tsattn.stats import error_loss

    e = pd.Series([-2.0, 0.5, 3.0], index=[4, 5, 6])
    squared, absolute = error_loss(e, "squared"), error_loss(e, "absolute")
    pd.testing.assert_series_equal(squared, pd.Series([4.0, 0.25, 9.0], index=e.index))
    np.testing.assert_array_equal(absolute.to_numpy(), [2.0, 0.5, 3.0])
    with pytest.raises(ValueError, match="loss must be one of"):
        error_loss(e, "qlike")
