"""Cost of attention in TemporalAttentionNet: parameters, time and memory per case.

For window lengths L in {64, 256, 1024}, d_model in {64, 128} and heads in
{1, 2, 4, 8} it measures, for the whole network (2 encoder blocks, one mse task
of horizon 8, dropout 0), one forward + backward pass per batch:

- parameters (self-attention, 1 head, versus multi-head);
- fused path (``scaled_dot_product_attention``) versus the explicit path that
  returns attention maps (``need_weights=True``);
- per-step tokens (N = L) versus patches of 16 steps (N = L / 16).

Time is the median of a few repetitions after one warm-up, as wall-clock time
and as CPU time of the process; on a shared machine the CPU time (with one
torch thread) is the steadier figure. Peak memory is the
rise of the process's resident set (Linux ``VmHWM``, reset through
``/proc/self/clear_refs`` before each case, with glibc's mmap threshold pinned
at 64 KiB so freed tensors go back to the system) above its level at the start
of the case: it covers activations, gradients and temporaries of that pass,
not the interpreter or the weights already allocated.

The batch holds about 2048 steps (B = 2048 // L, at least 2), so per-token costs
are comparable across L and what grows with L is the attention itself.

Run: ``python benchmarks/bench_attention.py`` (about 5-10 minutes on 2 cores);
``--quick`` runs L = 64 and 256 only.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time

import torch

from tsattn.nn import NetConfig, TaskSpec, TemporalAttentionNet

_MMAP_ENV = "MALLOC_MMAP_THRESHOLD_"


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _case(L, d_model, n_heads, patch_len, need_weights, n_features, reps):
    B = max(2, 2048 // L)
    cfg = NetConfig(
        window_length=L,
        n_features=n_features,
        tasks=(TaskSpec("y", horizon=8),),
        d_model=d_model,
        n_heads=n_heads,
        n_layers=2,
        dropout=0.0,
        patch_len=patch_len,
    )
    gen = torch.Generator().manual_seed(0)
    net = TemporalAttentionNet(cfg, generator=gen).train()
    x = torch.randn(B, L, n_features, generator=gen)
    y = torch.randn(B, 8, 1, generator=gen)

    def step():
        out = net(x, need_weights=need_weights)
        if need_weights:
            out = out[0]
        loss = (out["y"] - y).square().mean()
        loss.backward()
        net.zero_grad(set_to_none=True)

    step()  # warm-up
    gc.collect()
    peak_mb = None
    if _reset_peak():
        base = _status_kb("VmRSS")
        step()
        hwm = _status_kb("VmHWM")
        if base is not None and hwm is not None:
            peak_mb = (hwm - base) / 1024
    times, cpu = [], []
    budget = time.perf_counter() + 2.0
    while len(times) < reps and (len(times) < 2 or time.perf_counter() < budget):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    params = sum(p.numel() for p in net.parameters())
    attn_params = sum(
        p.numel() for b in net.encoder.blocks for p in b.attn.parameters()
    )
    return {
        "B": B,
        "N": cfg.n_tokens,
        "params": params,
        "attn_params": attn_params,
        "ms": 1000 * statistics.median(times),
        "cpu_ms": 1000 * statistics.median(cpu),
        "peak_mb": peak_mb,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="L = 64 and 256 only")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--features", type=int, default=4)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (default 1)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    lengths = (64, 256) if args.quick else (64, 256, 1024)
    print(
        f"# bench_attention: torch {torch.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, "
        f"{args.features} features, 2 layers"
    )
    print(f"# load average at start: {os.getloadavg()[0]:.1f}")
    print(
        "| L | d_model | heads | tokens | path | B | params | attn params "
        "| wall ms | CPU ms | CPU ms / 1k steps | peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for L in lengths:
        for d_model in (64, 128):
            for n_heads in (1, 2, 4, 8):
                for patch_len in (1, 16):
                    for need_weights in (False, True):
                        r = _case(
                            L,
                            d_model,
                            n_heads,
                            patch_len,
                            need_weights,
                            args.features,
                            args.reps,
                        )
                        tokens = "step" if patch_len == 1 else f"patch{patch_len}"
                        path = "explicit" if need_weights else "fused"
                        peak = "n/a" if r["peak_mb"] is None else f"{r['peak_mb']:.1f}"
                        per_k = r["cpu_ms"] / (r["B"] * L) * 1000
                        print(
                            f"| {L} | {d_model} | {n_heads} | {tokens} (N={r['N']}) "
                            f"| {path} | {r['B']} | {r['params']:,} "
                            f"| {r['attn_params']:,} | {r['ms']:.1f} "
                            f"| {r['cpu_ms']:.1f} | {per_k:.1f} "
                            f"| {peak} |",
                            flush=True,
                        )
    print(
        f"# total {time.perf_counter() - start:.0f} s; load average at end: "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    if sys.platform.startswith("linux") and _MMAP_ENV not in os.environ:
        # Pin glibc's mmap threshold so that freed tensors return to the system
        # and each case's peak resident set reflects its own allocations.
        env = dict(os.environ, **{_MMAP_ENV: "65536"})
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    main()
