"""Validation of a backtest results frame before it is summarised or drawn."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsattn.evaluation import SCALE_COLUMN

__all__ = [
    "COST_COLUMNS",
    "KEY",
    "REQUIRED_COLUMNS",
    "PreparedResults",
    "named_rows",
    "prepare_results",
]

REQUIRED_COLUMNS = (
    "model",
    "series",
    "fold",
    "cutoff",
    "step",
    "timestamp",
    "y_true",
    "y_pred",
)
COST_COLUMNS = ("n_params", "fit_seconds", "predict_seconds", "peak_memory_mb")
# One forecast is identified by where it was made and which step it targets; two
# models are compared on the rows where both have this key.
KEY = ["series", "cutoff", "step"]

_QUANTILE_RE = re.compile(r"^q(\d*\.?\d+(?:[eE]-?\d+)?)$")


@dataclass(frozen=True)
class PreparedResults:
    """A validated copy of the results frame and what the report needs to know.

    Attributes
    ----------
    frame : pandas.DataFrame
        Copy of the input with ``model`` and ``series`` as strings and helper
        columns ``_abs`` / ``_sq`` (absolute and squared error, NaN where either
        value is missing) and ``_ok`` (both ``y_true`` and ``y_pred`` finite).
    models : tuple of str
        Model names in order of first appearance.
    series : tuple of str
        Series names in order of first appearance.
    quantiles : tuple of (float, str)
        Quantile levels and their columns, sorted by level.
    interval : tuple of (str, str, float) or None
        Lower and upper column of the widest central interval and its nominal
        coverage, or None when fewer than two quantile columns exist.
    horizon : int
        Largest ``step`` in the frame.
    n_folds : int
        Number of distinct cutoffs.
    baseline : str or None
        The baseline model when it is present in the frame, else None.
    baseline_requested : str or None
        The baseline name that was asked for.
    """

    frame: pd.DataFrame
    models: tuple[str, ...]
    series: tuple[str, ...]
    quantiles: tuple[tuple[float, str], ...]
    interval: tuple[str, str, float] | None
    horizon: int
    n_folds: int
    baseline: str | None
    baseline_requested: str | None


def _quantile_columns(columns: pd.Index) -> list[tuple[float, str]]:
    found = []
    for col in columns:
        match = _QUANTILE_RE.match(str(col))
        if match is None:
            continue
        level = float(match.group(1))
        if not 0.0 < level < 1.0:
            raise ValueError(
                f"Quantile column {col!r} has level {level:g}, outside (0, 1). "
                "Name quantile columns 'q<level>' with 0 < level < 1, e.g. 'q0.05'."
            )
        found.append((level, str(col)))
    return sorted(found)


def named_rows(
    results: pd.DataFrame,
    required: tuple[str, ...],
    names: tuple[str, ...],
    kind: str,
) -> pd.DataFrame:
    """Check the ``required`` columns, some rows and every name; return a copy.

    Parameters
    ----------
    results : pandas.DataFrame
        A results frame.
    required : tuple of str
        Columns a ``kind`` results frame needs.
    names : tuple of str
        Columns that name each row (model, series, ...): no value may be
        missing; the copy holds them as str.
    kind : str
        What made the frame ("backtest", "multi-task"), for the messages.

    Returns
    -------
    pandas.DataFrame
        A copy with a fresh RangeIndex and no ``attrs``.
    """
    missing = [c for c in required if c not in results.columns]
    if missing:
        raise ValueError(
            f"results is missing required column(s) {missing}; a {kind} results "
            f"frame needs {list(required)}. Got columns "
            f"{[str(c) for c in results.columns]}."
        )
    if len(results) == 0:
        raise ValueError(
            "results has no rows; run a backtest that produces forecasts first."
        )
    frame = results.reset_index(drop=True).copy()
    frame.attrs = {}  # e.g. attrs["failures"]: pandas merges would compare it
    for name in names:
        if frame[name].isna().any():
            rows = np.flatnonzero(frame[name].isna().to_numpy())[:5].tolist()
            raise ValueError(
                f"results column {name!r} has missing values (rows {rows}); every "
                f"row needs a {', a '.join(names[:-1])} and a {names[-1]}."
            )
        frame[name] = frame[name].astype(str)
    return frame


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) or not (
        pd.api.types.is_numeric_dtype(values) or values.isna().all()
    ):
        raise TypeError(
            f"results column {column!r} must be numeric; got dtype {values.dtype}. "
            "Convert it with pandas.to_numeric before building the report."
        )
    return values.astype("float64")


def prepare_results(results: pd.DataFrame, baseline: str | None) -> PreparedResults:
    """Check a backtest results frame and return a prepared copy.

    Parameters
    ----------
    results : pandas.DataFrame
        Tidy backtest results, one row per model, series, cutoff and step.
    baseline : str or None
        Name of the baseline model (usually ``"naive"``).

    Returns
    -------
    PreparedResults
        The checked copy and its summary facts.

    Raises
    ------
    TypeError
        If ``results`` is not a DataFrame or a value column is not numeric.
    ValueError
        If required columns are missing, the frame is empty, names are missing,
        steps are not positive integers, or a forecast appears twice.
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(
            "results must be a pandas DataFrame (the backtest results frame); "
            f"got {type(results).__name__}."
        )
    if baseline is not None and not isinstance(baseline, str):
        raise TypeError(
            f"baseline must be a model name (str) or None; got {baseline!r}."
        )
    frame = named_rows(results, REQUIRED_COLUMNS, ("model", "series"), "backtest")

    frame["y_true"] = _numeric(frame, "y_true")
    frame["y_pred"] = _numeric(frame, "y_pred")
    quantiles = _quantile_columns(frame.columns)
    for _, col in quantiles:
        frame[col] = _numeric(frame, col)
    for col in (*COST_COLUMNS, SCALE_COLUMN):
        if col in frame.columns:
            frame[col] = _numeric(frame, col)

    if "cutoff_pos" in frame.columns:
        pos = _numeric(frame, "cutoff_pos")
        bad_pos = ~np.isfinite(pos) | (pos < 0) | (pos != np.round(pos))
        if bad_pos.any():
            examples = frame.loc[bad_pos, "cutoff_pos"].head(5).tolist()
            raise ValueError(
                "results column 'cutoff_pos' must hold integers >= 0 (the row "
                f"position of each cutoff in its series); found {examples}. Drop "
                "the column to test with h = horizon instead."
            )
        frame["cutoff_pos"] = pos.astype("int64")

    step = _numeric(frame, "step")
    bad_step = ~np.isfinite(step) | (step < 1) | (step != np.round(step))
    if bad_step.any():
        examples = frame.loc[bad_step, "step"].head(5).tolist()
        raise ValueError(
            f"results column 'step' must hold integers >= 1 (1 = first step after "
            f"the cutoff); found {examples}."
        )
    frame["step"] = step.astype("int64")
    if frame["cutoff"].isna().any():
        raise ValueError(
            "results column 'cutoff' has missing values; every forecast needs "
            "the cutoff (forecast origin) it was made at."
        )

    dup = frame.duplicated(["model", *KEY], keep=False)
    if dup.any():
        first = frame.loc[dup, ["model", *KEY]].iloc[0].to_dict()
        raise ValueError(
            f"results has {int(dup.sum())} rows that repeat a (model, series, "
            f"cutoff, step) combination, e.g. {first}. Each model must forecast "
            "each step of each cutoff once; drop or aggregate the duplicates."
        )

    y_true = frame["y_true"].to_numpy()
    y_pred = frame["y_pred"].to_numpy()
    err = y_pred - y_true
    ok = np.isfinite(y_true) & np.isfinite(y_pred)
    frame["_ok"] = ok
    frame["_abs"] = np.where(ok, np.abs(err), np.nan)
    frame["_sq"] = np.where(ok, err * err, np.nan)

    interval = None
    if len(quantiles) >= 2:
        (lo_level, lo_col), (hi_level, hi_col) = quantiles[0], quantiles[-1]
        interval = (lo_col, hi_col, hi_level - lo_level)

    models = tuple(pd.unique(frame["model"]))
    present = baseline if baseline is not None and baseline in models else None
    return PreparedResults(
        frame=frame,
        models=models,
        series=tuple(pd.unique(frame["series"])),
        quantiles=tuple(quantiles),
        interval=interval,
        horizon=int(frame["step"].max()),
        n_folds=int(frame["cutoff"].nunique()),
        baseline=present,
        baseline_requested=baseline,
    )
