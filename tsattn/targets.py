"""Forecasting targets from prices: future returns, levels, direction, volatility.

Volatility comes in two explicit units: ``kind="volatility"`` is a standard
deviation (columns ``realized_vol_k{w}``), ``kind="realized_var"`` a variance
(columns ``realized_var_k{w}``), the unit that QLIKE and GARCH-type models
score; :func:`check_target_loss` rejects a loss paired with the wrong unit.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tsattn import TsattnWarning
from tsattn._validation import Interval, check_scalar

__all__ = [
    "TARGET_KINDS",
    "VARIANCE_ESTIMATORS",
    "TargetMaker",
    "check_target_loss",
    "cum_log_returns_to_prices",
    "make_targets",
    "range_variance",
    "returns_to_prices",
    "row_variance",
    "target_kinds",
    "target_to_prices",
]

#: Every kind understood by :func:`make_targets`, in the order they are documented.
TARGET_KINDS: tuple[str, ...] = (
    "log_return",
    "cum_log_return",
    "return",
    "cum_return",
    "level",
    "direction",
    "volatility",
    "realized_var",
)
#: Per-row variance estimators of the volatility kinds: squared close-to-close
#: log returns, or the range-based Parkinson (1980) and Garman-Klass (1980).
VARIANCE_ESTIMATORS: tuple[str, ...] = ("close", "parkinson", "garman_klass")
# Kinds named by their window (one column each), not by step.
_POSITIVE_INT = Interval(int, 1, None)
_WINDOW_KINDS = frozenset({"volatility", "realized_var"})
# Column prefix of each kind; the window kinds say their unit: vol or var.
_PREFIX = {
    "log_return": "log_return_h",
    "cum_log_return": "cum_log_return_h",
    "return": "return_h",
    "cum_return": "cum_return_h",
    "level": "level_h",
    "direction": "up_h",
    "volatility": "realized_vol_k",
    "realized_var": "realized_var_k",
}
# Kinds that take the logarithm of prices and so need them strictly positive.
_LOG_KINDS = frozenset({"log_return", "cum_log_return", "volatility", "realized_var"})
# Kinds that divide by a price and so need it non-zero.
_RATIO_KINDS = frozenset({"return", "cum_return"})
# Default price columns of a DataFrame, in order of preference.
_PRICE_COLUMNS = ("Close", "close", "Adj Close", "adj_close", "Adj_Close")

TargetKind = str | Sequence[str]


# ---------------------------------------------------------------------------
# parameter and input validation
# ---------------------------------------------------------------------------


def _check_kinds(kind: Any) -> tuple[str, ...]:
    """Return the requested kinds as a tuple, raising on unknown or repeated ones."""
    if isinstance(kind, str):
        kinds: tuple[Any, ...] = (kind,)
    elif isinstance(kind, (list, tuple)):
        kinds = tuple(kind)
    else:
        raise TypeError(
            f"kind must be a string or a list of strings from {list(TARGET_KINDS)}; "
            f"got {type(kind).__name__} ({kind!r})."
        )
    if not kinds:
        raise ValueError(
            f"kind is an empty list; pass at least one of {list(TARGET_KINDS)}."
        )
    for k in kinds:
        if not isinstance(k, str):
            raise TypeError(
                f"every kind must be a string; got {type(k).__name__} ({k!r}) "
                f"in kind={kind!r}."
            )
        if k not in TARGET_KINDS:
            close = difflib.get_close_matches(k, TARGET_KINDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown target kind {k!r}.{hint} "
                f"Valid kinds are {list(TARGET_KINDS)}."
            )
    repeated = sorted({k for k in kinds if kinds.count(k) > 1})
    if repeated:
        raise ValueError(
            f"kind lists {repeated} more than once (kind={list(kinds)}); "
            "each kind may appear once because it would produce duplicate columns."
        )
    return kinds


def _check_params(
    kind: Any, horizon: Any, vol_window: Any, dropna: Any
) -> tuple[tuple[str, ...], int, int | None]:
    """Validate the shared parameters; return kinds, horizon and volatility window."""
    kinds = _check_kinds(kind)
    horizon = int(check_scalar("horizon", horizon, _POSITIVE_INT))
    if vol_window is not None:
        vol_window = int(check_scalar("vol_window", vol_window, _POSITIVE_INT))
        if not _WINDOW_KINDS & set(kinds):
            warnings.warn(
                f"vol_window={vol_window} is only used by kind='volatility' and "
                "kind='realized_var', which are not among the requested kinds "
                f"{list(kinds)}; it is ignored.",
                TsattnWarning,
                stacklevel=3,
            )
    if not isinstance(dropna, (bool, np.bool_)):
        raise TypeError(f"dropna must be True or False; got {dropna!r}.")
    return kinds, horizon, vol_window


def _resolve_price_col(columns: pd.Index, price_col: Hashable | None) -> Hashable:
    """Pick the price column of a DataFrame: the one asked for, or a default."""
    available = list(columns)
    if price_col is not None:
        if price_col in columns:
            return price_col
        close = difflib.get_close_matches(
            str(price_col), [str(c) for c in available], n=1
        )
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"price_col={price_col!r} is not a column of prices.{hint} "
            f"Available columns: {available}."
        )
    for name in _PRICE_COLUMNS:
        if name in columns:
            return name
    if len(available) == 1:
        return available[0]
    raise ValueError(
        f"Cannot tell which column holds the prices: none of {list(_PRICE_COLUMNS)} "
        f"is present. Available columns: {available}. "
        "Pass price_col='<column name>'."
    )


def _extract_prices(
    prices: Any, price_col: Hashable | None
) -> tuple[npt.NDArray[np.float64], pd.Index, Hashable | None]:
    """Return the prices as float64, their index, and the name of the price column."""
    if isinstance(prices, pd.DataFrame):
        col = _resolve_price_col(prices.columns, price_col)
        series = prices[col]
        if isinstance(series, pd.DataFrame):
            raise ValueError(
                f"prices has {series.shape[1]} columns named {col!r}; "
                "rename them so that the price column is unique."
            )
        name: Hashable | None = col
    elif isinstance(prices, pd.Series):
        series, name = prices, prices.name
    else:
        arr = np.asarray(prices)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(
                f"prices must be a Series, a DataFrame or a 1-D array; got an "
                f"array of shape {arr.shape}. Pass a DataFrame with price_col "
                "to pick one column."
            )
        series, name = pd.Series(arr), None
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
        series.dtype
    ):
        raise TypeError(
            f"prices must be numeric; the price column {name!r} has dtype "
            f"{series.dtype}. Convert it first, e.g. pd.to_numeric(...)."
        )
    if len(series) == 0:
        raise ValueError("prices is empty; pass at least two prices.")
    index = series.index
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        if not index.is_unique:
            dup = index[index.duplicated()][0]
            raise ValueError(
                f"prices has duplicated timestamps, the first being {dup}. "
                "Each row must be one time step; aggregate or drop the duplicates."
            )
        if not index.is_monotonic_increasing:
            pos = int(np.flatnonzero(np.diff(index.asi8) < 0)[0]) + 1
            raise ValueError(
                f"prices is not in time order: {index[pos]} (row {pos}) comes after "
                f"{index[pos - 1]}. Sort it first with prices.sort_index()."
            )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"prices contain {int(bad.sum())} missing or infinite value(s); the "
            f"first is {values[first]} at {index[first]} (row {first}). Fill or drop "
            "them before building targets, e.g. prices.ffill()."
        )
    return values, index, name


def _check_price_signs(
    values: npt.NDArray[np.float64], index: pd.Index, kinds: tuple[str, ...]
) -> None:
    log_kinds = [k for k in kinds if k in _LOG_KINDS]
    if log_kinds:
        bad = values <= 0
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"kind {log_kinds} takes the logarithm of prices, which must be > 0; "
                f"found {int(bad.sum())} non-positive price(s), the first is "
                f"{values[first]} at {index[first]} (row {first}). For series that "
                "reach zero or below use kind='level' (or 'return' if no price is 0)."
            )
    ratio_kinds = [k for k in kinds if k in _RATIO_KINDS]
    if ratio_kinds:
        bad = values == 0
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"kind {ratio_kinds} divides by the price, which must be non-zero; "
                f"the price at {index[first]} (row {first}) is 0. Use kind='level' "
                "for such series."
            )


# ---------------------------------------------------------------------------
# target construction
# ---------------------------------------------------------------------------


def _ahead(a: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.float64]:
    """Return ``b`` with ``b[t] = a[t + k]``, NaN where ``t + k`` is past the end."""
    out = np.full(a.shape[0], np.nan)
    if k < a.shape[0]:
        out[: a.shape[0] - k] = a[k:]
    return out


def _column_names(
    kinds: tuple[str, ...], horizon: int, vol_window: int
) -> dict[str, tuple[str, int]]:
    columns: dict[str, tuple[str, int]] = {}
    for k in kinds:
        steps = (vol_window,) if k in _WINDOW_KINDS else range(1, horizon + 1)
        for step in steps:
            columns[f"{_PREFIX[k]}{step}"] = (k, step)
    return columns


def _kind_block(
    kind: str,
    p: npt.NDArray[np.float64],
    horizon: int,
    vol_window: int,
    row_var: npt.NDArray[np.float64] | None = None,
) -> list[npt.NDArray[np.float64]]:
    """Columns of one kind, each ``len(p)`` long, NaN where the future is unknown.

    ``row_var[t]`` is the variance of row ``t`` from a range estimator (used by
    the window kinds instead of the squared log return into row ``t``).
    """
    n = p.shape[0]
    steps = range(1, horizon + 1)
    if kind == "level":
        return [_ahead(p, k) for k in steps]
    if kind == "direction":
        up = []
        for k in steps:
            future = _ahead(p, k)
            col = (future > p).astype(np.float64)
            col[np.isnan(future)] = np.nan
            up.append(col)
        return up
    if kind == "cum_return":
        return [_ahead(p, k) / p - 1.0 for k in steps]
    if kind == "return":
        r1 = _ahead(p, 1) / p - 1.0  # r1[t]: simple return from t to t + 1
        return [_ahead(r1, k - 1) for k in steps]
    logp = np.log(p)
    if kind == "cum_log_return":
        return [_ahead(logp, k) - logp for k in steps]
    d = np.diff(logp)  # d[t]: log return from t to t + 1, length n - 1
    if kind == "log_return":
        r1 = np.append(d, np.nan)
        return [_ahead(r1, k - 1) for k in steps]
    # window kinds: a separate sum per row (not a cumsum difference), so that
    # each value is exactly the sum over its own window and is never negative.
    # per_row[j] is the variance of row j + 1.
    per_row = d * d if row_var is None else row_var[1:]
    out = np.full(n, np.nan)
    if vol_window <= n - 1:
        windows = np.lib.stride_tricks.sliding_window_view(per_row, vol_window)
        out[: n - vol_window] = windows.sum(axis=1)
    return [np.sqrt(out) if kind == "volatility" else out]


# ---------------------------------------------------------------------------
# range-based variance
# ---------------------------------------------------------------------------

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


def _row_variance(
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
    values, index, _ = _extract_prices(prices, None)
    _check_price_signs(values, index, ("realized_var",))
    ranged = _row_variance(prices, estimator, values)
    if ranged is not None:
        return ranged
    return np.concatenate([[np.nan], np.diff(np.log(values)) ** 2])


def _check_estimator(estimator: Any, kinds: tuple[str, ...]) -> str:
    if estimator not in VARIANCE_ESTIMATORS:
        close = difflib.get_close_matches(str(estimator), VARIANCE_ESTIMATORS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown variance_estimator {estimator!r}.{hint} Valid ones are "
            f"{list(VARIANCE_ESTIMATORS)}."
        )
    if estimator != "close" and not _WINDOW_KINDS & set(kinds):
        raise ValueError(
            f"variance_estimator={estimator!r} applies to kind='realized_var' or "
            f"'volatility', which are not among the requested kinds {list(kinds)}; "
            "add one of them or drop variance_estimator."
        )
    return str(estimator)


def make_targets(
    prices: pd.Series | pd.DataFrame | npt.ArrayLike,
    *,
    kind: TargetKind = "log_return",
    horizon: int = 1,
    vol_window: int | None = None,
    price_col: Hashable | None = None,
    dropna: bool = False,
    variance_estimator: str = "close",
) -> pd.DataFrame:
    """Build the targets ``y`` to predict from each row of a price series.

    Row ``t`` of the result holds the *future* outcome that a model sees at time
    ``t`` should predict, computed from ``P[t], P[t+1], ..., P[t+H]`` only. Pair
    it with features built from information up to ``t`` and no shift has to be
    written by hand. ``P`` below is the price series and ``H`` the horizon.

    Parameters
    ----------
    prices : Series, DataFrame or 1-D array-like
        Prices in time order, one row per time step. For a DataFrame the price
        column is ``price_col``; if that is None, the first of ``"Close"``,
        ``"close"``, ``"Adj Close"``, ``"adj_close"``, ``"Adj_Close"`` present, or
        the only column of a one-column frame. A ``DatetimeIndex`` must be
        strictly increasing. Prices must be finite (no NaN).
    kind : str or list of str, default="log_return"
        What to predict; a list concatenates the columns of each kind in the order
        given. For ``k = 1, ..., H``:

        - ``"log_return"``: ``log_return_h{k} = log P[t+k] - log P[t+k-1]``, the
          log return *of step k* (not cumulative).
        - ``"cum_log_return"``: ``cum_log_return_h{k} = log P[t+k] - log P[t]``, the
          log return from ``t`` to ``t+k``; equals the sum of ``log_return_h1``
          .. ``log_return_h{k}``.
        - ``"return"``: ``return_h{k} = P[t+k] / P[t+k-1] - 1``, the simple return
          of step ``k``.
        - ``"cum_return"``: ``cum_return_h{k} = P[t+k] / P[t] - 1``.
        - ``"level"``: ``level_h{k} = P[t+k]``.
        - ``"direction"``: ``up_h{k} = 1.0`` if ``P[t+k] > P[t]`` else ``0.0``, that
          is, whether the price ``k`` steps ahead is above today's (a tie counts as
          0.0). ``up_h1`` is the next-step direction.
        - ``"volatility"``: one column ``realized_vol_k{w}`` with
          ``w = vol_window`` (``H`` when None) holding
          ``sqrt(sum_{j=1..w} (log P[t+j] - log P[t+j-1]) ** 2)``, the realized
          volatility of the next ``w`` steps. It is not annualised; multiply by
          ``sqrt(periods_per_year / w)`` for an annualised figure. A standard
          deviation: score it with MSE/MAE, not QLIKE.
        - ``"realized_var"``: one column ``realized_var_k{w}`` holding the square
          of that sum's root, ``sum_{j=1..w} (log P[t+j] - log P[t+j-1]) ** 2``,
          the realized variance of the next ``w`` steps: the unit of QLIKE and of
          GARCH-type forecasts.

        With ``variance_estimator`` "parkinson" or "garman_klass" the two window
        kinds sum the range-based variance of rows ``t+1 .. t+w`` instead (see
        :func:`range_variance`).

        The log kinds (``log_return``, ``cum_log_return``, ``volatility``,
        ``realized_var``) need prices > 0; ``return`` and ``cum_return`` need
        non-zero prices.
    horizon : int, default=1
        Number of steps ahead ``H`` (>= 1).
    vol_window : int or None, default=None
        Number of future steps summed by ``"volatility"`` and ``"realized_var"``;
        None means ``horizon``. Used by those kinds only (a warning is issued
        otherwise).
    price_col : hashable or None, default=None
        Column of a DataFrame that holds the prices. Not used for a Series or an
        array.
    dropna : bool, default=False
        The last rows have no complete future (``H`` rows, or ``vol_window`` for
        volatility, whichever is larger) and hold NaN. By default they are kept,
        so the result has the same length and index as ``prices`` and lines up
        with features row for row. ``dropna=True`` drops exactly these tail rows
        and nothing else (prices may not contain NaN, so no other row can be
        NaN).
    variance_estimator : {"close", "parkinson", "garman_klass"}, default="close"
        Per-row variance summed by the window kinds: squared close-to-close log
        returns, or a range-based estimator from the ``High`` and ``Low``
        columns (and ``Open`` for Garman-Klass) of a DataFrame.

    Returns
    -------
    y : DataFrame
        Float64 targets on the index of ``prices`` (without the tail rows when
        ``dropna=True``). ``y.attrs["tsattn_targets"]`` records how they were
        built: ``{"kind": [...], "horizon": H, "vol_window": w,
        "price_col": name, "dropna": bool, "variance_estimator": name,
        "columns": {column: (kind, step)}}``,
        where ``step`` is ``k`` (or the window ``w`` for volatility). Forecasts of
        return kinds map back to prices with :func:`target_to_prices`.

    Raises
    ------
    ValueError
        On an unknown or repeated kind, ``horizon`` or ``vol_window`` < 1,
        missing/infinite prices, non-positive prices for log kinds, a zero price
        for simple returns, a missing price column, a timestamp index out of
        order or duplicated, ``dropna=True`` on a series too short to keep
        any row, or a range-based ``variance_estimator`` without the
        ``High``/``Low`` (and ``Open``) columns or without a window kind.
    TypeError
        On non-integer ``horizon`` / ``vol_window``, a non-string kind, or
        non-numeric prices.

    See Also
    --------
    TargetMaker : The same as a scikit-learn transformer.
    returns_to_prices : Turn forecast log returns into a price path.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.targets import make_targets
    >>> prices = pd.Series([100.0, 110.0, 99.0, 108.9], name="Close")
    >>> make_targets(prices, kind=["level", "cum_return"], horizon=2).round(3)
       level_h1  level_h2  cum_return_h1  cum_return_h2
    0     110.0      99.0            0.1          -0.01
    1      99.0     108.9           -0.1          -0.01
    2     108.9       NaN            0.1            NaN
    3       NaN       NaN            NaN            NaN
    >>> make_targets(prices, kind="direction", dropna=True)
       up_h1
    0    1.0
    1    0.0
    2    1.0
    """
    kinds, horizon, vol_window = _check_params(kind, horizon, vol_window, dropna)
    estimator = _check_estimator(variance_estimator, kinds)
    window = horizon if vol_window is None else vol_window
    values, index, name = _extract_prices(prices, price_col)
    _check_price_signs(values, index, kinds)
    row_var = _row_variance(prices, estimator, values)

    columns = _column_names(kinds, horizon, window)
    data: list[npt.NDArray[np.float64]] = []
    for k in kinds:
        data.extend(_kind_block(k, values, horizon, window, row_var))
    y = pd.DataFrame(dict(zip(columns, data)), index=index)

    # rows past the last one with a complete future for every requested kind
    tail = max(window if k in _WINDOW_KINDS else horizon for k in kinds)
    n_complete = max(len(values) - tail, 0)
    if n_complete == 0:
        if dropna:
            raise ValueError(
                f"dropna=True would drop every row: the targets look {tail} step(s) "
                f"ahead but prices has only {len(values)} row(s). Pass more than "
                f"{tail} prices or reduce horizon / vol_window."
            )
        warnings.warn(
            f"No row has a complete target: the targets look {tail} step(s) ahead "
            f"but prices has only {len(values)} row(s), so every row holds NaN.",
            TsattnWarning,
            stacklevel=2,
        )
    if dropna:
        y = y.iloc[:n_complete].copy()
    y.attrs["tsattn_targets"] = {
        "kind": list(kinds),
        "horizon": horizon,
        "vol_window": window if _WINDOW_KINDS & set(kinds) else None,
        "price_col": name,
        "dropna": bool(dropna),
        "variance_estimator": estimator,
        "columns": columns,
    }
    return y


# ---------------------------------------------------------------------------
# target / loss pairing
# ---------------------------------------------------------------------------

# Which target kinds each loss can score; losses not listed accept any kind.
_LOSS_KINDS = {
    "qlike": ("realized_var",),
    "bce": ("direction",),
}


def target_kinds(y: Any) -> dict[str, str]:
    """Map each target column to its kind.

    Parameters
    ----------
    y : DataFrame, Series or None
        Targets; the kinds come from ``y.attrs["tsattn_targets"]`` (set by
        :func:`make_targets`) or else from column names such as ``up_h1`` or
        ``realized_var_k5``. Columns of unknown kind are left out.

    Returns
    -------
    kinds : dict
        ``{column name: kind}``.

    Examples
    --------
    >>> import pandas as pd
    >>> target_kinds(pd.DataFrame({"up_h1": [1.0], "x": [0.0]}))
    {'up_h1': 'direction'}
    """
    meta = getattr(y, "attrs", {}).get("tsattn_targets") if y is not None else None
    if meta and "columns" in meta:
        return {str(c): kind for c, (kind, _) in meta["columns"].items()}
    names = (
        list(y.columns)
        if isinstance(y, pd.DataFrame)
        else [y.name]
        if isinstance(y, pd.Series)
        else []
    )
    found = {}
    for name in map(str, names):
        for kind, prefix in _PREFIX.items():
            rest = name[len(prefix) :]
            if name.startswith(prefix) and rest.isdigit():
                found[name] = kind
    return found


def check_target_loss(y: Any, loss: str) -> None:
    """Raise when ``loss`` cannot score the target kind of ``y``.

    QLIKE scores a *variance*: it needs ``kind="realized_var"``
    (``realized_var_k{w}``), not ``"volatility"`` (a standard deviation) nor a
    return. Binary cross-entropy needs a ``"direction"`` target. The kinds are
    read from ``y.attrs["tsattn_targets"]`` (set by :func:`make_targets`) or,
    for a plain frame, from the column names; columns of unknown kind pass.

    Parameters
    ----------
    y : DataFrame or Series
        Targets, as built by :func:`make_targets`.
    loss : str
        Loss name, e.g. ``"qlike"``, ``"bce"``, ``"mse"``.

    Raises
    ------
    ValueError
        Naming the column, its kind, the loss and the kind to use instead.

    Examples
    --------
    >>> import pandas as pd
    >>> y = make_targets(pd.Series([1.0, 1.1, 1.0, 1.2]), kind="volatility")
    >>> check_target_loss(y, "mse")
    >>> check_target_loss(y, "qlike")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: loss 'qlike' scores kind 'realized_var', but column ...
    """
    allowed = _LOSS_KINDS.get(str(loss))
    if allowed is None:
        return
    for column, kind in target_kinds(y).items():
        if kind not in allowed:
            what = " (a standard deviation)" if kind == "volatility" else ""
            raise ValueError(
                f"loss {loss!r} scores kind {allowed[0]!r}, but column {column!r} "
                f"is kind {kind!r}{what}; build the target with kind={allowed[0]!r} "
                "or choose another loss."
            )


# ---------------------------------------------------------------------------
# from return forecasts back to prices
# ---------------------------------------------------------------------------


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
    r = np.asarray(log_returns, dtype=np.float64)
    last = _check_last_price(last_price, r, positive=True)
    return last * np.exp(np.cumsum(r, axis=-1))


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
    >>> import numpy as np
    >>> cum_log_returns_to_prices(100.0, np.log([1.1, 0.99])).round(6)
    array([110.,  99.])
    """
    c = np.asarray(cum_log_returns, dtype=np.float64)
    last = _check_last_price(last_price, c, positive=True)
    return last * np.exp(c)


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
    if kind == "log_return":
        return returns_to_prices(last_price, v)
    if kind == "cum_log_return":
        return cum_log_returns_to_prices(last_price, v)
    if kind == "return":
        last = _check_last_price(last_price, v, positive=False)
        return last * np.cumprod(1.0 + v, axis=-1)
    if kind == "cum_return":
        return _check_last_price(last_price, v, positive=False) * (1.0 + v)
    if kind == "level":
        return v.copy()
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


