import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tsattn.metrics import (
    brier_score,
    calibration_table,
    coverage,
    direction_accuracy,
    direction_mcc,
    directional_accuracy,
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


def test_calibration_table_matches_sklearn_and_numpy():
    from sklearn.calibration import calibration_curve

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


@pytest.mark.parametrize(
    "metric",
    [
        mae,
        mse,
        rmse,
        smape,
        directional_accuracy,
        sign_mcc,
        direction_accuracy,
        direction_mcc,
        brier_score,
        log_loss,
        calibration_table,
    ],
)
def test_shared_docstrings_document_every_parameter_and_the_return(metric):
    import inspect

    doc = inspect.getdoc(metric)
    params = doc.split("Parameters\n----------\n")[1].split("\n\nReturns\n")[0]
    documented = [
        name.strip()
        for line in params.splitlines()
        if not line.startswith(" ")
        for name in line.split(" : ")[0].split(",")
    ]
    assert documented == list(inspect.signature(metric).parameters)
    returns = doc.split("Returns\n-------\n")[1].splitlines()
    assert returns[0] in ("float", "pandas.DataFrame")
    assert returns[1].startswith("    ")
    assert doc.splitlines()[0].endswith(".")
