"""Windows to tensors: the protocol of a set of windows, batches on the device.

A set of windows is any object with ``__len__()`` and ``get_batch(idx) -> (x,
y)``, where ``x`` is a float32 array ``(B, L, F)`` and ``y`` a float32 array
``(B, H, T)``; when ``get_batch`` also accepts ``out_x=`` and ``out_y=``
buffers (as :class:`tsattn.windows.WindowSet` does) batches are gathered into
two reused buffers. Steps holding a NaN are missing: they become the
key-padding mask of the forward pass.
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

__all__ = ["Batches", "WindowsLike", "check_windows", "forward"]


class WindowsLike(Protocol):
    """What the loop needs from a set of windows."""

    def __len__(self) -> int: ...

    def get_batch(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Return inputs ``(B, L, F)`` and targets ``(B, H, T)`` or None."""
        ...


def check_windows(name: str, windows: object) -> int:
    """Return the number of windows in ``windows``, refusing what is not a set.

    Parameters
    ----------
    name : str
        The argument's name, for the messages.
    windows : object
        Expected to provide ``__len__()`` and ``get_batch(idx)``.

    Returns
    -------
    int
        ``len(windows)``, at least 1.

    Raises
    ------
    TypeError
        When ``windows`` lacks ``__len__`` or ``get_batch``.
    ValueError
        When it holds no windows.
    """
    if not (
        hasattr(windows, "__len__") and callable(getattr(windows, "get_batch", None))
    ):
        raise TypeError(
            f"{name} must provide __len__() and get_batch(idx) -> (x, y), like "
            f"tsattn.windows.make_windows(...). Got {type(windows).__name__}."
        )
    n = len(windows)
    if n < 1:
        raise ValueError(f"{name} holds no windows; pass at least one.")
    return n


class Batches:
    """Gather batches into reused buffers and move them to the device."""

    def __init__(self, windows: Any, batch_size: int, device: torch.device):
        self.windows = windows
        self.batch_size = batch_size
        self.device = device
        self.buffers: tuple[np.ndarray, np.ndarray] | None = None
        try:
            params = inspect.signature(windows.get_batch).parameters
        except (TypeError, ValueError):
            params = {}
        self.use_out = "out_x" in params and "out_y" in params

    def get(self, idx: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return inputs and targets of windows ``idx``; errors quote ``name``."""
        b = len(idx)
        if self.use_out and self.buffers is not None:
            bx, by = self.buffers
            x, y = self.windows.get_batch(idx, out_x=bx[:b], out_y=by[:b])
        else:
            x, y = self.windows.get_batch(idx)
        if y is None:
            raise ValueError(
                f"{name}.get_batch returned no targets; build the windows with "
                "targets to train on them."
            )
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim != 3 or y.ndim != 3 or x.shape[0] != b or y.shape[0] != b:
            raise ValueError(
                f"{name}.get_batch must return x (B, L, F) and y (B, H, T) with "
                f"B = {b}; got shapes {x.shape} and {y.shape}."
            )
        if self.use_out and self.buffers is None:
            self.buffers = (
                np.empty((self.batch_size, *x.shape[1:]), dtype=np.float32),
                np.empty((self.batch_size, *y.shape[1:]), dtype=np.float32),
            )
        return x, y

    def to_tensors(
        self, x: np.ndarray, y: np.ndarray | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Tensors on the device; the key-padding mask marks steps with a NaN."""
        missing = np.isnan(x).any(axis=2)  # (B, L)
        mask = torch.from_numpy(missing).to(self.device) if missing.any() else None
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
        yt = None
        if y is not None:
            yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)).to(
                self.device
            )
        return xt, mask, yt


def forward(module: nn.Module, x: torch.Tensor, mask: torch.Tensor | None) -> Any:
    """Call ``module`` on ``x``, with ``key_padding_mask=mask`` when there is one.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    x : torch.Tensor
        Inputs ``(B, L, F)``.
    mask : torch.Tensor or None
        Boolean ``(B, L)``, True for missing steps; None when none is missing.

    Returns
    -------
    object
        What the module returns (a dict of outputs per task).
    """
    if mask is None:
        return module(x)
    return module(x, key_padding_mask=mask)
