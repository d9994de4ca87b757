"""Reading data files and writing output files (atomically, checked first)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsattn.cli.console import _one_line

_DATE_NAMES = ("date", "datetime", "timestamp", "time", "ds", "day")
_CLOSE_NAMES = ("close", "closelast", "closeprice", "last", "lastprice", "price")


def _check_output(path: str | os.PathLike[str], what: str) -> Path:
    """Fail early, before any work, when ``path`` cannot be written."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write the {what} to {str(target)!r}: folder {str(folder)!r} "
            "does not exist. Create it first."
        )
    if target.is_dir():
        raise IsADirectoryError(
            f"cannot write the {what} to {str(target)!r}: it is a folder; pass a "
            "file name."
        )
    return target


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _write_table(frame: pd.DataFrame, path: Path, *, index: bool) -> Path:
    """Write ``frame`` as Parquet (``.parquet``/``.pq``) or CSV, atomically."""
    if _is_parquet(path):
        return _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=index))
    return _atomic_write(path, lambda tmp: frame.to_csv(tmp, index=index))


def _norm(label: Any) -> str:
    return "".join(ch for ch in str(label).lower() if ch.isalnum())


def _existing_file(path: str | os.PathLike[str], what: str) -> Path:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{what} file {str(file)!r} does not exist.")
    if file.is_dir():
        raise IsADirectoryError(f"{what} {str(file)!r} is a folder, not a file.")
    return file


def read_data(
    path: str | os.PathLike[str], *, date_col: str | None = None
) -> pd.DataFrame:
    """Read a CSV or Parquet file of time steps into a DataFrame.

    A CSV whose header holds a date column and a close column (an OHLCV file
    as downloaded from a broker or finance site) is read with
    :func:`tsattn.datasets.load_ohlcv_csv`, rows sorted oldest first. Other
    CSV files are read with :func:`pandas.read_csv`; a column named like a
    date (``date``, ``datetime``, ``timestamp``, ``time``, ``ds``, ``day``, or
    ``date_col``) becomes the index. Parquet files keep their own index, or
    use such a date column.

    Parameters
    ----------
    path : str or os.PathLike
        The file; ``.parquet`` and ``.pq`` are read as Parquet, anything else
        as CSV.
    date_col : str, optional
        Name of the date column, when it is not found by name.

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
        or repeated.
    """
    file = _existing_file(path, "DATA")
    if _is_parquet(file):
        try:
            frame = pd.read_parquet(file)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"cannot read {file.name} as Parquet ({_one_line(exc)})."
            ) from None
    else:
        try:
            header = pd.read_csv(file, nrows=0)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{file.name} is empty.") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"cannot read {file.name} as CSV ({_one_line(exc)})."
            ) from None
        names = [_norm(c) for c in header.columns]
        has_date = date_col is not None or any(n in _DATE_NAMES for n in names)
        if has_date and any(n in _CLOSE_NAMES for n in names):
            from tsattn.datasets import load_ohlcv_csv

            return load_ohlcv_csv(file, date_col=date_col, sort=True)
        try:
            frame = pd.read_csv(file)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"cannot read {file.name} as CSV ({_one_line(exc)})."
            ) from None
    if frame.empty:
        raise ValueError(f"{file.name} holds no data rows.")
    return _set_time_index(frame, file.name, date_col)


def _set_time_index(
    frame: pd.DataFrame, name: str, date_col: str | None
) -> pd.DataFrame:
    columns = list(frame.columns)
    if date_col is not None:
        hits = [c for c in columns if _norm(c) == _norm(date_col)]
        if not hits:
            raise ValueError(
                f"--date-col {date_col!r} is not a column of {name} (columns: "
                f"{[str(c) for c in columns]})."
            )
    else:
        hits = [c for c in columns if _norm(c) in _DATE_NAMES]
    if not hits:
        if isinstance(frame.index, pd.DatetimeIndex):
            return frame.sort_index(kind="stable")
        return frame.reset_index(drop=True)
    col = hits[0]
    try:
        stamps = pd.to_datetime(frame[col])
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"cannot read column {str(col)!r} of {name} as dates ({_one_line(exc)})."
        ) from None
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise ValueError(f"date column {str(col)!r} of {name} is empty at row {row}.")
    out = frame.drop(columns=[col])
    out.index = pd.DatetimeIndex(stamps, name="date")
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()][0]
        raise ValueError(f"date {dup} appears more than once in {name}.")
    return out.sort_index(kind="stable")
