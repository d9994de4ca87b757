"""From forecasts of return kinds back to price levels."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from tsattn.targets.kinds import TARGET_KINDS

__all__ = ["cum_log_returns_to_prices", "returns_to_prices", "target_to_prices"]

# Price-like kinds: whether the last price must be > 0 (a log kind), and the
# growth factor of the price, step by step, from the forecasts.
_GROWTH: dict[str, tuple[bool, Callable[[npt.NDArray[np.float64]], Any]]] = {
    "log_return": (True, lambda v: np.exp(np.cumsum(v, axis=-1))),
    "cum_log_return": (True, np.exp),
    "return": (False, lambda v: np.cumprod(1.0 + v, axis=-1)),
    "cum_return": (False, lambda v: 1.0 + v),
}


def _check_last_price(
    last_price: npt.ArrayLike, values: npt.NDArray[np.float64], *, positive: bool
) -> npt.NDArray[np.float64]:
    last = np.asarray(last_price, dtype=np.float64)
    if values.ndim == 0:
        raise ValueError(
            "the forecasts must have at least one dimension (steps along the last "
            "axis); got a scalar. Wrap it in a list for a single step."
        )
    if last.shape != values.shape[:-1]:
        raise ValueError(
            f"last_price has shape {last.shape} but the forecasts have shape "
            f"{values.shape}; last_price must have shape {values.shape[:-1]} "
            "(one price per forecast path, steps along the last axis)."
        )
    bad = ~np.isfinite(last) | ((last <= 0) if positive else np.zeros_like(last, bool))
    if bad.any():
        first = np.asarray(last)[bad].ravel()[0]
        need = "finite and > 0" if positive else "finite"
        raise ValueError(
            f"last_price must be {need}; got {first}. Pass the last observed price."
        )
    return last[..., None]


def returns_to_prices(
    last_price: float | npt.ArrayLike, log_returns: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Turn per-step log returns into a price path.

    Inverse of ``kind="log_return"``: ``P[t+k] = P[t] * exp(r_1 + ... + r_k)``.

    Parameters
    ----------
    last_price : float or array-like
        The price ``P[t]`` the returns start from; one per path, i.e. of shape
        ``log_returns.shape[:-1]`` (a scalar for one path).
    log_returns : array-like of shape (..., H)
        Log returns of steps ``1..H`` along the last axis (``log_return_h1``
        .. ``log_return_hH``).

    Returns
    -------
    prices : ndarray of shape (..., H)
        ``P[t+1] .. P[t+H]``. NaN returns propagate to every later step.

    Notes
    -----
    Quantiles do not survive the cumulative sum: the sum of per-step return
    quantiles is not a quantile of the cumulative return. For price intervals,
    forecast ``kind="cum_log_return"`` and use :func:`cum_log_returns_to_prices`,
    which maps each quantile exactly (it is a monotone transform).

    Examples
    --------
    >>> import numpy as np
    >>> returns_to_prices(100.0, np.log([1.1, 0.9])).round(6)
    array([110.,  99.])
    """
    return target_to_prices(last_price, log_returns, "log_return")


def cum_log_returns_to_prices(
    last_price: float | npt.ArrayLike, cum_log_returns: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Turn cumulative log returns into prices.

    Inverse of ``kind="cum_log_return"``: ``P[t+k] = P[t] * exp(c_k)``.

    Parameters
    ----------
    last_price : float or array-like
        The price ``P[t]``; one per path, of shape ``cum_log_returns.shape[:-1]``.
    cum_log_returns : array-like of shape (..., H)
        ``log P[t+k] - log P[t]`` for ``k = 1..H`` along the last axis.

    Returns
    -------
    prices : ndarray of shape (..., H)
        ``P[t+1] .. P[t+H]``. Being monotone, the map sends each quantile of the
        cumulative return to the same quantile of the price.

    Examples
    --------
    Two paths, each from its own last price:

    >>> cum_log_returns_to_prices([100.0, 50.0], [[0.0, 0.1], [0.0, -0.1]]).round(2)
    array([[100.  , 110.52],
           [ 50.  ,  45.24]])
    """
    return target_to_prices(last_price, cum_log_returns, "cum_log_return")


def target_to_prices(
    last_price: float | npt.ArrayLike, values: npt.ArrayLike, kind: str
) -> npt.NDArray[np.float64]:
    """Map forecasts of one price-like target kind back to price levels.

    Parameters
    ----------
    last_price : float or array-like
        The price ``P[t]`` the forecasts start from, of shape
        ``values.shape[:-1]``.
    values : array-like of shape (..., H)
        Forecasts of steps ``1..H`` of ``kind`` along the last axis, as laid out
        by :func:`make_targets`.
    kind : {"log_return", "cum_log_return", "return", "cum_return", "level"}
        The kind the forecasts are in (see ``y.attrs["tsattn_targets"]``).

    Returns
    -------
    prices : ndarray of shape (..., H)
        ``P[t+1] .. P[t+H]``.

    Examples
    --------
    >>> target_to_prices(100.0, [0.1, -0.1], "return").round(6)
    array([110.,  99.])
    """
    v = np.asarray(values, dtype=np.float64)
    if kind == "level":
        return v.copy()
    if kind in _GROWTH:
        positive, growth = _GROWTH[kind]
        return _check_last_price(last_price, v, positive=positive) * growth(v)
    convertible = ["log_return", "cum_log_return", "return", "cum_return", "level"]
    if kind in TARGET_KINDS:
        raise ValueError(
            f"kind {kind!r} does not describe prices and cannot be turned back into "
            f"them; convertible kinds are {convertible}."
        )
    close = difflib.get_close_matches(str(kind), convertible, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"Unknown target kind {kind!r}.{hint} Convertible kinds are {convertible}."
    )
