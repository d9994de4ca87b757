"""The argument parser of the ``tsattn`` command, one sub-parser per command."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

import tsattn
from tsattn.cli.commands import (
    cmd_backtest,
    cmd_demo,
    cmd_fit,
    cmd_forecast,
    cmd_predict,
    cmd_report,
)
from tsattn.cli.console import PROG
from tsattn.cli.models import MODELS, SEED, network_defaults
from tsattn.cli.tasks import ATTENTION_VARIANTS, TASK_BASELINES


def _int_type(minimum: int, *extra: int) -> Callable[[str], int]:
    """Return an argparse type: an int >= ``minimum`` (or one of ``extra``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or (value < minimum and value not in extra):
            also = "".join(f" or {e}" for e in extra)
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}{also}, got {text!r}"
            )
        return value

    return parse


def _level(text: str) -> float:
    """Parse a significance level strictly between 0 and 1."""
    try:
        level = float(text)
    except ValueError:
        level = math.nan
    if not 0.0 < level < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a level strictly between 0 and 1, e.g. 0.05; got {text!r}"
        )
    return level


_positive_int = _int_type(1)
_count = _int_type(0)
_n_jobs = _int_type(1, -1)  # -1: all cores, as in joblib


def _parents() -> dict[str, argparse.ArgumentParser]:
    """Return the option groups shared by several commands, as parent parsers."""
    common = argparse.ArgumentParser(add_help=False)
    quiet = argparse.SUPPRESS  # so that `tsattn --quiet CMD` is not reset by CMD
    common.add_argument(
        "--debug", action="store_true", default=quiet, help="show tracebacks"
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", default=quiet, help="no progress"
    )

    # A saved model comes before the data it reads: ``predict MODEL DATA``.
    saved = argparse.ArgumentParser(add_help=False)
    saved.add_argument(
        "model", metavar="MODEL", help="model file written by 'tsattn fit'"
    )

    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    group = data.add_argument_group("data file")
    group.add_argument("--date-col", metavar="COL", help="name of the date column")
    group.add_argument(
        "--sep", metavar="SEP", help="CSV column separator, e.g. ';' (comma)"
    )
    group.add_argument(
        "--decimal", default=".", metavar="C", help="CSV decimal mark, e.g. ',' (.)"
    )
    group.add_argument(
        "--date-format",
        metavar="FMT",
        help="strftime format of the dates, e.g. %%d/%%m/%%Y (inferred)",
    )
    group.add_argument(
        "--missing",
        choices=("drop", "ffill", "error"),
        default="drop",
        help="rows with missing values: drop (default), fill forward, or stop",
    )

    net = argparse.ArgumentParser(add_help=False)
    group = net.add_argument_group("attention model")
    add, num = group.add_argument, _positive_int
    d = network_defaults()  # the estimator's defaults are the command's
    for flag, key, metavar, what in (
        ("--window-length", "window_length", "L", "history rows"),
        ("--heads", "n_heads", "N", "heads of mha models"),
        ("--d-model", "d_model", "D", "embedding width"),
        ("--layers", "n_layers", "N", "encoder blocks"),
        ("--patch-len", "patch_len", "P", "steps per token"),
        ("--epochs", "max_epochs", "E", "max epochs"),
    ):
        add(flag, type=num, default=d[key], metavar=metavar, help=f"{what} ({d[key]})")
    add(
        "--linear-skip",
        action="store_true",
        help="add a linear map of each series' window, started at its ridge "
        "regression (for structured series; see AttentionForecaster)",
    )
    add(
        "--significance",
        type=_level,
        metavar="P",
        help="leave the start (the random walk; with --tasks each task's trivial "
        "baseline) only when a Diebold-Mariano test on held-out windows shows a "
        "gain at this level, e.g. 0.05 (off for price forecasts, 0.05 with --tasks)",
    )
    add(
        "--max-steps-per-epoch",
        type=num,
        default=d["max_steps_per_epoch"],
        metavar="S",
        help="max optimiser steps per epoch "
        f"({d['max_steps_per_epoch'] or 'every batch'})",
    )
    add("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    add(
        "--device",
        default=d["device"],
        help=f"auto (CUDA if available), cpu or cuda ({d['device']})",
    )
    add("--threads", type=num, metavar="N", help="CPU threads of torch (its default)")
    return {"common": common, "saved": saved, "data": data, "net": net}


