"""Pairs of attention models that differ in one architecture choice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ArchPair", "architecture_pairs", "architecture_table"]

#: n_params within this share of each other count as one parameter budget.
BUDGET_TOLERANCE = 0.10


@dataclass(frozen=True)
class ArchPair:
    """Two attention models that differ in one choice, and how they compare.

    Attributes
    ----------
    kind : {"heads", "output"}
        "heads": self-attention (``n_heads == 1``) vs multi-head attention
        (``n_heads > 1``) with the same output head; "output": one shared
        output layer (``output_head == "single"``) vs a head per task
        (``"multi"``) with the same number of attention heads.
    a, b : str
        The self-attention / single-output model and its multi-head /
        multi-output partner.
    labels : tuple of str
        "equal width" when ``d_model`` is equal, "equal parameter budget"
        when the parameter counts are within 10% of each other.
    n_params_a, n_params_b : float
        Parameter counts (NaN when unknown).
    d_model_a, d_model_b : float
        Widths.
    """

    kind: str
    a: str
    b: str
    labels: tuple[str, ...]
    n_params_a: float
    n_params_b: float
    d_model_a: float
    d_model_b: float

    @property
    def label(self) -> str:
        """The labels joined: ``equal width and equal parameter budget``."""
        return " and ".join(self.labels)


def architecture_table(results: pd.DataFrame) -> pd.DataFrame:
    """Return one row per attention model: its architecture and parameter count.

    Attention models are those with an ``n_heads`` value in ``results``
    (baselines have none). Each value is the model's first non-missing one.
    """
    if "n_heads" not in results.columns:
        return pd.DataFrame(columns=["n_heads", "output_head", "d_model", "n_params"])
    heads = pd.to_numeric(results["n_heads"], errors="coerce")
    rows = results[heads.notna()]
    out = {}
    for model, g in rows.groupby("model", sort=False):
        rec = {}
        for col in ("n_heads", "output_head", "d_model", "n_params"):
            values = (
                g[col].dropna() if col in g.columns else pd.Series([], dtype=object)
            )
            rec[col] = values.iloc[0] if len(values) else np.nan
        out[str(model)] = rec
    table = pd.DataFrame.from_dict(out, orient="index")
    for col in ("n_heads", "d_model", "n_params"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    return table


def _same(x: object, y: object) -> bool:
    """Equal, where two missing values (a choice the models do not have) match."""
    if pd.isna(x) and pd.isna(y):  # type: ignore[arg-type]
        return True
    return bool(x == y)


def _labels(a: pd.Series, b: pd.Series, tolerance: float) -> tuple[str, ...]:
    labels = []
    if np.isfinite(a["d_model"]) and a["d_model"] == b["d_model"]:
        labels.append("equal width")
    pa, pb = float(a["n_params"]), float(b["n_params"])
    if np.isfinite(pa) and np.isfinite(pb) and min(pa, pb) > 0:
        if max(pa, pb) <= (1.0 + tolerance) * min(pa, pb):
            labels.append("equal parameter budget")
    return tuple(labels)


def architecture_pairs(
    arch: pd.DataFrame, tolerance: float = BUDGET_TOLERANCE
) -> list[ArchPair]:
    """Pair attention models that differ in the number of heads or the output head.

    A pair is kept only when it is fair on some scale: equal ``d_model``
    ("equal width"), or parameter counts within ``tolerance`` of each other
    (the larger at most ``1 + tolerance`` times the smaller: "equal parameter
    budget"). The other choice must match (same output head when comparing
    heads; same number of heads when comparing output heads).

    Parameters
    ----------
    arch : pandas.DataFrame
        :func:`architecture_table`.
    tolerance : float, default=0.10
        Relative difference of parameter counts that still counts as one
        budget.

    Returns
    -------
    list of ArchPair
        Heads pairs first, then output-head pairs, in the table's order.
    """
    pairs: list[ArchPair] = []
    models = list(arch.index)
    for kind in ("heads", "output"):
        for a in models:
            for b in models:
                ra, rb = arch.loc[a], arch.loc[b]
                if kind == "heads":
                    fits = (
                        ra["n_heads"] == 1
                        and rb["n_heads"] > 1
                        and _same(ra["output_head"], rb["output_head"])
                    )
                else:
                    fits = (
                        ra["output_head"] == "single"
                        and rb["output_head"] == "multi"
                        and _same(ra["n_heads"], rb["n_heads"])
                    )
                if not fits:
                    continue
                labels = _labels(ra, rb, tolerance)
                if labels:
                    pairs.append(
                        ArchPair(
                            kind,
                            str(a),
                            str(b),
                            labels,
                            float(ra["n_params"]),
                            float(rb["n_params"]),
                            float(ra["d_model"]),
                            float(rb["d_model"]),
                        )
                    )
    return pairs
