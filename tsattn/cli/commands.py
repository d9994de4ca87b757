"""The handlers of the commands: demo, fit, predict, forecast, backtest, report."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsattn.cli.columns import find_column, numeric_columns, split_list, target_columns
from tsattn.cli.console import PROG, Progress, one_line
from tsattn.cli.files import (
    check_output,
    existing_file,
    is_parquet,
    read_data,
    write_table,
)
from tsattn.cli.leaderboard import attention_maps, backtest_all, write_outputs
from tsattn.cli.models import (
    ATTENTION,
    demo_attention,
    make_model,
    network_params,
    parse_models,
)


def _read(args: argparse.Namespace) -> pd.DataFrame:
    """Read the command's DATA file with its dialect options."""
    return read_data(
        args.data,
        date_col=args.date_col,
        sep=args.sep,
        decimal=args.decimal,
        date_format=args.date_format,
    )


def _emit(frame: pd.DataFrame, out: Path | None, what: str, quiet: bool) -> None:
    """Write ``frame`` (with its index) to ``out`` (checked first), or to stdout."""
    values = frame.to_numpy(dtype=float)
    if np.isinf(values).any():
        row, col = (int(i[0]) for i in np.nonzero(np.isinf(values)))
        raise ValueError(
            f"the {what} overflowed: column {str(frame.columns[col])!r} is "
            f"{values[row, col]} at {frame.index[row]}; nothing was written. Rescale "
            "the data (e.g. take logs) and refit."
        )
    if out is None:
        frame.to_csv(sys.stdout)
        return
    path = write_table(frame, out, index=True)
    if not quiet:
        print(f"{PROG}: {what} written to {path}", file=sys.stderr)


