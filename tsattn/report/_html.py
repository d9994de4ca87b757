"""The report's Jinja2 templates (autoescaped) and the helpers that fill them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FunctionLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.figure import Figure

import tsattn
from tsattn.report._style import to_data_uri

__all__ = [
    "Markup",
    "cell",
    "figure_section",
    "fmt_label",
    "image",
    "part",
    "render_page",
    "resource",
]


def resource(name: str) -> str:
    """Return a package file of :mod:`tsattn.report` as text."""
    return resources.files("tsattn.report").joinpath(name).read_text("utf-8")


@cache
def _environment() -> Environment:
    # Templates are package files read through importlib.resources, so the
    # report renders from a wheel or a zip as from a checkout.
    return Environment(
        loader=FunctionLoader(resource),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def part(macro: str, **context: Any) -> Markup:
    """Render one macro of ``parts.html.j2``; plain strings are escaped."""
    module = _environment().get_template("parts.html.j2").module
    return Markup(getattr(module, macro)(**context))


def render_page(
    *,
    title: str,
    masthead: Markup,
    verdict: Markup,
    sections: Sequence[tuple[str, str, Markup | str]],
) -> str:
    """Render the whole document from ``page.html.j2``.

    ``sections`` are ``(id, label, html)`` in page order; those with no html
    are left out, the others listed in the table of contents.
    """
    shown = [s for s in sections if s[2]]
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            title=title,
            version=tsattn.__version__,
            css=Markup(resource("report.css")),
            masthead=masthead,
            verdict=verdict,
            toc=[(sid, label) for sid, label, _ in shown],
            sections=[html for _, _, html in shown],
        )
    )


def image(fig: Figure) -> dict[str, Any]:
    """Return the figure as an embedded PNG: ``{"uri", "width", "height"}``."""
    uri, width, height = to_data_uri(fig)
    return {"uri": uri, "width": width, "height": height}


def figure_section(
    id: str, title: str, text: str, fig: Figure, alt: str, caption: str
) -> Markup:
    """Return a section of one paragraph and one figure."""
    figure = {"heading": None, "img": image(fig), "alt": alt, "caption": caption}
    return part("section", id=id, title=title, paragraphs=[text], figures=[figure])


def cell(key: str, text: str | Markup, best: bool, extra: str = "") -> dict[str, Any]:
    """Describe a numeric table cell for the ``num_cell`` macro."""
    return {"key": key, "text": text, "best": bool(best), "extra": extra}


def fmt_label(value: Any) -> str:
    """Return a timestamp or other index value as short text (not escaped)."""
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        value = pd.Timestamp(value)
        return value.strftime(
            "%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M"
        )
    return str(value)
