"""Backtesting the models, their leaderboard and verdict, and the report."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsattn.cli.console import Progress
from tsattn.cli.files import write_table
from tsattn.cli.models import ATTENTION, MODELS, model_comparisons


def backtest_all(
    names: Sequence[str],
    data: pd.DataFrame,
    *,
    horizon: int,
    make: Callable[[str], Any],
    progress: Progress,
    n_jobs: int = 1,
    **options: Any,
) -> pd.DataFrame:
    """Backtest the models on the same folds: baselines together, then each net.

    ``make(name)`` returns a fresh forecaster; ``options`` go to ``backtest``.
    """
    from threadpoolctl import threadpool_limits

    from tsattn.backtesting import backtest

    baselines = [n for n in names if n not in ATTENTION]
    groups = ([baselines] if baselines else []) + [[n] for n in names if n in ATTENTION]
    parts = []
    for group in groups:
        label = (
            f"{group[0]}: {MODELS[group[0]]}"
            if group[0] in ATTENTION
            else f"baselines {', '.join(group)}"
        )
        net = group[0] in ATTENTION
        # A network is fitted on all series at once: one task per fit, run in
        # this process (with its torch thread setting) rather than a worker,
        # and moved from cutoff to cutoff by update() so that every forecast
        # keeps its quantiles. The baselines' tiny statsmodels fits only lose
        # from BLAS threads (workers cap them; this process must do it too).
        run = {"n_jobs": 1, "advance": "update"} if net else {"n_jobs": n_jobs}
        limits = contextlib.nullcontext() if net else threadpool_limits(1, "blas")
        with progress.stage(f"backtest {label}"), limits:
            models = {n: make(n) for n in group}
            parts.append(backtest(models, data, horizon=horizon, **run, **options))
    results = pd.concat(parts, ignore_index=True)
    results.attrs["failures"] = [f for p in parts for f in p.attrs.get("failures", [])]
    order = {n: i for i, n in enumerate(names)}
    results = results.sort_values(
        "model", key=lambda s: s.map(order), kind="stable"
    ).reset_index(drop=True)
    return add_naive_scale(results, data)


def add_naive_scale(results: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Add the MASE denominator: the naive in-sample MAE up to each row's cutoff."""
    from tsattn.evaluation import SCALE_COLUMN

    scale = np.full(len(results), np.nan)
    for series, rows in results.groupby("series", sort=False).groups.items():
        column = data[series].dropna()
        steps = np.abs(np.diff(column.to_numpy(dtype=np.float64)))
        mean_step = np.concatenate(
            [[np.nan], np.cumsum(steps) / np.arange(1, len(column))]
        )
        pos = column.index.get_indexer(pd.Index(results.loc[rows, "cutoff"]))
        # A cutoff missing from the observed values (NaN there) has no scale:
        # index -1 would silently take the whole series' scale, future included.
        values = np.where(pos >= 0, mean_step[np.maximum(pos, 0)], np.nan)
        scale[results.index.get_indexer(rows)] = values
    out = results.copy()
    out[SCALE_COLUMN] = np.where(scale > 0, scale, np.nan)
    return out


