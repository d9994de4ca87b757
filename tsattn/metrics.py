"""Point, interval, direction and volatility metrics, and the Diebold-Mariano test."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn.stats import as_finite, diebold_mariano, dm_horizon, dm_test, holm

__all__ = [
    "METRICS",
    "SCALE_COLUMN",
    "TASK_BASELINES",
    "TASK_DM_LOSS",
    "TASK_METRICS",
    "TASK_SCORE",
    "brier_score",
    "calibration_table",
    "coverage",
    "diebold_mariano",
    "direction_accuracy",
    "direction_mcc",
    "directional_accuracy",
    "evaluate",
    "interval_width",
    "log_loss",
    "mae",
    "mape",
    "mase",
    "mincer_zarnowitz",
    "mse",
    "naive_scale",
    "pinball_loss",
    "qlike",
    "qlike_differential",
    "rmse",
    "roc_auc",
    "sign_mcc",
    "smape",
    "strategy_returns",
]

ArrayLike = npt.ArrayLike

#: Column of a results frame holding the in-sample naive MAE used by MASE.
SCALE_COLUMN = "y_insample_naive_scale"

#: Metric names understood by :func:`evaluate`.
METRICS = (
    "mae",
    "rmse",
    "mse",
    "mape",
    "smape",
    "mase",
    "pinball",
    "coverage",
    "interval_width",
    "qlike",
    "directional_accuracy",
    "sign_mcc",
    "total_return",
    "sharpe",
    "max_drawdown",
    "accuracy",
    "brier",
    "log_loss",
    "roc_auc",
    "mcc",
    "mz_r2",
)

#: Default metrics per task kind, used by :func:`evaluate` on a frame with a
#: ``task`` column. "price" rows get the point-forecast defaults (plus MASE
#: and interval metrics when the frame has a scale or quantile columns).
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "price": ("mae", "rmse", "smape"),
    "return": ("mse", "mae"),
    "direction": ("accuracy", "brier", "log_loss", "roc_auc", "mcc"),
    "variance": ("qlike", "mse", "mz_r2"),
    "volatility": ("mse", "mae", "mz_r2"),
}

#: Reference model each task kind is tested against by default (the field's
#: own rival): zero return, the training base rate, GARCH(1,1), the random walk.
TASK_BASELINES: dict[str, str] = {
    "return": "zero",
    "direction": "base_rate",
    "variance": "garch",
    "volatility": "garch",
    "price": "naive",
}

#: Loss of the Diebold-Mariano test per task kind by default: squared error of
#: returns, squared error of P(up) for direction (the Brier score's terms),
#: QLIKE for variance forecasts (Patton 2011: it ranks variance forecasts like
#: the true variance would even when the realised proxy is noisy), squared
#: error for volatilities and absolute error for prices.
TASK_DM_LOSS: dict[str, str] = {
    "return": "squared",
    "direction": "squared",
    "variance": "qlike",
    "volatility": "squared",
    "price": "absolute",
}

#: The metric each task kind is ranked on: the mean of the test's loss.
TASK_SCORE: dict[str, str] = {
    "return": "mse",
    "direction": "brier",
    "variance": "qlike",
    "volatility": "mse",
    "price": "mae",
}

_VOLATILITY_QLIKE = (
    "QLIKE scores variance forecasts, not volatilities: task 'volatility' rows "
    "hold standard deviations. Square y_true and y_pred and mark the rows "
    "task='variance', or score volatilities with mse, mae or mz_r2."
)

_QUANTILE_COLUMN = re.compile(r"^q(\d*\.?\d+(?:[eE][-+]?\d+)?)$")


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------


def _vector(x: ArrayLike, name: str) -> npt.NDArray[np.float64]:
    arr = as_finite(x, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty; metrics need at least one value.")
    return arr


def _vectors(**arrays: ArrayLike) -> list[npt.NDArray[np.float64]]:
    out = [_vector(value, name) for name, value in arrays.items()]
    sizes = {name: arr.size for name, arr in zip(arrays, out)}
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"len({k}) = {v}" for k, v in sizes.items())
        raise ValueError(f"Inputs must have the same length; got {detail}.")
    return out


# ----------------------------------------------------------------------------
# Point metrics
# ----------------------------------------------------------------------------


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``mean(|y_true - y_pred|)``.
    """
    from sklearn.metrics import mean_absolute_error

    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    return float(mean_absolute_error(a, b))


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``mean((y_true - y_pred) ** 2)``.
    """
    from sklearn.metrics import mean_squared_error

    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    return float(mean_squared_error(a, b))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``sqrt(mse(y_true, y_pred))``.
    """
    return math.sqrt(mse(y_true, y_pred))


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error, in percent.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length; ``y_true`` must not
        contain zeros.

    Returns
    -------
    float
        ``100 * mean(|y_true - y_pred| / |y_true|)``.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    zeros = np.flatnonzero(a == 0)
    if zeros.size:
        raise ValueError(
            f"y_true is 0 at {zeros.size} position(s) (first: {int(zeros[0])}); "
            "MAPE is undefined there. Use smape or mase instead."
        )
    from sklearn.metrics import mean_absolute_percentage_error

    return float(100.0 * mean_absolute_percentage_error(a, b))


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error (M4 definition), in percent.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``200 * mean(|y_true - y_pred| / (|y_true| + |y_pred|))``, in
        [0, 200]; terms where both values are 0 count as 0.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    denom = np.abs(a) + np.abs(b)
    terms = np.divide(np.abs(a - b), denom, out=np.zeros_like(a), where=denom > 0)
    return float(200.0 * np.mean(terms))


