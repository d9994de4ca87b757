"""Task losses: point, quantile, Gaussian likelihood, direction and volatility.

Shapes: targets are ``(B, H, T)`` per task; outputs are as produced by the
network for the task's loss (see :class:`~tsattn.nn.config.TaskSpec`).
Each elementwise loss returns ``(B, H, T)``; :func:`task_loss` averages it over
the finite target entries (missing targets, stored as NaN, are skipped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F

from tsattn.nn.config import TaskSpec

QLIKE_EPS = 1e-12
"""Floor of the realized variance inside the logarithm of :func:`qlike`."""


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared error ``(pred - target) ** 2``, elementwise."""
    return (pred - target).square()


def mae(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Absolute error ``|pred - target|``, elementwise."""
    return (pred - target).abs()


def huber(pred: torch.Tensor, target: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """Huber loss, elementwise.

    ``0.5 * e**2`` for ``|e| <= delta``, else ``delta * (|e| - 0.5 * delta)``,
    with ``e = pred - target`` (the convention of
    :func:`torch.nn.functional.huber_loss`).
    """
    return F.huber_loss(pred, target, reduction="none", delta=delta)


def pinball(
    pred: torch.Tensor, target: torch.Tensor, quantiles: Sequence[float]
) -> torch.Tensor:
    """Pinball (quantile) loss averaged over quantile levels.

    For level ``q`` and error ``u = target - pred_q`` the loss is
    ``max(q * u, (q - 1) * u)``.

    Parameters
    ----------
    pred : torch.Tensor
        Quantile forecasts ``(B, H, T, Q)``.
    target : torch.Tensor
        Observations ``(B, H, T)``.
    quantiles : sequence of float
        The ``Q`` levels.

    Returns
    -------
    torch.Tensor
        ``(B, H, T)``: the mean over the ``Q`` levels.
    """
    q = torch.as_tensor(quantiles, dtype=pred.dtype, device=pred.device)  # (Q,)
    u = target.unsqueeze(-1) - pred  # (B, H, T, Q)
    return torch.maximum(q * u, (q - 1) * u).mean(dim=-1)  # (B, H, T)


def gaussian_nll(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Gaussian negative log-likelihood without the constant ``0.5 * log(2 pi)``.

    ``0.5 * (log(var) + (target - mean)**2 / var)``, as
    :func:`torch.nn.functional.gaussian_nll_loss` with ``full=False``.

    Parameters
    ----------
    pred : torch.Tensor
        ``(B, H, T, 2)``: mean then variance (> 0).
    target : torch.Tensor
        Observations ``(B, H, T)``.
    """
    mean, var = pred[..., 0], pred[..., 1]
    return 0.5 * (var.log() + (target - mean).square() / var)


def bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on logits; targets are 0/1 labels or probabilities."""
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none")


def qlike(forecast: torch.Tensor, realized: torch.Tensor) -> torch.Tensor:
    """QLIKE loss of a variance forecast (Patton, 2011), elementwise.

    ``r / f - log(r / f) - 1`` with ``r`` the realized and ``f`` the forecast
    variance (> 0). It is zero at a perfect forecast and positive otherwise,
    and differs from the other common form, ``log(f) + r / f``, only by terms
    that do not depend on ``f`` (same gradients, same ranking of forecasts).
    A realized value of 0 is floored at :data:`QLIKE_EPS` inside the log.
    """
    r = realized
    return r / forecast - (r.clamp_min(QLIKE_EPS) / forecast).log() - 1.0


def elementwise_loss(
    spec: TaskSpec, output: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    """Return the task's loss per target entry, ``(B, H, T)``.

    Parameters
    ----------
    spec : TaskSpec
        The task; its ``loss`` picks the function.
    output : torch.Tensor
        The network's output for the task.
    target : torch.Tensor
        Targets ``(B, H, T)``, finite.
    """
    loss = spec.loss
    if loss == "mse":
        return mse(output, target)
    if loss == "mae":
        return mae(output, target)
    if loss == "huber":
        return huber(output, target, spec.huber_delta)
    if loss == "pinball":
        return pinball(output, target, spec.quantiles)
    if loss == "gaussian_nll":
        return gaussian_nll(output, target)
    if loss == "bce":
        return bce(output, target)
    return qlike(output, target)


def task_loss(
    spec: TaskSpec, output: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    """Mean loss of one task over its finite target entries.

    Parameters
    ----------
    spec : TaskSpec
        The task.
    output : torch.Tensor
        The network's output for the task: ``(B, H, T)``, ``(B, H, T, Q)``
        (pinball) or ``(B, H, T, 2)`` (gaussian_nll).
    target : torch.Tensor
        ``(B, H, T)``; NaN entries are missing and left out of the mean.

    Returns
    -------
    torch.Tensor
        Scalar loss (0 when every target entry is missing).
    """
    want = (spec.horizon, spec.n_targets)
    if target.dim() != 3 or tuple(target.shape[1:]) != want:
        raise ValueError(
            f"Targets of task {spec.name!r} must have shape (B, {want[0]}, {want[1]}) "
            f"= (batch, horizon, n_targets). Got {tuple(target.shape)}."
        )
    if tuple(output.shape[:3]) != tuple(target.shape):
        raise ValueError(
            f"Output of task {spec.name!r} has shape {tuple(output.shape)}, which "
            f"does not match targets {tuple(target.shape)}."
        )
    if output.dtype in (torch.float16, torch.bfloat16):
        # Under autocast the heads may return half precision; score in float32 so
        # that targets (e.g. price levels) are not rounded to 8 mantissa bits.
        output = output.float()
    target = target.to(output.dtype)
    observed = torch.isfinite(target)  # (B, H, T)
    # Fill missing targets with a harmless value (1 keeps qlike's log finite) so
    # that no NaN enters the graph, then leave them out of the mean.
    safe = torch.where(observed, target, 1.0 if spec.loss == "qlike" else 0.0)
    per_entry = elementwise_loss(spec, output, safe)  # (B, H, T)
    n = observed.sum()
    return torch.where(observed, per_entry, 0.0).sum() / n.clamp_min(1)


def total_loss(
    specs: Sequence[TaskSpec],
    outputs: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Weighted sum of the task losses.

    Parameters
    ----------
    specs : sequence of TaskSpec
        The tasks.
    outputs : mapping of str to torch.Tensor
        Network outputs per task name.
    targets : mapping of str to torch.Tensor
        Targets ``(B, H, T)`` per task name.

    Returns
    -------
    total : torch.Tensor
        ``sum(weight * loss)`` over the tasks with weight > 0. A task weighted
        0 is left out of the graph entirely, so its head gets no gradient.
    per_task : dict of str to torch.Tensor
        Every task's unweighted loss, detached (for monitoring).
    """
    for where, d in (("outputs", outputs), ("targets", targets)):
        missing = [s.name for s in specs if s.name not in d]
        if missing:
            raise ValueError(
                f"{where} has no entry for task(s) {missing}; it has {sorted(d)}."
            )
    total: torch.Tensor | None = None
    per_task: dict[str, torch.Tensor] = {}
    for s in specs:
        if s.weight > 0:
            loss = task_loss(s, outputs[s.name], targets[s.name])
            term = s.weight * loss
            total = term if total is None else total + term
            per_task[s.name] = loss.detach()
        else:
            with torch.no_grad():
                per_task[s.name] = task_loss(s, outputs[s.name], targets[s.name])
    if total is None:
        raise ValueError(
            "Every task has weight 0, so the total loss is empty; give at least "
            "one task a weight > 0."
        )
    return total, per_task