def build_parser() -> argparse.ArgumentParser:
    """Build the ``tsattn`` argument parser, one sub-parser per command.

    Returns
    -------
    argparse.ArgumentParser
        The parser; ``parse_args`` sets ``func`` to the command's handler.
    """
    parents = _parents()
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Temporal attention forecasting for stock-like series, with "
        "classical baselines, rolling-origin backtests and HTML reports.",
        epilog="DATA is a CSV file (an OHLCV download from a broker or finance "
        "site, or any table with a date column) or a Parquet file. "
        f"'{PROG} COMMAND --help' shows the options of a command.",
    )
    version = f"%(prog)s {tsattn.__version__}"
    parser.add_argument("--version", action="version", version=version)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, uses: tuple[str, ...], summary: str, text: str) -> Any:
        p = sub.add_parser(
            name,
            parents=[parents[u] for u in ("common", *uses)],
            help=summary,
            description=text,
        )
        p.set_defaults(func=_HANDLERS[name])
        return p.add_argument

    num, table = _positive_int, "CSV or Parquet file (default: stdout)"
    add = command(
        "demo",
        (),
        "backtest attention models and baselines on shipped data",
        "First the multi-task comparison on simulated OHLCV prices (GARCH "
        "volatility): next 5-day return, up/down and realized variance, each "
        "task's baselines (zero, mean, AR; base rate, logistic; GARCH, HAR, EWMA) "
        "against multi-head and self-attention with one shared output layer or "
        "a head per task, over --seeds seeds, written to --out. Then the price "
        "forecasts: the attention forecasters and the naive, drift, ARIMA, ETS "
        "and Theta baselines on the shipped exchange-rate data (or simulated "
        "stock prices), written to <out>_prices.html. A few minutes on two CPU "
        "cores; --quick takes seconds.",
    )
    add(
        "--out",
        default="report.html",
        metavar="HTML",
        help="multi-task report (report.html); the price report goes to "
        "<out>_prices.html",
    )
    add(
        "--seeds",
        type=num,
        metavar="N",
        help="seeds of each attention variant in the multi-task part (5; quick 2)",
    )
    add(
        "--skip-prices",
        action="store_true",
        help="run the multi-task comparison only",
    )
    add("--data", choices=("exchange", "stock"), default="exchange", help="data set")
    add(
        "--series",
        metavar="NAMES",
        help="exchange: columns (all 8; quick 0,1); stock: kinds (ar1,garch,regime)",
    )
    add(
        "--rows", type=num, metavar="N", help="latest rows per series (1500; quick 200)"
    )
    add("--folds", type=num, metavar="K", help="backtest folds (20; quick 3)")
    add("--horizon", type=num, default=5, metavar="H", help="steps forecast (5)")
    add("--quick", action="store_true", help="tiny models and data: seconds")
    add(
        "--n-jobs",
        type=_n_jobs,
        default=-1,
        metavar="N",
        help="parallel fits (-1: all)",
    )
    add(
        "--results",
        metavar="FILE",
        help="also save the results (.csv, .parquet); prices to <file>_prices",
    )
    add("--seed", type=int, default=SEED, help=f"random seed of the networks ({SEED})")
    add("--threads", type=num, default=1, metavar="N", help="CPU threads of torch (1)")

    add = command(
        "fit",
        ("data", "net"),
        "fit an attention forecaster on a data file and save it",
        "Fit an AttentionForecaster and save it (safetensors, no pickle). Without "
        "--features it forecasts the --target column(s) from their own past, with "
        "quantile intervals (forecasting mode). With --features it learns the "
        "cumulative log returns of the one --target column over the next --horizon "
        "steps (its levels, if it is not positive) from the target and the feature "
        "columns (supervised mode); forecasts come back in the target's units.",
    )
    add("--target", metavar="COLS", help="column(s) to forecast (Close)")
    add("--horizon", type=num, default=5, metavar="H", help="steps forecast (5)")
    add("--features", metavar="COLS", help="input columns (supervised mode)")
    add("--output-head", choices=("single", "multi"), default="single")
    add("--quantiles", metavar="LEVELS", help="e.g. 0.05,0.95 (default) or none")
    add("--out", required=True, metavar="MODEL", help="model file to write")

    add = command(
        "predict",
        ("saved", "data"),
        "predict from every row of a data file with a saved model",
        "For every row of DATA, the prediction made with data up to that row: the "
        "next values of each target (forecasting mode, columns <target>_h1, ...) or "
        "the per-row targets (supervised mode). When DATA continues the data the "
        "model was fitted on, that history is the context of its first rows.",
    )
    add("--out", metavar="FILE", help=table)

    add = command(
        "forecast",
        ("saved", "data"),
        "forecast the steps after a data file with a saved model",
        "Forecast the steps after the data. Rows of DATA after the last one the "
        "model has seen are fed to it first, without refitting, so DATA can be the "
        "training file with newer rows appended.",
    )
    add("--steps", type=num, metavar="H", help="steps (the model's horizon)")
    add("--out", metavar="FILE", help=table)

    add = command(
        "backtest",
        ("data", "net"),
        "rolling-origin backtest of several models on a data file",
        "Backtest models on the same rolling-origin folds at the end of DATA, print "
        "the leaderboard and write an HTML report. With --tasks (e.g. --tasks "
        "return,direction,volatility on an OHLCV file): next returns, up/down "
        "direction and realized variance over the next --horizon rows, each "
        "task's baselines ("
        + "; ".join(f"{k}: {v}" for k, (_, v) in TASK_BASELINES.items())
        + ") against attention variants fitted once on all tasks ("
        + "; ".join(f"{k}: {v}" for k, v in ATTENTION_VARIANTS.items())
        + "), each over --seeds seeds; per-task leaderboards with tests against "
        "zero, the base rate and GARCH. Without --tasks: price forecasts (MAE, "
        "RMSE, MASE, interval coverage, Diebold-Mariano test against naive) of "
        "the models " + "; ".join(f"{k}: {v}" for k, v in MODELS.items()) + ".",
    )
    add(
        "--tasks",
        metavar="TASKS",
        help="compare models on per-row tasks instead of price forecasts: any of "
        "return,direction,volatility (targets over the next --horizon rows)",
    )
    add("--target", metavar="COLS", help="column(s) to forecast, each a series")
    add(
        "--models",
        help=f"names (prices: {DEFAULT_MODELS}; tasks: every baseline of the "
        "tasks and every attention variant)",
    )
    add("--horizon", type=num, default=5, metavar="H", help="steps forecast (5)")
    add("--folds", type=num, default=10, metavar="K", help="number of folds (10)")
    add(
        "--step",
        type=num,
        metavar="S",
        help="rows between cutoffs (prices: the horizon; tasks: 20 rows scored "
        "per fold)",
    )
    add(
        "--seeds",
        type=num,
        default=3,
        metavar="N",
        help="tasks: seeds of every attention variant, from --seed on (3)",
    )
    add(
        "--loss",
        metavar="TASK=LOSS",
        help="tasks: losses, e.g. return=huber (return: mse, mae, huber; "
        "direction: bce; volatility: qlike)",
    )
    add(
        "--variance",
        choices=("auto", "close", "parkinson", "garman_klass"),
        default="auto",
        help="tasks: per-row variance of the volatility target and of HAR "
        "(auto: Parkinson when High/Low exist, else squared returns)",
    )
    add("--window", choices=("expanding", "sliding"), default="expanding")
    add("--refit", type=_count, default=0, metavar="K", help="every K folds (0: once)")
    add("--report", metavar="HTML", help="HTML report to write")
    add("--results", metavar="FILE", help="results to write (.csv, .parquet)")
    add("--title", default="tsattn backtest report", help="report title")
    add("--n-jobs", type=_n_jobs, default=1, metavar="N", help="parallel fits (1)")

    add = command(
        "report",
        (),
        "write the HTML report of saved backtest results",
        "Print the leaderboard of a results file written by 'tsattn backtest "
        "--results' and render its HTML report.",
    )
    add("results", metavar="RESULTS", help="file from 'tsattn backtest --results'")
    add("--out", required=True, metavar="HTML", help="HTML report to write")
    add("--title", default="tsattn backtest report", help="report title")
    return parser


DEFAULT_MODELS = "naive,drift,arima,ets,theta,mha,sa"
_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "fit": cmd_fit,
    "predict": cmd_predict,
    "forecast": cmd_forecast,
    "backtest": cmd_backtest,
    "report": cmd_report,
}
