"""Verdicts of model comparisons: one model, several seeds, the per-task leaderboard.

Each verdict reads the Diebold-Mariano tests of :mod:`tsattn.stats`
(Holm-corrected) and says whether a model beats its reference; the report
and the command line both print them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn.evaluation import TASK_BASELINES, TASK_METRICS, TASK_SCORE, evaluate
from tsattn.stats import dm_shortfall, holm

__all__ = [
    "SeedVerdict",
    "Verdict",
    "seed_spread",
    "seed_verdict",
    "task_leaderboard",
    "verdict",
]


@dataclass(frozen=True)
class Verdict:
    """Whether any model beats the baseline, as numbers.

    Attributes
    ----------
    kind : {"wins", "tie", "loses", "none"}
        "wins": a model is more accurate than the baseline and significantly
        so after Holm's correction; "tie": the best is more accurate but not
        significantly; "loses": no model is more accurate; "none": no
        baseline, or no other model, to compare.
    model : str or None
        The model the verdict is about: the significant winner with the
        lowest score, else the model with the lowest score.
    baseline : str or None
        The baseline, None when absent.
    ratio : float
        ``score(model) / score(baseline)``.
    statistic, pvalue : float
        Diebold-Mariano statistic and uncorrected two-sided p-value of
        ``model`` against the baseline.
    pvalue_holm : float
        ``pvalue`` after Holm's correction over the ``n_tested`` models.
    n_tested : int
        Models tested against the baseline (the Holm family).
    alpha : float
        Significance level.
    pvalues_holm : dict of str to float
        Holm-adjusted p-value of every tested model.
    """

    kind: str
    model: str | None
    baseline: str | None
    ratio: float
    statistic: float
    pvalue: float
    pvalue_holm: float
    n_tested: int
    alpha: float
    pvalues_holm: dict[str, float] = field(default_factory=dict)


def verdict(
    board: pd.DataFrame,
    baseline: str | None,
    *,
    score: str = "mae",
    relative: bool = False,
    alpha: float = 0.05,
) -> Verdict:
    """Decide whether any model beats the baseline: the one verdict.

    Every model is tested against the baseline; the family of tests is
    corrected with Holm's method (:func:`holm`), so a model "wins" only when
    it is more accurate and its Holm-adjusted p-value is below ``alpha``. A
    significant winner leads even when another model has a lower but
    unproven score.

    Parameters
    ----------
    board : pandas.DataFrame
        One row per model (indexed by model name) with the ``score`` column
        (lower is better) and ``dm_pvalue`` (the uncorrected test against the
        baseline, NaN for the baseline and untested models); ``dm_stat`` is
        reported when present.
    baseline : str or None
        The baseline model; None or absent from ``board`` gives ``"none"``.
    score : str, default="mae"
        Column ranked on.
    relative : bool, default=False
        Whether ``score`` already holds the ratio to the baseline (e.g. MAE on
        the rows both models forecast); else it is divided by the baseline's.
    alpha : float, default=0.05
        Significance level.

    Returns
    -------
    Verdict
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
    missing = [c for c in (score, "dm_pvalue") if c not in board.columns]
    if missing:
        raise ValueError(
            f"board is missing column(s) {missing}; it has {list(board.columns)}."
        )
    values = board[score].astype("float64")
    nan = math.nan
    others = board.index != baseline
    pvalues = board.loc[others, "dm_pvalue"].astype("float64")
    adjusted = pd.Series(holm(pvalues.to_numpy()), index=pvalues.index)
    n_tested = int(np.isfinite(pvalues).sum())
    family = {str(m): float(p) for m, p in adjusted.items() if np.isfinite(p)}
    if baseline is None or baseline not in board.index:
        finite = values[np.isfinite(values)]
        best = str(finite.idxmin()) if len(finite) else None
        return Verdict("none", best, None, nan, nan, nan, nan, 0, alpha, {})
    if relative:
        ratio = values
    else:
        base = float(values.loc[baseline])
        ratio = values / base if base > 0 else values * nan
    contenders = board[others & np.isfinite(ratio.to_numpy())]
    if contenders.empty:
        return Verdict("none", None, baseline, nan, nan, nan, nan, 0, alpha, family)
    cratio = ratio.loc[contenders.index]
    cadj = adjusted.loc[contenders.index]
    winners = cratio[(cratio < 1.0) & (cadj < alpha)]
    pool = winners if len(winners) else cratio
    model = pool.idxmin()
    r = float(cratio.loc[model])
    p_adj = float(cadj.loc[model])
    if r < 1.0 and p_adj < alpha:
        kind = "wins"
    elif r < 1.0:
        kind = "tie"
    else:
        kind = "loses"
    return Verdict(
        kind,
        str(model),
        baseline,
        r,
        float(board["dm_stat"].get(model, nan)) if "dm_stat" in board else nan,
        float(board.loc[model, "dm_pvalue"]),
        p_adj,
        n_tested,
        alpha,
        family,
    )


