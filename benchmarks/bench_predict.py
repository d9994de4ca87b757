"""Prediction latency of the default AttentionForecaster, one series and batched.

The model (default parameters: window_length=64, d_model=64, n_heads=4,
n_layers=2, patch_len=8, horizon=5) is fitted for one epoch on the Close column
of ``make_stock_like("gbm", n_steps=2000)``, capped at 20 optimiser steps (the
figures do not depend on how well it is trained). Then, on the CPU:

* ``forecast()``: the next ``horizon`` steps after the data seen (the
  single-series online case);
* ``predict(X.iloc[-1:])``: one row of pandas input;
* ``predict(X.iloc[-64:])``: one full window of pandas input (64 rows out);
* ``predict_module`` on one window: the network alone, without the estimator's
  input checks and output frames;
* a bare ``module(x)`` forward under ``torch.inference_mode``: the floor;
* ``module.to(cpu)`` + ``.eval()`` + ``.train(False)``: the module bookkeeping
  ``predict_module`` does on every call;
* ``predict(X)`` over 2,000 rows in one batched pass, as rows per second.

Each single-call figure is the median (with the 90th percentile and the
minimum) of ``--repeats`` calls after warm-up, the cases interleaved. On a
shared machine the minimum is the best guide to the cost on a quiet one.
``--profile`` adds a cProfile of ``forecast()``; ``--threads`` sets torch's
intra-op threads.

Run: ``python benchmarks/bench_predict.py`` (about a minute on 2 cores);
``--markdown`` also prints a Markdown table.
"""

import argparse
import cProfile
import io
import os
import platform
import pstats
import statistics
import time
import warnings

import numpy as np
import torch

from tsattn.datasets import make_stock_like
from tsattn.estimators import AttentionForecaster
from tsattn.fitting.predict import predict_module
from tsattn.windows.ending import windows_ending_at_rows

TARGET_MS = 5.0


def _timed(fns: dict, repeats: int, warmup: int = 20) -> dict[str, list[float]]:
    """Wall times of every ``fn()`` in ms, sorted; the calls are interleaved.

    Interleaving spreads the noise of a shared machine evenly over the cases.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: sorted(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--batch-repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    bars = make_stock_like("gbm", n_steps=2000, random_state=0)
    X = bars[["Close"]]
    model = AttentionForecaster(
        max_epochs=1, max_steps_per_epoch=20, device="cpu", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(X)
        fit_s = time.perf_counter() - t0
    L = model.window_length
    module = model.module_
    tail = model._history_tail()
    one_window = windows_ending_at_rows(tail[:-1], tail[-1:], L)
    x = torch.from_numpy(one_window.get_batch(np.arange(1))[0])

    def bare_forward():
        with torch.inference_mode():
            module(x)

    def bookkeeping():
        # What predict_module does to the module on every call besides forward.
        module.to(torch.device("cpu"))
        module.eval()
        module.train(False)

    cases = {
        "forecast()": model.forecast,
        "predict(X.iloc[-1:])": lambda: model.predict(X.iloc[-1:]),
        f"predict(X.iloc[-{L}:])": lambda: model.predict(X.iloc[-L:]),
        "predict_module(one window)": lambda: predict_module(module, one_window),
        "module(x) forward, inference_mode": bare_forward,
        "module .to() + .eval() + .train()": bookkeeping,
    }
    times = _timed(cases, args.repeats)
    rows = [
        (name, statistics.median(t), t[int(0.9 * (len(t) - 1))], t[0])
        for name, t in times.items()
    ]

    batch_times = []
    model.predict(X)  # warm-up
    for _ in range(args.batch_repeats):
        t0 = time.perf_counter()
        out = model.predict(X)
        batch_times.append(time.perf_counter() - t0)
    batch_s = statistics.median(batch_times)

    print(
        f"AttentionForecaster defaults (n_params={model.n_params_}, L={L}, "
        f"horizon={model.horizon}), fitted 1 epoch in {fit_s:.1f} s; "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"{platform.machine()}"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average over the last minute: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'call':<38} {'median ms':>10} {'p90 ms':>8} {'min ms':>8}")
    for name, med, p90, low in rows:
        flag = "  > target" if med >= TARGET_MS else ""
        print(f"{name:<38} {med:>10.2f} {p90:>8.2f} {low:>8.2f}{flag}")
    n = len(X)
    print(
        f"predict(X), {n} rows in one batched pass: {batch_s * 1e3:.0f} ms "
        f"= {n / batch_s:,.0f} rows/s (output {out.shape})"
    )
    if args.markdown:
        print("\n| call | median ms | p90 ms | min ms |\n|---|---:|---:|---:|")
        for name, med, p90, low in rows:
            print(f"| `{name}` | {med:.2f} | {p90:.2f} | {low:.2f} |")
        print(
            f"| `predict(X)`, {n} rows, one pass | {batch_s * 1e3:.0f} "
            f"({n / batch_s:,.0f} rows/s) | | {min(batch_times) * 1e3:.0f} |"
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(200):
            model.forecast()
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
        print("\ncProfile of 200 x forecast(), by cumulative time:")
        print(stream.getvalue())


if __name__ == "__main__":
    main()
