import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tsattn.metrics.variance import mincer_zarnowitz, qlike, qlike_differential


def test_qlike_hand_computed():
    r, f = np.array([1.0, 4.0]), np.array([2.0, 2.0])
    expected = np.mean([0.5 - math.log(0.5) - 1, 2 - math.log(2) - 1])
    assert qlike(r, f) == pytest.approx(expected)
    assert qlike(f, f) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.integers(3, 30).flatmap(
        lambda n: hnp.arrays(np.float64, (2, n), elements=st.floats(1e-3, 1e3))
    )
)
def test_qlike_is_non_negative(arrays):
    assert qlike(arrays[0], arrays[1]) >= -1e-12


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


def test_qlike_differential_equals_qlike_difference_and_allows_zero_variance():
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


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: qlike([1.0], [0.0]), "strictly positive"),
        (lambda: mincer_zarnowitz([1.0, 2.0], [1.0, 2.0]), "at least 3"),
        (lambda: mincer_zarnowitz([1.0, 2.0, 3.0], [1.0] * 3), "is constant"),
    ],
)
def test_variance_metric_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