def attention_maps(
    data: pd.DataFrame,
    model: Any,
    name: str = "mha",
    *,
    horizon: int,
    splitter_options: dict[str, Any],
    refit: int,
) -> dict[str, Any]:
    """Attention maps of ``model`` at the last cutoff, fitted as in the backtest.

    The fit uses the rows of the backtest's last fit (same data, same seed);
    the rows up to the last cutoff are then fed by ``update``.
    """
    from tsattn.splitters import BacktestSplitter

    folds = BacktestSplitter(horizon, **splitter_options).folds(len(data))
    period = refit or len(folds)
    first = folds[((len(folds) - 1) // period) * period]
    last = folds[-1]
    model.fit(data.iloc[first.train_start : first.train_end + 1])
    if last.cutoff > first.train_end:
        model.update(data.iloc[first.train_end + 1 : last.cutoff + 1])
    maps = model.attention_weights(channel=0)
    return {
        "model": name,
        "weights": maps["weights"],
        "timestamps": maps["timestamps"],
        "series": str(data.columns[0]),
        "cutoff": data.index[last.cutoff],
    }


def _leaderboard(results: pd.DataFrame) -> pd.DataFrame:
    """One row per model: MAE, RMSE, MASE, interval coverage, DM test vs naive."""
    from tsattn.evaluation import SCALE_COLUMN, evaluate

    metrics = ["mae", "rmse"]
    if SCALE_COLUMN in results.columns and results[SCALE_COLUMN].notna().all():
        metrics.append("mase")
    bounds = ["q0.05", "q0.95"]
    if set(bounds) <= set(results.columns) and results[bounds].notna().all().all():
        metrics.append("coverage")
    has_naive = "naive" in set(results["model"])
    board = evaluate(
        results[results["y_pred"].notna()],
        by="model",
        metrics=metrics,
        baseline="naive" if has_naive else None,
        dm_loss="absolute",
    )
    key = "mase" if "mase" in metrics else "mae"
    return board.sort_values(key, kind="stable").set_index("model")


def verdict_line(board: pd.DataFrame) -> str:
    """Say in words what :func:`tsattn.stats.verdict` decided against naive."""
    from tsattn.verdicts import verdict

    key = "mase" if "mase" in board.columns else "mae"
    name = key.upper()
    v = verdict(board, "naive" if "naive" in board.index else None, score=key)
    if v.kind == "none":
        best = v.model if v.model is not None else str(board.index[0])
        return f"Most accurate by {name}: {best} (no naive baseline to compare)."
    if v.kind == "loses":
        return f"The random walk (naive) wins: no model has a lower {name}."
    gain = 1.0 - v.ratio
    holm = (
        f"; {v.n_tested} models were tested against naive, Holm-corrected "
        f"p = {v.pvalue_holm:.3g}"
        if v.n_tested > 1
        else ""
    )
    if v.kind == "wins":
        return (
            f"{v.model} beats naive: {name} {gain:.1%} lower, significant at 5% "
            f"(Diebold-Mariano p = {v.pvalue:.3g}{holm})."
        )
    if not np.isfinite(v.pvalue):
        return (
            f"No model reliably beats naive: the best, {v.model}, has a {gain:.1%} "
            f"lower {name}, but the difference could not be tested (too few "
            "forecast origins for the Diebold-Mariano test)."
        )
    return (
        f"No model reliably beats naive: the best, {v.model}, has a {gain:.1%} "
        f"lower {name}, but the difference is not significant (Diebold-Mariano "
        f"p = {v.pvalue:.3g}{holm})."
    )


def _print_board(board: pd.DataFrame) -> None:
    hidden = ("n", "dm_stat", "dm_h")
    shown = board.drop(columns=[c for c in hidden if c in board.columns])
    shown = shown.rename(
        columns={"dm_pvalue": "dm_p_vs_naive", "dm_pvalue_holm": "dm_p_holm"}
    )
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(shown.to_string(float_format=lambda v: f"{v:.4g}"))
    print()
    print(verdict_line(board))


def write_outputs(
    results: pd.DataFrame,
    *,
    report: Path | None,
    title: str,
    progress: Progress,
    results_path: Path | None = None,
    attention: dict[str, Any] | None = None,
    notes: str | None = None,
) -> None:
    """Print the leaderboard, write the results and the report.

    A supervised backtest's frame (with a ``task`` column) gets the per-task
    boards and verdicts (:func:`print_task_boards`) and the multi-task report,
    which pairs attention models by their architecture columns.
    """
    multi_task = "task" in results.columns
    if multi_task:
        print_task_boards(results)
    else:
        _print_board(_leaderboard(results))
    if results_path is not None:
        write_table(results, results_path, index=False)
        progress.say(f"results written to {results_path}")
    if report is not None:
        from tsattn.report import save_report

        with progress.stage("render the HTML report"):
            if multi_task:
                save_report(
                    results, report, title=title, attention=attention, notes=notes
                )
            else:
                save_report(
                    results,
                    report,
                    title=title,
                    baseline="naive" if "naive" in set(results["model"]) else None,
                    attention=attention,
                    comparisons=model_comparisons(
                        list(dict.fromkeys(results["model"]))
                    ),
                    notes=notes,
                )
        print(f"report written to {report}")


# ----------------------------------------------------------------------------
# The multi-task comparison (returns, direction, variance)
# ----------------------------------------------------------------------------

_BOARD_COLUMNS = {
    "model": "model",
    "n_seeds": "seeds",
    "score_mean": "score",
    "score_sd": "sd",
    "score_min": "min",
    "score_max": "max",
    "ratio": "vs_ref",
    "n_better": "better",
    "n_worse": "worse",
    "dm_pvalue_holm": "p_holm",
    "n_params": "params",
    "fit_seconds": "fit_s",
}


def task_boards(
    results: pd.DataFrame, *, baseline: Any = "auto"
) -> dict[str, pd.DataFrame]:
    """Per-task leaderboards of a supervised backtest, as printed by the CLI.

    Parameters
    ----------
    results : pandas.DataFrame
        :func:`tsattn.backtesting.backtest_tasks` results (several seeds
        of a model concatenated with an integer ``seed`` column).
    baseline : "auto" or mapping, default="auto"
        Reference per task (see :func:`tsattn.stats.task_leaderboard`).

    Returns
    -------
    dict of str to pandas.DataFrame
        One table per task, indexed by model: seeds, mean score, its sd, min
        and max over seeds, ``vs_ref`` (score / reference score), seeds
        significantly better / worse than the reference, the Holm p-value of
        a single run, parameters and fit seconds per run.
    """
    from tsattn.verdicts import task_leaderboard

    board = task_leaderboard(results, baseline=baseline)
    out = {}
    for task, rows in board.groupby("task", sort=False):
        cols = [c for c in _BOARD_COLUMNS if c in rows.columns]
        table = rows[cols].rename(columns=_BOARD_COLUMNS).set_index("model")
        table.attrs["score"] = str(rows["score"].iloc[0])
        table.attrs["reference"] = rows["reference"].iloc[0]
        out[str(task)] = table
    return out


def task_verdicts(results: pd.DataFrame, *, baseline: Any = "auto") -> list[str]:
    """One line per task: does attention beat the task's reference, and how reliably.

    The same words as the report's headlines
    (:func:`tsattn.report._task_text.task_headline` on
    :func:`tsattn.stats.task_leaderboard`).

    Parameters
    ----------
    results : pandas.DataFrame
        As for :func:`task_boards`.
    baseline : "auto" or mapping, default="auto"
        Reference per task.

    Returns
    -------
    list of str
        ``"<Task>: <answer>"`` per task, in the order the tasks appear.
    """
    from tsattn.report import TASK_TITLES, task_headline
    from tsattn.verdicts import task_leaderboard

    board = task_leaderboard(results, baseline=baseline)
    lines = []
    for task in pd.unique(board["task"]):
        h = task_headline(board, task)
        lines.append(f"{TASK_TITLES.get(task, task)}: {h.lead}")
    return lines


def print_task_boards(results: pd.DataFrame, *, baseline: Any = "auto") -> None:
    """Print each task's leaderboard, then the per-task verdict lines.

    Parameters
    ----------
    results, baseline
        As for :func:`task_verdicts`.
    """
    boards = task_boards(results, baseline=baseline)
    for task, table in boards.items():
        score, ref = table.attrs["score"], table.attrs["reference"]
        print(f"{task}: {score} (lower is better), reference {ref}")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            print(table.to_string(float_format=lambda v: f"{v:.4g}"))
        print()
    for line in task_verdicts(results, baseline=baseline):
        print(line)
