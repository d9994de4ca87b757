"""Point, interval, direction and volatility metrics, and the Diebold-Mariano test."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tsattn.stats import diebold_mariano, dm_horizon, dm_test, holm

__all__ = [
    "METRICS",
    "SCALE_COLUMN",
    "coverage",
    "diebold_mariano",
    "directional_accuracy",
    "evaluate",
    "interval_width",
    "mae",
    "mape",
    "mase",
    "mse",
    "naive_scale",
    "pinball_loss",
    "qlike",
    "rmse",
    "sign_mcc",
    "smape",
    "strategy_returns",
]

ArrayLike = npt.ArrayLike

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
)

_QUANTILE_COLUMN = re.compile(r"^q(\d*\.?\d+(?:[eE][-+]?\d+)?)$")


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------


def _vector(x: ArrayLike, name: str) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric; got {type(x).__name__}.") from exc
    if arr.size == 0:
        raise ValueError(f"{name} is empty; metrics need at least one value.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} NaN or infinite value(s) (first at "
            f"position {int(np.flatnonzero(bad)[0])}); drop those rows first."
        )
    return arr


def _vectors(**arrays: ArrayLike) -> list[npt.NDArray[np.float64]]:
    out = [_vector(value, name) for name, value in arrays.items()]
    sizes = {name: arr.size for name, arr in zip(arrays, out)}
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"len({k}) = {v}" for k, v in sizes.items())
        raise ValueError(f"Inputs must have the same length; got {detail}.")
    return out


# ----------------------------------------------------------------------------
# Point metrics
# ----------------------------------------------------------------------------


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``mean(|y_true - y_pred|)``.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    return float(np.mean(np.abs(a - b)))


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``mean((y_true - y_pred) ** 2)``.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    return float(np.mean((a - b) ** 2))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``sqrt(mse(y_true, y_pred))``.
    """
    return math.sqrt(mse(y_true, y_pred))


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error, in percent.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length; ``y_true`` must not
        contain zeros.

    Returns
    -------
    float
        ``100 * mean(|y_true - y_pred| / |y_true|)``.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    zeros = np.flatnonzero(a == 0)
    if zeros.size:
        raise ValueError(
            f"y_true is 0 at {zeros.size} position(s) (first: {int(zeros[0])}); "
            "MAPE is undefined there. Use smape or mase instead."
        )
    return float(100.0 * np.mean(np.abs(a - b) / np.abs(a)))


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error (M4 definition), in percent.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.

    Returns
    -------
    float
        ``200 * mean(|y_true - y_pred| / (|y_true| + |y_pred|))``, in
        [0, 200]; terms where both values are 0 count as 0.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    denom = np.abs(a) + np.abs(b)
    terms = np.divide(np.abs(a - b), denom, out=np.zeros_like(a), where=denom > 0)
    return float(200.0 * np.mean(terms))


def naive_scale(y_insample: ArrayLike, season_length: int = 1) -> float:
    """In-sample MAE of the (seasonal) naive forecast: the MASE denominator.

    Parameters
    ----------
    y_insample : array-like
        The training series.
    season_length : int, default=1
        Lag of the naive forecast (1: random walk).

    Returns
    -------
    float
        ``mean(|y[t] - y[t - season_length]|)``.
    """
    y = _vector(y_insample, "y_insample")
    if season_length < 1:
        raise ValueError(f"season_length must be >= 1; got {season_length}.")
    if y.size <= season_length:
        raise ValueError(
            f"naive_scale needs more than season_length (= {season_length}) "
            f"values; got {y.size}."
        )
    return float(np.mean(np.abs(y[season_length:] - y[:-season_length])))


def mase(y_true: ArrayLike, y_pred: ArrayLike, scale: ArrayLike) -> float:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast values of the same length.
    scale : float or array-like
        In-sample naive MAE (see :func:`naive_scale`), one value or one per
        element; must be positive.

    Returns
    -------
    float
        ``mean(|y_true - y_pred| / scale)``.
    """
    a, b = _vectors(y_true=y_true, y_pred=y_pred)
    s = _vector(scale, "scale")
    if s.size not in (1, a.size):
        raise ValueError(
            f"scale must be one value or one per element ({a.size}); got {s.size}."
        )
    if (s <= 0).any():
        raise ValueError(
            "scale must be positive; the in-sample naive MAE is 0 for a constant "
            "training series, where MASE is undefined."
        )
    return float(np.mean(np.abs(a - b) / s))


# ----------------------------------------------------------------------------
# Interval and quantile metrics
# ----------------------------------------------------------------------------


def pinball_loss(y_true: ArrayLike, q_pred: ArrayLike, q: float) -> float:
    """Pinball (quantile) loss of a forecast of the ``q`` quantile.

    Parameters
    ----------
    y_true, q_pred : array-like
        Realised values and forecast quantiles of the same length.
    q : float
        Quantile level in (0, 1).

    Returns
    -------
    float
        ``mean(max(q * (y - f), (q - 1) * (y - f)))``; at ``q = 0.5`` it is
        half the MAE.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1); got {q}.")
    a, b = _vectors(y_true=y_true, q_pred=q_pred)
    diff = a - b
    return float(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))


