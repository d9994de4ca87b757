"""Rolling-origin backtests of several forecasters over several series.

:func:`backtest` checks its arguments, plans the folds of every model and
series, runs the tasks in parallel and gathers one tidy frame. What it is
given is read in :mod:`tsattn.backtesting.inputs`; the work of one task is
:mod:`tsattn.backtesting.folds`.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone

import tsattn
from tsattn.backtesting.folds import (
    Block,
    Failure,
    FloatArray,
    FoldResult,
    run_task,
    where,
)
from tsattn.backtesting.inputs import (
    as_panel,
    check_refit,
    is_multivariate,
    name_models,
    trim,
)
from tsattn.splitters import BacktestSplitter, Fold

__all__ = ["BacktestFailureWarning", "BacktestSplitter", "backtest"]

_ADVANCE = ("auto", "predict", "update")
_ON_ERROR = ("warn", "raise")


class BacktestFailureWarning(tsattn.TsattnWarning):
    """A model raised on a fold of :func:`backtest`; the fold is left out.

    Like scikit-learn's ``FitFailedWarning``. The ``failure`` attribute holds
    the entry of ``result.attrs["failures"]`` it announces: a dict with keys
    ``model``, ``series``, ``fold``, ``cutoff``, ``cutoff_pos`` and ``error``.
    """

    def __init__(self, message: str, failure: dict[str, Any] | None = None):
        super().__init__(message)
        self.failure = {} if failure is None else dict(failure)


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
    pairs = name_models(models)
    splitter = BacktestSplitter(
        horizon,
        initial=initial,
        n_folds=n_folds,
        step=step,
        window=window,
        window_size=window_size,
        gap=gap,
    )
    period = check_refit(refit)
    if advance not in _ADVANCE:
        raise ValueError(f"advance must be one of {_ADVANCE}; got {advance!r}.")
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {_ON_ERROR}; got {on_error!r}.")
    config = (
        contextlib.nullcontext()
        if backend is None
        else joblib.parallel_config(backend=_check_backend(backend))
    )
    panel = as_panel(data, series)
    multi = {name: is_multivariate(est) for name, est in pairs}

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
    trimmed = {k: trim(s) for k, s in panel.items()} if not all(multi.values()) else {}

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
                    joblib.delayed(run_task)(
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

    collected: dict[tuple[str, Any], list[FoldResult]] = {}
    failed: dict[tuple[str, Any], list[Failure]] = {}
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
                        f"Backtest: {where(name, key, f.fold, f.cutoff)} failed "
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


# ---------------------------------------------------------------------------
# planning and assembly
# ---------------------------------------------------------------------------
def _make_blocks(folds: list[Fold], period: int) -> list[Block]:
    if period == 0:
        period = len(folds)
    return [
        Block(folds[i].train_start, folds[i].train_end, folds[i : i + period])
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
    results: list[FoldResult],
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
