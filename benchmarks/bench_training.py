"""Training throughput and peak memory beside darts and neuralforecast, in one run.

The setting: one 5,000-step random walk, windows of L = 64 steps, horizon H = 8,
width 64, 4 heads, 2 encoder layers, feed-forward width 128, dropout 0.1, batch
256, 3 epochs' worth of optimiser steps, 2 torch threads. Every model is used as
a new user would, through its public ``fit``:

* per-step tokens: :class:`tsattn.AttentionForecaster` with ``patch_len=1``
  against darts' ``TransformerModel`` (same width, heads, encoder layers and
  feed-forward width; darts adds a decoder, whose layers are set to 2);
* patches of 8: ``AttentionForecaster(patch_len=8)`` against neuralforecast's
  ``PatchTST`` (patches of 8 with stride 8, same width, heads, layers and
  feed-forward width).

Each fit runs in a fresh process, so each peak resident set is its own; a
process that only imports torch gives the baseline the memory target is
measured from. The runs alternate (``A B C D``, then ``B A D C``, ...) so a
busy machine slows every model alike, and each ratio is taken between the two
neighbouring runs of a pair. Throughput is training windows / ``fit`` wall
time, set-up included (what a user waits for); darts and neuralforecast train
without validation, so tsattn is run without early stopping (and so without
its hold-out) too.

darts and neuralforecast are not dependencies. Install them beside tsattn in a
separate environment for this benchmark only, for example::

    python -m venv /tmp/peers && /tmp/peers/bin/pip install torch==2.13.0
    /tmp/peers/bin/pip install darts==0.48.1 neuralforecast==3.3.0
    /tmp/peers/bin/pip install --no-deps -e .
    /tmp/peers/bin/python benchmarks/bench_training.py --reps 3

A peer that is missing is reported as such and its rows are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from training_setting import (
    BATCH,
    D_FF,
    DROPOUT,
    HEADS,
    LAYERS,
    N_STEPS,
    WIDTH,
    H,
    L,
    attention_params,
    n_windows,
    random_walk,
)

#: torch threads per fit (``--threads``); the workers read it from OMP_NUM_THREADS.
THREADS = 2

#: (variant, library, patch length) in the order of the first repetition.
RUNS = [
    ("per-step tokens", "tsattn", 1),
    ("per-step tokens", "darts", 1),
    ("patches of 8", "tsattn", 8),
    ("patches of 8", "neuralforecast", 8),
]


def _fit_tsattn(patch_len: int, epochs: int) -> tuple[int, int]:
    from tsattn import AttentionForecaster

    model = AttentionForecaster(**attention_params(patch_len, epochs))
    model.fit(random_walk())
    return epochs * n_windows(), int(model.n_params_)


#: The Lightning trainer both peers train with: the CPU, and no progress bar,
#: model summary, logger or checkpoints (output a benchmark does not need).
QUIET_CPU_TRAINER = {
    "accelerator": "cpu",
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "logger": False,
    "enable_checkpointing": False,
}


def _fit_darts(patch_len: int, epochs: int) -> tuple[int, int]:
    from darts import TimeSeries
    from darts.models import TransformerModel

    model = TransformerModel(
        input_chunk_length=L,
        output_chunk_length=H,
        d_model=WIDTH,
        nhead=HEADS,
        num_encoder_layers=LAYERS,
        num_decoder_layers=LAYERS,
        dim_feedforward=D_FF,
        dropout=DROPOUT,
        batch_size=BATCH,
        n_epochs=epochs,
        random_state=0,
        pl_trainer_kwargs=QUIET_CPU_TRAINER,
    )
    model.fit(TimeSeries.from_values(random_walk()), verbose=False)
    n_params = sum(p.numel() for p in model.model.parameters())
    return epochs * n_windows(), int(n_params)


def _fit_neuralforecast(patch_len: int, epochs: int) -> tuple[int, int]:
    import logging

    import pandas as pd
    from neuralforecast import NeuralForecast
    from neuralforecast.models import PatchTST

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning_fabric").setLevel(logging.ERROR)
    steps = epochs * -(-n_windows() // BATCH)
    model = PatchTST(
        h=H,
        input_size=L,
        encoder_layers=LAYERS,
        n_heads=HEADS,
        hidden_size=WIDTH,
        linear_hidden_size=D_FF,
        dropout=DROPOUT,
        patch_len=patch_len,
        stride=patch_len,
        windows_batch_size=BATCH,
        batch_size=1,
        max_steps=steps,
        val_check_steps=steps + 1,
        random_seed=0,
        **QUIET_CPU_TRAINER,
    )
    values = random_walk()
    frame = pd.DataFrame(
        {
            "unique_id": "s",
            "ds": pd.date_range("2000-01-01", periods=len(values), freq="D"),
            "y": values,
        }
    )
    NeuralForecast(models=[model], freq="D").fit(frame)
    n_params = sum(p.numel() for p in model.parameters())
    return steps * BATCH, int(n_params)


FITS = {
    "tsattn": _fit_tsattn,
    "darts": _fit_darts,
    "neuralforecast": _fit_neuralforecast,
}


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(library: str, patch_len: int, epochs: int) -> dict:
    """Fit one model in this process and return its figures (one JSON line)."""
    import warnings

    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", THREADS)))
    if library == "torch":
        return {"peak_mb": _peak_mb()}
    fit = FITS[library]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start, cpu = time.perf_counter(), time.process_time()
        windows, n_params = fit(patch_len, epochs)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "windows": windows,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "params": n_params,
        "peak_mb": _peak_mb(),
        "warnings": len(caught),
    }


def _run_worker(library: str, patch_len: int, epochs: int, threads: int) -> dict | None:
    cmd = [sys.executable, __file__, "--worker", library, str(patch_len), str(epochs)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"# {library} (patch {patch_len}) failed: {last}", flush=True)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _available(library: str) -> bool:
    cmd = [sys.executable, "-c", f"import {library}"]
    return subprocess.run(cmd, capture_output=True).returncode == 0


def _order(rep: int) -> list[tuple[str, str, int]]:
    """Alternate the pairs' order between repetitions."""
    if rep % 2 == 0:
        return list(RUNS)
    return [RUNS[1], RUNS[0], RUNS[3], RUNS[2]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2, help="repetitions per model")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=THREADS,
        help="torch threads per fit (1 on a machine other work shares: a thread "
        "that loses its core stalls the others at every parallel operator)",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        library, patch_len, epochs = args.worker
        print(json.dumps(worker(library, int(patch_len), int(epochs))))
        return

    print(
        f"# bench_training: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"{args.threads} torch threads, {N_STEPS} steps, L={L}, H={H}, width {WIDTH}, "
        f"{HEADS} heads, {LAYERS} layers, d_ff {D_FF}, batch {BATCH}, "
        f"{args.epochs} epochs, {args.reps} repetitions; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    present = {lib: _available(lib) for lib in ("darts", "neuralforecast")}
    present["tsattn"] = True
    for lib, ok in present.items():
        if not ok:
            print(f"# {lib} is not installed: its rows are left out.")
    torch_mb = [_run_worker("torch", 1, 0, args.threads)["peak_mb"] for _ in range(2)]
    base_mb = min(torch_mb)
    print(f"# peak resident set of a process that imports torch: {base_mb:.0f} MB")

    results: dict[tuple[str, str], list[dict]] = {}
    ratios: dict[str, list[float]] = {}
    for rep in range(args.reps):
        by_variant: dict[str, dict[str, dict]] = {}
        for variant, library, patch_len in _order(rep):
            if not present[library]:
                continue
            r = _run_worker(library, patch_len, args.epochs, args.threads)
            if r is None:
                continue
            results.setdefault((variant, library), []).append(r)
            by_variant.setdefault(variant, {})[library] = r
            print(
                f"#   rep {rep + 1}: {variant}, {library}: "
                f"{r['windows'] / r['seconds']:,.0f} windows/s, "
                f"peak {r['peak_mb']:.0f} MB, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        for variant, runs in by_variant.items():
            peers = [lib for lib in runs if lib != "tsattn"]
            if "tsattn" in runs and peers:
                ours, theirs = runs["tsattn"], runs[peers[0]]
                ratio = (ours["windows"] / ours["seconds"]) / (
                    theirs["windows"] / theirs["seconds"]
                )
                ratios.setdefault(variant, []).append(ratio)

    print(
        "\n| variant | library | params | windows/s (median) | windows per CPU-s | "
        "peak MB | peak - torch import MB | warnings |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (variant, library), runs in results.items():
        rate = statistics.median(r["windows"] / r["seconds"] for r in runs)
        per_cpu = statistics.median(r["windows"] / r["cpu_seconds"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        print(
            f"| {variant} | {library} | {runs[0]['params']:,} | {rate:,.0f} | "
            f"{per_cpu:,.0f} | {peak:.0f} | {peak - base_mb:+.0f} | "
            f"{max(r['warnings'] for r in runs)} |"
        )
    print("\n| variant | tsattn / peer throughput, each repetition | median |")
    print("|---|---|---|")
    for variant, values in ratios.items():
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {variant} | {each} | {statistics.median(values):.2f} |")
    print(f"\n# load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
