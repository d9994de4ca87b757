"""The multi-task comparison of the command line: returns, direction, variance.

From an OHLCV price frame: targets over the next ``horizon`` rows (one column
per task, :func:`tsattn.make_targets`), the field's baselines of each task, and
attention variants fitted once on all tasks (multi-head vs self-attention, one
shared output layer vs a head per task, at equal width and at an equal
parameter budget), each over several seeds, all backtested on the same
rolling-origin folds by :func:`tsattn.backtesting.backtest_tasks`.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsattn.cli.columns import split_list

#: Task names of ``--tasks`` -> make_targets kind of its target.
TASKS: dict[str, str] = {
    "return": "cum_log_return",
    "direction": "direction",
    "volatility": "realized_var",
}
_ALIASES = {"returns": "return", "up": "direction", "variance": "volatility"}
#: Losses each task may be trained with; the first is the default.
TASK_LOSSES: dict[str, tuple[str, ...]] = {
    "return": ("mse", "mae", "huber"),
    "direction": ("bce",),
    "volatility": ("qlike",),
}
_UNITS = {
    "return": "the log return over the next {h} rows, log(P[t+{h}] / P[t])",
    "direction": "1 if the close {h} rows ahead is above today's, else 0; "
    "forecasts are probabilities of up",
    "volatility": "the realized variance of the next {h} rows: the sum of their "
    "{est} variances of daily log returns (a variance, not a standard "
    "deviation; log-return units squared)",
}

#: Baselines of each task: name -> (task, description).
TASK_BASELINES: dict[str, tuple[str, str]] = {
    "zero": ("return", "zero return (the random walk), the reference"),
    "mean": ("return", "historical mean return"),
    "ar": ("return", "AR of daily log returns, order by AIC (statsmodels AutoReg)"),
    "base_rate": ("direction", "training base rate of up, the reference"),
    "logistic": ("direction", "logistic regression on lagged returns (sklearn)"),
    "garch": ("volatility", "GARCH(1,1) on arch, the reference"),
    "har": ("volatility", "Corsi's HAR on daily, weekly, monthly variance"),
    "ewma": ("volatility", "RiskMetrics EWMA, decay 0.94"),
}
#: Attention variants, each fitted once on every task: name -> description.
ATTENTION_VARIANTS: dict[str, str] = {
    "mha": "multi-head attention, one shared output layer for all tasks",
    "mha_multi": "multi-head attention, an output head (MLP) per task",
    "sa": "self-attention (one head), one shared output layer",
    "sa_multi": "self-attention (one head), an output head per task",
    "mha_wide": "multi-head attention, one shared output layer, widened to the "
    "parameter count of mha_multi (equal parameter budget)",
}
_ESTIMATORS = ("close", "parkinson", "garman_klass")


def parse_tasks(text: str) -> list[str]:
    """Return the task names of ``--tasks`` (e.g. ``return,direction,volatility``)."""
    names = [_ALIASES.get(n.lower(), n.lower()) for n in split_list(text)]
    if not names:
        raise ValueError(f"--tasks is empty; choose from {', '.join(TASKS)}.")
    for name in names:
        if name not in TASKS:
            close = difflib.get_close_matches(name, [*TASKS, *_ALIASES], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown task {name!r} in --tasks; choose from "
                f"{', '.join(TASKS)}.{hint}"
            )
    return list(dict.fromkeys(names))


def parse_losses(text: str | None, tasks: Sequence[str]) -> dict[str, str]:
    """Return the loss of each task from ``--loss task=loss,...`` (defaults else)."""
    losses = {t: TASK_LOSSES[t][0] for t in tasks}
    for item in split_list(text):
        task, sep, loss = (p.strip().lower() for p in item.partition("="))
        task = _ALIASES.get(task, task)
        if not sep or task not in TASKS:
            raise ValueError(
                f"--loss {item!r} must read TASK=LOSS with TASK one of "
                f"{', '.join(TASKS)}, e.g. return=huber."
            )
        if task not in losses:
            raise ValueError(f"--loss names task {task!r}, which --tasks lacks.")
        if loss not in TASK_LOSSES[task]:
            if task == "volatility":
                raise ValueError(
                    f"--loss volatility={loss}: the volatility target is a realized "
                    "variance, and a variance needs a variance loss (qlike); "
                    f"{loss!r} is not one."
                )
            raise ValueError(
                f"--loss {task}={loss}: the {task} task takes "
                f"{' or '.join(TASK_LOSSES[task])}."
            )
        losses[task] = loss
    return losses


def _has_range(prices: pd.DataFrame) -> bool:
    cols = {str(c).lower() for c in prices.columns}
    return {"high", "low"} <= cols


def variance_estimator(prices: pd.DataFrame, asked: str) -> str:
    """Return the per-row variance estimator: ``auto`` takes Parkinson when possible.

    Parameters
    ----------
    prices : pandas.DataFrame
        The price frame.
    asked : {"auto", "close", "parkinson", "garman_klass"}
        ``--variance``.

    Returns
    -------
    str
        ``"close"``, ``"parkinson"`` or ``"garman_klass"``.
    """
    if asked == "auto":
        return "parkinson" if _has_range(prices) else "close"
    if asked not in _ESTIMATORS:
        raise ValueError(
            f"--variance {asked!r} is not one of auto, {', '.join(_ESTIMATORS)}."
        )
    need = {"parkinson": ("High", "Low"), "garman_klass": ("Open", "High", "Low")}
    cols = {str(c).lower() for c in prices.columns}
    missing = [c for c in need.get(asked, ()) if c.lower() not in cols]
    if missing:
        raise ValueError(
            f"--variance {asked} is a range-based variance and needs the "
            f"{', '.join(missing)} column(s); DATA has "
            f"{[str(c) for c in prices.columns]}. Use --variance close."
        )
    return asked


def task_targets(
    prices: pd.DataFrame, tasks: Sequence[str], horizon: int, estimator: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Return the targets (one column per task) and the column of each task.

    Parameters
    ----------
    prices : pandas.DataFrame
        Prices with a Close column (High/Low/Open for a range estimator).
    tasks : sequence of str
        Names of :data:`TASKS`.
    horizon : int
        Rows every target looks ahead.
    estimator : str
        Per-row variance of the volatility target.

    Returns
    -------
    y : pandas.DataFrame
        Targets indexed like ``prices``, NaN in the last ``horizon`` rows,
        with :func:`tsattn.make_targets`' metadata in ``attrs``.
    columns : dict
        Task -> its column of ``y``.
    """
    from tsattn.targets import make_targets

    kinds = [TASKS[t] for t in tasks]
    window = horizon if "realized_var" in kinds else None
    full = make_targets(
        prices,
        kind=kinds,
        horizon=horizon,
        vol_window=window,
        variance_estimator=estimator if window else "close",
    )
    prefix = {"return": "cum_log_return_h", "direction": "up_h"}
    columns = {
        t: f"{prefix[t]}{horizon}" if t in prefix else f"realized_var_k{horizon}"
        for t in tasks
    }
    y = full[list(columns.values())].copy()
    y.attrs = dict(full.attrs)
    return y, columns


