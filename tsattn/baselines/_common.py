"""Helpers shared by the baseline modules: parameter checks and an AR(1) filter."""

from __future__ import annotations

from typing import Any

import numpy as np

from tsattn._base import FloatArray

DEFAULT_QUANTILES = (0.05, 0.95)


def check_float(est: Any, name: str, value: Any, low: float, high: float) -> float:
    """Check that parameter ``name`` is a real number in the open interval."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(
            f"The {name!r} parameter of {type(est).__name__} must be a float in "
            f"({low}, {high}). Got {value!r} of type {type(value).__name__} instead."
        )
    if not low < value < high:
        raise ValueError(
            f"The {name!r} parameter of {type(est).__name__} must be a float in "
            f"({low}, {high}). Got {value!r} instead."
        )
    return float(value)


def lfilter_ar1(x: FloatArray, coef: float, gain: float, start: float) -> FloatArray:
    """Return ``s`` with ``s[t] = coef * s[t-1] + gain * x[t]``, ``s[-1] = start``."""
    from scipy.signal import lfilter

    out, _ = lfilter([gain], [1.0, -coef], x, zi=[coef * start])
    return out
