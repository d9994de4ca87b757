"""Volatility baselines: forecasts of the conditional variance of returns.

- :class:`EWMAVolatilityForecaster`: RiskMetrics, with the forecaster face
  (``fit(returns)``, ``forecast()``, ``predict``) of the classical baselines.
- :class:`GARCHForecaster` (GARCH / GJR-GARCH on the ``arch`` package),
  :class:`HARForecaster` (Corsi's HAR-RV by OLS) and
  :class:`EWMAVarianceForecaster` (RiskMetrics): the supervised face of
  :mod:`tsattn.baselines._supervised`. ``fit(X, y)`` with ``X`` prices (or
  log returns) and ``y = make_targets(X, kind="realized_var", horizon=w)``;
  ``predict(X)`` gives for each row the forecast of the sum of the next ``w``
  rows' variances, from data up to that row and the fitted parameters.

Units are explicit: ``unit="variance"`` (default) forecasts a variance and
pairs with ``kind="realized_var"`` (and QLIKE); ``unit="volatility"`` its
square root and pairs with ``kind="volatility"``. A target of the other unit
is an error. Returns are log returns in decimals (0.01 = 1%).
"""

from __future__ import annotations

import re
import warnings
from abc import abstractmethod
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsattn import TsattnWarning
from tsattn._base import FloatArray
from tsattn._docstrings import fill_doc
from tsattn._validation import Interval, Options, store_params
from tsattn.baselines._common import DOC_ENTRIES, UnivariateBaseline
from tsattn.baselines._common import lfilter_ar1 as _lfilter_ar1
from tsattn.baselines._supervised import TaskBaseline
from tsattn.targets import VARIANCE_ESTIMATORS

__all__ = [
    "EWMAVarianceForecaster",
    "EWMAVolatilityForecaster",
    "GARCHForecaster",
    "HARForecaster",
]


#: The RiskMetrics parameters, shared by both faces of the EWMA.
_EWMA_CONSTRAINTS: dict[str, list[Any]] = {
    "decay": [Interval(float, 0.0, 1.0, closed="neither")],
    "init_window": [Interval(int, 1, None)],
}


@dataclass(frozen=True)
class _EWMAState:
    variance: float  # forecast of the next squared return
    init: float  # initial variance used at fit


@fill_doc(DOC_ENTRIES)
class EWMAVolatilityForecaster(UnivariateBaseline):
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
    {{horizon}}

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

    _parameter_constraints = _EWMA_CONSTRAINTS

    def __init__(
        self, *, decay: float = 0.94, init_window: int = 30, horizon: int = 1
    ) -> None:
        store_params(self, locals())

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


# ----------------------------------------------------------------------------
# supervised variance baselines
# ----------------------------------------------------------------------------

_UNIT_KIND = {"variance": "realized_var", "volatility": "volatility"}


class _VarianceBaseline(TaskBaseline):
    """One variance (or volatility) target over the next ``window`` rows."""

    _accepted_kinds = ("realized_var", "volatility")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **TaskBaseline._parameter_constraints,
        "unit": [Options(*_UNIT_KIND)],
        "window": [None, Interval(int, 1, None)],
    }

    def _fit(self, frame: pd.DataFrame, Y: FloatArray) -> None:
        if Y.shape[1] != 1:
            raise ValueError(
                f"{type(self).__name__} forecasts one variance target; y has "
                f"{Y.shape[1]} columns {self.target_names_}. Pass one column."
            )
        kind = self.target_kinds_[0]
        if kind and kind != _UNIT_KIND[self.unit]:
            other = "volatility" if self.unit == "variance" else "variance"
            raise ValueError(
                f"{type(self).__name__}(unit={self.unit!r}) forecasts a {self.unit} "
                f"but y is kind {kind!r} (a {other}); pass unit={other!r} or build "
                f"y with kind={_UNIT_KIND[self.unit]!r}."
            )
        self.window_ = self._resolve_window()
        target = Y[:, 0]
        if self.unit == "volatility":
            target = target**2
        self._fit_variance(frame, target)

    def _resolve_window(self) -> int:
        if self.window is not None:
            return int(self.window)
        step = self.target_steps_[0]
        if step:
            return step
        match = re.fullmatch(r"realized_(?:var|vol)_k(\d+)", self.target_names_[0])
        if match:
            return int(match.group(1))
        raise ValueError(
            f"{type(self).__name__} cannot tell how many rows the target sums: y "
            "has no make_targets metadata. Pass window=<rows> (the vol_window)."
        )

    def _predict_rows(self, frame: pd.DataFrame) -> FloatArray:
        var = self._variance_rows(frame)
        return (np.sqrt(var) if self.unit == "volatility" else var)[:, None]

    @abstractmethod
    def _fit_variance(self, frame: pd.DataFrame, target: FloatArray) -> None:
        """Estimate from the training frame and the variance target (n,)."""

    @abstractmethod
    def _variance_rows(self, frame: pd.DataFrame) -> FloatArray:
        """Variance forecasts (n,) over the next ``window_`` rows, per row."""


