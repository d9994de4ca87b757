"""Long-horizon forecasting (LTSF) benchmark: Exchange and ETTh1, the standard protocol.

The protocol of Informer / Autoformer / DLinear / PatchTST, applied to the public
estimators only:

* chronological split: Exchange 0.7 / 0.1 / 0.2 of the rows with ``int()``
  truncation (train 5311, val 760, test 1517 rows); ETTh1 rows [0, 8640) /
  [8640, 11520) / [11520, 14400) (later rows are not used);
* every channel z-scored with the train rows' mean and population std;
* stride-1 windows; the first test target is the first test row, so the
  lookback of the first test windows reaches back into the validation rows;
* MSE and MAE on the z-scored values, averaged over all test windows, channels
  and steps (no window is dropped);
* multivariate in and out, horizons 96 / 192 / 336 / 720.

The estimator is fitted on the train + validation rows with
``validation_fraction`` chosen so that its own early-stopping hold-out is
exactly the standard validation windows (targets in the validation rows) and
its training windows are exactly the standard training windows (targets in the
train rows). Test rows are never seen in ``fit``. All test windows are then
forecast in one batched ``predict`` call: row ``t`` of ``predict(Z)`` is the
forecast of rows ``t+1 .. t+H`` made from rows up to ``t``.

Hyperparameters are chosen on the validation windows only: ``--val-only``
fits and prints the validation MSE without touching the test rows.

Examples
--------
    python benchmarks/ltsf.py --quick
    python benchmarks/ltsf.py --data exchange --horizons 96 192 336 720
    python benchmarks/ltsf.py --data etth1 --horizons 96 --val-only --patch-len 16
    python benchmarks/ltsf.py --data etth1 --window-length 512 --patch-len 16 \
        --d-model 32 --epochs 10 --max-steps 60 --learning-rate 1e-4 --linear-skip \
        --significance 0.05

The table's last column says how each fit started: whether the linear skip kept
its ridge start (and the p-value of its test against the last value), and
whether the trained weights or the start were kept by the significance gate.

ETTh1 (CC BY-ND 4.0, Zhou et al., AAAI 2021) is read in place and transformed
at load time only; no modified copy is written.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from attention_runs import LABELS, add_network_arguments, build, start_run

HORIZONS = (96, 192, 336, 720)

DATA_DIR = Path(
    os.environ.get(
        "TSATTN_LTSF_DATA",
        Path(__file__).resolve().parents[2] / "shared" / "data",
    )
)
FILES = {"exchange": "exchange_rate.csv", "etth1": "ETTh1.csv"}

# Published test MSE / MAE (multivariate), one row per model and data set;
# "Repeat, all windows" recomputed on every window.
PUBLISHED_FILE = Path(__file__).with_name("ltsf_published.csv")


Published = dict[str, dict[str, dict[int, tuple[float, float]]]]


def read_published(path: Path = PUBLISHED_FILE) -> Published:
    """Published figures: data set -> model -> horizon -> (MSE, MAE)."""
    table: Published = {}
    for row in pd.read_csv(path).itertuples(index=False):
        table.setdefault(row.data, {})[row.model] = {
            h: (getattr(row, f"mse_{h}"), getattr(row, f"mae_{h}")) for h in HORIZONS
        }
    return table


PUBLISHED = read_published()


@dataclass
class Split:
    """A z-scored data set and its split borders (row indices)."""

    name: str
    Z: np.ndarray  # (n, C) float64, z-scored with the train rows' statistics
    columns: list[str]
    train_end: int
    val_end: int
    test_end: int


@dataclass
class Score:
    """One model's figures at one horizon."""

    model: str
    horizon: int
    mse: float
    mae: float
    n_windows: int
    val_mse: float = math.nan
    fit_s: float = math.nan
    fit_cpu_s: float = math.nan
    predict_s: float = math.nan
    n_params: int = 0
    epochs: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------- data
