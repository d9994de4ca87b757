"""The ``tsattn`` command line: demo, fit, predict, forecast, backtest and report."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import tsattn

__all__ = ["MODELS", "build_parser", "main", "read_data"]

PROG = "tsattn"

#: Model names understood by ``tsattn backtest --models`` and what they stand for.
MODELS = {
    "mha": "multi-head attention (AttentionForecaster)",
    "mha_multi": "multi-head attention with an output head of its own per task",
    "sa": "single-head self-attention (SelfAttentionForecaster)",
    "sa_multi": "self-attention with an output head of its own per task",
    "naive": "random walk: every future value equals the last one",
    "seasonal_naive": "seasonal random walk, period 5 (one business week)",
    "drift": "random walk with drift",
    "mean": "historical mean",
    "arima": "ARIMA, order chosen by unit-root tests and AIC",
    "ets": "exponential smoothing (ETS, additive error)",
    "theta": "the Theta method",
}
_ATTENTION = ("mha", "mha_multi", "sa", "sa_multi")
_DATE_NAMES = ("date", "datetime", "timestamp", "time", "ds", "day")
_CLOSE_NAMES = ("close", "closelast", "closeprice", "last", "lastprice", "price")
_QUANTILES = (0.05, 0.95)

# Attention settings of `demo` (trained for speed on two CPU cores, not tuned).
_DEMO_ATTENTION = {
    "window_length": 64,
    "d_model": 32,
    "n_heads": 4,
    "n_layers": 2,
    "patch_len": 8,
    "max_epochs": 10,
    "max_steps_per_epoch": 25,
    "batch_size": 64,
    "n_iter_no_change": 3,
}
_QUICK_ATTENTION = {
    "window_length": 16,
    "d_model": 8,
    "n_heads": 2,
    "n_layers": 1,
    "patch_len": 4,
    "max_epochs": 2,
    "max_steps_per_epoch": 4,
    "batch_size": 32,
    "n_iter_no_change": 2,
}


class _Progress:
    """One line per stage on stderr, with the stage's and the total time."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet, self.done = total, quiet, 0
        self.start = time.perf_counter()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"{PROG}: {text}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def stage(self, label: str) -> Iterator[None]:
        self.done += 1
        tag = f"[{self.done}/{self.total}]"
        self.say(f"{tag} {label} ...")
        t0 = time.perf_counter()
        yield
        now = time.perf_counter()
        self.say(f"{tag} done in {now - t0:.1f} s (total {now - self.start:.1f} s)")


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------
def _check_output(path: str | os.PathLike[str], what: str) -> Path:
    """Fail early, before any work, when ``path`` cannot be written."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write the {what} to {str(target)!r}: folder {str(folder)!r} "
            "does not exist. Create it first."
        )
    if target.is_dir():
        raise IsADirectoryError(
            f"cannot write the {what} to {str(target)!r}: it is a folder; pass a "
            "file name."
        )
    return target


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _write_table(frame: pd.DataFrame, path: Path, *, index: bool) -> Path:
    """Write ``frame`` as Parquet (``.parquet``/``.pq``) or CSV, atomically."""
    if _is_parquet(path):
        return _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=index))
    return _atomic_write(path, lambda tmp: frame.to_csv(tmp, index=index))


def _norm(label: Any) -> str:
    return "".join(ch for ch in str(label).lower() if ch.isalnum())


def _existing_file(path: str | os.PathLike[str], what: str) -> Path:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{what} file {str(file)!r} does not exist.")
    if file.is_dir():
        raise IsADirectoryError(f"{what} {str(file)!r} is a folder, not a file.")
    return file


def read_data(
    path: str | os.PathLike[str], *, date_col: str | None = None
) -> pd.DataFrame:
    """Read a CSV or Parquet file of time steps into a DataFrame.

    A CSV whose header holds a date column and a close column (an OHLCV file
    as downloaded from a broker or finance site) is read with
    :func:`tsattn.datasets.load_ohlcv_csv`, rows sorted oldest first. Other
    CSV files are read with :func:`pandas.read_csv`; a column named like a
    date (``date``, ``datetime``, ``timestamp``, ``time``, ``ds``, ``day``, or
    ``date_col``) becomes the index. Parquet files keep their own index, or
    use such a date column.

    Parameters
    ----------
    path : str or os.PathLike
        The file; ``.parquet`` and ``.pq`` are read as Parquet, anything else
        as CSV.
    date_col : str, optional
        Name of the date column, when it is not found by name.

    Returns
    -------
    pandas.DataFrame
        The rows in time order, on a DatetimeIndex when the file has dates
        (else on row positions).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is empty, cannot be parsed, or its dates are unreadable
        or repeated.
    """
    file = _existing_file(path, "DATA")
    if _is_parquet(file):
        try:
            frame = pd.read_parquet(file)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"cannot read {file.name} as Parquet ({_one_line(exc)})."
            ) from None
    else:
        try:
            header = pd.read_csv(file, nrows=0)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{file.name} is empty.") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"cannot read {file.name} as CSV ({_one_line(exc)})."
            ) from None
        names = [_norm(c) for c in header.columns]
        has_date = date_col is not None or any(n in _DATE_NAMES for n in names)
        if has_date and any(n in _CLOSE_NAMES for n in names):
            from tsattn.datasets import load_ohlcv_csv

            return load_ohlcv_csv(file, date_col=date_col, sort=True)
        try:
            frame = pd.read_csv(file)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"cannot read {file.name} as CSV ({_one_line(exc)})."
            ) from None
    if frame.empty:
        raise ValueError(f"{file.name} holds no data rows.")
    return _set_time_index(frame, file.name, date_col)


def _set_time_index(
    frame: pd.DataFrame, name: str, date_col: str | None
) -> pd.DataFrame:
    columns = list(frame.columns)
    if date_col is not None:
        hits = [c for c in columns if _norm(c) == _norm(date_col)]
        if not hits:
            raise ValueError(
                f"--date-col {date_col!r} is not a column of {name} (columns: "
                f"{[str(c) for c in columns]})."
            )
    else:
        hits = [c for c in columns if _norm(c) in _DATE_NAMES]
    if not hits:
        if isinstance(frame.index, pd.DatetimeIndex):
            return frame.sort_index(kind="stable")
        return frame.reset_index(drop=True)
    col = hits[0]
    try:
        stamps = pd.to_datetime(frame[col])
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"cannot read column {str(col)!r} of {name} as dates ({_one_line(exc)})."
        ) from None
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise ValueError(f"date column {str(col)!r} of {name} is empty at row {row}.")
    out = frame.drop(columns=[col])
    out.index = pd.DatetimeIndex(stamps, name="date")
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()][0]
        raise ValueError(f"date {dup} appears more than once in {name}.")
    return out.sort_index(kind="stable")


# ---------------------------------------------------------------------------
# columns and missing values
# ---------------------------------------------------------------------------
def _split_list(text: str | None) -> list[str]:
    return [] if text is None else [p.strip() for p in text.split(",") if p.strip()]


def _column(frame: pd.DataFrame, name: str, option: str) -> Any:
    """Return the column of ``frame`` called ``name`` (case-insensitive fallback)."""
    by_str = {str(c): c for c in frame.columns}
    if name in by_str:
        return by_str[name]
    folded = [c for s, c in by_str.items() if s.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    close = difflib.get_close_matches(name, list(by_str), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise ValueError(
        f"{option} {name!r} is not a column of DATA (columns: {list(by_str)}){hint}"
    )


def _targets(frame: pd.DataFrame, text: str | None) -> list[Any]:
    """Return the ``--target`` columns, or Close, or the only numeric column."""
    if text:
        cols = [_column(frame, n, "--target") for n in _split_list(text)]
    else:
        numeric = [
            c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
        ]
        closes = [c for c in frame.columns if _norm(c) == "close"]
        if closes:
            cols = closes[:1]
        elif len(numeric) == 1:
            cols = numeric
        else:
            raise ValueError(
                "DATA has no Close column and several numeric columns "
                f"({[str(c) for c in numeric]}); choose one with --target."
            )
    if not cols:
        raise ValueError("--target is empty; name at least one column.")
    return list(dict.fromkeys(cols))


def _numeric(frame: pd.DataFrame, columns: Sequence[Any], missing: str) -> pd.DataFrame:
    """Return ``frame[columns]`` as float64, missing values handled as asked."""
    for c in columns:
        if not pd.api.types.is_numeric_dtype(frame[c].dtype):
            raise ValueError(
                f"column {str(c)!r} is not numeric (dtype {frame[c].dtype}); pick "
                "numeric columns."
            )
    out = frame[list(columns)].astype(np.float64)
    bad = ~np.isfinite(out.to_numpy())
    if not bad.any():
        return out
    rows = bad.any(axis=1)
    where = f"first at {out.index[int(np.flatnonzero(rows)[0])]}"
    if missing == "error":
        raise ValueError(
            f"DATA has {int(rows.sum())} row(s) with missing or infinite values in "
            f"{[str(c) for c in columns]} ({where}); pass --missing drop or "
            "--missing ffill."
        )
    if missing == "ffill":
        out = out.where(~bad).ffill()
        if out.isna().any().any():
            raise ValueError(
                "DATA starts with missing values that --missing ffill cannot fill; "
                "use --missing drop."
            )
        action = "filled forward"
    else:
        out = out[~rows]
        action = "dropped"
    print(
        f"{PROG}: note: {action} {int(rows.sum())} row(s) with missing values "
        f"({where}).",
        file=sys.stderr,
    )
    return out


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------
def _parse_models(text: str) -> list[str]:
    names = _split_list(text)
    if not names:
        raise ValueError(f"--models is empty; choose from {', '.join(MODELS)}.")
    for name in names:
        if name not in MODELS:
            close = difflib.get_close_matches(name, list(MODELS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown model {name!r}; choose from {', '.join(MODELS)}.{hint}"
            )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"--models names {dupes} more than once.")
    return names


def _make_model(
    name: str,
    horizon: int,
    attention: dict[str, Any],
    *,
    arima_order: tuple[int, int, int] | None = None,
) -> Any:
    """Return a fresh, unfitted forecaster for a name of :data:`MODELS`."""
    from tsattn import baselines

    if name in _ATTENTION:
        from tsattn.estimators import AttentionForecaster, SelfAttentionForecaster

        params = {**attention, "horizon": horizon, "quantiles": _QUANTILES}
        params["output_head"] = "multi" if name.endswith("_multi") else "single"
        if name.startswith("sa"):
            params.pop("n_heads", None)
            return SelfAttentionForecaster(**params)
        return AttentionForecaster(**params)
    simple = {
        "naive": baselines.NaiveForecaster,
        "drift": baselines.DriftForecaster,
        "mean": baselines.MeanForecaster,
        "ets": baselines.ETSForecaster,
        "theta": baselines.ThetaForecaster,
    }
    if name in simple:
        return simple[name](horizon=horizon)
    if name == "seasonal_naive":
        return baselines.SeasonalNaiveForecaster(horizon=horizon, season_length=5)
    return baselines.ARIMAForecaster(horizon=horizon, order=arima_order)


def _comparisons(models: Sequence[str]) -> list[tuple[str, str, str]] | None:
    """Head-to-head pairs among the :data:`MODELS` names; None lets the report look."""
    present = set(models)
    if not present & set(_ATTENTION):
        return None
    pairs = []
    if {"sa", "mha"} <= present:
        pairs.append(("Self-attention vs multi-head attention", "sa", "mha"))
    if {"sa_multi", "mha_multi"} <= present:
        pairs.append(
            (
                "Self-attention vs multi-head attention (multi output head)",
                "sa_multi",
                "mha_multi",
            )
        )
    for base in ("mha", "sa"):
        if {base, f"{base}_multi"} <= present:
            pairs.append(
                (f"Single vs multi output head ({base})", base, f"{base}_multi")
            )
    return pairs


# ---------------------------------------------------------------------------
# backtest, leaderboard and report
# ---------------------------------------------------------------------------
def _backtest_all(
    names: Sequence[str],
    data: pd.DataFrame,
    *,
    horizon: int,
    make: Callable[[str], Any],
    progress: _Progress,
    n_jobs: int = 1,
    **options: Any,
) -> pd.DataFrame:
    """Backtest the models on the same folds: baselines together, then each net.

    ``make(name)`` returns a fresh forecaster; ``options`` go to ``backtest``.
    """
    from threadpoolctl import threadpool_limits

    from tsattn.backtest import backtest

    baselines = [n for n in names if n not in _ATTENTION]
    groups = ([baselines] if baselines else []) + [
        [n] for n in names if n in _ATTENTION
    ]
    parts = []
    for group in groups:
        label = (
            f"{group[0]}: {MODELS[group[0]]}"
            if group[0] in _ATTENTION
            else f"baselines {', '.join(group)}"
        )
        net = group[0] in _ATTENTION
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
    order = {n: i for i, n in enumerate(names)}
    results = results.sort_values(
        "model", key=lambda s: s.map(order), kind="stable"
    ).reset_index(drop=True)
    return _add_naive_scale(results, data)


def _add_naive_scale(results: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Add the MASE denominator: the naive in-sample MAE up to each row's cutoff."""
    from tsattn.metrics import SCALE_COLUMN

    scale = np.full(len(results), np.nan)
    for series, rows in results.groupby("series", sort=False).groups.items():
        column = data[series].dropna()
        steps = np.abs(np.diff(column.to_numpy(dtype=np.float64)))
        mean_step = np.concatenate(
            [[np.nan], np.cumsum(steps) / np.arange(1, len(column))]
        )
        pos = column.index.get_indexer(pd.Index(results.loc[rows, "cutoff"]))
        scale[results.index.get_indexer(rows)] = mean_step[pos]
    out = results.copy()
    out[SCALE_COLUMN] = np.where(scale > 0, scale, np.nan)
    return out


