"""The multi-task report: returns, direction and variance against their references."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tsattn import stats
from tsattn.evaluation import TASK_BASELINES, TASK_METRICS
from tsattn.metrics import calibration_table
from tsattn.report._attention import attention_section, check_attention
from tsattn.report._frame import named_rows
from tsattn.report._html import (
    Markup,
    fmt_label,
    image,
    part,
    render_page,
)
from tsattn.report._style import model_colors
from tsattn.report._task_board import board_section
from tsattn.report._task_pairs import comparisons_section
from tsattn.report._task_plots import calibration_figure, variance_figure
from tsattn.report._task_text import (
    TASK_TITLES,
    task_headline,
)
from tsattn.report._text import ALPHA

__all__ = ["TASK_REQUIRED_COLUMNS", "build_task_html", "task_references"]

TASK_REQUIRED_COLUMNS = (
    "model",
    "series",
    "task",
    "cutoff",
    "step",
    "y_true",
    "y_pred",
)


def task_references(baseline: Any) -> dict[str, str]:
    """Return the reference model of each task kind from the ``baseline`` argument.

    A mapping overrides :data:`tsattn.metrics.TASK_BASELINES` per task; a
    string names the reference of the ``"price"`` rows (default ``"naive"``).
    """
    refs = dict(TASK_BASELINES)
    if isinstance(baseline, Mapping):
        bad = {k: v for k, v in baseline.items() if not isinstance(v, str)}
        if bad:
            raise TypeError(f"baseline values must be model names (str); got {bad}.")
        refs.update({str(k): v for k, v in baseline.items()})
    elif isinstance(baseline, str):
        refs["price"] = baseline
    elif baseline is not None:
        raise TypeError(
            "baseline must be a model name, a mapping task -> model, or None; got "
            f"{baseline!r}."
        )
    return refs


def _check(results: pd.DataFrame) -> pd.DataFrame:
    frame = named_rows(
        results, TASK_REQUIRED_COLUMNS, ("model", "series", "task"), "multi-task"
    )
    unknown = sorted(set(frame["task"]) - set(TASK_METRICS))
    if unknown:
        raise ValueError(
            f"results has unknown task kind(s) {unknown}; use one of "
            f"{list(TASK_METRICS)}."
        )
    for name in ("y_true", "y_pred"):
        values = frame[name]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(
            values
        ):
            raise TypeError(
                f"results column {name!r} must be numeric; got dtype {values.dtype}."
            )
    key = ["model", "task", "series", "cutoff", "step"]
    key += [c for c in ("seed", "target") if c in frame.columns]
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        first = frame.loc[dup, key].iloc[0].to_dict()
        raise ValueError(
            f"results has {int(dup.sum())} rows that repeat a forecast, e.g. {first}. "
            "Give each run of a model its own 'seed' value, or drop the duplicates."
        )
    return frame


def _header(frame: pd.DataFrame, title: str) -> Markup:
    tasks = list(pd.unique(frame["task"]))
    seeds = frame["seed"].dropna().nunique() if "seed" in frame.columns else 0
    parts = [
        f"{frame['model'].nunique()} models",
        f"{len(tasks)} task{'s' * (len(tasks) != 1)} ({', '.join(tasks)})",
        f"{frame['series'].nunique()} series",
        f"{frame['cutoff'].nunique()} forecast origins",
    ]
    if seeds:
        parts.append(f"{seeds} seeds of each attention model")
    cutoffs = np.sort(frame["cutoff"].unique())
    if len(cutoffs) > 1:
        parts.append(f"{fmt_label(cutoffs[0])} → {fmt_label(cutoffs[-1])}")
    return part("masthead", title=title, parts=parts)


def _variance_section(
    frame: pd.DataFrame, board: pd.DataFrame, colors: dict[str, str], max_series: int
) -> Markup | str:
    for task in ("variance", "volatility"):
        rows = frame[frame["task"] == task]
        if rows.empty:
            continue
        ref = board.loc[board["task"] == task, "reference"].iloc[0]
        models = list(board.loc[board["task"] == task, "model"])
        series = list(pd.unique(rows["series"]))
        figures = []
        for s in series[:max_series]:
            fig = variance_figure(rows, s, models, colors, ref)
            figures.append(
                {
                    "heading": s,
                    "img": image(fig),
                    "alt": f"{task} forecasts against realized for {s}",
                    "caption": f"{s}: realized {task} (black) and each model's "
                    "forecast (mean over seeds), log scale.",
                }
            )
        note = None
        if len(series) > max_series:
            note = f"Showing the first {max_series} of {len(series)} series."
        text = (
            f"Realized {task} against each model's forecast of it over time, per "
            "series, on a log scale: a good forecast follows the level of the "
            "black points without chasing each one."
        )
        return part(
            "section",
            id="variance-plots",
            title=f"{TASK_TITLES[task]} forecasts against realized",
            paragraphs=[text],
            note=note,
            figures=figures,
        )
    return ""


def _calibration_section(
    frame: pd.DataFrame, board: pd.DataFrame, colors: dict[str, str]
) -> Markup | str:
    rows = frame[(frame["task"] == "direction")]
    rows = rows[np.isfinite(rows["y_true"]) & np.isfinite(rows["y_pred"])]
    if rows.empty:
        return ""
    models = [m for m in board.loc[board["task"] == "direction", "model"]]
    tables = {
        m: calibration_table(g["y_true"], g["y_pred"], n_bins=10)
        for m in models
        if len(g := rows[rows["model"] == m])
    }
    fig = calibration_figure(tables, colors)
    lines = []
    for m, table in tables.items():
        used = table[table["count"] > 0]
        lines.append(
            f"{m}: {int(table['count'].sum())} forecasts in {len(used)} of 10 bins"
        )
    text = (
        "Reliability of the forecast probabilities of an up move (seeds pooled): "
        "in each tenth of [0, 1], the mean forecast P(up) against the share that "
        "went up. A calibrated forecast lies on the dotted diagonal; a constant "
        "forecast (the base rate) is one point. Right: how many forecasts fall in "
        "each bin."
    )
    figure = {
        "heading": None,
        "img": image(fig),
        "alt": "Calibration of the direction forecasts",
        "caption": "; ".join(lines) + ".",
    }
    return part(
        "section",
        id="calibration",
        title="Direction: calibration",
        paragraphs=[text],
        figures=[figure],
    )


def _notes_section(notes: str | None, frame: pd.DataFrame) -> Markup | str:
    paragraphs = []
    if (frame["task"] == "price").any():
        paragraphs.append(
            "Price rows are scored here against their reference; their forecast "
            "plots, error by horizon and interval coverage are in the price report "
            "(render the rows without the task column)."
        )
    if notes:
        paragraphs += [p.strip() for p in re.split(r"\n\s*\n", notes) if p.strip()]
    if not paragraphs:
        return ""
    return part("notes", paragraphs=paragraphs)


def build_task_html(
    results: pd.DataFrame,
    *,
    title: str,
    baseline: Any,
    attention: Mapping[str, Any] | None,
    notes: str | None,
    max_series: int,
) -> str:
    """Return the multi-task report as one HTML document."""
    frame = _check(results)
    refs = task_references(baseline)
    board = stats.task_leaderboard(frame, baseline=refs, alpha=ALPHA)
    spec = check_attention(attention) if attention is not None else None
    order = list(dict.fromkeys(board["model"]))
    reference_models = set(board["reference"].dropna())
    colors = model_colors(
        [m for m in order if m not in reference_models] + sorted(reference_models), None
    )
    verdicts = []
    for task in pd.unique(frame["task"]):
        h = task_headline(board, task, ALPHA)
        css = {"mixed": "tie", "none": "none"}.get(h.kind, h.kind)
        verdicts.append(
            {
                "task": task,
                "kind": h.kind,
                "css": css,
                "title": TASK_TITLES.get(task, task),
                "lead": h.lead,
                "details": h.details,
            }
        )
    sections = [
        (
            f"task-{t}",
            TASK_TITLES.get(t, t),
            board_section(t, board[board["task"] == t]),
        )
        for t in pd.unique(frame["task"])
    ]
    sections += [
        (
            "variance-plots",
            "Forecasts vs realized",
            _variance_section(frame, board, colors, max_series),
        ),
        ("calibration", "Calibration", _calibration_section(frame, board, colors)),
        ("comparisons", "Comparisons", comparisons_section(frame, board)),
        ("attention", "Attention", attention_section(spec)),
        ("notes", "Notes", _notes_section(notes, frame)),
    ]
    return render_page(
        title=title,
        masthead=_header(frame, title),
        verdict=part("task_verdicts", items=verdicts),
        sections=sections,
    )
