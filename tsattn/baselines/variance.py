"""Volatility baselines: forecasts of the conditional variance of returns."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tsattn._base import FloatArray, UnivariateForecaster, check_int
from tsattn.baselines._common import check_float as _check_float
from tsattn.baselines._common import lfilter_ar1 as _lfilter_ar1

__all__ = ["EWMAVolatilityForecaster"]


@dataclass(frozen=True)
class _EWMAState:
    variance: float  # forecast of the next squared return
    init: float  # initial variance used at fit


class EWMAVolatilityForecaster(UnivariateForecaster):
    """RiskMetrics EWMA forecast of the conditional variance of returns.

    The input columns are return series ``r``; the forecast is the variance
    ``s[t+1] = decay * s[t] + (1 - decay) * r[t]**2`` (zero mean, as
    RiskMetrics). RiskMetrics is an IGARCH without drift, so the forecast is
    flat over the horizon. Columns keep the names of the input columns; the
    natural metric is :func:`tsattn.metrics.qlike`, and ``score`` compares the
    forecast with the realised squared returns.

    The recursion starts from the mean squared return of the first
    ``init_window`` observations (fewer when the history is shorter), so a
    forecast made at row ``t`` uses rows up to ``t`` only.

    Parameters
    ----------
    decay : float, default=0.94
        The RiskMetrics smoothing constant lambda, in (0, 1) (0.94 for daily
        data, 0.97 for monthly).
    init_window : int, default=30
        Observations averaged to initialise the variance.
    horizon : int, default=1
        Steps forecast from each row by ``predict`` and by ``forecast()``.

    Attributes
    ----------
    models_ : list
        Per column: the current variance forecast and the initial variance.

    Examples
    --------
    >>> from tsattn.baselines import EWMAVolatilityForecaster
    >>> f = EWMAVolatilityForecaster(decay=0.5, init_window=1)
    >>> f.fit([0.1, 0.2]).forecast()["y"].round(4).tolist()
    [0.025]
    """

    def __init__(
        self, *, decay: float = 0.94, init_window: int = 30, horizon: int = 1
    ) -> None:
        self.decay = decay
        self.init_window = init_window
        self.horizon = horizon

    def _check_params(self) -> None:
        super()._check_params()
        _check_float(self, "decay", self.decay, 0.0, 1.0)
        check_int(self, "init_window", self.init_window, 1)

    def _fit_one(self, y: FloatArray) -> _EWMAState:
        init = float(np.mean(y[: self.init_window] ** 2))
        return self._update_one(_EWMAState(variance=init, init=init), y)

    def _forecast_one(self, state: _EWMAState, steps: int) -> tuple[FloatArray, None]:
        return np.full(steps, state.variance), None

    def _update_one(self, state: _EWMAState, y_new: FloatArray) -> _EWMAState:
        s = _lfilter_ar1(y_new**2, self.decay, 1 - self.decay, state.variance)
        return replace(state, variance=float(s[-1]))

    def _reset_one(self, state: _EWMAState, y: FloatArray) -> _EWMAState:
        return self._fit_one(y)

    def _path_one(
        self, state: _EWMAState, y: FloatArray, continuing: bool
    ) -> FloatArray:
        lam = self.decay
        if continuing:
            s = _lfilter_ar1(y**2, lam, 1 - lam, state.variance)
        else:
            # Fitting on rows[:t+1] initialises from their first init_window
            # squares, so the start value changes until row init_window - 1.
            sq = y**2
            k = np.minimum(np.arange(len(y)), self.init_window - 1)
            init = np.cumsum(sq)[k] / (k + 1)
            s = lam ** np.arange(1, len(y) + 1) * init
            s += _lfilter_ar1(sq, lam, 1 - lam, 0.0)
        return np.repeat(s[:, None], self.horizon, axis=1)

    def _score_targets(self, values: FloatArray) -> FloatArray:
        return super()._score_targets(values**2)
