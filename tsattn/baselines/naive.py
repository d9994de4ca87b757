"""Naive family: random walk, seasonal naive, drift and historical mean.

Each is a :class:`tsattn._base.UnivariateForecaster` whose state is the full
history of a column: ``fit(X)`` on a series or a wide frame, ``forecast()``
the next ``horizon`` steps, ``predict(X)`` the forecast from every row.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from tsattn._base import FloatArray
from tsattn._docstrings import fill_doc
from tsattn._validation import Interval, store_params
from tsattn.baselines._common import DEFAULT_QUANTILES as _DEFAULT_QUANTILES
from tsattn.baselines._common import DOC_ENTRIES, UnivariateBaseline

__all__ = [
    "DriftForecaster",
    "MeanForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
]


class _HistoryForecaster(UnivariateBaseline):
    """Parameter-free baselines whose state is the full history of a column.

    Their parameters are ``horizon`` and ``quantiles`` unless a subclass adds
    its own.
    """

    def __init__(
        self,
        *,
        horizon: int = 1,
        quantiles: Sequence[float] | None = _DEFAULT_QUANTILES,
    ) -> None:
        store_params(self, locals())

    def _fit_one(self, y: FloatArray) -> FloatArray:
        return y.copy()

    def _update_one(self, state: FloatArray, y_new: FloatArray) -> FloatArray:
        return np.concatenate([state, y_new])

    def _reset_one(self, state: FloatArray, y: FloatArray) -> FloatArray:
        return y.copy()

    def _path_one(
        self, state: FloatArray, y: FloatArray, continuing: bool
    ) -> FloatArray:
        z = np.concatenate([state, y]) if continuing else y
        return self._path_positions(z, len(z) - len(y))

    def _forecast_one(
        self, state: FloatArray, steps: int
    ) -> tuple[FloatArray, FloatArray | None]:
        mean = self._mean(state, steps)
        if not self._quantile_levels():
            return mean, None
        return mean, self._normal_quantiles(mean, self._sd(state, steps))

    @abstractmethod
    def _mean(self, state: FloatArray, steps: int) -> FloatArray:
        """Point forecasts of the next ``steps`` values after the history."""

    @abstractmethod
    def _sd(self, state: FloatArray, steps: int) -> FloatArray:
        """Return the standard deviation of each of those forecasts."""

    @abstractmethod
    def _path_positions(self, z: FloatArray, offset: int) -> FloatArray:
        """Forecasts (n, H) from every position ``offset..len(z)-1`` of ``z``."""


@fill_doc(DOC_ENTRIES)
class NaiveForecaster(_HistoryForecaster):
    """Random walk: every future value equals the last observed one.

    The bar for stock prices. Intervals follow the random walk: the h-step
    standard deviation is ``sigma * sqrt(h)`` with ``sigma**2`` the mean of the
    squared in-sample one-step differences (as fable's ``NAIVE``).

    Parameters
    ----------
    {{horizon}}
    {{quantiles}}

    {{history_attributes}}
    columns_ : list
        Target names. ``index_`` holds the index of all data seen.

    See Also
    --------
    DriftForecaster : Random walk with drift.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.baselines import NaiveForecaster
    >>> y = pd.Series([1.0, 2.0, 4.0], name="price",
    ...               index=pd.date_range("2024-01-01", periods=3, freq="D"))
    >>> NaiveForecaster(horizon=2, quantiles=None).fit(y).forecast()
                price
    2024-01-04    4.0
    2024-01-05    4.0
    """

    def _min_length(self) -> tuple[int, str]:
        if self._quantile_levels():
            return 2, " (intervals need one in-sample difference)"
        return 1, ""

    def _mean(self, state: FloatArray, steps: int) -> FloatArray:
        return np.full(steps, state[-1])

    def _sd(self, state: FloatArray, steps: int) -> FloatArray:
        sigma2 = np.mean(np.diff(state) ** 2)
        return np.sqrt(sigma2 * np.arange(1, steps + 1))

    def _path_positions(self, z: FloatArray, offset: int) -> FloatArray:
        return np.repeat(z[offset:, None], self.horizon, axis=1)


@fill_doc(DOC_ENTRIES)
class SeasonalNaiveForecaster(_HistoryForecaster):
    """Seasonal naive: each future value equals the value one season earlier.

    ``y[T+h] = y[T+h-m(k+1)]`` with ``k = (h-1) // m``. Intervals use the
    standard deviation ``sigma * sqrt(k+1)``, ``sigma**2`` the mean squared
    in-sample seasonal difference (Hyndman & Athanasopoulos, fpp3, 5.5).

    Parameters
    ----------
    season_length : int
        The seasonal period ``m`` (e.g. 5 for a business week of daily data).
    {{horizon}}
    {{quantiles}}

    {{history_attributes}}

    Examples
    --------
    >>> from tsattn.baselines import SeasonalNaiveForecaster
    >>> f = SeasonalNaiveForecaster(season_length=2, horizon=3, quantiles=None)
    >>> f.fit([1.0, 5.0, 2.0, 6.0]).forecast()["y"].tolist()
    [2.0, 6.0, 2.0]
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "season_length": [Interval(int, 1, None)]
    }

    def __init__(
        self,
        *,
        season_length: int,
        horizon: int = 1,
        quantiles: Sequence[float] | None = _DEFAULT_QUANTILES,
    ) -> None:
        store_params(self, locals())

    def _min_length(self) -> tuple[int, str]:
        m = self.season_length
        if self._quantile_levels():
            return m + 1, f" (season_length + 1 = {m + 1} for intervals)"
        return m, f" (one full season, season_length = {m})"

    def _offsets(self, steps: int) -> tuple[FloatArray, FloatArray]:
        h = np.arange(1, steps + 1)
        k = (h - 1) // self.season_length
        return h - self.season_length * (k + 1), k

    def _mean(self, state: FloatArray, steps: int) -> FloatArray:
        back, _ = self._offsets(steps)
        return state[len(state) - 1 + back]

    def _sd(self, state: FloatArray, steps: int) -> FloatArray:
        m = self.season_length
        _, k = self._offsets(steps)
        sigma2 = np.mean((state[m:] - state[:-m]) ** 2)
        return np.sqrt(sigma2 * (k + 1))

    def _path_positions(self, z: FloatArray, offset: int) -> FloatArray:
        back, _ = self._offsets(self.horizon)
        idx = np.arange(offset, len(z))[:, None] + back[None, :]
        out = z[np.maximum(idx, 0)]
        out[(idx < 0).any(axis=1)] = np.nan
        return out


