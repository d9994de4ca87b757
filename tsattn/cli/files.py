"""Reading data files and writing output files (atomically, checked first)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsattn._io import atomic_write, check_writable
from tsattn.cli.console import one_line

_DATE_NAMES = ("date", "datetime", "timestamp", "time", "ds", "day")
_CLOSE_NAMES = ("close", "closelast", "closeprice", "last", "lastprice", "price")


def check_output(path: str | os.PathLike[str], what: str) -> Path:
    """Fail early, before any work, when ``path`` cannot be written."""
    return check_writable(path, what)


def is_parquet(path: Path) -> bool:
    """Whether ``path`` names a Parquet file (``.parquet`` or ``.pq``)."""
    return path.suffix.lower() in (".parquet", ".pq")


def write_table(frame: pd.DataFrame, path: Path, *, index: bool) -> Path:
    """Write ``frame`` as Parquet (``.parquet``/``.pq``) or CSV, atomically."""
    if is_parquet(path):
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=index))
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=index))


def normalize_label(label: Any) -> str:
    """Return ``label`` lower-cased, letters and digits only (``Close*`` → close)."""
    return "".join(ch for ch in str(label).lower() if ch.isalnum())


def existing_file(path: str | os.PathLike[str], what: str) -> Path:
    """Return ``path`` as a Path, or fail naming ``what`` when it is no file."""
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{what} file {str(file)!r} does not exist.")
    if file.is_dir():
        raise IsADirectoryError(f"{what} {str(file)!r} is a folder, not a file.")
    return file


_DIALECT_HINT = (
    "if the file uses another separator or decimal commas, pass --sep (e.g. "
    "--sep ';') and --decimal ','"
)


def _cli_hint(exc: BaseException) -> str:
    """Return the reader's message in the command line's words (its options)."""
    text = one_line(exc).replace("Pass date_format=", "Pass --date-format")
    text = text.replace("pass date_col=<name of the date column>", "pass --date-col")
    if "as a number" in text:
        text = f"{text.rstrip('.')}; {_DIALECT_HINT}."
    return text


def _check_dialect(sep: str | None, decimal: str) -> None:
    if sep is not None and not sep:
        raise ValueError("--sep is empty; pass a separator such as ';' or '\\t'.")
    if len(decimal) != 1:
        raise ValueError(f"--decimal must be one character, e.g. ','; got {decimal!r}.")
    if decimal == (sep or ","):
        raise ValueError(
            f"--decimal {decimal!r} is also the column separator; pass another "
            "--sep, e.g. --sep ';' for a file with decimal commas."
        )


def read_data(
    path: str | os.PathLike[str],
    *,
    date_col: str | None = None,
    sep: str | None = None,
    decimal: str = ".",
    date_format: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file of time steps into a DataFrame.

    A CSV whose header holds a date column and a close column (an OHLCV file
    as downloaded from a broker or finance site) and that uses commas and
    decimal points is read with :func:`tsattn.datasets.load_ohlcv_csv`, rows
    sorted oldest first. Other CSV files are read with
    :func:`pandas.read_csv`; a column named like a date (``date``,
    ``datetime``, ``timestamp``, ``time``, ``ds``, ``day``, or ``date_col``)
    becomes the index. Parquet files keep their own index, or use such a date
    column.

    Parameters
    ----------
    path : str or os.PathLike
        The file; ``.parquet`` and ``.pq`` are read as Parquet, anything else
        as CSV.
    date_col : str, optional
        Name of the date column, when it is not found by name.
    sep : str, optional
        Column separator of a CSV file (pandas' ``sep``), e.g. ``";"``;
        a comma by default.
    decimal : str, default="."
        Decimal mark of a CSV file (pandas' ``decimal``), e.g. ``","``.
    date_format : str, optional
        strftime format of the dates (pandas' ``date_format``), e.g.
        ``"%d/%m/%Y"`` for day-first dates; inferred otherwise.

    Returns
    -------
    pandas.DataFrame
        The rows in time order, on a DatetimeIndex when the file has dates
        (else on row positions).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is empty, cannot be parsed, or its dates are unreadable
        or repeated. Messages name the options ``--sep``, ``--decimal`` and
        ``--date-format`` where they are the likely fix.
    """
    file = existing_file(path, "DATA")
    _check_dialect(sep, decimal)
    if is_parquet(file):
        frame = _read(file, "Parquet", pd.read_parquet, (OSError, ValueError))
    else:
        options = {"sep": sep or ",", "decimal": decimal}
        try:
            header = _read(file, "CSV", _csv(nrows=0, sep=options["sep"]))
        except pd.errors.EmptyDataError:
            raise ValueError(f"{file.name} is empty.") from None
        if sep is None and len(header.columns) == 1:
            _refuse_other_separator(file.name, str(header.columns[0]))
        names = [normalize_label(c) for c in header.columns]
        has_date = date_col is not None or any(n in _DATE_NAMES for n in names)
        plain = sep in (None, ",") and decimal == "."
        if plain and has_date and any(n in _CLOSE_NAMES for n in names):
            from tsattn.datasets import load_ohlcv_csv

            try:
                return load_ohlcv_csv(
                    file, date_col=date_col, date_format=date_format, sort=True
                )
            except ValueError as exc:
                raise ValueError(_cli_hint(exc)) from None
        frame = _read(file, "CSV", _csv(**options))
    if frame.empty:
        raise ValueError(f"{file.name} holds no data rows.")
    return _set_time_index(frame, file.name, date_col, date_format)


