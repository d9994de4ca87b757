"""Metrics of forecasts as arrays: point, interval, direction and variance.

Each function scores one pair of arrays. :func:`tsattn.evaluation.evaluate`
applies them to a backtest's results frame, group by group; it and the
names that configure it (:data:`METRICS`, :data:`TASK_METRICS`, ...) are
importable from here too.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn._docstrings import Entry, fill_doc
from tsattn._lazy import lazy_reexport
from tsattn.stats import as_finite, diebold_mariano

__all__ = [
    "brier_score",
    "calibration_table",
    "coverage",
    "diebold_mariano",
    "direction_accuracy",
    "direction_mcc",
    "directional_accuracy",
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


# Names of the frame-level evaluation, which builds on this module: provided
# on first use (module __getattr__, PEP 562) so that neither module imports
# the other at load time.
__getattr__, __dir__ = lazy_reexport(__name__, "tsattn.evaluation")


ArrayLike = npt.ArrayLike
_Metric = TypeVar("_Metric", bound=Callable[..., Any])

# Parameter descriptions the metrics share, written once: numpydoc lines
# (name and type, then the description), joined by :func:`_documented`.
_PARAMETERS = {
    "pair": (
        "y_true, y_pred : array-like",
        "Realised and forecast values of the same length.",
    ),
    "changes": (
        "y_true, y_pred : array-like",
        "Realised and forecast changes (e.g. returns), or levels when "
        "``reference`` is given.",
    ),
    "reference": (
        "reference : array-like, optional",
        "Last observed level at forecast time; directions are then ``y - reference``.",
    ),
    "outcomes": (
        "y_true : array-like of {0, 1}",
        "Realised direction: 1 up, 0 not up.",
    ),
    "prob_up": (
        "prob_up : array-like",
        "Forecast probabilities of an up move, in [0, 1].",
    ),
    "threshold": (
        "threshold : float, default=0.5",
        'Probability above which the call is "up".',
    ),
}


def _documented(
    *parameters: str | tuple[str, str], returns: tuple[str, str]
) -> Callable[[_Metric], _Metric]:
    """Complete a metric's docstring with its Parameters and Returns sections.

    ``parameters`` name entries of :data:`_PARAMETERS`, or are a metric's own
    (name and type, description); ``returns`` is the return type and its
    description. The entries are filled in by :func:`fill_doc`.
    """
    table: dict[str, Entry] = {**_PARAMETERS, "returns": returns}
    slots = []
    for i, parameter in enumerate(parameters):
        name = parameter if isinstance(parameter, str) else f"own{i}"
        table.setdefault(name, parameter)
        slots.append(f"{{{{{name}}}}}")
    template = ["Parameters", "----------", *slots, "", "Returns", "-------"]
    sections = "\n".join(["", *template, "{{returns}}", ""])
    fill = fill_doc(table)

    def decorate(metric: _Metric) -> _Metric:
        metric.__doc__ = inspect.cleandoc(metric.__doc__ or "") + "\n" + sections
        return fill(metric)

    return decorate


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


@_documented("pair", returns=("float", "``mean(|y_true - y_pred|)``."))
def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error."""
    from sklearn.metrics import mean_absolute_error

    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    return float(mean_absolute_error(a, b))


@_documented("pair", returns=("float", "``mean((y_true - y_pred) ** 2)``."))
def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error."""
    from sklearn.metrics import mean_squared_error

    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    return float(mean_squared_error(a, b))


@_documented("pair", returns=("float", "``sqrt(mse(y_true, y_pred))``."))
def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error."""
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


@_documented(
    "pair",
    returns=(
        "float",
        "``200 * mean(|y_true - y_pred| / (|y_true| + |y_pred|))``, "
        "in [0, 200]; terms where both values are 0 count as 0.",
    ),
)
def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error (M4 definition), in percent."""
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


# The parameters of the metrics of sign calls and of probability calls.
_SIGN_CALLS = ("changes", "reference")
_PROBABILITY_CALLS = ("outcomes", "prob_up", "threshold")


@_documented(
    *_SIGN_CALLS,
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


@_documented(
    *_SIGN_CALLS,
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


@_documented(
    *_PROBABILITY_CALLS,
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


@_documented(
    *_PROBABILITY_CALLS,
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


@_documented(
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


@_documented(
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


@_documented(
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
