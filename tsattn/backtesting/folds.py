"""The work of one backtest task: fit, advance and forecast over its folds.

A task is one model on one series (or on all series, for a multivariate
model) over the folds that share its fits; it runs in a joblib worker and
returns its forecasts as :class:`FoldResult` rows and its failed folds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn._validation import first_infinite
from tsattn.backtesting.cost import count_params, peak_memory
from tsattn.backtesting.inputs import is_multivariate
from tsattn.splitters import Fold

__all__ = ["Block", "Failure", "FloatArray", "FoldResult", "run_task", "where"]

FloatArray = npt.NDArray[np.float64]


@dataclass
class Block:
    """Folds that share one fit: the fit uses rows ``fit_start .. fit_end``."""

    fit_start: int
    fit_end: int
    folds: list[Fold]


@dataclass
class FoldResult:
    """The forecast of one fold: point and quantile arrays ``(H, T)``, costs."""

    fold: int
    cutoff: int
    point: FloatArray  # (H, T)
    quantiles: dict[float, FloatArray] = field(default_factory=dict)  # q -> (H, T)
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    n_params: float = np.nan
    peak_memory_mb: float = np.nan


@dataclass
class Failure:
    """A fold whose forecast could not be made: the model raised."""

    fold: int
    cutoff: Any  # index label of the cutoff row
    cutoff_pos: int
    error: str


def _describe(exc: BaseException) -> str:
    """``"TypeName: first line of the message"``, for tables and warnings."""
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}"


def where(name: str, series: Any, fold: int, cutoff: Any) -> str:
    """Name the model, series, fold and cutoff, for errors and warnings."""
    place = "all series" if series is None else f"series {series!r}"
    return f"model {name!r} on {place}, fold {fold} (cutoff {cutoff})"


def _reraise(exc: Exception, where: str) -> Exception:
    """``exc`` with ``where`` in front of its message, of the same type if possible."""
    message = f"Backtest failed: {where}: {_describe(exc)}"
    try:
        new = type(exc)(message)
    except Exception:
        new = RuntimeError(message)
    if str(new) != message:
        new = RuntimeError(message)
    return new


def _parse_forecast(
    fc: Any, targets: list[Any], horizon: int, name: str
) -> tuple[FloatArray, dict[float, FloatArray]]:
    """Point ``(H, T)`` and quantile arrays from a ``forecast(horizon)`` frame."""
    if isinstance(fc, pd.Series) and len(targets) == 1:
        fc = fc.to_frame(targets[0])
    if not isinstance(fc, pd.DataFrame):
        raise TypeError(
            f"Model {name!r}: forecast() must return a DataFrame; got "
            f"{type(fc).__name__}."
        )
    if len(fc) < horizon:
        raise ValueError(
            f"Model {name!r}: forecast(steps={horizon}) returned {len(fc)} rows."
        )
    by_str = {str(c): c for c in fc.columns}
    target_str = [str(t) for t in targets]
    missing = [t for t in target_str if t not in by_str]
    if missing:
        raise ValueError(
            f"Model {name!r}: forecast() lacks the target column(s) {missing}; "
            f"got columns {list(fc.columns)}."
        )
    values = fc.iloc[:horizon]
    point = np.column_stack(
        [values[by_str[t]].to_numpy(dtype=np.float64) for t in target_str]
    )
    quantiles: dict[float, FloatArray] = {}
    own = set(target_str)
    for col_str, col in by_str.items():
        if col_str in own:
            continue
        for j, t in enumerate(target_str):
            prefix = f"{t}_q"
            if not col_str.startswith(prefix):
                continue
            try:
                q = float(col_str[len(prefix) :])
            except ValueError:
                continue
            arr = quantiles.setdefault(q, np.full(point.shape, np.nan))
            arr[:, j] = values[col].to_numpy(dtype=np.float64)
    _refuse_infinite(point, "forecast", target_str, name)
    for q, arr in quantiles.items():
        _refuse_infinite(arr, f"q{q:g} interval bound", target_str, name)
    return point, quantiles


def _refuse_infinite(
    values: FloatArray, what: str, targets: list[str], name: str
) -> None:
    """Raise when a forecast ``(H, T)`` overflowed to +-inf (never score it)."""
    if (where := first_infinite(values)) is not None:
        step, j = where
        raise ValueError(
            f"Model {name!r}: its {what} of {targets[j]!r} at step {step + 1} is "
            f"{values[step, j]}: the forecast overflowed, so it is refused."
        )


def _parse_predict(
    pred: Any, targets: list[Any], horizon: int, n_rows: int, name: str
) -> FloatArray:
    """``(n_rows, H, T)`` point forecasts from a ``predict`` frame."""
    if not isinstance(pred, pd.DataFrame):
        raise TypeError(
            f"Model {name!r}: predict() must return a DataFrame; got "
            f"{type(pred).__name__}."
        )
    if len(pred) != n_rows:
        raise ValueError(
            f"Model {name!r}: predict() returned {len(pred)} rows for {n_rows} "
            "input rows; it must return one row per input row."
        )
    by_str = {str(c): c for c in pred.columns}
    wanted = [[f"{t}_h{k}" for k in range(1, horizon + 1)] for t in targets]
    missing = [c for cols in wanted for c in cols if c not in by_str]
    if missing:
        raise ValueError(
            f"Model {name!r}: predict() lacks column(s) {missing[:5]}"
            f"{'...' if len(missing) > 5 else ''}; the backtest needs "
            f"'<target>_h1' .. '<target>_h{horizon}' for each target."
        )
    out = np.empty((n_rows, horizon, len(targets)))
    for j, cols in enumerate(wanted):
        out[:, :, j] = pred[[by_str[c] for c in cols]].to_numpy(dtype=np.float64)
    if (where := first_infinite(out)) is not None:
        row, step, j = where
        raise ValueError(
            f"Model {name!r}: predict() gives {out[row, step, j]} for "
            f"'{targets[j]}_h{step + 1}' at row {row}: the forecast overflowed, so "
            "it is refused."
        )
    return out


def run_task(
    estimator: Any,
    frame: pd.DataFrame,
    offset: int,
    blocks: list[Block],
    horizon: int,
    advance: str,
    track_memory: bool,
    name: str,
    series: Any = None,
    on_error: str = "warn",
) -> tuple[list[FoldResult], list[Failure]]:
    """Fit and forecast the blocks of one (model, series) in order.

    ``frame`` holds rows ``offset ..`` of the series and ends at the last cutoff of
    the task: no row after a cutoff is ever handed to this function. A block
    whose fit or forecast raises keeps the folds it finished; its other folds
    are returned as failures (``on_error="warn"``) or the error is raised again
    with the model, series and fold in its message (``on_error="raise"``).
    """
    out: list[FoldResult] = []
    failures: list[Failure] = []
    for block in blocks:
        results: dict[int, FoldResult] = {
            f.cutoff: FoldResult(f.fold, f.cutoff, np.empty(0)) for f in block.folds
        }
        try:
            _run_block(
                estimator,
                frame,
                offset,
                block,
                results,
                horizon,
                advance,
                track_memory,
                name,
            )
        except Exception as exc:
            done = [r for r in results.values() if r.point.size]
            lost = [f for f in block.folds if not results[f.cutoff].point.size]
            first = lost[0]
            label = frame.index[first.cutoff - offset]
            if on_error == "raise":
                raise _reraise(exc, where(name, series, first.fold, label)) from exc
            text = _describe(exc)
            failures.extend(
                Failure(f.fold, frame.index[f.cutoff - offset], f.cutoff, text)
                for f in lost
            )
            out.extend(done)
            continue
        out.extend(results.values())
    return out, failures


def _run_block(
    estimator: Any,
    frame: pd.DataFrame,
    offset: int,
    block: Block,
    results: dict[int, FoldResult],
    horizon: int,
    advance: str,
    track_memory: bool,
    name: str,
) -> None:
    """Fit once and fill ``results`` (cutoff -> fold result) for the block."""
    targets = list(frame.columns)

    def rows(start: int, stop: int) -> pd.DataFrame:  # positions, inclusive
        return frame.iloc[start - offset : stop - offset + 1]

    fe = block.fit_end
    with peak_memory(track_memory) as peak:
        t0 = time.perf_counter()
        estimator.fit(rows(block.fit_start, fe))
        fit_s = time.perf_counter() - t0
    first = results[block.folds[0].cutoff]
    first.fit_seconds = fit_s
    first.peak_memory_mb = peak[0]
    n_params = count_params(estimator)
    for r in results.values():
        r.n_params = n_params

    mode = advance
    pending = [f.cutoff for f in block.folds]
    if pending[0] == fe or advance == "auto":
        t0 = time.perf_counter()
        point, quantiles = _parse_forecast(
            estimator.forecast(horizon), targets, horizon, name
        )
        first.predict_seconds += time.perf_counter() - t0
        if pending[0] == fe:
            first.point, first.quantiles = point, quantiles
            pending = pending[1:]
        if advance == "auto":
            keep = quantiles and not is_multivariate(estimator)
            mode = "update" if keep else "predict"
    if pending and mode == "predict":
        t0 = time.perf_counter()
        segment = rows(fe + 1, pending[-1])
        # predict() treats rows that do not continue the fitted data as a
        # new history; here they must continue it (e.g. no missing date).
        require = getattr(estimator, "_require_continuation", None)
        if require is not None:
            require(segment.index, f"The rows after fold {block.folds[0].fold}")
        batch = _parse_predict(
            estimator.predict(segment), targets, horizon, len(segment), name
        )
        share = (time.perf_counter() - t0) / len(pending)
        for c in pending:
            results[c].point = batch[c - fe - 1]
            results[c].predict_seconds += share
    elif pending:
        end = fe
        for c in pending:
            t0 = time.perf_counter()
            estimator.update(rows(end + 1, c))
            point, quantiles = _parse_forecast(
                estimator.forecast(horizon), targets, horizon, name
            )
            results[c].point, results[c].quantiles = point, quantiles
            results[c].predict_seconds += time.perf_counter() - t0
            end = c
