"""Reversible instance normalisation (RevIN): per-window, per-channel scaling.

Shapes: ``normalize`` takes ``x`` of shape ``(B, L, F)`` and returns ``x_n`` of the
same shape plus statistics of shape ``(B, 1, F)``; ``denormalize`` takes outputs
``(B, H, T, ...)`` whose target axis ``T`` corresponds to ``channels``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn


class RevINStats(NamedTuple):
    """Statistics of one batch of windows, each of shape ``(B, 1, F)``."""

    mean: torch.Tensor
    std: torch.Tensor


class RevIN(nn.Module):
    """Reversible instance normalisation (Kim et al., ICLR 2022).

    Each window is centred and scaled per channel by the mean and standard
    deviation over its time steps; outputs are mapped back with the same
    statistics. The module keeps no state between calls: ``normalize`` returns
    the statistics and ``denormalize`` takes them.

    Parameters
    ----------
    n_features : int
        Number of channels ``F``.
    affine : bool
        Learn a per-channel scale and shift applied after normalising (and
        undone before de-normalising).
    eps : float
        Lower bound of the standard deviation, so that a constant channel maps
        to zeros instead of dividing by zero.
    """

    def __init__(self, n_features: int, *, affine: bool = False, eps: float = 1e-5):
        super().__init__()
        self.n_features = n_features
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(n_features))
            self.bias = nn.Parameter(torch.zeros(n_features))

    def normalize(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, RevINStats]:
        """Normalise each window and channel over time.

        Parameters
        ----------
        x : torch.Tensor
            Windows of shape ``(B, L, F)``.
        mask : torch.Tensor or None
            Boolean ``(B, L)``, True where a step is missing. Missing steps are
            left out of the statistics and set to 0 in the output, so their
            values (NaN included) never reach the result.

        Returns
        -------
        x_n : torch.Tensor
            Normalised windows, shape ``(B, L, F)``.
        stats : RevINStats
            Mean and standard deviation, each ``(B, 1, F)``.
        """
        if mask is None:
            mean = x.mean(dim=1, keepdim=True)  # (B, 1, F)
            var = x.var(dim=1, keepdim=True, unbiased=False)  # (B, 1, F)
        else:
            keep = (~mask).unsqueeze(-1)  # (B, L, 1)
            x = torch.where(keep, x, 0.0)
            count = keep.sum(dim=1, keepdim=True).clamp_min(1).to(x.dtype)  # (B,1,1)
            mean = x.sum(dim=1, keepdim=True) / count  # (B, 1, F)
            dev = torch.where(keep, x - mean, 0.0)
            var = dev.square().sum(dim=1, keepdim=True) / count  # (B, 1, F)
        std = var.sqrt().clamp_min(self.eps)  # (B, 1, F)
        x_n = (x - mean) / std  # (B, L, F)
        if mask is not None:
            x_n = x_n.masked_fill(mask.unsqueeze(-1), 0.0)
        if self.affine:
            x_n = x_n * self.weight + self.bias
        return x_n, RevINStats(mean, std)

    def _channel_stats(
        self, stats: RevINStats, channels: Sequence[int], ndim: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        idx = list(channels)
        shape = (-1, 1, len(idx)) + (1,) * (ndim - 3)
        mean = stats.mean[:, 0, idx].reshape(shape)  # (B, 1, T, 1...)
        std = stats.std[:, 0, idx].reshape(shape)  # (B, 1, T, 1...)
        if not self.affine:
            return mean, std, None, None
        w = self.weight[idx].reshape(shape[1:])  # (1, T, 1...)
        b = self.bias[idx].reshape(shape[1:])
        return mean, std, w, b

    def denormalize(
        self, y: torch.Tensor, stats: RevINStats, channels: Sequence[int]
    ) -> torch.Tensor:
        """Map normalised locations (points, means, quantiles) back to data units.

        Parameters
        ----------
        y : torch.Tensor
            Outputs of shape ``(B, H, T)`` or ``(B, H, T, K)``, where target
            ``t`` is input channel ``channels[t]``.
        stats : RevINStats
            The statistics returned by :meth:`normalize` for the same batch.
        channels : sequence of int
            Input channel of each target column (length ``T``).

        Returns
        -------
        torch.Tensor
            ``y`` in the units of the input channels, same shape.
        """
        _check_channels(y, channels)
        mean, std, w, b = self._channel_stats(stats, channels, y.dim())
        if w is not None:
            y = (y - b) / (w + _sign_eps(w, self.eps))
        return y * std + mean

    def denormalize_variance(
        self, v: torch.Tensor, stats: RevINStats, channels: Sequence[int]
    ) -> torch.Tensor:
        """Map normalised variances back to data units (multiply by ``std**2``).

        Parameters
        ----------
        v : torch.Tensor
            Variances of shape ``(B, H, T)`` or ``(B, H, T, K)``.
        stats : RevINStats
            The statistics returned by :meth:`normalize` for the same batch.
        channels : sequence of int
            Input channel of each target column (length ``T``).

        Returns
        -------
        torch.Tensor
            Variances in squared data units, same shape.
        """
        _check_channels(v, channels)
        _, std, w, _ = self._channel_stats(stats, channels, v.dim())
        if w is not None:
            v = v / (w + _sign_eps(w, self.eps)).square()
        return v * std.square()


def _sign_eps(w: torch.Tensor, eps: float) -> torch.Tensor:
    """Keep ``w + result`` away from zero without flipping its sign."""
    return torch.where(w >= 0, eps * eps, -eps * eps).to(w.dtype)


def _check_channels(y: torch.Tensor, channels: Sequence[int]) -> None:
    if y.dim() < 3 or y.shape[2] != len(channels):
        raise ValueError(
            f"Outputs of shape {tuple(y.shape)} do not match {len(channels)} "
            "channel(s); expected (B, H, T, ...) with T == len(channels)."
        )


def normalize(
    x: torch.Tensor, mask: torch.Tensor | None = None, *, eps: float = 1e-5
) -> tuple[torch.Tensor, RevINStats]:
    """Normalise windows per channel without learnable parameters.

    Functional form of :meth:`RevIN.normalize` (``affine=False``).

    Parameters
    ----------
    x : torch.Tensor
        Windows of shape ``(B, L, F)``.
    mask : torch.Tensor or None
        Boolean ``(B, L)``, True where a step is missing.
    eps : float
        Lower bound of the standard deviation.

    Returns
    -------
    x_n : torch.Tensor
        Normalised windows ``(B, L, F)``.
    stats : RevINStats
        Mean and standard deviation, each ``(B, 1, F)``.
    """
    return RevIN(x.shape[-1], eps=eps).normalize(x, mask)


def denormalize(
    y: torch.Tensor, stats: RevINStats, channels: Sequence[int]
) -> torch.Tensor:
    """Map normalised locations back to data units: ``y * std + mean``.

    Functional form of :meth:`RevIN.denormalize` (``affine=False``).

    Parameters
    ----------
    y : torch.Tensor
        Outputs ``(B, H, T)`` or ``(B, H, T, K)``.
    stats : RevINStats
        Statistics from :func:`normalize`.
    channels : sequence of int
        Input channel of each target column.

    Returns
    -------
    torch.Tensor
        ``y`` in data units.
    """
    return RevIN(stats.mean.shape[-1]).denormalize(y, stats, channels)
