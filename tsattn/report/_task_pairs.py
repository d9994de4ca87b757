"""The comparisons section: self- vs multi-head, one output layer vs a head per task."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tsattn import stats
from tsattn.evaluation import TASK_SCORE
from tsattn.report._html import Markup, cell, part
from tsattn.report._leaderboard import format_column
from tsattn.report._pairs import ArchPair, architecture_pairs, architecture_table
from tsattn.report._task_text import METRIC_NAMES, TASK_TITLES
from tsattn.report._text import ALPHA, fmt_num

__all__ = ["comparisons_section"]

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


def comparisons_section(frame: pd.DataFrame, board: pd.DataFrame) -> Markup | str:
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
