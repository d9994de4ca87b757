"""Point metrics: errors of forecast values (MAE, MSE, RMSE, MAPE, sMAPE, MASE)."""

from __future__ import annotations

import math

import numpy as np

from tsattn.metrics._common import (
    ArrayLike,
    documented,
    vector,
    vectors,
)

__all__ = ["mae", "mape", "mase", "mse", "naive_scale", "rmse", "smape"]


@documented("pair", returns=("float", "``mean(|y_true - y_pred|)``."))
def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error."""
    from sklearn.metrics import mean_absolute_error

    a, b = vectors(y_true=y_true, y_pred=y_pred)
    return float(mean_absolute_error(a, b))


@documented("pair", returns=("float", "``mean((y_true - y_pred) ** 2)``."))
def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error."""
    from sklearn.metrics import mean_squared_error

    a, b = vectors(y_true=y_true, y_pred=y_pred)
    return float(mean_squared_error(a, b))


@documented("pair", returns=("float", "``sqrt(mse(y_true, y_pred))``."))
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
    a, b = vectors(y_true=y_true, y_pred=y_pred)
    zeros = np.flatnonzero(a == 0)
    if zeros.size:
        raise ValueError(
            f"y_true is 0 at {zeros.size} position(s) (first: {int(zeros[0])}); "
            "MAPE is undefined there. Use smape or mase instead."
        )
    from sklearn.metrics import mean_absolute_percentage_error

    return float(100.0 * mean_absolute_percentage_error(a, b))


@documented(
    "pair",
    returns=(
        "float",
        "``200 * mean(|y_true - y_pred| / (|y_true| + |y_pred|))``, "
        "in [0, 200]; terms where both values are 0 count as 0.",
    ),
)
def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error (M4 definition), in percent."""
    a, b = vectors(y_true=y_true, y_pred=y_pred)
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
    y = vector(y_insample, "y_insample")
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
    a, b = vectors(y_true=y_true, y_pred=y_pred)
    s = vector(scale, "scale")
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
