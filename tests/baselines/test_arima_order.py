"""Hyndman-Khandakar order selection: unit-root counts, AICc, stepwise search."""

import numpy as np
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from tsattn.baselines.arima_order import (
    ArimaCandidate,
    aicc,
    ndiffs,
    nsdiffs,
    seasonal_strength,
    stepwise_search,
)


def test_ndiffs_counts_the_integration_order():
    e = np.random.default_rng(3).normal(size=400)
    assert ndiffs(e) == 0
    assert ndiffs(np.cumsum(e)) == 1
    assert ndiffs(np.cumsum(np.cumsum(e))) == 2
    assert ndiffs(np.cumsum(np.cumsum(e)), max_d=1) == 1
    assert ndiffs(np.full(50, 3.0)) == 0


def test_ndiffs_rejects_a_level_without_a_critical_value():
    with pytest.raises(ValueError, match=r"alpha must be one of .*got 0.2"):
        ndiffs(np.arange(20.0), alpha=0.2)


def test_nsdiffs_and_seasonal_strength():
    rng = np.random.default_rng(4)
    t = np.arange(144)
    seasonal = 10 * np.sin(2 * np.pi * t / 12) + rng.normal(scale=0.5, size=144)
    noise = rng.normal(size=144)
    assert seasonal_strength(seasonal, 12) > 0.9
    assert seasonal_strength(noise, 12) < 0.64
    assert nsdiffs(seasonal, 12) == 1
    assert nsdiffs(noise, 12) == 0
    assert nsdiffs(seasonal, 1) == 0
    assert nsdiffs(seasonal[:20], 12) == 0  # fewer than two seasons


def test_aicc_equals_statsmodels_when_nothing_is_differenced():
    y = np.random.default_rng(5).normal(size=120)
    res = SARIMAX(y, order=(1, 0, 1), trend="c").fit(disp=False)
    assert aicc(res, len(y)) == pytest.approx(res.aicc, rel=1e-10)
    assert aicc(res, 4) == np.inf


class _Fit:
    """A stand-in for fitted results: the criterion is read from a surface."""

    def __init__(self, c):
        self.c = c


class _Recorder:
    """A fit function that records every candidate it is asked to fit."""

    def __init__(self):
        self.seen = []

    def __call__(self, c):
        self.seen.append(c)
        return _Fit(c)


def _surface(target):
    def criterion(res, n_effective):
        c, t = res.c, target
        return (
            (c.p - t.p) ** 2
            + (c.q - t.q) ** 2
            + (c.P - t.P) ** 2
            + (c.Q - t.Q) ** 2
            + (c.constant != t.constant)
        )

    return criterion


def _search_towards(target, **options):
    """Search a criterion whose minimum is ``target``: (best, tried, fitted)."""
    fit = _Recorder()
    _, best, tried = stepwise_search(
        fit, n_effective=100, criterion=_surface(target), **options
    )
    return best, tried, fit.seen


@pytest.mark.parametrize(
    "target",
    [
        ArimaCandidate(3, 1, 0, 0, False),
        ArimaCandidate(0, 4, 0, 0, True),
        ArimaCandidate(1, 1, 2, 1, True),
    ],
)
def test_stepwise_walks_to_the_minimum_within_the_order_limits(target):
    best, tried, seen = _search_towards(
        target, seasonal=target.P + target.Q > 0, allow_constant=True
    )
    assert best == target
    assert len(seen) == len(set(seen)) == len(tried)  # each model fitted once
    assert all(c.p + c.q + c.P + c.Q <= 5 for c in seen)


def test_stepwise_respects_the_constant_and_seasonal_switches():
    target = ArimaCandidate(1, 0, 0, 0, True)
    best, _, seen = _search_towards(target, seasonal=False, allow_constant=False)
    assert best == ArimaCandidate(1, 0, 0, 0, False)
    assert not any(c.constant or c.P or c.Q for c in seen)


def test_full_search_scores_the_whole_grid():
    target = ArimaCandidate(2, 2, 0, 0, False)
    best, _, seen = _search_towards(
        target, seasonal=False, allow_constant=False, max_p=2, max_q=2, stepwise=False
    )
    assert best == target
    assert len(seen) == 9


def test_search_fails_with_one_clear_line_when_nothing_fits():
    def fit(c):
        raise ValueError("singular")

    with pytest.raises(ValueError, match=r"no ARIMA model .* could be fitted"):
        stepwise_search(fit, n_effective=50, seasonal=False, allow_constant=True)
