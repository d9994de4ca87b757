"""Matplotlib figures of the report, returned as embeddable PNG data URIs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from tsattn.report._frame import KEY, PreparedResults
from tsattn.report._style import (
    BASELINE_COLOR,
    COLUMN_PX,
    INK,
    MUTED,
    date_axis,
    legend,
    new_figure,
    plain,
    style_axes,
)

__all__ = [
    "attention_figure",
    "cost_figure",
    "cumulative_figure",
    "forecast_figure",
    "horizon_figure",
]


def _is_baseline(model: str, baseline: str | None) -> bool:
    return baseline is not None and model == baseline


def _line_kw(model: str, colors: dict[str, str], baseline: str | None) -> dict:
    if _is_baseline(model, baseline):
        return {"color": colors[model], "linestyle": "--", "linewidth": 1.4}
    return {"color": colors[model], "linewidth": 1.7}


def forecast_figure(
    prep: PreparedResults,
    series: str,
    models: Sequence[str],
    colors: dict[str, str],
    n_folds: int,
) -> Figure:
    """Actuals and the last ``n_folds`` forecasts of each model for one series."""
    rows = prep.frame[prep.frame["series"] == series]
    cutoffs = np.sort(rows["cutoff"].unique())
    shown = cutoffs[-n_folds:]
    recent = rows[rows["cutoff"].isin(shown)]
    # Actuals over the shown windows plus the preceding fold, for context.
    context = cutoffs[-(n_folds + 1) :]
    actual = (
        rows[rows["cutoff"].isin(context) & np.isfinite(rows["y_true"])]
        .drop_duplicates("timestamp")
        .sort_values("timestamp")
    )
    ncols = 1 if len(models) == 1 else 2
    nrows = math.ceil(len(models) / ncols)
    fig = new_figure(COLUMN_PX, 60 + 175 * nrows)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    lo_hi = prep.interval
    any_missing = False
    for ax, model in zip(axes.flat, models):
        style_axes(ax)
        ax.set_title(
            plain(model),
            loc="left",
            fontsize=10,
            color=colors[model],
            fontweight="bold",
        )
        ax.plot(actual["timestamp"], actual["y_true"], color=INK, linewidth=1.1)
        mine = recent[recent["model"] == model]
        for cutoff, grp in mine.groupby("cutoff", sort=True):
            grp = grp.sort_values("step")
            ax.axvline(cutoff, color="#afb8c1", linewidth=0.8, linestyle=":")
            if lo_hi is not None:
                lo, hi = grp[lo_hi[0]].to_numpy(), grp[lo_hi[1]].to_numpy()
                if np.isfinite(lo).any() and np.isfinite(hi).any():
                    ax.fill_between(
                        grp["timestamp"],
                        lo,
                        hi,
                        color=colors[model],
                        alpha=0.18,
                        linewidth=0,
                    )
            ax.plot(
                grp["timestamp"],
                grp["y_pred"],
                marker="o",
                markersize=2.5,
                **_line_kw(model, colors, prep.baseline),
            )
            missing = grp[~np.isfinite(grp["y_pred"]) & np.isfinite(grp["y_true"])]
            if len(missing):
                any_missing = True
                ax.plot(
                    missing["timestamp"],
                    missing["y_true"],
                    linestyle="none",
                    marker="x",
                    color="#cf222e",
                    markersize=6,
                )
        date_axis(ax, actual["timestamp"])
    for i, ax in enumerate(axes.flat):
        if i >= len(models):
            ax.set_visible(False)
            # The panel above the gap is the bottom of its column.
            axes.flat[i - ncols].xaxis.set_tick_params(labelbottom=True)
    handles = [
        Line2D([], [], color=INK, linewidth=1.1, label="actual"),
        Line2D(
            [],
            [],
            color=MUTED,
            linewidth=1.7,
            marker="o",
            markersize=2.5,
            label="forecast",
        ),
    ]
    if lo_hi is not None:
        handles.append(Patch(color=MUTED, alpha=0.25, label=f"{lo_hi[2]:.0%} interval"))
    if any_missing:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="x",
                color="#cf222e",
                label="missing forecast",
            )
        )
    handles.append(Line2D([], [], color="#afb8c1", linestyle=":", label="cutoff"))
    fig.legend(
        handles=handles,
        loc="outside upper left",
        ncols=len(handles),
        frameon=False,
        fontsize=8.5,
    )
    return fig


def horizon_figure(
    step_mae: pd.DataFrame, colors: dict[str, str], baseline: str | None
) -> Figure:
    """MAE by horizon step, and relative to the baseline when there is one."""
    relative = baseline is not None and baseline in step_mae.columns
    fig = new_figure(COLUMN_PX, 330)
    axes = fig.subplots(1, 2 if relative else 1, squeeze=False)[0]
    steps = step_mae.index.to_numpy()
    ax = axes[0]
    style_axes(ax, title="MAE by step")
    for model in step_mae.columns:
        ax.plot(
            steps,
            step_mae[model],
            marker="o",
            markersize=3.5,
            label=plain(model),
            **_line_kw(model, colors, baseline),
        )
    ax.set_xlabel("steps after the cutoff", fontsize=9, color=MUTED)
    ax.set_xticks(steps)
    ax.set_ylim(bottom=0)
    if relative:
        ax = axes[1]
        style_axes(ax, title=f"MAE relative to {baseline} (below 1 = better)")
        ax.axhline(1.0, color=BASELINE_COLOR, linestyle="--", linewidth=1.2)
        base = step_mae[baseline].where(step_mae[baseline] > 0)
        for model in step_mae.columns:
            if model == baseline:
                continue
            ax.plot(
                steps,
                step_mae[model] / base,
                marker="o",
                markersize=3.5,
                **_line_kw(model, colors, baseline),
            )
        ax.set_xlabel("steps after the cutoff", fontsize=9, color=MUTED)
        ax.set_xticks(steps)
    legend(axes[0], fontsize=8, ncols=2 if len(colors) > 4 else 1)
    return fig


def cumulative_figure(
    prep: PreparedResults, models: Sequence[str], colors: dict[str, str]
) -> Figure:
    """Cumulative absolute and squared error over forecast origins.

    With a baseline the curves are the model's cumulative error minus the
    baseline's on the same rows (below zero: ahead of the baseline so far).
    """
    ok = prep.frame[prep.frame["_ok"]]
    baseline = prep.baseline
    fig = new_figure(COLUMN_PX, 330)
    axes = fig.subplots(1, 2, squeeze=False)[0]
    titles = ("absolute error", "squared error")
    for ax, column, title in zip(axes, ("_abs", "_sq"), titles):
        if baseline is None:
            style_axes(ax, title=f"Cumulative {title}")
        else:
            style_axes(ax, title=f"Cumulative {title} minus {baseline}")
            ax.axhline(0.0, color=BASELINE_COLOR, linestyle="--", linewidth=1.2)
        for model in models:
            mine = ok.loc[ok["model"] == model, [*KEY, column]]
            if baseline is not None:
                if model == baseline:
                    continue
                base = ok.loc[ok["model"] == baseline, [*KEY, column]]
                mine = mine.merge(base, on=KEY, suffixes=("", "_base"))
                mine[column] = mine[column] - mine[f"{column}_base"]
            per_origin = mine.groupby("cutoff")[column].sum().sort_index()
            if per_origin.empty:
                continue
            ax.plot(
                per_origin.index,
                per_origin.cumsum().to_numpy(),
                marker="o" if len(per_origin) < 3 else None,
                markersize=3.5,
                label=plain(model),
                **_line_kw(model, colors, baseline),
            )
        ax.set_xlabel("cutoff", fontsize=9, color=MUTED)
        date_axis(ax, ok["cutoff"])
    legend(axes[0], fontsize=8)
    return fig


def _short(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.3g}M"
    if value >= 1e4:
        return f"{value / 1e3:.3g}k"
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return np.format_float_positional(value, precision=3, fractional=False, trim="-")


def cost_figure(
    board: pd.DataFrame, colors: dict[str, str], columns: Sequence[tuple[str, str]]
) -> Figure:
    """Horizontal bars per model for each cost column that has any value."""
    models = list(board.index)
    fig = new_figure(COLUMN_PX, 50 + max(120, 28 * len(models)))
    axes = fig.subplots(1, len(columns), sharey=True, squeeze=False)[0]
    ypos = np.arange(len(models))
    for ax, (column, title) in zip(axes, columns):
        style_axes(ax, title=title)
        ax.grid(False)
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="x", bottom=False, labelbottom=False)
        values = board[column].to_numpy(dtype="float64")
        shown = np.where(np.isfinite(values), values, 0.0)
        ax.barh(ypos, shown, color=[colors[m] for m in models], height=0.62)
        top = float(shown.max()) if shown.max() > 0 else 1.0
        ax.set_xlim(0, top * 1.45)
        for y, v in zip(ypos, values):
            text = _short(v) if np.isfinite(v) else "n/a"
            ax.text(
                (v if np.isfinite(v) else 0.0) + top * 0.03,
                y,
                text,
                va="center",
                fontsize=8,
                color=INK if np.isfinite(v) else MUTED,
            )
        ax.set_yticks(ypos, [plain(m) for m in models], fontsize=9)
        ax.tick_params(axis="y", length=0)
    axes[0].invert_yaxis()  # shared y: the best-ranked model on top
    return fig


def _tick_labels(labels: Sequence[str], count: int) -> tuple[np.ndarray, list[str]]:
    """About ``count`` evenly spaced positions and their labels."""
    n = len(labels)
    positions = np.unique(np.linspace(0, n - 1, num=min(count, n)).round().astype(int))
    return positions, [plain(labels[pos]) for pos in positions]


def attention_figure(
    weights: np.ndarray,
    key_labels: Sequence[str],
    query_labels: Sequence[str],
    *,
    layer_names: Sequence[str],
) -> Figure:
    """One heatmap per head (columns) for each given layer (rows).

    ``weights`` has shape (n_layers_shown, n_heads, Lq, Lk).
    """
    n_layers, n_heads = weights.shape[:2]
    ncols = min(n_heads, 4)
    rows_per_layer = math.ceil(n_heads / ncols)
    nrows = n_layers * rows_per_layer
    panel = (COLUMN_PX - 70) / ncols
    fig = new_figure(COLUMN_PX, 30 + nrows * (panel * 0.92 + 20))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    vmax = float(np.nanmax(weights)) if np.isfinite(weights).any() else 1.0
    image = None
    key_pos, key_txt = _tick_labels(list(key_labels), 5)
    query_pos, query_txt = _tick_labels(list(query_labels), 5)
    for layer in range(n_layers):
        for head in range(rows_per_layer * ncols):
            ax = axes[layer * rows_per_layer + head // ncols, head % ncols]
            if head >= n_heads:
                ax.set_visible(False)
                continue
            image = ax.imshow(
                weights[layer, head],
                cmap="viridis",
                vmin=0.0,
                vmax=vmax,
                aspect="auto",
                interpolation="nearest",
            )
            title = f"head {head + 1}"
            if n_layers > 1:
                title = f"{layer_names[layer]} · {title}"
            ax.set_title(title, loc="left", fontsize=9.5, color=INK)
            ax.set_xticks(key_pos, key_txt, rotation=35, ha="right", fontsize=7.5)
            if head % ncols == 0:
                ax.set_yticks(query_pos, query_txt, fontsize=7.5)
            else:
                ax.set_yticks(query_pos, [])
            ax.tick_params(colors=MUTED, length=2)
            if head % ncols == 0:
                ax.set_ylabel("query", fontsize=8.5, color=MUTED)
    if image is not None:
        bar = fig.colorbar(image, ax=axes, shrink=0.8, pad=0.01)
        bar.ax.tick_params(labelsize=7.5, colors=MUTED)
        bar.set_label("attention weight", fontsize=8.5, color=MUTED)
    return fig
