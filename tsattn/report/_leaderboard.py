"""The leaderboard table: every model's accuracy, significance and cost."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from tsattn.evaluation import SCALE_COLUMN
from tsattn.report._frame import PreparedResults
from tsattn.report._html import Markup, cell, part
from tsattn.report._stats import dm_lag
from tsattn.report._text import (
    ALPHA,
    column_decimals,
    fmt_num,
    fmt_p,
    fmt_pct,
    significance_marker,
)

__all__ = ["best_mask", "format_column", "leaderboard_section"]

_ACCURACY = [
    ("mae", "MAE", "mean absolute error", 4),
    ("rmse", "RMSE", "root mean squared error", 4),
    ("mase", "MASE", "MAE divided by the baseline's MAE on the same forecasts", 3),
    ("smape", "sMAPE", "symmetric mean absolute percentage error", "points"),
    ("dir_acc", "Direction", "share of forecasts with the right direction", "pct"),
    ("coverage", "Coverage", "share of actuals inside the interval", "pct"),
]
_COST = [
    ("n_params", "Params", "number of fitted parameters", "int"),
    ("fit_seconds", "Fit s", "mean fit time per fold, seconds", 3),
    ("predict_seconds", "Predict&nbsp;s", "mean predict time per fold, seconds", 3),
    ("peak_memory_mb", "Peak&nbsp;MB", "peak memory while fitting, MiB", 3),
]


def best_mask(values: np.ndarray, column: str, nominal: float | None) -> np.ndarray:
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros_like(finite)
    if column == "coverage" and nominal is not None:
        score = np.abs(values - nominal)
    elif column == "dir_acc":
        score = -values
    else:
        score = values
    best = np.nanmin(np.where(finite, score, np.nan))
    return finite & np.isclose(score, best, rtol=1e-9, atol=0.0)


def format_column(board: pd.DataFrame, column: str, kind: Any) -> list[str]:
    values = board[column].to_numpy(dtype="float64")
    if kind == "pct":
        return [fmt_pct(v) for v in values]
    if kind == "points":  # already in percent
        decimals = column_decimals(values, 3)
        return [fmt_num(v, decimals) + ("%" if np.isfinite(v) else "") for v in values]
    if kind == "int":
        return [fmt_num(v, 0, thousands=True) for v in values]
    return [fmt_num(v, column_decimals(values, kind)) for v in values]


def leaderboard_section(
    board: pd.DataFrame, prep: PreparedResults, dm_loss: str
) -> Markup:
    base = prep.baseline
    # MASE stays (blank without a baseline) beside DM; others only with values.
    accuracy = [
        c for c in _ACCURACY if c[0] == "mase" or np.isfinite(board[c[0]]).any()
    ]
    cost = [c for c in _COST if np.isfinite(board[c[0]]).any()]
    nominal = prep.interval[2] if prep.interval else None
    show_missing = bool((board["n_missing"] > 0).any())
    base_label = base or prep.baseline_requested or "baseline"

    groups: list[dict[str, Any]] = [{"scope": "col", "span": 0, "label": ""}]
    groups.append({"scope": "colgroup", "span": len(accuracy), "label": "Accuracy"})
    groups.append({"scope": "colgroup", "span": 3, "label": f"vs {base_label}"})
    if cost:
        groups.append({"scope": "colgroup", "span": len(cost), "label": "Cost"})
    if show_missing:
        groups.append({"scope": "col", "span": 0, "label": ""})
    head: list[dict[str, Any]] = [{"key": None, "tip": None, "label": "Model"}]
    for key, label, tip, _ in accuracy:
        if key == "coverage" and nominal is not None:
            label = f"Coverage {nominal:.0%}"
        head.append({"key": key, "tip": tip, "label": label})
    head.append(
        {
            "key": "dm",
            "tip": "Diebold–Mariano statistic (negative: more accurate than the "
            "baseline)",
            "label": "DM",
        }
    )
    head.append({"key": "dm_pvalue", "tip": None, "label": "p"})
    head.append(
        {
            "key": "dm_pvalue_holm",
            "tip": "p-value after Holm's correction over the models tested "
            "against the baseline",
            "label": Markup("p&nbsp;Holm"),
        }
    )
    for key, label, tip, _ in cost:
        head.append({"key": key, "tip": tip, "label": Markup(label)})
    if show_missing:
        head.append(
            {
                "key": "n_missing",
                "tip": "forecasts that are NaN where an actual exists",
                "label": "Missing",
            }
        )

    columns: list[tuple[str, list[str], np.ndarray]] = []
    for key, _, _, kind in [*accuracy, *cost]:
        texts = format_column(board, key, kind)
        mask = best_mask(board[key].to_numpy(dtype="float64"), key, nominal)
        columns.append((key, texts, mask))
    dm_stat = board["dm_stat"].to_numpy(dtype="float64")
    dm_best = best_mask(np.where(dm_stat < 0, dm_stat, np.nan), "dm_stat", None)

    rows = []
    for i, (model, row) in enumerate(board.iterrows()):
        cells = [cell(k, t[i], m[i]) for k, t, m in columns[: len(accuracy)]]
        p, p_holm = float(row["dm_pvalue"]), float(row["dm_pvalue_holm"])
        sig = ""
        if np.isfinite(p_holm) and p_holm < ALPHA:
            sig = " sig-better" if row["dm_stat"] < 0 else " sig-worse"
        stars = significance_marker(p_holm)
        dm_text = Markup("{}").format(fmt_num(float(row["dm_stat"]), 2))
        if not np.isfinite(row["dm_stat"]) and row["dm_reason"]:
            dm_text = Markup('<span title="{}">—</span>').format(row["dm_reason"])
        if stars:
            dm_text += Markup('<sup class="stars">{}</sup>').format(stars)
        cells.append(cell("dm", dm_text, dm_best[i], extra=sig))
        cells.append(cell("dm_pvalue", fmt_p(p), False))
        cells.append(cell("dm_pvalue_holm", fmt_p(p_holm), False, extra=sig))
        cells += [cell(k, t[i], m[i]) for k, t, m in columns[len(accuracy) :]]
        if show_missing:
            n_miss = int(row["n_missing"])
            extra = " warn" if n_miss else ""
            cells.append(cell("n_missing", f"{n_miss:,}", False, extra=extra))
        rows.append({"model": str(model), "baseline": model == base, "cells": cells})

    if SCALE_COLUMN in prep.frame.columns:
        mase_note = f"MASE: MAE scaled by the in-sample naive MAE ({SCALE_COLUMN})."
    else:
        mase_note = (
            "MASE: MAE divided by the baseline’s MAE on the same forecasts "
            "(below 1: better than the baseline)."
        )
    notes = [
        "Sorted by MAE; <strong>bold</strong> marks the best value in each column.",
        mase_note,
        "sMAPE in percent (0–200). Direction: share of forecasts that call the move "
        "from the last observed value (up / not up) correctly.",
    ]
    if prep.interval is not None:
        lo, hi, cov = prep.interval
        notes.append(
            f"Coverage: share of actuals inside [{escape(lo)}, {escape(hi)}] "
            f"(nominal {cov:.0%}; best is closest to it)."
        )
    for model, row in board[board["n_crossed"] > 0].iterrows():
        notes.append(
            f"{escape(str(model))}: {int(row['n_crossed'])} forecasts have "
            f"{escape(prep.interval[1])} below {escape(prep.interval[0])} (crossed "
            "quantiles); their coverage uses the interval the two bounds span."
        )
    h, spacing = dm_lag(prep)
    if spacing is None:
        lag = (
            f"The results carry no cutoff_pos column (an older results file), so "
            f"the spacing of the cutoffs is unknown: h = H = {h}, which assumes "
            "cutoffs one row apart; with cutoffs further apart the test rejects "
            "too often (about 7% instead of 5% in simulations with cutoffs a "
            "horizon apart)."
        )
    else:
        lag = (
            f"Cutoffs are {spacing} row{'s' * (spacing != 1)} apart, so forecasts "
            f"of up to {prep.horizon} steps overlap for h − 1 = {h - 1} "
            f"cutoff{'s' * (h - 1 != 1)}: h = ⌈H / spacing⌉ = {h}."
        )
    n_tested = int(np.isfinite(board["dm_pvalue"]).sum())
    notes.append(
        f"DM: Diebold–Mariano test of equal {escape(dm_loss)} error against the "
        "baseline on the forecasts both made: one loss difference per cutoff "
        "(averaged over series and steps), variance with autocovariances up to "
        f"lag h−1, Harvey–Leybourne–Newbold correction, two-sided p-value. {lag} "
        f"p Holm: the p-value after Holm's correction for the {n_tested} "
        "model(s) tested against the baseline; the headline and the stars use it. "
        "Negative DM: more accurate than the baseline; "
        '<sup class="stars">*</sup> p&nbsp;Holm&nbsp;&lt;&nbsp;0.05, '
        '<sup class="stars">**</sup> &lt;&nbsp;0.01, '
        '<sup class="stars">***</sup> &lt;&nbsp;0.001.'
    )
    if base is None:
        notes.append(
            f"No baseline model ({escape(base_label)}) in the results: MASE and DM "
            "are blank."
        )
    untested = board[(board["dm_reason"] != "") & (board.index != base)]
    for reason, group in untested.groupby("dm_reason", sort=False):
        names = ", ".join(escape(str(m)) for m in group.index)
        notes.append(f"No DM test for {names}: {escape(str(reason))}.")
    if cost:
        notes.append(
            "Fit and predict times are means per fold (folds without a refit "
            "count as 0 s of fitting)."
        )
    return part(
        "leaderboard",
        groups=groups,
        head=head,
        rows=rows,
        footnotes=[Markup(n) for n in notes],
    )