def load(name: str, data_dir: Path = DATA_DIR) -> Split:
    """Read one data set in place, split it and z-score it with the train rows.

    Parameters
    ----------
    name : {"exchange", "etth1"}
        Which data set.
    data_dir : Path
        Folder holding ``exchange_rate.csv`` and ``ETTh1.csv``.

    Returns
    -------
    Split
        The z-scored values (only the rows the protocol uses) and the borders.
    """
    if name not in FILES:
        raise ValueError(f"Unknown data set {name!r}; expected one of {sorted(FILES)}.")
    path = data_dir / FILES[name]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found. Set TSATTN_LTSF_DATA to the folder holding "
            f"{FILES[name]}."
        )
    frame = pd.read_csv(path)
    columns = [c for c in frame.columns if c != "date"]
    values = frame[columns].to_numpy(dtype=np.float64)
    if name == "exchange":
        n = len(values)
        train_end = int(n * 0.7)
        n_test = int(n * 0.2)
        val_end = n - n_test
        test_end = n
    else:
        train_end, val_end, test_end = 12 * 30 * 24, 16 * 30 * 24, 20 * 30 * 24
    values = values[:test_end]
    mean = values[:train_end].mean(axis=0)
    std = values[:train_end].std(axis=0)  # population std (ddof=0)
    Z = (values - mean) / std
    return Split(name, Z, columns, train_end, val_end, test_end)


def window_targets(Z: np.ndarray, first: int, end: int, horizon: int) -> np.ndarray:
    """Targets ``(n, C, H)`` of windows with first target row in [first, end - H]."""
    view = np.lib.stride_tricks.sliding_window_view(Z[first:end], horizon, axis=0)
    return view  # (end - first - H + 1, C, H)


