"""Leaderboard numbers and pairwise tests, computed with tsattn.metrics and stats."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsattn import metrics, stats
from tsattn.report._frame import COST_COLUMNS, KEY, PreparedResults

__all__ = ["DMResult", "compare_pair", "dm_lag", "leaderboard", "step_errors"]

_DM_COLUMNS = ["model", "series", "cutoff", "step", "y_true", "y_pred"]


def dm_lag(prep: PreparedResults) -> tuple[int, int | None]:
    """Return the Diebold-Mariano ``h`` of the whole frame and the fold spacing.

    Returns
    -------
    h : int
        From :func:`tsattn.stats.dm_horizon`.
    spacing : int or None
        Rows between cutoffs, None when the frame has no ``cutoff_pos``
        column (then ``h`` is the horizon).
    """
    if "cutoff_pos" not in prep.frame.columns:
        return stats.dm_horizon(prep.horizon), None
    positions = prep.frame["cutoff_pos"]
    return stats.dm_horizon(prep.horizon, positions), stats.fold_spacing(positions)


@dataclass(frozen=True)
class DMResult:
    """Diebold–Mariano test of one model against another on their common rows.

    Attributes
    ----------
    statistic : float
        Statistic from :func:`tsattn.metrics.evaluate`; positive when the first
        model has the larger loss. NaN when the test cannot be computed.
    pvalue : float
        Two-sided p-value; NaN when the test cannot be computed.
    n_origins : int
        Forecast origins (cutoffs) both models forecast.
    reason : str
        Why the test is missing, empty when it was computed.
    """

    statistic: float
    pvalue: float
    n_origins: int
    reason: str = ""


def _common(prep: PreparedResults, a: str, b: str) -> pd.DataFrame:
    ok = prep.frame[prep.frame["_ok"]]
    left = ok.loc[ok["model"] == a, [*KEY, "_abs"]]
    right = ok.loc[ok["model"] == b, [*KEY, "_abs"]]
    return left.merge(right, on=KEY, suffixes=("_a", "_b"))


def _why_untested(common: pd.DataFrame, statistic: float, h: float) -> str:
    """Explain a missing statistic the way the test's own conditions do."""
    n = int(common["cutoff"].nunique())
    if n and np.isfinite(h) and h >= 1:
        shortfall = stats.dm_shortfall(n, int(h))
    else:
        shortfall = stats.dm_shortfall(n, 1)
    if shortfall:
        return shortfall
    if not np.isfinite(statistic):
        return "the two models have identical losses"
    return ""


def _dm_table(
    prep: PreparedResults, models: list[str], baseline: str, loss: str
) -> pd.DataFrame:
    ok = prep.frame[prep.frame["_ok"] & prep.frame["model"].isin(models)]
    out = ["dm_stat", "dm_pvalue", "dm_pvalue_holm", "dm_h"]
    if not (ok["model"] == baseline).any():
        return pd.DataFrame(columns=out)
    columns = [*_DM_COLUMNS, *(["cutoff_pos"] if "cutoff_pos" in ok.columns else [])]
    table = metrics.evaluate(
        ok[columns],
        by="model",
        metrics=["mae"],
        baseline=baseline,
        dm_loss=loss,
    )
    return table.set_index("model")[out]


def _dm_result(prep: PreparedResults, table: pd.DataFrame, a: str, b: str) -> DMResult:
    common = _common(prep, a, b)
    stat = float(table["dm_stat"].get(a, math.nan))
    pvalue = float(table["dm_pvalue"].get(a, math.nan))
    h = float(table["dm_h"].get(a, math.nan))
    reason = _why_untested(common, stat, h) if not np.isfinite(pvalue) else ""
    return DMResult(stat, pvalue, int(common["cutoff"].nunique()), reason)


def compare_pair(
    prep: PreparedResults, a: str, b: str, loss: str
) -> tuple[float, DMResult]:
    """Compare two models on the rows both forecast.

    Returns
    -------
    ratio : float
        MAE of ``a`` divided by MAE of ``b`` on the common rows.
    dm : DMResult
        Diebold–Mariano test of ``a`` against ``b``.
    """
    common = _common(prep, a, b)
    denom = float(common["_abs_b"].mean()) if len(common) else math.nan
    ratio = float(common["_abs_a"].mean()) / denom if denom > 0 else math.nan
    table = _dm_table(prep, [a, b], b, loss)
    return ratio, _dm_result(prep, table, a, b)


def _origin_values(prep: PreparedResults) -> pd.Series:
    """Last observed value at each (series, cutoff), where it can be recovered.

    Taken from an actual whose timestamp equals the cutoff, else from the
    first-step forecast of the model named ``naive`` (a random walk repeats
    the last value). Any other baseline's forecast is not the last value, so
    it is never used: such origins stay unknown and are left out.
    """
    frame = prep.frame
    actuals = (
        frame.loc[np.isfinite(frame["y_true"]), ["series", "timestamp", "y_true"]]
        .drop_duplicates(["series", "timestamp"])
        .rename(columns={"timestamp": "cutoff", "y_true": "origin"})
    )
    origins = frame[["series", "cutoff"]].drop_duplicates()
    try:
        origins = origins.merge(actuals, on=["series", "cutoff"], how="left")
    except (TypeError, ValueError):
        # cutoff and timestamp of different kinds (e.g. ints and dates).
        origins = origins.assign(origin=np.nan)
    if "naive" in prep.models:
        first = frame.loc[
            (frame["model"] == "naive") & (frame["step"] == 1),
            ["series", "cutoff", "y_pred"],
        ]
        origins = origins.merge(first, on=["series", "cutoff"], how="left")
        origins["origin"] = origins["origin"].fillna(origins["y_pred"])
    return origins.set_index(["series", "cutoff"])["origin"]


