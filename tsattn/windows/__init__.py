"""Sliding windows over panels of series: window starts and batch gather.

A panel is one float32 array ``values`` (n, F) holding every series stacked in time
order, and an int64 array ``offsets`` (n_series + 1,) with ``offsets[0] == 0`` and
``offsets[-1] == n``: series ``i`` occupies rows ``offsets[i]:offsets[i + 1]``.
Targets ``(n, T)`` live on the same rows. A window is named by its global start row
``s``: lookback rows ``[s, s + window_length)`` and target rows
``[s + window_length + target_offset, ... + horizon)``. Windows are never
materialised all at once; batches are gathered by start into reusable buffers.
"""

import numba
import numpy as np
import numpy.typing as npt

from tsattn._validation import Interval, check_scalar, store_params
from tsattn.windows import _flags, _numba

__all__ = [
    "WindowSet",
    "gather",
    "make_windows",
    "window_starts",
]

_EMPTY_COUNTS = np.empty(0, dtype=np.int64)


# --------------------------------------------------------------------------- checks
def _check_geometry(
    window_length: object, horizon: object, target_offset: object, step: object
) -> tuple[int, int, int, int]:
    """Validate the window geometry; return it as ints."""
    positive = Interval(int, 1, None)
    return (
        int(check_scalar("window_length", window_length, positive)),
        int(check_scalar("horizon", horizon, positive)),
        int(check_scalar("target_offset", target_offset, Interval(int, None, None))),
        int(check_scalar("step", step, positive)),
    )


def _as_2d(name: str, array: object) -> np.ndarray:
    """View an array as (n, F) rows; 1-D input is one feature."""
    arr = np.asarray(array)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (n,) or 2-D (n, n_features); got {arr.ndim}-D "
            f"array of shape {arr.shape}. Stack the series along the first axis."
        )
    return arr


def _as_float32_2d(name: str, array: object) -> np.ndarray:
    """Convert to a C-contiguous float32 (n, F) array; 1-D input is one feature."""
    arr = np.asarray(array)
    if arr.dtype.kind not in "fiu":
        try:
            arr = arr.astype(np.float32)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must hold real numbers; got an array of dtype {arr.dtype} "
                "that does not convert to float32. Pass numeric data."
            ) from None
    arr = _as_2d(name, arr)
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape}).")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _check_offsets(offsets: object, n_rows: int | None) -> np.ndarray:
    """Validate series offsets; ``n_rows`` (when known) must equal ``offsets[-1]``."""
    arr = np.asarray(offsets)
    if arr.ndim != 1 or arr.shape[0] < 2:
        raise ValueError(
            "offsets must be a 1-D array of n_series + 1 row positions "
            f"(at least [0, n]); got shape {arr.shape}."
        )
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"offsets must hold integers; got dtype {arr.dtype}. "
            "Pass row positions such as np.array([0, 120, 250])."
        )
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr[0] != 0:
        raise ValueError(f"offsets[0] must be 0; got {arr[0]}.")
    drops = np.flatnonzero(np.diff(arr) < 0)
    if drops.size:
        i = int(drops[0])
        raise ValueError(
            "offsets must be non-decreasing; offsets["
            f"{i + 1}] = {arr[i + 1]} < offsets[{i}] = {arr[i]}. "
            "Stack series one after another and pass their boundaries in order."
        )
    if n_rows is not None and arr[-1] != n_rows:
        raise ValueError(
            f"offsets[-1] (= {arr[-1]}) must equal the number of rows (= {n_rows})."
        )
    return arr


def _check_rows(name: str, array: np.ndarray, n_rows: int) -> None:
    if array.shape[0] != n_rows:
        raise ValueError(
            f"{name} has {array.shape[0]} rows but the panel has {n_rows} "
            "(offsets[-1]); values and targets must share rows."
        )


