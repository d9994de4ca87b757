"""Attention heatmaps: validation of the ``attention`` mapping and its section."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tsattn.report import _plots
from tsattn.report._html import Markup, figure_section, fmt_label

__all__ = ["ATTENTION_KEYS", "AttentionSpec", "attention_section", "check_attention"]

ATTENTION_KEYS = (
    "model",
    "timestamps",
    "weights",
    "query_timestamps",
    "series",
    "cutoff",
    "all_layers",
)


@dataclass(frozen=True)
class AttentionSpec:
    """A checked ``attention`` mapping; weights are (n_layers, n_heads, Lq, Lk)."""

    model: str
    weights: np.ndarray  # (n_layers, n_heads, Lq, Lk)
    keys: list[Any]
    queries: list[Any]
    series: Any
    cutoff: Any
    all_layers: bool


def check_attention(attention: Any) -> AttentionSpec:
    if not isinstance(attention, Mapping):
        raise TypeError(
            "attention must be a mapping with keys 'model', 'timestamps' and "
            f"'weights'; got {type(attention).__name__}."
        )
    unknown = [k for k in attention if k not in ATTENTION_KEYS]
    if unknown:
        hints = [
            difflib.get_close_matches(str(k), ATTENTION_KEYS, n=1) for k in unknown
        ]
        hint = "; ".join(
            f"{k!r}: did you mean {h[0]!r}?" for k, h in zip(unknown, hints) if h
        )
        raise ValueError(
            f"attention has unknown key(s) {unknown}; allowed keys are "
            f"{list(ATTENTION_KEYS)}." + (f" {hint}" if hint else "")
        )
    missing = [k for k in ("model", "timestamps", "weights") if k not in attention]
    if missing:
        raise ValueError(
            f"attention is missing key(s) {missing}; pass a mapping with 'model' "
            "(str), 'timestamps' (length L) and 'weights' (n_layers, n_heads, Lq, Lk)."
        )
    model = attention["model"]
    if not isinstance(model, str):
        raise TypeError(f"attention['model'] must be a str; got {model!r}.")
    try:
        weights = np.asarray(attention["weights"], dtype="float64")
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"attention['weights'] must be a numeric array; conversion failed: {exc}"
        ) from exc
    if weights.ndim == 3:
        weights = weights[None]
    if weights.ndim != 4 or 0 in weights.shape:
        raise ValueError(
            "attention['weights'] must have shape (n_layers, n_heads, Lq, Lk) "
            f"(or (n_heads, Lq, Lk) for one layer); got shape {weights.shape}."
        )
    finite = weights[np.isfinite(weights)]
    if finite.size and (finite.min() < -1e-6 or finite.max() > 1 + 1e-6):
        raise ValueError(
            "attention['weights'] must be attention probabilities in [0, 1]; found "
            f"values from {finite.min():.3g} to {finite.max():.3g}. Pass the "
            "softmax-normalised weights, not raw scores."
        )
    keys = list(attention["timestamps"])
    if len(keys) != weights.shape[3]:
        raise ValueError(
            f"attention['timestamps'] has length {len(keys)} but the weights have "
            f"Lk = {weights.shape[3]} key positions; pass one timestamp per key."
        )
    queries = attention.get("query_timestamps")
    if queries is not None:
        queries = list(queries)
        if len(queries) != weights.shape[2]:
            raise ValueError(
                f"attention['query_timestamps'] has length {len(queries)} but the "
                f"weights have Lq = {weights.shape[2]} query positions."
            )
    elif weights.shape[2] == weights.shape[3]:
        queries = keys
    else:
        queries = [f"query {i + 1}" for i in range(weights.shape[2])]
    return AttentionSpec(
        model=model,
        weights=weights,
        keys=keys,
        queries=queries,
        series=attention.get("series"),
        cutoff=attention.get("cutoff"),
        all_layers=bool(attention.get("all_layers", False)),
    )


def attention_spec_figure(spec: AttentionSpec) -> Figure:
    """Heatmaps of the last layer's heads, or of every layer's with ``all_layers``."""
    n_layers = spec.weights.shape[0]
    if spec.all_layers:
        weights = spec.weights
        names = [f"layer {i + 1}" for i in range(n_layers)]
    else:
        weights = spec.weights[-1:]
        names = [f"layer {n_layers}"]
    return _plots.attention_figure(
        weights,
        [fmt_label(k) for k in spec.keys],
        [fmt_label(q) for q in spec.queries],
        layer_names=names,
    )


def attention_section(spec: AttentionSpec | None) -> Markup | str:
    if spec is None:
        return ""
    n_layers, n_heads = spec.weights.shape[:2]
    fig = attention_spec_figure(spec)
    where = []
    if spec.series is not None:
        where.append(f"series {spec.series}")
    if spec.cutoff is not None:
        where.append(f"cutoff {fmt_label(spec.cutoff)}")
    place = f" ({', '.join(where)})" if where else ""
    layer_text = (
        f"every layer ({n_layers})"
        if spec.all_layers
        else f"the last layer of {n_layers}"
    )
    text = (
        f"How {spec.model} weighed the past for one forecast{place}: one "
        f"panel per head ({n_heads}) of {layer_text}. Rows are query positions, "
        "columns the time steps attended to; brighter means more weight. Heads "
        "that look at different lags add information; near-identical panels "
        "suggest redundant heads."
    )
    return figure_section(
        "attention",
        "Attention maps",
        text,
        fig,
        f"Attention heatmaps for {spec.model}",
        f"Attention weights per head, {spec.model}.",
    )
