"""Start the network's linear skip at the ridge regression of the window.

With ``NetConfig(linear_skip=True)`` every task that forecasts input channels
gets a linear map from each channel's own normalised lookback window to its
forecast (see :class:`~tsattn.nn.net.TemporalAttentionNet`). While the
attention path outputs zero (``repeat_init``), the whole network is then a
linear autoregression of the window, whose least-squares weights have a closed
form. :func:`fit_linear_skip` solves it on the training windows (weighted ridge
regression, so that the error is measured in the data's units, as the training
loss measures it), with the penalty chosen by generalised cross-validation
(GCV) on those same windows, and writes the weights into the skip. Gradient
training then starts from that linear forecast instead of from zero, and the
attention path learns what it misses.

The held-out windows decide only one thing: whether the ridge map forecasts
them better than the zero map (the last value). When it does not, the skip
stays at zero and the network starts as the random walk, as without a skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from tsattn.nn.heads import POSITIVE_EPS
from tsattn.nn.net import last_observed

DEFAULT_ALPHAS: tuple[float, ...] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
"""Ridge penalties tried, relative to the mean diagonal of the Gram matrix."""


@dataclass
class LinearSkipFit:
    """What :func:`fit_linear_skip` chose for one task.

    Attributes
    ----------
    task : str
        Task name.
    alpha : float
        Relative ridge penalty with the lowest GCV score.
    kept : {"ridge", "zero"}
        Which start was written into the skip: the ridge map, or the zero map
        (the last value) because it forecast the held-out windows better.
    gcv : dict of str to float
        GCV score (mean squared error in the data's units, inflated for the
        fit's degrees of freedom) of every penalty, keyed ``"<alpha>"``.
    validation_mse : dict of str to float
        Held-out MSE in the data's units of ``"zero"`` and ``"ridge"``; empty
        without held-out windows.
    n_rows : int
        Training rows used (windows times target channels, rows with a missing
        target left out).
    """

    task: str
    alpha: float
    kept: str
    gcv: dict[str, float] = field(default_factory=dict)
    validation_mse: dict[str, float] = field(default_factory=dict)
    n_rows: int = 0


class _Moments:
    """Weighted sums ``A^T W A``, ``A^T W b`` and ``b^T W b`` over rows."""

    def __init__(self, n_in: int, n_out: int):
        self.gram = np.zeros((n_in, n_in))
        self.cross = np.zeros((n_in, n_out))
        self.sq = np.zeros(n_out)
        self.rows = 0

    def add(self, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> None:
        aw = a * w[:, None]
        self.gram += aw.T @ a
        self.cross += aw.T @ b
        self.sq += (b * b * w[:, None]).sum(axis=0)
        self.rows += len(a)

    def mse(self, coef: np.ndarray) -> float:
        """Mean over rows and outputs of ``w * (a @ coef - b) ** 2``."""
        total = (
            np.einsum("ij,ik,kj->", coef, self.gram, coef)
            - 2.0 * np.einsum("ij,ij->", coef, self.cross)
            + self.sq.sum()
        )
        return float(max(total, 0.0) / (self.rows * self.cross.shape[1]))


def _skip_tasks(module: nn.Module) -> list[tuple[int, Any, int]]:
    """(skip number, task, first target column) of each task with a skip."""
    out, c0, k = [], 0, 0
    for t in module.config.tasks:
        if t.target_channels is not None:
            out.append((k, t, c0))
            k += 1
        c0 += t.n_targets
    return out


@torch.no_grad()
def _accumulate(
    module: nn.Module,
    windows: Any,
    tasks: list[tuple[int, Any, int]],
    batch_size: int,
) -> list[_Moments]:
    """Moments of every skip task over all windows of a WindowSet."""
    c = module.config
    L = c.window_length
    moments = [_Moments(L + 1, t.horizon) for _, t, _ in tasks]
    n = len(windows)
    for lo in range(0, n, batch_size):
        x, y = windows.get_batch(np.arange(lo, min(lo + batch_size, n)))
        if y is None:
            raise ValueError("fit_linear_skip needs windows built with targets.")
        missing = np.isnan(x).any(axis=2)  # (B, L)
        mask = torch.from_numpy(missing) if missing.any() else None
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        if mask is not None:
            xt = xt.masked_fill(mask.unsqueeze(-1), 0.0)
        if module.revin is not None:
            xn, stats = module.revin.normalize(xt, mask)  # (B, L, F), (B, 1, F)
            mean = stats.mean[:, 0].double().numpy()  # (B, F)
            std = stats.std[:, 0].double().numpy()
        else:
            xn = xt
            mean = np.zeros((len(x), c.n_features))
            std = np.ones((len(x), c.n_features))
        last = last_observed(xn, mask).double().numpy()  # (B, F), as the net
        xn = xn.double().numpy()  # (B, L, F)
        keep_steps = ~missing  # (B, L)
        for (_, t, c0), mom in zip(tasks, moments):
            for j, ch in enumerate(t.target_channels):
                target = y[:, : t.horizon, c0 + j].astype(np.float64)  # (B, H)
                ok = np.isfinite(target).all(axis=1) & keep_steps.any(axis=1)
                if not ok.any():
                    continue
                a = np.concatenate(
                    [xn[ok, :, ch], np.ones((int(ok.sum()), 1))], axis=1
                )  # (b, L + 1)
                s = std[ok, ch][:, None]  # (b, 1)
                b = (target[ok] - mean[ok, ch][:, None]) / s - last[ok, ch][:, None]
                mom.add(a, b, (s[:, 0] ** 2))
    return moments


def _solve(mom: _Moments, alpha: float) -> tuple[np.ndarray, float]:
    """Ridge coefficients ``(L + 1, H)`` and their degrees of freedom.

    The intercept is not penalised. The degrees of freedom are the trace of
    the hat matrix, ``tr((G + P)^-1 G)``.
    """
    L1 = mom.gram.shape[0]
    scale = float(np.trace(mom.gram[:-1, :-1])) / max(L1 - 1, 1)
    penalty = alpha * max(scale, 1e-12) * np.eye(L1)
    penalty[-1, -1] = 0.0
    rhs = np.concatenate([mom.cross, mom.gram], axis=1)
    try:
        sol = np.linalg.solve(mom.gram + penalty, rhs)
    except np.linalg.LinAlgError:
        sol = np.linalg.lstsq(mom.gram + penalty, rhs, rcond=None)[0]
    n_out = mom.cross.shape[1]
    return sol[:, :n_out], float(np.trace(sol[:, n_out:]))


def fit_linear_skip(
    module: nn.Module,
    train_windows: Any,
    val_windows: Any | None = None,
    *,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    batch_size: int = 1024,
) -> list[LinearSkipFit]:
    """Set every linear skip of ``module`` to its ridge regression start.

    Parameters
    ----------
    module : TemporalAttentionNet
        A network built with ``linear_skip=True``; for the regression to be the
        network's forecast, the attention outputs of the skip tasks should be
        zero (``repeat_init=True``, before training).
    train_windows : WindowSet
        Windows the regression and its penalty are fitted on (target columns in
        task order, as for training).
    val_windows : WindowSet or None
        Held-out windows on which the ridge map must beat the zero map (the
        last value) to be kept. Without them the ridge map is kept.
    alphas : sequence of float
        Relative ridge penalties (multiples of the mean diagonal of the Gram
        matrix) among which GCV chooses; each > 0.
    batch_size : int
        Windows gathered at a time.

    Returns
    -------
    list of LinearSkipFit
        One per task with a skip, in task order.

    Notes
    -----
    Each (window, target channel) is one row: the channel's normalised window
    and a constant in, its future in normalised units minus the normalised last
    value out, weighted by the window's variance so that the weighted error is
    the squared error in the data's units. Rows with a missing target are left
    out. The penalty minimises the GCV score ``RSS / n / (1 - df / n) ** 2``
    (Golub, Heath and Wahba, 1979), ``df`` the trace of the hat matrix. The
    cost is one pass over the windows and one ``(L + 1)``-square solve per
    penalty.
    """
    if getattr(module, "skips", None) is None:
        raise ValueError(
            "fit_linear_skip needs a network built with NetConfig(linear_skip=True)."
        )
    alphas = tuple(float(a) for a in alphas)
    if not alphas or any(not np.isfinite(a) or a <= 0 for a in alphas):
        raise ValueError(f"alphas must be positive and finite; got {alphas}.")
    tasks = _skip_tasks(module)
    if not tasks:
        return []
    train = _accumulate(module, train_windows, tasks, batch_size)
    val = None
    if val_windows is not None and len(val_windows):
        val = _accumulate(module, val_windows, tasks, batch_size)
    fits: list[LinearSkipFit] = []
    for i, (k, t, _) in enumerate(tasks):
        mom = train[i]
        zero = np.zeros_like(mom.cross)
        if mom.rows == 0:
            fits.append(LinearSkipFit(t.name, float("nan"), "zero"))
            continue
        gcv: dict[str, float] = {}
        best = None
        for a in alphas:
            coef, df = _solve(mom, a)
            score = mom.mse(coef) / max(1.0 - df / mom.rows, 1e-12) ** 2
            gcv[f"{a:g}"] = score
            if best is None or score < best[0]:
                best = (score, a, coef)
        _, alpha, coef = best
        kept, scores = "ridge", {}
        if val is not None and val[i].rows:
            scores = {"zero": val[i].mse(zero), "ridge": val[i].mse(coef)}
            if not scores["ridge"] < scores["zero"]:
                kept, coef = "zero", zero
        skip = module.skips[k]
        dev, dtype = skip.weight.device, skip.weight.dtype
        with torch.no_grad():
            skip.weight.copy_(torch.as_tensor(coef[:-1].T, dtype=dtype, device=dev))
            skip.bias.copy_(torch.as_tensor(coef[-1], dtype=dtype, device=dev))
        fits.append(LinearSkipFit(t.name, alpha, kept, gcv, scores, mom.rows))
    return fits


# --------------------------------------------------------------- task starts
def inverse_softplus(y: np.ndarray) -> np.ndarray:
    """Return the raw value whose softplus is ``y`` (> 0)."""
    y = np.asarray(y, dtype=np.float64)
    return y + np.log(-np.expm1(-y))


def task_start(
    loss: str, target: np.ndarray, quantiles: Sequence[float] = ()
) -> np.ndarray:
    """Raw output values of a task's trivial baseline, from its training targets.

    Parameters
    ----------
    loss : str
        The task's loss.
    target : ndarray
        The task's finite training targets, in the units the network sees
        (scaled for the regression losses).
    quantiles : sequence of float
        The pinball levels.

    Returns
    -------
    ndarray of float64, shape (outputs_per_target,)
        ``mse``/``mae``/``huber``: the training mean. ``pinball``: the
        training quantiles (the lowest, then the inverse softplus of the
        steps between them). ``gaussian_nll``: the mean and the inverse
        softplus of the variance. ``bce``: the log-odds of the training base
        rate. ``qlike``: the inverse softplus of the training mean variance
        (the unconditional variance).
    """
    y = np.asarray(target, dtype=np.float64)
    y = y[np.isfinite(y)]
    floor = 1e-6
    if loss == "bce":
        p = float(np.clip(y.mean(), 1e-4, 1 - 1e-4)) if y.size else 0.5
        return np.array([np.log(p / (1 - p))])
    if loss == "qlike":
        mean = float(y.mean()) if y.size else 1.0
        return inverse_softplus(np.array([max(mean - POSITIVE_EPS, floor)]))
    if loss == "pinball":
        qs = np.quantile(y, quantiles) if y.size else np.zeros(len(quantiles))
        steps = np.maximum(np.diff(qs), floor)
        return np.concatenate([qs[:1], inverse_softplus(steps)])
    mean = float(y.mean()) if y.size else 0.0
    if loss == "gaussian_nll":
        var = float(y.var()) if y.size > 1 else 1.0
        return np.array([mean, float(inverse_softplus(max(var - POSITIVE_EPS, floor)))])
    return np.array([mean])


def window_targets(windows: Any) -> np.ndarray:
    """Targets ``(n_windows, H, T)`` of every window, in order (float64)."""
    n = len(windows)
    parts = []
    for lo in range(0, n, 4096):
        _, y = windows.get_batch(np.arange(lo, min(lo + 4096, n)))
        parts.append(np.asarray(y, dtype=np.float64))
    return np.concatenate(parts)


def start_task_heads(module: nn.Module, train: Any) -> list[np.ndarray]:
    """Start every task that does not forecast an input channel at its baseline.

    Each such task's output weights become zero and its output bias the raw
    value of :func:`task_start` on the training windows' targets, so the
    network outputs the trivial baseline (the training mean, base rate or
    unconditional variance) until training moves it.

    Returns
    -------
    list of ndarray
        Per task in ``module.config.tasks`` order, the raw start values
        (empty for tasks that forecast input channels).
    """
    tasks = module.config.tasks
    if all(t.target_channels is not None for t in tasks):
        return [np.empty(0) for _ in tasks]
    y = window_targets(train)  # (n, H, T_total)
    starts, c0 = [], 0
    for i, t in enumerate(tasks):
        cols = y[:, : t.horizon, c0 : c0 + t.n_targets]
        c0 += t.n_targets
        if t.target_channels is not None:
            starts.append(np.empty(0))
            continue
        raw = task_start(t.loss, cols.ravel(), t.quantiles)
        module.heads.start_task_at(i, torch.as_tensor(raw, dtype=torch.float32))
        starts.append(raw)
    return starts
