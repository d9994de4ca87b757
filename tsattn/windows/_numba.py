"""Numba kernels behind ``tsattn.windows``: no validation, contiguous arrays only."""

import numpy as np
from numba import njit, prange

from tsattn.windows._flags import FLOAT_OPTIONS, JIT_OPTIONS, PARALLEL_OPTIONS

__all__ = ["gather", "gather_parallel", "nan_row_counts", "window_starts"]


@njit(**JIT_OPTIONS)
def nan_row_counts(values):
    """Cumulative count of rows holding a NaN: ``out[i]`` counts rows ``< i``.

    ``values`` is (n, F); the result is int64 (n + 1,), so rows ``[a, b)`` are
    NaN-free exactly when ``out[b] - out[a] == 0``.
    """
    n, n_features = values.shape
    out = np.zeros(n + 1, dtype=np.int64)
    count = 0
    for i in range(n):
        for f in range(n_features):
            if np.isnan(values[i, f]):
                count += 1
                break
        out[i + 1] = count
    return out


@njit(**JIT_OPTIONS)
def _is_clean(s, window_length, target_start, horizon, bad_x, bad_y):
    """Whether window ``s`` has no NaN row in its lookback or its target rows."""
    if bad_x.shape[0] > 0 and bad_x[s + window_length] - bad_x[s] > 0:
        return False
    if bad_y.shape[0] > 0:
        t0 = s + target_start
        if bad_y[t0 + horizon] - bad_y[t0] > 0:
            return False
    return True


@njit(**JIT_OPTIONS)
def _clean_starts(
    offsets, window_length, horizon, target_offset, step, bad_x, bad_y, out
):
    """Write the clean window starts into ``out`` as far as it reaches; count them.

    Called once with an empty ``out`` to size the result, then with one of
    that size to fill it.
    """
    target_start = window_length + target_offset
    # Rows a window touches, relative to s: [min(0, target_start), reach).
    lead = min(0, target_start)
    reach = max(window_length, target_start + horizon)
    k = 0
    for i in range(offsets.shape[0] - 1):
        lo = offsets[i] - lead
        hi = offsets[i + 1] - reach
        if hi < lo:
            continue
        first = hi - ((hi - lo) // step) * step
        for s in range(first, hi + 1, step):
            if _is_clean(s, window_length, target_start, horizon, bad_x, bad_y):
                if k < out.shape[0]:
                    out[k] = s
                k += 1
    return k


@njit(**JIT_OPTIONS)
def window_starts(offsets, window_length, horizon, target_offset, step, bad_x, bad_y):
    """Global start rows of every window that stays inside one series.

    Window ``s`` reads lookback rows ``[s, s + window_length)`` and target rows
    ``[s + window_length + target_offset, ... + horizon)``. Starts are stepped back
    from the last possible start of each series, so that window is always kept.
    ``bad_x`` / ``bad_y`` are :func:`nan_row_counts` of values / targets, or empty
    arrays to skip the NaN check. Returns sorted int64 starts.
    """
    geometry = (offsets, window_length, horizon, target_offset, step, bad_x, bad_y)
    total = _clean_starts(*geometry, np.empty(0, dtype=np.int64))
    out = np.empty(total, dtype=np.int64)
    _clean_starts(*geometry, out)
    return out


# The batch kernels index flattened C-contiguous buffers with unsigned integers:
# NumPy-style negative-index wraparound then drops out of the inner loops, which
# lets LLVM turn copies and sums into vector code (about 10x faster).
#
# The gather kernel comes twice around the same helpers: a serial loop and a
# prange loop. They stay two functions because Numba's on-disk cache keys a
# compiled kernel by its source, not by its parallel flag. The caller picks the
# parallel one only for large batches (see _flags.PARALLEL_MIN_ELEMENTS): waking
# a thread team costs microseconds on an idle machine and whole scheduler slices
# on a busy one.


@njit(**FLOAT_OPTIONS)
def _flat_batch(values, length, out):
    """Flat views of ``values`` and ``out``, features per row and floats per window."""
    n_features = np.uint64(values.shape[1])
    width = np.uint64(length) * n_features
    return values.reshape(-1), out.reshape(-1), n_features, width


@njit(**FLOAT_OPTIONS)
def _copy_window(src, starts, b, offset, n_features, dst, width):
    """Copy window ``b`` of the batch from the flat rows ``src`` into ``dst``."""
    r0 = np.uint64(starts[b] + offset) * n_features
    d0 = np.uint64(b) * width
    for k in range(width):
        dst[d0 + k] = src[r0 + k]


@njit(**FLOAT_OPTIONS)
def gather(values, starts, length, offset, out):
    """Copy ``values[starts[b] + offset : ... + length]`` into ``out[b]``; returns out.

    ``values`` (n, F) and ``out`` (B, length, F) are C-contiguous with one dtype;
    bounds are the caller's job.
    """
    src, dst, n_features, width = _flat_batch(values, length, out)
    for b in range(starts.shape[0]):
        _copy_window(src, starts, b, offset, n_features, dst, width)
    return out


@njit(**PARALLEL_OPTIONS)
def gather_parallel(values, starts, length, offset, out):
    """:func:`gather` with windows spread over threads."""
    src, dst, n_features, width = _flat_batch(values, length, out)
    for b in prange(starts.shape[0]):
        _copy_window(src, starts, b, offset, n_features, dst, width)
    return out
