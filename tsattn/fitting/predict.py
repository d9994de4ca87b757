"""Prediction: a trained network run on windows in batches, without autograd."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from tsattn._validation import Interval, check_scalar
from tsattn.fitting.batches import WindowsLike, forward
from tsattn.fitting.runtime import resolve_device
from tsattn.nn.config import TaskSpec

__all__ = ["predict_module"]

POSITIVE_INT = Interval(int, 1, None)


def predict_module(
    module: nn.Module,
    x: npt.ArrayLike | torch.Tensor | WindowsLike,
    *,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
    key_padding_mask: npt.ArrayLike | None = None,
    tasks: Sequence[TaskSpec] | None = None,
    link: bool = True,
) -> dict[str, np.ndarray]:
    """Run the module on windows in batches, without autograd.

    Parameters
    ----------
    module : torch.nn.Module
        A trained network returning a dict of outputs per task.
    x : array-like, torch.Tensor or windows
        Windows ``(N, L, F)``, or an object with ``__len__`` and ``get_batch``
        whose lookbacks are used (in order). Steps holding a NaN are treated
        as missing (key-padding mask).
    batch_size : int
        Windows per forward pass.
    device : str, torch.device or None
        None uses the device the module's parameters are on.
    key_padding_mask : array-like or None
        Boolean ``(N, L)``, True for missing steps, combined with the NaN mask.
        Only with array input.
    tasks : sequence of TaskSpec or None
        Used with ``link``; None reads ``module.config.tasks`` when present.
    link : bool
        Map ``bce`` logits to probabilities (sigmoid); other outputs are
        returned as the module gives them.

    Returns
    -------
    dict of str to ndarray
        float32 outputs per task, stacked over the ``N`` windows.
    """
    check_scalar("batch_size", batch_size, POSITIVE_INT)
    if device is None:
        first = next(module.parameters(), None)
        dev = first.device if first is not None else torch.device("cpu")
    else:
        dev = resolve_device(device)
    if tasks is None:
        tasks = getattr(getattr(module, "config", None), "tasks", None) or ()
    bce_names = {t.name for t in tasks if t.loss == "bce"} if link else set()

    windowed = callable(getattr(x, "get_batch", None)) and hasattr(x, "__len__")
    if windowed:
        if key_padding_mask is not None:
            raise ValueError(
                "key_padding_mask is only supported with array input; for windows "
                "mark missing steps with NaN."
            )
        n = len(x)
    else:
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3:
            raise ValueError(
                f"x must be 3-D (n_windows, window_length, n_features). Got shape "
                f"{x.shape}."
            )
        n = x.shape[0]
        if key_padding_mask is not None:
            key_padding_mask = np.asarray(key_padding_mask, dtype=bool)
            if key_padding_mask.shape != x.shape[:2]:
                raise ValueError(
                    f"key_padding_mask must have shape {x.shape[:2]}. Got "
                    f"{key_padding_mask.shape}."
                )
    was_training = module.training
    first = next(module.parameters(), None)
    if first is not None and first.device != dev:
        module.to(dev)
    if was_training:
        module.eval()
    if n == 0:
        raise ValueError("x holds no windows; pass at least one.")
    chunks: dict[str, list[np.ndarray]] = {}
    try:
        with torch.inference_mode():
            for lo in range(0, n, batch_size):
                hi = min(lo + batch_size, n)
                if windowed:
                    xb = np.asarray(x.get_batch(np.arange(lo, hi))[0], dtype=np.float32)
                else:
                    xb = x[lo:hi]
                missing = np.isnan(xb).any(axis=2)  # (B, L)
                if key_padding_mask is not None:
                    missing = missing | key_padding_mask[lo:hi]
                xt = torch.from_numpy(np.ascontiguousarray(xb)).to(dev)
                mask = torch.from_numpy(missing).to(dev) if missing.any() else None
                out = forward(module, xt, mask)
                for name, value in out.items():
                    if name in bce_names:
                        value = torch.sigmoid(value)
                    chunks.setdefault(name, []).append(value.float().cpu().numpy())
    finally:
        if was_training:
            module.train(True)
    return {k: np.concatenate(v, axis=0) for k, v in chunks.items()}
