"""Rolling-origin backtests of several forecasters over several series."""

from __future__ import annotations

import contextlib
import numbers
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import clone

import tsattn
from tsattn.backtesting.cost import count_params, peak_memory
from tsattn.data import to_panel
from tsattn.splitters import BacktestSplitter, Fold

__all__ = ["BacktestFailureWarning", "BacktestSplitter", "backtest"]

_REQUIRED_METHODS = ("fit", "forecast", "update", "predict")
_ADVANCE = ("auto", "predict", "update")
_ON_ERROR = ("warn", "raise")
_LONG_ID_COLUMNS = ("series_id", "unique_id")
_LONG_TIME_COLUMNS = ("time", "ds", "date", "timestamp")
_LONG_VALUE_COLUMNS = ("value", "y")

FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------
def _name_models(models: Any) -> list[tuple[str, Any]]:
    """Return ``(name, estimator)`` pairs from a dict or a list."""
    if isinstance(models, Mapping):
        pairs = [(name, est) for name, est in models.items()]
        bad = [name for name, _ in pairs if not isinstance(name, str)]
        if bad:
            raise TypeError(f"Model names must be strings; got {bad!r}.")
    elif isinstance(models, Sequence) and not isinstance(models, str):
        explicit, auto = [], []
        for item in models:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                explicit.append(item)
            else:
                auto.append(item)
        if explicit and auto:
            raise TypeError(
                "models mixes (name, estimator) pairs and bare estimators; use one "
                "form, or a dict {name: estimator}."
            )
        if explicit:
            pairs = list(explicit)
        else:
            # Like sklearn.pipeline.make_pipeline: repeated class names get -1, -2...
            names = [type(est).__name__ for est in auto]
            counts = {n: names.count(n) for n in names}
            seen: dict[str, int] = {}
            pairs = []
            for name, est in zip(names, auto):
                if counts[name] > 1:
                    seen[name] = seen.get(name, 0) + 1
                    name = f"{name}-{seen[name]}"
                pairs.append((name, est))
    else:
        raise TypeError(
            "models must be a dict {name: estimator} or a list of estimators or of "
            f"(name, estimator) pairs; got {type(models).__name__}."
        )
    if not pairs:
        raise ValueError("models is empty; pass at least one forecaster.")
    names = [name for name, _ in pairs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(
            f"Duplicate model names {dupes}; give each model a distinct name."
        )
    for name, est in pairs:
        missing = [m for m in _REQUIRED_METHODS if not callable(getattr(est, m, None))]
        if missing:
            raise TypeError(
                f"Model {name!r} ({type(est).__name__}) lacks {', '.join(missing)}: "
                "every backtest model must implement fit, forecast, update and "
                "predict (see tsattn._base.BaseForecaster)."
            )
        try:
            clone(est)
        except Exception as exc:
            raise TypeError(
                f"Model {name!r} ({type(est).__name__}) cannot be cloned with "
                f"sklearn.base.clone: {exc}"
            ) from exc
    return pairs


def _check_refit(refit: Any) -> int:
    """Return the refit period in folds (0 means fit once)."""
    if isinstance(refit, (bool, np.bool_)):
        return 1 if refit else 0
    if isinstance(refit, numbers.Integral) and refit >= 1:
        return int(refit)
    raise ValueError(
        "refit must be True (every fold), False (fit once) or an int k >= 1 "
        f"(every k folds); got refit={refit!r}."
    )


def _is_multivariate(model: Any) -> bool:
    """Whether ``model`` forecasts all columns jointly (else it is fitted per series).

    Reads the fitted attribute ``multivariate_`` when present, else the
    ``_multivariate`` class (or instance) attribute.
    """
    fitted = getattr(model, "multivariate_", None)
    if fitted is not None:
        return bool(fitted)
    return bool(getattr(model, "_multivariate", False))


def _long_columns(frame: pd.DataFrame) -> tuple[Any, Any, Any] | None:
    """Return the ``(id, time, value)`` columns of a long panel, else None."""
    if frame.shape[1] != 3 or isinstance(frame.index, pd.MultiIndex):
        return None
    lowered = {str(c).lower(): c for c in frame.columns}
    found = tuple(
        next((lowered[c] for c in names if c in lowered), None)
        for names in (_LONG_ID_COLUMNS, _LONG_TIME_COLUMNS, _LONG_VALUE_COLUMNS)
    )
    return None if any(c is None for c in found) else found


def _as_panel(data: Any, series: Any) -> dict[Any, pd.Series]:
    """Split ``data`` into one float64 Series per series, in input order.

    :func:`tsattn.data.to_panel` converts and checks the input (numeric, time
    order, finite, within float32); a wide frame's columns are its series, whose
    leading and trailing missing values (ragged starts) are dropped.
    """
    if isinstance(data, np.ndarray) and data.ndim == 1:
        data = pd.Series(data, name="y")
    if isinstance(data, pd.Series):
        if isinstance(data.index, pd.MultiIndex):
            data = data.to_frame("value")
        else:
            data = data.to_frame("y" if data.name is None else data.name)
    if not isinstance(data, (np.ndarray, pd.DataFrame, Mapping)):
        raise TypeError(
            "data must be a pandas Series, a wide DataFrame (one column per series), "
            "a long panel (a (series_id, time) MultiIndex, or columns series_id, "
            "time, value), a dict {series_id: Series} or an ndarray; got "
            f"{type(data).__name__}."
        )
    if isinstance(data, Mapping):  # each entry is one series, its key the name
        data = {key: _as_value_column(item) for key, item in data.items()}
    long = _long_columns(data) if isinstance(data, pd.DataFrame) else None
    wide = not isinstance(data, Mapping) and long is None
    if isinstance(data, pd.DataFrame) and isinstance(data.index, pd.MultiIndex):
        wide = False
    id_col, time_col, value_col = long or (None, None, None)
    panel = to_panel(
        data,
        columns=None if long is None else [value_col],
        id_col=id_col,
        time_col=time_col,
        allow_nan=True,
        name="data",
        dtype=np.float64,
    )
    if wide:
        keys = list(data.columns) if isinstance(data, pd.DataFrame) else None
        keys = keys or list(range(panel.n_features))
        out = {
            key: pd.Series(panel.values[:, j], index=panel.index, name=key)
            for j, key in enumerate(keys)
        }
    else:
        if panel.n_features != 1:
            raise ValueError(
                f"Each series of data must hold one column; got {panel.n_features} "
                f"columns {list(panel.columns)}. Pass one column per series."
            )
        out = {
            key: pd.Series(panel.values[rows, 0], index=panel.index[rows], name=key)
            for key, rows in (
                (key, panel.series_slice(i)) for i, key in enumerate(panel.series_ids)
            )
        }
    if series is not None:
        wanted = (
            list(series)
            if isinstance(series, (list, tuple, pd.Index, np.ndarray))
            else [series]
        )
        unknown = [s for s in wanted if s not in out]
        if unknown:
            shown = list(out)[:10]
            raise ValueError(
                f"Unknown series {unknown}; data holds {shown}"
                f"{'...' if len(out) > 10 else ''}."
            )
        out = {s: out[s] for s in wanted}
    for key, s in out.items():
        _check_gaps(key, _trim(s))
    return out


def _as_value_column(item: Any) -> Any:
    """Name a one-column entry of a dict panel ``value`` (the key names it)."""
    if isinstance(item, pd.Series):
        return item.rename("value")
    if isinstance(item, pd.DataFrame) and item.shape[1] == 1:
        return item.set_axis(["value"], axis=1)
    return item


def _check_gaps(key: Any, s: pd.Series) -> None:
    """Refuse missing values inside a series (only its edges may be missing)."""
    holes = np.flatnonzero(np.isnan(s.to_numpy()))
    if s.empty or holes.size:
        where = (
            "has no values"
            if s.empty
            else (
                f"contains missing values (NaN), first at {s.index[holes[0]]} "
                f"(position {holes[0]}); {holes.size} in all"
            )
        )
        raise ValueError(
            f"Series {key!r} of data {where}. Only the leading and trailing values "
            "of a wide panel's columns may be missing; fill or drop the others "
            "(e.g. data.ffill())."
        )


def _trim(s: pd.Series) -> pd.Series:
    """Drop leading and trailing missing values (ragged starts of a wide panel)."""
    valid = np.flatnonzero(s.notna().to_numpy())
    if valid.size == 0:
        return s.iloc[:0]
    return s.iloc[valid[0] : valid[-1] + 1]


# ---------------------------------------------------------------------------
# the work of one task (runs in a joblib worker)
# ---------------------------------------------------------------------------
@dataclass
class _Block:
    """Folds that share one fit: the fit uses rows ``fit_start .. fit_end``."""

    fit_start: int
    fit_end: int
    folds: list[Fold]


@dataclass
class _FoldResult:
    fold: int
    cutoff: int
    point: FloatArray  # (H, T)
    quantiles: dict[float, FloatArray] = field(default_factory=dict)  # q -> (H, T)
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    n_params: float = np.nan
    peak_memory_mb: float = np.nan


class BacktestFailureWarning(tsattn.TsattnWarning):
    """A model raised on a fold of :func:`backtest`; the fold is left out.

    Like scikit-learn's ``FitFailedWarning``. The ``failure`` attribute holds
    the entry of ``result.attrs["failures"]`` it announces: a dict with keys
    ``model``, ``series``, ``fold``, ``cutoff``, ``cutoff_pos`` and ``error``.
    """

    def __init__(self, message: str, failure: dict[str, Any] | None = None):
        super().__init__(message)
        self.failure = {} if failure is None else dict(failure)


@dataclass
class _Failure:
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


def _where(name: str, series: Any, fold: int, cutoff: Any) -> str:
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
    inf = np.isinf(values)
    if inf.any():
        step, j = (int(i[0]) for i in np.nonzero(inf))
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
    if np.isinf(out).any():
        row, step, j = (int(i[0]) for i in np.nonzero(np.isinf(out)))
        raise ValueError(
            f"Model {name!r}: predict() gives {out[row, step, j]} for "
            f"'{targets[j]}_h{step + 1}' at row {row}: the forecast overflowed, so "
            "it is refused."
        )
    return out


def _run_task(
    estimator: Any,
    frame: pd.DataFrame,
    offset: int,
    blocks: list[_Block],
    horizon: int,
    advance: str,
    track_memory: bool,
    name: str,
    series: Any = None,
    on_error: str = "warn",
) -> tuple[list[_FoldResult], list[_Failure]]:
    """Fit and forecast the blocks of one (model, series) in order.

    ``frame`` holds rows ``offset ..`` of the series and ends at the last cutoff of
    the task: no row after a cutoff is ever handed to this function. A block
    whose fit or forecast raises keeps the folds it finished; its other folds
    are returned as failures (``on_error="warn"``) or the error is raised again
    with the model, series and fold in its message (``on_error="raise"``).
    """
    out: list[_FoldResult] = []
    failures: list[_Failure] = []
    for block in blocks:
        results: dict[int, _FoldResult] = {
            f.cutoff: _FoldResult(f.fold, f.cutoff, np.empty(0)) for f in block.folds
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
                raise _reraise(exc, _where(name, series, first.fold, label)) from exc
            text = _describe(exc)
            failures.extend(
                _Failure(f.fold, frame.index[f.cutoff - offset], f.cutoff, text)
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
    block: _Block,
    results: dict[int, _FoldResult],
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
            keep = quantiles and not _is_multivariate(estimator)
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


# ---------------------------------------------------------------------------
# planning and assembly
# ---------------------------------------------------------------------------
def _make_blocks(folds: list[Fold], period: int) -> list[_Block]:
    if period == 0:
        period = len(folds)
    return [
        _Block(folds[i].train_start, folds[i].train_end, folds[i : i + period])
        for i in range(0, len(folds), period)
    ]


def _has_warm_start(estimator: Any) -> bool:
    try:
        return bool(estimator.get_params(deep=False).get("warm_start", False))
    except Exception:  # not an sklearn estimator: clone() already refused it
        return False


def _prepare(estimator: Any, horizon: int) -> Any:
    est = clone(estimator)
    if "horizon" in est.get_params(deep=False):
        est.set_params(horizon=horizon)
    return est


def _frame_rows(
    model: str,
    series: Any,
    data: pd.Series,
    results: list[_FoldResult],
    column: int,
    horizon: int,
) -> dict[str, Any]:
    """Columns of the tidy frame for one (model, series)."""
    index, values = data.index, data.to_numpy(dtype=np.float64)
    results = sorted(results, key=lambda r: r.cutoff)
    n = len(results) * horizon
    steps = np.tile(np.arange(1, horizon + 1), len(results))
    cut = np.repeat([r.cutoff for r in results], horizon)
    target = cut + steps

    def per_fold(attr: str) -> FloatArray:
        return np.repeat([getattr(r, attr) for r in results], horizon).astype(float)

    cols: dict[str, Any] = {
        "model": [model] * n,
        "series": [series] * n,
        "fold": np.repeat([r.fold for r in results], horizon),
        "cutoff": index[cut],
        "cutoff_pos": cut.astype(np.int64),
        "step": steps,
        "timestamp": index[target],
        "y_true": values[target],
        "y_pred": np.concatenate([r.point[:, column] for r in results]),
    }
    qs = sorted({q for r in results for q in r.quantiles})
    for q in qs:
        cols[f"q{q:g}"] = np.concatenate(
            [
                r.quantiles[q][:, column]
                if q in r.quantiles
                else np.full(horizon, np.nan)
                for r in results
            ]
        )
    for attr in ("fit_seconds", "predict_seconds", "n_params", "peak_memory_mb"):
        cols[attr] = per_fold(attr)
    return cols


def _quantile_key(col: str) -> float:
    return float(col[1:])


def backtest(
    models: Any,
    data: Any,
    *,
    horizon: int,
    initial: int | None = None,
    step: int | None = None,
    n_folds: int | None = None,
    window: str = "expanding",
    window_size: int | None = None,
    refit: bool | int = True,
    gap: int = 0,
    advance: str = "auto",
    n_jobs: int | None = None,
    backend: str | None = None,
    series: Any = None,
    track_memory: bool = False,
    on_error: str = "warn",
    verbose: int = 0,
) -> pd.DataFrame:
    """Evaluate forecasters by rolling origin over one or several series.

    For every model, series and fold the model is fitted on the fold's training
    rows and forecasts ``horizon`` steps from the fold's cutoff. Each forecast made
    at a cutoff uses data up to and including the cutoff row, and nothing after it.

    Parameters
    ----------
    models : dict, list of estimators or list of (name, estimator) pairs
        Forecasters with the tsattn forecasting face (``fit``, ``forecast``,
        ``update``, ``predict``). A list of estimators is named after the classes,
        with ``-1``, ``-2``... on repeated names. Each model is cloned with
        :func:`sklearn.base.clone` per task, so the objects passed in are never
        fitted or changed. A model with a ``horizon`` parameter gets
        ``horizon=horizon`` so that every model is scored on the same steps.
    data : Series, DataFrame, dict or ndarray
        One series (a Series or 1-D array); a wide DataFrame (or 2-D array) with
        one column per series; a dict ``{series_id: Series}``; or a long panel:
        a DataFrame with a ``(series_id, time)`` MultiIndex and one value
        column, or with exactly three columns named like ``series_id`` /
        ``unique_id``, ``time`` / ``ds`` / ``date`` / ``timestamp`` and
        ``value`` / ``y``. Rows are time steps in time order, on a
        DatetimeIndex or an integer index. For univariate models, leading and
        trailing missing values of each series are dropped (ragged starts of a
        panel) and each series has its own folds.
    horizon : int
        Steps forecast at each cutoff.
    initial : int, optional
        Training rows at the first fold (see :class:`BacktestSplitter`).
    step : int, optional
        Rows between cutoffs; defaults to ``horizon``.
    n_folds : int, optional
        Number of folds, counted back from the end so that the last horizon ends
        at the last row (or the first ``n_folds`` from ``initial``).
    window : {"expanding", "sliding"}, default="expanding"
        Training window at each refit.
    window_size : int, optional
        Maximum training rows of a sliding window; defaults to the first fold's.
    refit : bool or int, default=True
        ``True`` fits at every fold, ``False`` once at the first fold, an int
        ``k`` at every ``k``-th fold. Between refits the model is not refitted:
        its forecasts at the later cutoffs come from ``predict`` or ``update``
        (see ``advance``), so it keeps the parameters of its last fit while its
        state follows the data (all rows since that fit, whatever ``window``:
        the window bounds the training rows only). A model whose
        ``warm_start`` parameter is true is refitted in place (one object per
        model and series, folds in order), so it can start from its previous
        fit; what a warm start reuses is up to the model.
    gap : int, default=0
        Embargo rows: the fit at a fold uses rows up to ``cutoff - gap``; the
        ``gap`` rows after them are fed as observations (through ``predict`` or
        ``update``), never trained on, and the forecast starts after the cutoff.
    advance : {"auto", "predict", "update"}, default="auto"
        How a model reaches the cutoffs after the end of its fit. ``"predict"``:
        one batched ``predict`` over the rows up to the block's last cutoff gives
        every origin's forecast in one pass (point forecasts only: quantile
        columns are NaN there). ``"update"``: ``update`` with the new rows, then
        ``forecast(horizon)`` at each cutoff (one call per origin, quantiles
        kept). ``"auto"``: ``"update"`` for univariate models whose forecasts
        carry quantiles (the statsmodels baselines: a state update per origin),
        ``"predict"`` for the others and for multivariate models (the attention
        network predicts every origin in one batched pass; pass ``"update"`` to
        get its quantiles at every origin, one pass per origin).
    n_jobs : int, optional
        Parallel tasks through :class:`joblib.Parallel`. ``None`` means 1 unless
        inside a :func:`joblib.parallel_config` context; ``-1`` uses all cores.
        A task is one model on one series over the folds sharing one fit.
    backend : str, optional
        Shortcut for ``with joblib.parallel_config(backend=backend)``. Use
        ``"dask"`` with a running ``dask.distributed.Client`` to spread the tasks
        over a cluster.
    series : label or list of labels, optional
        The series to backtest; all by default.
    track_memory : bool, default=False
        Measure the peak Python memory of each fit with :mod:`tracemalloc`
        (column ``peak_memory_mb``; NaN otherwise). Tracing slows Python code
        down, so timings taken with it are pessimistic; with thread-based
        backends only one fit at a time is measured.
    on_error : {"warn", "raise"}, default="warn"
        What a model that raises (in ``fit``, ``forecast``, ``update`` or
        ``predict``) does to the backtest, as ``error_score`` does in
        :func:`sklearn.model_selection.cross_validate`. ``"warn"``: the folds
        it could not forecast are left out of the frame and listed in
        ``result.attrs["failures"]``, a :class:`BacktestFailureWarning` (a
        :class:`~tsattn.TsattnWarning`) per failed fold and series names the
        model, series, fold and error, and every other model's results come
        back. Works alike with every ``n_jobs`` and backend: the worker
        records the error, the calling process warns. ``"raise"``: the first
        error met (with ``n_jobs > 1``, that of the task that fails first) is
        raised again, of the same type where possible, else ``RuntimeError``,
        with the model, series and fold in its message.
    verbose : int, default=0
        Verbosity of :class:`joblib.Parallel`.

    Returns
    -------
    pandas.DataFrame
        One row per (model, series, cutoff, step), in that order, with columns
        ``model``, ``series``, ``fold`` (0-based per series), ``cutoff`` (index of
        the last row visible to the forecast), ``cutoff_pos`` (int: the 0-based
        row position of the cutoff within its series, after the leading
        missing values of a ragged series are dropped; the spacing of
        consecutive folds in rows is its difference), ``step`` (1 .. horizon),
        ``timestamp`` (index of the target row), ``y_true``, ``y_pred``, one
        ``q<level>`` column per quantile any model gives (``q0.05``...; NaN for
        models without it), ``fit_seconds`` (0 on folds without a refit),
        ``predict_seconds`` (a batched ``predict`` is shared evenly by the folds
        it serves), ``n_params`` (``n_params_`` or the number of statsmodels
        parameters; NaN if unknown) and ``peak_memory_mb``. The per-fold figures
        repeat on each step row of the fold.

        ``result.attrs["failures"]`` lists the folds that failed (see
        ``on_error``) as a list of dicts with keys ``model``, ``series``,
        ``fold``, ``cutoff``, ``cutoff_pos`` and ``error`` (``"TypeName:
        message"``), one per failed fold and series, in the order of the
        frame; ``pd.DataFrame(result.attrs["failures"])`` makes it a table.
        It is empty when every fold succeeded.

    Notes
    -----
    The backtest never scales the data: models fit their scalers on the rows of
    each fit. A model declaring itself multivariate (a class attribute
    ``_multivariate = True``, or ``multivariate_`` on a fitted instance) is
    fitted on all series at once, which must share one index; others are
    fitted series by series.

    Leakage is ruled out by construction: a task receives the rows of its
    series only up to its last cutoff; ``fit`` gets the training rows, and the
    rows after them reach the model through ``update`` or ``predict`` only up
    to each cutoff, whose forecast is read from the row of that cutoff.

    The statsmodels baselines work on tiny matrices and gain nothing from BLAS
    threads; on a busy machine those threads oversubscribe the cores and can
    slow each fit down many times over. joblib's process workers already cap
    them; for a sequential run use
    ``with threadpoolctl.threadpool_limits(1, user_api="blas"): backtest(...)``.

    See Also
    --------
    tsattn.splitters.BacktestSplitter : The fold geometry, also usable as ``cv``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from tsattn.backtesting import backtest
    >>> from tsattn.baselines import NaiveForecaster
    >>> y = pd.Series(np.arange(10.0), name="price")
    >>> res = backtest({"naive": NaiveForecaster()}, y, horizon=2, initial=6)
    >>> res[["cutoff", "step", "y_true", "y_pred"]]
       cutoff  step  y_true  y_pred
    0       5     1     6.0     5.0
    1       5     2     7.0     5.0
    2       7     1     8.0     7.0
    3       7     2     9.0     7.0
    """
    pairs = _name_models(models)
    splitter = BacktestSplitter(
        horizon,
        initial=initial,
        n_folds=n_folds,
        step=step,
        window=window,
        window_size=window_size,
        gap=gap,
    )
    period = _check_refit(refit)
    if advance not in _ADVANCE:
        raise ValueError(f"advance must be one of {_ADVANCE}; got {advance!r}.")
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {_ON_ERROR}; got {on_error!r}.")
    config = (
        contextlib.nullcontext()
        if backend is None
        else joblib.parallel_config(backend=_check_backend(backend))
    )
    panel = _as_panel(data, series)
    multi = {name: _is_multivariate(est) for name, est in pairs}

    wide = None
    if any(multi.values()):
        wide = pd.concat(list(panel.values()), axis=1, keys=list(panel))
        holes = {k: int(n) for k, n in wide.isna().sum().items() if n}
        if holes:
            model = next(name for name, m in multi.items() if m)
            raise ValueError(
                f"Multivariate model {model!r} needs every series on one index "
                f"without missing values; missing values per series: {holes}. "
                "Pass aligned series or use univariate models."
            )
    trimmed = {k: _trim(s) for k, s in panel.items()} if not all(multi.values()) else {}

    def plan(key: Any, n_rows: int) -> list[Fold]:
        try:
            return splitter.folds(n_rows)
        except ValueError as exc:
            where = "The aligned panel" if key is None else f"Series {key!r}"
            raise ValueError(f"{where}: {exc}") from None

    # Each task ships only the rows from its first training row to its last cutoff.
    tasks, keys = [], []
    for name, est in pairs:
        units = (
            [(None, wide)]
            if multi[name]
            else [(k, s.to_frame(k)) for k, s in trimmed.items()]
        )
        for key, frame in units:
            blocks = _make_blocks(plan(key, len(frame)), period)
            base = _prepare(est, horizon)
            groups = [blocks] if _has_warm_start(base) else [[b] for b in blocks]
            for group in groups:
                lo = min(b.fit_start for b in group)
                hi = max(b.folds[-1].cutoff for b in group)
                task_est = base if len(groups) == 1 else clone(base)
                tasks.append(
                    joblib.delayed(_run_task)(
                        task_est,
                        frame.iloc[lo : hi + 1],
                        lo,
                        group,
                        horizon,
                        advance,
                        track_memory,
                        name,
                        key,
                        on_error,
                    )
                )
                keys.append((name, key))

    with config:
        outputs = joblib.Parallel(n_jobs=n_jobs, verbose=verbose)(tasks)

    collected: dict[tuple[str, Any], list[_FoldResult]] = {}
    failed: dict[tuple[str, Any], list[_Failure]] = {}
    for key, (out, lost) in zip(keys, outputs):
        collected.setdefault(key, []).extend(out)
        failed.setdefault(key, []).extend(lost)

    frames, failures = [], []
    for name, _ in pairs:
        for j, key in enumerate(panel):
            # a multivariate model's outputs hold every series, column j is `key`
            task = (name, None) if multi[name] else (name, key)
            s, col = (wide[key], j) if multi[name] else (trimmed[key], 0)
            res = collected[task]
            if res:
                frames.append(
                    pd.DataFrame(_frame_rows(name, key, s, res, col, horizon))
                )
            for f in sorted(failed[task], key=lambda f: f.cutoff_pos):
                entry = {
                    "model": name,
                    "series": key,
                    "fold": f.fold,
                    "cutoff": f.cutoff,
                    "cutoff_pos": f.cutoff_pos,
                    "error": f.error,
                }
                failures.append(entry)
                warnings.warn(
                    BacktestFailureWarning(
                        f"Backtest: {_where(name, key, f.fold, f.cutoff)} failed "
                        f"and is left out of the results: {f.error}",
                        entry,
                    ),
                    stacklevel=2,
                )
    lead = ["model", "series", "fold", "cutoff", "cutoff_pos", "step", "timestamp"]
    tail = ["fit_seconds", "predict_seconds", "n_params", "peak_memory_mb"]
    if not frames:
        result = pd.DataFrame(
            {c: pd.Series(dtype=object) for c in [*lead, "y_true", "y_pred", *tail]}
        )
    elif len(frames) == 1:
        result = frames[0]
    else:
        result = pd.concat(frames, ignore_index=True)
    qcols = sorted(
        (c for c in result.columns if c.startswith("q") and c != "q"), key=_quantile_key
    )
    result = result[[*lead, "y_true", "y_pred", *qcols, *tail]]
    result.attrs["failures"] = failures
    return result


def _check_backend(backend: str) -> str:
    if backend == "dask":
        try:
            import dask.distributed  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                'backend="dask" needs dask.distributed. Install it with: '
                'pip install "tsattn[distributed]".'
            ) from exc
    return backend
