"""The report figures' look: sizes, colours, axes and PNG export."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

# Displayed width of a full-column figure in CSS pixels; PNGs are drawn at twice
# this resolution so that they stay sharp on high-density screens.
COLUMN_PX = 920
DPI = 100
SCALE = 2
INK = "#1f2328"
MUTED = "#656d76"
GRID = "#e6e8eb"
BASELINE_COLOR = "#4d4d4d"
# Okabe–Ito (colour-blind safe) first, then tab10 for long model lists.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#8c564b",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#9467bd",
    "#d62728",
)


def model_colors(models: Sequence[str], baseline: str | None) -> dict[str, str]:
    """Give each model a fixed colour, the baseline a neutral grey."""
    colors: dict[str, str] = {}
    others = [m for m in models if m != baseline]
    for i, model in enumerate(others):
        colors[model] = PALETTE[i % len(PALETTE)]
    if baseline is not None:
        colors[baseline] = BASELINE_COLOR
    return colors


def new_figure(width_px: float, height_px: float) -> Figure:
    """Return an empty figure of ``width_px`` by ``height_px`` CSS pixels."""
    # Whole CSS pixels, so that the PNG is exactly twice the displayed size.
    width_px, height_px = round(width_px), round(height_px)
    return Figure(
        figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout="constrained"
    )


def style_axes(ax: Axes, *, title: str | None = None) -> None:
    """Give ``ax`` the report's look: light grid, no top/right spines, a title."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#8c959f")
    ax.tick_params(colors=MUTED, labelsize=8.5, length=3)
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, loc="left", fontsize=10, color=INK, fontweight="bold")


def legend(ax: Axes, **kwargs: object) -> None:
    """Draw a frameless legend on ``ax`` when it has labelled artists."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, **kwargs)


def date_axis(ax: Axes, values: pd.Series | pd.Index | np.ndarray) -> None:
    """Concise date ticks when the x values are dates, else angled labels."""
    if pd.api.types.is_datetime64_any_dtype(np.asarray(values)):
        locator = AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.xaxis.get_offset_text().set_fontsize(8)
        ax.xaxis.get_offset_text().set_color(MUTED)


def to_data_uri(fig: Figure) -> tuple[str, int, int]:
    """Render a figure to a base64 PNG data URI.

    Returns
    -------
    uri : str
        ``data:image/png;base64,...``.
    width, height : int
        Display size in CSS pixels (half the PNG's pixel size).
    """
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=DPI * SCALE,
        facecolor="white",
        metadata={"Software": None},
    )
    width, height = (round(float(v) * DPI) for v in fig.get_size_inches())
    payload = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"data:image/png;base64,{payload}", width, height


def plain(text: str) -> str:
    """Show ``$`` literally: matplotlib would parse ``$...$`` as mathtext."""
    return str(text).replace("$", r"\$")
