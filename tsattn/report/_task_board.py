"""The leaderboard table of one task: metrics over seeds, test, cost."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tsattn.evaluation import TASK_DM_LOSS, TASK_METRICS, TASK_SCORE
from tsattn.report._html import Markup, cell, part
from tsattn.report._leaderboard import format_column
from tsattn.report._task_text import METRIC_NAMES, TASK_TITLES, describe_architecture
from tsattn.report._text import ALPHA, fmt_num, fmt_p, significance_marker

__all__ = ["board_section"]

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


def board_section(task: str, rows: pd.DataFrame) -> Markup:
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
    words = {
        "n_params": "Params: fitted parameters",
        "fit_seconds": "Fit s / run: total fitting time of one run (mean over seeds)",
        "peak_memory_mb": "Peak MB: peak memory while fitting",
    }
    if cost:
        notes.append("; ".join(words[k] for k, _, _ in cost) + ".")
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
