"""Head-to-head comparisons: self- vs multi-head attention, single vs multi heads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsattn.report._frame import PreparedResults
from tsattn.report._html import Markup, cell, part
from tsattn.report._leaderboard import best_mask, format_column
from tsattn.report._stats import compare_pair
from tsattn.report._text import comparison_sentence

__all__ = ["check_comparisons", "comparisons_section", "detect_comparisons"]


def _swap_token(name: str, old: str, new: str) -> str | None:
    parts = re.split(r"([^A-Za-z0-9]+)", name)
    if not any(p.lower() == old for p in parts):
        return None
    return "".join(new if p.lower() == old else p for p in parts)


def _strip_from_token(name: str, token: str) -> str | None:
    parts = re.split(r"([^A-Za-z0-9]+)", name)
    lowered = [p.lower() for p in parts]
    if token not in lowered:
        return None
    head = "".join(parts[: lowered.index(token)])
    return re.sub(r"[^A-Za-z0-9]+$", "", head) or None


def detect_comparisons(models: Sequence[str]) -> list[tuple[str, str, str]]:
    """Find self- vs multi-head attention and single vs multi output-head pairs.

    ``sa`` pairs with ``mha`` (also inside longer names, e.g. ``sa_big`` with
    ``mha_big``); a name with a ``multi`` token pairs with the same name using
    ``single`` instead, or else with the part before ``multi``
    (``mha_multi_head_out`` with ``mha``).
    """
    present = set(models)
    pairs: list[tuple[str, str, str]] = []
    for model in models:
        partner = _swap_token(model, "sa", "mha")
        if partner is not None and partner in present:
            pairs.append(("Self-attention vs multi-head attention", model, partner))
    for model in models:
        candidates = (
            _swap_token(model, "multi", "single"),
            _strip_from_token(model, "multi"),
        )
        partner = next((c for c in candidates if c in present and c != model), None)
        if partner is None:
            continue
        tokens = set(re.split(r"[^a-z0-9]+", model.lower()))
        kind = "output head" if tokens & {"out", "output", "outputs"} else "head"
        pairs.append((f"Single vs multi {kind}", partner, model))
    unique: list[tuple[str, str, str]] = []
    for pair in pairs:
        if all({pair[1], pair[2]} != {p[1], p[2]} for p in unique):
            unique.append(pair)
    return unique


def check_comparisons(
    comparisons: Any, models: Sequence[str]
) -> list[tuple[str, str, str]]:
    """Validate user-given ``(title, model_a, model_b)`` triples."""
    if isinstance(comparisons, (str, bytes)) or not isinstance(comparisons, Sequence):
        raise TypeError(
            "comparisons must be a list of (title, model_a, model_b) tuples; got "
            f"{type(comparisons).__name__}."
        )
    checked = []
    for item in comparisons:
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str)
            or len(item) != 3
            or not all(isinstance(v, str) for v in item)
        ):
            raise TypeError(
                "each comparison must be a (title, model_a, model_b) tuple of "
                f"strings; got {item!r}."
            )
        title, a, b = item
        unknown = [m for m in (a, b) if m not in models]
        if unknown:
            raise ValueError(
                f"comparison {title!r} names model(s) {unknown} that are not in "
                f"the results; models present: {list(models)}."
            )
        if a == b:
            raise ValueError(
                f"comparison {title!r} compares {a!r} with itself; name two "
                "different models."
            )
        checked.append((title, a, b))
    return checked


def _comparison_table(board: pd.DataFrame, a: str, b: str) -> dict[str, Any]:
    rows = board.loc[[a, b]]
    spec = [
        ("mae", "MAE", 4),
        ("rmse", "RMSE", 4),
        ("mase", "MASE", 3),
        ("dir_acc", "Direction", "pct"),
        ("n_params", "Params", "int"),
        ("fit_seconds", "Fit s", 3),
        ("predict_seconds", "Predict s", 3),
        ("peak_memory_mb", "Peak MB", 3),
    ]
    spec = [s for s in spec if np.isfinite(rows[s[0]]).any()]
    texts = {key: format_column(rows, key, kind) for key, _, kind in spec}
    body = []
    for i, model in enumerate((a, b)):
        cells = []
        for key, _, _ in spec:
            values = rows[key].to_numpy(dtype="float64")
            best = best_mask(values, key, None)[i] and np.isfinite(values).sum() == 2
            cells.append(cell(key, texts[key][i], best))
        body.append({"model": model, "cells": cells})
    return {"head": [label for _, label, _ in spec], "rows": body}


def comparisons_section(
    prep: PreparedResults,
    board: pd.DataFrame,
    pairs: list[tuple[str, str, str]],
    dm_loss: str,
) -> Markup:
    """Return the comparisons section, one block per pair.

    Each block has a sentence (which model is more accurate, whether the
    difference is significant, at what cost) and a side-by-side table.
    """
    empty = Markup(
        "No pair of models to compare. Name the models <code>sa</code> and "
        "<code>mha</code> (or <code>…_single…</code> / <code>…_multi…</code>), "
        "or pass <code>comparisons=[(title, model_a, model_b)]</code>."
    )
    items = []
    for title, a, b in pairs:
        ratio, dm = compare_pair(prep, a, b, dm_loss)
        sentence = Markup(comparison_sentence(a, b, ratio, dm, board))
        items.append(
            {"title": title, "a": a, "b": b, "sentence": sentence}
            | _comparison_table(board, a, b)
        )
    return part("comparisons", items=items, empty=empty)
