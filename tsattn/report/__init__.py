"""Self-contained HTML backtesting reports rendered from a results frame."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from tsattn._docstrings import fill_doc
from tsattn._io import WRITE_DOC, atomic_write, check_writable
from tsattn.report._attention import attention_spec_figure, check_attention
from tsattn.report._compare import detect_comparisons
from tsattn.report._frame import REQUIRED_COLUMNS
from tsattn.report._render import build_html
from tsattn.report._task_text import TASK_TITLES, task_headline

__all__ = [
    "REQUIRED_COLUMNS",
    "TASK_TITLES",
    "detect_comparisons",
    "plot_attention",
    "render_report",
    "save_report",
    "task_headline",
]


def plot_attention(attention: Mapping[str, Any], *, all_layers: bool = False) -> Any:
    """Draw attention maps as one heatmap per head.

    Parameters
    ----------
    attention : mapping
        What :meth:`tsattn.AttentionForecaster.attention_weights` returns:
        ``{"model", "timestamps", "weights"}`` with ``weights`` of shape
        ``(n_layers, n_heads, N, N)`` (the same mapping ``render_report``
        takes as ``attention=``).
    all_layers : bool, default=False
        Draw every layer (one row of heads per layer) instead of the last.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not attached to pyplot; save it with ``fig.savefig``).

    Examples
    --------
    >>> import numpy as np
    >>> from tsattn.report import plot_attention
    >>> w = np.full((1, 2, 4, 4), 0.25)
    >>> fig = plot_attention({"model": "mha", "timestamps": list(range(4)),
    ...                       "weights": w})
    >>> len([ax for ax in fig.axes if ax.get_visible()])  # 2 heads + colour bar
    3
    """
    spec = check_attention({**attention, "all_layers": all_layers})
    return attention_spec_figure(spec)


def render_report(
    results: pd.DataFrame,
    *,
    title: str = "tsattn backtest report",
    baseline: str | Mapping[str, str] | None = "naive",
    attention: Mapping[str, Any] | None = None,
    comparisons: Sequence[tuple[str, str, str]] | None = None,
    notes: str | None = None,
    forecast_folds: int = 3,
    max_series: int = 6,
    dm_loss: str = "absolute",
) -> str:
    """Render a backtest results frame as one self-contained HTML page.

    The page reads top to bottom: a headline that says in words whether any
    model beats the baseline (and by how much, with a Diebold–Mariano test), a
    leaderboard of every model, forecasts against actuals, error by horizon step,
    cumulative error over time, cost per model, head-to-head comparisons,
    attention heatmaps and notes. Figures are embedded PNGs and the stylesheet is
    inlined, so the file needs no network and runs no scripts. All user text
    (model and series names, title, notes) is HTML-escaped.

    **Multi-task results.** A frame with a ``task`` column (from
    :func:`tsattn.backtesting.backtest_tasks`, several seeds of a model
    concatenated with an integer ``seed`` column) gives the multi-task report
    instead. For every task kind ("return", "direction", "variance",
    "volatility", and "price" rows when present) it answers in words whether
    multi-head or self-attention, with one output layer or a head per task,
    beats the task's reference (zero return, the base rate, GARCH, naive), by
    how much and on how many seeds significantly
    (:func:`tsattn.stats.task_leaderboard`, :func:`tsattn.stats.seed_verdict`:
    Diebold–Mariano with QLIKE for variance and squared error elsewhere, Holm
    within each task and seed). Then a leaderboard per task (metrics as means
    over seeds, the spread of the ranked metric, the test against the
    reference, parameters, fit time and memory), the variance forecasts
    against realized variance per series (log scale), a calibration plot of
    the direction probabilities with the count per bin, and, per task, the
    self- vs multi-head and one-output vs per-task-head comparisons side by
    side: pairs of attention models (read from the ``n_heads``,
    ``output_head``, ``d_model`` and ``n_params`` columns) that differ in that
    choice only, at equal width or at equal parameter budget (within 10%). A
    task whose reference model is missing is reported as untested. In this
    mode ``comparisons``, ``dm_loss`` and ``forecast_folds`` are not used, and
    price rows get no forecast plots (render them without the ``task`` column
    for the price report).

    Parameters
    ----------
    results : pandas.DataFrame
        Tidy backtest results, one row per model × series × cutoff × step, as
        returned by :func:`tsattn.backtesting.backtest`. Required columns:
        ``model``, ``series``, ``fold``, ``cutoff``, ``step`` (1..H),
        ``timestamp``, ``y_true``, ``y_pred``. Optional: quantile columns named
        ``q<level>`` (e.g. ``q0.05``, ``q0.95``; the outermost pair gives the
        interval), ``fit_seconds`` and ``predict_seconds`` (per fold, repeated on
        its rows), ``n_params`` and ``peak_memory_mb`` (NaN allowed), and
        ``y_insample_naive_scale`` (the MASE denominator; without it MASE is the
        MAE relative to the baseline on the same forecasts). NaN
        forecasts are counted and shown, never dropped silently; metrics use the
        rows where both actual and forecast are finite.
    title : str, default="tsattn backtest report"
        Page title and main heading.
    baseline : str, mapping or None, default="naive"
        Model the others are measured against (MASE, Diebold–Mariano test,
        relative plots). When it is absent from ``results`` (or None) the report
        says so and leaves those columns blank. For multi-task results: a
        mapping from task kind to reference model overrides
        :data:`tsattn.metrics.TASK_BASELINES` (e.g. ``{"variance": "har"}``);
        a string names the reference of the price rows.
    attention : mapping, optional
        Attention weights of one forecast, drawn as one heatmap per head. Keys:

        - ``"model"`` (str): the model the weights come from.
        - ``"timestamps"`` (sequence of length ``Lk``): the time of each key
          position (the window's rows), used as axis labels.
        - ``"weights"`` (array of shape ``(n_layers, n_heads, Lq, Lk)``, or
          ``(n_heads, Lq, Lk)`` for one layer): softmax weights in [0, 1].
        - ``"query_timestamps"`` (optional, length ``Lq``): labels of the query
          positions; defaults to ``timestamps`` when ``Lq == Lk``.
        - ``"series"``, ``"cutoff"`` (optional): where the forecast was made, for
          the caption.
        - ``"all_layers"`` (optional bool, default False): draw every layer
          instead of only the last.
    comparisons : list of (str, str, str), optional
        ``(title, model_a, model_b)`` pairs compared head to head (accuracy, cost
        and a Diebold–Mariano test between the two). By default pairs are found
        by name (see :func:`detect_comparisons`): ``sa`` with ``mha`` and
        single with multi output-head variants. Pass ``[]`` for none.
    notes : str, optional
        Free text shown at the end (e.g. data provenance); blank lines separate
        paragraphs.
    forecast_folds : int, default=3
        Number of most recent folds drawn in the forecast plots.
    max_series : int, default=6
        Largest number of series given a forecast plot.
    dm_loss : {"absolute", "squared"}, default="absolute"
        Loss of the Diebold–Mariano tests (see :func:`tsattn.metrics.evaluate`).
        Absolute error matches the MAE the headline speaks of.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ValueError
        If required columns are missing, the frame is empty or has duplicate
        forecasts, or ``comparisons`` / ``attention`` do not match the data.
    TypeError
        If an argument has the wrong type.

    See Also
    --------
    save_report : Render and write the page to a file atomically.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from tsattn.report import render_report
    >>> idx = pd.bdate_range("2024-01-01", periods=12)
    >>> rows = []
    >>> for model, noise in (("naive", 0.0), ("mha", 0.5)):
    ...     for fold, c in enumerate(range(2, 10, 2)):
    ...         for step in (1, 2):
    ...             rows.append(dict(model=model, series="close", fold=fold,
    ...                 cutoff=idx[c], step=step, timestamp=idx[c + step],
    ...                 y_true=100.0 + c + step, y_pred=100.0 + c + noise * step))
    >>> html = render_report(pd.DataFrame(rows), comparisons=[])
    >>> html.startswith("<!DOCTYPE html>")
    True
    """
    return build_html(
        results,
        title=title,
        baseline=baseline,
        attention=attention,
        comparisons=comparisons,
        notes=notes,
        forecast_folds=forecast_folds,
        max_series=max_series,
        dm_loss=dm_loss,
    )


@fill_doc(WRITE_DOC)
def save_report(results: pd.DataFrame, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Render a report and write it to ``path`` atomically.

    The page is written to a temporary file in the same directory and moved
    over ``path`` with :func:`os.replace`, so readers never see a half-written
    file and an existing report is replaced in one step.

    Parameters
    ----------
    results : pandas.DataFrame
        Backtest results, as for :func:`render_report`.
    path : str or os.PathLike
        Destination file; its directory must exist.
    **kwargs
        Keyword arguments of :func:`render_report`.

    {{returns_path_and_write_errors}}
    """
    target = check_writable(path, "report")
    return atomic_write(target, render_report(results, **kwargs))
