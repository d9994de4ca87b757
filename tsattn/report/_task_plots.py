"""Figures of the multi-task report: variance against realized, calibration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tsattn.report import _style

__all__ = ["calibration_figure", "variance_figure"]


def variance_figure(
    frame: pd.DataFrame,
    series: str,
    models: Sequence[str],
    colors: Mapping[str, str],
    reference: str | None,
) -> Figure:
    """Realized variance and each model's forecast over time, log scale.

    ``frame`` holds the variance rows (``model``, ``series``, ``timestamp``,
    ``y_true``, ``y_pred``, optional ``seed``); a model with seeds is drawn
    as the mean of its seeds' forecasts.
    """
    rows = frame[frame["series"] == series]
    x_col = "timestamp" if "timestamp" in rows.columns else "cutoff"
    fig = _style.new_figure(_style.COLUMN_PX, 360)
    ax = fig.subplots()
    _style.style_axes(
        ax, title=f"{_style.plain(series)}: variance forecasts against realized"
    )
    truth = rows[[x_col, "y_true"]].drop_duplicates(x_col).sort_values(x_col)
    positive = truth["y_true"] > 0
    ax.plot(
        truth.loc[positive, x_col],
        truth.loc[positive, "y_true"],
        color=_style.INK,
        linewidth=0.6,
        marker="o",
        markersize=2.0,
        alpha=0.55,
        label="realized",
    )
    for model in models:
        g = rows[rows["model"] == model]
        if g.empty:
            continue
        path = g.groupby(x_col, sort=True)["y_pred"].mean()
        path = path[path > 0]
        ref = model == reference
        ax.plot(
            path.index,
            path.to_numpy(),
            color=_style.BASELINE_COLOR if ref else colors[model],
            linestyle="--" if ref else "-",
            linewidth=1.4 if ref else 1.5,
            label=_style.plain(model) + (" (reference)" if ref else ""),
        )
    ax.set_yscale("log")
    ax.set_ylabel("variance (log scale)", fontsize=9, color=_style.MUTED)
    _style.date_axis(ax, truth[x_col])
    _style.legend(ax, fontsize=8, ncols=3)
    return fig


def calibration_figure(
    tables: Mapping[str, pd.DataFrame], colors: Mapping[str, str]
) -> Figure:
    """Reliability diagram (observed frequency vs mean P(up)) and bin counts.

    ``tables`` maps a model to :func:`tsattn.metrics.calibration_table`.
    """
    fig = _style.new_figure(_style.COLUMN_PX, 360)
    left, right = fig.subplots(1, 2)
    _style.style_axes(left, title="Observed frequency of up vs forecast P(up)")
    _style.style_axes(right, title="Forecasts per bin")
    left.plot([0, 1], [0, 1], color=_style.MUTED, linestyle=":", linewidth=1.0)
    for model, table in tables.items():
        full = table[table["count"] > 0]
        left.plot(
            full["mean_prob"],
            full["frequency"],
            marker="o",
            markersize=3.5,
            color=colors[model],
            linewidth=1.4,
            label=_style.plain(model),
        )
        centres = (table["lower"] + table["upper"]) / 2
        right.plot(
            centres,
            table["count"],
            marker="o",
            markersize=3.0,
            color=colors[model],
            linewidth=1.2,
        )
    left.set_xlim(0, 1)
    left.set_ylim(0, 1)
    left.set_xlabel("mean forecast P(up) in the bin", fontsize=9, color=_style.MUTED)
    left.set_ylabel("share that went up", fontsize=9, color=_style.MUTED)
    right.set_xlim(0, 1)
    right.set_ylim(bottom=0)
    right.margins(y=0.08)
    right.set_xlabel("P(up) bin (centre)", fontsize=9, color=_style.MUTED)
    right.set_ylabel("forecasts", fontsize=9, color=_style.MUTED)
    _style.legend(left, fontsize=8)
    right.set_xticks(np.linspace(0, 1, 6))
    return fig