def describe_targets(tasks: Sequence[str], horizon: int, estimator: str) -> str:
    """Return one sentence per target: what it is and its unit."""
    words = {"close": "squared close-to-close", "parkinson": "Parkinson (High/Low)"}
    est = words.get(estimator, "Garman-Klass (Open/High/Low/Close)")
    return " ".join(
        f"{t.capitalize()}: {_UNITS[t].format(h=horizon, est=est)}." for t in tasks
    )


def make_baseline(name: str, estimator: str) -> Any:
    """Return a fresh task baseline of :data:`TASK_BASELINES`."""
    from tsattn import baselines

    if name == "har":
        return baselines.HARForecaster(variance_estimator=estimator)
    if name == "ewma":
        return baselines.EWMAVarianceForecaster()
    if name == "ar":
        return baselines.ARReturnForecaster()
    return {
        "zero": baselines.ZeroReturnForecaster,
        "mean": baselines.MeanReturnForecaster,
        "base_rate": baselines.BaseRateForecaster,
        "logistic": baselines.LogisticDirectionForecaster,
        "garch": baselines.GARCHForecaster,
    }[name]()


def make_attention(
    variant: str,
    params: dict[str, Any],
    losses: dict[str, str],
    seed: int,
    d_model: int | None = None,
    d_ff: int | None = None,
) -> Any:
    """Return ``PriceFeatures -> MultiTaskForecaster`` for an attention variant.

    Parameters
    ----------
    variant : str
        A name of :data:`ATTENTION_VARIANTS`.
    params : dict
        MultiTaskForecaster parameters shared by every variant (``n_heads``
        is the multi-head count).
    losses : dict
        Target column -> loss.
    seed : int
        ``random_state``.
    d_model, d_ff : int, optional
        Width and feed-forward width overriding ``params`` (the widened model).

    Returns
    -------
    sklearn.pipeline.Pipeline
        The features step and the model.
    """
    from sklearn.pipeline import Pipeline

    from tsattn.estimators import MultiTaskForecaster
    from tsattn.features import PriceFeatures

    p = {**params, "tasks": dict(losses), "random_state": seed}
    p["n_heads"] = 1 if variant.startswith("sa") else params["n_heads"]
    p["output_head"] = "multi" if variant.endswith("_multi") else "single"
    if d_model is not None:
        p["d_model"] = d_model
    if d_ff is not None:
        p["d_ff"] = d_ff
    return Pipeline(
        [("features", PriceFeatures()), ("model", MultiTaskForecaster(**p))]
    )