def _direction(rows: pd.DataFrame, origins: pd.Series) -> float:
    index = pd.MultiIndex.from_frame(rows[["series", "cutoff"]])
    ref = origins.reindex(index).to_numpy(dtype="float64")
    known = np.isfinite(ref)
    if not known.any():
        return math.nan
    return metrics.directional_accuracy(
        rows["y_true"].to_numpy()[known], rows["y_pred"].to_numpy()[known], ref[known]
    )


def _coverage(
    rows: pd.DataFrame, interval: tuple[str, str, float]
) -> tuple[float, int, int]:
    """Coverage, rows with an interval, and rows whose bounds cross."""
    lo, hi = rows[interval[0]].to_numpy(), rows[interval[1]].to_numpy()
    y = rows["y_true"].to_numpy()
    has = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(y)
    if not has.any():
        return math.nan, 0, 0
    lo, hi, y = lo[has], hi[has], y[has]
    crossed = int(np.sum(hi < lo))
    # Crossed quantiles are reported; the interval they span is still scored.
    value = metrics.coverage(y, np.minimum(lo, hi), np.maximum(lo, hi))
    return value, int(has.sum()), crossed


def _cost(rows: pd.DataFrame, column: str) -> float:
    if column not in rows.columns:
        return math.nan
    if column == "n_params":
        values = rows[column].dropna()
        return float(values.iloc[0]) if len(values) else math.nan
    if column == "peak_memory_mb":
        return float(rows[column].max()) if rows[column].notna().any() else math.nan
    # Timings are per fold and repeated on that fold's rows.
    per_fold = rows.groupby(["series", "fold"], sort=False)[column].first().dropna()
    return float(per_fold.mean()) if len(per_fold) else math.nan


def leaderboard(prep: PreparedResults, dm_loss: str) -> pd.DataFrame:
    """Accuracy, significance and cost of every model, one row per model.

    Returns
    -------
    pandas.DataFrame
        Indexed by model, sorted by MAE (missing last). Columns: ``mae``,
        ``rmse``, ``smape`` (percent), ``mase`` (scaled by the
        ``y_insample_naive_scale`` column when present, else ``rel_mae``),
        ``rel_mae`` (MAE / baseline MAE on the same forecasts), ``dir_acc``,
        ``coverage``, ``dm_stat``, ``dm_pvalue``, ``dm_pvalue_holm`` (Holm's
        correction over the models tested against the baseline), ``dm_reason``,
        the cost
        columns, ``n_rows`` (rows with an actual), ``n_missing`` (of those,
        rows without a finite forecast), ``n_interval`` and ``n_crossed``.
    """
    frame = prep.frame
    origins = _origin_values(prep)
    scaled = metrics.SCALE_COLUMN in frame.columns
    table = (
        _dm_table(prep, list(prep.models), prep.baseline, dm_loss)
        if prep.baseline is not None
        else None
    )
    records = []
    for model in prep.models:
        rows = frame[frame["model"] == model]
        n_actual = int(np.isfinite(rows["y_true"]).sum())
        ok = rows[rows["_ok"]]
        rec: dict[str, float | str | int] = {
            "model": model,
            "n_rows": n_actual,
            "n_missing": n_actual - len(ok),
        }
        y, f = ok["y_true"].to_numpy(), ok["y_pred"].to_numpy()
        empty = len(ok) == 0
        rec["mae"] = math.nan if empty else metrics.mae(y, f)
        rec["rmse"] = math.nan if empty else metrics.rmse(y, f)
        rec["smape"] = math.nan if empty else metrics.smape(y, f)
        rec["dir_acc"] = math.nan if empty else _direction(ok, origins)
        rec["coverage"], rec["n_interval"], rec["n_crossed"] = math.nan, 0, 0
        if prep.interval is not None and not empty:
            rec["coverage"], rec["n_interval"], rec["n_crossed"] = _coverage(
                ok, prep.interval
            )
        dm = None
        if prep.baseline is None:
            rec["rel_mae"] = math.nan
        elif model == prep.baseline:
            rec["rel_mae"] = math.nan if empty else 1.0
        else:
            common = _common(prep, model, prep.baseline)
            base = float(common["_abs_b"].mean()) if len(common) else math.nan
            rec["rel_mae"] = (
                float(common["_abs_a"].mean()) / base if base > 0 else math.nan
            )
            dm = _dm_result(prep, table, model, prep.baseline)
        rec["mase"] = rec["rel_mae"]
        if scaled and not empty:
            scale = ok[metrics.SCALE_COLUMN].to_numpy(dtype="float64")
            usable = np.isfinite(scale) & (scale > 0)
            rec["mase"] = (
                metrics.mase(y[usable], f[usable], scale[usable])
                if usable.any()
                else math.nan
            )
        rec["dm_stat"] = dm.statistic if dm is not None else math.nan
        rec["dm_pvalue"] = dm.pvalue if dm is not None else math.nan
        rec["dm_pvalue_holm"] = (
            float(table["dm_pvalue_holm"].get(model, math.nan))
            if dm is not None
            else math.nan
        )
        rec["dm_reason"] = dm.reason if dm is not None else ""
        for col in COST_COLUMNS:
            rec[col] = _cost(rows, col)
        records.append(rec)
    board = pd.DataFrame.from_records(records).set_index("model")
    return board.sort_values("mae", na_position="last", kind="stable")


def step_errors(prep: PreparedResults) -> pd.DataFrame:
    """MAE per model (columns) and horizon step (index), on each model's rows."""
    ok = prep.frame[prep.frame["_ok"]]
    table = ok.pivot_table(index="step", columns="model", values="_abs", aggfunc="mean")
    return table.reindex(columns=[m for m in prep.models if m in table.columns])
