"""Assembly of the report's HTML sections from the results, stats and figures."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsattn.report import _plots
from tsattn.report._attention import attention_section, check_attention
from tsattn.report._compare import (
    check_comparisons,
    comparisons_section,
    detect_comparisons,
)
from tsattn.report._frame import PreparedResults, prepare_results
from tsattn.report._html import (
    Markup,
    figure_section,
    fmt_label,
    image,
    part,
    render_page,
)
from tsattn.report._leaderboard import leaderboard_section
from tsattn.report._stats import leaderboard, step_errors
from tsattn.report._style import model_colors
from tsattn.report._tasks import build_task_html
from tsattn.report._text import headline

__all__ = ["build_html"]


def _header(prep: PreparedResults, title: str) -> Markup:
    cutoffs = np.sort(prep.frame["cutoff"].unique())
    parts = [
        f"{len(prep.models)} model{'s' * (len(prep.models) != 1)}",
        f"{len(prep.series)} series",
        f"{prep.n_folds} fold{'s' * (prep.n_folds != 1)}",
        f"horizon {prep.horizon}",
    ]
    if len(cutoffs):
        first, last = fmt_label(cutoffs[0]), fmt_label(cutoffs[-1])
        parts.append(
            f"cutoffs {first} → {last}" if first != last else f"cutoff {first}"
        )
    return part("masthead", title=title, parts=parts)


def _verdict_section(board: pd.DataFrame, prep: PreparedResults) -> Markup:
    v = headline(board, prep.baseline, prep.baseline_requested)
    details = [Markup(d) for d in v.details]
    return part("verdict", kind=v.kind, lead=Markup(v.lead), details=details)


def _forecast_section(
    prep: PreparedResults,
    order: list[str],
    colors: dict[str, str],
    forecast_folds: int,
    max_series: int,
) -> Markup:
    shown = prep.series[:max_series]
    n = min(forecast_folds, prep.n_folds)
    interval = ""
    if prep.interval is not None:
        lo, hi, cov = prep.interval
        interval = f" Shaded: the {cov:.0%} interval between {lo} and {hi}."
    note = None
    if len(prep.series) > len(shown):
        note = f"Showing the first {len(shown)} of {len(prep.series)} series."
    figures = []
    for series in shown:
        fig = _plots.forecast_figure(prep, series, order, colors, n)
        caption = Markup("<b>{}</b>: last {} forecasts.{}").format(series, n, interval)
        figures.append(
            {
                "heading": series,
                "img": image(fig),
                "alt": f"Forecasts and actuals for {series}",
                "caption": caption,
            }
        )
    text = (
        f"The last {n} forecasts of each model (coloured) against what happened "
        "(black). Dotted lines mark the cutoffs."
    )
    return part(
        "section",
        id="forecasts",
        title="Forecasts against actuals",
        paragraphs=[text],
        note=note,
        figures=figures,
    )


def _horizon_section(
    prep: PreparedResults, order: list[str], colors: dict[str, str]
) -> Markup | str:
    table = step_errors(prep)
    table = table.reindex(columns=[m for m in order if m in table.columns])
    if table.empty:
        return ""
    fig = _plots.horizon_figure(table, colors, prep.baseline)
    text = (
        "Mean absolute error at each step after the cutoff, over all series and folds."
    )
    if prep.baseline is not None:
        text += (
            f" On the right, the same relative to {prep.baseline}: below the "
            "dashed line is better."
        )
    return figure_section(
        "horizon",
        "Error by horizon",
        text,
        fig,
        "MAE by horizon step",
        "MAE by horizon step.",
    )


def _cumulative_section(
    prep: PreparedResults, order: list[str], colors: dict[str, str]
) -> Markup | str:
    if prep.baseline is not None and all(m == prep.baseline for m in order):
        return ""
    fig = _plots.cumulative_figure(prep, order, colors)
    if prep.baseline is not None:
        base = prep.baseline
        text = (
            f"Error accumulated over the cutoffs, minus what {base} accumulated on "
            f"the same forecasts. A line that falls is gaining on {base}; one that "
            f"rises is losing to it. A steady slope means a steady edge; a jump "
            "means one period decided the result."
        )
    else:
        text = "Error accumulated over the cutoffs, summed over series and steps."
    return figure_section(
        "cumulative",
        "Cumulative error over time",
        text,
        fig,
        "Cumulative error over time",
        "Cumulative error by cutoff.",
    )


def _cost_section(board: pd.DataFrame, colors: dict[str, str]) -> Markup:
    columns = [
        (key, title)
        for key, title in (
            ("n_params", "Parameters"),
            ("fit_seconds", "Fit s / fold"),
            ("predict_seconds", "Predict s / fold"),
            ("peak_memory_mb", "Peak memory, MiB"),
        )
        if np.isfinite(board[key]).any()
    ]
    if not columns:
        text = (
            "The results carry no cost figures (n_params, fit_seconds, "
            "predict_seconds, peak_memory_mb)."
        )
        return part("section", id="cost", title="Cost", paragraphs=[text])
    fig = _plots.cost_figure(board, colors, columns)
    text = (
        "What each model costs to fit and run, beside what it buys in accuracy "
        "(leaderboard order). n/a: not measured."
    )
    return figure_section(
        "cost", "Cost", text, fig, "Cost per model", "Cost per model."
    )


def _notes_section(notes: str | None) -> Markup | str:
    if notes is None:
        return ""
    if not isinstance(notes, str):
        raise TypeError(f"notes must be a str or None; got {type(notes).__name__}.")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", notes) if p.strip()]
    return part("notes", paragraphs=paragraphs)


def build_html(
    results: pd.DataFrame,
    *,
    title: str,
    baseline: str | Mapping[str, str] | None,
    attention: Mapping[str, Any] | None,
    comparisons: Sequence[tuple[str, str, str]] | None,
    notes: str | None,
    forecast_folds: int,
    max_series: int,
    dm_loss: str,
) -> str:
    """Validate the inputs and return the whole HTML document."""
    if dm_loss not in ("absolute", "squared"):
        raise ValueError(f"dm_loss must be 'absolute' or 'squared'; got {dm_loss!r}.")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str; got {type(title).__name__}.")
    for name, value in (("forecast_folds", forecast_folds), ("max_series", max_series)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int >= 1; got {value!r}.")
        if value < 1:
            raise ValueError(f"{name} must be >= 1; got {name}={value}.")
    if notes is not None and not isinstance(notes, str):
        raise TypeError(f"notes must be a str or None; got {type(notes).__name__}.")
    if isinstance(results, pd.DataFrame) and "task" in results.columns:
        return build_task_html(
            results,
            title=title,
            baseline=baseline,
            attention=attention,
            notes=notes,
            max_series=int(max_series),
        )
    prep = prepare_results(results, baseline)
    spec = check_attention(attention) if attention is not None else None
    if comparisons is None:
        pairs = detect_comparisons(prep.models)
    else:
        pairs = check_comparisons(comparisons, prep.models)

    board = leaderboard(prep, dm_loss)
    order = [str(m) for m in board.index]
    colors = model_colors(order, prep.baseline)
    sections = [
        ("leaderboard", "Leaderboard", leaderboard_section(board, prep, dm_loss)),
        (
            "forecasts",
            "Forecasts",
            _forecast_section(
                prep, order, colors, int(forecast_folds), int(max_series)
            ),
        ),
        ("horizon", "Error by horizon", _horizon_section(prep, order, colors)),
        ("cumulative", "Error over time", _cumulative_section(prep, order, colors)),
        ("cost", "Cost", _cost_section(board, colors)),
        (
            "comparisons",
            "Comparisons",
            comparisons_section(prep, board, pairs, dm_loss),
        ),
        ("attention", "Attention", attention_section(spec)),
        ("notes", "Notes", _notes_section(notes)),
    ]
    return render_page(
        title=title,
        masthead=_header(prep, title),
        verdict=_verdict_section(board, prep),
        sections=sections,
    )
