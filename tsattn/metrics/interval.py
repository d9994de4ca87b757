"""Quantile and interval metrics: pinball loss, coverage, width."""

from __future__ import annotations

from typing import Any

import numpy as np

from tsattn.metrics._common import (
    ArrayLike,
    vectors,
)

__all__ = ["coverage", "interval_width", "pinball_loss"]


def pinball_loss(y_true: ArrayLike, q_pred: ArrayLike, q: float) -> float:
    """Pinball (quantile) loss of a forecast of the ``q`` quantile.

    Parameters
    ----------
    y_true, q_pred : array-like
        Realised values and forecast quantiles of the same length.
    q : float
        Quantile level in (0, 1).

    Returns
    -------
    float
        ``mean(max(q * (y - f), (q - 1) * (y - f)))``; at ``q = 0.5`` it is
        half the MAE.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1); got {q}.")
    from sklearn.metrics import mean_pinball_loss

    a, b = vectors(y_true=y_true, q_pred=q_pred)
    return float(mean_pinball_loss(a, b, alpha=q))


def _interval(lower: ArrayLike, upper: ArrayLike, **extra: ArrayLike) -> list[Any]:
    arrays = vectors(**extra, lower=lower, upper=upper)
    lo, hi = arrays[-2], arrays[-1]
    crossed = np.flatnonzero(hi < lo)
    if crossed.size:
        raise ValueError(
            f"upper < lower at {crossed.size} position(s) (first: {int(crossed[0])}); "
            "pass the bounds in the right order."
        )
    return arrays


def coverage(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of realised values inside their prediction interval.

    Parameters
    ----------
    y_true, lower, upper : array-like
        Realised values and interval bounds (inclusive), same length.

    Returns
    -------
    float
        Empirical coverage in [0, 1], to compare with the nominal level.
    """
    y, lo, hi = _interval(lower, upper, y_true=y_true)
    return float(np.mean((lo <= y) & (y <= hi)))


def interval_width(lower: ArrayLike, upper: ArrayLike) -> float:
    """Mean width of prediction intervals.

    Parameters
    ----------
    lower, upper : array-like
        Interval bounds, same length.

    Returns
    -------
    float
        ``mean(upper - lower)``.
    """
    lo, hi = _interval(lower, upper)
    return float(np.mean(hi - lo))
