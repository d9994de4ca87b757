"""scikit-learn's own estimator checks, run on every sklearn-shaped tsattn estimator."""

from __future__ import annotations

from presets import TINY_NETWORK
from sklearn.utils.estimator_checks import parametrize_with_checks

from tsattn.estimators import (
    AttentionForecaster,
    MultiTaskForecaster,
    SelfAttentionForecaster,
)

# The tiny network on windows of 4 one-step tokens (sklearn's checks fit data
# sets of a few dozen rows), trained for 2 seeded epochs.
TINY = dict(TINY_NETWORK, window_length=4, patch_len=1)
TINY.update(max_epochs=2, batch_size=32, random_state=0)
SINGLE_HEAD = {k: v for k, v in TINY.items() if k != "n_heads"}

# Checks that assume rows are exchangeable samples. A forecaster's row t is
# predicted from the rows before it, so reordering or subsetting rows changes
# the predictions by design.
TIME_ORDER = {
    "check_methods_sample_order_invariance": (
        "rows are time steps: each prediction uses the rows before it, so "
        "reordering rows changes predictions by design"
    ),
    "check_methods_subset_invariance": (
        "rows are time steps: predicting a subset removes the history the "
        "later rows are predicted from"
    ),
    "check_fit1d": (
        "a 1-D X is one time series, which every tsattn forecaster accepts on "
        "purpose (fit(prices['Close']))"
    ),
    "check_fit2d_predict1d": (
        "a 1-D X is one time series, which every tsattn forecaster accepts on purpose"
    ),
}


def _expected_failures(estimator):
    return TIME_ORDER


@parametrize_with_checks(
    [
        AttentionForecaster(horizon=2, **TINY),
        SelfAttentionForecaster(horizon=2, **SINGLE_HEAD),
        AttentionForecaster(horizon=2, output_head="multi", **TINY),
        MultiTaskForecaster(**TINY),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
