"""Build training batches three ways: numba kernels, NumPy sliding windows, pandas lags.

For every N (rows), L (window_length) and F (features) the script builds scaled
lookback windows x (B, L, F) -- each window standardised per feature with its own
mean and std -- plus next-step targets y (B, 1, 1), with

* ``numba``: ``tsattn.windows`` -- ``make_windows`` then ``gather`` (into reused
  buffers) and per-window NumPy normalisation over shuffled batches of 256
  (memory O(N));
* ``numpy``: ``sliding_window_view`` -> copy of every window -> normalisation of
  the whole (n_windows, L, F) array (memory O(N * L * F));
* ``numpy-batched``: the same view, fancy-indexed and normalised one batch at a
  time (memory O(N); a reference point, not the textbook path);
* ``pandas``: a ``shift``-based lag matrix (what lag-feature libraries build),
  one column per (lag, feature), then normalised (memory O(N * L * F)).

Each case runs in its own subprocess so that its peak resident memory
(``ru_maxrss``) is its own. Batched paths are timed over a fixed number of
batches (``--batches``, default 200 x 256 windows, best of 3 runs) and their
time for a whole epoch over all windows is extrapolated; the materialising paths
build every window once (a single run). Cases whose estimated memory exceeds
``--mem-limit-gb`` (default 8) are skipped and the memory they would need is
printed instead.

Run: ``python benchmarks/bench_windowing.py`` (about 5 minutes on 2 cores);
``--quick`` runs N = 1e5 only; ``--markdown`` also prints a Markdown table.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

METHODS = ("numba", "numpy", "numpy-batched", "pandas")
BATCH_SIZE = 256
HORIZON = 1
GB = 1e9


def _rss_bytes() -> int:
    """Current resident set size of this process (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _make_data(n: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    # A random walk per feature, float32 throughout (no float64 temporary of N * F).
    values = rng.standard_normal((n, n_features), dtype=np.float32)
    np.cumsum(values, axis=0, out=values)
    values += 100.0
    targets = np.ascontiguousarray(values[:, :1])
    return values, targets


def _n_windows(n: int, window_length: int) -> int:
    return max(0, n - window_length - HORIZON + 1)


def estimate_bytes(method: str, n: int, window_length: int, n_features: int) -> int:
    """Rough peak memory of one case, used to skip cases that cannot fit."""
    data = n * n_features * 4 + n * 4
    full = _n_windows(n, window_length) * window_length * n_features * 4
    batch = BATCH_SIZE * window_length * n_features * 4
    if method == "numba":
        # data + starts (int64) + NaN-row counts of values and targets while indexing
        return data + 3 * (n + 1) * 8 + 4 * batch
    if method == "numpy-batched":
        return data + n * 8 + 6 * batch
    if method == "numpy":
        # the window copy plus the (x - mean) temporary that var() allocates
        return data + 2 * full
    # pandas: L shifted frames, their concatenation, and the normalised array
    return data + 3 * full


def _best_of(run, repeats: int = 3) -> float:
    """Shortest wall time of ``repeats`` runs (timeit's rule: noise only adds)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


# ------------------------------------------------------------------ the methods
def run_numba(values, targets, window_length, n_batches, order_rng):
    from tsattn.windows import gather, make_windows

    # Load (or compile) the kernels outside the timed region.
    tiny = np.ones((8, values.shape[1]), dtype=np.float32)
    gather(tiny, [0], 2)
    make_windows(tiny, tiny[:, :1], window_length=2, horizon=1)

    t0 = time.perf_counter()
    ws = make_windows(values, targets, window_length=window_length, horizon=HORIZON)
    setup = time.perf_counter() - t0
    order = order_rng.permutation(len(ws))[: n_batches * BATCH_SIZE]
    n_features = values.shape[1]
    x = np.empty((BATCH_SIZE, window_length, n_features), dtype=np.float32)
    y = np.empty((BATCH_SIZE, HORIZON, 1), dtype=np.float32)
    n_done = order.shape[0] // BATCH_SIZE * BATCH_SIZE

    def epoch() -> None:
        for i in range(0, n_done, BATCH_SIZE):
            starts = ws.starts[order[i : i + BATCH_SIZE]]
            gather(ws.values, starts, window_length, out=x)
            mean = x.mean(axis=1, keepdims=True)
            std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
            (x - mean) / std
            gather(ws.targets, starts, HORIZON, offset=window_length, out=y)

    elapsed = _best_of(epoch)
    return {"setup_s": setup, "timed_s": elapsed, "windows": n_done, "total": len(ws)}


def run_numpy_batched(values, targets, window_length, n_batches, order_rng):
    from numpy.lib.stride_tricks import sliding_window_view

    t0 = time.perf_counter()
    view = sliding_window_view(values, window_length, axis=0)  # (n - L + 1, F, L)
    total = _n_windows(values.shape[0], window_length)
    setup = time.perf_counter() - t0
    order = order_rng.permutation(total)[: n_batches * BATCH_SIZE]
    n_done = order.shape[0] // BATCH_SIZE * BATCH_SIZE

    def epoch() -> None:
        for i in range(0, n_done, BATCH_SIZE):
            starts = order[i : i + BATCH_SIZE]
            x = view[starts].transpose(0, 2, 1)  # copy (B, L, F)
            mean = x.mean(axis=1, keepdims=True)
            std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
            x = (x - mean) / std
            targets[starts + window_length][:, None, :]

    elapsed = _best_of(epoch)
    return {"setup_s": setup, "timed_s": elapsed, "windows": n_done, "total": total}


def run_numpy(values, targets, window_length, n_batches, order_rng):
    from numpy.lib.stride_tricks import sliding_window_view

    total = _n_windows(values.shape[0], window_length)
    t0 = time.perf_counter()
    view = sliding_window_view(values, window_length, axis=0)[:total]
    x = np.ascontiguousarray(view.transpose(0, 2, 1))  # every window, (n_w, L, F)
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    x -= mean
    x /= std
    y = targets[window_length : window_length + total][:, None, :].copy()
    elapsed = time.perf_counter() - t0
    del x, y
    return {"setup_s": 0.0, "timed_s": elapsed, "windows": total, "total": total}


def run_pandas(values, targets, window_length, n_batches, order_rng):
    import pandas as pd

    total = _n_windows(values.shape[0], window_length)
    n_features = values.shape[1]
    t0 = time.perf_counter()
    df = pd.DataFrame(values, columns=[f"x{f}" for f in range(n_features)])
    # Oldest lag first, so each row reads as a window in time order.
    lags = [
        df.shift(k).add_suffix(f"_lag{k}") for k in range(window_length - 1, -1, -1)
    ]
    lagged = pd.concat(lags, axis=1)
    del lags
    lagged["y"] = df["x0"].shift(-HORIZON)
    lagged = lagged.iloc[window_length - 1 : window_length - 1 + total]
    arr = lagged.to_numpy(dtype=np.float32)
    del lagged
    x = arr[:, :-1].reshape(total, window_length, n_features)
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    x = (x - mean) / std
    elapsed = time.perf_counter() - t0
    del x, arr
    return {"setup_s": 0.0, "timed_s": elapsed, "windows": total, "total": total}


RUNNERS = {
    "numba": run_numba,
    "numpy": run_numpy,
    "numpy-batched": run_numpy_batched,
    "pandas": run_pandas,
}


def run_case(method: str, n: int, window_length: int, n_features: int, batches: int):
    """Run one case in this process and return its figures as a dict."""
    import numba  # noqa: F401  (imported first so the baseline RSS includes it)
    import pandas  # noqa: F401

    baseline = _rss_bytes()
    values, targets = _make_data(n, n_features)
    res = RUNNERS[method](
        values, targets, window_length, batches, np.random.default_rng(1)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    per_window = (window_length * n_features + HORIZON) * 4
    rate = res["windows"] / res["timed_s"]
    return {
        **res,
        "windows_per_s": rate,
        "gb_per_s": rate * per_window / GB,
        "epoch_s": res["setup_s"] + res["total"] / rate,
        "peak_gb": peak / GB,
        "baseline_gb": baseline / GB,
    }


def _fmt_row(method, n, window_length, n_features, res):
    head = f"{method:<14}{n:>9.0e}{window_length:>5}{n_features:>3}"
    if "skipped" in res:
        return f"{head}  skipped: would need ~{res['need_gb']:.1f} GB"
    if "error" in res:
        return f"{head}  {res['error']}"
    return (
        f"{head}{res['windows_per_s']:>14,.0f}{res['gb_per_s']:>8.2f}"
        f"{res['epoch_s']:>10.2f}{res['peak_gb']:>9.2f}"
        f"{res['peak_gb'] - res['baseline_gb']:>9.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, nargs="+", default=[1e5, 1e6, 1e7])
    parser.add_argument("--L", type=int, nargs="+", default=[64, 512])
    parser.add_argument("--F", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--mem-limit-gb", type=float, default=8.0)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--quick", action="store_true", help="N = 1e5 only")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--case", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.case:
        method, n, window_length, n_features = args.case
        res = run_case(
            method, int(float(n)), int(window_length), int(n_features), args.batches
        )
        print(json.dumps(res))
        return 0

    sizes = [1e5] if args.quick else args.n
    print(
        f"batch size {BATCH_SIZE}, horizon {HORIZON}; batched paths timed over "
        f"{args.batches} batches (best of 3), epoch time extrapolated; numba threads: "
        f"{os.environ.get('NUMBA_NUM_THREADS', os.cpu_count())}"
    )
    print(
        f"{'method':<14}{'N':>9}{'L':>5}{'F':>3}{'windows/s':>14}{'GB/s':>8}"
        f"{'epoch s':>10}{'peak GB':>9}{'+data GB':>9}"
    )
    rows = []
    for n in sizes:
        for window_length in args.L:
            for n_features in args.F:
                for method in args.methods:
                    n_int = int(n)
                    need = estimate_bytes(method, n_int, window_length, n_features)
                    if need > args.mem_limit_gb * GB:
                        res = {"skipped": True, "need_gb": need / GB}
                    else:
                        cmd = [
                            sys.executable,
                            __file__,
                            "--batches",
                            str(args.batches),
                            "--case",
                            method,
                            str(n_int),
                            str(window_length),
                            str(n_features),
                        ]
                        try:
                            proc = subprocess.run(
                                cmd,
                                capture_output=True,
                                text=True,
                                timeout=args.timeout,
                                check=False,
                            )
                        except subprocess.TimeoutExpired:
                            res = {"error": f"timed out after {args.timeout:.0f} s"}
                        else:
                            if proc.returncode == 0:
                                res = json.loads(proc.stdout.strip().splitlines()[-1])
                            else:
                                tail = proc.stderr.strip().splitlines()[-1:]
                                res = {"error": f"failed: {' '.join(tail)}"}
                    rows.append((method, n_int, window_length, n_features, res))
                    print(
                        _fmt_row(method, n_int, window_length, n_features, res),
                        flush=True,
                    )
    _print_speedups(rows)
    if args.markdown:
        _print_markdown(rows)
    return 0


def _print_speedups(rows) -> None:
    by_case: dict[tuple[int, int, int], dict[str, dict]] = {}
    for method, n, window_length, n_features, res in rows:
        by_case.setdefault((n, window_length, n_features), {})[method] = res
    print("\nnumba speed-up in windows/s (x):")
    for (n, window_length, n_features), res in by_case.items():
        base = res.get("numba", {}).get("windows_per_s")
        if not base:
            continue
        parts = []
        for other in ("numpy", "numpy-batched", "pandas"):
            rate = res.get(other, {}).get("windows_per_s")
            if rate:
                parts.append(f"vs {other} {base / rate:.1f}")
            elif other in res:
                parts.append(f"vs {other} n/a")
        print(f"  N={n:.0e} L={window_length} F={n_features}: " + ", ".join(parts))


def _print_markdown(rows) -> None:
    print(
        "\n| method | N | L | F | windows/s | GB/s written | epoch s | peak GB "
        "| peak above baseline GB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for method, n, window_length, n_features, res in rows:
        head = f"| {method} | {n:.0e} | {window_length} | {n_features} |"
        if "skipped" in res:
            print(f"{head} skipped: needs ~{res['need_gb']:.1f} GB | | | | |")
        elif "error" in res:
            print(f"{head} {res['error']} | | | | |")
        else:
            print(
                f"{head} {res['windows_per_s']:,.0f} | {res['gb_per_s']:.2f} | "
                f"{res['epoch_s']:.2f} | {res['peak_gb']:.2f} | "
                f"{res['peak_gb'] - res['baseline_gb']:.2f} |"
            )


if __name__ == "__main__":
    sys.exit(main())
