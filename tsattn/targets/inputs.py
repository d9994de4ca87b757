"""Prices as targets read them: the price column, its values, their signs."""

from __future__ import annotations

import difflib
from collections.abc import Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["check_price_signs", "extract_prices", "resolve_price_col"]

# Kinds that take the logarithm of prices and so need them strictly positive.
_LOG_KINDS = frozenset({"log_return", "cum_log_return", "volatility", "realized_var"})
# Kinds that divide by a price and so need it non-zero.
_RATIO_KINDS = frozenset({"return", "cum_return"})
# Default price columns of a DataFrame, in order of preference.
_PRICE_COLUMNS = ("Close", "close", "Adj Close", "adj_close", "Adj_Close")


def resolve_price_col(columns: pd.Index, price_col: Hashable | None) -> Hashable:
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


def extract_prices(
    prices: Any, price_col: Hashable | None
) -> tuple[npt.NDArray[np.float64], pd.Index, Hashable | None]:
    """Return the prices as float64, their index, and the name of the price column."""
    if isinstance(prices, pd.DataFrame):
        col = resolve_price_col(prices.columns, price_col)
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
    _refuse_rows(
        ~np.isfinite(values),
        values,
        index,
        "prices contain {n} missing or infinite value(s); the first is {value} "
        "at {at} (row {row}). Fill or drop them before building targets, e.g. "
        "prices.ffill().",
    )
    return values, index, name


def check_price_signs(
    values: npt.NDArray[np.float64], index: pd.Index, kinds: tuple[str, ...]
) -> None:
    """Raise when a price cannot serve ``kinds``: log kinds need > 0, ratios != 0.

    Parameters
    ----------
    values : ndarray of shape (n,)
        The prices.
    index : pandas.Index
        Their index, to name the first offending row.
    kinds : tuple of str
        The requested target kinds.

    Raises
    ------
    ValueError
        Naming the first non-positive (log kinds) or zero (simple returns)
        price.
    """
    log_kinds = [k for k in kinds if k in _LOG_KINDS]
    if log_kinds:
        _refuse_rows(
            values <= 0,
            values,
            index,
            f"kind {log_kinds} takes the logarithm of prices, which must be > 0; "
            "found {n} non-positive price(s), the first is {value} at {at} (row "
            "{row}). For series that reach zero or below use kind='level' (or "
            "'return' if no price is 0).",
        )
    ratio_kinds = [k for k in kinds if k in _RATIO_KINDS]
    if ratio_kinds:
        _refuse_rows(
            values == 0,
            values,
            index,
            f"kind {ratio_kinds} divides by the price, which must be non-zero; "
            "the price at {at} (row {row}) is 0. Use kind='level' for such series.",
        )


def _refuse_rows(
    bad: npt.NDArray[np.bool_],
    values: npt.NDArray[np.float64],
    index: pd.Index,
    message: str,
) -> None:
    """Raise ``message`` when any row is ``bad``, naming the first one.

    ``message`` may name ``{n}`` (bad rows), ``{value}``, ``{at}`` (its
    index label) and ``{row}`` (its position) of the first bad row.
    """
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        n = int(bad.sum())
        raise ValueError(message.format(n=n, value=values[row], at=index[row], row=row))
