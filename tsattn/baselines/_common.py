"""Helpers shared by the baseline modules: docstring entries, statsmodels, AR(1)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from tsattn import TsattnWarning
from tsattn._base import FloatArray, UnivariateForecaster
from tsattn._validation import validate_params

DEFAULT_QUANTILES = (0.05, 0.95)

#: Docstring entries that several baselines share, by name (see tsattn._docstrings).
DOC_ENTRIES = {
    "horizon": """
        horizon : int, default=1
            Steps forecast from each row by ``predict`` and by ``forecast()``.
        """,
    "quantiles": """
        quantiles : sequence of float or None, default=(0.05, 0.95)
            Gaussian quantile levels of the forecast; None or () disables them.
        """,
    "history_attributes": """
        Attributes
        ----------
        models_ : list of ndarray
            The history of each target column.
        """,
    "unit": """
        unit : {"variance", "volatility"}, default="variance"
            What is forecast; must match the target kind (realized_var /
            volatility).
        """,
    "window": """
        window : int or None, default=None
            Rows summed by the target; None reads it from ``y`` (make_targets).
        """,
    "window_": """
        window_ : int
            Rows summed by the forecast.
        """,
    "input_kind": """
        input_kind : {"prices", "returns"}, default="prices"
            Whether ``X`` holds prices (log returns are taken) or log returns.
        """,
    "stock_data": """
        >>> from tsattn import make_stock_like, make_targets
        >>> X = make_stock_like(n_steps=400, random_state=0)  # OHLCV prices
        """,
    "input_kind_unused": """
        input_kind : {"prices", "returns"}, default="prices"
            What ``X`` holds (only its length matters to this model).
        """,
}


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
