"""Training loop for the attention network: epochs, AdamW, early stopping.

The loop knows nothing of a concrete windowing class: it takes any set of
windows (see :mod:`tsattn.fitting.batches`). Windows are never materialised
all at once. Device, threads, seeding and precision come from
:mod:`tsattn.fitting.runtime`; prediction is :mod:`tsattn.fitting.predict`
(both re-exported here).

Targets convention: unless a ``split_targets`` callable is given, task ``t``
(in the order of ``tasks``) uses the target columns ``[c0, c0 + n_targets)``,
where ``c0`` is the sum of ``n_targets`` over the tasks before it, and the
first ``horizon`` rows (steps) of ``y``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
import torch
from torch import nn

from tsattn._validation import Interval, check_scalar
from tsattn.fitting.batches import Batches, WindowsLike, check_windows, forward
from tsattn.fitting.predict import predict_module
from tsattn.fitting.runtime import (
    autocast,
    resolve_device,
    seeded,
    tolerance_floor,
    torch_threads,
)
from tsattn.nn.config import TaskSpec
from tsattn.nn.losses import total_loss

__all__ = [
    "TrainResult",
    "WindowsLike",
    "fit_module",
    "predict_module",
    "resolve_device",
    "split_targets_by_columns",
    "tolerance_floor",
    "torch_threads",
]

LR_SCHEDULES = ("cosine", "none")
POSITIVE_INT = Interval(int, 1, None)
POSITIVE = Interval(float, 0.0, None, closed="neither")
NON_NEGATIVE = Interval(float, 0.0, None)


@dataclass
class TrainResult:
    """What :func:`fit_module` did.

    Attributes
    ----------
    loss_curve : list of float
        Mean training loss (weighted total over tasks) of each completed epoch.
    validation_scores : list of float
        Mean validation loss of each completed epoch (lower is better); empty
        without validation windows.
    best_epoch : int
        The (1-based) epoch whose weights the module holds on return: the one
        with the lowest validation loss when there is validation, else the last
        completed epoch. 0 when no epoch completed.
    n_epochs : int
        Number of completed epochs.
    stopped_reason : str
        ``"max_epochs"``, ``"early_stopping"`` (validation loss stopped
        improving), ``"training_loss_plateau"`` (no validation; training loss
        stopped improving) or ``"interrupted"`` (KeyboardInterrupt).
    best_validation : float or None
        The lowest validation loss, or None without validation.
    n_steps : int
        Optimiser steps taken.
    fit_time_s : float
        Wall-clock seconds spent in the loop.
    initial_validation : float or None
        Validation loss of the starting weights, with ``validate_initial``.
    """

    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_epoch: int = 0
    n_epochs: int = 0
    stopped_reason: str = "max_epochs"
    best_validation: float | None = None
    n_steps: int = 0
    fit_time_s: float = 0.0
    initial_validation: float | None = None


# ------------------------------------------------------------------ randomness
def _rngs(random_state: object) -> tuple[np.random.Generator, int | None]:
    """Numpy generator for shuffling and a torch seed (None: leave torch alone)."""
    if random_state is None:
        return np.random.default_rng(), None
    if isinstance(random_state, np.random.Generator):
        rng = random_state
    elif isinstance(random_state, np.random.RandomState):
        rng = np.random.default_rng(random_state.randint(0, 2**31 - 1))
    elif isinstance(random_state, Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0. Got {random_state!r}.")
        rng = np.random.default_rng(int(random_state))
    else:
        raise TypeError(
            "random_state must be None, an int, a numpy Generator or RandomState. "
            f"Got {random_state!r} (type {type(random_state).__name__})."
        )
    return rng, int(rng.integers(0, 2**63 - 1))


def _is_tty() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


# ---------------------------------------------------------------------- targets
def split_targets_by_columns(
    y: torch.Tensor, tasks: Sequence[TaskSpec]
) -> dict[str, torch.Tensor]:
    """Split a target batch into tasks by consecutive column ranges.

    Task ``t`` gets ``y[:, :horizon_t, c0:c0 + n_targets_t]`` where ``c0`` is
    the sum of ``n_targets`` over the tasks before it.

    Parameters
    ----------
    y : torch.Tensor
        Targets ``(B, H, T)`` with ``H >= max(horizon)`` and
        ``T == sum(n_targets)``.
    tasks : sequence of TaskSpec
        The tasks, in column order.

    Returns
    -------
    dict of str to torch.Tensor
        Views ``(B, horizon, n_targets)`` per task name.
    """
    need_t = sum(t.n_targets for t in tasks)
    need_h = max(t.horizon for t in tasks)
    if y.dim() != 3 or y.shape[2] != need_t or y.shape[1] < need_h:
        parts = ", ".join(f"{t.name}: {t.horizon}x{t.n_targets}" for t in tasks)
        raise ValueError(
            f"Targets of shape {tuple(y.shape)} do not fit the tasks ({parts}, as "
            f"horizon x n_targets): expected (B, >= {need_h}, {need_t}). Build the "
            "windows with horizon >= the longest task horizon and one target column "
            "per task target, in task order, or pass split_targets=."
        )
    out: dict[str, torch.Tensor] = {}
    c0 = 0
    for t in tasks:
        out[t.name] = y[:, : t.horizon, c0 : c0 + t.n_targets]  # (B, h, n)
        c0 += t.n_targets
    return out


# ------------------------------------------------------------ tasks, optimiser
def _resolve_tasks(module: nn.Module, tasks: Sequence[TaskSpec] | None) -> tuple:
    if tasks is None:
        config = getattr(module, "config", None)
        tasks = getattr(config, "tasks", None)
        if tasks is None:
            raise ValueError(
                "tasks was not given and the module has no config.tasks; pass "
                "tasks=(TaskSpec(...), ...)."
            )
    if isinstance(tasks, TaskSpec):
        tasks = (tasks,)
    tasks = tuple(tasks)
    if not tasks or not all(isinstance(t, TaskSpec) for t in tasks):
        raise TypeError(
            f"tasks must be a non-empty sequence of TaskSpec. Got {tasks!r}."
        )
    if all(t.weight == 0 for t in tasks):
        raise ValueError("Every task has weight 0; give at least one a weight > 0.")
    return tasks


def _param_groups(module: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Decay matrices only; biases, norms and other vectors are not decayed."""
    params = [p for p in module.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _make_optimizer(
    module: nn.Module, learning_rate: float, weight_decay: float
) -> torch.optim.Optimizer:
    groups = _param_groups(module, weight_decay)
    try:
        return torch.optim.AdamW(groups, lr=learning_rate, fused=True)
    except (RuntimeError, ValueError, TypeError):
        return torch.optim.AdamW(groups, lr=learning_rate)


# ------------------------------------------------------------------------- fit
def fit_module(
    module: nn.Module,
    train_windows: WindowsLike,
    *,
    val_windows: WindowsLike | None = None,
    tasks: Sequence[TaskSpec] | None = None,
    max_epochs: int = 50,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    weight_decay: float = 1e-4,
    grad_clip: float | None = 1.0,
    lr_schedule: str = "cosine",
    n_iter_no_change: int | None = 5,
    tol: float = 1e-4,
    shuffle: bool = True,
    device: str | torch.device | None = "auto",
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
    verbose: int = 0,
    max_steps_per_epoch: int | None = None,
    split_targets: Callable[[torch.Tensor], Mapping[str, torch.Tensor]] | None = None,
    n_threads: int | None = None,
    validate_initial: bool = False,
) -> TrainResult:
    """Train ``module`` in place on batches of windows.

    Parameters
    ----------
    module : torch.nn.Module
        A network whose ``forward(x)`` returns a dict of outputs per task name,
        such as :class:`~tsattn.nn.net.TemporalAttentionNet`. When a batch has
        missing steps (NaN in ``x``) it is called with
        ``key_padding_mask=`` (B, L), True where a step has a NaN.
    train_windows : windows
        Object with ``__len__()`` and ``get_batch(idx) -> (x, y)``.
    val_windows : windows or None
        Validation windows, taken in time order, for early stopping. They should
        come after the training windows with a gap of at least
        ``window_length`` steps so that no window overlaps training data.
    tasks : sequence of TaskSpec or None
        The tasks; None uses ``module.config.tasks``.
    max_epochs : int
        Maximum number of passes over the training windows.
    batch_size : int
        Windows per optimiser step.
    learning_rate : float
        Peak learning rate of AdamW.
    weight_decay : float
        Decoupled weight decay, applied to weight matrices only.
    grad_clip : float or None
        Maximum global gradient norm; None disables clipping.
    lr_schedule : {"cosine", "none"}
        ``"cosine"`` decays the learning rate to 0 over
        ``max_epochs * steps_per_epoch`` steps; ``"none"`` keeps it constant.
    n_iter_no_change : int or None
        Stop after this many epochs without an improvement of more than
        ``tol`` in the validation loss (or, without validation, the training
        loss). None trains for ``max_epochs``.
    tol : float
        Minimum relative decrease, ``tol * |best loss so far|``, that counts as
        an improvement. Relative, so that it means the same whatever the units
        of the targets (returns of 1e-2 have losses of 1e-4). Raised to the
        resolution of the computation when smaller (see
        :func:`tolerance_floor`: bf16's epsilon under CUDA autocast).
    shuffle : bool
        Shuffle the training windows each epoch.
    device : str, torch.device or None
        ``"auto"`` uses CUDA when available. On CUDA the forward pass runs
        under bf16 autocast.
    random_state : int, numpy Generator, RandomState or None
        Seeds the shuffling and torch's generators (dropout) for the duration
        of the call only; the global generators are restored afterwards. With
        the same seed and starting weights, CPU runs repeat exactly (bit-exact
        GPU repetition is not promised). None draws fresh randomness.
    verbose : int
        0 is silent. 1 shows a per-epoch tqdm bar when stdout is a terminal,
        and prints one line per epoch otherwise.
    max_steps_per_epoch : int or None
        Cap on optimiser steps per epoch (a random subset of windows each epoch
        when shuffling).
    split_targets : callable or None
        ``split_targets(y) -> {task name: (B, horizon, n_targets)}`` for the
        target tensor ``y`` (B, H, T); None splits by consecutive column ranges
        (see :func:`split_targets_by_columns`).
    n_threads : int or None
        Torch intra-op threads during the call (restored afterwards); None
        keeps the current setting.
    validate_initial : bool
        Score the validation windows once before training ("epoch 0") and
        count the starting weights as a candidate: when no epoch improves on
        them by more than ``tol``, they are restored (``best_epoch == 0``).
        Useful when the starting network is itself a sound forecast (see
        ``NetConfig.repeat_init``).

    Returns
    -------
    TrainResult
        Loss curves, stopping epoch and reason.

    Raises
    ------
    FloatingPointError
        When a training loss or gradient norm is not finite; the message names
        the epoch and batch, and the module keeps the weights it had before
        that batch.

    Notes
    -----
    With validation windows, the weights of the best validation epoch are
    restored on return, also after early stopping or a KeyboardInterrupt.
    The module is left in eval mode. A KeyboardInterrupt is not swallowed:
    after that clean stop it propagates, carrying the record so far as its
    ``train_result`` attribute.
    """
    _check_fit_args(
        max_epochs=max_epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        grad_clip=grad_clip,
        lr_schedule=lr_schedule,
        n_iter_no_change=n_iter_no_change,
        tol=tol,
        verbose=verbose,
        max_steps_per_epoch=max_steps_per_epoch,
        n_threads=n_threads,
    )
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"module must be a torch.nn.Module. Got {type(module).__name__}."
        )
    if split_targets is not None and not callable(split_targets):
        raise TypeError("split_targets must be a callable y -> dict of tensors.")
    tasks = _resolve_tasks(module, tasks)
    n_train = check_windows("train_windows", train_windows)
    if val_windows is not None:
        check_windows("val_windows", val_windows)
    dev = resolve_device(device)
    rng, seed = _rngs(random_state)
    # Never ask for an improvement finer than the losses can resolve (bf16 on CUDA).
    tol = max(float(tol), tolerance_floor(dev, module))

    steps_per_epoch = -(-n_train // batch_size)
    if max_steps_per_epoch is not None:
        steps_per_epoch = min(steps_per_epoch, max_steps_per_epoch)
    module.to(dev)
    loop = _Loop(
        module,
        tasks,
        split_targets,
        dev,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        grad_clip=grad_clip,
        total_steps=steps_per_epoch * max_epochs if lr_schedule == "cosine" else None,
    )
    train_batches = Batches(train_windows, batch_size, dev)
    result = TrainResult()
    has_val = val_windows is not None
    best_state: dict[str, torch.Tensor] | None = None
    best = math.inf
    stale = 0
    bar = None
    start_time = time.perf_counter()

    with torch_threads(n_threads), seeded(seed, dev):
        try:
            if verbose > 0 and _is_tty():
                from tqdm.auto import tqdm

                bar = tqdm(total=max_epochs, desc="fit", unit="epoch", leave=False)
            if has_val and validate_initial:
                best = loop.evaluate(val_windows, batch_size)
                result.initial_validation = best
                best_state = {
                    k: v.detach().clone() for k, v in module.state_dict().items()
                }
            for epoch in range(1, max_epochs + 1):
                order = rng.permutation(n_train) if shuffle else np.arange(n_train)
                order = order[: steps_per_epoch * batch_size]
                train_loss = loop.train_epoch(train_batches, order, batch_size, epoch)
                result.n_steps = loop.n_steps
                result.loss_curve.append(train_loss)
                result.n_epochs = epoch
                current = train_loss
                if has_val:
                    current = loop.evaluate(val_windows, batch_size)
                    result.validation_scores.append(current)
                if math.isinf(best) or current < best - tol * abs(best):
                    best, stale = current, 0
                    if has_val:
                        result.best_epoch = epoch
                        best_state = {
                            k: v.detach().clone()
                            for k, v in module.state_dict().items()
                        }
                else:
                    stale += 1
                if not has_val:
                    result.best_epoch = epoch
                _report(bar, verbose, epoch, max_epochs, train_loss, result)
                if n_iter_no_change is not None and stale >= n_iter_no_change:
                    result.stopped_reason = (
                        "early_stopping" if has_val else "training_loss_plateau"
                    )
                    break
        except KeyboardInterrupt as interrupt:
            # Stop cleanly (best weights restored, module in eval mode), then
            # let the interrupt through: a Ctrl-C must reach the caller.
            result.stopped_reason = "interrupted"
            result.n_steps = loop.n_steps
            _finish(module, result, has_val, best_state, best)
            interrupt.train_result = result  # type: ignore[attr-defined]
            raise
        finally:
            if bar is not None:
                bar.close()
            result.fit_time_s = time.perf_counter() - start_time
    _finish(module, result, has_val, best_state, best)
    return result


def _finish(
    module: nn.Module,
    result: TrainResult,
    has_val: bool,
    best_state: dict[str, torch.Tensor] | None,
    best: float,
) -> None:
    """Restore the best validation weights and leave the module in eval mode."""
    if has_val:
        if best_state is not None:
            module.load_state_dict(best_state)
            result.best_validation = best
        elif result.validation_scores:
            result.best_validation = min(result.validation_scores)
    module.eval()


def _check_fit_args(
    *,
    max_epochs: object,
    batch_size: object,
    learning_rate: object,
    weight_decay: object,
    grad_clip: object,
    lr_schedule: object,
    n_iter_no_change: object,
    tol: object,
    verbose: object,
    max_steps_per_epoch: object,
    n_threads: object,
) -> None:
    check_scalar("max_epochs", max_epochs, POSITIVE_INT)
    check_scalar("batch_size", batch_size, POSITIVE_INT)
    check_scalar("learning_rate", learning_rate, POSITIVE)
    check_scalar("weight_decay", weight_decay, NON_NEGATIVE)
    check_scalar("grad_clip", grad_clip, POSITIVE, None)
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(
            f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}. "
            f"Got {lr_schedule!r}."
        )
    check_scalar("n_iter_no_change", n_iter_no_change, POSITIVE_INT, None)
    check_scalar("tol", tol, NON_NEGATIVE)
    check_scalar("verbose", verbose, Interval(int, 0, None))
    check_scalar("max_steps_per_epoch", max_steps_per_epoch, POSITIVE_INT, None)
    check_scalar("n_threads", n_threads, POSITIVE_INT, None)


