"""The CUDA path in a few minutes: bf16 throughput with fused SDPA kernels, ETTh1, and a
model saved on the GPU and loaded on the CPU.

Three checks, each printing its figures (run where a GPU is present; on a
machine without one it says so and exits with status 2):

1. **Throughput.** The training setting of ``bench_training.py`` (5,000-step
   random walk, L = 64, H = 8, width 64, 4 heads, 2 layers, batch 256, 3
   epochs) through ``AttentionForecaster(device="cuda")``, per-step tokens and
   patches of 8. Training runs under bf16 autocast on CUDA; a profiled step
   names the attention kernel that ran (flash or memory-efficient SDPA, not the
   math fallback).
2. **ETTh1.** One horizon (``--horizon``, default 96) with PatchTST's recipe
   (L = 336, patches of 16 with stride 8, width 16, 4 heads, 3 layers, d_ff
   128, dropout 0.3, batch 128, learning rate 1e-4, at most 100 epochs with
   patience 10) through ``benchmarks/ltsf.py``'s protocol, with the linear
   skip off and on: test MSE / MAE and fit time.
3. **Save on GPU, load on CPU.** A model fitted on CUDA is saved with
   ``tsattn.save``, loaded with ``tsattn.load(path, device="cpu")``, and its CPU
   forecasts are compared with the GPU's (prediction runs in float32 on both,
   so they must agree to float32 rounding: relative tolerance 1e-4).

Run: ``python benchmarks/gpu_check.py`` (ETTh1 read from ``TSATTN_LTSF_DATA``
or ``../shared/data``). Record the printed figures in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ltsf  # the benchmark modules beside this one
from training_setting import BATCH, L, attention_params, n_windows, random_walk

import tsattn
from tsattn import AttentionForecaster


def _attention_kernels(model: AttentionForecaster, y: np.ndarray) -> str:
    """The scaled dot-product attention operators one CUDA training step runs."""
    from torch.profiler import ProfilerActivity, profile

    net = model.module_.to("cuda").train()  # a fitted module is kept on the CPU
    starts = np.arange(BATCH) * 16
    windows = y[starts[:, None] + np.arange(L)]  # (BATCH, L)
    x = torch.from_numpy(np.ascontiguousarray(windows[:, :, None])).cuda()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = net(x)
        loss = sum(v.float().pow(2).mean() for v in _tensors(out))
        loss.backward()
        torch.cuda.synchronize()
    net.to("cpu").eval()
    ops = sorted(
        {
            e.key.removeprefix("aten::_scaled_dot_product_")
            for e in prof.key_averages()
            if e.key.startswith("aten::_scaled_dot_product_")
        }
    )
    if not ops:
        return "no SDPA operator seen"
    fused = any(k in op for op in ops for k in ("flash", "efficient", "cudnn"))
    return ", ".join(ops) + ("" if fused else " (math fallback: not fused)")


def _tensors(out: object) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [v for v in out.values() if isinstance(v, torch.Tensor)]
    return [v for v in out if isinstance(v, torch.Tensor)]  # type: ignore[union-attr]


def check_throughput() -> None:
    """Windows per second of a fit on CUDA, bf16 autocast, per-step and patched."""
    y = random_walk()
    print("\n## 1. Training throughput on CUDA (bf16 autocast)\n")
    print("| tokens | windows/s | fit s | params | attention kernels |")
    print("|---|---|---|---|---|")
    for patch_len, name in ((1, "per-step"), (8, "patches of 8")):
        params = attention_params(patch_len, epochs=3, device="cuda")
        AttentionForecaster(**{**params, "max_epochs": 1}).fit(y)  # warm-up
        torch.cuda.synchronize()
        start = time.perf_counter()
        model = AttentionForecaster(**params).fit(y)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        kernels = _attention_kernels(model, y)
        print(
            f"| {name} | {3 * n_windows() / seconds:,.0f} | {seconds:.2f} | "
            f"{model.n_params_:,} | {kernels} |",
            flush=True,
        )


def check_etth1(horizon: int) -> None:
    """ETTh1 at one horizon with PatchTST's recipe, linear skip off and on."""
    print(f"\n## 2. ETTh1, H={horizon}, PatchTST's recipe, on CUDA\n")
    split = ltsf.load("etth1")
    print("| linear skip | test MSE / MAE | val MSE | best/epochs | fit s |")
    print("|---|---|---|---|---|")
    for skip in (False, True):
        args = ltsf.parse_args(
            [
                "--data", "etth1", "--models", "multi", "--window-length", "336",
                "--patch-len", "16", "--patch-stride", "8", "--d-model", "16",
                "--n-heads", "4", "--n-layers", "3", "--d-ff", "128",
                "--dropout", "0.3", "--batch-size", "128",
                "--learning-rate", "1e-4", "--epochs", "100", "--patience", "10",
                "--device", "cuda",
            ]
            + (["--linear-skip"] if skip else [])
        )  # fmt: skip
        s = ltsf.fit_and_score("multi", split, horizon, args)
        print(
            f"| {'on' if skip else 'off'} | {s.mse:.3f} / {s.mae:.3f} | "
            f"{s.val_mse:.3f} | {s.epochs} | {s.fit_s:.0f} |",
            flush=True,
        )
    published = ltsf.PUBLISHED["etth1"]["PatchTST/42 (L=336)"][horizon]
    print(f"\nPatchTST/42 published: {published[0]:.3f} / {published[1]:.3f}")


def check_save_on_gpu_load_on_cpu() -> None:
    """A CUDA-fitted model saved, loaded on the CPU, forecasts compared."""
    print("\n## 3. Saved on the GPU, loaded on the CPU\n")
    y = random_walk(2_000)
    model = AttentionForecaster(
        window_length=64,
        horizon=8,
        d_model=32,
        max_epochs=3,
        device="cuda",
        random_state=0,
    ).fit(y)
    on_gpu = model.forecast()
    with tempfile.TemporaryDirectory() as tmp:
        path = tsattn.save(model, Path(tmp) / "model.tsattn")
        loaded = tsattn.load(path, device="cpu")
    on_cpu = loaded.forecast()
    gpu, cpu = np.asarray(on_gpu, dtype=float), np.asarray(on_cpu, dtype=float)
    gap = float(np.max(np.abs(gpu - cpu) / np.maximum(np.abs(cpu), 1e-12)))
    ok = bool(np.allclose(gpu, cpu, rtol=1e-4, atol=0.0))
    print(
        f"largest relative gap between GPU and CPU forecasts: {gap:.2e} "
        f"(tolerance 1e-4): {'ok' if ok else 'TOO LARGE'}"
    )
    if not ok:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=96, choices=ltsf.HORIZONS)
    parser.add_argument("--skip-etth1", action="store_true")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("No CUDA device: nothing to check here; the CPU figures stand.")
        raise SystemExit(2)
    props = torch.cuda.get_device_properties(0)
    print(
        f"# gpu_check: {props.name}, {props.total_memory / 2**30:.0f} GiB, "
        f"torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"bf16 {torch.cuda.is_bf16_supported()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    check_throughput()
    if not args.skip_etth1:
        check_etth1(args.horizon)
    check_save_on_gpu_load_on_cpu()


if __name__ == "__main__":
    main()
