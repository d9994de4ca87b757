"""Choosing the columns of a data file and handling their missing values."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsattn._validation import first_infinite
from tsattn.cli.console import PROG
from tsattn.cli.files import normalize_label


def split_list(text: str | None) -> list[str]:
    """Return the non-empty, stripped items of a comma-separated option."""
    return [] if text is None else [p.strip() for p in text.split(",") if p.strip()]


def find_column(frame: pd.DataFrame, name: str, option: str) -> Any:
    """Return the column of ``frame`` called ``name`` (case-insensitive fallback)."""
    by_str = {str(c): c for c in frame.columns}
    if name in by_str:
        return by_str[name]
    folded = [c for s, c in by_str.items() if s.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    close = difflib.get_close_matches(name, list(by_str), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise ValueError(
        f"{option} {name!r} is not a column of DATA (columns: {list(by_str)}){hint}"
    )


def target_columns(frame: pd.DataFrame, text: str | None) -> list[Any]:
    """Return the ``--target`` columns, or Close, or the only numeric column."""
    if text:
        cols = [find_column(frame, n, "--target") for n in split_list(text)]
    else:
        numeric = [
            c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
        ]
        closes = [c for c in frame.columns if normalize_label(c) == "close"]
        if closes:
            cols = closes[:1]
        elif len(numeric) == 1:
            cols = numeric
        else:
            raise ValueError(
                "DATA has no Close column and several numeric columns "
                f"({[str(c) for c in numeric]}); choose one with --target."
            )
    if not cols:
        raise ValueError("--target is empty; name at least one column.")
    return list(dict.fromkeys(cols))


def numeric_columns(
    frame: pd.DataFrame, columns: Sequence[Any], missing: str
) -> pd.DataFrame:
    """Return ``frame[columns]`` as float64, missing values handled as asked."""
    for c in columns:
        if not pd.api.types.is_numeric_dtype(frame[c].dtype):
            sample = frame[c].dropna()
            example = f", e.g. {sample.iloc[0]!r}" if len(sample) else ""
            raise ValueError(
                f"column {str(c)!r} is not numeric (dtype {frame[c].dtype}{example}); "
                "pick numeric columns, or pass --decimal ',' (with --sep ';') if "
                "the file writes decimal commas."
            )
    out = frame[list(columns)].astype(np.float64)
    values = out.to_numpy()
    # Infinite values are errors in the file, never "missing": refuse them.
    if (where := first_infinite(values)) is not None:
        r, c = where
        raise ValueError(
            f"DATA column {str(out.columns[c])!r} holds {values[r, c]} at "
            f"{out.index[r]} (data row {r}); {int(np.isinf(values).sum())} infinite "
            "value(s) in all. Fix the file: infinite values cannot be forecast."
        )
    bad = np.isnan(values)
    if not bad.any():
        return _in_float32_range(out)
    rows = bad.any(axis=1)
    where = f"first at {out.index[int(np.flatnonzero(rows)[0])]}"
    if missing == "error":
        raise ValueError(
            f"DATA has {int(rows.sum())} row(s) with missing values in "
            f"{[str(c) for c in columns]} ({where}); pass --missing drop or "
            "--missing ffill."
        )
    if missing == "ffill":
        out = out.where(~bad).ffill()
        if out.isna().any().any():
            raise ValueError(
                "DATA starts with missing values that --missing ffill cannot fill; "
                "use --missing drop."
            )
        action = "filled forward"
    else:
        out = out[~rows]
        action = "dropped"
    print(
        f"{PROG}: note: {action} {int(rows.sum())} row(s) with missing values "
        f"({where}).",
        file=sys.stderr,
    )
    return _in_float32_range(out)


def _in_float32_range(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` after the library's own range check (float32, finite).

    The models compute in float32; :func:`tsattn.data.to_panel` is the one
    place that checks it, naming the column and the row.
    """
    from tsattn.data import to_panel

    to_panel(frame.reset_index(drop=True), name="DATA")
    return frame
