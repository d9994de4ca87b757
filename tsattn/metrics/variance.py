"""Variance forecast metrics: QLIKE, its differential, Mincer-Zarnowitz."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tsattn.metrics._common import (
    ArrayLike,
    vectors,
)

__all__ = ["mincer_zarnowitz", "qlike", "qlike_differential"]


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
    r, f = vectors(realized_var=realized_var, forecast_var=forecast_var)
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
    r, a, b = vectors(
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

    r, f = vectors(realized_var=realized_var, forecast_var=forecast_var)
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