# ---------------------------------------------------------------------------
# scikit-learn transformer
# ---------------------------------------------------------------------------


class TargetMaker(TransformerMixin, BaseEstimator):
    """Transformer that turns prices into forecasting targets.

    ``transform`` is :func:`make_targets` with this transformer's parameters; see
    there for the exact definition of every kind and of the tail rows.

    Parameters
    ----------
    kind : str or list of str, default="log_return"
        Target kind(s): ``"log_return"``, ``"cum_log_return"``, ``"return"``,
        ``"cum_return"``, ``"level"``, ``"direction"``, ``"volatility"``,
        ``"realized_var"``.
    horizon : int, default=1
        Number of steps ahead (>= 1).
    vol_window : int or None, default=None
        Steps summed by ``"volatility"`` / ``"realized_var"``; None: ``horizon``.
    price_col : hashable or None, default=None
        Price column of a DataFrame; None picks ``"Close"`` and friends.
    dropna : bool, default=False
        Drop the tail rows that have no complete future. Note that this makes
        the output shorter than the input.
    variance_estimator : {"close", "parkinson", "garman_klass"}, default="close"
        Per-row variance of the window kinds (range-based ones need a
        DataFrame with High/Low, and Open for Garman-Klass).

    Attributes
    ----------
    price_col_ : hashable or None
        The price column used during ``fit`` (the Series name for a Series,
        None for an array).
    kinds_ : tuple of str
        The validated kinds.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen during ``fit``, when they are all strings.

    See Also
    --------
    make_targets : The function behind ``transform``.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.targets import TargetMaker
    >>> df = pd.DataFrame({"Open": [1.0, 2.0, 4.0], "Close": [1.0, 2.0, 4.0]})
    >>> tm = TargetMaker(kind="level", horizon=2).fit(df)
    >>> tm.get_feature_names_out()
    array(['level_h1', 'level_h2'], dtype=object)
    >>> tm.transform(df)
       level_h1  level_h2
    0       2.0       4.0
    1       4.0       NaN
    2       NaN       NaN
    """

    def __init__(
        self,
        *,
        kind: TargetKind = "log_return",
        horizon: int = 1,
        vol_window: int | None = None,
        price_col: Hashable | None = None,
        dropna: bool = False,
        variance_estimator: str = "close",
    ) -> None:
        self.kind = kind
        self.horizon = horizon
        self.vol_window = vol_window
        self.price_col = price_col
        self.dropna = dropna
        self.variance_estimator = variance_estimator

    def fit(self, X: Any, y: Any = None) -> TargetMaker:
        """Validate the parameters and the prices, and remember the price column.

        Parameters
        ----------
        X : Series, DataFrame or 1-D array-like
            Prices, as for :func:`make_targets`.
        y : None
            Ignored.

        Returns
        -------
        self : TargetMaker
            The fitted transformer.
        """
        kinds, _, _ = _check_params(
            self.kind, self.horizon, self.vol_window, self.dropna
        )
        _check_estimator(self.variance_estimator, kinds)
        values, index, name = _extract_prices(X, self.price_col)
        _check_price_signs(values, index, kinds)
        _row_variance(X, self.variance_estimator, values)
        self.kinds_ = kinds
        self.price_col_ = name
        self._fitted_on_frame = isinstance(X, pd.DataFrame)
        if isinstance(X, pd.DataFrame):
            self.n_features_in_ = X.shape[1]
            if all(isinstance(c, str) for c in X.columns):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        else:
            self.n_features_in_ = 1
            if isinstance(X, pd.Series) and isinstance(X.name, str):
                self.feature_names_in_ = np.asarray([X.name], dtype=object)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Build the targets from ``X``.

        Parameters
        ----------
        X : Series, DataFrame or 1-D array-like
            Prices. A DataFrame must contain the price column seen in ``fit``.

        Returns
        -------
        y : DataFrame
            As returned by :func:`make_targets`.
        """
        check_is_fitted(self, "kinds_")
        price_col = self.price_col
        if isinstance(X, pd.DataFrame) and self._fitted_on_frame:
            if self.price_col_ not in X.columns:
                raise ValueError(
                    f"X has no column {self.price_col_!r}, the price column seen in "
                    f"fit. Available columns: {list(X.columns)}."
                )
            price_col = self.price_col_
        return make_targets(
            X,
            kind=self.kind,
            horizon=self.horizon,
            vol_window=self.vol_window,
            price_col=price_col,
            dropna=self.dropna,
            variance_estimator=self.variance_estimator,
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the target columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_``; the output names depend
            on ``kind``, ``horizon`` and ``vol_window`` alone.

        Returns
        -------
        names : ndarray of str
            The columns that ``transform`` returns, in order.
        """
        check_is_fitted(self, "kinds_")
        if input_features is not None and hasattr(self, "feature_names_in_"):
            given = np.asarray(input_features, dtype=object)
            if not np.array_equal(given, self.feature_names_in_):
                raise ValueError(
                    f"input_features {list(given)} differ from the columns seen in "
                    f"fit {list(self.feature_names_in_)}."
                )
        window = self.horizon if self.vol_window is None else self.vol_window
        names = _column_names(self.kinds_, self.horizon, window)
        return np.asarray(list(names), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = False
        return tags
