"""Windows that end at given rows: one prediction per row, short history masked."""

from __future__ import annotations

import numpy as np

from tsattn.windows import gather

__all__ = ["EndingWindows", "windows_ending_at_rows"]


class EndingWindows:
    """Windows ending at given rows of a NaN-padded array (missing steps masked).

    Parameters
    ----------
    padded : ndarray of float32, shape (n, F)
        Values, led by ``window_length - 1`` rows of NaN.
    starts : ndarray of int64
        First row of each window in ``padded``.
    window_length : int
        Rows per window.
    """

    def __init__(self, padded: np.ndarray, starts: np.ndarray, window_length: int):
        self.padded = padded
        self.starts = starts
        self.window_length = window_length

    def __len__(self) -> int:
        return len(self.starts)

    def get_batch(self, idx: np.ndarray) -> tuple[np.ndarray, None]:
        """Return the windows ``idx`` as (B, L, F) float32, and no targets."""
        return gather(self.padded, self.starts[idx], self.window_length), None


def windows_ending_at_rows(
    context: np.ndarray, values: np.ndarray, window_length: int
) -> EndingWindows:
    """One window per row of ``values``, ending at that row, led by ``context``.

    Rows before the start of the data are NaN, which the network treats as
    missing steps (key-padding mask): short history is masked, never filled
    with data from later rows.

    Parameters
    ----------
    context : ndarray, shape (m, F)
        Rows that come before ``values`` (may be empty).
    values : ndarray, shape (n, F)
        One window ends at each of these rows.
    window_length : int
        Rows per window.

    Returns
    -------
    EndingWindows
        ``len(values)`` windows in row order.
    """
    n_cols = values.shape[1]
    pad = np.full((window_length - 1, n_cols), np.nan, dtype=np.float32)
    padded = np.vstack([pad, context.astype(np.float32), values.astype(np.float32)])
    first = len(context)
    starts = np.arange(first, first + len(values), dtype=np.int64)
    return EndingWindows(padded, starts, window_length)
