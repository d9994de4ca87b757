"""Training throughput of TemporalAttentionNet on the CPU, in windows per second.

The issue's setting: one random-walk series, windows of L = 64 steps, horizon
H = 8, d_model = 64, 4 heads, 2 encoder blocks, dropout 0.1, batch 256, AdamW
with gradient clipping, through :func:`tsattn.fitting.loop.fit_module` fed by
:func:`tsattn.windows.make_windows` (a plain-numpy window set when that module
is missing). Variants: one head (self-attention), patches of 8 and 16 steps,
1 and 2 torch threads.

Each variant trains for a fixed number of optimiser steps after a short
warm-up; throughput is ``steps * batch / fit time`` (wall clock) and, beside
it, windows per CPU-second of the process, which moves less when other work
shares the cores. It also reports the import time of ``tsattn.nn`` +
``tsattn.fitting`` and the peak resident set of this process.

When darts is installed, its ``TransformerModel`` with the same settings is
timed in the same run; darts is not a dependency and this script does not
install it.

Run: ``python benchmarks/bench_training.py`` (about 2-4 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch

from tsattn.fitting.loop import fit_module
from tsattn.nn import NetConfig, TaskSpec, TemporalAttentionNet

L, H, BATCH = 64, 8, 256


class _NumpyWindows:
    """Fallback window set over one series (used when tsattn.windows is absent)."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self.starts = np.arange(len(values) - L - H + 1)

    def __len__(self) -> int:
        return len(self.starts)

    def get_batch(self, idx):
        s = self.starts[idx]
        x = self.values[s[:, None] + np.arange(L)]
        y = self.values[s[:, None] + L + np.arange(H)]
        return x, y


def _windows(values: np.ndarray):
    try:
        from tsattn.windows import make_windows
    except ImportError:
        return _NumpyWindows(values), "numpy fallback"
    return make_windows(values, values, window_length=L, horizon=H), "make_windows"


def _import_seconds() -> float:
    code = "import tsattn.nn, tsattn.fitting.loop"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def _run(windows, *, n_heads, patch_len, threads, steps):
    cfg = NetConfig(
        window_length=L,
        n_features=1,
        tasks=(TaskSpec("y", horizon=H, target_channels=(0,)),),
        d_model=64,
        n_heads=n_heads,
        n_layers=2,
        dropout=0.1,
        patch_len=patch_len,
    )
    net = TemporalAttentionNet(cfg, generator=torch.Generator().manual_seed(0))
    common = {
        "batch_size": BATCH,
        "max_epochs": 1,
        "device": "cpu",
        "random_state": 0,
        "n_threads": threads,
        "n_iter_no_change": None,
    }
    fit_module(net, windows, max_steps_per_epoch=2, **common)  # warm-up
    c0 = time.process_time()
    r = fit_module(net, windows, max_steps_per_epoch=steps, **common)
    cpu = time.process_time() - c0
    n = r.n_steps * BATCH
    return n / r.fit_time_s, n / cpu, sum(p.numel() for p in net.parameters())


def _darts(values: np.ndarray, threads: int, n_samples: int) -> str:
    try:
        from darts import TimeSeries
        from darts.models import TransformerModel
    except ImportError:
        return "darts is not installed: no side-by-side figure in this run."
    torch.set_num_threads(threads)
    series = TimeSeries.from_values(values[: n_samples + L + H - 1].astype(np.float32))
    model = TransformerModel(
        input_chunk_length=L,
        output_chunk_length=H,
        d_model=64,
        nhead=4,
        num_encoder_layers=2,
        dropout=0.1,
        batch_size=BATCH,
        n_epochs=1,
        random_state=0,
        pl_trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False},
    )
    t0 = time.perf_counter()
    model.fit(series)
    seconds = time.perf_counter() - t0
    return (
        f"darts TransformerModel, {threads} thread(s): "
        f"{n_samples / seconds:,.0f} windows/s (one epoch of {n_samples} windows)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per variant")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    values = (100 + rng.standard_normal((20_000, 1)).cumsum(axis=0)).astype(np.float32)
    windows, source = _windows(values)
    print(
        f"# bench_training: torch {torch.__version__}, {os.cpu_count()} CPUs, "
        f"{len(windows)} windows from {source}, L={L}, H={H}, batch={BATCH}, "
        f"{args.steps} steps per variant; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"# import tsattn.nn + tsattn.fitting.loop: {_import_seconds():.2f} s")
    print("| variant | threads | params | windows/s (wall) | windows per CPU-s |")
    print("|---|---|---|---|---|")
    variants = [
        ("4 heads, per-step tokens (the issue's setting)", 4, 1),
        ("1 head (self-attention), per-step tokens", 1, 1),
        ("4 heads, patches of 8", 4, 8),
        ("4 heads, patches of 16", 4, 16),
    ]
    for threads in (1, 2):
        for name, n_heads, patch_len in variants:
            wall, per_cpu, params = _run(
                windows,
                n_heads=n_heads,
                patch_len=patch_len,
                threads=threads,
                steps=args.steps,
            )
            print(
                f"| {name} | {threads} | {params:,} | {wall:,.0f} | {per_cpu:,.0f} |",
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# peak resident set of this process: {peak:.0f} MB")
    print(f"# {_darts(values, 2, 75 * BATCH)}")
    print(f"# load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