def _interval(lower: ArrayLike, upper: ArrayLike, **extra: ArrayLike) -> list[Any]:
    arrays = _vectors(**extra, lower=lower, upper=upper)
    lo, hi = arrays[-2], arrays[-1]
    crossed = np.flatnonzero(hi < lo)
    if crossed.size:
        raise ValueError(
            f"upper < lower at {crossed.size} position(s) (first: {int(crossed[0])}); "
            "pass the bounds in the right order."
        )
    return arrays


def coverage(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of realised values inside their prediction interval.

    Parameters
    ----------
    y_true, lower, upper : array-like
        Realised values and interval bounds (inclusive), same length.

    Returns
    -------
    float
        Empirical coverage in [0, 1], to compare with the nominal level.
    """
    y, lo, hi = _interval(lower, upper, y_true=y_true)
    return float(np.mean((lo <= y) & (y <= hi)))


def interval_width(lower: ArrayLike, upper: ArrayLike) -> float:
    """Mean width of prediction intervals.

    Parameters
    ----------
    lower, upper : array-like
        Interval bounds, same length.

    Returns
    -------
    float
        ``mean(upper - lower)``.
    """
    lo, hi = _interval(lower, upper)
    return float(np.mean(hi - lo))


def qlike(realized_var: ArrayLike, forecast_var: ArrayLike) -> float:
    """QLIKE loss of variance forecasts (Patton, 2011).

    Parameters
    ----------
    realized_var, forecast_var : array-like
        Positive realised variances (or squared returns) and forecasts.

    Returns
    -------
    float
        ``mean(r / f - log(r / f) - 1)``: 0 for perfect forecasts, robust to
        noise in the realised proxy, and heavier on under-prediction.
    """
    r, f = _vectors(realized_var=realized_var, forecast_var=forecast_var)
    if (r <= 0).any() or (f <= 0).any():
        raise ValueError(
            "qlike needs strictly positive variances; got "
            f"min(realized_var) = {r.min():g}, min(forecast_var) = {f.min():g}."
        )
    ratio = r / f
    return float(np.mean(ratio - np.log(ratio) - 1.0))


# ----------------------------------------------------------------------------
# Direction and trading metrics
# ----------------------------------------------------------------------------


def _ups(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    if reference is None:
        a, b = _vectors(y_true=y_true, y_pred=y_pred)
    else:
        a, b, ref = _vectors(y_true=y_true, y_pred=y_pred, reference=reference)
        a, b = a - ref, b - ref
    return a > 0, b > 0


def directional_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None = None
) -> float:
    """Share of forecasts that get the direction (up / not up) right.

    Parameters
    ----------
    y_true, y_pred : array-like
        Realised and forecast changes (e.g. returns), or levels when
        ``reference`` is given.
    reference : array-like, optional
        Last observed level at forecast time; directions are then
        ``y - reference``.

    Returns
    -------
    float
        Share in [0, 1] where both are up (> 0) or both are not up (<= 0).
    """
    up_true, up_pred = _ups(y_true, y_pred, reference)
    return float(np.mean(up_true == up_pred))


def sign_mcc(
    y_true: ArrayLike, y_pred: ArrayLike, reference: ArrayLike | None = None
) -> float:
    """Matthews correlation coefficient of the up / not-up direction.

    Parameters
    ----------
    y_true, y_pred : array-like
        As in :func:`directional_accuracy`.
    reference : array-like, optional
        As in :func:`directional_accuracy`.

    Returns
    -------
    float
        MCC in [-1, 1]; 0 when either side has a single class (as sklearn).
    """
    t, p = _ups(y_true, y_pred, reference)
    tp, tn = float(np.sum(t & p)), float(np.sum(~t & ~p))
    fp, fn = float(np.sum(~t & p)), float(np.sum(t & ~p))
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return 0.0 if denom == 0 else (tp * tn - fp * fn) / denom


def strategy_returns(
    y_true_returns: ArrayLike,
    y_pred: ArrayLike,
    *,
    cost_per_trade: float = 0.0,
    periods_per_year: int = 252,
    long_only: bool = False,
) -> dict[str, float]:
    """Measure a simple sign strategy driven by the forecasts.

    At each period the position is ``sign(y_pred)`` (long when the forecast is
    up, short when down, flat at 0; ``long_only`` holds 1 or 0) and earns
    ``position * y_true_returns`` minus ``cost_per_trade`` times the change
    in position (a long-to-short reversal costs twice; entering from flat at
    the start costs once).

    Parameters
    ----------
    y_true_returns : array-like
        Realised simple returns of each period, in time order.
    y_pred : array-like
        Forecasts whose sign sets the position (returns, or changes).
    cost_per_trade : float, default=0.0
        Cost per unit of position change, as a fraction (0.001 = 10 bp).
    periods_per_year : int, default=252
        Annualisation factor of the Sharpe ratio.
    long_only : bool, default=False
        Hold no short positions.

    Returns
    -------
    dict
        ``total_return`` (compounded, ``prod(1 + r) - 1``), ``sharpe``
        (``mean(r) / std(r, ddof=1) * sqrt(periods_per_year)``, zero risk-free
        rate; NaN with fewer than two periods or no variation) and
        ``max_drawdown`` (largest fall from a running peak of the equity curve
        that starts at 1, as a positive fraction).
    """
    if cost_per_trade < 0:
        raise ValueError(f"cost_per_trade must be >= 0; got {cost_per_trade}.")
    if periods_per_year <= 0:
        raise ValueError(f"periods_per_year must be > 0; got {periods_per_year}.")
    r, f = _vectors(y_true_returns=y_true_returns, y_pred=y_pred)
    position = (f > 0).astype(np.float64) if long_only else np.sign(f)
    turnover = np.abs(np.diff(position, prepend=0.0))
    strat = position * r - cost_per_trade * turnover
    equity = np.cumprod(1.0 + strat)
    curve = np.concatenate([[1.0], equity])
    drawdown = 1.0 - curve / np.maximum.accumulate(curve)
    sd = strat.std(ddof=1) if strat.size > 1 else 0.0
    sharpe = strat.mean() / sd * math.sqrt(periods_per_year) if sd > 0 else math.nan
    return {
        "total_return": float(equity[-1] - 1.0),
        "sharpe": float(sharpe),
        "max_drawdown": float(drawdown.max()),
    }


# ----------------------------------------------------------------------------
# Losses shared with the Diebold-Mariano test of a results frame
# ----------------------------------------------------------------------------


_LOSSES: dict[str, Callable[[Any], Any]] = {
    "squared": np.square,
    "absolute": np.abs,
}


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
    simple = {"mae": mae, "rmse": rmse, "mse": mse, "mape": mape, "smape": smape}
    strategy: dict[str, float] | None = None
    for name in names:
        if name in simple:
            out[name] = simple[name](y, f)
        elif name == "mase":
            out[name] = mase(y, f, scale[g.index.to_numpy()])  # type: ignore[index]
        elif name == "pinball":
            losses = [pinball_loss(y, g[c], q) for q, c in quantiles.items()]
            out[name] = float(np.mean(losses))
        elif name in ("coverage", "interval_width"):
            for lo, hi in _interval_pairs(list(quantiles)):
                label = f"{name}_{hi - lo:g}"
                lower, upper = g[quantiles[lo]], g[quantiles[hi]]
                out[label] = (
                    coverage(y, lower, upper)
                    if name == "coverage"
                    else interval_width(lower, upper)
                )
        elif name == "qlike":
            out[name] = qlike(y, f)
        elif name == "directional_accuracy":
            out[name] = directional_accuracy(y, f, ref)
        elif name == "sign_mcc":
            out[name] = sign_mcc(y, f, ref)
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
            strategy_returns(
                part["y_true"],
                part["y_pred"],
                cost_per_trade=options["cost_per_trade"],
                periods_per_year=options["periods_per_year"],
            )
        )
    return {k: float(np.mean([s[k] for s in per_series])) for k in per_series[0]}


def _dm_group(
    g: pd.DataFrame, base: pd.DataFrame, loss: str
) -> tuple[float, float, int]:
    keys = [c for c in ("series", "cutoff", "step") if c in g.columns]
    both = g.merge(base, on=keys, suffixes=("", "_base"))
    if both.empty:
        return math.nan, math.nan, 0
    lossf = _LOSSES[loss]
    d = lossf(both["y_true"] - both["y_pred"]) - lossf(
        both["y_true_base"] - both["y_pred_base"]
    )
    # One differential per forecast origin: average over series and steps.
    d = d.groupby(both["cutoff"]).mean().sort_index().to_numpy(dtype=np.float64)
    positions = both["cutoff_pos"] if "cutoff_pos" in both.columns else None
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
    baseline: str | None = "naive",
    scale: float | Mapping[Any, float] | pd.Series | None = None,
    dm_loss: str = "squared",
    direction_reference: str | None = None,
    cost_per_trade: float = 0.0,
    periods_per_year: int = 252,
) -> pd.DataFrame:
    """Score a tidy backtest results frame, group by group.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per forecast: ``y_true`` and ``y_pred``, the ``by`` columns,
        and as needed ``model``, ``series``, ``cutoff``, ``step``,
        ``timestamp``, quantile columns ``q0.05``, ``q0.95``... and
        ``y_insample_naive_scale`` (MASE).
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
        series and average over the series of a group.
    baseline : str or None, default="naive"
        Model (a value of ``results["model"]``) every other model is tested
        against with :func:`tsattn.stats.dm_test` on matched rows (same
        series, cutoff and step), adding ``dm_stat`` and ``dm_pvalue``
        (two-sided, uncorrected; positive statistic: the model is worse than
        the baseline), ``dm_h`` (the test's lag) and ``dm_pvalue_holm``
        (Holm's correction over the models tested within the same values of
        the other ``by`` columns). The loss differentials are averaged per
        cutoff; ``h`` comes from :func:`tsattn.stats.dm_horizon`: the
        largest step of the group over the spacing of the ``cutoff_pos``
        column, or the largest step when that column is absent. None skips
        the test.
    scale : float, mapping or Series, optional
        MASE denominator: one value, or one per series (keyed by the
        ``series`` value). Default: the ``y_insample_naive_scale`` column.
    dm_loss : {"squared", "absolute"}, default="squared"
        Loss of the Diebold-Mariano test.
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
    _require(results, ["y_true", "y_pred", *by], "evaluate")
    if dm_loss not in _LOSSES:
        raise _unknown(dm_loss, list(_LOSSES), "dm_loss")
    if direction_reference is not None:
        _require(results, [direction_reference], "direction_reference")
    results = results.reset_index(drop=True)
    quantiles = _quantile_columns(results)
    scale_values = _scale_values(results, scale)
    names = _metric_names(metrics, bool(quantiles), scale_values is not None)
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
        row.update(_group_metrics(g, names, quantiles, scale_values, options))
        rows.append(row)
    table = pd.DataFrame(rows)
    if baseline is not None:
        _add_dm(table, results, by, baseline, dm_loss)
    return table


def _add_dm(
    table: pd.DataFrame,
    results: pd.DataFrame,
    by: list[str],
    baseline: str,
    loss: str,
) -> None:
    _require(results, ["model", "cutoff", "step"], "the Diebold-Mariano test")
    if "model" not in by:
        raise ValueError(
            "The test against the baseline compares models: include 'model' in by, "
            "or pass baseline=None."
        )
    models = list(pd.unique(results["model"]))
    if baseline not in models:
        raise _unknown(baseline, models, "baseline model")
    others = [c for c in by if c != "model"]
    base_rows = results[results["model"] == baseline]
    columns = ("series", "cutoff", "step", "cutoff_pos", "y_true", "y_pred")
    keep = [c for c in columns if c in results]
    stats, pvalues, lags = [], [], []
    for _, row in table.iterrows():
        if row["model"] == baseline:
            stats.append(math.nan)
            pvalues.append(math.nan)
            lags.append(0)
            continue
        mask = results["model"] == row["model"]
        base_mask = np.ones(len(base_rows), dtype=bool)
        for col in others:
            mask &= results[col] == row[col]
            base_mask &= (base_rows[col] == row[col]).to_numpy()
        stat, pvalue, h = _dm_group(
            results.loc[mask, keep], base_rows.loc[base_mask, keep], loss
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
