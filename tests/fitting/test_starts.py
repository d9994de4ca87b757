from __future__ import annotations

import numpy as np
import pytest
import torch
from nn.helpers import forecast_task, small_net

from tsattn.fitting.starts import DEFAULT_ALPHAS, fit_linear_skip
from tsattn.nn.config import TaskSpec
from tsattn.windows import make_windows

L, H = 24, 3


def _net(n_features=2, revin=True, linear_skip=True, tasks=None):
    """A patched, channel-independent network that starts at the last value."""
    tasks = tasks or (forecast_task("f", H, n_features),)
    return small_net(
        window_length=L,
        n_features=n_features,
        tasks=tasks,
        patch_len=4,
        channel_independent=True,
        revin=revin,
        repeat_init=True,
        linear_skip=linear_skip,
    ).eval()


def _ar2(n=700, seed=0, n_features=2):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, n_features))
    for t in range(2, n):
        x[t] = 1.5 * x[t - 1] - 0.7 * x[t - 2] + rng.normal(size=n_features)
    return (x + 10.0).astype(np.float32)


def _split(values):
    w = make_windows(values, values, window_length=L, horizon=H)
    n = len(w)
    return w.subset(np.arange(0, n - 150)), w.subset(np.arange(n - 150, n))


def _reference(values, windows, alpha, revin=True):
    """Plain-numpy weighted ridge over (window, channel) rows."""
    A, B, Wt = [], [], []
    for s in windows.starts:
        x = values[s : s + L].astype(np.float64)
        y = values[s + L : s + L + H].astype(np.float64)
        for c in range(values.shape[1]):
            if revin:
                m, sd = x[:, c].mean(), max(x[:, c].std(), 1e-5)
            else:
                m, sd = 0.0, 1.0
            z = (x[:, c] - m) / sd
            A.append(np.append(z, 1.0))
            B.append((y[:, c] - m) / sd - z[-1])
            Wt.append(sd**2)
    A, B, Wt = np.array(A), np.array(B), np.array(Wt)
    G = (A * Wt[:, None]).T @ A
    scale = np.trace(G[:-1, :-1]) / L
    P = alpha * scale * np.eye(L + 1)
    P[-1, -1] = 0
    return np.linalg.solve(G + P, (A * Wt[:, None]).T @ B)


def _val_mse(net, values, windows):
    x, y = windows.get_batch(np.arange(len(windows)))
    with torch.no_grad():
        out = net(torch.from_numpy(x))["f"].numpy()
    return float(np.mean((out - y) ** 2))


@pytest.mark.parametrize("revin", [True, False])
def test_skip_weights_match_a_numpy_weighted_ridge(revin):
    values = _ar2()
    train, val = _split(values)
    net = _net(revin=revin)
    (fit,) = fit_linear_skip(net, train, val)
    assert fit.kept == "ridge"  # an AR(2) beats the last value
    assert fit.alpha in DEFAULT_ALPHAS
    coef = _reference(values, train, fit.alpha, revin=revin)
    np.testing.assert_allclose(
        net.skips[0].weight.detach().numpy(), coef[:-1].T, rtol=2e-3, atol=2e-5
    )
    np.testing.assert_allclose(
        net.skips[0].bias.detach().numpy(), coef[-1], rtol=2e-3, atol=2e-5
    )
    assert fit.n_rows == 2 * len(train)


def test_gcv_score_is_the_hat_matrix_formula():
    values = _ar2()
    train, val = _split(values)
    (fit,) = fit_linear_skip(_net(revin=False), train, val, alphas=(1e-3, 1e-1))
    # plain numpy: build the rows, the hat matrix and the GCV score directly
    A, B = [], []
    for s in train.starts:
        for c in range(2):
            x = values[s : s + L, c].astype(np.float64)
            A.append(np.append(x, 1.0))
            B.append(values[s + L : s + L + H, c] - x[-1])
    A, B = np.array(A), np.array(B)
    G = A.T @ A
    for a in (1e-3, 1e-1):
        P = a * np.trace(G[:-1, :-1]) / L * np.eye(L + 1)
        P[-1, -1] = 0
        hat = A @ np.linalg.solve(G + P, A.T)
        resid = B - hat @ B
        n = len(A)
        want = np.mean(resid**2) / (1 - np.trace(hat) / n) ** 2
        assert fit.gcv[f"{a:g}"] == pytest.approx(want, rel=1e-6)
    assert fit.alpha == min((1e-3, 1e-1), key=lambda a: fit.gcv[f"{a:g}"])


