"""Helpers shared by the baseline modules: parameters, and an AR(1) filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsattn._base import FloatArray
from tsattn._validation import Interval, check_param

DEFAULT_QUANTILES = (0.05, 0.95)


def store_params(estimator: Any, arguments: Mapping[str, Any]) -> None:
    """Store the ``__init__`` arguments of ``estimator`` unchanged, as attributes.

    scikit-learn's convention: ``__init__`` only keeps its keyword arguments
    under their own names, so that ``get_params``, ``set_params`` and
    ``clone`` work; checks wait for ``fit``. Call it as
    ``store_params(self, locals())``, the first statement of ``__init__``.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def check_float(est: Any, name: str, value: Any, low: float, high: float) -> float:
    """Check that parameter ``name`` of ``est`` is a number in the open interval."""
    interval = Interval(float, low, high, closed="neither")
    return float(check_param(type(est).__name__, name, value, interval))


def lfilter_ar1(x: FloatArray, coef: float, gain: float, start: float) -> FloatArray:
    """Return ``s`` with ``s[t] = coef * s[t-1] + gain * x[t]``, ``s[-1] = start``."""
    from scipy.signal import lfilter

    out, _ = lfilter([gain], [1.0, -coef], x, zi=[coef * start])
    return out
