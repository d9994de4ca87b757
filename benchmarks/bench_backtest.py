"""Backtest engine benchmarks: ARIMA refit vs state update, and n_jobs=1 vs 2.

Part 1 -- one ARIMA(1, 1, 1) (``tsattn.baselines.ARIMAForecaster(order=(1, 1, 1))``,
statsmodels ``SARIMAX`` underneath) on a simulated 5,000-point ARIMA(1, 1, 1) path,
rolling origin over 200 folds (horizon 5, step 1: cutoffs at rows 4795 .. 4994),
run three ways through ``tsattn.backtest``, the function:

* ``refit``: the parameters are re-estimated at every fold (``refit=True``);
* ``update``: fitted once at the first cutoff, then each later origin is reached
  through ``ARIMAForecaster.update`` (statsmodels ``results.extend``, a Kalman
  filter step over the new row, parameters kept) + ``forecast(5)``
  (``refit=False``, the default ``advance="auto"``, which keeps the intervals);
* ``predict``: fitted once, then one batched ``ARIMAForecaster.predict`` over the
  199 later rows (a single filter pass; ``refit=False, advance="predict"``).

The state-update forecasts are checked against statsmodels called directly:
``SARIMAX(y[:4796], order=(1, 1, 1)).fit()`` then, for each cutoff ``c``,
``results.append(y[4796:c + 1])`` (``refit=False`` is statsmodels' default)
``.forecast(5)``. They should agree to ~1e-8. Against the refit path they differ
by the drift of the re-estimated parameters, which is reported together with the
forecast RMSE for scale.

Part 2 -- the whole multi-model backtest: naive, drift, ARIMA (order chosen by
AIC over p, q <= 2 with d from ADF tests), ETS (additive damped trend) and Theta
on 4 simulated price series of 400 points, horizon 5, 12 folds, refit at every
fold, run with ``n_jobs=1`` and ``n_jobs=2`` (joblib's loky processes, warmed up
first so that worker start-up and imports are not timed). On a shared machine
the speed-up depends on how much of the second core is free, so the script
first times a pure-Python CPU-bound job with ``n_jobs=1`` and ``2`` and prints
that speed-up too: the most any parallel run could gain at that moment.

Part 3 -- the cost of ``track_memory=True`` (tracemalloc around each fit): the
same ARIMA(1, 1, 1) refit backtest, 1,000 points, 20 folds, with and without.

BLAS threads: the script runs with one BLAS thread per process
(``threadpoolctl.threadpool_limits(1, "blas")``; ``--blas-threads`` changes it,
0 keeps the library default). statsmodels' state-space matrices are tiny, so
BLAS threads buy nothing, and on a busy machine OpenBLAS's spinning threads
oversubscribe the cores and slow every fit down many times over; joblib's loky
workers already cap themselves at ``cpu_count // n_jobs`` threads, so without
the cap ``n_jobs=1`` would be compared with a differently threaded ``n_jobs=2``.

Run: ``python benchmarks/bench_backtest.py`` (about 3 minutes on 2 cores with
one BLAS thread, most of it the 200 ARIMA refits); ``--folds`` changes the Part
1 fold count.
"""

import argparse
import os
import platform
import time
import warnings

import joblib
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from tsattn.backtesting import backtest
from tsattn.baselines import (
    ARIMAForecaster,
    DriftForecaster,
    ETSForecaster,
    NaiveForecaster,
    ThetaForecaster,
)

TIMING = ["fit_seconds", "predict_seconds", "n_params", "peak_memory_mb"]


