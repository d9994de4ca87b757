import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.helpers import pairs
from tsattn.metrics.interval import coverage, interval_width, pinball_loss


def test_interval_metrics_hand_computed():
    y = [1.0, 2.0, 3.0, 4.0]
    lower, upper = [0.0, 2.5, 3.0, 0.0], [2.0, 3.0, 3.5, 3.9]
    assert coverage(y, lower, upper) == pytest.approx(0.5)  # bounds inclusive
    assert interval_width(lower, upper) == pytest.approx((2 + 0.5 + 0.5 + 3.9) / 4)
    # q = 0.9: under-forecasts cost 0.9 per unit, over-forecasts 0.1
    assert pinball_loss([3.0, 1.0], [1.0, 2.0], 0.9) == pytest.approx((1.8 + 0.1) / 2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: pinball_loss([1.0], [1.0], 1.0), ValueError, r"q must be in \(0, 1\)"),
        (lambda: coverage([1.0], [2.0], [0.0]), ValueError, "upper < lower"),
    ],
)
def test_interval_metric_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@settings(max_examples=60, deadline=None)
@given(pairs, st.floats(0.0, 5.0))
def test_coverage_is_a_share(arrays, half_width):
    y, f = arrays
    c = coverage(y, f - half_width, f + half_width)
    assert 0.0 <= c <= 1.0
    assert coverage(y, f - 2e3 - half_width, f + 2e3 + half_width) == 1.0


def test_pinball_loss_matches_sklearn():
    import sklearn.metrics as skm

    rng = np.random.default_rng(1)
    y, f = rng.normal(size=50) + 3, rng.normal(size=50) + 3
    assert pinball_loss(y, f, 0.2) == pytest.approx(
        skm.mean_pinball_loss(y, f, alpha=0.2)
    )