@fill_doc(DOC_ENTRIES)
class GARCHForecaster(_VarianceBaseline):
    """GARCH(p, q) / GJR-GARCH forecast of realized variance, on ``arch``.

    At ``fit`` an ``arch_model`` (constant or zero mean, GARCH or GJR
    volatility, normal or Student-t errors) is estimated by maximum likelihood
    on the training rows' log returns (scaled by 100, as arch advises). The
    forecast from row ``t`` is ``sum_{h=1..w} E[sigma^2_{t+h} | rows <= t]``,
    arch's analytic multi-step variance forecasts, with the fitted parameters
    and the training sample's backcast: the recursion runs forward over new
    rows without refitting, and no forecast depends on a later row.

    Parameters
    ----------
    p, q : int, default=1
        ARCH and GARCH orders.
    gjr : bool, default=False
        Add the GJR asymmetry term (leverage), one per ARCH lag.
    dist : {"normal", "t"}, default="normal"
        Error distribution ("t": standardised Student-t).
    mean : {"constant", "zero"}, default="constant"
        Mean of the returns.
    {{unit}}
    {{window}}
    {{input_kind}}

    Attributes
    ----------
    params_ : pandas.Series
        arch's fitted parameters (on returns in percent).
    result_ : arch ARCHModelResult
        The training fit.
    backcast_ : float
        The starting variance arch computed from the training residuals.
    {{window_}}

    Examples
    --------
    {{stock_data}}
    >>> from tsattn.baselines import GARCHForecaster
    >>> y = make_targets(X, kind="realized_var", horizon=5)
    >>> est = GARCHForecaster().fit(X[:300], y[:300])
    >>> est.predict(X[300:]).shape  # one column, as y
    (100, 1)
    """

    _min_rows = 30
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_VarianceBaseline._parameter_constraints,
        "p": [Interval(int, 1, None)],
        "q": [Interval(int, 0, None)],
        "gjr": [bool],
        "dist": [Options("normal", "t")],
        "mean": [Options("constant", "zero")],
    }

    def __init__(
        self,
        *,
        p: int = 1,
        q: int = 1,
        gjr: bool = False,
        dist: str = "normal",
        mean: str = "constant",
        unit: str = "variance",
        window: int | None = None,
        input_kind: str = "prices",
    ) -> None:
        store_params(self, locals())

    _SCALE = 100.0

    def _model(self, returns: FloatArray) -> Any:
        from arch import arch_model

        return arch_model(
            returns * self._SCALE,
            mean="Constant" if self.mean == "constant" else "Zero",
            vol="GARCH",
            p=self.p,
            o=self.p if self.gjr else 0,
            q=self.q,
            dist="normal" if self.dist == "normal" else "t",
            rescale=False,
        )

    def _valid_returns(self, frame: pd.DataFrame) -> tuple[FloatArray, int]:
        """Return the returns from the first known one, and the rows before it."""
        r = self._returns(frame)
        known = np.isfinite(r)
        start = int(np.argmax(known)) if known.any() else len(r)
        if not known[start:].all():
            bad = start + int(np.flatnonzero(~known[start:])[0])
            raise ValueError(
                f"{type(self).__name__}: the return of row {bad} is missing or "
                "infinite; fill or drop the gap first."
            )
        return r[start:], start

    def _fit_variance(self, frame: pd.DataFrame, target: FloatArray) -> None:
        r, _ = self._valid_returns(frame)
        if len(r) < self._min_rows or np.ptp(r) == 0:
            raise ValueError(
                f"GARCHForecaster needs at least {self._min_rows} varying returns "
                f"to fit; got {len(r)} (range {np.ptp(r) if len(r) else 0:g})."
            )
        model = self._model(r)
        res = model.fit(disp="off", show_warning=False)
        if res.convergence_flag != 0:
            warnings.warn(
                "GARCHForecaster: arch's optimiser did not converge "
                f"({res.optimization_result.message}); forecasts may be unreliable.",
                TsattnWarning,
                stacklevel=3,
            )
        self.result_ = res
        self.params_ = res.params
        self.backcast_ = float(model.volatility.backcast(np.asarray(res.resid)))

    def _variance_rows(self, frame: pd.DataFrame) -> FloatArray:
        r, start = self._valid_returns(frame)
        out = np.full(len(frame), np.nan)
        if len(r) == 0:
            return out
        model = self._model(r)
        params = np.asarray(self.params_, dtype=np.float64)
        n_mean, n_vol = model.num_params, model.volatility.num_params
        resids = np.asarray(model.resids(params[:n_mean]), dtype=np.float64)
        vol = model.volatility
        fc = vol.forecast(
            params[n_mean : n_mean + n_vol],
            resids,
            self.backcast_,
            vol.variance_bounds(resids),
            start=0,
            horizon=self.window_,
            method="analytic",
        )
        out[start:] = fc.forecasts.sum(axis=1) / self._SCALE**2
        return out


