"""Rolling-origin backtest of supervised models: returns, direction and variance.

``backtest`` drives forecasters through ``forecast``; this module drives models
with a supervised face, ``fit(X, y)`` and ``predict(X)`` (one prediction per
row, made with data up to that row), on the same rolling-origin folds. Targets
built by :func:`tsattn.make_targets` look ahead: the target of row ``t`` is
known only at row ``t + lookahead``. A model fitted at a cutoff therefore trains
only on rows whose targets are complete by then (the later rows are purged),
and is scored on the rows after the cutoff.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone

from tsattn.backtesting.cost import count_params, peak_memory
from tsattn.backtesting.series import BacktestFailureWarning
from tsattn.evaluation import TASK_BASELINES
from tsattn.splitters import BacktestSplitter, Fold

__all__ = ["backtest_tasks", "target_task", "task_lookahead"]


# make_targets kind -> task kind
_KIND_TASK = {
    "log_return": "return",
    "cum_log_return": "return",
    "return": "return",
    "cum_return": "return",
    "level": "price",
    "direction": "direction",
    "volatility": "volatility",
    "realized_var": "variance",
    "realized_variance": "variance",
}
# column name patterns of make_targets -> (task kind, look-ahead group)
_COLUMN_PATTERNS = (
    (re.compile(r"^(?:cum_)?(?:log_)?return_h(\d+)$"), "return"),
    (re.compile(r"^up_h(\d+)$"), "direction"),
    (re.compile(r"^level_h(\d+)$"), "price"),
    (re.compile(r"^realized_vol_k(\d+)$"), "volatility"),
    (re.compile(r"^realized_var\w*?(\d+)$"), "variance"),
)

RESULT_COLUMNS = (
    "model",
    "series",
    "task",
    "target",
    "fold",
    "cutoff",
    "cutoff_pos",
    "step",
    "timestamp",
    "y_true",
    "y_pred",
    "fit_seconds",
    "predict_seconds",
    "n_params",
    "peak_memory_mb",
    "n_heads",
    "output_head",
    "d_model",
)
# Architecture parameters copied from a model's get_params() into the frame, so
# that reports can pair models that differ in one of them.
ARCHITECTURE_COLUMNS = ("n_heads", "output_head", "d_model")


def _recorded(y: pd.DataFrame) -> dict[str, tuple[str, int]]:
    meta = y.attrs.get("tsattn_targets") if hasattr(y, "attrs") else None
    columns = (meta or {}).get("columns") or {}
    return {str(k): (str(v[0]), int(v[1])) for k, v in columns.items()}


def target_task(column: Any, y: pd.DataFrame | None = None) -> str:
    """Return the task kind of a target column ("return", "direction", ...).

    The kind recorded by :func:`tsattn.make_targets` in ``y.attrs`` wins; else
    the column name is matched against the names ``make_targets`` gives.

    Parameters
    ----------
    column : hashable
        Column name.
    y : pandas.DataFrame, optional
        The targets frame, whose ``attrs["tsattn_targets"]`` is read.

    Returns
    -------
    str
        One of the keys of :data:`tsattn.metrics.TASK_BASELINES`.
    """
    recorded = _recorded(y) if y is not None else {}
    if str(column) in recorded:
        kind = recorded[str(column)][0]
        if kind in _KIND_TASK:
            return _KIND_TASK[kind]
    for pattern, task in _COLUMN_PATTERNS:
        if pattern.match(str(column)):
            return task
    raise ValueError(
        f"Cannot tell the task of target column {column!r}: it was not made by "
        "make_targets and its name matches none of log_return_h<k>, up_h<k>, "
        "realized_vol_k<k>, realized_var...<k>, level_h<k>. Pass tasks="
        f"{{{str(column)!r}: 'return' | 'direction' | 'variance' | 'volatility'}}."
    )


def task_lookahead(column: Any, y: pd.DataFrame | None = None) -> int:
    """Rows the target of ``column`` looks ahead (its value at ``t`` ends at ``t + k``).

    Parameters
    ----------
    column, y
        As for :func:`target_task`.

    Returns
    -------
    int
        The look-ahead ``k >= 1``.
    """
    recorded = _recorded(y) if y is not None else {}
    if str(column) in recorded:
        return int(recorded[str(column)][1])
    for pattern, _ in _COLUMN_PATTERNS:
        m = pattern.match(str(column))
        if m:
            return int(m.group(1))
    raise ValueError(
        f"Cannot tell how far target column {column!r} looks ahead; pass "
        "lookahead=<rows> to backtest_tasks."
    )


@dataclass(frozen=True)
class _Spec:
    name: str
    estimator: Any
    columns: tuple[Any, ...]


def _specs(models: Any, y: pd.DataFrame) -> list[_Spec]:
    if not isinstance(models, Mapping) or not models:
        raise TypeError(
            "models must be a non-empty dict {name: estimator} or {name: "
            f"(estimator, target columns)}}; got {type(models).__name__}."
        )
    out = []
    for name, value in models.items():
        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(
                    f"Model {name!r}: a tuple must be (estimator, target columns); "
                    f"got {len(value)} items."
                )
            est, cols = value
            cols = (cols,) if isinstance(cols, str) else tuple(cols)
        else:
            est, cols = value, tuple(y.columns)
        missing = [c for c in cols if c not in y.columns]
        if missing:
            raise ValueError(
                f"Model {name!r} asks for target column(s) {missing} that y lacks "
                f"(y has {list(y.columns)})."
            )
        if not cols:
            raise ValueError(f"Model {name!r} has no target columns.")
        for method in ("fit", "predict"):
            if not callable(getattr(est, method, None)):
                raise TypeError(
                    f"Model {name!r} ({type(est).__name__}) has no {method}() "
                    "method; backtest_tasks needs fit(X, y) and predict(X)."
                )
        out.append(_Spec(str(name), est, cols))
    return out


def _as_frames(X: Any, y: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X))
    if isinstance(y, pd.Series):
        y = y.to_frame()
    if not isinstance(y, pd.DataFrame):
        raise TypeError(
            "y must be a DataFrame of targets (e.g. from make_targets); got "
            f"{type(y).__name__}."
        )
    if len(y) > len(X):
        raise ValueError(
            f"y has {len(y)} rows but X only {len(X)}: each row of y holds the "
            "targets of the same row of X."
        )
    if len(y) and not X.index[: len(y)].equals(y.index):
        raise ValueError(
            "y's index does not match the first rows of X's index; build y from "
            "the same rows (make_targets(prices) with prices indexed like X)."
        )
    if X.columns.has_duplicates:
        dup = list(X.columns[X.columns.duplicated()])
        raise ValueError(f"X has duplicated column(s) {dup}; rename them.")
    return X, y


def _complete_rows(y: pd.DataFrame) -> int:
    """Return the number of rows up to the last one whose targets are all known."""
    known = y.notna().all(axis=1).to_numpy()
    if not known.any():
        raise ValueError("y has no row with every target known; nothing to score.")
    return int(np.flatnonzero(known)[-1]) + 1


def _predictions(est: Any, X: pd.DataFrame, columns: tuple[Any, ...], task: list[str]):
    """Per-row predictions ``(n, len(columns))``: probabilities for direction."""
    if (
        len(columns) == 1
        and task[0] == "direction"
        and callable(getattr(est, "predict_proba", None))
    ):
        proba = np.asarray(est.predict_proba(X), dtype=np.float64)
        return proba[:, -1:] if proba.ndim == 2 else proba.reshape(-1, 1)
    pred = est.predict(X)
    arr = np.asarray(pred, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape != (len(X), len(columns)):
        raise ValueError(
            f"predict(X) returned shape {arr.shape}; expected ({len(X)}, "
            f"{len(columns)}): one row per row of X, one column per target "
            f"{list(columns)}."
        )
    return arr


def _final_step(est: Any) -> Any:
    """Return the model at the end of a scikit-learn Pipeline (itself otherwise).

    Its parameter count and architecture are those of the model: the
    feature steps before it hold no trained weights.
    """
    steps = getattr(est, "steps", None)
    if isinstance(steps, list) and steps and hasattr(est, "_final_estimator"):
        return _final_step(est._final_estimator)
    return est


def _fit_y(y: pd.DataFrame, columns: tuple[Any, ...]) -> pd.DataFrame | pd.Series:
    part = y.loc[:, list(columns)]
    return part.iloc[:, 0] if len(columns) == 1 else part


def _run(
    spec: _Spec,
    X: pd.DataFrame,
    y: pd.DataFrame,
    blocks: list[list[Fold]],
    purge: int,
    test_size: int,
    series: str,
    tasks: dict[Any, str],
    lookaheads: dict[Any, int],
) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    frames, failures = [], []
    cols = spec.columns
    task_list = [tasks[c] for c in cols]
    for block in blocks:
        first = block[0]
        est = clone(spec.estimator)
        train = slice(first.train_start, first.cutoff - purge + 1)
        try:
            with peak_memory(True) as peak:
                t0 = time.perf_counter()
                est.fit(X.iloc[train], _fit_y(y.iloc[train], cols))
                fit_s = time.perf_counter() - t0
            last = block[-1].cutoff + test_size
            t0 = time.perf_counter()
            pred = _predictions(est, X.iloc[: last + 1], cols, task_list)
            pred_s = time.perf_counter() - t0
        except Exception as exc:  # recorded, the other models go on
            failures.append(
                {
                    "model": spec.name,
                    "series": series,
                    "fold": first.fold,
                    "cutoff": X.index[first.cutoff],
                    "cutoff_pos": first.cutoff,
                    "error": f"{type(exc).__name__}: {exc}",
                }
            )
            continue
        final = _final_step(est)
        n_params = count_params(final)
        params = final.get_params(deep=False) if hasattr(final, "get_params") else {}
        arch = {k: params.get(k) for k in ARCHITECTURE_COLUMNS}
        if "n_heads" not in params and arch["d_model"] is not None:
            arch["n_heads"] = 1  # a single-head (self-attention) model
        n_rows = sum(test_size for _ in block)
        for k, fold in enumerate(block):
            rows = np.arange(fold.cutoff + 1, fold.cutoff + test_size + 1)
            for j, col in enumerate(cols):
                ahead = lookaheads[col]
                target_pos = np.minimum(rows + ahead, len(X) - 1)
                frames.append(
                    pd.DataFrame(
                        {
                            "model": spec.name,
                            "series": series,
                            "task": tasks[col],
                            "target": str(col),
                            "fold": fold.fold,
                            "cutoff": X.index[rows],
                            "cutoff_pos": rows,
                            "step": ahead,
                            "timestamp": X.index[target_pos],
                            "y_true": y[col].to_numpy(dtype=np.float64)[rows],
                            "y_pred": pred[rows, j],
                            "fit_seconds": fit_s if k == 0 else 0.0,
                            "predict_seconds": pred_s * test_size / n_rows / len(cols),
                            "n_params": n_params,
                            "peak_memory_mb": peak[0] if k == 0 else np.nan,
                            **arch,
                        }
                    )
                )
    return frames, failures


def backtest_tasks(
    models: Mapping[str, Any],
    X: Any,
    y: Any,
    *,
    n_folds: int = 10,
    test_size: int = 20,
    initial: int | None = None,
    refit: bool | int = False,
    window: str = "expanding",
    window_size: int | None = None,
    tasks: Mapping[Any, str] | None = None,
    lookahead: int | None = None,
    series: str = "series",
    n_jobs: int | None = 1,
    on_error: str = "warn",
) -> pd.DataFrame:
    """Rolling-origin backtest of supervised models on the same folds.

    At each refit cutoff ``c`` a clone of every model is fitted on the rows
    ``t <= c - lookahead`` (their targets are complete at ``c``; later rows are
    purged) and predicts every row of the following ``test_size`` rows of each
    fold it serves, each from data up to that row. Rows after a fold's last
    scored row are never handed to a model.

    Parameters
    ----------
    models : dict
        ``{name: estimator}`` (fitted on every column of ``y``) or ``{name:
        (estimator, columns)}`` (fitted on those target columns only, e.g. a
        variance baseline on the variance column).
    X : pandas.DataFrame or array-like of shape (n_rows, n_features)
        Rows are time steps in time order.
    y : pandas.DataFrame
        Targets per row (from :func:`tsattn.make_targets`); rows at the end
        whose targets are unknown (NaN) are never scored.
    n_folds : int, default=10
        Number of folds.
    test_size : int, default=20
        Rows scored per fold; folds are ``test_size`` rows apart.
    initial : int, optional
        Rows before the first cutoff; by default the folds end at the last row
        with complete targets.
    refit : bool or int, default=False
        ``False``: fit once at the first cutoff; ``True``: at every fold; ``k``:
        every ``k`` folds. Between fits the model predicts the new rows with its
        fitted parameters (a filter pass for state-space models, no refit).
    window : {"expanding", "sliding"}, default="expanding"
        Training window type.
    window_size : int, optional
        Rows of a sliding window.
    tasks : dict, optional
        ``{column: kind}`` for columns whose kind cannot be read from ``y``.
    lookahead : int, optional
        Rows every target looks ahead; by default read per column from
        ``y.attrs`` or the column name.
    series : str, default="series"
        Name written to the ``series`` column.
    n_jobs : int, optional
        Models run in parallel through joblib.
    on_error : {"warn", "raise"}, default="warn"
        ``"warn"``: a model that raises is left out of the blocks it failed
        on, with a :class:`tsattn.backtesting.BacktestFailureWarning` naming the
        model, series and fold, and listed in ``result.attrs["failures"]``
        (dicts with keys ``model``, ``series``, ``fold``, ``cutoff``,
        ``cutoff_pos``, ``error``); the other models' rows come back.
        ``"raise"``: the first failure is raised again with those names.

    Returns
    -------
    pandas.DataFrame
        One row per (model, target, scored row) with columns ``model``,
        ``series``, ``task``, ``target``, ``fold``, ``cutoff`` (the row whose
        data made the prediction), ``cutoff_pos`` (its position), ``step`` (rows
        the target looks ahead), ``timestamp`` (the row the target ends at),
        ``y_true``, ``y_pred`` (a probability of "up" for direction), and cost
        columns ``fit_seconds`` and ``peak_memory_mb`` (of the fit, repeated on
        the rows of the fold that fitted, 0 / NaN on the folds that reuse
        it), ``predict_seconds`` (a row's share) and ``n_params``, and the
        architecture columns ``n_heads``, ``output_head`` and ``d_model`` (from
        the model's parameters; None for models without them).
        ``attrs["failures"]`` lists failed fits.
    """
    X, y = _as_frames(X, y)
    if on_error not in ("warn", "raise"):
        raise ValueError(f"on_error must be 'warn' or 'raise'; got {on_error!r}.")
    specs = _specs(models, y)
    task_of = {c: (tasks or {}).get(c) or target_task(c, y) for c in y.columns}
    bad = {c: t for c, t in task_of.items() if t not in TASK_BASELINES}
    if bad:
        raise ValueError(
            f"Unknown task kind(s) {bad}; use one of {list(TASK_BASELINES)}."
        )
    ahead = {
        c: int(lookahead) if lookahead is not None else task_lookahead(c, y)
        for c in y.columns
    }
    purge = max(ahead[c] for s in specs for c in s.columns)
    n_rows = _complete_rows(y)
    splitter = BacktestSplitter(
        horizon=test_size,
        n_folds=n_folds,
        step=test_size,
        initial=initial,
        window=window,
        window_size=window_size,
    )
    folds = splitter.folds(n_rows)
    if folds[0].cutoff - purge < folds[0].train_start + 1:
        raise ValueError(
            f"The first fold has {folds[0].train_size} row(s) before its cutoff, "
            f"but targets look {purge} row(s) ahead, which leaves fewer than 2 "
            "training rows. Pass more data, fewer folds or a smaller test_size."
        )
    period = len(folds) if refit is False else (1 if refit is True else int(refit))
    if isinstance(refit, bool) is False and (not isinstance(refit, int) or refit < 1):
        raise ValueError(f"refit must be True, False or an int >= 1; got {refit!r}.")
    blocks = [folds[i : i + period] for i in range(0, len(folds), period)]

    jobs = (
        delayed(_run)(s, X, y, blocks, purge, test_size, series, task_of, ahead)
        for s in specs
    )
    outputs = Parallel(n_jobs=n_jobs)(jobs)
    frames = [f for out in outputs for f in out[0]]
    failures = [f for out in outputs for f in out[1]]
    if failures and on_error == "raise":
        f = failures[0]
        raise RuntimeError(
            f"Model {f['model']!r} failed on series {f['series']!r} at fold "
            f"{f['fold']}: {f['error']}"
        )
    for f in failures:
        message = (
            f"Model {f['model']!r} failed on series {f['series']!r} at fold "
            f"{f['fold']}: {f['error'].rstrip('.')}. Its rows are missing; the "
            "other models' results are kept (attrs['failures'])."
        )
        warnings.warn(BacktestFailureWarning(message, f), stacklevel=2)
    result = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(RESULT_COLUMNS))
    )
    # A list, not a frame: pd.concat compares attrs, and frames there raise.
    result.attrs["failures"] = failures
    return result