# ----------------------------------------------------------------------------
# Several seeds of one model, and the per-task leaderboard
# ----------------------------------------------------------------------------


def seed_spread(values: npt.ArrayLike) -> dict[str, float]:
    """Mean and spread of one metric over the seeds of a model.

    Parameters
    ----------
    values : array-like
        The metric of each seed; NaN (a failed seed) is left out.

    Returns
    -------
    dict
        ``mean``, ``sd`` (sample standard deviation, ``ddof=1``; NaN for one
        seed), ``min``, ``max`` and ``n`` (seeds with a value).
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        nan = math.nan
        return {"mean": nan, "sd": nan, "min": nan, "max": nan, "n": 0}
    return {
        "mean": float(v.mean()),
        "sd": float(v.std(ddof=1)) if v.size > 1 else math.nan,
        "min": float(v.min()),
        "max": float(v.max()),
        "n": int(v.size),
    }


@dataclass(frozen=True)
class SeedVerdict:
    """How a model fares against its reference over its seeds, as counts.

    Every seed is tested on its own (Diebold-Mariano, Holm's correction within
    the seed's family); the verdict counts the outcomes and never picks a
    seed.

    Attributes
    ----------
    kind : {"wins", "mixed", "tie", "loses", "none"}
        "wins": significantly better than the reference on every seed;
        "loses": significantly worse on every seed; "tie": significant on no
        seed; "mixed": significant on some seeds only, or both ways; "none":
        no seed could be tested (no reference, or too few origins).
    model : str
        The model.
    baseline : str or None
        The reference model.
    n_seeds : int
        Seeds (1 for a deterministic model).
    n_better, n_worse, n_tied, n_untested : int
        Seeds significantly better, significantly worse, not significantly
        different, and not tested.
    ratio, ratio_min, ratio_max : float
        Mean, smallest and largest over the seeds of the score divided by the
        reference's score (below 1: better).
    alpha : float
        Significance level.
    """

    kind: str
    model: str
    baseline: str | None
    n_seeds: int
    n_better: int
    n_worse: int
    n_tied: int
    n_untested: int
    ratio: float
    ratio_min: float
    ratio_max: float
    alpha: float


def seed_verdict(
    seeds: pd.DataFrame, baseline: str | None, *, alpha: float = 0.05
) -> SeedVerdict:
    """Count on how many seeds a model is significantly better or worse.

    Parameters
    ----------
    seeds : pandas.DataFrame
        One row per seed of one model, with columns ``model``, ``ratio``
        (score over the reference's score), ``dm_stat`` (positive: worse than
        the reference) and ``dm_pvalue_holm`` (Holm-adjusted within the
        seed's family; NaN: untested).
    baseline : str or None
        The reference model.
    alpha : float, default=0.05
        Significance level.

    Returns
    -------
    SeedVerdict

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.stats import seed_verdict
    >>> seeds = pd.DataFrame({"model": "mha", "ratio": [0.9, 0.95, 1.01],
    ...                       "dm_stat": [-3.0, -1.0, 0.2],
    ...                       "dm_pvalue_holm": [0.001, 0.3, 0.8]})
    >>> v = seed_verdict(seeds, "garch")
    >>> v.kind, v.n_better, v.n_tied, v.n_seeds
    ('mixed', 1, 2, 3)
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}.")
    needed = ["model", "ratio", "dm_stat", "dm_pvalue_holm"]
    missing = [c for c in needed if c not in seeds.columns]
    if missing:
        raise ValueError(
            f"seeds is missing column(s) {missing}; it has {list(seeds.columns)}."
        )
    models = pd.unique(seeds["model"])
    if len(models) != 1:
        raise ValueError(
            f"seeds must hold the seeds of one model; got models {list(models)}."
        )
    p = seeds["dm_pvalue_holm"].to_numpy(dtype=np.float64)
    stat = seeds["dm_stat"].to_numpy(dtype=np.float64)
    tested = np.isfinite(p) & (baseline is not None)
    significant = tested & (p < alpha)
    n_better = int((significant & (stat < 0)).sum())
    n_worse = int((significant & (stat > 0)).sum())
    n_tested = int(tested.sum())
    n = len(seeds)
    spread = seed_spread(seeds["ratio"])
    if n_tested == 0:
        kind = "none"
    elif n_better == n:
        kind = "wins"
    elif n_worse == n:
        kind = "loses"
    elif n_better == 0 and n_worse == 0:
        kind = "tie"
    else:
        kind = "mixed"
    return SeedVerdict(
        kind,
        str(models[0]),
        baseline,
        n,
        n_better,
        n_worse,
        n_tested - n_better - n_worse,
        n - n_tested,
        spread["mean"],
        spread["min"],
        spread["max"],
        alpha,
    )


_COST = ("n_params", "fit_seconds", "peak_memory_mb")
_ARCHITECTURE = ("n_heads", "output_head", "d_model")


def _run_cost(rows: pd.DataFrame) -> dict[str, Any]:
    """Cost of one run (one seed) of a model on one task's rows."""
    out: dict[str, Any] = {}
    if "n_params" in rows:
        values = pd.to_numeric(rows["n_params"], errors="coerce").dropna()
        out["n_params"] = float(values.iloc[0]) if len(values) else math.nan
    if "fit_seconds" in rows:
        keys = [c for c in ("series", "fold") if c in rows.columns]
        fits = rows.groupby(keys, sort=False)["fit_seconds"].first() if keys else None
        total = pd.to_numeric(fits, errors="coerce").sum() if fits is not None else 0.0
        out["fit_seconds"] = float(total)
    if "peak_memory_mb" in rows:
        peak = pd.to_numeric(rows["peak_memory_mb"], errors="coerce")
        out["peak_memory_mb"] = float(peak.max()) if peak.notna().any() else math.nan
    for col in _ARCHITECTURE:
        if col in rows:
            values = rows[col].dropna()
            out[col] = values.iloc[0] if len(values) else None
    return out


def task_leaderboard(
    results: pd.DataFrame,
    *,
    baseline: str | Mapping[str, str] = "auto",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per-task leaderboard over seeds: metrics, test against the reference, cost.

    Each task kind is scored with :data:`tsattn.evaluation.TASK_METRICS` and
    ranked on :data:`tsattn.evaluation.TASK_SCORE` (MSE of returns, Brier score
    of P(up), QLIKE of variance, MSE of volatility, MAE of prices). Every run
    (model and seed) is tested against the task's reference with the task's
    loss (:func:`tsattn.evaluation.evaluate`: QLIKE for variance), Holm-corrected
    within the task and seed; a model with seeds shows the mean over seeds,
    the spread of its score and the count of seeds on which it is
    significantly better or worse (:func:`seed_verdict`), never its best
    seed.

    Parameters
    ----------
    results : pandas.DataFrame
        A supervised backtest's results (``model``, ``task``, ``series``,
        ``cutoff``, ``step``, ``y_true``, ``y_pred``; optionally
        ``cutoff_pos``, ``seed``, ``fold`` and the cost and architecture
        columns). Rows with a missing actual or forecast are counted in
        ``n_missing`` and left out.
    baseline : "auto" or mapping, default="auto"
        Reference per task; "auto" takes :data:`tsattn.evaluation.TASK_BASELINES`
        (zero, base rate, GARCH, naive). A task whose reference is absent is
        reported untested (``dm_reason``).
    alpha : float, default=0.05
        Significance level.

    Returns
    -------
    pandas.DataFrame
        One row per task and model, sorted by task and mean score. Columns:
        ``task``, ``model``, ``reference``, ``score`` (the name of the ranked
        metric), ``n_seeds``, the task's metrics (means over seeds),
        ``score_mean``, ``score_sd``, ``score_min``, ``score_max``, ``ratio``
        (mean over seeds of score / reference score), ``ratio_min``,
        ``ratio_max``, ``n_better``, ``n_worse``, ``n_tied``, ``n_untested``,
        ``verdict`` (:attr:`SeedVerdict.kind`), ``dm_stat``, ``dm_pvalue``,
        ``dm_pvalue_holm`` (the test's numbers when the model has one run,
        NaN with several seeds), ``dm_reason`` (why untested, else ""),
        ``n``, ``n_missing`` and the cost (means over seeds) and
        architecture columns present in ``results``.
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame; got {type(results)}.")
    needed = ["model", "task", "cutoff", "step", "y_true", "y_pred"]
    missing = [c for c in needed if c not in results.columns]
    if missing:
        raise ValueError(
            f"results is missing column(s) {missing} needed for a per-task "
            f"leaderboard; it has {list(results.columns)}."
        )
    if isinstance(baseline, str) and baseline == "auto":
        references = dict(TASK_BASELINES)
    elif isinstance(baseline, Mapping):
        references = {**TASK_BASELINES, **dict(baseline)}
    else:
        raise TypeError(
            f"baseline must be 'auto' or a mapping task -> model; got {baseline!r}."
        )
    frame = results.copy()
    frame.attrs = {}  # a backtest's attrs["failures"] breaks pandas merges
    if "seed" not in frame.columns:
        frame["seed"] = np.nan
    frame["seed"] = pd.to_numeric(frame["seed"], errors="coerce")
    ok = np.isfinite(pd.to_numeric(frame["y_true"], errors="coerce")) & np.isfinite(
        pd.to_numeric(frame["y_pred"], errors="coerce")
    )
    counts = frame.groupby(["task", "model"], sort=False).size()
    kept = frame[ok]
    present = set(kept["model"])
    tested_refs = {
        t: m for t, m in references.items() if m in present and t in set(kept["task"])
    }
    runs = evaluate(
        kept,
        by=("task", "model", "seed"),
        baseline=tested_refs or None,
    )
    if "dm_pvalue" not in runs:
        for col in ("dm_stat", "dm_pvalue", "dm_h", "dm_pvalue_holm"):
            runs[col] = math.nan
    score_of = runs["task"].map(TASK_SCORE)
    runs["score_value"] = [
        float(r[s]) if s in r else math.nan
        for s, (_, r) in zip(score_of, runs.iterrows())
    ]
    records = []
    for (task, model), group in runs.groupby(["task", "model"], sort=False):
        ref = references.get(task)
        ref_runs = runs[(runs["task"] == task) & (runs["model"] == ref)]
        ratios = []
        for _, run in group.iterrows():
            match = ref_runs
            if ref_runs["seed"].notna().any():
                match = ref_runs[ref_runs["seed"] == run["seed"]]
            base = float(match["score_value"].mean()) if len(match) else math.nan
            ratios.append(run["score_value"] / base if base > 0 else math.nan)
        group = group.assign(ratio=ratios)
        reference = ref if ref in present else None
        v = seed_verdict(
            group.assign(model=str(model)),
            reference if model != ref else None,
            alpha=alpha,
        )
        spread = seed_spread(group["score_value"])
        rec: dict[str, Any] = {
            "task": task,
            "model": str(model),
            "reference": ref,
            "score": TASK_SCORE[task],
            "n_seeds": len(group),
        }
        for name in TASK_METRICS[task]:
            if name in group:
                rec[name] = float(group[name].astype("float64").mean())
        rec.update({f"score_{k}": spread[k] for k in ("mean", "sd", "min", "max")})
        rec.update(
            ratio=v.ratio if model != ref else 1.0,
            ratio_min=v.ratio_min if model != ref else 1.0,
            ratio_max=v.ratio_max if model != ref else 1.0,
            n_better=v.n_better,
            n_worse=v.n_worse,
            n_tied=v.n_tied,
            n_untested=v.n_untested if model != ref else 0,
            verdict=v.kind if model != ref else "reference",
        )
        single = len(group) == 1
        for col in ("dm_stat", "dm_pvalue", "dm_pvalue_holm"):
            rec[col] = float(group[col].iloc[0]) if single else math.nan
        origins = 0
        if reference is not None:
            in_task = kept[kept["task"] == task]
            origins = len(
                set(in_task.loc[in_task["model"] == model, "cutoff"])
                & set(in_task.loc[in_task["model"] == reference, "cutoff"])
            )
        rec["dm_reason"] = _untested_reason(group, model, ref, reference, origins)
        rec["n"] = int(group["n"].sum())
        rec["n_missing"] = int(counts.get((task, model), 0)) - rec["n"]
        costs = [
            _run_cost(
                kept[
                    (kept["task"] == task)
                    & (kept["model"] == model)
                    & (kept["seed"].isna() if pd.isna(seed) else kept["seed"] == seed)
                ]
            )
            for seed in group["seed"]
        ]
        for col in _COST:
            values = [c[col] for c in costs if col in c]
            if values:
                rec[col] = (
                    float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
                )
        for col in _ARCHITECTURE:
            if costs and col in costs[0]:
                rec[col] = costs[0][col]
        records.append(rec)
    board = pd.DataFrame.from_records(records)
    order = {t: i for i, t in enumerate(pd.unique(results["task"]))}
    board["_task"] = board["task"].map(order)
    board = board.sort_values(
        ["_task", "score_mean"], na_position="last", kind="stable"
    )
    return board.drop(columns="_task").reset_index(drop=True)


def _untested_reason(
    group: pd.DataFrame,
    model: Any,
    ref: str | None,
    present: str | None,
    n_origins: int,
) -> str:
    if model == ref:
        return ""
    if ref is None:
        return "no reference model for this task"
    if present is None:
        return f"the results have no {ref!r} model, the task's reference"
    untested = group["dm_pvalue"].isna()
    if not untested.any():
        return ""
    h = int(max(group.loc[untested, "dm_h"].max(), 1))
    shortfall = dm_shortfall(n_origins, h)
    return shortfall or f"the losses equal {ref}'s on every forecast origin"
