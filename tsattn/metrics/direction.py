"""Direction metrics: sign calls, probabilities of an up move, a sign strategy.

Sign calls (:func:`directional_accuracy`, :func:`sign_mcc`) compare the
directions of realised and forecast changes; probability calls
(:func:`direction_accuracy`, :func:`direction_mcc`, :func:`brier_score`,
:func:`log_loss`, :func:`roc_auc`, :func:`calibration_table`) score P(up)
against 0/1 outcomes; :func:`strategy_returns` trades the forecast's sign.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn.metrics._common import (
    PROBABILITY_CALLS,
    SIGN_CALLS,
    ArrayLike,
    documented,
    vectors,
)

__all__ = [
    "brier_score",
    "calibration_table",
    "direction_accuracy",
    "direction_mcc",
    "directional_accuracy",
    "log_loss",
    "roc_auc",
    "sign_mcc",
    "strategy_returns",
]


def _ups(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    if reference is None:
        a, b = vectors(y_true=y_true, y_pred=y_pred)
    else:
        a, b, ref = vectors(y_true=y_true, y_pred=y_pred, reference=reference)
        a, b = a - ref, b - ref
    return a > 0, b > 0


def _accuracy(actual: npt.ArrayLike, called: npt.ArrayLike) -> float:
    """Share of calls (up / not up) equal to the outcomes."""
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(actual, called))


def _mcc(actual: npt.NDArray[Any], called: npt.NDArray[Any]) -> float:
    """Matthews correlation of calls and outcomes; 0 when either has one class."""
    from sklearn.metrics import matthews_corrcoef

    if np.unique(actual).size < 2 or np.unique(called).size < 2:
        return 0.0  # sklearn's value, without its single-label warnings
    return float(matthews_corrcoef(actual, called))


@documented(
    *SIGN_CALLS,
    returns=(
        "float",
        "Share in [0, 1] where both are up (> 0) or both are not up (<= 0).",
    ),
)
def directional_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None = None
) -> float:
    """Share of forecasts that get the direction (up / not up) right."""
    return _accuracy(*_ups(y_true, y_pred, reference))


@documented(
    *SIGN_CALLS,
    returns=(
        "float",
        "MCC in [-1, 1]; 0 when either side has a single class (as sklearn).",
    ),
)
def sign_mcc(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None = None
) -> float:
    """Matthews correlation coefficient of the up / not-up direction."""
    return _mcc(*_ups(y_true, y_pred, reference))


def strategy_returns(
    y_true_returns: ArrayLike,
    y_pred: ArrayLike,
    *,
    cost_per_trade: float = 0.0,
    periods_per_year: int = 252,
    long_only: bool = False,
) -> dict[str, float]:
    """Measure a simple sign strategy driven by the forecasts.

    At each period the position is ``sign(y_pred)`` (long when the forecast is
    up, short when down, flat at 0; ``long_only`` holds 1 or 0) and earns
    ``position * y_true_returns`` minus ``cost_per_trade`` times the change
    in position (a long-to-short reversal costs twice; entering from flat at
    the start costs once).

    Parameters
    ----------
    y_true_returns : array-like
        Realised simple returns of each period, in time order.
    y_pred : array-like
        Forecasts whose sign sets the position (returns, or changes).
    cost_per_trade : float, default=0.0
        Cost per unit of position change, as a fraction (0.001 = 10 bp).
    periods_per_year : int, default=252
        Annualisation factor of the Sharpe ratio.
    long_only : bool, default=False
        Hold no short positions.

    Returns
    -------
    dict
        ``total_return`` (compounded, ``prod(1 + r) - 1``), ``sharpe``
        (``mean(r) / std(r, ddof=1) * sqrt(periods_per_year)``, zero risk-free
        rate; NaN with fewer than two periods or no variation) and
        ``max_drawdown`` (largest fall from a running peak of the equity curve
        that starts at 1, as a positive fraction).
    """
    if cost_per_trade < 0:
        raise ValueError(f"cost_per_trade must be >= 0; got {cost_per_trade}.")
    if periods_per_year <= 0:
        raise ValueError(f"periods_per_year must be > 0; got {periods_per_year}.")
    r, f = vectors(y_true_returns=y_true_returns, y_pred=y_pred)
    position = (f > 0).astype(np.float64) if long_only else np.sign(f)
    turnover = np.abs(np.diff(position, prepend=0.0))
    strat = position * r - cost_per_trade * turnover
    equity = np.cumprod(1.0 + strat)
    curve = np.concatenate([[1.0], equity])
    drawdown = 1.0 - curve / np.maximum.accumulate(curve)
    sd = strat.std(ddof=1) if strat.size > 1 else 0.0
    sharpe = strat.mean() / sd * math.sqrt(periods_per_year) if sd > 0 else math.nan
    return {
        "total_return": float(equity[-1] - 1.0),
        "sharpe": float(sharpe),
        "max_drawdown": float(drawdown.max()),
    }


def _outcomes_and_probabilities(
    y_true: ArrayLike, prob_up: ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    y, p = vectors(y_true=y_true, prob_up=prob_up)
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise ValueError(
            f"y_true must hold direction outcomes 0 (not up) or 1 (up); got "
            f"{y[bad[0]]:g} at position {int(bad[0])}. Build them with "
            "tsattn.make_targets or (returns > 0).astype(int)."
        )
    outside = np.flatnonzero((p < 0) | (p > 1))
    if outside.size:
        raise ValueError(
            f"prob_up must hold probabilities in [0, 1]; got {p[outside[0]]:g} at "
            f"position {int(outside[0])}. Pass P(up), not a logit or a return."
        )
    return y.astype(np.int64), p


@documented(
    *PROBABILITY_CALLS,
    returns=(
        "float",
        ":func:`sklearn.metrics.accuracy_score` of the calls, in [0, 1].",
    ),
)
def direction_accuracy(
    y_true: ArrayLike, prob_up: ArrayLike, threshold: float = 0.5
) -> float:
    """Share of right direction calls, calling up when ``P(up) > threshold``."""
    y, p = _outcomes_and_probabilities(y_true, prob_up)
    return _accuracy(y, (p > threshold).astype(np.int64))


@documented(
    *PROBABILITY_CALLS,
    returns=(
        "float",
        ":func:`sklearn.metrics.matthews_corrcoef`, in [-1, 1]; 0 "
        "when the outcomes or the calls have a single class (a "
        "constant call carries no information).",
    ),
)
def direction_mcc(
    y_true: ArrayLike, prob_up: ArrayLike, threshold: float = 0.5
) -> float:
    """Matthews correlation of the direction calls (up when ``P(up) > threshold``)."""
    y, p = _outcomes_and_probabilities(y_true, prob_up)
    return _mcc(y, (p > threshold).astype(np.int64))


@documented(
    "outcomes",
    "prob_up",
    returns=(
        "float",
        "``mean((prob_up - y_true) ** 2)`` "
        "(:func:`sklearn.metrics.brier_score_loss`); 0.25 for a "
        "constant 0.5.",
    ),
)
def brier_score(y_true: ArrayLike, prob_up: ArrayLike) -> float:
    """Brier score of up-move probabilities (lower is better)."""
    from sklearn.metrics import brier_score_loss

    y, p = _outcomes_and_probabilities(y_true, prob_up)
    return float(brier_score_loss(y, p, pos_label=1))


@documented(
    "outcomes",
    (
        "prob_up : array-like",
        "Forecast probabilities of an up move, in [0, 1]; sklearn clips them "
        "away from 0 and 1.",
    ),
    returns=(
        "float",
        ":func:`sklearn.metrics.log_loss` with labels ``[0, 1]``; ``log 2`` "
        "for a constant 0.5.",
    ),
)
def log_loss(y_true: ArrayLike, prob_up: ArrayLike) -> float:
    """Log loss (cross-entropy) of up-move probabilities (lower is better)."""
    from sklearn.metrics import log_loss as sk_log_loss

    y, p = _outcomes_and_probabilities(y_true, prob_up)
    return float(sk_log_loss(y, p, labels=[0, 1]))


def roc_auc(y_true: ArrayLike, prob_up: ArrayLike) -> float:
    """Area under the ROC curve of up-move probabilities (0.5: no skill).

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Realised direction; both classes must occur.
    prob_up : array-like
        Forecast probabilities (any score that ranks up moves higher works).

    Returns
    -------
    float
        :func:`sklearn.metrics.roc_auc_score`, in [0, 1].
    """
    from sklearn.metrics import roc_auc_score

    y, p = _outcomes_and_probabilities(y_true, prob_up)
    if np.unique(y).size < 2:
        raise ValueError(
            f"roc_auc needs both up (1) and not-up (0) outcomes in y_true; all "
            f"{y.size} are {int(y[0])}. Score a longer period."
        )
    return float(roc_auc_score(y, p))


@documented(
    "outcomes",
    "prob_up",
    ("n_bins : int, default=10", "Number of bins."),
    returns=(
        "pandas.DataFrame",
        "One row per bin: ``lower``, ``upper`` (bin edges), ``count`` (forecasts "
        "in the bin), ``mean_prob`` (their mean P(up)) and ``frequency`` (share "
        "of them that went up); NaN for an empty bin.",
    ),
)
def calibration_table(
    y_true: ArrayLike, prob_up: ArrayLike, n_bins: int = 10
) -> pd.DataFrame:
    """Reliability table of up-move probabilities: forecast vs observed, per bin.

    Probabilities are cut into ``n_bins`` equal-width bins of [0, 1] (the
    binning of :func:`sklearn.calibration.calibration_curve` with
    ``strategy="uniform"``: bin ``k`` holds ``lower < p <= upper``, and 0
    falls in the first bin). A calibrated forecast
    has ``frequency`` close to ``mean_prob`` in every bin.
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)):
        raise TypeError(f"n_bins must be an int >= 1; got {n_bins!r}.")
    if n_bins < 1:
        raise ValueError(f"n_bins must be an int >= 1; got {n_bins}.")
    y, p = _outcomes_and_probabilities(y_true, prob_up)
    edges = np.linspace(0.0, 1.0, int(n_bins) + 1)
    which = np.searchsorted(edges[1:-1], p, side="left")
    count = np.bincount(which, minlength=n_bins)
    sum_p = np.bincount(which, weights=p, minlength=n_bins)
    sum_y = np.bincount(which, weights=y.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prob = np.where(count > 0, sum_p / count, np.nan)
        frequency = np.where(count > 0, sum_y / count, np.nan)
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count.astype(np.int64),
            "mean_prob": mean_prob,
            "frequency": frequency,
        }
    )