@fill_doc(DOC_ENTRIES)
class HARForecaster(_VarianceBaseline):
    """Corsi's (2009) HAR-RV: realized variance on its daily, weekly, monthly means.

    With ``v[t]`` the variance of row ``t`` (squared log return, or a
    range-based estimate from High/Low), the regressors at row ``t`` are the
    means of ``v`` over the last 1, 5 and 22 rows (``lags``); the coefficients
    are ordinary least squares of the target (the variance of the next
    ``window`` rows) on them and an intercept, over the training rows where
    all are known. A forecast outside the range of the training targets
    (from the smallest positive one to the largest) is replaced by their mean,
    the "insanity filter" of the realized-variance literature: OLS can forecast
    a negative or near-zero variance after a calm spell, which QLIKE punishes
    without bound.

    Parameters
    ----------
    lags : tuple of int, default=(1, 5, 22)
        Averaging windows of the regressors (daily, weekly, monthly).
    variance_estimator : {"close", "parkinson", "garman_klass"}, default="close"
        Per-row variance: squared close-to-close log return, or Parkinson /
        Garman-Klass from the High/Low (and Open) columns of ``X``.
    {{unit}}
    {{window}}
    input_kind : {"prices", "returns"}, default="prices"
        Whether ``X`` holds prices or log returns (returns only with "close").

    Attributes
    ----------
    coef_ : ndarray of shape (len(lags),)
        OLS slopes of the daily, weekly and monthly means.
    intercept_ : float
        OLS intercept.
    sane_range_ : tuple of float
        Smallest positive and largest training target; forecasts outside it
        are replaced by ``fallback_``.
    fallback_ : float
        Mean of the training targets.
    {{window_}}

    Examples
    --------
    {{stock_data}}
    >>> from tsattn.baselines import HARForecaster
    >>> y = make_targets(X, kind="realized_var", horizon=5)
    >>> HARForecaster().fit(X[:300], y[:300]).predict(X[300:]).shape
    (100, 1)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_VarianceBaseline._parameter_constraints,
        "variance_estimator": [Options(*VARIANCE_ESTIMATORS)],
    }

    def __init__(
        self,
        *,
        lags: tuple[int, ...] = (1, 5, 22),
        variance_estimator: str = "close",
        unit: str = "variance",
        window: int | None = None,
        input_kind: str = "prices",
    ) -> None:
        store_params(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        lags = self.lags
        if (
            not isinstance(lags, (tuple, list))
            or not lags
            or not all(isinstance(v, int) and v >= 1 for v in lags)
        ):
            raise ValueError(
                "The 'lags' parameter of HARForecaster must be a non-empty tuple of "
                f"ints >= 1, e.g. (1, 5, 22). Got {lags!r}."
            )

    def _features(self, frame: pd.DataFrame) -> FloatArray:
        v = pd.Series(self._row_variance(frame, self.variance_estimator))
        cols = [v.rolling(lag, min_periods=lag).mean() for lag in self.lags]
        return np.column_stack([c.to_numpy(dtype=np.float64) for c in cols])

    def _fit_variance(self, frame: pd.DataFrame, target: FloatArray) -> None:
        F = self._features(frame)
        rows = np.isfinite(F).all(axis=1) & np.isfinite(target)
        need = len(self.lags) + 2
        if rows.sum() < need:
            raise ValueError(
                f"HARForecaster needs at least {need} rows with all regressors "
                f"(the longest lag is {max(self.lags)}) and a target; got "
                f"{int(rows.sum())} of {len(frame)}. Pass more rows."
            )
        design = np.column_stack([np.ones(rows.sum()), F[rows]])
        if np.linalg.matrix_rank(design) < design.shape[1]:
            raise ValueError(
                "HARForecaster: the regressors are collinear (a constant series has "
                "no variance to model); pass varying prices."
            )
        beta, *_ = np.linalg.lstsq(design, target[rows], rcond=None)
        self.intercept_ = float(beta[0])
        self.coef_ = beta[1:]
        seen = target[rows]
        positive = seen[seen > 0]
        low = float(positive.min()) if positive.size else float(np.mean(seen))
        self.sane_range_ = (low, float(seen.max()))
        self.fallback_ = float(np.mean(seen))

    def _variance_rows(self, frame: pd.DataFrame) -> FloatArray:
        pred = self.intercept_ + self._features(frame) @ self.coef_
        low, high = self.sane_range_
        # The insanity filter of the realized-variance literature: a linear
        # forecast outside the range of the training targets (below zero after
        # a calm spell, or beyond the largest variance seen) is replaced by the
        # training mean.
        sane = np.where((pred >= low) & (pred <= high), pred, self.fallback_)
        return np.where(np.isfinite(pred), sane, np.nan)


@fill_doc(DOC_ENTRIES)
class EWMAVarianceForecaster(_VarianceBaseline):
    """RiskMetrics EWMA variance with the supervised face of the task baselines.

    ``s[t+1] = decay * s[t] + (1 - decay) * r[t] ** 2`` (zero mean), started
    from the mean squared return of the first ``init_window`` training rows;
    the forecast of the next ``w`` rows' variance from row ``t`` is
    ``w * s[t+1]`` (RiskMetrics is flat over the horizon). Nothing is
    estimated: ``fit`` only fixes the start value and the window.

    Parameters
    ----------
    decay : float, default=0.94
        The smoothing constant lambda in (0, 1).
    init_window : int, default=30
        Training rows averaged for the start value.
    {{unit}}
    {{window}}
    {{input_kind}}

    Attributes
    ----------
    init_ : float
        The start variance.
    {{window_}}

    See Also
    --------
    EWMAVolatilityForecaster : The same recursion as a series forecaster.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from tsattn import make_targets
    >>> from tsattn.baselines import EWMAVarianceForecaster
    >>> X = pd.DataFrame({"Close": [100.0, 101.0, 99.0, 100.0, 102.0]})
    >>> y = make_targets(X, kind="realized_var", horizon=2)
    >>> EWMAVarianceForecaster(init_window=2).fit(X, y).predict(X).shape
    (5, 1)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_VarianceBaseline._parameter_constraints,
        **_EWMA_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        decay: float = 0.94,
        init_window: int = 30,
        unit: str = "variance",
        window: int | None = None,
        input_kind: str = "prices",
    ) -> None:
        store_params(self, locals())

    def _fit_variance(self, frame: pd.DataFrame, target: FloatArray) -> None:
        sq = self._returns(frame) ** 2
        sq = sq[np.isfinite(sq)][: self.init_window]
        if len(sq) == 0:
            raise ValueError(
                "EWMAVarianceForecaster needs at least one known return in the "
                f"training rows; X has {len(frame)} row(s)."
            )
        self.init_ = float(np.mean(sq))

    def _variance_rows(self, frame: pd.DataFrame) -> FloatArray:
        sq = self._returns(frame) ** 2
        known = np.isfinite(sq)
        out = np.full(len(frame), np.nan)
        if known.any():
            start = int(np.argmax(known))
            s = _lfilter_ar1(sq[start:], self.decay, 1 - self.decay, self.init_)
            out[start:] = self.window_ * s
        return out
