"""Dropout with a cheaper mask on the CPU.

:func:`torch.nn.functional.dropout` draws one Bernoulli sample per element;
on the CPU that sampling costs more than the layer's matrix products in a
small network (about a fifth of a training step in ``benchmarks/
bench_training.py``). :func:`dropout` gets three 16-bit uniform integers out of
each 64-bit random draw instead and keeps an element when its integer is above
the threshold for ``p``; the drop rate is ``p`` rounded to a multiple of 2**-16
(the kept elements are rescaled by that exact rate, so the expectation is
unchanged). On other devices the fused kernel of
:func:`torch.nn.functional.dropout` is used.

Shapes: any tensor in, the same shape out.
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F
from torch import nn

_LEVELS = 1 << 16  # 16-bit uniform integers


def quantized_rate(p: float) -> float:
    """Return the drop rate the CPU mask applies: ``round(p * 2**16) / 2**16``.

    Parameters
    ----------
    p : float
        Requested drop probability in [0, 1).

    Returns
    -------
    float
        The rate actually applied on the CPU; at most ``1 - 2**-16``, so some
        elements are always kept.

    Raises
    ------
    ValueError
        If ``p`` is not in [0, 1).
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1). Got {p!r}.")
    return min(round(p * _LEVELS), _LEVELS - 1) / _LEVELS


def keep_mask(shape: torch.Size | tuple[int, ...], p: float) -> torch.Tensor:
    """Boolean CPU mask of ``shape``, each element kept with probability ``1 - p``.

    Each 64-bit draw of the default generator is restricted to its low 48
    bits (``random_(0, 2**48)``, uniform) and read as three 16-bit integers.

    Parameters
    ----------
    shape : tuple of int
        Shape of the mask.
    p : float
        Drop probability in [0, 1), rounded as in :func:`quantized_rate`.

    Returns
    -------
    torch.Tensor
        ``bool`` tensor of ``shape`` (True = keep).
    """
    n = 1
    for size in shape:
        n *= int(size)
    draws = torch.empty((n + 2) // 3, dtype=torch.int64).random_(0, 1 << 48)
    chunks = draws.view(torch.int16).view(-1, 4)[:, :3]  # the low 48 bits
    # int16 spans [-2**15, 2**15); the rounded rate keeps the threshold inside it
    threshold = round(quantized_rate(p) * _LEVELS) - _LEVELS // 2
    return (chunks >= threshold).reshape(-1)[:n].view(shape)


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Zero each element of ``x`` with probability ``p`` and rescale the rest.

    Parameters
    ----------
    x : torch.Tensor
        Input of any shape.
    p : float
        Drop probability in [0, 1).
    training : bool
        Apply dropout; when False (or ``p == 0``) ``x`` is returned as it is.

    Returns
    -------
    torch.Tensor
        ``x * mask / (1 - p)``, elementwise; gradients flow through the same
        mask. On the CPU ``p`` is rounded as in :func:`quantized_rate`.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1). Got {p!r}.")
    if not training or p == 0.0:
        return x
    fast = (
        x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and sys.byteorder == "little"
    )
    if not fast:
        return F.dropout(x, p, training=True)
    rate = quantized_rate(p)
    if rate == 0.0:
        return x
    return x * (keep_mask(x.shape, p).to(x.dtype) * (1.0 / (1.0 - rate)))


class Dropout(nn.Module):
    """Drop-in replacement for :class:`torch.nn.Dropout` (see :func:`dropout`).

    Parameters
    ----------
    p : float
        Probability in [0, 1) of zeroing an element during training.
    """

    def __init__(self, p: float = 0.0):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1). Got {p!r}.")
        self.p = float(p)

    def extra_repr(self) -> str:
        """Describe the rate in ``repr(module)``."""
        return f"p={self.p}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply dropout to ``x`` in training mode; identity in eval mode."""
        return dropout(x, self.p, self.training)
