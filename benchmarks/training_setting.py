"""The training setting the speed benchmarks share, written once.

One 5,000-step random walk, windows of L = 64 steps, horizon H = 8, width 64,
4 heads, 2 encoder layers, feed-forward width 128, dropout 0.1, batch 256, no
early stopping. ``bench_training.py`` (beside darts and neuralforecast),
``profile_fit.py`` and ``gpu_check.py`` all fit this setting, so their figures
describe the same work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

N_STEPS, L, H, BATCH = 5_000, 64, 8, 256
WIDTH, HEADS, LAYERS, D_FF, DROPOUT = 64, 4, 2, 128, 0.1


def random_walk(n_steps: int = N_STEPS, seed: int = 0) -> np.ndarray:
    """The benchmark series: a float32 Gaussian random walk starting near 100."""
    rng = np.random.default_rng(seed)
    return (100 + rng.standard_normal(n_steps).cumsum()).astype(np.float32)


def n_windows(n_steps: int = N_STEPS) -> int:
    """Training windows in one epoch over the whole series (no hold-out)."""
    return n_steps - L - H + 1


def attention_params(patch_len: int, epochs: int, **overrides: Any) -> dict[str, Any]:
    """``AttentionForecaster`` parameters of the setting (``overrides`` win)."""
    params: dict[str, Any] = {
        "window_length": L,
        "horizon": H,
        "d_model": WIDTH,
        "n_heads": HEADS,
        "n_layers": LAYERS,
        "d_ff": D_FF,
        "dropout": DROPOUT,
        "patch_len": patch_len,
        "batch_size": BATCH,
        "max_epochs": epochs,
        "early_stopping": False,
        "device": "cpu",
        "random_state": 0,
    }
    params.update(overrides)
    return params
