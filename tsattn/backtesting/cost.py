"""What a fit costs, measured the same way for every model of a backtest."""

from __future__ import annotations

import contextlib
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["count_params", "peak_memory"]

# tracemalloc is process-wide: one fit at a time measures, concurrent ones get NaN.
_TRACE_LOCK = threading.Lock()


@contextlib.contextmanager
def peak_memory(enabled: bool) -> Iterator[list[float]]:
    """Yield a one-item list that receives the tracemalloc peak in MiB (or NaN)."""
    box = [np.nan]
    if not enabled or not _TRACE_LOCK.acquire(blocking=False):
        yield box
        return
    try:
        if tracemalloc.is_tracing():  # someone else is tracing: do not disturb
            yield box
            return
        tracemalloc.start()
        try:
            yield box
            box[0] = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
    finally:
        _TRACE_LOCK.release()


def count_params(model: Any) -> float:
    """``n_params_`` if the model has it, else the size of statsmodels ``params``."""
    n = getattr(model, "n_params_", None)
    if n is not None:
        return float(n)
    total, found = 0, False
    for key, value in vars(model).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        items = (
            value.values()
            if isinstance(value, dict)
            else (value if isinstance(value, (list, tuple)) else [value])
        )
        for item in items:
            params = getattr(item, "params", None)
            if params is not None and hasattr(item, "model"):
                total += int(np.size(params))
                found = True
    return float(total) if found else np.nan
