"""ARIMA on statsmodels ``SARIMAX``, with the order chosen as R's ``auto.arima``.

Parameters are estimated at ``fit``; ``update`` and ``predict`` carry the
fitted model forward over new rows by Kalman-filter updates (never a
re-estimation). The order search itself is :mod:`tsattn.baselines.arima_order`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsattn._base import FloatArray
from tsattn._docstrings import fill_doc
from tsattn._validation import Interval, Options, store_params
from tsattn.baselines._common import DEFAULT_QUANTILES as _DEFAULT_QUANTILES
from tsattn.baselines._common import (
    DOC_ENTRIES,
    UnivariateBaseline,
    quiet_statsmodels,
    warn_unconverged,
)

__all__ = ["ARIMAForecaster"]


@fill_doc(DOC_ENTRIES)
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
    {{horizon}}
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
        with quiet_statsmodels():
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
        with quiet_statsmodels():
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
        warn_unconverged(res, f"ARIMA{res.model.order}")
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
        with quiet_statsmodels():
            return state.extend(y_new, trend_offset=offset)

    def _reset_one(self, state: Any, y: FloatArray) -> Any:
        with quiet_statsmodels():
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