def _nan_counts(array: np.ndarray | None) -> np.ndarray:
    """Cumulative NaN-row counts of a float array, or an empty array for no check."""
    if array is None or array.dtype.kind != "f":
        return _EMPTY_COUNTS
    if array.dtype.itemsize < 4:
        array = array.astype(np.float32)
    return _numba.nan_row_counts(np.ascontiguousarray(array))


def _check_out(
    out: object, shape: tuple[int, ...], name: str = "out"
) -> np.ndarray | None:
    """Validate a preallocated float32 buffer; None means allocate one."""
    if out is None:
        return None
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy.ndarray of dtype float32; got "
            f"{type(out).__name__}."
        )
    if out.dtype != np.float32:
        raise TypeError(
            f"{name} must have dtype float32; got {out.dtype}. "
            f"Allocate it with np.empty({shape}, dtype=np.float32)."
        )
    if out.shape != shape:
        raise ValueError(
            f"{name} has shape {out.shape} but this batch needs {shape}. "
            f"Allocate it with np.empty({shape}, dtype=np.float32)."
        )
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be a writeable, C-contiguous array.")
    return out


def _check_starts(
    starts: object, n_rows: int, length: int, offset: int, name: str = "starts"
) -> np.ndarray:
    """Return starts as int64 and check that every window lies within the rows."""
    arr = np.asarray(starts)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}.")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer row positions; got {arr.dtype}.")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    # Two cheap reductions on the hot path; the offending start only on error.
    if arr.min() + offset < 0 or arr.max() + offset > n_rows - length:
        first = arr + offset
        b = int(np.flatnonzero((first < 0) | (first > n_rows - length))[0])
        lo = int(first[b])
        raise ValueError(
            f"{name}[{b}] = {arr[b]} reads rows {lo}:{lo + length} "
            f"(offset {offset}, length {length}), outside the {n_rows} rows of "
            f"values; starts must lie in [{-offset}, {n_rows - length - offset}]."
        )
    return arr


def _use_threads(n_elements: int) -> bool:
    """Whether a batch of ``n_elements`` floats is worth the prange kernels."""
    return (
        n_elements >= _flags.PARALLEL_MIN_ELEMENTS
        and numba.config.NUMBA_NUM_THREADS > 1
    )


def _span(window_length: int, horizon: int, target_offset: int) -> int:
    """Rows one window touches: lookback and target block together."""
    target_start = window_length + target_offset
    return max(window_length, target_start + horizon) - min(0, target_start)


# -------------------------------------------------------------------------- public
def window_starts(
    offsets: npt.ArrayLike,
    *,
    window_length: int,
    horizon: int,
    target_offset: int = 0,
    step: int = 1,
    values: npt.ArrayLike | None = None,
    targets: npt.ArrayLike | None = None,
    skip_nan: bool = True,
) -> np.ndarray:
    """Global start rows of every valid window over a panel of series.

    Window ``s`` has lookback rows ``[s, s + window_length)`` and target rows
    ``[s + window_length + target_offset, ... + horizon)``. Both blocks lie
    inside one series; windows never cross a series boundary.

    Parameters
    ----------
    offsets : array-like of int, shape (n_series + 1,)
        Series boundaries: ``offsets[0] == 0``, non-decreasing, ``offsets[-1] == n``.
    window_length : int
        Lookback length ``L`` (>= 1).
    horizon : int
        Number of target rows ``H`` (>= 1).
    target_offset : int, default 0
        Where the target block starts relative to the row after the lookback:
        ``0`` forecasts the next ``H`` rows; ``-1`` with ``horizon=1`` takes the
        target at the lookback's last row (supervised, one prediction per row).
    step : int, default 1
        Distance between consecutive starts within a series. Steps are counted
        back from the end of each series, so the most recent window is kept.
    values : array-like of shape (n, F), optional
        Screened for NaN over each lookback when ``skip_nan``.
    targets : array-like of shape (n, T), optional
        Screened for NaN over each target block when ``skip_nan``.
    skip_nan : bool, default True
        Drop windows whose lookback values or target rows hold a NaN.

    Returns
    -------
    ndarray of int64, shape (n_windows,)
        Sorted start rows (empty when no window fits).

    Examples
    --------
    >>> window_starts([0, 6, 10], window_length=3, horizon=1, step=2)
    array([0, 2, 6])
    """
    window_length, horizon, target_offset, step = _check_geometry(
        window_length, horizon, target_offset, step
    )
    if not isinstance(skip_nan, bool | np.bool_):
        raise TypeError(f"skip_nan must be True or False; got {skip_nan!r}.")
    offsets = _check_offsets(offsets, None)
    n_rows = int(offsets[-1])
    bad_x = bad_y = _EMPTY_COUNTS
    for name, array in (("values", values), ("targets", targets)):
        if array is None:
            continue
        arr = _as_2d(name, array)
        _check_rows(name, arr, n_rows)
        if skip_nan:
            counts = _nan_counts(arr)
            if name == "values":
                bad_x = counts
            else:
                bad_y = counts
    return _numba.window_starts(
        offsets, window_length, horizon, target_offset, step, bad_x, bad_y
    )


