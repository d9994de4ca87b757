"""Small HTML helpers shared by the report's sections (all user text escaped)."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tsattn.report import _plots

__all__ = ["figure_tag", "fmt_label", "img_tag", "model_name", "num_cell"]


def img_tag(fig: Figure, alt: str) -> str:
    """Return an ``<img>`` with the figure as an embedded PNG."""
    uri, width, height = _plots.to_data_uri(fig)
    return f'<img src="{uri}" width="{width}" height="{height}" alt="{escape(alt)}">'


def figure_tag(fig: Figure, alt: str, caption: str) -> str:
    """Return a ``<figure>`` with the embedded image; ``caption`` is trusted HTML."""
    return f"<figure>{img_tag(fig, alt)}<figcaption>{caption}</figcaption></figure>"


def model_name(model: str) -> str:
    """Return the escaped model name that may wrap after underscores in narrow cells."""
    return escape(model).replace("_", "_<wbr>")


def fmt_label(value: Any) -> str:
    """Return a timestamp or other index value as short text (not escaped)."""
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        value = pd.Timestamp(value)
        return value.strftime(
            "%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M"
        )
    return str(value)


def num_cell(
    key: str, text: str, best: bool, *, extra: str = "", raw: bool = False
) -> str:
    """Return a numeric table cell; ``raw`` marks ``text`` as already-safe HTML."""
    content = text if raw else escape(text)
    if best:
        content = f"<strong>{content}</strong>"
    cls = f"num{' best' if best else ''}{extra}"
    return f'<td class="{cls}" data-col="{key}">{content}</td>'
