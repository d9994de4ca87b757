"""Where and how the network computes: device, CPU threads, seeding, precision.

The training loop and prediction share these: :func:`resolve_device` turns a
request into a :class:`torch.device`, :func:`torch_threads` and :func:`seeded`
change torch's global state for one block only, :func:`autocast` chooses the
precision of a forward pass, and :func:`tolerance_floor` is the smallest
relative change that precision can resolve.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

__all__ = ["autocast", "resolve_device", "seeded", "tolerance_floor", "torch_threads"]


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Turn a device request into a :class:`torch.device`.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` (or None) picks CUDA when it is available, else the CPU;
        anything else is passed to :class:`torch.device`.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        For an unknown device string, or CUDA requested where it is unavailable.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"Unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available here; "
                "use device='auto' or 'cpu'."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} does not exist; this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    return dev


@contextlib.contextmanager
def seeded(seed: int | None, device: torch.device) -> Iterator[None]:
    """Seed torch for the block only; the global generators are restored after."""
    if seed is None:
        yield
        return
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.default_generator.manual_seed(seed)
        if device.type == "cuda":
            with torch.cuda.device(device):
                torch.cuda.manual_seed(seed)
        yield


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Use ``n_threads`` torch intra-op CPU threads inside the block, then restore.

    Parameters
    ----------
    n_threads : int or None
        Threads to use; None leaves torch's setting alone.

    Yields
    ------
    None
        Control returns to the block with the thread count set.
    """
    if n_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA (where supported); nothing on the CPU."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def tolerance_floor(device: torch.device, module: nn.Module) -> float:
    """Smallest relative improvement the losses can resolve on ``device``.

    Under bf16 autocast (CUDA) the outputs carry 8 mantissa bits, so a
    relative change below bf16's machine epsilon is rounding, not progress;
    otherwise the epsilon of the parameters' dtype.
    """
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return float(torch.finfo(torch.bfloat16).eps)
    first = next(module.parameters(), None)
    dtype = first.dtype if first is not None else torch.float32
    return float(torch.finfo(dtype).eps) if dtype.is_floating_point else 0.0