def score(pred: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """MSE and MAE over every window, channel and step."""
    err = np.asarray(pred, dtype=np.float64) - target
    return float(np.mean(err**2)), float(np.mean(np.abs(err)))


def repeat_scores(split: Split, horizon: int) -> tuple[Score, float]:
    """The last-value forecast on all test windows, and its validation MSE."""
    Z = split.Z
    t = window_targets(Z, split.val_end, split.test_end, horizon)
    last = Z[split.val_end - 1 : split.test_end - horizon][:, :, None]  # (n, C, 1)
    mse, mae = score(np.broadcast_to(last, t.shape), t)
    tv = window_targets(Z, split.train_end, split.val_end, horizon)
    lv = Z[split.train_end - 1 : split.val_end - horizon][:, :, None]
    val_mse, _ = score(np.broadcast_to(lv, tv.shape), tv)
    return Score(
        "Repeat (last value)", horizon, mse, mae, len(t), val_mse=val_mse
    ), val_mse


# ------------------------------------------------------------------ models
def make_model(
    kind: str, horizon: int, n_windows: int, n_val: int, args: argparse.Namespace
) -> Any:
    """Build the multi-head or self-attention forecaster for one horizon."""
    return build(
        kind,
        args,
        horizon=horizon,
        d_ff=args.d_ff,
        patch_stride=args.patch_stride,
        channel_independent=not args.channel_mixing,
        revin=not args.no_revin,
        output_head=args.output_head,
        linear_skip=args.linear_skip,
        significance=args.significance,
        weight_decay=args.weight_decay,
        early_stopping=True,
        # the estimator holds out round(fraction * n_windows) windows: the
        # standard validation windows exactly
        validation_fraction=n_val / n_windows,
        verbose=args.verbose,
    )


def fit_and_score(
    kind: str, split: Split, horizon: int, args: argparse.Namespace
) -> Score:
    """Fit on train + val rows (val = early-stopping hold-out); score the test."""
    Z = split.Z
    L = args.window_length
    fit_rows = Z[: split.val_end].astype(np.float32)
    n_windows = split.val_end - L - horizon + 1
    n_val = split.val_end - horizon - split.train_end + 1
    if n_windows - n_val < 2:
        raise ValueError(
            f"window_length + horizon (= {L + horizon}) leaves fewer than 2 training "
            f"windows in the {split.train_end} train rows of {split.name}; reduce "
            "--window-length."
        )
    model = make_model(kind, horizon, n_windows, n_val, args)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(fit_rows)
    fit_s = time.perf_counter() - start
    fit_cpu_s = time.process_time() - cpu_start
    label = f"{LABELS[kind]} (L={L})"
    # validation MSE in the same z-scored units as the test figures
    val_pred, _ = forecast_rows(model, Z, split.train_end, split.val_end, L, horizon)
    val_target = window_targets(Z, split.train_end, split.val_end, horizon)
    val_mse, _ = score(val_pred, val_target)
    result = Score(
        label,
        horizon,
        math.nan,
        math.nan,
        0,
        val_mse=val_mse,
        fit_s=fit_s,
        fit_cpu_s=fit_cpu_s,
        n_params=int(model.n_params_),
        epochs=f"{model.best_epoch_}/{model.n_epochs_}",
        extra={"start": describe_start(model)},
    )
    if args.val_only:
        return result
    pred, result.predict_s = forecast_rows(
        model, Z, split.val_end, split.test_end, L, horizon
    )
    target = window_targets(Z, split.val_end, split.test_end, horizon)
    if pred.shape != target.shape:
        raise RuntimeError(
            f"prediction shape {pred.shape} != target shape {target.shape}"
        )
    result.mse, result.mae = score(pred, target)
    result.n_windows = len(target)
    return result


def forecast_rows(
    model: Any, Z: np.ndarray, first: int, end: int, L: int, horizon: int
) -> tuple[np.ndarray, float]:
    """Forecasts ``(n, C, H)`` of every window whose targets lie in rows [first, end).

    One batched pass: windows ending at rows first - 1 .. end - H - 1; only the
    rows whose lookback is complete inside the slice are used. Returns the
    forecasts and the seconds ``predict`` took.
    """
    first_row, last_row = first - 1, end - horizon - 1
    lo = first_row - (L - 1)
    start = time.perf_counter()
    flat = model.predict(Z[lo : last_row + 1].astype(np.float32))  # (n, C*H)
    seconds = time.perf_counter() - start
    pred = flat[L - 1 :].reshape(-1, Z.shape[1], horizon)  # target-major
    return pred, seconds


def describe_start(model: Any) -> str:
    """How the fit started and ended: linear skip start, and the DM gate."""
    parts = []
    for fit in model.linear_skip_fit_:
        p = fit.get("p_value")
        parts.append(
            f"skip {fit['kept']} (alpha {fit['alpha']:g}"
            + (f", p {p:.3g})" if p is not None else ")")
        )
    test = model.start_test_
    if test:
        parts.append(f"{test['kept']} kept (p {test['p_value']:.3g})")
    return "; ".join(parts) or "-"


# ------------------------------------------------------------------ output
def fmt(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.3f}"


def print_table(
    name: str, horizons: list[int], scores: list[Score], val_only: bool
) -> None:
    """Print MSE / MAE per model and horizon, published numbers, fit time and size."""
    models: list[str] = []
    for s in scores:
        if s.model not in models:
            models.append(s.model)
    by = {(s.model, s.horizon): s for s in scores}
    head = "| model | " + " | ".join(str(h) for h in horizons) + " |"
    rule = "|---|" + "---|" * len(horizons)
    what = "validation MSE" if val_only else "test MSE / MAE"
    print(f"\n### {name}: {what}\n")
    print(head)
    print(rule)
    for m in models:
        cells = []
        for h in horizons:
            s = by.get((m, h))
            if s is None:
                cells.append("-")
            elif val_only:
                cells.append(fmt(s.val_mse))
            else:
                cells.append(f"{fmt(s.mse)} / {fmt(s.mae)}")
        print(f"| {m} | " + " | ".join(cells) + " |")
    if not val_only:
        for m, table in PUBLISHED[name].items():
            cells = [
                f"{table[h][0]:.3f} / {table[h][1]:.3f}" if h in table else "-"
                for h in horizons
            ]
            print(f"| {m} | " + " | ".join(cells) + " |")
    fitted = [s for s in scores if math.isfinite(s.fit_s)]
    if fitted:
        print(f"\n{name}: training runs\n")
        print(
            "| model | H | val MSE | Repeat val MSE | fit wall s | fit CPU s | "
            "predict s | params | best/epochs | start |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for s in fitted:
            rep = by.get(("Repeat (last value)", s.horizon))
            print(
                f"| {s.model} | {s.horizon} | {s.val_mse:.4f} | "
                f"{rep.val_mse if rep else math.nan:.4f} | {s.fit_s:.0f} | "
                f"{s.fit_cpu_s:.0f} | "
                f"{s.predict_s:.1f} | {s.n_params:,} | {s.epochs} | "
                f"{s.extra.get('start', '-')} |"
            )
    sys.stdout.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=("exchange", "etth1", "all"), default="all")
    p.add_argument("--horizons", type=int, nargs="+", default=list(HORIZONS))
    p.add_argument(
        "--window-length",
        type=int,
        default=None,
        help="lookback; default 96 for exchange, 336 for etth1",
    )
    add_network_arguments(
        p, patch_len=16, d_model=64, dropout=0.2, epochs=10, batch_size=128, patience=3
    )
    p.add_argument(
        "--patch-stride", type=int, default=None, help="None: patch_len (no overlap)"
    )
    p.add_argument("--d-ff", type=int, default=None)
    p.add_argument("--output-head", choices=("single", "multi"), default="multi")
    p.add_argument(
        "--channel-mixing",
        action="store_true",
        help="one token per step over all channels (default: channel-independent)",
    )
    p.add_argument("--no-revin", action="store_true")
    p.add_argument(
        "--linear-skip",
        action="store_true",
        help="add the linear map from each channel's window to its forecast",
    )
    p.add_argument(
        "--significance",
        type=float,
        default=None,
        help="keep trained weights only if they beat the start by a DM test "
        "at this level on the validation windows",
    )
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument(
        "--val-only",
        action="store_true",
        help="fit and report the validation MSE only (for tuning); no test rows",
    )
    p.add_argument("--quick", action="store_true", help="tiny smoke test (seconds)")
    p.add_argument("--verbose", type=int, default=0)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    names = ["exchange", "etth1"] if args.data == "all" else [args.data]
    if args.quick:
        args.horizons = [96]
        args.epochs = 1
        args.max_steps = 3
        args.d_model = 16
        args.n_layers = 1
        args.n_heads = 2
    print(f"{start_run('ltsf', args)}, device {args.device}")
    total_start = time.perf_counter()
    for name in names:
        split = load(name)
        run_args = argparse.Namespace(**vars(args))
        if run_args.window_length is None:
            run_args.window_length = 96 if name == "exchange" else 336
        if args.quick:
            run_args.window_length = 96
        print(
            f"# {name}: rows {split.train_end}/{split.val_end - split.train_end}/"
            f"{split.test_end - split.val_end} (train/val/test), {split.Z.shape[1]} "
            f"channels, L={run_args.window_length}, patch_len={run_args.patch_len}, "
            f"d_model={run_args.d_model}, heads={run_args.n_heads}, "
            f"layers={run_args.n_layers}, "
            f"dropout={run_args.dropout}, lr={run_args.learning_rate}, "
            f"epochs={run_args.epochs}, max_steps={run_args.max_steps}, "
            f"head={run_args.output_head}, CI={not run_args.channel_mixing}, "
            f"revin={not run_args.no_revin}, linear_skip={run_args.linear_skip}, "
            f"significance={run_args.significance}"
        )
        scores: list[Score] = []
        for h in args.horizons:
            rep, _ = repeat_scores(split, h)
            scores.append(rep)
            for kind in args.models:
                s = fit_and_score(kind, split, h, run_args)
                scores.append(s)
                print(
                    f"#   {name} H={h} {s.model}: val {s.val_mse:.4f} (Repeat "
                    f"{rep.val_mse:.4f}), test {s.mse:.4f} / {s.mae:.4f} (Repeat "
                    f"{rep.mse:.4f} / {rep.mae:.4f}), fit "
                    f"{s.fit_s:.0f}s (CPU {s.fit_cpu_s:.0f}s), {s.n_params:,} params, "
                    f"epochs {s.epochs}, start: {s.extra.get('start', '-')}"
                )
                sys.stdout.flush()
        print_table(name, args.horizons, scores, args.val_only)
    print(f"\n# total wall time {time.perf_counter() - total_start:.0f}s")


if __name__ == "__main__":
    main()