@contextlib.contextmanager
def _failures_seen() -> Iterator[list[dict[str, Any]]]:
    """Collect the folds that ``backtest`` reports as failed, still showing them.

    The warnings carry the entries of ``results.attrs["failures"]``, so the
    list survives the concatenation of several backtests.
    """
    from tsattn.backtesting import BacktestFailureWarning

    seen: list[dict[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("always", BacktestFailureWarning)
        show = warnings.showwarning

        def record(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
            if isinstance(message, BacktestFailureWarning):
                seen.append(message.failure)
            show(message, category, *args, **kwargs)

        warnings.showwarning = record
        yield seen


def _failure_notes(failures: list[dict[str, Any]]) -> str:
    """Return the paragraph of the report that lists the failed folds."""
    lines = [
        f"- {f['model']} on series {f['series']}, fold {f['fold']} (cutoff "
        f"{f['cutoff']}): {f['error']}"
        for f in failures
    ]
    return (
        f"Failed folds ({len(failures)}): these forecasts could not be made and are "
        "left out of every score below.\n" + "\n".join(lines)
    )


def _finish(results: pd.DataFrame, failures: list[dict[str, Any]]) -> int:
    """Return the exit status of a backtest: 1 when any fold failed."""
    if not failures:
        return 0
    models = sorted({str(f["model"]) for f in failures})
    print(
        f"{PROG}: error: {len(failures)} fold(s) failed (model(s) "
        f"{', '.join(models)}); the results and the report hold the "
        f"{len(results)} rows that finished.",
        file=sys.stderr,
    )
    return 1


def _run_backtests(*args: Any, **kwargs: Any) -> tuple[pd.DataFrame, list[Any]]:
    """Run ``backtest_all``, keeping the failed folds; refuse if nothing finished."""
    with _failures_seen() as failures:
        results = backtest_all(*args, **kwargs)
    results.attrs["failures"] = failures
    finished = results["y_pred"].notna().any() if len(results) else False
    if not finished:
        raise ValueError(
            f"every model failed on every fold ({len(failures)} failure(s), first: "
            f"{failures[0]['model']}: {failures[0]['error']}); nothing to report."
            if failures
            else "the backtest produced no forecasts."
        )
    return results, failures


def _quantiles(text: str | None) -> tuple[float, ...] | None:
    if text is None or text.lower() == "none":
        return None
    try:
        levels = tuple(float(q) for q in split_list(text))
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


def _attention_params(args: argparse.Namespace) -> dict[str, Any]:
    return {
        **network_params(args),
        "linear_skip": args.linear_skip,
        "significance": args.significance,
        "random_state": args.seed,
    }


def _load_model(path: str) -> Any:
    from tsattn.persistence import load

    return load(existing_file(path, "MODEL"))


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
    X = numeric_columns(frame, [by_str[n] for n in names], missing)
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

        kinds = split_list(series) or ["ar1", "garch", "regime"][:n_default]
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
    names = split_list(series) if series and series != "all" else []
    names = names or list(full.columns)[:n_default]
    cols = [find_column(full, c, "--series") for c in names]
    data = full[cols].iloc[-n_rows:]
    note = (
        "Data: the daily exchange-rate panel of Lai et al. (SIGIR 2018) shipped with "
        f"tsattn, last {len(data)} rows of series {', '.join(cols)}. Its dates are "
        "consecutive calendar days, a benchmark convention."
    )
    return data, note


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``tsattn demo``: the multi-task comparison, then the price models."""
    from tsattn.cli.task_commands import demo_task_stages, demo_tasks, price_path

    out = check_output(args.out, "report")
    results_path = check_output(args.results, "results") if args.results else None
    n_seeds = args.seeds or (2 if args.quick else 5)
    # data, baselines, budget, seeds, report; then data, baselines, 3 nets,
    # maps, report of the price forecasts
    stages = demo_task_stages(n_seeds) + (0 if args.skip_prices else 7)
    progress = Progress(stages, args.quiet)
    progress.say("part 1: returns, direction and variance (the multi-task comparison)")
    run = demo_tasks(
        quick=args.quick,
        seed=args.seed,
        n_seeds=n_seeds,
        report=out,
        results_path=results_path,
        progress=progress,
    )
    if args.skip_prices:
        return _finish(run.results, run.failures)
    print()
    progress.say("part 2: price forecasts against the random walk")
    status = _demo_prices(args, price_path(out), price_path(results_path), progress)
    return max(status, _finish(run.results, run.failures))


def _demo_prices(
    args: argparse.Namespace,
    out: Path | None,
    results_path: Path | None,
    progress: Progress,
) -> int:
    """Run the demo's price forecasts (the second part), return the exit status."""
    attention = demo_attention("prices", args.quick)
    attention["random_state"] = args.seed
    n_rows = args.rows or (200 if args.quick else 1500)
    folds = args.folds or (3 if args.quick else 20)
    horizon = args.horizon
    names = ["naive", "drift", "arima", "ets", "theta", "mha", "sa", "mha_multi"]
    with progress.stage(f"load the {args.data} data"):
        data, provenance = _demo_data(
            args.data, n_rows, args.series, 2 if args.quick else 8
        )

    def make(name: str) -> Any:
        order = (1, 1, 0) if args.quick else None
        return make_model(name, horizon, attention, arima_order=order)

    a = attention
    notes = [
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
    return _backtest_and_report(
        names,
        data,
        make,
        horizon=horizon,
        split={"n_folds": folds},
        refit=0,
        n_jobs=args.n_jobs,
        maps_of="mha",
        notes=notes,
        title=f"tsattn demo: attention vs baselines on the {args.data} data",
        report=out,
        results_path=results_path,
        progress=progress,
    )


def _backtest_and_report(
    names: list[str],
    data: pd.DataFrame,
    make: Callable[[str], Any],
    *,
    horizon: int,
    split: dict[str, Any],
    refit: int | None,
    n_jobs: int | None,
    maps_of: str | None,
    notes: list[str],
    title: str,
    report: Path | None,
    results_path: Path | None,
    progress: Progress,
) -> int:
    """Backtest the price models, print the board, write the outputs.

    ``split`` holds the splitter's options, ``refit`` the folds between
    refits (0 or None: fitted once). ``maps_of`` names the attention model
    whose maps at the last cutoff go into the report (None: no maps). The
    report's notes are ``notes`` and the failed folds. Returns the exit status.
    """
    results, failures = _run_backtests(
        names,
        data,
        horizon=horizon,
        make=make,
        progress=progress,
        refit=refit or False,
        n_jobs=n_jobs,
        **split,
    )
    maps = None
    if maps_of is not None:
        with progress.stage(f"attention maps of {maps_of} at the last cutoff"):
            maps = attention_maps(
                data,
                make(maps_of),
                maps_of,
                horizon=horizon,
                splitter_options=split,
                refit=refit,
            )
    write_outputs(
        results,
        report=report,
        results_path=results_path,
        title=title,
        attention=maps,
        notes="\n\n".join([*notes, *([_failure_notes(failures)] if failures else [])]),
        progress=progress,
    )
    return _finish(results, failures)


def cmd_fit(args: argparse.Namespace) -> int:
    """Run ``tsattn fit``: fit one model on DATA and save it."""
    out = check_output(args.out, "model")
    frame = _read(args)
    targets = target_columns(frame, args.target)
    features = [find_column(frame, n, "--features") for n in split_list(args.features)]
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
        X = numeric_columns(
            frame, list(dict.fromkeys([target, *features])), args.missing
        )
        kind = "cum_log_return" if bool((X[target] > 0).all()) else "level"
        y = make_targets(X[target], kind=kind, horizon=args.horizon)
        model = AttentionForecaster(**params)
        mode = f"supervised, {kind} targets of {target!s} from {len(X.columns)} inputs"
        fit_args: tuple[Any, ...] = (X, y)
    else:
        X = numeric_columns(frame, targets, args.missing)
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


def _saved_model_and_input(args: argparse.Namespace, what: str) -> tuple:
    """Check the output path, load the model, read DATA as the model's input."""
    out = check_output(args.out, what) if args.out else None
    model = _load_model(args.model)
    X = _model_input(model, _read(args), args.missing)
    _check_index_kind(model, X)
    return out, model, X


def cmd_predict(args: argparse.Namespace) -> int:
    """Run ``tsattn predict``: a saved model's predictions for DATA's rows."""
    out, model, X = _saved_model_and_input(args, "predictions")
    pred = model.predict(X)
    _emit(pred, out, "predictions", args.quiet)
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """Run ``tsattn forecast``: a saved model's forecast after DATA ends."""
    out, model, X = _saved_model_and_input(args, "forecast")
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
    _emit(model.forecast(args.steps), out, "forecast", args.quiet)
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run ``tsattn backtest``: rolling-origin backtest of the models on DATA."""
    report = check_output(args.report, "report") if args.report else None
    results_path = check_output(args.results, "results") if args.results else None
    if args.tasks is not None:
        from tsattn.cli.task_commands import backtest_tasks_command

        run = backtest_tasks_command(args, _read(args), report, results_path)
        return _finish(run.results, run.failures)
    for option, value, default in (
        ("--loss", args.loss, None),
        ("--variance", args.variance, "auto"),
    ):
        if value != default:
            raise ValueError(f"{option} applies to --tasks; add --tasks or drop it.")
    from tsattn.cli.parser import DEFAULT_MODELS

    names = parse_models(args.models or DEFAULT_MODELS)
    frame = _read(args)
    data = numeric_columns(frame, target_columns(frame, args.target), args.missing)
    attention = _attention_params(args)
    nets = [n for n in names if n in ATTENTION]
    groups = len(nets) + (len(nets) < len(names))
    progress = Progress(groups + (report is not None) * (1 + bool(nets)), args.quiet)
    split = {"n_folds": args.folds, "step": args.step, "window": args.window}

    def make(name: str) -> Any:
        return make_model(name, args.horizon, attention)

    maps_of = None
    if report is not None and nets:
        maps_of = "mha" if "mha" in nets else nets[0]
    span = f"{data.index[0]} to {data.index[-1]}"
    notes = [
        f"Data: {Path(args.data).name}, column(s) "
        f"{', '.join(str(c) for c in data.columns)}, {len(data)} rows ({span}).",
        f"Backtest: rolling origin, {args.folds} folds of horizon {args.horizon}, "
        f"{args.window} window, "
        + (f"refit every {args.refit} fold(s)." if args.refit else "fitted once."),
    ]
    return _backtest_and_report(
        names,
        data,
        make,
        horizon=args.horizon,
        split=split,
        refit=args.refit,
        n_jobs=args.n_jobs,
        maps_of=maps_of,
        notes=notes,
        title=args.title,
        report=report,
        results_path=results_path,
        progress=progress,
    )


def read_results(path: str) -> pd.DataFrame:
    """Read a backtest results file (CSV or Parquet) written by ``backtest``."""
    file = existing_file(path, "RESULTS")
    try:
        if is_parquet(file):
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(file, dtype={"model": str, "series": str})
    except pd.errors.EmptyDataError:
        raise ValueError(f"{file.name} is empty.") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {file.name} ({one_line(exc)}).") from None
    from tsattn.report import REQUIRED_COLUMNS

    absent = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
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


def cmd_report(args: argparse.Namespace) -> int:
    """Run ``tsattn report``: the HTML report of a saved results file."""
    out = check_output(args.out, "report")
    results = read_results(args.results)
    write_outputs(
        results, report=out, title=args.title, progress=Progress(1, args.quiet)
    )
    return 0