def test_reported_validation_mse_is_the_networks_validation_mse():
    values = _ar2()
    train, val = _split(values)
    net = _net()
    (fit,) = fit_linear_skip(net, train, val)
    chosen = fit.validation_mse["ridge"]
    assert chosen < fit.validation_mse["zero"]
    assert _val_mse(net, values, val) == pytest.approx(chosen, rel=1e-4)
    # the zero map is the last-value forecast
    x, y = val.get_batch(np.arange(len(val)))
    repeat = np.mean((x[:, -1:, :] - y) ** 2)
    assert fit.validation_mse["zero"] == pytest.approx(repeat, rel=1e-4)


def test_random_walk_keeps_the_zero_map():
    rng = np.random.default_rng(1)
    values = (100 + rng.normal(size=(700, 2)).cumsum(0)).astype(np.float32)
    train, val = _split(values)
    net = _net()
    # on a random walk the fitted map only adds noise: the last value is kept
    (fit,) = fit_linear_skip(net, train, val)
    assert fit.kept == "zero"
    assert fit.validation_mse["zero"] <= fit.validation_mse["ridge"]
    assert net.skips[0].weight.abs().sum() == 0
    assert net.skips[0].bias.abs().sum() == 0


def test_without_validation_windows_the_ridge_map_is_kept():
    values = _ar2()
    train, _ = _split(values)
    net = _net()
    (fit,) = fit_linear_skip(net, train, None)
    assert fit.kept == "ridge"
    assert fit.validation_mse == {}
    coef = _reference(values, train, fit.alpha)
    np.testing.assert_allclose(
        net.skips[0].weight.detach().numpy(), coef[:-1].T, rtol=2e-3, atol=2e-5
    )


def test_missing_targets_and_steps_are_left_out_not_filled():
    values = _ar2()
    holed = values.copy()
    holed[300, 0] = np.nan  # a missing value: windows that see it lose that row
    train, val = _split(values)
    net_a = _net()
    (a,) = fit_linear_skip(net_a, train, val)
    train_h, val_h = _split(holed)
    (b,) = fit_linear_skip(_net(), train_h, val_h)
    assert b.n_rows < a.n_rows  # windows whose target holds the NaN are dropped
    assert np.isfinite(list(b.validation_mse.values())).all()


def test_tasks_without_target_channels_are_skipped():
    tasks = (
        TaskSpec("ret", horizon=2),
        TaskSpec("f", horizon=H, n_targets=1, target_channels=(1,)),
    )
    net = _net(tasks=tasks)
    values = _ar2()
    targets = np.concatenate([values[:, :1] * 0, values[:, 1:]], axis=1)
    w = make_windows(values, targets, window_length=L, horizon=H)
    fits = fit_linear_skip(net, w.subset(np.arange(400)), w.subset(np.arange(450, 600)))
    assert [f.task for f in fits] == ["f"]
    assert len(net.skips) == 1
    assert net.skips[0].weight.abs().sum() > 0


def test_bad_input_is_named():
    values = _ar2()
    train, val = _split(values)
    with pytest.raises(ValueError, match="linear_skip=True"):
        fit_linear_skip(_net(linear_skip=False), train, val)
    with pytest.raises(ValueError, match="alphas must be positive"):
        fit_linear_skip(_net(), train, val, alphas=(0.0,))
    with pytest.raises(ValueError, match="alphas must be positive"):
        fit_linear_skip(_net(), train, val, alphas=())
