"""Number formatting and the plain-words sentences of the report (HTML-escaped)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from tsattn.report._stats import DMResult
from tsattn.verdicts import Verdict, verdict

__all__ = [
    "ALPHA",
    "Headline",
    "column_decimals",
    "comparison_sentence",
    "fmt_num",
    "fmt_p",
    "fmt_pct",
    "headline",
    "is_attention_model",
    "significance_marker",
]

# Significance level used in the report's sentences.
ALPHA = 0.05
MINUS = "\u2212"
_ATTENTION_TOKENS = {"mha", "sa", "attention", "attn", "transformer"}


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]


def is_attention_model(name: str) -> bool:
    """Whether a model name denotes an attention model (``mha``, ``sa``, ...)."""
    return bool(_ATTENTION_TOKENS.intersection(_tokens(name)))


def column_decimals(values: Sequence[float] | np.ndarray, significant: int) -> int:
    """Decimals that give the largest finite value ``significant`` digits."""
    arr = np.asarray(values, dtype="float64")
    arr = np.abs(arr[np.isfinite(arr)])
    arr = arr[arr > 0]
    if arr.size == 0:
        return 2
    exponent = math.floor(math.log10(float(arr.max())))
    return int(min(8, max(0, significant - 1 - exponent)))


def fmt_num(value: float, decimals: int, *, thousands: bool = False) -> str:
    """Format a number for a table cell; missing values become an em dash."""
    if value is None or not np.isfinite(value):
        return "—"
    text = f"{value:,.{decimals}f}" if thousands else f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = MINUS + text[1:]
    if text in (f"{MINUS}0", f"{MINUS}0." + "0" * decimals):
        text = text[1:]
    return text


def fmt_pct(value: float, decimals: int = 1) -> str:
    """Format a fraction as a percentage; missing values become an em dash."""
    if value is None or not np.isfinite(value):
        return "—"
    return f"{100.0 * value:.{decimals}f}%"


def fmt_p(pvalue: float) -> str:
    """Format a p-value (``<0.001`` below one in a thousand)."""
    if pvalue is None or not np.isfinite(pvalue):
        return "—"
    if pvalue < 0.001:
        return "<0.001"
    return f"{pvalue:.3f}"


def significance_marker(pvalue: float) -> str:
    """Stars for a p-value: ``***`` < 0.001, ``**`` < 0.01, ``*`` < 0.05."""
    if pvalue is None or not np.isfinite(pvalue):
        return ""
    for cut, stars in ((0.001, "***"), (0.01, "**"), (0.05, "*")):
        if pvalue < cut:
            return stars
    return ""


def _times(x: float) -> str:
    if x >= 10:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def _dm_words(statistic: float, pvalue: float) -> str:
    """``DM = 1.23, p = 0.045`` as HTML, kept on one line."""
    p = fmt_p(pvalue)
    relation = "&lt;" if p.startswith("<") else "="
    return (
        f"DM&nbsp;=&nbsp;{fmt_num(statistic, 2)}, "
        f"p&nbsp;{relation}&nbsp;{p.lstrip('<')}"
    )


def _relative(ratio: float) -> tuple[str, str]:
    """``(amount, direction)`` for an MAE ratio, e.g. ``("4.1%", "lower")``."""
    change = ratio - 1.0
    amount = f"{abs(change) * 100:.1f}%"
    return amount, ("lower" if change < 0 else "higher")


@dataclass(frozen=True)
class Headline:
    """The report's headline, in words.

    Attributes
    ----------
    kind : str
        The :class:`tsattn.stats.Verdict` kind: ``"wins"``, ``"tie"``,
        ``"loses"`` or ``"none"``.
    lead : str
        One HTML sentence (escaped) that answers the question.
    details : list of str
        Further HTML sentences (escaped): attention models, missing forecasts.
    """

    kind: str
    lead: str
    details: list[str]


def _holm_words(v: Verdict) -> str:
    """How the family of tests was corrected, for the lead sentence."""
    if v.n_tested < 2:
        return ""
    return (
        f"; Holm-corrected for the {v.n_tested} models tested against "
        f"{escape(str(v.baseline))}: p&nbsp;=&nbsp;{fmt_p(v.pvalue_holm).lstrip('<')}"
    )


def _model_vs_baseline(model: str, row: pd.Series, v: Verdict) -> str:
    amount, direction = _relative(float(row["rel_mae"]))
    name, base = escape(model), escape(str(v.baseline))
    p, stat = float(row["dm_pvalue"]), float(row["dm_stat"])
    holm = v.pvalues_holm.get(model, math.nan)
    if not np.isfinite(p):
        reason = row.get("dm_reason") or "not computable"
        sig = f"significance unknown: {escape(str(reason))}"
    elif holm < ALPHA:
        sig = f"significant after Holm's correction, {_dm_words(stat, p)}"
    else:
        sig = f"not significant after Holm's correction, {_dm_words(stat, p)}"
    if direction == "lower":
        verb = f"beats {base}"
    else:
        verb = f"<strong>loses to {base}</strong>"
    return f"<b>{name}</b> {verb}: MAE {amount} {direction} ({sig})."


def _missing_details(board: pd.DataFrame) -> list[str]:
    details: list[str] = []
    for model, row in board.iterrows():
        if row["n_rows"] > 0 and row["n_missing"] == row["n_rows"]:
            details.append(
                f"<b>{escape(str(model))}</b> has no usable forecasts: all "
                f"{int(row['n_rows'])} are missing (NaN), so it is left out of the "
                "comparison."
            )
        elif row["n_missing"] > 0:
            details.append(
                f"<b>{escape(str(model))}</b> has {int(row['n_missing'])} missing "
                f"(NaN) forecasts out of {int(row['n_rows'])}; its accuracy is "
                f"measured on the other {int(row['n_rows'] - row['n_missing'])}."
            )
    return details


def headline(
    board: pd.DataFrame, baseline: str | None, requested: str | None
) -> Headline:
    """Say in words what :func:`tsattn.stats.verdict` decided, and by how much."""
    details = _missing_details(board)
    if baseline is None:
        if requested is None:
            lead = (
                "No baseline was chosen, so this report cannot say whether any "
                "model beats a random walk."
            )
        else:
            lead = (
                f"No baseline: the results have no model named "
                f"“{escape(requested)}”, so this report cannot say whether any "
                "model beats a random walk. Add the naive forecaster to the "
                "backtest to get that answer."
            )
        return Headline("none", lead, details)

    base = escape(baseline)
    v = verdict(board, baseline, score="rel_mae", relative=True, alpha=ALPHA)
    if v.model is None:
        return Headline(
            "none", f"Only the baseline ({base}) has forecasts to compare.", details
        )
    amount, _ = _relative(v.ratio)
    name = escape(v.model)
    tested = np.isfinite(v.pvalue)
    reason = escape(str(board.loc[v.model, "dm_reason"]))
    if v.kind == "wins":
        lead = (
            f"<strong>{name} beats the {base} baseline</strong>: its MAE is "
            f"{amount} lower, and the difference is statistically significant "
            f"({_dm_words(v.statistic, v.pvalue)}{_holm_words(v)})."
        )
    elif v.kind == "tie":
        why = (
            f"not statistically significant ({_dm_words(v.statistic, v.pvalue)}"
            f"{_holm_words(v)})"
            if tested
            else f"untested ({reason})"
        )
        lead = (
            f"<strong>No model reliably beats the {base} baseline.</strong> "
            f"The best, {name}, has {amount} lower MAE, but the difference is "
            f"{why}: on these folds it cannot be told apart from {base}."
        )
    else:
        lead = (
            f"<strong>No model beats the {base} baseline.</strong> The closest, "
            f"{name}, has {amount} higher MAE than {base}"
            + (
                f" ({_dm_words(v.statistic, v.pvalue)})."
                if tested
                else f" (no significance test: {reason})."
            )
        )
    contenders = board[(board.index != baseline) & np.isfinite(board["rel_mae"])]
    attention = [
        m for m in contenders.index if is_attention_model(str(m)) and m != v.model
    ]
    details[:0] = [_model_vs_baseline(str(m), contenders.loc[m], v) for m in attention]
    return Headline(v.kind, lead, details)


def comparison_sentence(
    a: str, b: str, ratio: float, dm: DMResult, cost: pd.DataFrame
) -> str:
    """Which of two models is more accurate, whether it is significant, and cost.

    ``ratio`` is MAE(a) / MAE(b) on common rows; ``cost`` is indexed by model.
    """
    if not np.isfinite(ratio):
        return (
            f"{escape(a)} and {escape(b)} have no forecasts in common, so they "
            "cannot be compared."
        )
    if ratio == 1.0:
        text = f"{escape(a)} and {escape(b)} have the same MAE"
    else:
        better, worse = (a, b) if ratio < 1.0 else (b, a)
        r = ratio if ratio < 1.0 else 1.0 / ratio
        text = (
            f"<strong>{escape(better)}</strong> is more accurate: its MAE is "
            f"{(1.0 - r) * 100:.1f}% lower than {escape(worse)}’s"
        )
    if np.isfinite(dm.pvalue) and dm.pvalue < ALPHA:
        text += (
            f", and the difference is statistically significant "
            f"({_dm_words(dm.statistic, dm.pvalue)})."
        )
    elif np.isfinite(dm.pvalue):
        text += (
            f", but the difference is not statistically significant "
            f"({_dm_words(dm.statistic, dm.pvalue)}): on these folds the two are "
            "equally accurate."
        )
    else:
        text += f" (no significance test: {escape(dm.reason)})."
    costs = []
    for column, noun in (("n_params", "parameters"), ("fit_seconds", "fit time")):
        va, vb = (float(cost.loc[m, column]) for m in (b, a))
        if np.isfinite(va) and np.isfinite(vb) and va > 0 and vb > 0:
            costs.append(f"{_times(va / vb)}× the {noun}")
    if costs:
        text += f" {escape(b)} has {' and '.join(costs)} of {escape(a)}."
    return text
