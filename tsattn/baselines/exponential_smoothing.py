"""Exponential smoothing on statsmodels: ETS and the Theta method (SES with drift).

Each is a :class:`tsattn._base.UnivariateForecaster`: parameters are estimated
at ``fit``; ``update`` and ``predict`` carry the fitted smoothing forward over
new rows (a filter pass with fixed parameters, never a re-estimation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsattn._base import FloatArray
from tsattn._docstrings import fill_doc
from tsattn._validation import Interval, Options, check_int, store_params
from tsattn.baselines._common import DEFAULT_QUANTILES as _DEFAULT_QUANTILES
from tsattn.baselines._common import (
    DOC_ENTRIES,
    UnivariateBaseline,
    lfilter_ar1,
    quiet_statsmodels,
    warn_unconverged,
)

__all__ = ["ETSForecaster", "ThetaForecaster"]


def _as_generator(random_state: Any) -> Any:
    """Turn an int seed into a numpy Generator; pass anything else through.

    statsmodels' own handling of int seeds is deprecated.
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(
        random_state, bool
    ):
        return np.random.default_rng(int(random_state))
    return random_state


@fill_doc(DOC_ENTRIES)
class ETSForecaster(UnivariateBaseline):
    """Error-trend-seasonal exponential smoothing via statsmodels ``ETSModel``.

    Parameters are estimated by maximum likelihood at ``fit``. ``ETSResults``
    has no ``append``/``extend``, so ``update`` re-runs the smoother over the
    whole history with the fitted parameters (``ETSModel(y).smooth(params)``,
    a single O(n) filter pass, no optimisation).

    Intervals are the analytic ones for the additive-error linear models
    (ANN, AAN, AAdN, ANA, AAA, AAdA) and simulated otherwise, exactly as
    ``get_prediction(...).summary_frame``.

    Any of ``error``, ``trend``, ``damped_trend`` and ``seasonal`` may be
    "auto": every combination of the auto components is fitted and the one
    with the smallest AICc kept, per column, as R's ``ets`` and statsforecast's
    ``AutoETS`` do (multiplicative errors only for positive data; additive
    errors with multiplicative seasonality are excluded, being unstable).

    Parameters
    ----------
    error : {"add", "mul", "auto"}, default="add"
        Error type.
    trend : {None, "add", "auto"}, default=None
        Trend component.
    damped_trend : bool or "auto", default=False
        Damp the trend.
    seasonal : {None, "add", "mul", "auto"}, default=None
        Seasonal component ("auto" considers one only with
        ``seasonal_periods``).
    seasonal_periods : int or None, default=None
        Season length; required with ``seasonal``.
    {{horizon}}
    quantiles : sequence of float or None, default=(0.05, 0.95)
        Quantile levels of the forecast distribution; None or () disables.
    n_simulations : int, default=1000
        Simulated paths for the models without analytic intervals.
    random_state : int, numpy Generator or None, default=None
        Seed of the simulated intervals (passed to statsmodels as ``rng``).

    Attributes
    ----------
    models_ : list of statsmodels results
        The ``ETSResults`` of each column.
    specs_ : list of str
        The model of each column in ETS notation, e.g. "ANN" or "MAdN".

    Examples
    --------
    >>> import numpy as np
    >>> from tsattn.baselines import ETSForecaster
    >>> y = 10 + np.cumsum(np.random.default_rng(0).normal(size=100))
    >>> ETSForecaster(trend="add", horizon=4).fit(y).forecast().shape
    (4, 3)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "error": [Options("add", "mul", "auto")],
        "trend": [Options(None, "add", "auto")],
        "damped_trend": [Options(False, True, "auto")],
        "seasonal": [Options(None, "add", "mul", "auto")],
        "n_simulations": [Interval(int, 2, None)],
    }

    def __init__(
        self,
        *,
        error: str = "add",
        trend: str | None = None,
        damped_trend: bool = False,
        seasonal: str | None = None,
        seasonal_periods: int | None = None,
        horizon: int = 1,
        quantiles: Sequence[float] | None = _DEFAULT_QUANTILES,
        n_simulations: int = 1000,
        random_state: Any = None,
    ) -> None:
        store_params(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        if self.damped_trend is True and self.trend is None:
            raise ValueError(
                "ETSForecaster(damped_trend=True) needs a trend; pass trend='add'."
            )
        if self.seasonal not in (None, "auto"):
            if self.seasonal_periods is None:
                raise ValueError(
                    f"ETSForecaster(seasonal={self.seasonal!r}) needs "
                    "seasonal_periods (e.g. 5 for business-day data)."
                )
            check_int(self, "seasonal_periods", self.seasonal_periods, 2)

    def _min_length(self) -> tuple[int, str]:
        if self.seasonal is not None and self.seasonal_periods:
            m = self.seasonal_periods
            return 2 * m, f" (two full seasons, 2 * seasonal_periods = {2 * m})"
        return 4, ""

    @staticmethod
    def _model(y: FloatArray, spec: Any) -> Any:
        """Build an ``ETSModel`` on ``y`` with the components of ``spec``.

        ``spec`` is a tuple ``(error, trend, damped, seasonal, periods)`` or a
        fitted model (whose components are read).
        """
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        if not isinstance(spec, tuple):
            spec = (
                spec.error,
                spec.trend,
                spec.damped_trend,
                spec.seasonal,
                spec.seasonal_periods,
            )
        error, trend, damped, seasonal, periods = spec
        # A pandas endog: statsmodels' ETS get_prediction fails on plain arrays.
        return ETSModel(
            pd.Series(y),
            error=error,
            trend=trend,
            damped_trend=bool(damped),
            seasonal=seasonal,
            seasonal_periods=periods if seasonal else None,
        )

    def _candidates(self, positive: bool) -> list[tuple[Any, ...]]:
        """Component tuples to fit: the given ones, or every "auto" choice."""
        errors = ("add", "mul") if self.error == "auto" else (self.error,)
        trends = (None, "add") if self.trend == "auto" else (self.trend,)
        periods = self.seasonal_periods
        if self.seasonal == "auto":
            seasons = (None, "add", "mul") if periods else (None,)
        else:
            seasons = (self.seasonal,)
        out = []
        for error in errors:
            for trend in trends:
                dampings = (
                    (False, True)
                    if self.damped_trend == "auto"
                    else (self.damped_trend,)
                )
                for damped in dampings if trend else (False,):
                    for seasonal in seasons:
                        mul = "mul" in (error, seasonal)
                        auto = "auto" in (self.error, self.seasonal)
                        if mul and not positive and auto:
                            continue
                        if auto and error == "add" and seasonal == "mul":
                            continue
                        out.append((error, trend, damped, seasonal, periods))
        return out

    def _fit_one(self, y: FloatArray) -> Any:
        positive = bool(y.min() > 0)
        if not positive and "mul" in (self.error, self.seasonal):
            raise ValueError(
                "multiplicative ETS needs strictly positive data; the minimum is "
                f"{y.min():g}. Use error='add', seasonal='add', or model returns."
            )
        best, best_key = None, (True, np.inf)
        for spec in self._candidates(positive):
            with quiet_statsmodels():
                try:
                    res = self._model(y, spec).fit(disp=False)
                except (ValueError, np.linalg.LinAlgError):
                    continue
            converged = (res.mle_retvals or {}).get("converged", True) is not False
            key = (not converged, float(res.aicc))
            if best is None or (np.isfinite(key[1]) and key < best_key):
                best, best_key = res, key
        if best is None:
            raise ValueError("no ETS model could be fitted; check the data.")
        warn_unconverged(best, "ETS")
        return best

    def _fit(self, values: FloatArray, index: pd.Index) -> None:
        super()._fit(values, index)
        self.specs_ = [self._spec_name(res.model) for res in self.models_]

    @staticmethod
    def _spec_name(model: Any) -> str:
        letter = {None: "N", "add": "A", "mul": "M"}
        trend = letter[model.trend] + ("d" if model.damped_trend else "")
        return letter[model.error] + trend + letter[model.seasonal]

    def _forecast_one(
        self, state: Any, steps: int
    ) -> tuple[FloatArray, FloatArray | None]:
        n = state.nobs
        levels = self._quantile_levels()
        if not levels:
            return np.asarray(state.forecast(steps), dtype=np.float64), None
        with quiet_statsmodels():
            pred = state.get_prediction(
                start=n,
                end=n + steps - 1,
                simulate_repetitions=self.n_simulations,
                rng=_as_generator(self.random_state),
            )
        mean = np.asarray(pred.predicted_mean, dtype=np.float64)
        if pred.method == "exact":
            sd = np.sqrt(np.asarray(pred.forecast_variance, dtype=np.float64))
            return mean, self._normal_quantiles(mean, sd)
        # The results wrapper fails to relabel the simulations; read them raw.
        raw = getattr(pred, "_results", pred)
        sims = np.asarray(raw.simulation_results, dtype=np.float64)  # (steps, reps)
        return mean, np.quantile(sims, levels, axis=1).T

    def _update_one(self, state: Any, y_new: FloatArray) -> Any:
        full = np.concatenate([np.asarray(state.model.endog).ravel(), y_new])
        return self._reset_one(state, full)

    def _reset_one(self, state: Any, y: FloatArray) -> Any:
        with quiet_statsmodels():
            return self._model(y, state.model).smooth(state.params)

    def _path_one(self, state: Any, y: FloatArray, continuing: bool) -> FloatArray:
        res = self._update_one(state, y) if continuing else self._reset_one(state, y)
        start = res.nobs - len(y)
        h = np.arange(1, self.horizon + 1)
        level = np.asarray(res.level)[start:, None]
        out = np.repeat(level, self.horizon, axis=1)
        model = res.model
        if model.trend is not None:
            phi = float(res.damping_trend) if model.damped_trend else 1.0
            out = out + np.asarray(res.slope)[start:, None] * np.cumsum(phi**h)[None, :]
        if model.seasonal is not None:
            m = model.seasonal_periods
            # seasonal states in time order from t = -m to nobs - 1
            season = np.concatenate([res.initial_seasonal, np.asarray(res.season)])
            back = h - m * ((h - 1) // m + 1)
            idx = np.arange(start, res.nobs)[:, None] + back[None, :] + m
            out = out + season[idx] if model.seasonal == "add" else out * season[idx]
        return out


@dataclass(frozen=True)
class _ThetaState:
    b0: float  # slope of the linear trend
    alpha: float  # SES smoothing constant
    sigma2: float  # residual variance (NaN when no intervals are needed)
    level: float  # SES one-step forecast of the deseasonalised series
    seasonal: FloatArray  # seasonal factor of positions 0..period-1
    multiplicative: bool
    deseasonalize: bool
    nobs: int


@fill_doc(DOC_ENTRIES)
class ThetaForecaster(UnivariateBaseline):
    """The Theta method via statsmodels ``ThetaModel`` (OLS trend + SES).

    After ``fit`` the forecasts and intervals are statsmodels' own
    (``forecast`` and ``prediction_intervals``). ``ThetaModel`` has no state
    update, so ``update`` keeps the fitted trend slope, smoothing constant,
    variance and seasonal factors and advances the SES level over the new
    (deseasonalised) observations, with the number of observations in the
    forecast formula growing accordingly; ``predict`` does the same row by row.

    Parameters
    ----------
    period : int or None, default=None
        Seasonal period; None takes it from the frequency of a DatetimeIndex
        (``statsmodels.tsa.tsatools.freq_to_period``, 5 for business days)
        and uses no seasonality for other indexes.
    deseasonalize : bool, default=True
        Deseasonalise (with a seasonality test if ``use_test``) when
        ``period > 1``.
    use_test : bool, default=True
        Test for seasonality before deseasonalising.
    method : {"auto", "additive", "multiplicative"}, default="auto"
        Seasonal decomposition method ("auto": multiplicative when the data
        are positive).
    difference : bool, default=False
        Difference the data in the seasonality test.
    theta : float, default=2.0
        Weight of the trend line, >= 1 (2 is the classical Theta method).
    {{horizon}}
    {{quantiles}}

    Attributes
    ----------
    models_ : list
        Per column: the fitted parameters and the current SES level.

    Examples
    --------
    >>> import numpy as np
    >>> from tsattn.baselines import ThetaForecaster
    >>> y = 50 + np.cumsum(np.random.default_rng(0).normal(size=60))
    >>> ThetaForecaster(horizon=2).fit(y).forecast().shape
    (2, 3)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "period": [None, Interval(int, 1, None)],
        "method": [Options("auto", "additive", "multiplicative")],
        "theta": [Interval(float, 1, None)],
    }

    def __init__(
        self,
        *,
        period: int | None = None,
        deseasonalize: bool = True,
        use_test: bool = True,
        method: str = "auto",
        difference: bool = False,
        theta: float = 2.0,
        horizon: int = 1,
        quantiles: Sequence[float] | None = _DEFAULT_QUANTILES,
    ) -> None:
        store_params(self, locals())

    def _season_period(self) -> int:
        if self.period is not None:
            return int(self.period)
        freq = getattr(self, "freq_", None)
        if freq is None or not isinstance(
            getattr(self, "index_", None), pd.DatetimeIndex
        ):
            return 1
        from statsmodels.tsa.tsatools import freq_to_period

        try:
            return int(freq_to_period(freq))
        except ValueError:
            return 1

    def _min_length(self) -> tuple[int, str]:
        period = self._season_period()
        if self.deseasonalize and period > 1:
            return 2 * period, f" (two full seasons, 2 * period = {2 * period})"
        return 3, ""

    def _fit(self, values: FloatArray, index: pd.Index) -> None:
        self.period_ = self._season_period()
        super()._fit(values, index)

    def _fit_one(self, y: FloatArray) -> _ThetaState:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        deseason = self.deseasonalize and self.period_ > 1
        method = {"auto": "auto", "additive": "add", "multiplicative": "mul"}[
            self.method
        ]
        with quiet_statsmodels():
            model = ThetaModel(
                y,
                period=self.period_,
                deseasonalize=deseason,
                use_test=self.use_test,
                method=method,
                difference=self.difference,
            )
            res = model.fit()
            comp = res.forecast_components(max(self.period_, 1))
            sigma2 = float(res.sigma2) if self._quantile_levels() else np.nan
        n = len(y)
        # forecast_components gives factor (n + i) % period at row i
        seasonal = np.asarray(comp["seasonal"])[
            (np.arange(self.period_) - n) % self.period_
        ]
        return _ThetaState(
            b0=float(res.params["b0"]),
            alpha=float(res.params["alpha"]),
            sigma2=sigma2,
            level=float(comp["ses"].iloc[0]),
            seasonal=seasonal,
            multiplicative=model.method.startswith("mul"),
            deseasonalize=deseason,
            nobs=n,
        )

    def _deseason(self, state: _ThetaState, y: FloatArray, start: int) -> FloatArray:
        if not state.deseasonalize:
            return y
        s = state.seasonal[(start + np.arange(len(y))) % self.period_]
        return y / s if state.multiplicative else y - s

    def _point(
        self, state: _ThetaState, level: FloatArray, nobs: FloatArray, steps: int
    ) -> FloatArray:
        """Theta forecasts (n, steps) from SES levels (n,) after ``nobs`` (n,) rows."""
        h = np.arange(steps, dtype=np.float64)[None, :]
        alpha = state.alpha
        trend = h + (
            1 / alpha - (1 - alpha) ** nobs[:, None] / alpha if alpha > 0 else 0.0
        )
        weight = (self.theta - 1) / self.theta
        out = weight * state.b0 * trend + level[:, None]
        if state.deseasonalize:
            s = state.seasonal[(nobs[:, None] + h.astype(int)) % self.period_]
            out = out * s if state.multiplicative else out + s
        return out

    def _forecast_one(
        self, state: _ThetaState, steps: int
    ) -> tuple[FloatArray, FloatArray | None]:
        mean = self._point(
            state, np.array([state.level]), np.array([state.nobs]), steps
        )[0]
        if not self._quantile_levels():
            return mean, None
        var = (1 + np.arange(steps) * (1 + (state.alpha - 1) ** 2)) * state.sigma2
        return mean, self._normal_quantiles(mean, np.sqrt(var))

    def _levels(
        self, state: _ThetaState, x: FloatArray, start_level: float
    ) -> FloatArray:
        return lfilter_ar1(x, 1 - state.alpha, state.alpha, start_level)

    def _update_one(self, state: _ThetaState, y_new: FloatArray) -> _ThetaState:
        x = self._deseason(state, y_new, state.nobs)
        level = self._levels(state, x, state.level)[-1]
        return replace(state, level=float(level), nobs=state.nobs + len(y_new))

    def _reset_one(self, state: _ThetaState, y: FloatArray) -> _ThetaState:
        x = self._deseason(state, y, 0)
        level = self._levels(state, x, x[0])[-1]
        return replace(state, level=float(level), nobs=len(y))

    def _path_one(
        self, state: _ThetaState, y: FloatArray, continuing: bool
    ) -> FloatArray:
        start = state.nobs if continuing else 0
        x = self._deseason(state, y, start)
        level = self._levels(state, x, state.level if continuing else x[0])
        nobs = start + np.arange(1, len(y) + 1)
        return self._point(state, level, nobs, self.horizon)
