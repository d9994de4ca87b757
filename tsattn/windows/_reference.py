"""Plain-NumPy twins of the window kernels: the test oracle and a readable spec."""

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "gather",
    "nan_row_counts",
    "window_starts",
]


def nan_row_counts(values: np.ndarray) -> np.ndarray:
    """Cumulative count of rows holding a NaN, int64 (n + 1,)."""
    bad = np.isnan(values).any(axis=1)
    return np.concatenate([[0], np.cumsum(bad, dtype=np.int64)])


def window_starts(
    offsets: np.ndarray,
    window_length: int,
    horizon: int,
    target_offset: int,
    step: int,
    values: np.ndarray | None = None,
    targets: np.ndarray | None = None,
) -> np.ndarray:
    """Window starts by enumeration; NaN-screening arrays are used when not None."""
    target_start = window_length + target_offset
    lead = min(0, target_start)
    reach = max(window_length, target_start + horizon)
    n = int(offsets[-1])
    # Lookback window s is NaN-free when no row in [s, s + L) has a NaN.
    x_ok = y_ok = None
    if values is not None and n >= window_length:
        x_bad = sliding_window_view(np.isnan(values).any(axis=1), window_length)
        x_ok = ~x_bad.any(axis=1)
    if targets is not None and n >= horizon:
        y_bad = sliding_window_view(np.isnan(targets).any(axis=1), horizon)
        y_ok = ~y_bad.any(axis=1)
    parts = []
    for a, b in itertools.pairwise(offsets):
        lo, hi = int(a) - lead, int(b) - reach
        if hi < lo:
            continue
        s = np.arange(hi, lo - 1, -step)[::-1]
        keep = np.ones(s.shape, dtype=bool)
        if x_ok is not None:
            keep &= x_ok[s]
        if y_ok is not None:
            keep &= y_ok[s + target_start]
        parts.append(s[keep])
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


def gather(
    values: np.ndarray, starts: np.ndarray, length: int, offset: int = 0
) -> np.ndarray:
    """Windows ``values[s + offset : s + offset + length]`` as (B, length, F)."""
    starts = np.asarray(starts, dtype=np.int64)
    if starts.size == 0:
        return np.empty((0, length, values.shape[1]), dtype=np.float32)
    view = sliding_window_view(values, length, axis=0)  # (n - length + 1, F, length)
    return np.ascontiguousarray(
        view[starts + offset].transpose(0, 2, 1), dtype=np.float32
    )