def _attention_maps(
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
    from tsattn.metrics import SCALE_COLUMN, evaluate

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


def _verdict(board: pd.DataFrame) -> str:
    """Say in words whether any model beats naive, and how surely."""
    key = "mase" if "mase" in board.columns else "mae"
    best, name = str(board.index[0]), key.upper()
    if "naive" not in board.index:
        return f"Most accurate by {name}: {best} (no naive baseline to compare)."
    if best == "naive":
        return f"The random walk (naive) wins: no model has a lower {name}."
    # A significant winner leads even if another model is closer but unproven.
    naive_score = float(board.loc["naive", key])
    winners = board[(board[key] < naive_score) & (board["dm_pvalue"] < 0.05)]
    if not winners.empty:
        best = str(winners.index[0])
    gain = 1.0 - float(board.loc[best, key]) / naive_score
    p = float(board.loc[best, "dm_pvalue"])
    if np.isfinite(p) and p < 0.05:
        tested = len(board) - 1
        return (
            f"{best} beats naive: {name} {gain:.1%} lower, significant at 5% "
            f"(Diebold-Mariano p = {p:.3g}; {tested} models were tested against "
            "naive, so one such result can arise by chance)."
        )
    return (
        f"No model reliably beats naive: the best, {best}, has a {gain:.1%} lower "
        f"{name}, but the difference is not significant (Diebold-Mariano p = "
        f"{p:.3g})."
    )


def _print_board(board: pd.DataFrame) -> None:
    shown = board.drop(columns=[c for c in ("n", "dm_stat") if c in board.columns])
    shown = shown.rename(columns={"dm_pvalue": "dm_p_vs_naive"})
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(shown.to_string(float_format=lambda v: f"{v:.4g}"))
    print()
    print(_verdict(board))


def _write_outputs(
    results: pd.DataFrame,
    *,
    report: Path | None,
    results_path: Path | None,
    title: str,
    attention: dict[str, Any] | None,
    notes: str | None,
    progress: _Progress,
) -> None:
    _print_board(_leaderboard(results))
    if results_path is not None:
        _write_table(results, results_path, index=False)
        progress.say(f"results written to {results_path}")
    if report is not None:
        from tsattn.report import save_report

        with progress.stage("render the HTML report"):
            save_report(
                results,
                report,
                title=title,
                baseline="naive" if "naive" in set(results["model"]) else None,
                attention=attention,
                comparisons=_comparisons(list(dict.fromkeys(results["model"]))),
                notes=notes,
            )
        print(f"report written to {report}")


# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def _emit(frame: pd.DataFrame, out: str | None, what: str, quiet: bool) -> None:
    """Write ``frame`` (with its index) to ``out``, or as CSV to stdout."""
    if out is None:
        frame.to_csv(sys.stdout)
        return
    path = _write_table(frame, _check_output(out, what), index=True)
    if not quiet:
        print(f"{PROG}: {what} written to {path}", file=sys.stderr)


def _quantiles(text: str | None) -> tuple[float, ...] | None:
    if text is None or text.lower() == "none":
        return None
    try:
        levels = tuple(float(q) for q in _split_list(text))
    except ValueError:
        raise ValueError(
            f"--quantiles {text!r} must be comma-separated numbers in (0, 1), e.g. "
            "0.05,0.95, or 'none'."
        ) from None
    bad = [q for q in levels if not 0.0 < q < 1.0]
    if bad or not levels:
        raise ValueError(
            f"--quantiles levels must lie strictly between 0 and 1; got {text!r}."
        )
    return levels


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


def _attention_params(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "window_length": args.window_length,
        "d_model": args.d_model,
        "n_heads": args.heads,
        "n_layers": args.layers,
        "patch_len": args.patch_len,
        "max_epochs": args.epochs,
        "max_steps_per_epoch": args.max_steps_per_epoch,
        "linear_skip": args.linear_skip,
        "significance": args.significance,
        "random_state": args.seed,
        "device": args.device,
    }


def _load_model(path: str) -> Any:
    from tsattn.persistence import load

    return load(_existing_file(path, "MODEL"))


def _model_input(model: Any, frame: pd.DataFrame, missing: str) -> pd.DataFrame:
    """Return the columns ``model`` was fitted on, taken from ``frame``."""
    names = [str(c) for c in model.columns_]
    absent = [n for n in names if n not in {str(c) for c in frame.columns}]
    if absent:
        raise ValueError(
            f"DATA lacks column(s) {absent} that the model was fitted on (DATA has "
            f"{[str(c) for c in frame.columns]})."
        )
    by_str = {str(c): c for c in frame.columns}
    X = _numeric(frame, [by_str[n] for n in names], missing)
    X.columns = list(model.columns_)
    return X


def _check_index_kind(model: Any, X: pd.DataFrame) -> None:
    dated_model = isinstance(model.index_, pd.DatetimeIndex)
    dated_data = isinstance(X.index, pd.DatetimeIndex)
    if dated_model != dated_data:
        kinds = {True: "dates", False: "row positions"}
        raise ValueError(
            f"DATA is indexed by {kinds[dated_data]} but the model was fitted on "
            f"data indexed by {kinds[dated_model]}; pass a file like the one used "
            "to fit it."
        )


def _demo_data(
    kind: str, n_rows: int, series: str | None, n_default: int
) -> tuple[pd.DataFrame, str]:
    """Return the demo's wide frame (one column per series) and its provenance."""
    if kind == "stock":
        from tsattn.datasets import make_stock_like

        kinds = _split_list(series) or ["ar1", "garch", "regime"][:n_default]
        data = pd.DataFrame(
            {
                k: make_stock_like(k, n_steps=n_rows, random_state=seed)["Close"]
                for seed, k in enumerate(kinds)
            }
        )
        note = (
            "Data: simulated daily closes (tsattn.datasets.make_stock_like, kinds "
            f"{', '.join(kinds)}, seeds 0..{len(kinds) - 1}), {n_rows} business "
            "days each. Only ar1 returns have a predictable part."
        )
        return data, note
    from tsattn.datasets import load_exchange_rate

    full = load_exchange_rate()
    names = _split_list(series) if series and series != "all" else []
    names = names or list(full.columns)[:n_default]
    cols = [_column(full, c, "--series") for c in names]
    data = full[cols].iloc[-n_rows:]
    note = (
        "Data: the daily exchange-rate panel of Lai et al. (SIGIR 2018) shipped with "
        f"tsattn, last {len(data)} rows of series {', '.join(cols)}. Its dates are "
        "consecutive calendar days, a benchmark convention."
    )
    return data, note


def _cmd_demo(args: argparse.Namespace) -> int:
    out = _check_output(args.out, "report")
    results_path = _check_output(args.results, "results") if args.results else None
    attention = {**(_QUICK_ATTENTION if args.quick else _DEMO_ATTENTION)}
    attention["random_state"] = args.seed
    n_rows = args.rows or (200 if args.quick else 1500)
    folds = args.folds or (3 if args.quick else 20)
    horizon = args.horizon
    names = ["naive", "drift", "arima", "ets", "theta", "mha", "sa", "mha_multi"]
    progress = _Progress(7, args.quiet)  # data, baselines, 3 nets, maps, report
    with progress.stage(f"load the {args.data} data"):
        data, provenance = _demo_data(
            args.data, n_rows, args.series, 2 if args.quick else 8
        )

    def make(name: str) -> Any:
        order = (1, 1, 0) if args.quick else None
        return _make_model(name, horizon, attention, arima_order=order)

    results = _backtest_all(
        names,
        data,
        horizon=horizon,
        make=make,
        progress=progress,
        n_folds=folds,
        refit=False,
        n_jobs=args.n_jobs,
    )
    with progress.stage("attention maps of mha at the last cutoff"):
        maps = _attention_maps(
            data,
            make("mha"),
            horizon=horizon,
            splitter_options={"n_folds": folds},
            refit=0,
        )
    a = attention
    notes = "\n\n".join(
        [
            provenance,
            f"Backtest: rolling origin, {folds} folds of horizon {horizon} at the end "
            "of the data, expanding window. Each model is fitted once, at the first "
            "cutoff, and carried to the later cutoffs by state update without "
            "refitting; every model sees the same data at every cutoff.",
            f"Attention models: windows of {a['window_length']} steps in patches of "
            f"{a['patch_len']}, d_model {a['d_model']}, {a['n_layers']} layer(s), "
            f"{a['n_heads']} heads for mha and mha_multi, 1 for sa; mha_multi gives "
            f"the forecast an output head of its own. At most {a['max_epochs']} "
            f"epochs of {a['max_steps_per_epoch']} steps with early stopping, seed "
            f"{args.seed}: sized to train in seconds on a CPU, not tuned.",
            "ARIMA: order (1, 1, 0) (quick run)."
            if args.quick
            else "ARIMA: order chosen per series by unit-root tests and AIC.",
            "Exchange rates and prices are close to a random walk: when no model "
            "beats naive, that is the expected result, not a failure of the backtest.",
        ]
    )
    _write_outputs(
        results,
        report=out,
        results_path=results_path,
        title=f"tsattn demo: attention vs baselines on the {args.data} data",
        attention=maps,
        notes=notes,
        progress=progress,
    )
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    out = _check_output(args.out, "model")
    frame = read_data(args.data, date_col=args.date_col)
    targets = _targets(frame, args.target)
    features = [_column(frame, n, "--features") for n in _split_list(args.features)]
    from tsattn.estimators import AttentionForecaster
    from tsattn.targets import make_targets

    params = {**_attention_params(args), "horizon": args.horizon}
    params["output_head"] = args.output_head
    params["verbose"] = 0 if args.quiet else 1
    if features:
        if len(targets) != 1:
            raise ValueError(
                f"with --features, --target names one column; got {len(targets)}."
            )
        if args.quantiles is not None:
            raise ValueError(
                "--quantiles applies to forecasting mode (without --features)."
            )
        target = targets[0]
        X = _numeric(frame, list(dict.fromkeys([target, *features])), args.missing)
        kind = "cum_log_return" if bool((X[target] > 0).all()) else "level"
        y = make_targets(X[target], kind=kind, horizon=args.horizon)
        model = AttentionForecaster(**params)
        mode = f"supervised, {kind} targets of {target!s} from {len(X.columns)} inputs"
        fit_args: tuple[Any, ...] = (X, y)
    else:
        X = _numeric(frame, targets, args.missing)
        quantiles = _quantiles(
            "0.05,0.95" if args.quantiles is None else args.quantiles
        )
        model = AttentionForecaster(**params, quantiles=quantiles)
        mode = "forecasting " + ", ".join(str(t) for t in targets)
        fit_args = (X,)
    with contextlib.redirect_stdout(sys.stderr):
        model.fit(*fit_args)
    model.save(out)
    print(
        f"fitted AttentionForecaster ({mode}) on {len(X)} rows: {model.n_epochs_} "
        f"epoch(s), best {model.best_epoch_}, {model.n_params_:,} parameters, "
        f"{model.fit_time_:.1f} s; saved to {out}"
    )
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    frame = read_data(args.data, date_col=args.date_col)
    X = _model_input(model, frame, args.missing)
    _check_index_kind(model, X)
    pred = model.predict(X)
    _emit(pred, args.out, "predictions", args.quiet)
    return 0


def _cmd_forecast(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    frame = read_data(args.data, date_col=args.date_col)
    X = _model_input(model, frame, args.missing)
    _check_index_kind(model, X)
    last = model.index_[-1]
    new = X[X.index > last]
    if len(new):
        model.update(new)
        if not args.quiet:
            print(
                f"{PROG}: fed {len(new)} row(s) after {last} to the model (no refit).",
                file=sys.stderr,
            )
    elif not args.quiet:
        print(
            f"{PROG}: DATA has no rows after the model's last observation ({last}); "
            "forecasting from there.",
            file=sys.stderr,
        )
    _emit(model.forecast(args.steps), args.out, "forecast", args.quiet)
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    report = _check_output(args.report, "report") if args.report else None
    results_path = _check_output(args.results, "results") if args.results else None
    names = _parse_models(args.models)
    frame = read_data(args.data, date_col=args.date_col)
    data = _numeric(frame, _targets(frame, args.target), args.missing)
    attention = _attention_params(args)
    nets = [n for n in names if n in _ATTENTION]
    groups = len(nets) + (len(nets) < len(names))
    progress = _Progress(groups + (report is not None) * (1 + bool(nets)), args.quiet)
    split = {"n_folds": args.folds, "step": args.step, "window": args.window}

    def make(name: str) -> Any:
        return _make_model(name, args.horizon, attention)

    results = _backtest_all(
        names,
        data,
        horizon=args.horizon,
        make=make,
        progress=progress,
        refit=args.refit or False,
        n_jobs=args.n_jobs,
        **split,
    )
    maps = None
    if report is not None and nets:
        net = "mha" if "mha" in nets else nets[0]
        with progress.stage(f"attention maps of {net} at the last cutoff"):
            maps = _attention_maps(
                data,
                make(net),
                net,
                horizon=args.horizon,
                splitter_options=split,
                refit=args.refit,
            )
    span = f"{data.index[0]} to {data.index[-1]}"
    notes = (
        f"Data: {Path(args.data).name}, column(s) "
        f"{', '.join(str(c) for c in data.columns)}, {len(data)} rows ({span}).\n\n"
        f"Backtest: rolling origin, {args.folds} folds of horizon {args.horizon}, "
        f"{args.window} window, "
        + (f"refit every {args.refit} fold(s)." if args.refit else "fitted once.")
    )
    _write_outputs(
        results,
        report=report,
        results_path=results_path,
        title=args.title,
        attention=maps,
        notes=notes,
        progress=progress,
    )
    return 0


def _read_results(path: str) -> pd.DataFrame:
    file = _existing_file(path, "RESULTS")
    try:
        if _is_parquet(file):
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(file, dtype={"model": str, "series": str})
    except pd.errors.EmptyDataError:
        raise ValueError(f"{file.name} is empty.") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {file.name} ({_one_line(exc)}).") from None
    required = [
        "model",
        "series",
        "fold",
        "cutoff",
        "step",
        "timestamp",
        "y_true",
        "y_pred",
    ]
    absent = [c for c in required if c not in frame.columns]
    if absent:
        raise ValueError(
            f"{file.name} lacks column(s) {absent}; pass a file written by "
            "'tsattn backtest --results'."
        )
    if frame.empty:
        raise ValueError(f"{file.name} holds no results rows.")
    for col in ("cutoff", "timestamp"):
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            with contextlib.suppress(ValueError, TypeError):
                frame[col] = pd.to_datetime(frame[col], format="ISO8601")
    return frame


def _cmd_report(args: argparse.Namespace) -> int:
    out = _check_output(args.out, "report")
    results = _read_results(args.results)
    _write_outputs(
        results,
        report=out,
        results_path=None,
        title=args.title,
        attention=None,
        notes=None,
        progress=_Progress(1, args.quiet),
    )
    return 0


# ---------------------------------------------------------------------------
# parser and entry point
# ---------------------------------------------------------------------------
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

    data = argparse.ArgumentParser(add_help=False)
    group = data.add_argument_group("data file")
    group.add_argument("--date-col", metavar="COL", help="name of the date column")
    group.add_argument(
        "--missing",
        choices=("drop", "ffill", "error"),
        default="drop",
        help="rows with missing values: drop (default), fill forward, or stop",
    )

    net = argparse.ArgumentParser(add_help=False)
    group = net.add_argument_group("attention model")
    add, num = group.add_argument, _positive_int
    add("--window-length", type=num, default=64, metavar="L", help="history rows (64)")
    add("--heads", type=num, default=4, metavar="N", help="heads of mha models (4)")
    add("--d-model", type=num, default=32, metavar="D", help="embedding width (32)")
    add("--layers", type=num, default=2, metavar="N", help="encoder blocks (2)")
    add("--patch-len", type=num, default=8, metavar="P", help="steps per token (8)")
    add("--epochs", type=num, default=20, metavar="E", help="max epochs (20)")
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
        help="leave the random walk only when a Diebold-Mariano test on the "
        "held-out windows shows a gain at this level, e.g. 0.05 (off)",
    )
    add(
        "--max-steps-per-epoch",
        type=num,
        default=50,
        metavar="S",
        help="max optimiser steps per epoch (50)",
    )
    add("--seed", type=int, default=0, help="random seed (0)")
    add("--device", default="auto", help="auto (CUDA if available), cpu or cuda")
    add("--threads", type=num, metavar="N", help="CPU threads of torch (its default)")
    return {"common": common, "data": data, "net": net}


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
        "Train the multi-head and self-attention forecasters and the naive, drift, "
        "ARIMA, ETS and Theta baselines on the shipped exchange-rate data (or "
        "simulated stock prices), backtest them on the same rolling-origin folds, "
        "print the leaderboard and write an HTML report. About two minutes on two "
        "CPU cores; --quick takes seconds.",
    )
    add("--out", default="report.html", metavar="HTML", help="(report.html)")
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
    add("--results", metavar="FILE", help="also save the results (.csv, .parquet)")
    add("--seed", type=int, default=0, help="random seed of the networks (0)")
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
    add("data", metavar="DATA", help="CSV or Parquet file")
    add("--target", metavar="COLS", help="column(s) to forecast (Close)")
    add("--horizon", type=num, default=5, metavar="H", help="steps forecast (5)")
    add("--features", metavar="COLS", help="input columns (supervised mode)")
    add("--output-head", choices=("single", "multi"), default="single")
    add("--quantiles", metavar="LEVELS", help="e.g. 0.05,0.95 (default) or none")
    add("--out", required=True, metavar="MODEL", help="model file to write")

    add = command(
        "predict",
        ("data",),
        "predict from every row of a data file with a saved model",
        "For every row of DATA, the prediction made with data up to that row: the "
        "next values of each target (forecasting mode, columns <target>_h1, ...) or "
        "the per-row targets (supervised mode). When DATA continues the data the "
        "model was fitted on, that history is the context of its first rows.",
    )
    add("model", metavar="MODEL", help="model file written by 'tsattn fit'")
    add("data", metavar="DATA", help="CSV or Parquet file")
    add("--out", metavar="FILE", help=table)

    add = command(
        "forecast",
        ("data",),
        "forecast the steps after a data file with a saved model",
        "Forecast the steps after the data. Rows of DATA after the last one the "
        "model has seen are fed to it first, without refitting, so DATA can be the "
        "training file with newer rows appended.",
    )
    add("model", metavar="MODEL", help="model file written by 'tsattn fit'")
    add("data", metavar="DATA", help="CSV or Parquet file")
    add("--steps", type=num, metavar="H", help="steps (the model's horizon)")
    add("--out", metavar="FILE", help=table)

    add = command(
        "backtest",
        ("data", "net"),
        "rolling-origin backtest of several models on a data file",
        "Backtest models on the same rolling-origin folds at the end of DATA, print "
        "the leaderboard (MAE, RMSE, MASE, interval coverage, Diebold-Mariano test "
        "against naive) and write an HTML report. Models: "
        + "; ".join(f"{k}: {v}" for k, v in MODELS.items())
        + ".",
    )
    add("data", metavar="DATA", help="CSV or Parquet file")
    add("--target", metavar="COLS", help="column(s) to forecast, each a series")
    add("--models", default=_DEFAULT_MODELS, help=f"names ({_DEFAULT_MODELS})")
    add("--horizon", type=num, default=5, metavar="H", help="steps forecast (5)")
    add("--folds", type=num, default=10, metavar="K", help="number of folds (10)")
    add("--step", type=num, metavar="S", help="rows between cutoffs (the horizon)")
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


