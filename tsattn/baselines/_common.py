"""Helpers shared by the baseline modules: a float range check and an AR(1) filter."""

from __future__ import annotations

from typing import Any

from tsattn._base import FloatArray
from tsattn._validation import Interval, check_param

DEFAULT_QUANTILES = (0.05, 0.95)


def check_float(est: Any, name: str, value: Any, low: float, high: float) -> float:
    """Check that parameter ``name`` of ``est`` is a number in the open interval."""
    interval = Interval(float, low, high, closed="neither")
    return float(check_param(type(est).__name__, name, value, interval))


def lfilter_ar1(x: FloatArray, coef: float, gain: float, start: float) -> FloatArray:
    """Return ``s`` with ``s[t] = coef * s[t-1] + gain * x[t]``, ``s[-1] = start``."""
    from scipy.signal import lfilter

    out, _ = lfilter([gain], [1.0, -coef], x, zi=[coef * start])
    return out