def _n_params(pipe: Any, X: pd.DataFrame, y: pd.DataFrame) -> int:
    """Return the parameter count of ``pipe``'s network (a one-step fit)."""
    probe = clone(pipe).set_params(
        model__max_epochs=1, model__max_steps_per_epoch=1, model__early_stopping=False
    )
    with contextlib.redirect_stdout(None):
        probe.fit(X, y)
    return int(probe[-1].n_params_)


@dataclass
class Budget:
    """The widened shared-output model and the parameter counts it matches."""

    d_model: int
    d_ff: int
    n_params: int
    target: int
    base: int

    @property
    def gap(self) -> float:
        """Relative difference of the widened model's count from the target."""
        return abs(self.n_params - self.target) / self.target


def equal_budget(
    params: dict[str, Any],
    losses: dict[str, str],
    X: pd.DataFrame,
    y: pd.DataFrame,
    tolerance: float = 0.10,
) -> Budget:
    """Widen the shared-output model to the per-task-head model's parameter count.

    ``d_model`` grows in steps of ``n_heads`` while the count stays at most
    the target (the per-task-head model's at the base width); ``d_ff`` then
    closes the gap (counts are linear in it).

    Parameters
    ----------
    params, losses : dict
        As for :func:`make_attention`.
    X, y : pandas.DataFrame
        Rows to build the networks on (a one-step fit each).
    tolerance : float, default=0.10
        Largest relative gap accepted.

    Returns
    -------
    Budget
        Width, feed-forward width and the counts.
    """
    heads, width = int(params["n_heads"]), int(params["d_model"])
    target = _n_params(make_attention("mha_multi", params, losses, 0), X, y)
    base = _n_params(make_attention("mha", params, losses, 0), X, y)

    def count(d: int, ff: int) -> int:
        return _n_params(make_attention("mha", params, losses, 0, d, ff), X, y)

    d, n = width, base
    while True:
        n_next = count(d + heads, 2 * (d + heads))
        if n_next > target:
            break
        d, n = d + heads, n_next
    ff = 2 * d
    slope = count(d, ff + 8) - n
    if slope > 0 and target > n:
        ff += round((target - n) * 8 / slope)
        n = count(d, ff)
    budget = Budget(d_model=d, d_ff=ff, n_params=n, target=target, base=base)
    if budget.gap > tolerance:
        raise ValueError(
            f"could not match the parameter budget: mha_multi has {target:,} "
            f"parameters, the widest shared-output model tried {n:,} "
            f"(d_model {d}, d_ff {ff}); pass another --d-model."
        )
    return budget


def check_length(
    n_rows: int, horizon: int, n_folds: int, step: int, window_length: int
) -> None:
    """Refuse data too short for the folds, the look-ahead and the networks."""
    need = max(100, 2 * window_length + horizon)
    train = n_rows - horizon - n_folds * step - horizon
    if train < need:
        raise ValueError(
            f"DATA is too short: {n_rows} rows, of which the last {horizon} have "
            f"no complete target and {n_folds} folds x {step} rows are scored, "
            f"leave {max(train, 0)} training rows at the first cutoff; at least "
            f"{need} are needed (100, and 2 x window length + horizon). Pass a "
            "longer file, fewer --folds or a smaller --step."
        )


@dataclass
class TaskRun:
    """Everything a multi-task backtest produced."""

    results: pd.DataFrame
    failures: list[dict[str, Any]]
    budget: Budget | None