@fill_doc(DOC_ENTRIES)
class DriftForecaster(_HistoryForecaster):
    """Random walk with drift: the line through the first and last observation.

    ``y[T+h] = y[T] + h * (y[T] - y[1]) / (T - 1)``. Intervals use the fpp3
    formula ``sigma * sqrt(h * (1 + h / (T - 1)))``, where ``sigma`` is the
    standard deviation of the one-step residuals ``diff(y) - drift`` with
    ``T - 2`` degrees of freedom.

    Parameters
    ----------
    {{horizon}}
    {{quantiles}}

    {{history_attributes}}

    Examples
    --------
    >>> from tsattn.baselines import DriftForecaster
    >>> DriftForecaster(horizon=2, quantiles=None).fit([1.0, 2.0, 5.0]).forecast()
         y
    3  7.0
    4  9.0
    """

    def _min_length(self) -> tuple[int, str]:
        if self._quantile_levels():
            return 3, " (a drift and its residual variance)"
        return 2, " (a drift needs two points)"

    @staticmethod
    def _drift(state: FloatArray) -> float:
        return float((state[-1] - state[0]) / (len(state) - 1))

    def _mean(self, state: FloatArray, steps: int) -> FloatArray:
        return state[-1] + np.arange(1, steps + 1) * self._drift(state)

    def _sd(self, state: FloatArray, steps: int) -> FloatArray:
        n = len(state)
        h = np.arange(1, steps + 1)
        sigma2 = np.sum((np.diff(state) - self._drift(state)) ** 2) / (n - 2)
        return np.sqrt(sigma2 * h * (1 + h / (n - 1)))

    def _path_positions(self, z: FloatArray, offset: int) -> FloatArray:
        pos = np.arange(offset, len(z))
        with np.errstate(divide="ignore", invalid="ignore"):
            drift = np.where(pos > 0, (z[pos] - z[0]) / np.maximum(pos, 1), np.nan)
        h = np.arange(1, self.horizon + 1)
        return z[pos][:, None] + drift[:, None] * h[None, :]


@fill_doc(DOC_ENTRIES)
class MeanForecaster(_HistoryForecaster):
    """Historical mean: every future value equals the mean of the history.

    Parameters
    ----------
    window : int or None, default=None
        Average only the last ``window`` observations (all when shorter);
        None averages the whole history.
    {{horizon}}
    quantiles : sequence of float or None, default=(0.05, 0.95)
        Gaussian quantile levels with standard deviation
        ``s * sqrt(1 + 1/T)`` (fpp3), ``s`` the sample standard deviation of
        the ``T`` averaged values; None or () disables them.

    {{history_attributes}}

    Examples
    --------
    >>> from tsattn.baselines import MeanForecaster
    >>> MeanForecaster(window=2, quantiles=None).fit([1.0, 2.0, 4.0]).forecast()
         y
    3  3.0
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "window": [None, Interval(int, 1, None)]
    }

    def __init__(
        self,
        *,
        window: int | None = None,
        horizon: int = 1,
        quantiles: Sequence[float] | None = _DEFAULT_QUANTILES,
    ) -> None:
        store_params(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        if self.window is not None and self._quantile_levels() and self.window < 2:
            raise ValueError(
                "The 'window' parameter of MeanForecaster must be >= 2 when "
                f"quantiles are requested (got {self.window}); pass "
                "quantiles=None or a larger window."
            )

    def _min_length(self) -> tuple[int, str]:
        if self._quantile_levels():
            return 2, " (intervals need a standard deviation)"
        return 1, ""

    def _averaged(self, state: FloatArray) -> FloatArray:
        return state if self.window is None else state[-self.window :]

    def _mean(self, state: FloatArray, steps: int) -> FloatArray:
        return np.full(steps, self._averaged(state).mean())

    def _sd(self, state: FloatArray, steps: int) -> FloatArray:
        values = self._averaged(state)
        return np.full(steps, values.std(ddof=1) * np.sqrt(1 + 1 / len(values)))

    def _path_positions(self, z: FloatArray, offset: int) -> FloatArray:
        csum = np.concatenate([[0.0], np.cumsum(z)])
        end = np.arange(offset, len(z)) + 1
        start = (
            np.zeros_like(end)
            if self.window is None
            else np.maximum(end - self.window, 0)
        )
        mean = (csum[end] - csum[start]) / (end - start)
        return np.repeat(mean[:, None], self.horizon, axis=1)