def gather(
    values: npt.ArrayLike,
    starts: npt.ArrayLike,
    length: int,
    *,
    offset: int = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Gather windows ``values[s + offset : s + offset + length]`` into a batch.

    Parameters
    ----------
    values : array-like of shape (n, F)
        Stacked panel rows. Pass C-contiguous float32 to avoid a conversion copy.
    starts : array-like of int, shape (B,)
        Window start rows, e.g. from :func:`window_starts`.
    length : int
        Rows per window (>= 1).
    offset : int, default 0
        Added to every start; ``window_length + target_offset`` gathers targets.
    out : ndarray of float32, shape (B, length, F), optional
        Buffer to fill in place and return (reuse it across batches).

    Returns
    -------
    ndarray of float32, shape (B, length, F)
        ``out`` when given.

    Raises
    ------
    ValueError
        When a window reaches outside ``values`` (naming the start) or ``out``
        has the wrong shape.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(6, 1)
    >>> gather(x, [0, 3], 2)[:, :, 0]
    array([[0., 1.],
           [3., 4.]], dtype=float32)
    """
    values = _as_float32_2d("values", values)
    length = int(check_scalar("length", length, Interval(int, 1, None)))
    offset = int(check_scalar("offset", offset, Interval(int, None, None)))
    starts = _check_starts(starts, values.shape[0], length, offset)
    shape = (starts.shape[0], length, values.shape[1])
    buf = _check_out(out, shape)
    if buf is None:
        buf = np.empty(shape, dtype=np.float32)
    if starts.shape[0]:
        kernel = _numba.gather_parallel if _use_threads(buf.size) else _numba.gather
        kernel(values, starts, length, offset, buf)
    return buf


class WindowSet:
    """Lazy set of windows over a panel: start rows plus the arrays they index.

    Memory is O(n): only the panel and one int64 start per window are held;
    batches are gathered on demand by :meth:`get_batch`. Build it with
    :func:`make_windows`.

    Attributes
    ----------
    starts : ndarray of int64, shape (n_windows,)
        Sorted global start row of each window.
    window_length, horizon, target_offset, step : int
        The window geometry (see :func:`window_starts`).
    values : ndarray of float32, shape (n, F)
        Panel rows (shared, not copied, when already C-contiguous float32).
    targets : ndarray of float32, shape (n, T) or None
        Target rows, or None.
    offsets : ndarray of int64, shape (n_series + 1,)
        Series boundaries.
    """

    def __init__(
        self,
        values: np.ndarray,
        targets: np.ndarray | None,
        offsets: np.ndarray,
        starts: np.ndarray,
        *,
        window_length: int,
        horizon: int,
        target_offset: int,
        step: int,
    ) -> None:
        store_params(self, locals())

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def __repr__(self) -> str:
        n_targets = None if self.targets is None else self.n_targets
        return (
            f"WindowSet(n_windows={len(self)}, window_length={self.window_length}, "
            f"horizon={self.horizon}, target_offset={self.target_offset}, "
            f"step={self.step}, n_series={self.n_series}, "
            f"n_features={self.n_features}, n_targets={n_targets})"
        )

    @property
    def n_features(self) -> int:
        """Number of feature columns ``F``."""
        return int(self.values.shape[1])

    @property
    def n_targets(self) -> int:
        """Number of target columns ``T`` (0 without targets)."""
        return 0 if self.targets is None else int(self.targets.shape[1])

    @property
    def n_series(self) -> int:
        """Number of series in the panel."""
        return int(self.offsets.shape[0] - 1)

    @property
    def series_index(self) -> np.ndarray:
        """Series number of each window, int64 (n_windows,)."""
        return np.searchsorted(self.offsets, self.starts, side="right") - 1

    def subset(self, idx: npt.ArrayLike) -> "WindowSet":
        """Select the windows ``idx``, sharing the arrays (nothing is copied).

        Parameters
        ----------
        idx : array-like of int or bool, shape (k,) or (n_windows,)
            Window numbers, or a boolean mask over the windows. Order is kept as
            given, so pass sorted numbers to keep windows in time order.

        Returns
        -------
        WindowSet
            Same geometry and arrays; ``starts`` is ``self.starts[idx]``.
        """
        idx = np.asarray(idx)
        if idx.dtype == bool and idx.shape != self.starts.shape:
            raise ValueError(
                f"A boolean idx must have one entry per window ({len(self)}); "
                f"got shape {idx.shape}."
            )
        if idx.size and idx.dtype != bool and idx.dtype.kind not in "iu":
            raise TypeError(
                f"idx must hold integer window numbers or booleans; got {idx.dtype}."
            )
        try:
            starts = self.starts[idx.astype(np.int64) if idx.size == 0 else idx]
        except IndexError as err:
            raise ValueError(
                f"idx is out of range for a WindowSet of {len(self)} windows: {err}"
            ) from None
        return WindowSet(
            self.values,
            self.targets,
            self.offsets,
            np.ascontiguousarray(starts),
            window_length=self.window_length,
            horizon=self.horizon,
            target_offset=self.target_offset,
            step=self.step,
        )

    def get_batch(
        self,
        idx: npt.ArrayLike,
        *,
        out_x: np.ndarray | None = None,
        out_y: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Gather the lookbacks and targets of the windows ``idx``.

        Parameters
        ----------
        idx : array-like of int, shape (B,)
            Window numbers (positions in :attr:`starts`); negative numbers count
            from the end, as in NumPy.
        out_x : ndarray of float32, shape (B, window_length, F), optional
            Buffer for the lookbacks, filled in place.
        out_y : ndarray of float32, shape (B, horizon, T), optional
            Buffer for the targets, filled in place.

        Returns
        -------
        x : ndarray of float32, shape (B, window_length, F)
        y : ndarray of float32, shape (B, horizon, T) or None
            None when the set has no targets.
        """
        idx = np.asarray(idx)
        if idx.ndim == 0:
            idx = idx[None]
        if idx.size == 0:
            idx = idx.astype(np.int64)
        if idx.ndim != 1:
            raise ValueError(f"idx must be 1-D; got shape {idx.shape}.")
        if idx.dtype.kind not in "iu":
            raise TypeError(
                f"idx must hold integer window numbers; got dtype {idx.dtype}."
            )
        n = len(self)
        bad = np.flatnonzero((idx < -n) | (idx >= n))
        if bad.size:
            raise ValueError(
                f"idx[{bad[0]}] = {idx[bad[0]]} is out of range for a WindowSet "
                f"of {n} windows (valid: -{n} to {n - 1})."
            )
        starts = self.starts[idx]
        if self.targets is None and out_y is not None:
            raise ValueError("out_y was given but this WindowSet has no targets.")
        x = gather(self.values, starts, self.window_length, out=out_x)
        if self.targets is None:
            return x, None
        y = gather(
            self.targets,
            starts,
            self.horizon,
            offset=self.window_length + self.target_offset,
            out=out_y,
        )
        return x, y


def make_windows(
    values: npt.ArrayLike,
    targets: npt.ArrayLike | None = None,
    *,
    window_length: int,
    horizon: int,
    target_offset: int = 0,
    step: int = 1,
    offsets: npt.ArrayLike | None = None,
    skip_nan: bool = True,
) -> WindowSet:
    """Validate a panel and index every valid window, without materialising any.

    Parameters
    ----------
    values : array-like of shape (n, F) or (n,)
        Stacked series rows in time order; 1-D is one feature. Converted to
        C-contiguous float32 once (no copy when it already is).
    targets : array-like of shape (n, T) or (n,), optional
        Targets on the same rows.
    window_length, horizon, target_offset, step, skip_nan
        As in :func:`window_starts`.
    offsets : array-like of int, shape (n_series + 1,), optional
        Series boundaries; default ``[0, n]`` (one series).

    Returns
    -------
    WindowSet

    Raises
    ------
    ValueError
        When no window fits (series too short, or every window holds a NaN),
        or shapes and offsets disagree.

    Examples
    --------
    >>> ws = make_windows(np.arange(10.0), np.arange(10.0), window_length=4,
    ...                   horizon=2)
    >>> len(ws), ws.starts[-1]
    (5, np.int64(4))
    >>> x, y = ws.get_batch([4])
    >>> x[0, :, 0], y[0, :, 0]
    (array([4., 5., 6., 7.], dtype=float32), array([8., 9.], dtype=float32))
    """
    window_length, horizon, target_offset, step = _check_geometry(
        window_length, horizon, target_offset, step
    )
    x = _as_float32_2d("values", values)
    n_rows = x.shape[0]
    if n_rows == 0:
        raise ValueError("values has no rows; pass at least one series.")
    y = None
    if targets is not None:
        y = _as_float32_2d("targets", targets)
        if y.shape[0] != n_rows:
            raise ValueError(
                f"targets has {y.shape[0]} rows but values has {n_rows}; "
                "they must share rows."
            )
    if offsets is None:
        offs = np.array([0, n_rows], dtype=np.int64)
    else:
        offs = _check_offsets(offsets, n_rows)
    starts = window_starts(
        offs,
        window_length=window_length,
        horizon=horizon,
        target_offset=target_offset,
        step=step,
        values=x,
        targets=y,
        skip_nan=skip_nan,
    )
    if starts.shape[0] == 0:
        span = _span(window_length, horizon, target_offset)
        longest = int(np.diff(offs).max())
        if longest < span:
            if target_offset == 0:
                need = f"window_length + horizon (= {span})"
            elif span == window_length:
                need = f"window_length (= {span})"
            else:
                need = (
                    f"a window (window_length = {window_length}, horizon = "
                    f"{horizon}, target_offset = {target_offset}) spans {span} "
                    "rows, which"
                )
            raise ValueError(
                f"{need} exceeds the longest series (= {longest} rows). "
                "Pass a longer series or reduce window_length / horizon."
            )
        n_candidates = window_starts(
            offs,
            window_length=window_length,
            horizon=horizon,
            target_offset=target_offset,
            step=step,
        ).shape[0]
        raise ValueError(
            f"All {n_candidates} candidate windows hold a NaN in their lookback "
            "values or target rows, so none is left. Fill or drop the NaNs, or "
            "pass skip_nan=False."
        )
    return WindowSet(
        x,
        y,
        offs,
        starts,
        window_length=window_length,
        horizon=horizon,
        target_offset=target_offset,
        step=step,
    )