def run_tasks(
    prices: pd.DataFrame,
    y: pd.DataFrame,
    columns: dict[str, str],
    *,
    baselines: Sequence[str],
    variants: Sequence[str],
    params: dict[str, Any],
    losses: dict[str, str],
    seeds: Sequence[int],
    estimator: str,
    stage: Callable[[str], Any],
    series: str = "series",
    n_jobs: int | None = 1,
    **options: Any,
) -> TaskRun:
    """Backtest the task baselines once and every attention variant per seed.

    Parameters
    ----------
    prices : pandas.DataFrame
        The OHLCV frame every model reads.
    y, columns : pandas.DataFrame, dict
        From :func:`task_targets`.
    baselines, variants : sequence of str
        Names of :data:`TASK_BASELINES` and :data:`ATTENTION_VARIANTS`.
    params, losses : dict
        MultiTaskForecaster parameters; task -> loss.
    seeds : sequence of int
        Seeds of the attention variants.
    estimator : str
        Per-row variance estimator of HAR.
    stage : callable
        ``stage(label)`` returns a context manager that reports progress.
    series : str, default="series"
        Name of the series in the results.
    n_jobs : int, optional
        Parallel baseline fits.
    **options
        ``n_folds``, ``test_size``, ``refit``, ``window`` of
        :func:`tsattn.backtesting.backtest_tasks`.

    Returns
    -------
    TaskRun
        Results with a ``seed`` column (NaN for the baselines), failures and
        the equal-budget widths.
    """
    from threadpoolctl import threadpool_limits

    from tsattn.backtesting import backtest_tasks

    parts, failures = [], []
    run = {"series": series, **options}
    if baselines:
        models = {
            b: (make_baseline(b, estimator), columns[TASK_BASELINES[b][0]])
            for b in baselines
        }
        with stage(f"baselines {', '.join(baselines)}"), threadpool_limits(1, "blas"):
            part = backtest_tasks(models, prices, y, n_jobs=n_jobs, **run)
        parts.append(part.assign(seed=np.nan))
        failures += part.attrs.get("failures", [])
    by_column = {columns[t]: loss for t, loss in losses.items()}
    budget = None
    if "mha_wide" in variants:
        first = options.get("n_folds", 10) * options.get("test_size", 20)
        train = slice(0, max(len(y) - first - 2 * _lookahead(y), 2))
        with stage("size mha_wide to the parameter count of mha_multi"):
            budget = equal_budget(params, by_column, prices.iloc[train], y.iloc[train])
    for seed in seeds:
        models = {}
        for v in variants:
            wide = budget if v == "mha_wide" else None
            models[v] = make_attention(
                v,
                params,
                by_column,
                seed,
                wide.d_model if wide else None,
                wide.d_ff if wide else None,
            )
        with stage(f"attention {', '.join(variants)}, seed {seed}"):
            part = backtest_tasks(models, prices, y, n_jobs=1, **run)
        parts.append(part.assign(seed=seed))
        failures += part.attrs.get("failures", [])
    results = pd.concat(parts, ignore_index=True)
    results.attrs["failures"] = failures
    return TaskRun(results=results, failures=failures, budget=budget)


def _lookahead(y: pd.DataFrame) -> int:
    from tsattn.backtesting import task_lookahead

    return max(task_lookahead(c, y) for c in y.columns)


def run_notes(
    run: TaskRun,
    *,
    variants: Sequence[str],
    params: dict[str, Any],
    seeds: Sequence[int],
) -> str:
    """Return the report's paragraphs on the attention variants and their sizes."""
    table = run.results.dropna(subset=["n_params"])
    counts = table[table["model"].isin(variants)].groupby("model")["n_params"].first()
    sizes = ", ".join(f"{m} {int(counts[m]):,}" for m in variants if m in counts)
    lines = [
        "Attention variants, each fitted once on all tasks at the first cutoff: "
        + "; ".join(f"{v}: {ATTENTION_VARIANTS[v]}" for v in variants)
        + f". Width d_model {params['d_model']}, {params['n_layers']} layer(s), "
        f"windows of {params['window_length']} rows in patches of "
        f"{params['patch_len']}, at most {params['max_epochs']} epochs with early "
        f"stopping; inputs are PriceFeatures of the OHLCV rows (log return, log "
        "squared return, Parkinson log variance when High/Low exist, log volume "
        f"change when Volume exists). Seeds {', '.join(map(str, seeds))}; the "
        "baselines have no seed and run once.",
        f"Parameters: {sizes}." if sizes else "",
        "A shared output layer is one linear map to every task's output, split "
        "afterwards, which is the same function as separate linear heads; what "
        "'a head per task' adds is a hidden layer (an MLP of width d_model) of "
        "its own for each task: more depth and more parameters per task, not "
        "less sharing of the encoder, which every variant shares.",
    ]
    if run.budget is not None:
        b = run.budget
        lines.append(
            f"Equal parameter budget: mha_wide (d_model {b.d_model}, d_ff {b.d_ff}) "
            f"has {b.n_params:,} parameters against mha_multi's {b.target:,} "
            f"({100 * b.gap:.1f}% apart; mha at d_model {params['d_model']} has "
            f"{b.base:,})."
        )
    return "\n\n".join(line for line in lines if line)


def budget_line(budget: Budget | None) -> str | None:
    """Return the line printed about the equal-budget pair (None without one)."""
    if budget is None:
        return None
    return (
        f"equal parameter budget: mha_multi {budget.target:,} parameters, mha_wide "
        f"{budget.n_params:,} (d_model {budget.d_model}, d_ff {budget.d_ff}; "
        f"{100 * budget.gap:.1f}% apart)"
    )
