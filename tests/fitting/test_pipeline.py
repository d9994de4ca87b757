"""The fit pipeline: split -> start -> train -> select -> test as plain functions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tsattn import TsattnWarning
from tsattn.fitting.pipeline import (
    NetworkFit,
    fit_network,
    split_held_out,
    split_windows,
)
from tsattn.fitting.predict import predict_module
from tsattn.nn.config import NetConfig, TaskSpec
from tsattn.windows import make_windows

L, H = 8, 2


def _config(n_features: int = 1, **kw) -> NetConfig:
    task = TaskSpec(
        "forecast", horizon=H, n_targets=n_features,
        target_channels=tuple(range(n_features)),
    )  # fmt: skip
    return NetConfig(
        window_length=L, n_features=n_features, tasks=(task,), d_model=8,
        n_heads=2, n_layers=1, patch_len=4, repeat_init=True, **kw,
    )  # fmt: skip


@pytest.mark.parametrize("span", [1, 5])
@pytest.mark.parametrize("target_offset", [-1, 0])
def test_training_targets_end_before_the_first_held_out_target(span, target_offset):
    # Row r of the targets describes rows r .. r + span - 1 of the future, so a
    # training target may not reach the first held-out target row.
    values = np.arange(200, dtype=np.float32)[:, None]
    horizon = 1 if target_offset == -1 else H
    windows = make_windows(
        values, values, window_length=L, horizon=horizon, target_offset=target_offset
    )
    train, held = split_windows(
        windows, validation_fraction=0.2, early_stopping=True, target_span=span
    )
    first_held = held.starts[0] + L + target_offset
    last_train_row = train.starts[-1] + L + target_offset + horizon - 1
    assert last_train_row + span - 1 < first_held
    # ... and no further apart than needed: the next window would overlap.
    assert last_train_row + span == first_held
    # The held-out windows are the last 20%, in time order.
    assert len(held) == round(0.2 * len(windows))
    np.testing.assert_array_equal(held.starts, windows.starts[-len(held) :])


def test_nothing_is_held_out_without_early_stopping_or_windows():
    values = np.arange(40, dtype=np.float32)[:, None]
    windows = make_windows(values, values, window_length=L, horizon=H)
    train, held = split_windows(windows, validation_fraction=0.2, early_stopping=False)
    assert held is None
    assert train is windows
    few = windows.subset(np.arange(2))
    assert split_windows(few, validation_fraction=0.5, early_stopping=True)[1] is None


def _fit(values, **kw) -> NetworkFit:
    options = dict(
        horizon=H, target_offset=0, validation_fraction=0.2, early_stopping=True,
        significance=None, seed=0, validate_initial=True,
        loop={"max_epochs": 3, "batch_size": 32},
    )  # fmt: skip
    options.update(kw)
    return fit_network(values, values, _config(values.shape[1]), **options)


def test_fit_network_returns_the_kept_network_and_its_record():
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(300, 1)), axis=0).astype(np.float32)
    fit = _fit(values)
    assert isinstance(fit, NetworkFit)
    assert fit.train.n_epochs >= 1
    assert len(fit.train.validation_scores) == fit.train.n_epochs
    assert fit.start_test == {}
    assert fit.linear_skip_fit == []
    assert next(fit.module.parameters()).device == torch.device("cpu")
    assert fit.n_params == sum(p.numel() for p in fit.module.parameters())
    # Same seed, same network.
    again = _fit(values)
    for a, b in zip(fit.module.parameters(), again.module.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_start_that_training_cannot_beat_is_kept():
    # A learning rate too small to move the weights: epoch 0 (the last value) wins.
    rng = np.random.default_rng(1)
    values = np.cumsum(rng.normal(size=(300, 1)), axis=0).astype(np.float32)
    fit = _fit(values, loop={"max_epochs": 2, "learning_rate": 1e-12, "tol": 1e-3})
    assert fit.train.best_epoch == 0
    windows = make_windows(values, values, window_length=L, horizon=H)
    x, _ = windows.get_batch(np.arange(len(windows)))
    out = predict_module(fit.module, windows)["forecast"]  # (N, H, 1)
    np.testing.assert_allclose(out[:, 0, 0], x[:, -1, 0], rtol=1e-5)


def test_significance_records_the_test_against_the_start():
    # A clean sine: trained weights beat the random walk by far.
    t = np.arange(600)
    values = np.sin(2 * np.pi * t / 12)[:, None].astype(np.float32)
    fit = _fit(
        values,
        significance=0.05,
        loop={"max_epochs": 8, "batch_size": 32, "learning_rate": 3e-3},
    )
    assert fit.train.best_epoch > 0
    assert fit.start_test["kept"] == "trained"
    assert fit.start_test["p_value"] < 0.05
    # Tested on the later half of the held-out windows only (issue of double
    # dipping): the first half chose the best epoch.
    n_held = round(0.2 * (600 - L - H + 1))
    assert fit.start_test["n_windows"] == round(0.5 * n_held)


def test_held_out_windows_split_in_time_into_select_and_test():
    values = np.arange(300, dtype=np.float32)[:, None]
    windows = make_windows(values, values, window_length=L, horizon=H)
    _, held = split_windows(windows, validation_fraction=0.4, early_stopping=True)
    select, test = split_held_out(held, target_span=1)
    # Test windows are the later ones; selection targets end before them.
    assert test.starts[0] > select.starts[-1]
    last_select_target = select.starts[-1] + L + H - 1
    assert last_select_target < test.starts[0] + L
    np.testing.assert_array_equal(test.starts, held.starts[-len(test) :])
    assert len(test) == round(0.5 * len(held))
    # Too few windows to split: everything selects, nothing tests.
    assert split_held_out(held.subset(np.arange(2)), target_span=1)[1] is None
    assert split_held_out(None, target_span=1) == (None, None)


def test_significance_without_test_windows_keeps_the_start_with_a_warning():
    t = np.arange(400)
    values = np.sin(2 * np.pi * t / 12)[:, None].astype(np.float32)
    with pytest.warns(TsattnWarning, match="no held-out windows are left"):
        fit = _fit(
            values,
            early_stopping=False,
            significance=0.05,
            loop={"max_epochs": 3, "batch_size": 32, "learning_rate": 3e-3},
        )
    assert fit.train.best_epoch == 0
    windows = make_windows(values, values, window_length=L, horizon=H)
    x, _ = windows.get_batch(np.arange(len(windows)))
    out = predict_module(fit.module, windows)["forecast"]
    np.testing.assert_allclose(out[:, 0, 0], x[:, -1, 0], rtol=1e-5, atol=1e-6)


def test_too_few_rows_to_window_is_a_clear_error():
    values = np.zeros((L + H, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=r"Found 1 sample\(s\) after windowing"):
        _fit(values)


def test_the_gate_rarely_leaves_the_start_on_random_walks():
    # Size check (cheap version of benchmarks/bench_gate_size.py): on a random
    # walk every fit that leaves the start is a false positive. Long training
    # on few windows fits noise that the selection half then picks; the later
    # half must not confirm it more often than the level allows. At a 5% size,
    # 3 or more of 12 has probability 2%.
    left = []
    for seed in range(12):
        rng = np.random.default_rng(500 + seed)
        values = np.cumsum(rng.normal(size=(260, 1)), axis=0).astype(np.float32)
        fit = _fit(
            values,
            seed=seed,
            significance=0.05,
            validation_fraction=0.3,
            loop={
                "max_epochs": 8,
                "batch_size": 32,
                "learning_rate": 3e-3,
                "n_iter_no_change": 8,
            },
        )
        left.append(fit.start_test["kept"] == "trained")
        assert fit.start_test["n_windows"] > 0
    assert sum(left) <= 2