_DEFAULT_MODELS = "naive,drift,arima,ets,theta,mha,sa"
_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _cmd_demo,
    "fit": _cmd_fit,
    "predict": _cmd_predict,
    "forecast": _cmd_forecast,
    "backtest": _cmd_backtest,
    "report": _cmd_report,
}


def _torch_threads(n_threads: int | None) -> contextlib.AbstractContextManager[None]:
    """Run the command with ``n_threads`` torch CPU threads, then restore them.

    Small networks train several times faster on one thread than on two on a
    busy machine (no waiting on a thread that another process holds up).
    """
    from tsattn.training import torch_threads

    return torch_threads(n_threads)


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    print(f"{PROG}: warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: Sequence[str | os.PathLike[str]] | None = None) -> int:
    """Run the ``tsattn`` command line.

    Parameters
    ----------
    argv : sequence of str or path-like, optional
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when the command failed (one line on
        stderr says why; ``--debug`` shows the traceback instead), 2 for a
        malformed command line, 130 when interrupted, 141 when the reader of
        stdout closed it.
    """
    parser = build_parser()
    if argv is not None:
        argv = [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in argv]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    args.quiet = getattr(args, "quiet", False)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        warnings.showwarning = _show_warning
        try:
            with _torch_threads(getattr(args, "threads", None)):
                return int(args.func(args))
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            # The reader of stdout went away (``| head``): stop quietly, as
            # a command killed by SIGPIPE would.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        except Exception as exc:
            if args.debug:
                raise
            expected = (ValueError, TypeError, KeyError, OSError, ImportError)
            text = _one_line(exc)
            if not isinstance(exc, expected):
                text = (
                    f"{type(exc).__name__}: {text} (unexpected; rerun with --debug "
                    "for the traceback)"
                )
            print(f"{PROG}: error: {text}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
