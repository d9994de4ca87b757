import math

import numpy as np
import pytest

from tsattn.metrics.direction import (
    brier_score,
    calibration_table,
    direction_accuracy,
    direction_mcc,
    directional_accuracy,
    log_loss,
    roc_auc,
    sign_mcc,
    strategy_returns,
)


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
    ("call", "match"),
    [
        (lambda: strategy_returns([0.1], [1.0], cost_per_trade=-1), "cost_per_trade"),
        (lambda: brier_score([0, 2], [0.1, 0.2]), r"outcomes 0 \(not up\) or 1"),
        (lambda: log_loss([0, 1], [0.1, 1.5]), r"probabilities in \[0, 1\]"),
        (lambda: roc_auc([1, 1, 1], [0.1, 0.2, 0.3]), "both up"),
    ],
)
def test_direction_metric_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
