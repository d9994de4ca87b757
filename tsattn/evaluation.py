"""Scoring a backtest's results frame: metrics per group, tests against a reference.

:func:`evaluate` groups a tidy results frame (one row per forecast), scores
each group with the metrics of :mod:`tsattn.metrics` (each task kind with
its own, :data:`TASK_METRICS`) and tests every model against a reference
with the Diebold-Mariano test of :mod:`tsattn.stats`.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn import TsattnWarning
from tsattn import metrics as array_metrics
from tsattn.stats import dm_horizon, dm_test, error_loss, holm

__all__ = [
    "METRICS",
    "SCALE_COLUMN",
    "TASK_BASELINES",
    "TASK_DM_LOSS",
    "TASK_METRICS",
    "TASK_SCORE",
    "evaluate",
]

#: Column of a results frame holding the in-sample naive MAE used by MASE.
SCALE_COLUMN = "y_insample_naive_scale"

#: Metric names understood by :func:`evaluate`.
METRICS = (
    "mae",
    "rmse",
    "mse",
    "mape",
    "smape",
    "mase",
    "pinball",
    "coverage",
    "interval_width",
    "qlike",
    "directional_accuracy",
    "sign_mcc",
    "total_return",
    "sharpe",
    "max_drawdown",
    "accuracy",
    "brier",
    "log_loss",
    "roc_auc",
    "mcc",
    "mz_r2",
)

#: Default metrics per task kind, used by :func:`evaluate` on a frame with a
#: ``task`` column. "price" rows get the point-forecast defaults (plus MASE
#: and interval metrics when the frame has a scale or quantile columns).
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "price": ("mae", "rmse", "smape"),
    "return": ("mse", "mae"),
    "direction": ("accuracy", "brier", "log_loss", "roc_auc", "mcc"),
    "variance": ("qlike", "mse", "mz_r2"),
    "volatility": ("mse", "mae", "mz_r2"),
}

#: Reference model each task kind is tested against by default (the field's
#: own rival): zero return, the training base rate, GARCH(1,1), the random walk.
TASK_BASELINES: dict[str, str] = {
    "return": "zero",
    "direction": "base_rate",
    "variance": "garch",
    "volatility": "garch",
    "price": "naive",
}

#: Loss of the Diebold-Mariano test per task kind by default: squared error of
#: returns, squared error of P(up) for direction (the Brier score's terms),
#: QLIKE for variance forecasts (Patton 2011: it ranks variance forecasts like
#: the true variance would even when the realised proxy is noisy), squared
#: error for volatilities and absolute error for prices.
TASK_DM_LOSS: dict[str, str] = {
    "return": "squared",
    "direction": "squared",
    "variance": "qlike",
    "volatility": "squared",
    "price": "absolute",
}

#: The metric each task kind is ranked on: the mean of the test's loss.
TASK_SCORE: dict[str, str] = {
    "return": "mse",
    "direction": "brier",
    "variance": "qlike",
    "volatility": "mse",
    "price": "mae",
}

_VOLATILITY_QLIKE = (
    "QLIKE scores variance forecasts, not volatilities: task 'volatility' rows "
    "hold standard deviations. Square y_true and y_pred and mark the rows "
    "task='variance', or score volatilities with mse, mae or mz_r2."
)

_QUANTILE_COLUMN = re.compile(r"^q(\d*\.?\d+(?:[eE][-+]?\d+)?)$")


def _qlike_known(y: Any, f: Any, g: pd.DataFrame) -> float:
    """QLIKE of a group, leaving out (with a warning) rows whose realized variance is 0.

    QLIKE is undefined at a realized variance of 0 (a pegged or stale price
    over the whole window); the Diebold-Mariano test, on the QLIKE
    differential, keeps those rows.
    """
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    zero = y == 0
    if zero.any():
        where = ""
        if "series" in g.columns:
            series = sorted({str(v) for v in g.loc[g.index[zero], "series"]})
            where = f" (series {', '.join(series)})"
        warnings.warn(
            f"QLIKE is undefined where the realized variance is 0: {int(zero.sum())} "
            f"of {len(y)} row(s){where} are left out of the QLIKE column; the "
            "Diebold-Mariano test keeps them (the QLIKE differential is defined "
            "there).",
            TsattnWarning,
            stacklevel=4,
        )
        if zero.all():
            return math.nan
    return array_metrics.qlike(y[~zero], f[~zero])


# ----------------------------------------------------------------------------
# Frame-level evaluation
# ----------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Sequence[str], why: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"results is missing column(s) {missing} needed for {why}; it has "
            f"{list(frame.columns)}."
        )


def _unknown(name: str, known: Sequence[str], what: str) -> ValueError:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown {what} {name!r}.{hint} Known: {list(known)}.")


def _quantile_columns(frame: pd.DataFrame) -> dict[float, str]:
    found = {}
    for col in frame.columns:
        match = _QUANTILE_COLUMN.match(str(col))
        if match and 0.0 < float(match.group(1)) < 1.0:
            found[float(match.group(1))] = col
    return dict(sorted(found.items()))


def _interval_pairs(levels: Sequence[float]) -> list[tuple[float, float]]:
    pairs = []
    for q in levels:
        partner = [p for p in levels if abs(p - (1.0 - q)) < 1e-9]
        if q < 0.5 and partner:
            pairs.append((q, partner[0]))
    return pairs


def _scale_values(
    frame: pd.DataFrame, scale: float | Mapping[Any, float] | pd.Series | None
) -> npt.NDArray[np.float64] | None:
    if scale is None:
        if SCALE_COLUMN in frame.columns:
            return frame[SCALE_COLUMN].to_numpy(dtype=np.float64)
        return None
    if isinstance(scale, (Mapping, pd.Series)):
        _require(frame, ["series"], "a per-series scale")
        mapped = frame["series"].map(scale)
        if mapped.isna().any():
            missing = sorted(set(frame.loc[mapped.isna(), "series"]), key=str)
            raise ValueError(f"scale has no value for series {missing}.")
        return mapped.to_numpy(dtype=np.float64)
    return np.full(len(frame), float(scale))


def _metric_names(
    metrics: Sequence[str] | str | None, has_quantiles: bool, has_scale: bool
) -> list[str]:
    if metrics is None:
        names = ["mae", "rmse", "smape"]
        names += ["mase"] if has_scale else []
        names += ["pinball", "coverage", "interval_width"] if has_quantiles else []
        return names
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    for name in names:
        if name not in METRICS:
            raise _unknown(name, METRICS, "metric")
    return names


_PROBABILITY_METRICS: dict[str, Callable[[Any, Any], float]] = {
    "accuracy": array_metrics.direction_accuracy,
    "brier": array_metrics.brier_score,
    "log_loss": array_metrics.log_loss,
    "roc_auc": array_metrics.roc_auc,
    "mcc": array_metrics.direction_mcc,
}


def _group_metrics(
    g: pd.DataFrame,
    names: Sequence[str],
    quantiles: dict[float, str],
    scale: npt.NDArray[np.float64] | None,
    options: dict[str, Any],
) -> dict[str, float]:
    y, f = g["y_true"].to_numpy(), g["y_pred"].to_numpy()
    ref_col = options["direction_reference"]
    ref = None if ref_col is None else g[ref_col].to_numpy()
    out: dict[str, float] = {}
    strategy: dict[str, float] | None = None
    for name in names:
        if name in ("mae", "rmse", "mse", "mape", "smape"):
            out[name] = getattr(array_metrics, name)(y, f)
        elif name == "mase":
            rows = g.index.to_numpy()
            out[name] = array_metrics.mase(y, f, scale[rows])  # type: ignore[index]
        elif name == "pinball":
            losses = [
                array_metrics.pinball_loss(y, g[c], q) for q, c in quantiles.items()
            ]
            out[name] = float(np.mean(losses))
        elif name in ("coverage", "interval_width"):
            for lo, hi in _interval_pairs(list(quantiles)):
                label = f"{name}_{hi - lo:g}"
                lower, upper = g[quantiles[lo]], g[quantiles[hi]]
                out[label] = (
                    array_metrics.coverage(y, lower, upper)
                    if name == "coverage"
                    else array_metrics.interval_width(lower, upper)
                )
        elif name == "qlike":
            if "task" in g.columns and (g["task"] == "volatility").any():
                raise ValueError(_VOLATILITY_QLIKE)
            out[name] = _qlike_known(y, f, g)
        elif name == "directional_accuracy":
            out[name] = array_metrics.directional_accuracy(y, f, ref)
        elif name == "sign_mcc":
            out[name] = array_metrics.sign_mcc(y, f, ref)
        elif name in _PROBABILITY_METRICS:
            undefined = name == "roc_auc" and np.unique(y).size < 2
            out[name] = math.nan if undefined else _PROBABILITY_METRICS[name](y, f)
        elif name == "mz_r2":
            # Undefined (not an error) for a group too small or a flat forecast.
            undefined = y.size < 3 or np.ptp(f) == 0
            out[name] = (
                math.nan if undefined else array_metrics.mincer_zarnowitz(y, f)["r2"]
            )
        else:
            if strategy is None:
                strategy = _group_strategy(g, options)
            out[name] = strategy[name]
    return out


def _group_strategy(g: pd.DataFrame, options: dict[str, Any]) -> dict[str, float]:
    order = "timestamp" if "timestamp" in g.columns else "cutoff"
    _require(g, [order], "the trading metrics (rows are ordered in time)")
    per_series = []
    groups = g.groupby("series", sort=False) if "series" in g.columns else [(0, g)]
    for _, part in groups:
        part = part.sort_values(order, kind="stable")
        if part[order].duplicated().any():
            raise ValueError(
                f"the trading metrics need one forecast per {order} and series; "
                "include 'step' in by (or filter one step) first."
            )
        per_series.append(
            array_metrics.strategy_returns(
                part["y_true"],
                part["y_pred"],
                cost_per_trade=options["cost_per_trade"],
                periods_per_year=options["periods_per_year"],
            )
        )
    return {k: float(np.mean([s[k] for s in per_series])) for k in per_series[0]}


def _loss_differential(both: pd.DataFrame, loss: str) -> pd.Series:
    if loss == "qlike":
        d = array_metrics.qlike_differential(
            both["y_true"], both["y_pred"], both["y_pred_base"]
        )
        return pd.Series(d, index=both.index)
    return error_loss(both["y_true"] - both["y_pred"], loss) - error_loss(
        both["y_true_base"] - both["y_pred_base"], loss
    )


def _dm_group(
    g: pd.DataFrame, base: pd.DataFrame, loss: str
) -> tuple[float, float, int]:
    keys = [c for c in ("series", "cutoff", "step") if c in g.columns]
    both = g.merge(base, on=keys, suffixes=("", "_base"))
    if both.empty:
        return math.nan, math.nan, 0
    d = _loss_differential(both, loss)
    # One differential per forecast origin: average over series and steps.
    d = d.groupby(both["cutoff"]).mean().sort_index().to_numpy(dtype=np.float64)
    positions = both["cutoff_pos"] if "cutoff_pos" in both.columns else None
    if positions is not None and positions.isna().any():
        positions = None  # rows of a frame without positions (h = horizon)
    h = dm_horizon(int(both["step"].max()), positions)
    try:
        stat, pvalue = dm_test(d, h, "two-sided")
    except ValueError:
        return math.nan, math.nan, h
    return stat, pvalue, h


def evaluate(
    results: pd.DataFrame,
    *,
    by: Sequence[str] | str = ("model", "series", "step"),
    metrics: Sequence[str] | str | None = None,
    baseline: str | Mapping[str, str] | None = "auto",
    scale: float | Mapping[Any, float] | pd.Series | None = None,
    dm_loss: str | Mapping[str, str] | None = None,
    direction_reference: str | None = None,
    cost_per_trade: float = 0.0,
    periods_per_year: int = 252,
) -> pd.DataFrame:
    """Score a tidy backtest results frame, group by group.

    A frame with a ``task`` column scores each task kind with its own
    metrics (:data:`TASK_METRICS`), and ``"task"`` is added in front of
    ``by`` when missing. The columns mean, per task kind:

    - ``"price"``: ``y_true`` / ``y_pred`` are levels (or any point target);
    - ``"return"``: realised and forecast returns;
    - ``"direction"``: ``y_true`` is the outcome, 1 (up) or 0 (not up), and
      ``y_pred`` the forecast **probability of up**, in [0, 1] (accuracy and
      MCC call "up" when it is above 0.5);
    - ``"variance"``: realised variance (or squared return) and the variance
      forecast, both > 0 (not volatilities);
    - ``"volatility"``: realised and forecast volatilities (standard
      deviations), scored with MSE, MAE and Mincer-Zarnowitz R²; QLIKE is
      refused there (it is a loss for variances).

    A ``seed`` column (several seeds of one model run as separate backtests;
    NaN for deterministic models) can be put in ``by``: each seed is then
    scored and tested on its own, and a reference model without seeds is the
    reference of every seed.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per forecast: ``y_true`` and ``y_pred``, the ``by`` columns,
        and as needed ``model``, ``series``, ``cutoff``, ``step``,
        ``cutoff_pos``, ``task``, ``timestamp``, quantile columns ``q0.05``,
        ``q0.95``... and ``y_insample_naive_scale`` (MASE).
    by : sequence of str or str, default=("model", "series", "step")
        Columns to group by; ``()`` scores everything together.
    metrics : sequence of str, optional
        Names from :data:`METRICS`. None picks mae, rmse and smape, plus mase
        when a scale is available and pinball, coverage and interval_width
        when quantile columns are present. ``coverage`` and
        ``interval_width`` give one column per symmetric quantile pair, named
        by the nominal level (``coverage_0.9`` for q0.05 / q0.95); ``pinball``
        averages over the quantile columns. The trading metrics
        (``total_return``, ``sharpe``, ``max_drawdown``) treat ``y_true`` as
        simple returns, order rows by ``timestamp`` (else ``cutoff``) per
        series and average over the series of a group. With a ``task``
        column, None picks each task's :data:`TASK_METRICS`; ``roc_auc`` of
        a group with one outcome class and ``mz_r2`` of a group with fewer
        than 3 rows or a constant forecast are NaN.
    baseline : str, mapping or None, default="auto"
        Model (a value of ``results["model"]``), or a mapping from task kind
        to model (e.g. ``{"return": "zero", "direction": "base_rate",
        "variance": "garch"}``; tasks not in it are not tested), every other
        model is tested
        against with :func:`tsattn.stats.dm_test` on matched rows (same
        series, cutoff and step), adding ``dm_stat`` and ``dm_pvalue``
        (two-sided, uncorrected; positive statistic: the model is worse than
        the baseline), ``dm_h`` (the test's lag) and ``dm_pvalue_holm``
        (Holm's correction over the models tested within the same values of
        the other ``by`` columns, e.g. within a task and a seed). The loss
        differentials are averaged per
        cutoff; ``h`` comes from :func:`tsattn.stats.dm_horizon`: the
        largest step of the group over the spacing of the ``cutoff_pos``
        column, or the largest step when that column is absent. ``"auto"``:
        ``"naive"`` for a frame without a ``task`` column; with one, each
        task's reference from :data:`TASK_BASELINES` (zero return, base rate,
        GARCH, naive), where a reference absent from the results leaves its
        task untested (NaN) instead of raising. None skips the test.
    scale : float, mapping or Series, optional
        MASE denominator: one value, or one per series (keyed by the
        ``series`` value). Default: the ``y_insample_naive_scale`` column.
    dm_loss : {"squared", "absolute", "qlike"}, mapping or None, default=None
        Loss of the Diebold-Mariano test: one for every row, or a mapping from
        task kind to loss. None: ``"squared"`` for a frame without a ``task``
        column; with one, :data:`TASK_DM_LOSS` per task: squared error for
        returns, squared error of P(up) (the Brier score's terms) for
        direction, **QLIKE for variance** (Patton 2011: the loss that ranks
        variance forecasts correctly with a noisy realised proxy such as
        squared returns; its differential :func:`qlike_differential` allows a
        realised variance of 0), squared error for volatility, absolute error
        for prices. QLIKE on a task other than variance raises.
    direction_reference : str, optional
        Column with the last observed level, for direction metrics on level
        forecasts; None treats values as changes or returns.
    cost_per_trade, periods_per_year : float, int
        Passed to :func:`strategy_returns`.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n`` (rows scored) and one
        column per metric (plus ``dm_stat``, ``dm_pvalue``, ``dm_h`` and
        ``dm_pvalue_holm``).

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.metrics import evaluate
    >>> results = pd.DataFrame({
    ...     "model": ["naive"] * 3 + ["arima"] * 3, "series": "s",
    ...     "cutoff": [0, 1, 2] * 2, "step": 1,
    ...     "y_true": [1.0, 2.0, 3.0] * 2, "y_pred": [0.0, 1.0, 2.0, 1.5, 2.5, 2.0]})
    >>> evaluate(results, metrics=["mae", "rmse"])[["model", "mae", "rmse"]]
       model       mae      rmse
    0  arima  0.666667  0.707107
    1  naive  1.000000  1.000000
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame; got {type(results)}.")
    if results.empty:
        raise ValueError("results is empty; there is nothing to evaluate.")
    by = [by] if isinstance(by, str) else list(by)
    if "task" in results.columns:
        unknown = sorted(set(results["task"]) - set(TASK_METRICS), key=str)
        if unknown:
            raise _unknown(unknown[0], list(TASK_METRICS), "task kind")
        by = by if "task" in by else ["task", *by]
    _require(results, ["y_true", "y_pred", *by], "evaluate")
    losses = _dm_losses(results, dm_loss)
    _check_qlike_use(results, metrics)
    if direction_reference is not None:
        _require(results, [direction_reference], "direction_reference")
    results = results.reset_index(drop=True)
    # Metadata such as a backtest's attrs["failures"] (a DataFrame) would make
    # pandas compare attrs with == inside merge and fail; scores do not use it.
    results.attrs = {}
    quantiles = _quantile_columns(results)
    scale_values = _scale_values(results, scale)
    names = _metric_names(metrics, bool(quantiles), scale_values is not None)
    per_task = metrics is None and "task" in results.columns
    if "mase" in names and scale_values is None:
        raise ValueError(
            f"mase needs the in-sample naive scale: a {SCALE_COLUMN!r} column or "
            "scale=... (see tsattn.metrics.naive_scale)."
        )
    if {"pinball", "coverage", "interval_width"} & set(names) and not quantiles:
        raise ValueError(
            "pinball, coverage and interval_width need quantile columns named like "
            f"'q0.05'; results has {list(results.columns)}."
        )
    if {"coverage", "interval_width"} & set(names) and not _interval_pairs(
        list(quantiles)
    ):
        raise ValueError(
            "coverage and interval_width need a symmetric pair of quantile columns "
            f"(like q0.05 and q0.95); found {list(quantiles.values())}."
        )
    options = {
        "direction_reference": direction_reference,
        "cost_per_trade": cost_per_trade,
        "periods_per_year": periods_per_year,
    }
    groups = results.groupby(by, sort=True, dropna=False) if by else [((), results)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(by, key))
        row["n"] = len(g)
        group_names = names
        if per_task and row["task"] != "price":
            group_names = list(TASK_METRICS[row["task"]])
        row.update(_group_metrics(g, group_names, quantiles, scale_values, options))
        rows.append(row)
    table = pd.DataFrame(rows)
    baseline = _resolve_baseline(results, baseline)
    if baseline is not None:
        _add_dm(table, results, by, baseline, losses)
    return table


_DM_LOSS_NAMES = ("squared", "absolute", "qlike")


def _dm_losses(
    results: pd.DataFrame, dm_loss: str | Mapping[str, str] | None
) -> str | dict[str, str]:
    """Return the test's loss: one name, or one per task kind."""
    has_task = "task" in results.columns
    if dm_loss is None:
        return dict(TASK_DM_LOSS) if has_task else "squared"
    asked = dict(dm_loss) if isinstance(dm_loss, Mapping) else {None: dm_loss}
    for name in asked.values():
        if name not in _DM_LOSS_NAMES:
            raise _unknown(name, _DM_LOSS_NAMES, "dm_loss")
    if isinstance(dm_loss, Mapping):
        _require(results, ["task"], "a dm_loss per task")
        losses: str | dict[str, str] = {**TASK_DM_LOSS, **asked}
        qlike_tasks = {t for t, name in asked.items() if name == "qlike"}
    else:
        losses = dm_loss
        qlike_tasks = set(results["task"]) if has_task and dm_loss == "qlike" else set()
    wrong = sorted(qlike_tasks - {"variance"}, key=str)
    if wrong:
        raise ValueError(
            f"dm_loss='qlike' scores variance forecasts only; it was asked for "
            f"task(s) {wrong}. Pass dm_loss=None (QLIKE for variance, squared or "
            "absolute error elsewhere) or a mapping per task."
        )
    return losses


def _check_qlike_use(
    results: pd.DataFrame, metrics: Sequence[str] | str | None
) -> None:
    if "task" not in results.columns or metrics is None:
        return
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if "qlike" in names and (results["task"] == "volatility").any():
        raise ValueError(_VOLATILITY_QLIKE)


def _resolve_baseline(
    results: pd.DataFrame, baseline: str | Mapping[str, str] | None
) -> str | dict[str, str] | None:
    """``"auto"``: naive, or each task's reference where it is in the results."""
    if not (isinstance(baseline, str) and baseline == "auto"):
        return baseline
    if "task" not in results.columns:
        return "naive"
    present = set(results["model"]) if "model" in results.columns else set()
    tasks = set(results["task"])
    chosen = {t: m for t, m in TASK_BASELINES.items() if t in tasks and m in present}
    return chosen or None


def _matching(column: pd.Series, value: Any) -> pd.Series:
    """``column == value``, where NaN matches NaN (a model without seeds)."""
    if pd.isna(value):
        return column.isna()
    return column == value


def _add_dm(
    table: pd.DataFrame,
    results: pd.DataFrame,
    by: list[str],
    baseline: str | Mapping[str, str],
    loss: str | Mapping[str, str],
) -> None:
    _require(results, ["model", "cutoff", "step"], "the Diebold-Mariano test")
    if "model" not in by:
        raise ValueError(
            "The test against the baseline compares models: include 'model' in by, "
            "or pass baseline=None."
        )
    models = list(pd.unique(results["model"]))
    per_task = isinstance(baseline, Mapping)
    if per_task:
        _require(results, ["task"], "a baseline per task")
    for name in baseline.values() if per_task else [baseline]:  # type: ignore[union-attr]
        if name not in models:
            raise _unknown(name, models, "baseline model")
    others = [c for c in by if c != "model"]
    columns = ("series", "cutoff", "step", "cutoff_pos", "y_true", "y_pred")
    keep = [c for c in columns if c in results]
    stats, pvalues, lags = [], [], []
    for _, row in table.iterrows():
        base = baseline.get(row["task"]) if per_task else baseline  # type: ignore[union-attr]
        if base is None or row["model"] == base:
            stats.append(math.nan)
            pvalues.append(math.nan)
            lags.append(0)
            continue
        row_loss = loss if isinstance(loss, str) else loss[row["task"]]
        mask = results["model"] == row["model"]
        base_mask = results["model"] == base
        for col in others:
            mask &= _matching(results[col], row[col])
            # A reference without values in this column (a deterministic
            # baseline has no seed) is the reference of every value.
            if results.loc[base_mask, col].notna().any():
                base_mask &= _matching(results[col], row[col])
        stat, pvalue, h = _dm_group(
            results.loc[mask, keep], results.loc[base_mask, keep], row_loss
        )
        stats.append(stat)
        pvalues.append(pvalue)
        lags.append(h)
    table["dm_stat"] = stats
    table["dm_pvalue"] = pvalues
    table["dm_h"] = lags
    # The models tested against the baseline within one group of the other
    # ``by`` columns form one family: Holm's correction over it.
    adjusted = pd.Series(np.nan, index=table.index)
    families = table.groupby(others, sort=False, dropna=False) if others else None
    for _, family in families if families is not None else [((), table)]:
        adjusted.loc[family.index] = holm(family["dm_pvalue"].to_numpy())
    table["dm_pvalue_holm"] = adjusted.to_numpy()