def arima_path(n: int, seed: int, phi: float = 0.5, theta: float = 0.3) -> pd.Series:
    """A simulated ARIMA(1, 1, 1) level series on business days."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 1)
    d = np.zeros(n + 1)
    for t in range(1, n + 1):
        d[t] = phi * d[t - 1] + e[t] + theta * e[t - 1]
    index = pd.bdate_range("2005-01-03", periods=n)
    return pd.Series(100.0 + np.cumsum(d[1:]), index=index, name="y")


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def part1(n_folds: int) -> dict:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = arima_path(5000, seed=0)
    horizon = 5
    kw = {"horizon": horizon, "n_folds": n_folds, "step": 1, "n_jobs": 1}
    model = {"arima": ARIMAForecaster(order=(1, 1, 1))}
    # warm-up: imports and statsmodels' first-call costs are not timed
    backtest(model, y.iloc[:300], horizon=horizon, n_folds=2, step=1)

    upd, t_update = timed(lambda: backtest(model, y, refit=False, **kw))
    pred, t_predict = timed(
        lambda: backtest(model, y, refit=False, advance="predict", **kw)
    )
    refit, t_refit = timed(lambda: backtest(model, y, refit=True, **kw))

    # statsmodels directly: one fit, then append(refit=False) per cutoff
    v = y.to_numpy()
    first = int(np.searchsorted(y.index, upd["cutoff"].iloc[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct, t_fit = timed(
            lambda: SARIMAX(v[: first + 1], order=(1, 1, 1)).fit(disp=False)
        )
        t0 = time.perf_counter()
        ref = []
        for c in np.searchsorted(y.index, upd["cutoff"].unique()):
            res = direct if c == first else direct.append(v[first + 1 : c + 1])
            ref.append(np.asarray(res.forecast(horizon)))
        t_append = time.perf_counter() - t0
    ref = np.concatenate(ref)
    # parameter drift over the refits: n_params is 3 (ar.L1, ma.L1, sigma2)
    errors = refit["y_true"] - refit["y_pred"]
    return {
        "n_folds": n_folds,
        "t_refit": t_refit,
        "t_update": t_update,
        "t_predict": t_predict,
        "t_direct": t_fit + t_append,
        "diff_update_vs_direct": float(np.max(np.abs(upd["y_pred"] - ref))),
        "diff_predict_vs_direct": float(np.max(np.abs(pred["y_pred"] - ref))),
        "diff_q_update_vs_refit": float(
            np.max(np.abs(upd[["q0.05", "q0.95"]] - refit[["q0.05", "q0.95"]]))
        ),
        "diff_refit_vs_update": float(np.max(np.abs(refit["y_pred"] - upd["y_pred"]))),
        "rmse_refit": float(np.sqrt(np.mean(errors**2))),
        "rmse_update": float(np.sqrt(np.mean((upd["y_true"] - upd["y_pred"]) ** 2))),
        "direct_params": np.asarray(direct.params),
    }


def part2() -> dict:
    series = {f"s{i}": arima_path(400, seed=10 + i) for i in range(4)}
    data = pd.DataFrame(series)
    models = {
        "naive": NaiveForecaster(),
        "drift": DriftForecaster(),
        "arima": ARIMAForecaster(),
        "ets": ETSForecaster(trend="add", damped_trend=True),
        "theta": ThetaForecaster(),
    }
    kw = {"horizon": 5, "n_folds": 12, "refit": True}
    # warm-up, also starts the two loky workers (reused by the timed n_jobs=2 run)
    small = data.iloc[:120]
    backtest(models, small, horizon=5, n_folds=2, n_jobs=1)
    backtest(models, small, horizon=5, n_folds=4, n_jobs=2)
    one, t1 = timed(lambda: backtest(models, data, n_jobs=1, **kw))
    two, t2 = timed(lambda: backtest(models, data, n_jobs=2, **kw))
    same = one.drop(columns=TIMING).equals(two.drop(columns=TIMING))
    jobs = [joblib.delayed(spin)(2_000_000) for _ in range(8)]
    _, c1 = timed(lambda: joblib.Parallel(n_jobs=1)(jobs))
    _, c2 = timed(lambda: joblib.Parallel(n_jobs=2)(jobs))
    return {"t1": t1, "t2": t2, "rows": len(one), "identical": same, "ideal": c1 / c2}


def spin(n: int) -> int:
    """Pure-Python CPU work: the parallel speed-up the machine offers right now."""
    total = 0
    for i in range(n):
        total += i % 7
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=200)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--only", type=int, choices=(1, 2, 3), help="run one part")
    args = parser.parse_args()
    print(f"# {platform.machine()} {platform.system()}, {os.cpu_count()} CPU(s)")
    if args.blas_threads > 0:
        with threadpool_limits(limits=args.blas_threads, user_api="blas"):
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    blas = args.blas_threads or "library default"
    print(f"# BLAS threads in the main process: {blas}")

    if args.only in (None, 1):
        report_part1(part1(args.folds))
    if args.only in (None, 2):
        report_part2(part2())
    if args.only in (None, 3):
        part3()


def part3() -> None:
    y = arima_path(1000, seed=3)
    model = {"arima": ARIMAForecaster(order=(1, 1, 1))}
    kw = {"horizon": 5, "n_folds": 20, "step": 5}
    backtest(model, y, horizon=5, n_folds=2)  # warm-up
    plain, t0 = timed(lambda: backtest(model, y, **kw))
    traced, t1 = timed(lambda: backtest(model, y, track_memory=True, **kw))
    print("\n## track_memory: ARIMA(1,1,1), 1,000 points, 20 refits")
    fit0 = plain["fit_seconds"].sum() / kw["horizon"]  # repeated on each step row
    fit1 = traced["fit_seconds"].sum() / kw["horizon"]
    print(f"without : {t0:6.2f} s (fit seconds {fit0:.2f})")
    print(f"with    : {t1:6.2f} s (fit seconds {fit1:.2f})")
    peak = traced["peak_memory_mb"].median()
    print(f"overhead: {t1 / t0:6.2f}x; median peak of a fit {peak:.1f} MiB")


def report_part1(r: dict) -> None:
    print(f"\n## ARIMA(1,1,1), 5,000 points, {r['n_folds']} folds, horizon 5, step 1")
    print(f"refit every fold          : {r['t_refit']:8.2f} s")
    print(f"state update (update+fc)  : {r['t_update']:8.2f} s")
    print(f"state update (1 predict)  : {r['t_predict']:8.2f} s")
    print(f"statsmodels fit + append  : {r['t_direct']:8.2f} s (reference)")
    print(f"speed-up update  vs refit : {r['t_refit'] / r['t_update']:8.1f}x")
    print(f"speed-up predict vs refit : {r['t_refit'] / r['t_predict']:8.1f}x")
    print(f"max |update  - statsmodels append| : {r['diff_update_vs_direct']:.2e}")
    print(f"max |predict - statsmodels append| : {r['diff_predict_vs_direct']:.2e}")
    print(f"max |refit - update| (param drift) : {r['diff_refit_vs_update']:.2e}")
    print(f"max |refit - update| of q0.05/q0.95: {r['diff_q_update_vs_refit']:.2e}")
    rmse = f"{r['rmse_refit']:.4f} / {r['rmse_update']:.4f}"
    print(f"forecast RMSE, refit / update      : {rmse}")
    print(f"params at first cutoff (ar, ma, s2): {np.round(r['direct_params'], 4)}")


def report_part2(p: dict) -> None:
    print("\n## naive, drift, ARIMA (auto), ETS, Theta x 4 series x 12 folds")
    print(f"n_jobs=1 : {p['t1']:8.2f} s   ({p['rows']} result rows)")
    print(f"n_jobs=2 : {p['t2']:8.2f} s")
    print(f"speed-up : {p['t1'] / p['t2']:8.2f}x, identical results: {p['identical']}")
    print(f"speed-up of a pure CPU-bound job, same moment: {p['ideal']:.2f}x")


if __name__ == "__main__":
    main()
