from __future__ import annotations

import numpy as np
import pytest
import torch

from tsattn.fitting.gate import (
    gate_linear_skip,
    module_state,
    prefer_if_significant,
    window_losses,
)
from tsattn.fitting.predict import predict_module
from tsattn.nn.config import NetConfig, TaskSpec
from tsattn.nn.net import TemporalAttentionNet
from tsattn.windows import make_windows

L, H = 16, 2


def _net(loss="mse", quantiles=()):
    task = TaskSpec(
        "forecast", loss=loss, horizon=H, n_targets=1, target_channels=(0,),
        quantiles=quantiles,
    )  # fmt: skip
    cfg = NetConfig(
        window_length=L, n_features=1, tasks=(task,), d_model=8, n_heads=2,
        n_layers=1, patch_len=4, channel_independent=True, repeat_init=True,
        linear_skip=True, dropout=0.0,
    )  # fmt: skip
    return TemporalAttentionNet(cfg, generator=torch.Generator().manual_seed(0)).eval()


def _sine_windows(n=400, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = (np.sin(2 * np.pi * t / 12) + noise * rng.normal(size=n))[:, None]
    values = values.astype(np.float32)
    return values, make_windows(values, values, window_length=L, horizon=H)


def _ar_skip(net):
    """Skip weights that forecast a period-12 sine: an exact AR(2) recursion."""
    phi = 2 * np.cos(2 * np.pi / 12)
    W = torch.zeros(H, L)
    # one step: x_{t+1} = phi x_t - x_{t-1}; two steps: (phi^2 - 1) x_t - phi x_{t-1}
    W[0, -1], W[0, -2] = phi, -1.0
    W[1, -1], W[1, -2] = phi**2 - 1, -phi
    W[:, -1] -= 1.0  # the network adds the last value itself
    with torch.no_grad():
        net.skips[0].weight.copy_(W)
        net.skips[0].bias.zero_()
    net.revin = None  # the recursion is linear in the raw values
    return net


@pytest.mark.parametrize(
    ("loss", "quantiles"), [("mse", ()), ("pinball", (0.1, 0.5, 0.9))]
)
def test_window_losses_match_numpy(loss, quantiles):
    values, windows = _sine_windows()
    targets = values.copy()
    targets[100, 0] = np.nan  # a missing target is left out, not counted as 0
    targets[200:202, 0] = np.nan  # a window without any target is NaN
    # Keep the windows whose targets hold NaN, so the loss sees them.
    windows = make_windows(values, targets, window_length=L, horizon=H, skip_nan=False)
    net = _net(loss, quantiles)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(
                0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1))
            )
    got = window_losses(net, windows)
    out = predict_module(net, windows)["forecast"]
    if loss == "pinball":
        out = out[..., 1]  # the median
    _, y = windows.get_batch(np.arange(len(windows)))
    partly = np.isnan(y).any(axis=(1, 2)) & ~np.isnan(y).all(axis=(1, 2))
    empty = np.isnan(y).all(axis=(1, 2))
    assert partly.sum() == 4  # both paths are reached
    assert empty.sum() == 1
    err = ((out - y) ** 2).reshape(len(windows), -1)
    want = np.array([np.mean(e[np.isfinite(e)]) if np.isfinite(e).any() else np.nan
                     for e in err])  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert np.isfinite(got[partly]).all()
    assert np.isnan(got[empty]).all()


def test_a_clearly_better_candidate_is_loaded():
    _, windows = _sine_windows()
    net = _net()
    base = module_state(net)  # the last value
    candidate = module_state(_ar_skip(_net()))
    net.revin = None
    test = prefer_if_significant(net, candidate, base, windows, horizon=H, level=0.05)
    assert test["better"] is True
    assert test["p_value"] < 1e-6
    assert test["n_windows"] == len(windows)
    torch.testing.assert_close(net.skips[0].weight, candidate["skips.0.weight"])


def test_no_difference_or_too_few_windows_keep_the_base():
    _, windows = _sine_windows()
    net = _net()
    base = module_state(net)
    same = prefer_if_significant(net, base, base, windows, horizon=H, level=0.05)
    assert same["better"] is False  # identical losses: no evidence
    assert np.isnan(same["p_value"])
    candidate = module_state(_ar_skip(_net()))
    net.revin = None
    few = windows.subset(np.arange(2 * H - 1))  # fewer than 2 x horizon windows
    test = prefer_if_significant(net, candidate, base, few, horizon=H, level=0.05)
    assert test["better"] is False
    assert np.isnan(test["p_value"])
    assert test["n_windows"] == 2 * H - 1
    assert net.skips[0].weight.abs().sum() == 0  # the base is loaded


def test_gate_linear_skip_zeroes_an_unproven_ridge_start():
    _, windows = _sine_windows()
    net = _ar_skip(_net())
    fits = [{"kept": "ridge"}]
    gate_linear_skip(net, fits, windows, horizon=H, level=0.05)
    assert fits[0]["kept"] == "ridge"  # the AR(2) map is far better
    assert fits[0]["p_value"] < 1e-6
    # the same map on a few windows is not proven
    net = _ar_skip(_net())
    fits = [{"kept": "ridge"}]
    gate_linear_skip(net, fits, windows.subset(np.arange(3)), horizon=H, level=0.05)
    assert fits[0]["kept"] == "zero"
    assert net.skips[0].weight.abs().sum() == 0
    # a zero start is left alone, and recorded as untested
    fits = [{"kept": "zero"}]
    gate_linear_skip(net, fits, windows, horizon=H, level=0.05)
    assert fits[0]["kept"] == "zero"
    assert np.isnan(fits[0]["p_value"])
    assert net.skips[0].weight.abs().sum() == 0