class _Loop:
    """The optimiser, schedule and one training step / epoch / evaluation."""

    def __init__(
        self,
        module: nn.Module,
        tasks: tuple[TaskSpec, ...],
        split_targets: Callable[[torch.Tensor], Mapping[str, torch.Tensor]] | None,
        device: torch.device,
        *,
        learning_rate: float,
        weight_decay: float,
        grad_clip: float | None,
        total_steps: int | None,
    ):
        self.module = module
        self.tasks = tasks
        self.split_targets = split_targets
        self.device = device
        self.learning_rate = learning_rate
        self.optimizer = _make_optimizer(module, learning_rate, weight_decay)
        self.scheduler = None
        if total_steps is not None:
            self.scheduler = torch.optim.lr_scheduler.LambdaLR(
                self.optimizer,
                lambda step: (
                    0.5
                    * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))
                ),
            )
        self.params = [p for p in module.parameters() if p.requires_grad]
        self.clip = math.inf if grad_clip is None else float(grad_clip)
        self.n_steps = 0

    def split(self, y: torch.Tensor) -> Mapping[str, torch.Tensor]:
        """Targets per task name."""
        if self.split_targets is None:
            return split_targets_by_columns(y, self.tasks)
        return self.split_targets(y)

    def train_epoch(
        self, batches: Batches, order: np.ndarray, batch_size: int, epoch: int
    ) -> float:
        """One pass over ``order`` in batches; returns the mean training loss."""
        self.module.train()
        loss_sum, seen = 0.0, 0
        for b, lo in enumerate(range(0, len(order), batch_size), start=1):
            idx = order[lo : lo + batch_size]
            x, mask, y = batches.to_tensors(*batches.get(idx, "train_windows"))
            loss_sum += self.train_step(x, mask, y, epoch, b) * len(idx)
            seen += len(idx)
        return loss_sum / seen

    def train_step(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None,
        y: torch.Tensor,
        epoch: int,
        batch: int,
    ) -> float:
        """Forward, backward, clip and update; returns the batch loss."""
        with autocast(self.device):
            outputs = forward(self.module, x, mask)
            loss, per_task = total_loss(self.tasks, outputs, self.split(y))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        loss_value, norm_value = torch.stack(
            [loss.detach().float(), norm.detach().float()]
        ).tolist()
        if not (math.isfinite(loss_value) and math.isfinite(norm_value)):
            # Checked before the update, so the weights are still the last good ones.
            self.optimizer.zero_grad(set_to_none=True)
            detail = ", ".join(f"{k}={float(v):.4g}" for k, v in per_task.items())
            what = (
                f"loss is {loss_value}"
                if not math.isfinite(loss_value)
                else f"gradient norm is {norm_value}"
            )
            raise FloatingPointError(
                f"Training stopped at epoch {epoch}, batch {batch}: the {what} "
                f"(per-task losses: {detail}). The module keeps the weights from "
                "before this batch. Check the inputs and targets for inf/NaN, scale "
                f"the targets, or lower learning_rate (= {self.learning_rate})."
            )
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.n_steps += 1
        return loss_value

    def evaluate(self, windows: Any, batch_size: int) -> float:
        """Mean total loss over the windows, in order, without gradients."""
        self.module.eval()
        n = len(windows)
        batches = Batches(windows, batch_size, self.device)
        total, seen = 0.0, 0
        with torch.inference_mode(), autocast(self.device):
            for lo in range(0, n, batch_size):
                idx = np.arange(lo, min(lo + batch_size, n))
                x, mask, y = batches.to_tensors(*batches.get(idx, "val_windows"))
                outputs = forward(self.module, x, mask)
                loss, _ = total_loss(self.tasks, outputs, self.split(y))
                total += float(loss) * len(idx)
                seen += len(idx)
        score = total / seen
        if not math.isfinite(score):
            raise FloatingPointError(
                f"The validation loss is {score}. Check the validation windows for "
                "inf values, or lower learning_rate."
            )
        return score


def _report(
    bar: Any,
    verbose: int,
    epoch: int,
    max_epochs: int,
    loss: float,
    result: TrainResult,
) -> None:
    val = result.validation_scores[-1] if result.validation_scores else None
    if bar is not None:
        post = {"loss": f"{loss:.4g}"}
        if val is not None:
            post["val"] = f"{val:.4g}"
        bar.set_postfix(post)
        bar.update(1)
    elif verbose > 0:
        text = f"epoch {epoch}/{max_epochs}  loss={loss:.6g}"
        if val is not None:
            text += f"  val={val:.6g}"
        print(text, flush=True)