def naive_scale(y_insample: ArrayLike, season_length: int = 1) -> float:
    """In-sample MAE of the (seasonal) naive forecast: the MASE denominator.

    Parameters
    ----------
    y_insample : array-like
        The training series.
    season_length : int, default=1
        Lag of the naive forecast (1: random walk).

    Returns
    -------
    float
        ``mean(|y[t] - y[t - season_length]|)``.
    """
    y = _vector(y_insample, "y_insample")
    if season_length < 1:
        raise ValueError(f"season_length must be >= 1; got {season_length}.")
    if y.size <= season_length:
        raise ValueError(
            f"naive_scale needs more than season_length (= {season_length}) "
            f"values; got {y.size}."
        )
    return float(np.mean(np.abs(y[season_length:] - y[:-season_length])))


def mase(y_true: ArrayLike, y_pred: ArrayLike, scale: ArrayLike) -> float:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.
    scale : float or array-like
        In-sample naive MAE (see :func:`naive_scale`), one value or one per
        element; must be positive.

    Returns
    -------
    float
        ``mean(|y_true - y_pred| / scale)``.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    s = _vector(scale, "scale")
    if s.size not in (1, a.size):
        raise ValueError(
            f"scale must be one value or one per element ({a.size}); got {s.size}."
        )
    if (s <= 0).any():
        raise ValueError(
            "scale must be positive; the in-sample naive MAE is 0 for a constant "
            "training series, where MASE is undefined."
        )
    return float(np.mean(np.abs(a - b) / s))


# ----------------------------------------------------------------------------
# Interval and quantile metrics
# ----------------------------------------------------------------------------


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

    a, b = _vectors(y_true=y_true, q_pred=q_pred)
    return float(mean_pinball_loss(a, b, alpha=q))


def _interval(lower: ArrayLike, upper: ArrayLike, **extra: ArrayLike) -> list[Any]:
    arrays = _vectors(**extra, lower=lower, upper=upper)
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


def qlike(realized_var: ArrayLike, forecast_var: ArrayLike) -> float:
    """QLIKE loss of variance forecasts (Patton, 2011).

    Parameters
    ----------
    realized_var, forecast_var : array-like
        Positive realised variances (or squared returns) and forecasts.

    Returns
    -------
    float
        ``mean(r / f - log(r / f) - 1)``: 0 for perfect forecasts, robust to
        noise in the realised proxy, and heavier on under-prediction.
    """
    r, f = _vectors(realized_var=realized_var, forecast_var=forecast_var)
    if (r <= 0).any() or (f <= 0).any():
        raise ValueError(
            "qlike needs strictly positive variances; got "
            f"min(realized_var) = {r.min():g}, min(forecast_var) = {f.min():g}."
        )
    ratio = r / f
    return float(np.mean(ratio - np.log(ratio) - 1.0))


def qlike_differential(
    realized_var: ArrayLike, forecast_a: ArrayLike, forecast_b: ArrayLike
) -> npt.NDArray[np.float64]:
    """QLIKE loss differential of two variance forecasts, one per target.

    ``QLIKE(r, f) = r / f - log(r / f) - 1``; the difference of two forecasts
    of the same ``r`` is ``r / f_a - r / f_b + log(f_a / f_b)``, in which
    ``log r`` cancels. So a realised variance of 0 (a day without a price
    change) is allowed here, where :func:`qlike` itself is undefined.

    Parameters
    ----------
    realized_var : array-like
        Realised variances (or squared returns), >= 0.
    forecast_a, forecast_b : array-like
        Variance forecasts, > 0, of the same length.

    Returns
    -------
    numpy.ndarray
        ``QLIKE(r, f_a) - QLIKE(r, f_b)`` per target: negative where ``f_a``
        is the better forecast.
    """
    r, a, b = _vectors(
        realized_var=realized_var, forecast_a=forecast_a, forecast_b=forecast_b
    )
    if (r < 0).any():
        raise ValueError(
            f"realized_var must be >= 0; got {r.min():g}. A variance cannot be "
            "negative: pass squared returns or realised variances."
        )
    for name, f in (("forecast_a", a), ("forecast_b", b)):
        if (f <= 0).any():
            raise ValueError(
                f"QLIKE needs strictly positive variance forecasts; {name} has "
                f"min {f.min():g}. Floor the forecasts at a small positive value."
            )
    return r / a - r / b + np.log(a / b)