_CSV_ERRORS = (pd.errors.ParserError, UnicodeDecodeError)


def _csv(**options: Any) -> Callable[[Path], pd.DataFrame]:
    return lambda file: pd.read_csv(file, **options)


def _read(
    file: Path,
    kind: str,
    read: Callable[[Path], pd.DataFrame],
    errors: tuple[type[Exception], ...] = _CSV_ERRORS,
) -> pd.DataFrame:
    """Return ``read(file)``; its ``errors`` become one line naming the file."""
    try:
        return read(file)
    except errors as exc:
        hint = f"; {_DIALECT_HINT}" if kind == "CSV" else ""
        raise ValueError(
            f"cannot read {file.name} as {kind} ({one_line(exc)}){hint}."
        ) from None


def _refuse_other_separator(name: str, first: str) -> None:
    """Fail when a one-column header is clearly split by ``;``, tab or ``|``."""
    for mark in (";", "\t", "|"):
        parts = first.split(mark)
        if len(parts) > 1 and all(p.strip() and p.isprintable() for p in parts):
            shown = mark.replace("\t", "\\t")
            raise ValueError(
                f"{name} has one column named {first!r}: it seems "
                f"separated by {shown!r}; pass --sep '{shown}'."
            )


def _set_time_index(
    frame: pd.DataFrame, name: str, date_col: str | None, date_format: str | None
) -> pd.DataFrame:
    columns = list(frame.columns)
    if date_col is not None:
        hits = [c for c in columns if normalize_label(c) == normalize_label(date_col)]
        if not hits:
            raise ValueError(
                f"--date-col {date_col!r} is not a column of {name} (columns: "
                f"{[str(c) for c in columns]})."
            )
    else:
        hits = [c for c in columns if normalize_label(c) in _DATE_NAMES]
    if not hits:
        if isinstance(frame.index, pd.DatetimeIndex):
            return frame.sort_index(kind="stable")
        return frame.reset_index(drop=True)
    col = hits[0]
    try:
        with warnings.catch_warnings():
            # pandas' format-inference warnings name its own arguments (dayfirst);
            # dates it cannot read are reported below with --date-format.
            warnings.simplefilter("ignore", UserWarning)
            stamps = pd.to_datetime(frame[col], format=date_format, errors="coerce")
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"cannot read column {str(col)!r} of {name} as dates ({one_line(exc)}); "
            "pass --date-format (e.g. --date-format %d/%m/%Y for day-first dates)."
        ) from None
    unread = stamps.isna() & frame[col].notna()
    if unread.any():
        row = int(np.flatnonzero(unread.to_numpy())[0])
        how = f"--date-format {date_format}" if date_format else "the inferred format"
        raise ValueError(
            f"cannot read {frame[col].iloc[row]!r} in column {str(col)!r} of {name} "
            f"as a date with {how} (data row {row}); pass --date-format, e.g. "
            "--date-format %d/%m/%Y for day-first dates."
        )
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise ValueError(f"date column {str(col)!r} of {name} is empty at row {row}.")
    out = frame.drop(columns=[col])
    out.index = pd.DatetimeIndex(stamps, name="date")
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()][0]
        raise ValueError(f"date {dup} appears more than once in {name}.")
    return out.sort_index(kind="stable")
