import math

import numpy as np
import pytest
from hypothesis import given, settings

from metrics.helpers import F, Y, pairs
from tsattn.metrics.interval import pinball_loss
from tsattn.metrics.point import mae, mape, mase, mse, naive_scale, rmse, smape


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


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: mape([0.0, 1.0], [1.0, 1.0]), ValueError, "MAPE is undefined"),
        (lambda: mase([1.0], [2.0], 0.0), ValueError, "scale must be positive"),
        (
            lambda: mase([1.0, 2.0], [2.0, 2.0], [1.0, 1.0, 1.0]),
            ValueError,
            "one per element",
        ),
        (lambda: naive_scale([1.0]), ValueError, "more than season_length"),
    ],
)
def test_point_metric_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_point_metric_properties(arrays):
    y, f = arrays
    assert mae(y, f) <= rmse(y, f) + 1e-9
    assert rmse(y, f) ** 2 == pytest.approx(mse(y, f), rel=1e-9, abs=1e-9)
    assert pinball_loss(y, f, 0.5) == pytest.approx(mae(y, f) / 2, rel=1e-9, abs=1e-12)
    assert 0.0 <= smape(y, f) <= 200.0 + 1e-9


def test_point_metrics_match_sklearn():
    import sklearn.metrics as skm

    rng = np.random.default_rng(1)
    y, f = rng.normal(size=50) + 3, rng.normal(size=50) + 3
    assert mae(y, f) == pytest.approx(skm.mean_absolute_error(y, f))
    assert mse(y, f) == pytest.approx(skm.mean_squared_error(y, f))
    assert mape(y, f) == pytest.approx(100 * skm.mean_absolute_percentage_error(y, f))
    # the plain-numpy definitions, independently
    assert mae(y, f) == pytest.approx(np.mean(np.abs(y - f)))
    assert mape(y, f) == pytest.approx(100 * np.mean(np.abs((y - f) / y)))
