"""Statistical models on statsmodels: ARIMA, ETS and the Theta method.

Each is a :class:`tsattn._base.UnivariateForecaster`: parameters are estimated
at ``fit``; ``update`` and ``predict`` carry the fitted model forward over new
rows (a filter pass with fixed parameters, never a re-estimation).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsattn import TsattnWarning
from tsattn._base import FloatArray
from tsattn._validation import Interval, Options, check_int
from tsattn.baselines._common import DEFAULT_QUANTILES as _DEFAULT_QUANTILES
from tsattn.baselines._common import UnivariateBaseline, store_params
from tsattn.baselines._common import lfilter_ar1 as _lfilter_ar1

__all__ = ["ARIMAForecaster", "ETSForecaster", "ThetaForecaster"]


def _as_generator(random_state: Any) -> Any:
    """Turn an int seed into a numpy Generator; pass anything else through.

    statsmodels' own handling of int seeds is deprecated.
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(
        random_state, bool
    ):
        return np.random.default_rng(int(random_state))
    return random_state


@contextmanager
def _quiet_statsmodels() -> Iterator[None]:
    """Silence statsmodels' start-value and convergence chatter; we check ourselves."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"statsmodels\.")
        warnings.filterwarnings(
            "ignore", message="adfuller currently returns", category=FutureWarning
        )
        yield


def _warn_unconverged(res: Any, what: str) -> None:
    retvals = getattr(res, "mle_retvals", None) or {}
    if retvals.get("converged") is False:
        warnings.warn(
            f"{what}: the likelihood optimiser did not converge; forecasts may be "
            "unreliable. Check the data scale or choose a simpler model.",
            TsattnWarning,
            stacklevel=4,
        )


class ARIMAForecaster(UnivariateBaseline):
    """(S)ARIMA via statsmodels ``SARIMAX``, with automatic order selection.

    When ``order`` is None the model is chosen by the Hyndman-Khandakar
    procedure of R's ``forecast::auto.arima`` (see
    :mod:`tsattn.baselines.arima_order`): seasonal differencing ``D`` from the
    STL seasonal strength (only with ``season_length > 1``), ``d`` from
    repeated KPSS tests at 5%, then a stepwise search over ``(p, q)(P, Q)``
    and a constant (a mean when ``d + D = 0``, a drift when ``d + D = 1``)
    minimising the AICc. A near-random-walk series therefore gets ``d = 1``
    and a forecast that starts from its last value, not a pull back to the
    window mean.

    Between refits the model advances by Kalman-filter state update
    (``results.extend``): ``update`` and ``predict`` never re-estimate the
    parameters. For an unrelated history ``predict`` filters it with the
    fitted parameters (``results.apply``).

    Parameters
    ----------
    order : tuple (p, d, q) or None, default=None
        Fixed order; None selects it as above.
    seasonal_order : tuple (P, D, Q, s) or None, default=None
        Fixed seasonal order, used as given (only ``(p, d, q)`` is then
        searched); None searches one when ``season_length > 1``.
    season_length : int or None, default=None
        Season length ``m`` of the seasonal search; None or 1 for none.
    max_p, max_q : int, default=5
        Largest AR and MA orders of the search.
    max_P, max_Q : int, default=2
        Largest seasonal AR and MA orders of the search.
    max_order : int, default=5
        Largest ``p + q + P + Q`` of the search.
    d, D : int or None, default=None
        Differencing orders of the search; None uses the tests.
    max_d, max_D : int, default=2 and 1
        Largest differencing orders the tests may choose.
    stepwise : bool, default=True
        Stepwise search; False fits every allowed model (slow).
    information_criterion : {"aicc", "aic", "bic", "hqic"}, default="aicc"
        Criterion minimised by the search ("aicc" is R's, on the
        observations left after differencing).
    trend : {"auto", "n", "c", "t", "ct"}, default="auto"
        statsmodels trend. "auto": searched as above when ``order`` is None;
        for a fixed order "c" when ``d + D = 0`` and "n" otherwise.
    horizon : int, default=1
        Steps forecast from each row by ``predict`` and by ``forecast()``.
    quantiles : sequence of float or None, default=(0.05, 0.95)
        Quantile levels from the Gaussian forecast distribution (the same
        numbers as ``get_forecast().conf_int``); None or () disables them.

    Attributes
    ----------
    models_ : list of statsmodels results
        The fitted (and since updated) ``SARIMAXResults`` of each column.
    orders_ : list of tuple
        The ``(p, d, q)`` order used for each column.
    seasonal_orders_ : list of tuple
        The ``(P, D, Q, s)`` seasonal order of each column.
    trends_ : list of str
        The statsmodels trend of each column ("c" with ``d = 1`` is a drift).

    Examples
    --------
    >>> import numpy as np
    >>> from tsattn.baselines import ARIMAForecaster
    >>> y = np.cumsum(np.random.default_rng(0).normal(size=200))
    >>> f = ARIMAForecaster(order=(1, 1, 0), horizon=3).fit(y)
    >>> f.forecast().shape
    (3, 3)
    >>> ARIMAForecaster().fit(y).orders_[0][1]  # a random walk is differenced
    1
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **{
            name: [Interval(int, 0, None)]
            for name in (
                "max_p",
                "max_q",
                "max_P",
                "max_Q",
                "max_order",
                "max_d",
                "max_D",
            )
        },
        **{name: [None, Interval(int, 0, None)] for name in ("d", "D")},
        "season_length": [None, Interval(int, 1, None)],
        "stepwise": [bool],
        "information_criterion": [Options("aicc", "aic", "bic", "hqic")],
        "trend": [Options("auto", "n", "c", "t", "ct")],
    }

    def __init__(
        self,
        *,
        order: tuple[int, int, int] | None = None,
        seasonal_order: tuple[int, int, int, int] | None = None,
        season_length: int | None = None,
        max_p: int = 5,
        max_q: int = 5,
        max_P: int = 2,
        max_Q: int = 2,
        max_order: int = 5,
        d: int | None = None,
        D: int | None = None,
        max_d: int = 2,
        max_D: int = 1,
        stepwise: bool = True,
        information_criterion: str = "aicc",
        trend: str = "auto",
        horizon: int = 1,
        quantiles: Sequence[float] | None = _DEFAULT_QUANTILES,
    ) -> None:
        store_params(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        for name, size in (("order", 3), ("seasonal_order", 4)):
            value = getattr(self, name)
            if value is None:
                continue
            ok = (
                isinstance(value, (tuple, list))
                and len(value) == size
                and all(isinstance(v, (int, np.integer)) and v >= 0 for v in value)
            )
            if not ok:
                raise ValueError(
                    f"The {name!r} parameter of ARIMAForecaster must be None or a "
                    f"tuple of {size} non-negative ints. Got {value!r} instead."
                )

    def _seasonal(self) -> tuple[int, int, int, int]:
        return tuple(self.seasonal_order) if self.seasonal_order else (0, 0, 0, 0)

    def _search_period(self) -> int:
        """Season length of the seasonal search (1: none)."""
        if self.seasonal_order is not None or self.season_length is None:
            return 1
        return int(self.season_length)

    def _min_length(self) -> tuple[int, str]:
        big_p, big_d, big_q, s = self._seasonal()
        seasonal = (big_p + big_d + big_q) * s
        if self.order is None:
            m = self._search_period()
            if m > 1:
                seasonal = (self.max_P + self.max_D + self.max_Q) * m
            need = self.max_p + self.max_q + self.max_d + seasonal + 10
            return need, " (unit-root tests and the order search)"
        return sum(self.order) + seasonal + 2, f" for order={tuple(self.order)}"

    def _fit_order(
        self,
        y: FloatArray,
        order: tuple[int, int, int],
        seasonal: tuple[int, int, int, int] | None = None,
        trend: str | None = None,
        *,
        simple_differencing: bool = False,
    ) -> Any:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        seasonal = self._seasonal() if seasonal is None else seasonal
        if trend is None:
            trend = self.trend
            if trend == "auto":
                trend = "c" if order[1] + seasonal[1] == 0 else "n"
        with _quiet_statsmodels():
            model = SARIMAX(
                y,
                order=order,
                seasonal_order=seasonal,
                trend=trend,
                simple_differencing=simple_differencing,
            )
            return model.fit(disp=False)

    def _differencing(self, y: FloatArray) -> tuple[int, int, int]:
        """``(d, D, m)``: the differencing orders and the season length used."""
        from tsattn.baselines.arima_order import ndiffs, nsdiffs

        if self.seasonal_order is not None:
            big_d, m = self._seasonal()[1], self._seasonal()[3]
        else:
            m = self._search_period()
            if m == 1:
                big_d = 0
            elif self.D is not None:
                big_d = self.D
            else:
                big_d = nsdiffs(y, m, max_D=self.max_D)
        z = y
        for _ in range(big_d):
            z = z[m:] - z[:-m]
        d = self.d if self.d is not None else ndiffs(z, max_d=self.max_d)
        return d, big_d, m

    @staticmethod
    def _search_scale(y: FloatArray, d: int, big_d: int, m: int) -> float:
        """Return the standard deviation of the differenced series (1 if constant)."""
        z = y
        for _ in range(big_d):
            z = z[m:] - z[:-m]
        z = np.diff(z, n=d)
        scale = float(np.std(z)) if len(z) > 1 else 0.0
        return scale if scale > 0 and np.isfinite(scale) else 1.0

    def _criterion(self, res: Any, n_effective: int) -> float:
        from tsattn.baselines.arima_order import aicc

        if self.information_criterion == "aicc":
            return aicc(res, n_effective)
        return float(getattr(res, self.information_criterion))

    def _search(self, y: FloatArray) -> Any:
        from tsattn.baselines.arima_order import ArimaCandidate, stepwise_search

        d, big_d, m = self._differencing(y)
        # Searched on a unit scale: the optimiser fails on exchange rates whose
        # daily changes are ~1e-5. ARIMA is scale-equivariant and every
        # candidate's log-likelihood moves by the same constant, so the ranking
        # is that of the raw data; the selected parameters are scaled back.
        scale = self._search_scale(y, d, big_d, m)
        y_unit = y / scale
        fixed_seasonal = self.seasonal_order is not None
        seasonal_search = not fixed_seasonal and m > 1

        def fit(c: ArimaCandidate) -> Any:
            if fixed_seasonal:
                seasonal = self._seasonal()
            else:
                seasonal = (c.P, big_d, c.Q, m) if m > 1 else (0, 0, 0, 0)
            trend = self.trend
            if trend == "auto":
                trend = "c" if c.constant else "n"
            # The search fits the differenced series (R's likelihood, and an
            # order of magnitude faster than statsmodels' diffuse start).
            return self._fit_order(
                y_unit, (c.p, d, c.q), seasonal, trend, simple_differencing=True
            )

        options = {
            "n_effective": len(y) - d - big_d * m,
            "seasonal": seasonal_search,
            "allow_constant": self.trend == "auto" and d + big_d <= 1,
            "max_p": self.max_p,
            "max_q": self.max_q,
            "max_P": self.max_P,
            "max_Q": self.max_Q,
            "max_order": self.max_order,
            "criterion": self._criterion,
        }
        res, _, _ = stepwise_search(fit, stepwise=self.stepwise, **options)
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        # The same model on the levels, with the selected parameters: the
        # state carries the last values, so update and predict work on levels.
        spec = res.model
        params = np.array(res.params, dtype=np.float64)
        params[: spec.k_trend] *= scale
        params[list(spec.param_names).index("sigma2")] *= scale**2
        with _quiet_statsmodels():
            return SARIMAX(
                y,
                order=spec.order,
                seasonal_order=spec.seasonal_order,
                trend=spec.trend,
            ).filter(params)

    def _fit_one(self, y: FloatArray) -> Any:
        if self.order is not None:
            res = self._fit_order(y, tuple(int(v) for v in self.order))
        else:
            res = self._search(y)
        _warn_unconverged(res, f"ARIMA{res.model.order}")
        return res

    def _fit(self, values: FloatArray, index: pd.Index) -> None:
        super()._fit(values, index)
        self.orders_ = [tuple(int(v) for v in res.model.order) for res in self.models_]
        self.seasonal_orders_ = [
            tuple(int(v) for v in res.model.seasonal_order) for res in self.models_
        ]
        self.trends_ = [str(res.model.trend or "n") for res in self.models_]

    def _forecast_one(
        self, state: Any, steps: int
    ) -> tuple[FloatArray, FloatArray | None]:
        fc = state.get_forecast(steps)
        mean = np.asarray(fc.predicted_mean, dtype=np.float64)
        return mean, self._normal_quantiles(
            mean, np.asarray(fc.se_mean, dtype=np.float64)
        )

    def _update_one(self, state: Any, y_new: FloatArray) -> Any:
        # statsmodels' own default offset is wrong after a chain of extends.
        offset = state.model.trend_offset + state.nobs
        with _quiet_statsmodels():
            return state.extend(y_new, trend_offset=offset)

    def _reset_one(self, state: Any, y: FloatArray) -> Any:
        with _quiet_statsmodels():
            return state.apply(y)

    def _path_one(self, state: Any, y: FloatArray, continuing: bool) -> FloatArray:
        res = self._update_one(state, y) if continuing else self._reset_one(state, y)
        ssm = res.model.ssm
        design, obs_c = ssm["design"], ssm["obs_intercept"]
        transition, state_c = ssm["transition"], ssm["state_intercept"]

        def constant(a: np.ndarray, ndim: int) -> np.ndarray | None:
            if a.ndim == ndim:
                return a
            return a[..., 0] if np.all(a == a[..., :1]) else None

        design, obs_c = constant(design, 2), constant(obs_c, 1)
        transition, state_c = constant(transition, 2), constant(state_c, 1)
        if any(a is None for a in (design, obs_c, transition, state_c)):
            # Time-varying system (a time trend): forecast row by row.
            return super()._path_one(state, y, continuing)
        a = res.filter_results.predicted_state[:, 1:]  # (k, n): a[t+1 | t]
        out = np.empty((len(y), self.horizon))
        for h in range(self.horizon):
            out[:, h] = obs_c[0] + design[0] @ a
            a = state_c[:, None] + transition @ a
        return out


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
    horizon : int, default=1
        Steps forecast from each row by ``predict`` and by ``forecast()``.
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
            with _quiet_statsmodels():
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
        _warn_unconverged(best, "ETS")
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
        with _quiet_statsmodels():
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
        with _quiet_statsmodels():
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
    horizon : int, default=1
        Steps forecast from each row by ``predict`` and by ``forecast()``.
    quantiles : sequence of float or None, default=(0.05, 0.95)
        Gaussian quantile levels; None or () disables them.

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
        with _quiet_statsmodels():
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
        return _lfilter_ar1(x, 1 - state.alpha, state.alpha, start_level)

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
