"""The multi-task report: returns, direction and variance against their references."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

import tsattn
from tsattn import stats
from tsattn.metrics import (
    TASK_BASELINES,
    TASK_DM_LOSS,
    TASK_METRICS,
    TASK_SCORE,
    calibration_table,
)
from tsattn.report import _plots
from tsattn.report._attention import attention_section, check_attention
from tsattn.report._html import (
    Markup,
    cell,
    fmt_label,
    image,
    part,
    render_page,
    resource,
)
from tsattn.report._leaderboard import format_column
from tsattn.report._pairs import ArchPair, architecture_pairs, architecture_table
from tsattn.report._task_plots import calibration_figure, variance_figure
from tsattn.report._task_text import (
    METRIC_NAMES,
    TASK_TITLES,
    describe_architecture,
    task_headline,
)
from tsattn.report._text import ALPHA, fmt_num, fmt_p, significance_marker

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
_HIGHER_IS_BETTER = {"accuracy", "roc_auc", "mcc", "mz_r2"}
_METRIC_LABELS = {
    "mse": "MSE",
    "mae": "MAE",
    "rmse": "RMSE",
    "smape": "sMAPE",
    "accuracy": "Accuracy",
    "brier": "Brier",
    "log_loss": "Log loss",
    "roc_auc": "AUC",
    "mcc": "MCC",
    "qlike": "QLIKE",
    "mz_r2": "MZ R²",
}
_LOSS_WORDS = {
    "squared": "squared error",
    "absolute": "absolute error",
    "qlike": "QLIKE",
}
_WHAT_DIFFERS = {
    "heads": (
        "Self-attention (n_heads = 1) against multi-head attention (n_heads > 1) "
        "with the same output head. At equal width both have the same attention "
        "parameters (the query, key, value and output projections are d_model × "
        "d_model whatever the number of heads), so what differs is only whether "
        "attention is one map over d_model or several maps over d_model / n_heads "
        "each. At equal parameter budget the self-attention model is given a "
        "different width to match the parameter count."
    ),
    "output": (
        "One shared output layer (output_head = 'single') against a head per "
        "task ('multi') with the same attention. In tsattn the shared output is "
        "one linear layer whose outputs are split per task, which as a function "
        "is the same as separate linear heads; the per-task heads are small MLPs "
        "of hidden width d_model. So this comparison is about the nonlinear "
        "per-task head and its extra parameters, not about sharing an output "
        "layer."
    ),
}
_KIND_TITLES = {
    "heads": "Self-attention vs multi-head attention",
    "output": "One output layer vs a head per task",
}


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
    missing = [c for c in TASK_REQUIRED_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(
            f"results is missing required column(s) {missing}; a multi-task results "
            f"frame needs {list(TASK_REQUIRED_COLUMNS)}. Got columns "
            f"{[str(c) for c in results.columns]}."
        )
    if len(results) == 0:
        raise ValueError("results has no rows; run a backtest that produces forecasts.")
    frame = results.reset_index(drop=True).copy()
    for name in ("model", "series", "task"):
        if frame[name].isna().any():
            rows = np.flatnonzero(frame[name].isna().to_numpy())[:5].tolist()
            raise ValueError(
                f"results column {name!r} has missing values (rows {rows}); every "
                "row needs a model, a series and a task."
            )
        frame[name] = frame[name].astype(str)
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


def _best(values: np.ndarray, higher: bool) -> np.ndarray:
    finite = np.isfinite(values)
    if not finite.any():
        return finite
    score = -values if higher else values
    best = np.nanmin(np.where(finite, score, np.nan))
    return finite & np.isclose(score, best, rtol=1e-9, atol=0.0)


def _change(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "—"
    return fmt_num(100.0 * (ratio - 1.0), 1) + "%"


def _seed_counts(row: pd.Series) -> str:
    n = int(row["n_seeds"])
    if row["verdict"] in ("reference", "none"):
        return "—"
    return f"{int(row['n_better'])} / {int(row['n_worse'])} of {n}"


def _board_section(task: str, rows: pd.DataFrame) -> Markup:
    ref = rows["reference"].iloc[0]
    score = TASK_SCORE[task]
    metric = METRIC_NAMES.get(score, score)
    names = [m for m in TASK_METRICS[task] if m in rows and rows[m].notna().any()]
    has_seeds = bool((rows["n_seeds"] > 1).any())
    cost = [
        (k, label, kind)
        for k, label, kind in (
            ("n_params", "Params", "int"),
            ("fit_seconds", "Fit s / run", 3),
            ("peak_memory_mb", "Peak MB", 3),
        )
        if k in rows and np.isfinite(rows[k].astype("float64")).any()
    ]
    head: list[dict[str, Any]] = [{"key": None, "tip": None, "label": "Model"}]
    head.append(
        {
            "key": "arch",
            "tip": "attention heads, output head, width",
            "label": "Architecture",
        }
    )
    for m in names:
        tip = "mean over seeds" if has_seeds else None
        head.append({"key": m, "tip": tip, "label": _METRIC_LABELS.get(m, m)})
    if has_seeds:
        head += [
            {
                "key": "score_sd",
                "tip": f"standard deviation of {metric} over seeds",
                "label": f"{metric} sd",
            },
            {
                "key": "score_range",
                "tip": f"smallest and largest {metric} of a seed",
                "label": f"{metric} min–max",
            },
            {
                "key": "n_seeds",
                "tip": "runs with different random seeds",
                "label": "Seeds",
            },
        ]
    head += [
        {
            "key": "change",
            "tip": f"{metric} relative to {ref} (mean over seeds)",
            "label": f"Δ {metric} vs ref",
        },
        {
            "key": "dm",
            "tip": "Diebold–Mariano statistic of a single run (negative: better)",
            "label": "DM",
        },
        {
            "key": "dm_pvalue_holm",
            "tip": "p-value after Holm's correction",
            "label": Markup("p&nbsp;Holm"),
        },
    ]
    if has_seeds:
        head.append(
            {
                "key": "seeds_sig",
                "tip": "seeds significantly better / worse than the reference",
                "label": "Seeds better / worse",
            }
        )
    head += [{"key": k, "tip": None, "label": label} for k, label, _ in cost]

    texts = {m: format_column(rows, m, 4) for m in names}
    masks = {
        m: _best(rows[m].to_numpy(dtype="float64"), m in _HIGHER_IS_BETTER)
        for m in names
    }
    cost_texts = {k: format_column(rows, k, kind) for k, _, kind in cost}
    sd_texts = format_column(rows, "score_sd", 2)
    out_rows = []
    for i, (_, row) in enumerate(rows.iterrows()):
        cells = [cell("arch", describe_architecture(row) or "baseline", False, " text")]
        cells += [cell(m, texts[m][i], masks[m][i]) for m in names]
        if has_seeds:
            lo, hi = float(row["score_min"]), float(row["score_max"])
            rng = f"{lo:.4g}–{hi:.4g}" if int(row["n_seeds"]) > 1 else "—"
            cells.append(cell("score_sd", sd_texts[i], False))
            cells.append(cell("score_range", rng, False))
            cells.append(cell("n_seeds", str(int(row["n_seeds"])), False))
        is_ref = row["model"] == ref
        cells.append(
            cell("change", "" if is_ref else _change(float(row["ratio"])), False)
        )
        p_holm = float(row["dm_pvalue_holm"])
        dm_text: Any = fmt_num(float(row["dm_stat"]), 2)
        if row["dm_reason"]:
            dm_text = Markup('<span title="{}">—</span>').format(row["dm_reason"])
        stars = significance_marker(p_holm)
        if stars:
            dm_text = Markup('{}<sup class="stars">{}</sup>').format(dm_text, stars)
        sig = ""
        if np.isfinite(p_holm) and p_holm < ALPHA:
            sig = " sig-better" if row["dm_stat"] < 0 else " sig-worse"
        cells.append(cell("dm", dm_text, False, sig))
        cells.append(cell("dm_pvalue_holm", fmt_p(p_holm), False, sig))
        if has_seeds:
            extra = (
                " sig-better"
                if row["verdict"] == "wins"
                else (" sig-worse" if row["verdict"] == "loses" else "")
            )
            cells.append(cell("seeds_sig", _seed_counts(row), False, extra))
        cells += [cell(k, cost_texts[k][i], False) for k, _, _ in cost]
        out_rows.append(
            {"model": str(row["model"]), "baseline": is_ref, "cells": cells}
        )

    loss = _LOSS_WORDS[TASK_DM_LOSS[task]]
    notes = [
        f"Sorted by {metric} (lower is better); <strong>bold</strong>: the best "
        "value of a column.",
        f"DM: Diebold–Mariano test against {_esc(ref)} on {loss}, one loss "
        "difference per forecast origin (averaged over series), with the lag from "
        "the spacing of the origins and the Harvey–Leybourne–Newbold correction; "
        "p Holm: Holm's correction over the models tested within the task"
        + (" and the seed" if has_seeds else "")
        + ".",
    ]
    if task == "variance":
        notes.append(
            "QLIKE (Patton 2011) is the loss for variance forecasts scored against "
            "a noisy realized proxy: it ranks forecasts as the true variance would."
        )
    if has_seeds:
        notes.append(
            "A model with seeds shows the mean over its seeds, the spread of "
            f"{metric} over them, and on how many seeds it is significantly better "
            "/ worse than the reference (each seed tested alone); DM and p are "
            "shown for single runs only. No seed is picked."
        )
    for reason, group in rows[rows["dm_reason"] != ""].groupby("dm_reason", sort=False):
        names_ = ", ".join(_esc(str(m)) for m in group["model"])
        notes.append(f"Not tested: {names_}: {_esc(str(reason))}.")
    if cost:
        notes.append(
            "Params: fitted parameters; Fit s / run: total fitting time of one run "
            "(mean over seeds); Peak MB: peak memory while fitting."
        )
    intro = [f"Reference: {ref}. Ranked on {metric}."]
    return part(
        "task_board",
        id=f"task-{task}",
        task=task,
        title=TASK_TITLES.get(task, task),
        intro=intro,
        head=head,
        rows=out_rows,
        footnotes=[Markup(n) for n in notes],
    )


def _esc(text: str) -> str:
    return str(Markup.escape(text))


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


def _pair_table(pair: ArchPair, rows: pd.DataFrame) -> dict[str, Any]:
    sub = rows.set_index("model").loc[[pair.a, pair.b]]
    spec = [
        ("score_mean", "Mean", 4),
        ("score_sd", "sd", 2),
        ("n_seeds", "Seeds", 0),
        ("n_params", "Params", "int"),
        ("d_model", "d_model", 0),
        ("n_heads", "Heads", 0),
    ]
    spec = [
        s
        for s in spec
        if s[0] in sub and np.isfinite(sub[s[0]].astype("float64")).any()
    ]
    texts = {k: format_column(sub, k, kind) for k, _, kind in spec}
    body = []
    for i, model in enumerate((pair.a, pair.b)):
        cells = [cell(k, texts[k][i], False) for k, _, _ in spec]
        lo, hi = float(sub.loc[model, "score_min"]), float(sub.loc[model, "score_max"])
        cells.insert(2, cell("score_range", f"{lo:.4g}–{hi:.4g}", False))
        cells.append(
            cell("output_head", str(sub.loc[model, "output_head"]), False, " text")
        )
        body.append({"model": model, "cells": cells})
    head = [label for _, label, _ in spec]
    head.insert(2, "min–max")
    head.append("Output")
    return {"head": head, "rows": body}


def _pair_sentence(
    pair: ArchPair, task: str, frame: pd.DataFrame, rows: pd.DataFrame
) -> str:
    """Which of the two is more accurate on this task, seed by seed."""
    score = TASK_SCORE[task]
    metric = METRIC_NAMES.get(score, score)
    both = frame[(frame["task"] == task) & frame["model"].isin([pair.a, pair.b])]
    sub = rows.set_index("model")
    mean_a, mean_b = (
        float(sub.loc[pair.a, "score_mean"]),
        float(sub.loc[pair.b, "score_mean"]),
    )
    params = (
        f" Parameters: {pair.a} {fmt_num(pair.n_params_a, 0, thousands=True)}, "
        f"{pair.b} {fmt_num(pair.n_params_b, 0, thousands=True)}."
    )
    if not (np.isfinite(mean_a) and np.isfinite(mean_b)) or mean_a <= 0:
        return f"No {metric} for both models on this task." + params
    pair_board = stats.task_leaderboard(both, baseline={task: pair.a})
    row = pair_board.set_index("model").loc[pair.b]
    change = mean_b / mean_a - 1.0
    better = pair.b if change < 0 else pair.a
    n = int(row["n_seeds"])
    text = (
        f"{better} has the lower mean {metric}: {pair.b}'s is "
        f"{abs(change) * 100:.1f}% {'lower' if change < 0 else 'higher'} than "
        f"{pair.a}'s"
    )
    if row["verdict"] == "none":
        text += f" (no test: {row['dm_reason']})."
    elif n > 1:
        text += (
            f"; seed by seed, {pair.b} is significantly better on "
            f"{int(row['n_better'])} and significantly worse on "
            f"{int(row['n_worse'])} of {n} seeds."
        )
    else:
        p = float(row["dm_pvalue"])
        text += (
            "; the difference is "
            + ("" if p < ALPHA else "not ")
            + f"significant (Diebold–Mariano p = {p:.3f})."
        )
    return text + params


def _comparisons_section(frame: pd.DataFrame, board: pd.DataFrame) -> Markup | str:
    arch = architecture_table(frame)
    if len(arch) < 2:
        return ""
    pairs = architecture_pairs(arch)
    intro = [_WHAT_DIFFERS["heads"], _WHAT_DIFFERS["output"]]
    intro.append(
        "Pairs are attention models that differ in exactly that choice, "
        "compared at equal width (same d_model) and at equal parameter budget "
        "(parameter counts within 10%); other pairs are not shown."
    )
    tasks = []
    for task in pd.unique(frame["task"]):
        rows = board[board["task"] == task]
        present = set(rows["model"])
        columns = []
        for kind in ("heads", "output"):
            items = []
            for pair in pairs:
                if pair.kind != kind or not {pair.a, pair.b} <= present:
                    continue
                items.append(
                    {"a": pair.a, "b": pair.b, "label": pair.label,
                     "sentence": _pair_sentence(pair, task, frame, rows)}
                    | _pair_table(pair, rows)
                )  # fmt: skip
            empty = (
                "No pair of attention models that differ only in "
                + ("the number of heads" if kind == "heads" else "the output head")
                + " at equal width or parameter budget."
            )
            columns.append(
                {
                    "kind": kind,
                    "title": _KIND_TITLES[kind],
                    "pairs": items,
                    "empty": empty,
                }
            )
        tasks.append(
            {"task": task, "title": TASK_TITLES.get(task, task), "columns": columns}
        )
    return part("task_comparisons", intro=intro, tasks=tasks)


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
    colors = _plots.model_colors(
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
            _board_section(t, board[board["task"] == t]),
        )
        for t in pd.unique(frame["task"])
    ]
    sections += [
        (
            "variance-plots",
            "Variance",
            _variance_section(frame, board, colors, max_series),
        ),
        ("calibration", "Calibration", _calibration_section(frame, board, colors)),
        ("comparisons", "Comparisons", _comparisons_section(frame, board)),
        ("attention", "Attention", attention_section(spec)),
        ("notes", "Notes", _notes_section(notes, frame)),
    ]
    sections = [s for s in sections if s[2]]
    return render_page(
        title=title,
        version=tsattn.__version__,
        css=Markup(resource("report.css")),
        masthead=_header(frame, title),
        verdict=part("task_verdicts", items=verdicts),
        toc=[(sid, label) for sid, label, _ in sections],
        sections=[html for _, _, html in sections],
    )
