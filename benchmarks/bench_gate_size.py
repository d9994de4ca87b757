"""Size of the significance gate: how often it leaves the start on pure random walks.

On a random walk nothing beats the last value, so every fit that replaces its
start (the random walk) with trained weights is a false positive. With
``significance=0.05`` the share of such fits estimates the gate's size; the
held-out windows are split in time (the first half chooses the best epoch,
the later half tests), so it should stay near or below 5%. Three settings:

- ``cheap``: a small network, 3 epochs;
- ``long``: 12 epochs, no early stop (``n_iter_no_change`` = ``max_epochs``),
  a higher learning rate: many chances to fit noise;
- ``short_held_out``: ``validation_fraction=0.05``, a small test span.

Printed per setting: fits, how many had a best epoch past the start (what
selection alone would keep), how many left the start after the test, the
share with its 95% Wilson interval.

Usage::

    python benchmarks/bench_gate_size.py --fits 50
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from tsattn.estimators import AttentionForecaster

BASE = dict(
    window_length=16,
    d_model=8,
    n_heads=2,
    n_layers=1,
    patch_len=4,
    batch_size=32,
    significance=0.05,
)
SETTINGS = {
    "cheap": dict(max_epochs=3),
    "long": dict(max_epochs=12, n_iter_no_change=12, learning_rate=3e-3),
    "short_held_out": dict(max_epochs=6, validation_fraction=0.05),
}


def run(args: argparse.Namespace) -> pd.DataFrame:
    rows = []
    for label in args.settings:
        t0 = time.perf_counter()
        for seed in range(args.fits):
            rng = np.random.default_rng(10_000 + seed)
            walk = 100 + np.cumsum(rng.normal(size=args.n_rows))
            X = pd.DataFrame(
                {"y": walk}, index=pd.bdate_range("2020-01-01", periods=args.n_rows)
            )
            model = AttentionForecaster(
                **BASE, **SETTINGS[label], horizon=args.horizon, random_state=seed
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X)
            test = model.start_test_
            rows.append(
                {
                    "setting": label,
                    "seed": seed,
                    "best_epoch": model.best_epoch_,
                    "left_start": test.get("kept") == "trained",
                    "p_value": test.get("p_value", np.nan),
                    "n_windows": test.get("n_windows", 0),
                }
            )
        print(f"{label}: {time.perf_counter() - t0:.0f} s (loaded machine)", flush=True)
        summarize(pd.DataFrame([r for r in rows if r["setting"] == label]))
    return pd.DataFrame(rows)


def summarize(res: pd.DataFrame) -> None:
    for label, g in res.groupby("setting", sort=False):
        k, n = int(g["left_start"].sum()), len(g)
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        tested = g["n_windows"].median()
        print(
            f"{label}: {n} fits, test windows (median) {tested:.0f}, best epoch > 0 "
            f"before the test in {int((g['p_value'].notna()).sum())}, left the start "
            f"in {k} = {k / n:.1%} (95% CI {lo:.1%} .. {hi:.1%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fits", type=int, default=50)
    parser.add_argument("--n-rows", type=int, default=400)
    parser.add_argument("--horizon", type=int, default=1)
    parser.add_argument(
        "--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS)
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    run(args)
    print(f"wall time {time.perf_counter() - t0:.0f} s (loaded machine)")


if __name__ == "__main__":
    main()
