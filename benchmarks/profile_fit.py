"""Where a training step's time goes: a fit profiled, its operators grouped by job.

Fits ``AttentionForecaster`` in the setting of ``bench_training.py`` (5,000-step
random walk, L = 64, H = 8, width 64, 4 heads, 2 layers, d_ff 128, dropout 0.1,
batch 256) under :mod:`torch.profiler` on one thread, so that operator times
add up to the wall clock, and groups every operator's own CPU time into
attention, linear layers, dropout masks, normalisation (LayerNorm, RevIN),
activation, optimiser, copies (including dtype conversions, such as a dropout
mask turned into floats) and other elementwise work; what the operators
do not account for is Python and framework overhead (window gather, batching,
autograd bookkeeping).

``--torch-dropout`` swaps the library's CPU dropout for
:func:`torch.nn.functional.dropout` in the same run, which gives the profile
before and after that change side by side.

Run: ``python benchmarks/profile_fit.py`` (about a minute on one core).
"""

from __future__ import annotations

import argparse
import os
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile
from training_setting import attention_params, random_walk

import tsattn.nn.dropout as tsattn_dropout
from tsattn import AttentionForecaster

#: Operator names of the dropout masks (exact: "aten::ge" is a prefix of GELU's).
DROPOUT_OPS = {
    "aten::bernoulli_",
    "aten::random_",
    "aten::ge",
    "aten::dropout",
    "aten::native_dropout",
    "aten::native_dropout_backward",
}

#: Operator-name fragments of each other job, first match wins.
GROUPS = [
    ("attention (SDPA)", ("scaled_dot_product", "flash_attention")),
    ("linear layers", ("aten::mm", "aten::addmm", "aten::bmm", "aten::linear")),
    ("dropout masks", ()),
    ("normalisation", ("layer_norm", "aten::var", "aten::mean")),
    ("activation (GELU)", ("gelu",)),
    ("optimiser", ("adam", "foreach", "clip")),
    ("copies", ("copy_", "aten::cat", "contiguous", "clone", "aten::to")),
]

_LIBRARY_DROPOUT = tsattn_dropout.dropout


def _group(name: str) -> str:
    if name in DROPOUT_OPS:
        return "dropout masks"
    for group, keys in GROUPS:
        if any(k in name for k in keys):
            return group
    return "other elementwise"


def profile_fit(patch_len: int, torch_dropout: bool) -> tuple[float, dict[str, float]]:
    """Profile one 2-epoch fit; return its wall seconds and seconds per group."""
    if torch_dropout:
        tsattn_dropout.dropout = lambda x, p, training: F.dropout(x, p, training)
    else:
        tsattn_dropout.dropout = _LIBRARY_DROPOUT
    y = random_walk()
    params = attention_params(patch_len, epochs=2)
    AttentionForecaster(**{**params, "max_epochs": 1}).fit(y)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        AttentionForecaster(**params).fit(y)
        wall = time.perf_counter() - start
    groups: dict[str, float] = {}
    for event in prof.key_averages():
        if event.key.startswith(("ProfilerStep", "Optimizer.")):
            continue  # wrappers: their operators are counted on their own
        groups[_group(event.key)] = (
            groups.get(_group(event.key), 0.0) + event.self_cpu_time_total / 1e6
        )
    groups["Python and framework overhead"] = max(0.0, wall - sum(groups.values()))
    return wall, groups


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--torch-dropout",
        action="store_true",
        help="also profile with torch's dropout (before) beside the library's",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(
        f"# profile_fit: torch {torch.__version__}, 1 thread, 2 epochs of ~4,900 "
        f"windows; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    runs = [("library dropout", False)]
    if args.torch_dropout:
        runs.insert(0, ("torch dropout", True))
    for patch_len in (1, 8):
        results = {label: profile_fit(patch_len, flag) for label, flag in runs}
        print(f"\n### patch_len={patch_len}\n")
        print("| job | " + " | ".join(f"{label} s (share)" for label in results) + " |")
        print("|---|" + "---|" * len(results))
        names = [g for g, _ in GROUPS] + [
            "other elementwise",
            "Python and framework overhead",
        ]
        for name in names:
            cells = [
                f"{groups.get(name, 0.0):.2f} ({groups.get(name, 0.0) / wall:.0%})"
                for wall, groups in results.values()
            ]
            print(f"| {name} | " + " | ".join(cells) + " |")
        walls = " | ".join(f"**{wall:.2f}**" for wall, _ in results.values())
        print(f"| fit wall clock | {walls} |")
    tsattn_dropout.dropout = _LIBRARY_DROPOUT


if __name__ == "__main__":
    main()
