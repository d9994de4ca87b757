"""Per-row variance of log returns: squared close-to-close or range-based.

The volatility kinds of :func:`tsattn.targets.make_targets` sum these over
their window.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn.targets.inputs import check_price_signs, extract_prices
from tsattn.targets.kinds import WINDOW_KINDS

__all__ = [
    "VARIANCE_ESTIMATORS",
    "check_estimator",
    "estimator_row_variance",
    "range_variance",
    "row_variance",
]

#: Per-row variance estimators of the volatility kinds: squared close-to-close
#: log returns, or the range-based Parkinson (1980) and Garman-Klass (1980).
VARIANCE_ESTIMATORS: tuple[str, ...] = ("close", "parkinson", "garman_klass")

_OHLC_COLUMNS = {
    "High": ("High", "high", "HIGH"),
    "Low": ("Low", "low", "LOW"),
    "Open": ("Open", "open", "OPEN"),
}


def range_variance(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    *,
    open_: npt.ArrayLike | None = None,
    close: npt.ArrayLike | None = None,
    estimator: str = "parkinson",
) -> npt.NDArray[np.float64]:
    """Per-row variance of log prices from the day's range.

    - Parkinson (1980): ``(log(H / L)) ** 2 / (4 log 2)``;
    - Garman-Klass (1980): ``0.5 (log(H / L)) ** 2 - (2 log 2 - 1)
      (log(C / O)) ** 2``, which also needs the open and the close.

    Both estimate the variance of the row's log return under a driftless
    Brownian motion within the row, with less noise than the squared
    close-to-close return; neither sees the overnight gap.

    Parameters
    ----------
    high, low : array-like of shape (n,)
        Highest and lowest prices of each row, ``high >= low > 0``.
    open_, close : array-like of shape (n,) or None, default=None
        Opening and closing prices, needed by Garman-Klass, inside the range.
    estimator : {"parkinson", "garman_klass"}, default="parkinson"
        The formula.

    Returns
    -------
    variance : ndarray of shape (n,)
        Non-negative for Parkinson; Garman-Klass can be slightly negative on a
        row whose open-to-close move nearly spans the range.

    Raises
    ------
    ValueError
        On an unknown estimator, mismatched lengths, non-finite or non-positive
        prices, a low above the high, or an open or close outside the range.

    Examples
    --------
    >>> import numpy as np
    >>> v = range_variance([110.0], [100.0])
    >>> bool(np.isclose(v[0], np.log(1.1) ** 2 / (4 * np.log(2))))
    True
    """
    if estimator not in ("parkinson", "garman_klass"):
        raise ValueError(
            f"estimator must be 'parkinson' or 'garman_klass'; got {estimator!r}."
        )
    arrays = {"high": high, "low": low}
    if estimator == "garman_klass":
        if open_ is None or close is None:
            raise ValueError(
                "the Garman-Klass variance needs the open and the close as well as "
                "the high and the low; pass open_ and close, or use 'parkinson'."
            )
        arrays.update(open=open_, close=close)
    values = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in arrays.items()}
    lengths = {k: len(v) for k, v in values.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"high, low, open and close differ in length: {lengths}.")
    for k, v in values.items():
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{k} prices must be finite and > 0; row {first} holds {v[first]}."
            )
    h, lo = values["high"], values["low"]
    if (lo > h).any():
        first = int(np.flatnonzero(lo > h)[0])
        raise ValueError(
            f"the low is above the high at row {first} ({lo[first]} > {h[first]}); "
            "check the column order of the data."
        )
    hl = np.log(h / lo) ** 2
    if estimator == "parkinson":
        return hl / (4.0 * np.log(2.0))
    for k in ("open", "close"):
        v = values[k]
        outside = (v > h * (1 + 1e-12)) | (v < lo * (1 - 1e-12))
        if outside.any():
            first = int(np.flatnonzero(outside)[0])
            raise ValueError(
                f"the {k} at row {first} ({v[first]}) is outside the row's range "
                f"[{lo[first]}, {h[first]}]; check the data."
            )
    co = np.log(values["close"] / values["open"]) ** 2
    return 0.5 * hl - (2.0 * np.log(2.0) - 1.0) * co


def _ohlc_column(prices: pd.DataFrame, field: str, why: str) -> pd.Series:
    for name in _OHLC_COLUMNS[field]:
        if name in prices.columns:
            return prices[name]
    raise ValueError(
        f"{why} needs a {field!r} column; the data have {list(prices.columns)}. "
        f"Pass OHLC data or use variance_estimator='close'."
    )


def estimator_row_variance(
    prices: Any, estimator: str, close: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64] | None:
    """Per-row range variance for ``estimator``, None for close-to-close."""
    if estimator == "close":
        return None
    why = f"variance_estimator={estimator!r}"
    if not isinstance(prices, pd.DataFrame):
        raise ValueError(
            f"{why} needs a DataFrame with 'High' and 'Low' columns; got "
            f"{type(prices).__name__}. Pass OHLC data or use "
            "variance_estimator='close'."
        )
    high = _ohlc_column(prices, "High", why).to_numpy(dtype=np.float64)
    low = _ohlc_column(prices, "Low", why).to_numpy(dtype=np.float64)
    if estimator == "parkinson":
        return range_variance(high, low, estimator="parkinson")
    open_ = _ohlc_column(prices, "Open", why).to_numpy(dtype=np.float64)
    return range_variance(high, low, open_=open_, close=close, estimator="garman_klass")


def row_variance(prices: Any, estimator: str = "close") -> npt.NDArray[np.float64]:
    """Variance of each row's log return: squared close-to-close or range-based.

    Parameters
    ----------
    prices : DataFrame, Series or 1-D array-like
        Prices; a DataFrame with High/Low (and Open) columns for the range
        estimators.
    estimator : {"close", "parkinson", "garman_klass"}, default="close"
        ``"close"``: ``(log P[t] - log P[t-1]) ** 2`` (NaN at row 0); the others
        see :func:`range_variance` (defined at every row).

    Returns
    -------
    variance : ndarray of shape (n,)

    Raises
    ------
    ValueError
        On an unknown estimator, non-positive prices, or missing range columns.

    Examples
    --------
    >>> row_variance([100.0, 110.0]).round(6)
    array([     nan, 0.009084])
    """
    if estimator not in VARIANCE_ESTIMATORS:
        raise ValueError(
            f"Unknown variance_estimator {estimator!r}; valid ones are "
            f"{list(VARIANCE_ESTIMATORS)}."
        )
    values, index, _ = extract_prices(prices, None)
    check_price_signs(values, index, ("realized_var",))
    ranged = estimator_row_variance(prices, estimator, values)
    if ranged is not None:
        return ranged
    return np.concatenate([[np.nan], np.diff(np.log(values)) ** 2])


def check_estimator(estimator: Any, kinds: tuple[str, ...]) -> str:
    """Return ``estimator`` once it is known and applies to one of ``kinds``.

    Parameters
    ----------
    estimator : str
        One of :data:`VARIANCE_ESTIMATORS`.
    kinds : tuple of str
        The requested target kinds; a range-based estimator needs a window
        kind among them.

    Returns
    -------
    str
        The estimator.
    """
    if estimator not in VARIANCE_ESTIMATORS:
        close = difflib.get_close_matches(str(estimator), VARIANCE_ESTIMATORS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown variance_estimator {estimator!r}.{hint} Valid ones are "
            f"{list(VARIANCE_ESTIMATORS)}."
        )
    if estimator != "close" and not WINDOW_KINDS & set(kinds):
        raise ValueError(
            f"variance_estimator={estimator!r} applies to kind='realized_var' or "
            f"'volatility', which are not among the requested kinds {list(kinds)}; "
            "add one of them or drop variance_estimator."
        )
    return str(estimator)
