"""Numba kernels behind ``tsattn.windows``: no validation, contiguous arrays only."""

import numpy as np
from numba import njit, prange

from tsattn.windows._flags import FLOAT_OPTIONS, JIT_OPTIONS, PARALLEL_OPTIONS

__all__ = [
    "gather",
    "gather_parallel",
    "gather_scaled",
    "gather_scaled_parallel",
    "nan_row_counts",
    "window_starts",
    "window_stats",
    "window_stats_parallel",
]


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
def window_starts(offsets, window_length, horizon, target_offset, step, bad_x, bad_y):
    """Global start rows of every window that stays inside one series.

    Window ``s`` reads lookback rows ``[s, s + window_length)`` and target rows
    ``[s + window_length + target_offset, ... + horizon)``. Starts are stepped back
    from the last possible start of each series, so that window is always kept.
    ``bad_x`` / ``bad_y`` are :func:`nan_row_counts` of values / targets, or empty
    arrays to skip the NaN check. Returns sorted int64 starts.
    """
    target_start = window_length + target_offset
    # Rows a window touches, relative to s: [min(0, target_start), reach).
    lead = min(0, target_start)
    reach = max(window_length, target_start + horizon)
    n_series = offsets.shape[0] - 1

    total = 0
    for i in range(n_series):
        lo = offsets[i] - lead
        hi = offsets[i + 1] - reach
        if hi < lo:
            continue
        first = hi - ((hi - lo) // step) * step
        for s in range(first, hi + 1, step):
            if _is_clean(s, window_length, target_start, horizon, bad_x, bad_y):
                total += 1

    out = np.empty(total, dtype=np.int64)
    k = 0
    for i in range(n_series):
        lo = offsets[i] - lead
        hi = offsets[i + 1] - reach
        if hi < lo:
            continue
        first = hi - ((hi - lo) // step) * step
        for s in range(first, hi + 1, step):
            if _is_clean(s, window_length, target_start, horizon, bad_x, bad_y):
                out[k] = s
                k += 1
    return out


# The batch kernels index flattened C-contiguous buffers with unsigned integers:
# NumPy-style negative-index wraparound then drops out of the inner loops, which
# lets LLVM turn copies and sums into vector code (about 10x faster).
#
# Each batch kernel comes twice, with the same per-window helper: a serial loop
# and a prange loop. The caller picks the parallel one only for large batches
# (see _flags.PARALLEL_MIN_ELEMENTS): waking a thread team costs microseconds on
# an idle machine and whole scheduler slices on a busy one.


@njit(**FLOAT_OPTIONS)
def _copy_window(src, r0, dst, d0, width):
    """``dst[d0 : d0 + width] = src[r0 : r0 + width]`` for unsigned offsets."""
    for k in range(width):
        dst[d0 + k] = src[r0 + k]


@njit(**FLOAT_OPTIONS)
def _column_stats(src, r0, length, eps):
    """Mean and ``sqrt(var + eps)`` of ``src[r0 : r0 + length]`` (one feature)."""
    n = np.uint64(length)
    total = np.float64(0.0)
    for k in range(n):
        total += src[r0 + k]
    mean = total / length
    sq = np.float64(0.0)
    for k in range(n):
        d = src[r0 + k] - mean
        sq += d * d
    return mean, np.sqrt(sq / length + eps)


@njit(**FLOAT_OPTIONS)
def _block_stats(src, r0, length, n_features, eps, mean, std):
    """Per-feature stats of the (length, F) block at flat ``r0`` into mean / std."""
    n = np.uint64(length)
    nf = np.uint64(n_features)
    for f in range(nf):
        mean[f] = 0.0
        std[f] = 0.0
    for j in range(n):
        row = r0 + j * nf
        for f in range(nf):
            mean[f] += src[row + f]
    for f in range(nf):
        mean[f] /= length
    for j in range(n):
        row = r0 + j * nf
        for f in range(nf):
            d = src[row + f] - mean[f]
            std[f] += d * d
    for f in range(nf):
        std[f] = np.sqrt(std[f] / length + eps)


@njit(**FLOAT_OPTIONS)
def _window_stats_one(src, r0, length, n_features, eps, mean_out, std_out, b):
    """Statistics of the window at flat ``r0`` into row ``b`` of the outputs."""
    if n_features == 1:
        m, sd = _column_stats(src, r0, length, eps)
        mean_out[b, 0] = m
        std_out[b, 0] = sd
    else:
        mean = np.empty(n_features, dtype=np.float64)
        std = np.empty(n_features, dtype=np.float64)
        _block_stats(src, r0, length, n_features, eps, mean, std)
        for f in range(n_features):
            mean_out[b, f] = mean[f]
            std_out[b, f] = std[f]


@njit(**FLOAT_OPTIONS)
def _scale_one(src, r0, dst, d0, length, n_features, eps, mean_out, std_out, b):
    """Standardise the window at flat ``r0`` into ``dst[d0:]``; stats into row b."""
    n = np.uint64(length)
    nf = np.uint64(n_features)
    if n_features == 1:
        m, sd = _column_stats(src, r0, length, eps)
        inv = 1.0 / sd
        for k in range(n):
            dst[d0 + k] = (src[r0 + k] - m) * inv
        mean_out[b, 0] = m
        std_out[b, 0] = sd
    else:
        mean = np.empty(n_features, dtype=np.float64)
        std = np.empty(n_features, dtype=np.float64)
        _block_stats(src, r0, length, n_features, eps, mean, std)
        for f in range(nf):
            mean_out[b, f] = mean[f]
            std_out[b, f] = std[f]
            std[f] = 1.0 / std[f]
        for j in range(n):
            row = r0 + j * nf
            drow = d0 + j * nf
            for f in range(nf):
                dst[drow + f] = (src[row + f] - mean[f]) * std[f]


@njit(**FLOAT_OPTIONS)
def gather(values, starts, length, offset, out):
    """Copy ``values[starts[b] + offset : ... + length]`` into ``out[b]``; returns out.

    ``values`` (n, F) and ``out`` (B, length, F) are C-contiguous with one dtype;
    bounds are the caller's job.
    """
    nf = np.uint64(values.shape[1])
    src = values.reshape(-1)
    dst = out.reshape(-1)
    width = np.uint64(length) * nf
    for b in range(starts.shape[0]):
        r0 = np.uint64(starts[b] + offset) * nf
        _copy_window(src, r0, dst, np.uint64(b) * width, width)
    return out


@njit(**PARALLEL_OPTIONS)
def gather_parallel(values, starts, length, offset, out):
    """:func:`gather` with windows spread over threads."""
    nf = np.uint64(values.shape[1])
    src = values.reshape(-1)
    dst = out.reshape(-1)
    width = np.uint64(length) * nf
    for b in prange(starts.shape[0]):
        r0 = np.uint64(starts[b] + offset) * nf
        _copy_window(src, r0, dst, np.uint64(b) * width, width)
    return out


@njit(**FLOAT_OPTIONS)
def window_stats(batch, eps, mean_out, std_out):
    """Per-window, per-feature mean and ``sqrt(var + eps)`` over axis 1 of ``batch``.

    Accumulates in float64 (two passes, population variance) and writes into
    ``mean_out`` / ``std_out`` (B, F).
    """
    n_windows, length, n_features = batch.shape
    src = batch.reshape(-1)
    width = np.uint64(length) * np.uint64(n_features)
    for b in range(n_windows):
        r0 = np.uint64(b) * width
        _window_stats_one(src, r0, length, n_features, eps, mean_out, std_out, b)
    return mean_out, std_out


@njit(**PARALLEL_OPTIONS)
def window_stats_parallel(batch, eps, mean_out, std_out):
    """:func:`window_stats` with windows spread over threads."""
    n_windows, length, n_features = batch.shape
    src = batch.reshape(-1)
    width = np.uint64(length) * np.uint64(n_features)
    for b in prange(n_windows):
        r0 = np.uint64(b) * width
        _window_stats_one(src, r0, length, n_features, eps, mean_out, std_out, b)
    return mean_out, std_out


@njit(**FLOAT_OPTIONS)
def gather_scaled(values, starts, length, offset, eps, out, mean_out, std_out):
    """Fused :func:`gather` and per-window standardisation ``(x - mean) / std``.

    Reads each window straight from ``values`` (never an unscaled copy), so the
    batch is written once. Statistics as in :func:`window_stats`.
    """
    n_features = values.shape[1]
    nf = np.uint64(n_features)
    src = values.reshape(-1)
    dst = out.reshape(-1)
    width = np.uint64(length) * nf
    for b in range(starts.shape[0]):
        r0 = np.uint64(starts[b] + offset) * nf
        d0 = np.uint64(b) * width
        _scale_one(src, r0, dst, d0, length, n_features, eps, mean_out, std_out, b)
    return out, mean_out, std_out


@njit(**PARALLEL_OPTIONS)
def gather_scaled_parallel(values, starts, length, offset, eps, out, mean_out, std_out):
    """:func:`gather_scaled` with windows spread over threads."""
    n_features = values.shape[1]
    nf = np.uint64(n_features)
    src = values.reshape(-1)
    dst = out.reshape(-1)
    width = np.uint64(length) * nf
    for b in prange(starts.shape[0]):
        r0 = np.uint64(starts[b] + offset) * nf
        d0 = np.uint64(b) * width
        _scale_one(src, r0, dst, d0, length, n_features, eps, mean_out, std_out, b)
    return out, mean_out, std_out
