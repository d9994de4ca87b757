"""EWMA volatility against its recursion."""

import numpy as np

from tsattn.baselines import (
    EWMAVolatilityForecaster,
)


def test_ewma_hand_recursion():
    r = np.array([0.01, -0.02, 0.015, 0.0, -0.03])
    s = np.mean(r[:2] ** 2)
    for x in r:
        s = 0.9 * s + 0.1 * x**2
    est = EWMAVolatilityForecaster(decay=0.9, init_window=2, horizon=2).fit(r)
    np.testing.assert_allclose(est.forecast()["y"], [s, s])
    assert list(est.forecast().columns) == ["y"]  # no quantiles for variances