# ----------------------------------------------------------------------------
# Direction and trading metrics
# ----------------------------------------------------------------------------


def _ups(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    if reference is None:
        a, b = _vectors(y_true=y_true, y_pred=y_pred)
    else:
        a, b, ref = _vectors(y_true=y_true, y_pred=y_pred, reference=reference)
        a, b = a - ref, b - ref
    return a > 0, b > 0


def directional_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None = None
) -> float:
    """Share of forecasts that get the direction (up / not up) right.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast changes (e.g. returns), or levels when
        ``reference`` is given.
    reference : array-like, optional
        Last observed level at forecast time; directions are then
        ``y - reference``.

    Returns
    -------
    float
        Share in [0, 1] where both are up (> 0) or both are not up (<= 0).
    """
    from sklearn.metrics import accuracy_score

    up_true, up_pred = _ups(y_true, y_pred, reference)
    return float(accuracy_score(up_true, up_pred))


def sign_mcc(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None = None
) -> float:
    """Matthews correlation coefficient of the up / not-up direction.

    Parameters
    ----------
    y_true, y_pred : array-like
        As in :func:`directional_accuracy`.
    reference : array-like, optional
        As in :func:`directional_accuracy`.

    Returns
    -------
    float
        MCC in [-1, 1]; 0 when either side has a single class (as sklearn).
    """
    from sklearn.metrics import matthews_corrcoef

    t, p = _ups(y_true, y_pred, reference)
    if t.all() or not t.any() or p.all() or not p.any():
        return 0.0  # sklearn's value, without its single-label warnings
    return float(matthews_corrcoef(t, p))


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
    r, f = _vectors(y_true_returns=y_true_returns, y_pred=y_pred)
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


# ----------------------------------------------------------------------------
# Direction probabilities and variance forecasts
# ----------------------------------------------------------------------------


