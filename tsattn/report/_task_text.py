"""Plain-words answers of the multi-task comparison, shared by the report and CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tsattn.evaluation import TASK_DM_LOSS
from tsattn.report._text import is_attention_model

__all__ = [
    "METRIC_NAMES",
    "TASK_TITLES",
    "TaskHeadline",
    "describe_architecture",
    "is_attention_row",
    "run_sentence",
    "task_headline",
]

#: How the ranked metric of each task is named in sentences.
METRIC_NAMES = {
    "mse": "MSE",
    "mae": "MAE",
    "brier": "Brier score",
    "qlike": "QLIKE",
    "rmse": "RMSE",
}
TASK_TITLES = {
    "return": "Returns",
    "direction": "Direction (up / down)",
    "variance": "Variance",
    "volatility": "Volatility",
    "price": "Prices",
}
_LOSS_WORDS = {
    "squared": "squared error",
    "absolute": "absolute error",
    "qlike": "QLIKE",
}


def _finite(value: Any) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def is_attention_row(row: pd.Series) -> bool:
    """Whether a leaderboard row is an attention model.

    It records ``n_heads``; rows without architecture columns (price
    forecasts from :func:`tsattn.backtesting.backtest`) are told by name
    (``mha``, ``sa``, ...).
    """
    if _finite(row.get("n_heads")):
        return True
    return not _finite(row.get("d_model")) and is_attention_model(str(row["model"]))


def describe_architecture(row: pd.Series) -> str:
    """``multi-head attention (4 heads), one shared output layer, d_model 16``."""
    if not _finite(row.get("n_heads")):
        return ""  # a baseline, or a model without architecture columns
    heads = int(float(row["n_heads"]))
    parts = [
        "self-attention (1 head)"
        if heads == 1
        else f"multi-head attention ({heads} heads)"
    ]
    head = row.get("output_head")
    if head == "single":
        parts.append("one shared output layer")
    elif head == "multi":
        parts.append("a head per task")
    if _finite(row.get("d_model")):
        parts.append(f"d_model {int(float(row['d_model']))}")
    return ", ".join(parts)


def _pct(ratio: float) -> str:
    """``2.6% lower`` / ``4.0% higher`` / ``the same``, from a score ratio."""
    if not np.isfinite(ratio):
        return "unknown"
    change = ratio - 1.0
    if abs(change) < 0.0005:
        return "the same"
    return f"{abs(change) * 100:.1f}% {'lower' if change < 0 else 'higher'}"


def _than(amount: str) -> str:
    """``2.6% lower than`` / ``the same as``."""
    return f"{amount} as" if amount == "the same" else f"{amount} than"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def run_sentence(row: pd.Series, alpha: float = 0.05) -> str:
    """One model against its task's reference, over its seeds, in words.

    ``row`` is a row of :func:`tsattn.stats.task_leaderboard`.
    """
    model, ref = str(row["model"]), row["reference"]
    metric = METRIC_NAMES.get(row["score"], str(row["score"]))
    what = describe_architecture(row)
    name = f"{model} ({what})" if what else model
    n = int(row["n_seeds"])
    if row["verdict"] == "none":
        return f"{name}: not tested against {ref}: {row['dm_reason']}."
    amount = _pct(float(row["ratio"]))
    if n == 1:
        p, stat = float(row["dm_pvalue"]), float(row["dm_stat"])
        holm = float(row["dm_pvalue_holm"])
        if row["n_better"]:
            sig = f"significantly better ({_p(holm)} after Holm)"
        elif row["n_worse"]:
            sig = f"significantly worse ({_p(holm)} after Holm)"
        else:
            sig = f"not significantly different (DM = {stat:.2f}, {_p(p)})"
        return f"{name}: {metric} {_than(amount)} {ref}; {sig}."
    low, high = _pct(float(row["ratio_min"])), _pct(float(row["ratio_max"]))
    counts = []
    if row["n_better"]:
        counts.append(f"significantly better on {int(row['n_better'])} of {n} seeds")
    if row["n_worse"]:
        counts.append(f"significantly worse on {int(row['n_worse'])} of {n} seeds")
    if row["n_tied"]:
        counts.append(f"not significantly different on {int(row['n_tied'])}")
    if row["n_untested"]:
        counts.append(f"untested on {int(row['n_untested'])} ({row['dm_reason']})")
    if not row["n_better"] and not row["n_worse"]:
        counts[:0] = ["significant on no seed"]
    return (
        f"{name}: {metric} {_than(amount)} {ref} on average over {n} seeds "
        f"(per seed from {low} to {high}, sd {float(row['score_sd']):.3g}); "
        f"{', '.join(counts)}."
    )


@dataclass(frozen=True)
class TaskHeadline:
    """The answer for one task, in plain words (escaped when rendered).

    Attributes
    ----------
    task : str
        Task kind.
    kind : {"wins", "mixed", "tie", "loses", "none"}
        The best attention model's :class:`tsattn.stats.SeedVerdict` kind
        ("none" without a reference or without an attention model).
    lead : str
        One sentence that answers the question.
    details : list of str
        One sentence per other model against the reference.
    """

    task: str
    kind: str
    lead: str
    details: list[str]


def task_headline(board: pd.DataFrame, task: str, alpha: float = 0.05) -> TaskHeadline:
    """Answer "does attention beat the task's reference, by how much, reliably?".

    ``board`` is :func:`tsattn.stats.task_leaderboard` (all tasks or one).
    """
    rows = board[board["task"] == task]
    if rows.empty:
        raise ValueError(f"No rows of task {task!r} in the leaderboard.")
    ref = rows["reference"].iloc[0]
    metric = METRIC_NAMES.get(rows["score"].iloc[0], rows["score"].iloc[0])
    loss = _LOSS_WORDS[TASK_DM_LOSS.get(task, "squared")]
    others = rows[rows["model"] != ref]
    attention = others[others.apply(is_attention_row, axis=1)]
    rest = others[~others.index.isin(attention.index)]
    if ref is None or not (rows["model"] == ref).any():
        lead = (
            f"No test is possible: the results have no {ref!r} model, this "
            f"task's reference, so they cannot say whether any model beats it. "
            f"Add {ref} to the backtest."
        )
        best = rows.sort_values("score_mean").iloc[0]
        details = [
            f"Lowest mean {metric} without a test: {best['model']} "
            f"({float(best['score_mean']):.4g})."
        ]
        return TaskHeadline(task, "none", lead, details)
    if attention.empty:
        lead = (
            f"No attention model forecasts this task; only the baselines against {ref}."
        )
        return TaskHeadline(
            task, "none", lead, [run_sentence(r) for _, r in rest.iterrows()]
        )
    order = attention.sort_values("ratio", na_position="last")
    # A model significantly better on every seed leads; else one better on
    # some seeds; else the lowest mean score. Never a single best seed.
    winners = order[order["verdict"] == "wins"]
    partial = order[order["n_better"] > 0]
    best = (winners if len(winners) else partial if len(partial) else order).iloc[0]
    name = str(best["model"])
    n = int(best["n_seeds"])
    seeds = f"every one of its {n} seeds" if n > 1 else "its single run"
    amount = _pct(float(best["ratio"]))
    test = f"Diebold–Mariano on {loss}, Holm-corrected"
    if best["verdict"] == "wins":
        lead = (
            f"Yes: {name} beats {ref}. Its {metric} is {amount} on average, and "
            f"it is significantly better on {seeds} ({test})."
        )
    elif best["verdict"] == "mixed" and best["n_better"]:
        lead = (
            f"Not reliably: the best attention model, {name}, has {metric} "
            f"{amount} than {ref} on average, but it is significantly better on "
            f"only {int(best['n_better'])} of {n} seeds"
            + (
                f" and significantly worse on {int(best['n_worse'])}"
                if best["n_worse"]
                else ""
            )
            + f" ({test}): the result depends on the seed."
        )
    elif best["verdict"] in ("loses", "mixed"):
        lead = (
            f"No: no attention model is significantly better than {ref} on any "
            f"seed. The closest, {name}, has {metric} {amount} than {ref} and is "
            f"significantly worse on {int(best['n_worse'])} of {n} seeds ({test})."
        )
    elif best["verdict"] == "none":
        lead = (
            f"Untested: {name} has {metric} {amount} than {ref}, but the test "
            f"cannot be run ({best['dm_reason']})."
        )
    elif float(best["ratio"]) < 1.0:
        lead = (
            f"No model reliably beats {ref}: the best attention model, {name}, "
            f"has {metric} {amount} on average over {n} seed{'s' * (n != 1)}, "
            f"but the difference is significant on no seed ({test}): it ties "
            f"with {ref}."
        )
    else:
        lead = (
            f"No: no attention model beats {ref}. The closest, {name}, has "
            f"{metric} {amount} than {ref} (not significantly different on any "
            f"seed, {test})."
        )
    details = [run_sentence(r, alpha) for _, r in order.iterrows()]
    details += [run_sentence(r, alpha) for _, r in rest.iterrows()]
    return TaskHeadline(task, str(best["verdict"]), lead, details)
