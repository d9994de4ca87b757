"""Reading a user's daily OHLCV CSV file, whatever site or broker wrote it."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsattn import TsattnWarning

__all__ = ["load_ohlcv_csv"]

_ALIASES = {
    "Open": ("open", "openprice", "opening"),
    "High": ("high", "highprice"),
    "Low": ("low", "lowprice"),
    "Close": ("close", "closelast", "closeprice", "last", "lastprice", "price"),
    "Adj Close": ("adjclose", "adjustedclose", "adjcloseprice"),
    "Volume": ("volume", "vol", "totalvolume"),
}
_DATE_ALIASES = ("date", "datetime", "timestamp", "time", "day", "tradedate")
_MISSING = {"", "null", "nan", "na", "n/a", "-", "--", "none"}
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9}
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _norm(label: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(label).lower())


def _parse_numbers(raw: pd.Series, column: str) -> pd.Series:
    text = raw.str.strip().str.replace("$", "", regex=False).str.replace(" ", "")
    missing = text.str.lower().isin(_MISSING)
    thousands = text.str.fullmatch(_THOUSANDS)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    text = text.str.removesuffix("%")
    suffix = text.str[-1:].str.upper()
    factor = suffix.map(_SUFFIX).astype("float64")
    has_suffix = factor.notna() & text.str[:-1].str.fullmatch(r"[-+]?[\d.]+")
    text = text.where(~has_suffix, text.str[:-1])
    values = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    values = values.where(~has_suffix, values * factor)
    bad = values.isna() & ~missing
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"Could not parse {raw.iloc[row]!r} as a number in column {column!r} at "
            f"data row {row} (line {row + 2} of the file); {int(bad.sum())} such "
            "value(s) in that column. Fix the file or remove the column."
        )
    return values


def _parse_dates(raw: pd.Series, column: str, date_format: str | None):
    text = raw.str.strip()
    missing = text.str.lower().isin(_MISSING)
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise ValueError(
            f"Date column {column!r} is empty at data row {row} (line {row + 2} of "
            "the file); every row needs a date."
        )
    if date_format is None and text.str.contains(_OFFSET).all():
        # keep the exchange's wall-clock stamps; offsets change with DST
        text = text.str.replace(_OFFSET, "", regex=True).str.strip()
    parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise ValueError(
            f"Could not parse {raw.iloc[row]!r} as a date in column {column!r} at "
            f"data row {row} (line {row + 2} of the file). Pass date_format= (e.g. "
            "'%d/%m/%Y') if the dates use a fixed format."
        )
    return pd.DatetimeIndex(parsed, name="date")


def _check_bars(df: pd.DataFrame) -> None:
    prices = [c for c in ("Open", "High", "Low", "Close", "Adj Close") if c in df]
    nonpos = (df[prices] <= 0).any(axis=1).to_numpy()
    if nonpos.any():
        row = int(np.flatnonzero(nonpos)[0])
        warnings.warn(
            f"{int(nonpos.sum())} row(s) hold prices <= 0, first on "
            f"{df.index[row].date()}; log returns are undefined there.",
            TsattnWarning,
            stacklevel=3,
        )
    if {"High", "Low"} <= set(df.columns):
        others = [c for c in ("Open", "Close") if c in df]
        top = df[[*others, "Low"]].max(axis=1)
        bottom = df[[*others, "High"]].min(axis=1)
        bad = ((df["High"] < top) | (df["Low"] > bottom)).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            warnings.warn(
                f"{int(bad.sum())} bar(s) are inconsistent (High below Open/Close/Low "
                f"or Low above them), first on {df.index[row].date()}; check the "
                "file.",
                TsattnWarning,
                stacklevel=3,
            )


def load_ohlcv_csv(
    path: str | os.PathLike,
    *,
    date_col: str | None = None,
    date_format: str | None = None,
    sort: bool = False,
) -> pd.DataFrame:
    """Load a user's daily OHLCV CSV file into a DataFrame on a DatetimeIndex.

    Headers are matched case-insensitively, ignoring spaces and punctuation, so
    broker and site variants work: ``Date``, ``Open``, ``High``, ``Low``,
    ``Close`` (or ``Close/Last``, ``Last``, ``Price``), ``Adj Close`` (or
    ``adj_close``), ``Volume`` (or ``Vol.``). Numbers may carry ``$`` signs,
    thousands separators (``1,234.5``), a ``%`` sign or a K/M/B suffix
    (``1.2M``); the cells ``""``, ``null``, ``NaN``, ``N/A`` and ``-`` become NaN.
    Time-zone offsets in the dates are dropped, keeping the wall-clock time.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    date_col : str, optional
        Name of the date column (case-insensitive); found automatically when it
        is called Date, Datetime, Timestamp, Time or Day.
    date_format : str, optional
        strftime format of the dates, e.g. ``"%d/%m/%Y"``; inferred otherwise.
    sort : bool, default=False
        Sort the rows by date. Without it, dates out of order raise (many sites
        export newest first; pass ``sort=True`` for those files).

    Returns
    -------
    pandas.DataFrame
        float64 columns Open, High, Low, Close, Adj Close, Volume (those present,
        in this order, under these names), then any other columns of the file
        under their own names; a DatetimeIndex named ``"date"``, increasing.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        With the column and row, for a missing date or Close column, unparseable
        numbers or dates, duplicate dates, or dates out of order without
        ``sort=True``.

    Warns
    -----
    TsattnWarning
        For prices <= 0 or bars whose High / Low do not bracket Open and Close.
    """
    file = Path(os.fspath(path))
    if not file.is_file():
        raise FileNotFoundError(
            f"No such OHLCV file: {str(file.resolve())!r}"
            + (" (it is a folder)." if file.is_dir() else ".")
        )
    raw = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.empty:
        raise ValueError(f"{file.name} holds no data rows.")
    found = list(raw.columns)
    normed = [_norm(c) for c in found]
    if date_col is not None:
        hits = [c for c, n in zip(found, normed) if n == _norm(date_col)]
        if not hits:
            raise ValueError(
                f"date_col={date_col!r} is not a column of {file.name}; its columns "
                f"are {found}."
            )
    else:
        hits = [c for c, n in zip(found, normed) if n in _DATE_ALIASES]
        if not hits:
            raise ValueError(
                f"No date column found in {file.name} (columns: {found}); pass "
                "date_col=<name of the date column>."
            )
    date_name = hits[0]
    names: dict[str, str] = {}
    for col, n in zip(found, normed):
        if col == date_name:
            continue
        canonical = next((k for k, v in _ALIASES.items() if n in v), col)
        if canonical in names.values():
            first = next(k for k, v in names.items() if v == canonical)
            raise ValueError(
                f"Columns {first!r} and {col!r} of {file.name} both mean "
                f"{canonical!r}; remove one of them."
            )
        names[col] = canonical
    if "Close" not in names.values():
        raise ValueError(
            f"No Close column in {file.name} (columns: {found}); name the closing "
            "price column Close (Close/Last, Last and Price are also understood)."
        )
    index = _parse_dates(raw[date_name], date_name, date_format)
    order = [c for c in _ALIASES if c in names.values()]
    order += [v for v in names.values() if v not in _ALIASES]
    by_canonical = {v: k for k, v in names.items()}
    df = pd.DataFrame(
        {c: _parse_numbers(raw[by_canonical[c]], by_canonical[c]) for c in order}
    )
    df.index = index
    dup = index.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(index == index[row])[0])
        raise ValueError(
            f"Date {index[row]} appears more than once in {file.name} (data rows "
            f"{first} and {row}); {int(dup.sum())} duplicate(s) in all. Remove them."
        )
    if not index.is_monotonic_increasing:
        if not sort:
            if index.is_monotonic_decreasing:
                raise ValueError(
                    f"The dates in {file.name} are in descending order (newest "
                    f"first: {index[0].date()} .. {index[-1].date()}); pass sort=True "
                    "to sort them oldest first."
                )
            row = int(np.flatnonzero(np.diff(index.asi8) < 0)[0]) + 1
            raise ValueError(
                f"The dates in {file.name} are out of order: {index[row]} (data row "
                f"{row}) comes after {index[row - 1]}; pass sort=True to sort them."
            )
        df = df.sort_index(kind="stable")
    _check_bars(df)
    return df
