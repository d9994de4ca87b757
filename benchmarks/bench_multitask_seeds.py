"""Seed spread of the multi-task network: one seed or an ensemble, tests or not.

The protocol of ``bench_multitask.py`` (one fit on the first 80% of the rows,
purged to targets known at the cutoff, every later row predicted from data up
to it) on a subset of the exchange-rate panel, for two settings of
:class:`~tsattn.MultiTaskForecaster` (``n_ensemble=1``):

- ``single``: no tests;
- ``single_sig``: ``significance=0.05`` (each task keeps its trained output
  only on Diebold-Mariano evidence against its start);
- ``ens`` / ``ens_sig``: the same with ``n_ensemble=--n-ensemble`` fitted
  directly (slower; the pooled ensembles below cost nothing extra).

Every task's output starts at its trivial baseline (training mean return,
base rate, unconditional variance). The ensemble of ``k`` networks averages
the members' outputs (probabilities, variances, values), so its predictions
are the average of ``k`` single fits' predictions: the summary forms the
ensembles from consecutive seeds of the pool (seeds 0-2, 3-5, ... for
``k = 3``), which costs no extra fit. ``MultiTaskForecaster(n_ensemble=k)``
computes the same average with member seeds derived from ``random_state``.

Each fit's predictions are appended to ``--out`` as soon as it ends, so a run
cut short keeps what it did; ``--summarize-only`` reads them back.

Usage::

    python benchmarks/bench_multitask_seeds.py --series 0 --seeds 0 1 2 3 4 5 \
        --settings single --out single.csv
    python benchmarks/bench_multitask_seeds.py --summarize-only single.csv sig.csv
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd

from benchmarks.bench_multitask import (
    attention,
    protocol,
    score,
    task_baselines,
    task_targets,
)
from tsattn.backtesting import backtest_tasks
from tsattn.datasets import load_exchange_rate


def run(args: argparse.Namespace) -> None:
    rates = load_exchange_rate()
    settings = {
        "single": {},
        "single_sig": {"significance": 0.05},
        "ens": {"n_ensemble": args.n_ensemble},
        "ens_sig": {"n_ensemble": args.n_ensemble, "significance": 0.05},
    }
    mha_multi = {"n_heads": 4, "output_head": "multi"}
    for name in args.series:
        X = rates[[name]].rename(columns={name: "Close"})
        y = task_targets(X["Close"])
        common = {**protocol(y, args.folds), "series": name}
        if args.baselines:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                base = backtest_tasks(task_baselines(), X, y, n_jobs=1, **common)
            base["seed"] = np.nan
            _append(base, args.out)
        for seed in args.seeds:
            for label in args.settings:
                t0 = time.perf_counter()
                model = {label: attention(seed, args, **mha_multi, **settings[label])}
                res = backtest_tasks(model, X, y, on_error="raise", **common)
                res["seed"] = seed
                _append(res, args.out)
                scores = {t: score(g) for t, g in res.groupby("task")}
                print(
                    f"{name}: {label} seed {seed} {time.perf_counter() - t0:.0f} s "
                    f"(loaded machine) {scores}",
                    flush=True,
                )


def _append(frame: pd.DataFrame, path: str) -> None:
    keep = ["model", "series", "task", "target", "cutoff_pos", "y_true", "y_pred"]
    frame[[*keep, "seed"]].to_csv(
        path, mode="a", header=not os.path.exists(path), index=False
    )


def ensembles(res: pd.DataFrame, k: int) -> pd.DataFrame:
    """Average the predictions of consecutive seeds in groups of ``k``.

    The ensemble is labelled ``<model>_ens<k>`` and seeded by its group number.
    """
    out = []
    seeded = res.dropna(subset=["seed"])
    for (series, model), g in seeded.groupby(["series", "model"]):
        seeds = sorted(g["seed"].unique())
        for number in range(len(seeds) // k):
            members = seeds[number * k : (number + 1) * k]
            part = g[g["seed"].isin(members)]
            mean = part.groupby(["task", "target", "cutoff_pos"], as_index=False).agg(
                y_true=("y_true", "first"), y_pred=("y_pred", "mean")
            )
            mean["series"], mean["model"] = series, f"{model}_ens{k}"
            mean["seed"] = number
            out.append(mean)
    return pd.concat([res, *out], ignore_index=True)


def summarize(res: pd.DataFrame) -> None:
    names = {"return": "MSE", "direction": "Brier", "variance": "QLIKE"}
    for task, part in res.groupby("task"):
        print(f"\n== {task} ({names[task]}; lower is better)")
        rows = []
        for (series, model), g in part.groupby(["series", "model"]):
            scores = g.groupby("seed", dropna=False).apply(score, include_groups=False)
            row = {"series": series, "model": model, "n": len(scores)}
            if g["seed"].notna().any():
                row.update(
                    mean=scores.mean(),
                    min=scores.min(),
                    max=scores.max(),
                    sd=scores.std(ddof=1),
                    seeds=" / ".join(f"{v:.4g}" for v in scores),
                )
            else:
                row.update(mean=scores.iloc[0])
            rows.append(row)
        table = pd.DataFrame(rows)
        print(table.to_string(index=False, float_format=lambda v: f"{v:.5g}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", nargs="+", default=["0"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["single", "single_sig"],
        choices=["single", "single_sig", "ens", "ens_sig"],
    )
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--max-steps", type=int, default=60)
    parser.add_argument("--n-ensemble", type=int, default=3)
    parser.add_argument(
        "--no-baselines", dest="baselines", action="store_false", default=True
    )
    parser.add_argument("--out", default="multitask_seeds.csv")
    parser.add_argument("--summarize-only", nargs="+", default=None, metavar="CSV")
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.summarize_only is None:
        print(f"{platform.node()} {platform.processor()} {time.strftime('%Y-%m-%d')}")
        run(args)
        paths = [args.out]
    else:
        paths = args.summarize_only
    res = pd.concat([pd.read_csv(p, dtype={"series": str}) for p in paths])
    summarize(ensembles(res, args.n_ensemble))
    print(f"\nwall time {time.perf_counter() - t0:.0f} s (loaded machine)")


if __name__ == "__main__":
    main()
