"""Evidence before leaving the start: a Diebold-Mariano test on held-out windows.

A forecasting network starts at the last value (or at the linear skip's ridge
start). With ``significance`` set on the estimator, a better-looking set of
weights replaces the start only when its per-window squared errors on the
held-out windows are significantly lower, by a one-sided Diebold-Mariano test
with ``h = horizon`` (the windows overlap by ``horizon - 1`` steps).
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from tsattn.fitting.predict import predict_module
from tsattn.fitting.starts import window_targets
from tsattn.nn.losses import elementwise_loss
from tsattn.stats import dm_test


def module_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """Return a detached copy of the module's weights."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def window_losses(module: nn.Module, windows: Any) -> np.ndarray:
    """Mean squared error of the point forecast of each window.

    Parameters
    ----------
    module : TemporalAttentionNet
        A network with one task (a forecasting network).
    windows : WindowSet
        Windows with targets, in time order.

    Returns
    -------
    ndarray of float64, shape (n_windows,)
        Per window, the mean over steps and targets of the squared error of
        the point forecast (the median for ``pinball``, the mean for
        ``gaussian_nll``); missing targets are left out, and a window without
        any target is NaN.
    """
    (task,) = module.config.tasks
    out = predict_module(module, windows)[task.name].astype(np.float64)
    if task.loss == "pinball":
        out = out[..., list(task.quantiles).index(0.5)]  # the median
    elif task.loss == "gaussian_nll":
        out = out[..., 0]  # the mean
    losses = np.empty(len(windows))
    for lo in range(0, len(windows), 1024):
        idx = np.arange(lo, min(lo + 1024, len(windows)))
        _, y = windows.get_batch(idx)
        err = out[idx] - y[:, : task.horizon].astype(np.float64)
        with warnings.catch_warnings():  # a window without targets gives NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            losses[idx] = np.nanmean(np.square(err).reshape(len(idx), -1), axis=1)
    return losses


def prefer_if_significant(
    module: nn.Module,
    candidate: dict[str, torch.Tensor],
    base: dict[str, torch.Tensor],
    windows: Any,
    *,
    horizon: int,
    level: float,
) -> dict[str, Any]:
    """Load ``candidate`` into ``module`` only if it beats ``base`` significantly.

    Parameters
    ----------
    module : TemporalAttentionNet
        The network; it ends up holding the chosen weights, in eval mode.
    candidate, base : dict of str to torch.Tensor
        Two state dicts of ``module``.
    windows : WindowSet
        Held-out windows with targets, in time order.
    horizon : int
        Forecast horizon ``h`` of the Diebold-Mariano test.
    level : float
        Significance level of the one-sided test.

    Returns
    -------
    dict
        ``"statistic"`` and ``"p_value"`` of the test (NaN with fewer than
        ``2 * horizon`` comparable windows, which cannot show an h-step
        advantage: the HAC variance and the small-sample factor break down
        there, so ``base`` is kept), ``"better"`` (whether ``candidate`` was
        loaded) and ``"n_windows"``.
    """
    losses = []
    for state in (candidate, base):
        module.load_state_dict(state)
        losses.append(window_losses(module, windows))
    d = losses[0] - losses[1]
    d = d[np.isfinite(d)]
    try:
        stat, p_value = dm_test(d, horizon, "less")
    except ValueError:  # fewer than 2 * horizon windows: no evidence
        stat = p_value = math.nan
    better = bool(p_value < level)
    module.load_state_dict(candidate if better else base)
    module.eval()
    return {
        "statistic": stat,
        "p_value": p_value,
        "better": better,
        "n_windows": int(d.size),
    }


def zero_linear_skip(module: nn.Module) -> None:
    """Set every linear skip of ``module`` to zero (the last-value start)."""
    with torch.no_grad():
        for skip in module.skips or ():
            nn.init.zeros_(skip.weight)
            nn.init.zeros_(skip.bias)


def gate_linear_skip(
    module: nn.Module,
    fits: list[dict[str, Any]],
    windows: Any,
    *,
    horizon: int,
    level: float,
) -> None:
    """Keep the linear skip's ridge start only if it beats the last value.

    ``fits`` is the estimator's ``linear_skip_fit_`` (one dict per task); the
    first entry gets the test's ``"p_value"`` (NaN when the zero map was
    already chosen, so nothing was tested), and ``"kept"`` becomes
    ``"zero"`` (with the skip zeroed in ``module``) when the ridge start is not
    significantly better than the zero map on ``windows``.
    """
    if not fits:
        return
    if fits[0]["kept"] != "ridge":  # the zero map won the selection: nothing to test
        fits[0]["p_value"] = math.nan
        return
    ridge = module_state(module)
    zero_linear_skip(module)
    zero = module_state(module)
    test = prefer_if_significant(
        module, ridge, zero, windows, horizon=horizon, level=level
    )
    fits[0]["p_value"] = test["p_value"]
    if not test["better"]:
        fits[0]["kept"] = "zero"


