"""Helpers shared by the baseline modules: parameters, statsmodels, an AR(1) filter."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from tsattn import TsattnWarning
from tsattn._base import FloatArray, UnivariateForecaster
from tsattn._validation import validate_params

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


class UnivariateBaseline(UnivariateForecaster):
    """A series baseline whose own parameters are declared as data.

    Subclasses list them in ``_parameter_constraints`` (see
    :mod:`tsattn._validation`); ``fit`` checks them after the shared
    ``horizon`` and ``quantiles``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def _check_params(self) -> None:
        super()._check_params()
        validate_params(self)


@contextmanager
def quiet_statsmodels() -> Iterator[None]:
    """Silence statsmodels' start-value and convergence chatter; we check ourselves."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"statsmodels\.")
        warnings.filterwarnings(
            "ignore", message="adfuller currently returns", category=FutureWarning
        )
        yield


def warn_unconverged(res: Any, what: str) -> None:
    """Warn when the likelihood fit ``res`` of model ``what`` did not converge."""
    retvals = getattr(res, "mle_retvals", None) or {}
    if retvals.get("converged") is False:
        warnings.warn(
            f"{what}: the likelihood optimiser did not converge; forecasts may be "
            "unreliable. Check the data scale or choose a simpler model.",
            TsattnWarning,
            stacklevel=4,
        )


def lfilter_ar1(x: FloatArray, coef: float, gain: float, start: float) -> FloatArray:
    """Return ``s`` with ``s[t] = coef * s[t-1] + gain * x[t]``, ``s[-1] = start``."""
    from scipy.signal import lfilter

    out, _ = lfilter([gain], [1.0, -coef], x, zi=[coef * start])
    return out