def _outcomes_and_probabilities(
    y_true: ArrayLike, prob_up: ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    y, p = _vectors(y_true=y_true, prob_up=prob_up)
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


def direction_accuracy(
    y_true: ArrayLike, prob_up: ArrayLike, threshold: float = 0.5
) -> float:
    """Share of direction calls that are right, calling up when ``P(up) > threshold``.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Realised direction: 1 up, 0 not up.
    prob_up : array-like
        Forecast probabilities of an up move, in [0, 1].
    threshold : float, default=0.5
        Probability above which the call is "up".

    Returns
    -------
    float
        :func:`sklearn.metrics.accuracy_score` of the calls, in [0, 1].
    """
    from sklearn.metrics import accuracy_score

    y, p = _outcomes_and_probabilities(y_true, prob_up)
    return float(accuracy_score(y, (p > threshold).astype(np.int64)))


def direction_mcc(
    y_true: ArrayLike, prob_up: ArrayLike, threshold: float = 0.5
) -> float:
    """Matthews correlation of the direction calls (up when ``P(up) > threshold``).

    Parameters
    ----------
    y_true, prob_up, threshold
        As in :func:`direction_accuracy`.

    Returns
    -------
    float
        :func:`sklearn.metrics.matthews_corrcoef`, in [-1, 1]; 0 when the
        outcomes or the calls have a single class (a constant call carries
        no information).
    """
    from sklearn.metrics import matthews_corrcoef

    y, p = _outcomes_and_probabilities(y_true, prob_up)
    calls = (p > threshold).astype(np.int64)
    if np.unique(y).size < 2 or np.unique(calls).size < 2:
        return 0.0
    return float(matthews_corrcoef(y, calls))


def brier_score(y_true: ArrayLike, prob_up: ArrayLike) -> float:
    """Brier score of up-move probabilities (lower is better).

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Realised direction: 1 up, 0 not up.
    prob_up : array-like
        Forecast probabilities of an up move, in [0, 1].

    Returns
    -------
    float
        ``mean((prob_up - y_true) ** 2)``
        (:func:`sklearn.metrics.brier_score_loss`); 0.25 for a constant 0.5.
    """
    from sklearn.metrics import brier_score_loss

    y, p = _outcomes_and_probabilities(y_true, prob_up)
    return float(brier_score_loss(y, p, pos_label=1))


def log_loss(y_true: ArrayLike, prob_up: ArrayLike) -> float:
    """Log loss (cross-entropy) of up-move probabilities (lower is better).

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Realised direction: 1 up, 0 not up.
    prob_up : array-like
        Forecast probabilities of an up move, in [0, 1]; sklearn clips them
        away from 0 and 1.

    Returns
    -------
    float
        :func:`sklearn.metrics.log_loss` with labels ``[0, 1]``; ``log 2``
        for a constant 0.5.
    """
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


def calibration_table(
    y_true: ArrayLike, prob_up: ArrayLike, n_bins: int = 10
) -> pd.DataFrame:
    """Reliability table of up-move probabilities: forecast vs observed, per bin.

    Probabilities are cut into ``n_bins`` equal-width bins of [0, 1] (the
    binning of :func:`sklearn.calibration.calibration_curve` with
    ``strategy="uniform"``: bin ``k`` holds ``lower < p <= upper``, and 0
    falls in the first bin). A calibrated forecast
    has ``frequency`` close to ``mean_prob`` in every bin.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Realised direction: 1 up, 0 not up.
    prob_up : array-like
        Forecast probabilities of an up move, in [0, 1].
    n_bins : int, default=10
        Number of bins.

    Returns
    -------
    pandas.DataFrame
        One row per bin: ``lower``, ``upper`` (bin edges), ``count``
        (forecasts in the bin), ``mean_prob`` (their mean P(up)) and
        ``frequency`` (share of them that went up); NaN for an empty bin.
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


def mincer_zarnowitz(
    realized_var: ArrayLike, forecast_var: ArrayLike
) -> dict[str, float]:
    """Mincer-Zarnowitz regression of realised on forecast variance.

    Fits ``realized = a + b * forecast + e`` by OLS (statsmodels). An
    unbiased forecast has ``a = 0`` and ``b = 1``; ``r2`` measures how much
    of the realised variance's variation the forecast explains.

    Parameters
    ----------
    realized_var, forecast_var : array-like
        Realised variances (or squared returns) and their forecasts; at
        least 3, and the forecasts must vary.

    Returns
    -------
    dict
        ``intercept``, ``slope``, ``r2`` and ``pvalue`` (F test of the joint
        hypothesis ``a = 0, b = 1``).
    """
    import statsmodels.api as sm

    r, f = _vectors(realized_var=realized_var, forecast_var=forecast_var)
    if r.size < 3:
        raise ValueError(
            f"mincer_zarnowitz needs at least 3 forecasts to fit a line and test "
            f"it; got {r.size}."
        )
    if np.ptp(f) == 0:
        raise ValueError(
            f"forecast_var is constant ({f[0]:g}); the Mincer-Zarnowitz "
            "regression has no slope to fit. Use qlike or mse instead."
        )
    fit = sm.OLS(r, sm.add_constant(f, has_constant="add")).fit()
    joint = fit.f_test((np.eye(2), np.array([0.0, 1.0])))
    return {
        "intercept": float(fit.params[0]),
        "slope": float(fit.params[1]),
        "r2": float(fit.rsquared),
        "pvalue": float(np.asarray(joint.pvalue).ravel()[0]),
    }


# ----------------------------------------------------------------------------
# Losses shared with the Diebold-Mariano test of a results frame
# ----------------------------------------------------------------------------


_LOSSES: dict[str, Callable[[Any], Any]] = {
    "squared": np.square,
    "absolute": np.abs,
}


# ----------------------------------------------------------------------------
# Frame-level evaluation
# ----------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Sequence[str], why: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"results is missing column(s) {missing} needed for {why}; it has "
            f"{list(frame.columns)}."
        )


def _unknown(name: str, known: Sequence[str], what: str) -> ValueError:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown {what} {name!r}.{hint} Known: {list(known)}.")


def _quantile_columns(frame: pd.DataFrame) -> dict[float, str]:
    found = {}
    for col in frame.columns:
        match = _QUANTILE_COLUMN.match(str(col))
        if match and 0.0 < float(match.group(1)) < 1.0:
            found[float(match.group(1))] = col
    return dict(sorted(found.items()))


def _interval_pairs(levels: Sequence[float]) -> list[tuple[float, float]]:
    pairs = []
    for q in levels:
        partner = [p for p in levels if abs(p - (1.0 - q)) < 1e-9]
        if q < 0.5 and partner:
            pairs.append((q, partner[0]))
    return pairs


def _scale_values(
    frame: pd.DataFrame, scale: float | Mapping[Any, float] | pd.Series | None
) -> npt.NDArray[np.float64] | None:
    if scale is None:
        if SCALE_COLUMN in frame.columns:
            return frame[SCALE_COLUMN].to_numpy(dtype=np.float64)
        return None
    if isinstance(scale, (Mapping, pd.Series)):
        _require(frame, ["series"], "a per-series scale")
        mapped = frame["series"].map(scale)
        if mapped.isna().any():
            missing = sorted(set(frame.loc[mapped.isna(), "series"]), key=str)
            raise ValueError(f"scale has no value for series {missing}.")
        return mapped.to_numpy(dtype=np.float64)
    return np.full(len(frame), float(scale))


def _metric_names(
    metrics: Sequence[str] | str | None, has_quantiles: bool, has_scale: bool
) -> list[str]:
    if metrics is None:
        names = ["mae", "rmse", "smape"]
        names += ["mase"] if has_scale else []
        names += ["pinball", "coverage", "interval_width"] if has_quantiles else []
        return names
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    for name in names:
        if name not in METRICS:
            raise _unknown(name, METRICS, "metric")
    return names


_PROBABILITY_METRICS: dict[str, Callable[[Any, Any], float]] = {
    "accuracy": direction_accuracy,
    "brier": brier_score,
    "log_loss": log_loss,
    "roc_auc": roc_auc,
    "mcc": direction_mcc,
}


def _group_metrics(
    g: pd.DataFrame,
    names: Sequence[str],
    quantiles: dict[float, str],
    scale: npt.NDArray[np.float64] | None,
    options: dict[str, Any],
) -> dict[str, float]:
    y, f = g["y_true"].to_numpy(), g["y_pred"].to_numpy()
    ref_col = options["direction_reference"]
    ref = None if ref_col is None else g[ref_col].to_numpy()
    out: dict[str, float] = {}
    simple = {"mae": mae, "rmse": rmse, "mse": mse, "mape": mape, "smape": smape}
    strategy: dict[str, float] | None = None
    for name in names:
        if name in simple:
            out[name] = simple[name](y, f)
        elif name == "mase":
            out[name] = mase(y, f, scale[g.index.to_numpy()])  # type: ignore[index]
        elif name == "pinball":
            losses = [pinball_loss(y, g[c], q) for q, c in quantiles.items()]
            out[name] = float(np.mean(losses))
        elif name in ("coverage", "interval_width"):
            for lo, hi in _interval_pairs(list(quantiles)):
                label = f"{name}_{hi - lo:g}"
                lower, upper = g[quantiles[lo]], g[quantiles[hi]]
                out[label] = (
                    coverage(y, lower, upper)
                    if name == "coverage"
                    else interval_width(lower, upper)
                )
        elif name == "qlike":
            if "task" in g.columns and (g["task"] == "volatility").any():
                raise ValueError(_VOLATILITY_QLIKE)
            out[name] = qlike(y, f)
        elif name == "directional_accuracy":
            out[name] = directional_accuracy(y, f, ref)
        elif name == "sign_mcc":
            out[name] = sign_mcc(y, f, ref)
        elif name in _PROBABILITY_METRICS:
            undefined = name == "roc_auc" and np.unique(y).size < 2
            out[name] = math.nan if undefined else _PROBABILITY_METRICS[name](y, f)
        elif name == "mz_r2":
            # Undefined (not an error) for a group too small or a flat forecast.
            undefined = y.size < 3 or np.ptp(f) == 0
            out[name] = math.nan if undefined else mincer_zarnowitz(y, f)["r2"]
        else:
            if strategy is None:
                strategy = _group_strategy(g, options)
            out[name] = strategy[name]
    return out


def _group_strategy(g: pd.DataFrame, options: dict[str, Any]) -> dict[str, float]:
    order = "timestamp" if "timestamp" in g.columns else "cutoff"
    _require(g, [order], "the trading metrics (rows are ordered in time)")
    per_series = []
    groups = g.groupby("series", sort=False) if "series" in g.columns else [(0, g)]
    for _, part in groups:
        part = part.sort_values(order, kind="stable")
        if part[order].duplicated().any():
            raise ValueError(
                f"the trading metrics need one forecast per {order} and series; "
                "include 'step' in by (or filter one step) first."
            )
        per_series.append(
            strategy_returns(
                part["y_true"],
                part["y_pred"],
                cost_per_trade=options["cost_per_trade"],
                periods_per_year=options["periods_per_year"],
            )
        )
    return {k: float(np.mean([s[k] for s in per_series])) for k in per_series[0]}


def _loss_differential(both: pd.DataFrame, loss: str) -> pd.Series:
    if loss == "qlike":
        d = qlike_differential(both["y_true"], both["y_pred"], both["y_pred_base"])
        return pd.Series(d, index=both.index)
    lossf = _LOSSES[loss]
    return lossf(both["y_true"] - both["y_pred"]) - lossf(
        both["y_true_base"] - both["y_pred_base"]
    )


def _dm_group(
    g: pd.DataFrame, base: pd.DataFrame, loss: str
) -> tuple[float, float, int]:
    keys = [c for c in ("series", "cutoff", "step") if c in g.columns]
    both = g.merge(base, on=keys, suffixes=("", "_base"))
    if both.empty:
        return math.nan, math.nan, 0
    d = _loss_differential(both, loss)
    # One differential per forecast origin: average over series and steps.
    d = d.groupby(both["cutoff"]).mean().sort_index().to_numpy(dtype=np.float64)
    positions = both["cutoff_pos"] if "cutoff_pos" in both.columns else None
    h = dm_horizon(int(both["step"].max()), positions)
    try:
        stat, pvalue = dm_test(d, h, "two-sided")
    except ValueError:
        return math.nan, math.nan, h
    return stat, pvalue, h


def evaluate(
    results: pd.DataFrame,
    *,
    by: Sequence[str] | str = ("model", "series", "step"),
    metrics: Sequence[str] | str | None = None,
    baseline: str | Mapping[str, str] | None = "auto",
    scale: float | Mapping[Any, float] | pd.Series | None = None,
    dm_loss: str | Mapping[str, str] | None = None,
    direction_reference: str | None = None,
    cost_per_trade: float = 0.0,
    periods_per_year: int = 252,
) -> pd.DataFrame:
    """Score a tidy backtest results frame, group by group.

    A frame with a ``task`` column scores each task kind with its own
    metrics (:data:`TASK_METRICS`), and ``"task"`` is added in front of
    ``by`` when missing. The columns mean, per task kind:

    - ``"price"``: ``y_true`` / ``y_pred`` are levels (or any point target);
    - ``"return"``: realised and forecast returns;
    - ``"direction"``: ``y_true`` is the outcome, 1 (up) or 0 (not up), and
      ``y_pred`` the forecast **probability of up**, in [0, 1] (accuracy and
      MCC call "up" when it is above 0.5);
    - ``"variance"``: realised variance (or squared return) and the variance
      forecast, both > 0 (not volatilities);
    - ``"volatility"``: realised and forecast volatilities (standard
      deviations), scored with MSE, MAE and Mincer-Zarnowitz R²; QLIKE is
      refused there (it is a loss for variances).

    A ``seed`` column (several seeds of one model run as separate backtests;
    NaN for deterministic models) can be put in ``by``: each seed is then
    scored and tested on its own, and a reference model without seeds is the
    reference of every seed.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per forecast: ``y_true`` and ``y_pred``, the ``by`` columns,
        and as needed ``model``, ``series``, ``cutoff``, ``step``,
        ``cutoff_pos``, ``task``, ``timestamp``, quantile columns ``q0.05``,
        ``q0.95``... and ``y_insample_naive_scale`` (MASE).
    by : sequence of str or str, default=("model", "series", "step")
        Columns to group by; ``()`` scores everything together.
    metrics : sequence of str, optional
        Names from :data:`METRICS`. None picks mae, rmse and smape, plus mase
        when a scale is available and pinball, coverage and interval_width
        when quantile columns are present. ``coverage`` and
        ``interval_width`` give one column per symmetric quantile pair, named
        by the nominal level (``coverage_0.9`` for q0.05 / q0.95); ``pinball``
        averages over the quantile columns. The trading metrics
        (``total_return``, ``sharpe``, ``max_drawdown``) treat ``y_true`` as
        simple returns, order rows by ``timestamp`` (else ``cutoff``) per
        series and average over the series of a group. With a ``task``
        column, None picks each task's :data:`TASK_METRICS`; ``roc_auc`` of
        a group with one outcome class and ``mz_r2`` of a group with fewer
        than 3 rows or a constant forecast are NaN.
    baseline : str, mapping or None, default="auto"
        Model (a value of ``results["model"]``), or a mapping from task kind
        to model (e.g. ``{"return": "zero", "direction": "base_rate",
        "variance": "garch"}``; tasks not in it are not tested), every other
        model is tested
        against with :func:`tsattn.stats.dm_test` on matched rows (same
        series, cutoff and step), adding ``dm_stat`` and ``dm_pvalue``
        (two-sided, uncorrected; positive statistic: the model is worse than
        the baseline), ``dm_h`` (the test's lag) and ``dm_pvalue_holm``
        (Holm's correction over the models tested within the same values of
        the other ``by`` columns, e.g. within a task and a seed). The loss
        differentials are averaged per
        cutoff; ``h`` comes from :func:`tsattn.stats.dm_horizon`: the
        largest step of the group over the spacing of the ``cutoff_pos``
        column, or the largest step when that column is absent. ``"auto"``:
        ``"naive"`` for a frame without a ``task`` column; with one, each
        task's reference from :data:`TASK_BASELINES` (zero return, base rate,
        GARCH, naive), where a reference absent from the results leaves its
        task untested (NaN) instead of raising. None skips the test.
    scale : float, mapping or Series, optional
        MASE denominator: one value, or one per series (keyed by the
        ``series`` value). Default: the ``y_insample_naive_scale`` column.
    dm_loss : {"squared", "absolute", "qlike"}, mapping or None, default=None
        Loss of the Diebold-Mariano test: one for every row, or a mapping from
        task kind to loss. None: ``"squared"`` for a frame without a ``task``
        column; with one, :data:`TASK_DM_LOSS` per task: squared error for
        returns, squared error of P(up) (the Brier score's terms) for
        direction, **QLIKE for variance** (Patton 2011: the loss that ranks
        variance forecasts correctly with a noisy realised proxy such as
        squared returns; its differential :func:`qlike_differential` allows a
        realised variance of 0), squared error for volatility, absolute error
        for prices. QLIKE on a task other than variance raises.
    direction_reference : str, optional
        Column with the last observed level, for direction metrics on level
        forecasts; None treats values as changes or returns.
    cost_per_trade, periods_per_year : float, int
        Passed to :func:`strategy_returns`.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n`` (rows scored) and one
        column per metric (plus ``dm_stat``, ``dm_pvalue``, ``dm_h`` and
        ``dm_pvalue_holm``).

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.metrics import evaluate
    >>> results = pd.DataFrame({
    ...     "model": ["naive"] * 3 + ["arima"] * 3, "series": "s",
    ...     "cutoff": [0, 1, 2] * 2, "step": 1,
    ...     "y_true": [1.0, 2.0, 3.0] * 2, "y_pred": [0.0, 1.0, 2.0, 1.5, 2.5, 2.0]})
    >>> evaluate(results, metrics=["mae", "rmse"])[["model", "mae", "rmse"]]
       model       mae      rmse
    0  arima  0.666667  0.707107
    1  naive  1.000000  1.000000
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame; got {type(results)}.")
    if results.empty:
        raise ValueError("results is empty; there is nothing to evaluate.")
    by = [by] if isinstance(by, str) else list(by)
    if "task" in results.columns:
        unknown = sorted(set(results["task"]) - set(TASK_METRICS), key=str)
        if unknown:
            raise _unknown(unknown[0], list(TASK_METRICS), "task kind")
        by = by if "task" in by else ["task", *by]
    _require(results, ["y_true", "y_pred", *by], "evaluate")
    losses = _dm_losses(results, dm_loss)
    _check_qlike_use(results, metrics)
    if direction_reference is not None:
        _require(results, [direction_reference], "direction_reference")
    results = results.reset_index(drop=True)
    quantiles = _quantile_columns(results)
    scale_values = _scale_values(results, scale)
    names = _metric_names(metrics, bool(quantiles), scale_values is not None)
    per_task = metrics is None and "task" in results.columns
    if "mase" in names and scale_values is None:
        raise ValueError(
            f"mase needs the in-sample naive scale: a {SCALE_COLUMN!r} column or "
            "scale=... (see tsattn.metrics.naive_scale)."
        )
    if {"pinball", "coverage", "interval_width"} & set(names) and not quantiles:
        raise ValueError(
            "pinball, coverage and interval_width need quantile columns named like "
            f"'q0.05'; results has {list(results.columns)}."
        )
    if {"coverage", "interval_width"} & set(names) and not _interval_pairs(
        list(quantiles)
    ):
        raise ValueError(
            "coverage and interval_width need a symmetric pair of quantile columns "
            f"(like q0.05 and q0.95); found {list(quantiles.values())}."
        )
    options = {
        "direction_reference": direction_reference,
        "cost_per_trade": cost_per_trade,
        "periods_per_year": periods_per_year,
    }
    groups = results.groupby(by, sort=True, dropna=False) if by else [((), results)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(by, key))
        row["n"] = len(g)
        group_names = names
        if per_task and row["task"] != "price":
            group_names = list(TASK_METRICS[row["task"]])
        row.update(_group_metrics(g, group_names, quantiles, scale_values, options))
        rows.append(row)
    table = pd.DataFrame(rows)
    baseline = _resolve_baseline(results, baseline)
    if baseline is not None:
        _add_dm(table, results, by, baseline, losses)
    return table


_DM_LOSS_NAMES = ("squared", "absolute", "qlike")


def _dm_losses(
    results: pd.DataFrame, dm_loss: str | Mapping[str, str] | None
) -> str | dict[str, str]:
    """Return the test's loss: one name, or one per task kind."""
    has_task = "task" in results.columns
    if dm_loss is None:
        return dict(TASK_DM_LOSS) if has_task else "squared"
    asked = dict(dm_loss) if isinstance(dm_loss, Mapping) else {None: dm_loss}
    for name in asked.values():
        if name not in _DM_LOSS_NAMES:
            raise _unknown(name, _DM_LOSS_NAMES, "dm_loss")
    if isinstance(dm_loss, Mapping):
        _require(results, ["task"], "a dm_loss per task")
        losses: str | dict[str, str] = {**TASK_DM_LOSS, **asked}
        qlike_tasks = {t for t, name in asked.items() if name == "qlike"}
    else:
        losses = dm_loss
        qlike_tasks = set(results["task"]) if has_task and dm_loss == "qlike" else set()
    wrong = sorted(qlike_tasks - {"variance"}, key=str)
    if wrong:
        raise ValueError(
            f"dm_loss='qlike' scores variance forecasts only; it was asked for "
            f"task(s) {wrong}. Pass dm_loss=None (QLIKE for variance, squared or "
            "absolute error elsewhere) or a mapping per task."
        )
    return losses


def _check_qlike_use(
    results: pd.DataFrame, metrics: Sequence[str] | str | None
) -> None:
    if "task" not in results.columns or metrics is None:
        return
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if "qlike" in names and (results["task"] == "volatility").any():
        raise ValueError(_VOLATILITY_QLIKE)


def _resolve_baseline(
    results: pd.DataFrame, baseline: str | Mapping[str, str] | None
) -> str | dict[str, str] | None:
    """``"auto"``: naive, or each task's reference where it is in the results."""
    if not (isinstance(baseline, str) and baseline == "auto"):
        return baseline
    if "task" not in results.columns:
        return "naive"
    present = set(results["model"]) if "model" in results.columns else set()
    tasks = set(results["task"])
    chosen = {t: m for t, m in TASK_BASELINES.items() if t in tasks and m in present}
    return chosen or None


def _matching(column: pd.Series, value: Any) -> pd.Series:
    """``column == value``, where NaN matches NaN (a model without seeds)."""
    if pd.isna(value):
        return column.isna()
    return column == value


def _add_dm(
    table: pd.DataFrame,
    results: pd.DataFrame,
    by: list[str],
    baseline: str | Mapping[str, str],
    loss: str | Mapping[str, str],
) -> None:
    _require(results, ["model", "cutoff", "step"], "the Diebold-Mariano test")
    if "model" not in by:
        raise ValueError(
            "The test against the baseline compares models: include 'model' in by, "
            "or pass baseline=None."
        )
    models = list(pd.unique(results["model"]))
    per_task = isinstance(baseline, Mapping)
    if per_task:
        _require(results, ["task"], "a baseline per task")
    for name in baseline.values() if per_task else [baseline]:  # type: ignore[union-attr]
        if name not in models:
            raise _unknown(name, models, "baseline model")
    others = [c for c in by if c != "model"]
    columns = ("series", "cutoff", "step", "cutoff_pos", "y_true", "y_pred")
    keep = [c for c in columns if c in results]
    stats, pvalues, lags = [], [], []
    for _, row in table.iterrows():
        base = baseline.get(row["task"]) if per_task else baseline  # type: ignore[union-attr]
        if base is None or row["model"] == base:
            stats.append(math.nan)
            pvalues.append(math.nan)
            lags.append(0)
            continue
        row_loss = loss if isinstance(loss, str) else loss[row["task"]]
        mask = results["model"] == row["model"]
        base_mask = results["model"] == base
        for col in others:
            mask &= _matching(results[col], row[col])
            # A reference without values in this column (a deterministic
            # baseline has no seed) is the reference of every value.
            if results.loc[base_mask, col].notna().any():
                base_mask &= _matching(results[col], row[col])
        stat, pvalue, h = _dm_group(
            results.loc[mask, keep], results.loc[base_mask, keep], row_loss
        )
        stats.append(stat)
        pvalues.append(pvalue)
        lags.append(h)
    table["dm_stat"] = stats
    table["dm_pvalue"] = pvalues
    table["dm_h"] = lags
    # The models tested against the baseline within one group of the other
    # ``by`` columns form one family: Holm's correction over it.
    adjusted = pd.Series(np.nan, index=table.index)
    families = table.groupby(others, sort=False, dropna=False) if others else None
    for _, family in families if families is not None else [((), table)]:
        adjusted.loc[family.index] = holm(family["dm_pvalue"].to_numpy())
    table["dm_pvalue_holm"] = adjusted.to_numpy()