def task_window_losses(module: nn.Module, windows: Any) -> dict[str, np.ndarray]:
    """Each task's own loss per window, for tasks that do not forecast channels.

    ``qlike`` for a variance, log loss (``bce`` on the logit) for a
    direction, and the squared error of the point output (the median for
    ``pinball``, the mean for ``gaussian_nll``) for the other losses.
    Missing targets are left out of a window's mean; a window without any
    target is NaN.

    Returns
    -------
    dict of str to ndarray of float64, shape (n_windows,)
        Per task name.
    """
    tasks = [t for t in module.config.tasks if t.target_channels is None]
    out = predict_module(module, windows, link=False)  # bce: logits
    y_all = window_targets(windows)  # (n, H, T_total)
    losses: dict[str, np.ndarray] = {}
    c0 = 0
    for t in module.config.tasks:
        y = y_all[:, : t.horizon, c0 : c0 + t.n_targets]  # (n, H, T)
        c0 += t.n_targets
        if t not in tasks:
            continue
        pred = torch.as_tensor(out[t.name], dtype=torch.float64)
        target = torch.as_tensor(y)
        observed = torch.isfinite(target)
        safe = torch.where(observed, target, 1.0 if t.loss == "qlike" else 0.0)
        if t.loss in ("bce", "qlike"):
            per = elementwise_loss(t, pred, safe)
        else:
            point = pred
            if t.loss == "pinball":
                point = pred[..., list(t.quantiles).index(0.5)]
            elif t.loss == "gaussian_nll":
                point = pred[..., 0]
            per = (point - safe).square()
        per = torch.where(observed, per, torch.nan).reshape(len(target), -1).numpy()
        with warnings.catch_warnings():  # a window without targets gives NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            losses[t.name] = np.nanmean(per, axis=1)
    return losses


def one_sided_dm(d: np.ndarray, horizon: int) -> tuple[float, float, int]:
    """Statistic, p-value and size of the test that ``d`` is negative on average.

    NaN entries are dropped; with fewer than ``2 * horizon`` differences the
    statistic and p-value are NaN (no evidence).
    """
    d = d[np.isfinite(d)]
    try:
        stat, p_value = dm_test(d, horizon, "less")
    except ValueError:  # fewer than 2 * horizon windows: no evidence
        stat = p_value = math.nan
    return float(stat), float(p_value), int(d.size)


def test_tasks_against_starts(
    module: nn.Module,
    starts: list[np.ndarray],
    windows: Any,
    *,
    horizon: int,
    level: float,
) -> dict[str, dict[str, Any]]:
    """Keep each task's trained output only if it beats its start significantly.

    For every task that does not forecast input channels, a one-sided
    Diebold-Mariano test (``h = horizon``) on the task's own per-window
    loss (:func:`task_window_losses`) compares the trained output with the
    start (:func:`tsattn.fitting.starts.task_start`); a task without
    significant evidence at ``level`` has its head set back to the start
    (zero output weights, start bias).

    Returns
    -------
    dict
        Per task name: ``"statistic"``, ``"p_value"``, ``"n_windows"`` and
        ``"kept"`` (``"trained"`` or ``"start"``).
    """
    trained = task_window_losses(module, windows)
    at_start = copy.deepcopy(module)
    for i, t in enumerate(module.config.tasks):
        if t.target_channels is None:
            at_start.heads.start_task_at(i, torch.as_tensor(starts[i]))
    start_losses = task_window_losses(at_start, windows)
    tests: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(module.config.tasks):
        if t.target_channels is not None:
            continue
        stat, p_value, n = one_sided_dm(trained[t.name] - start_losses[t.name], horizon)
        kept = "trained" if p_value < level else "start"
        if kept == "start":
            module.heads.start_task_at(i, torch.as_tensor(starts[i]))
        tests[t.name] = {
            "statistic": stat,
            "p_value": p_value,
            "n_windows": n,
            "kept": kept,
        }
    module.eval()
    return tests
