"""Base classes of every tsattn forecaster: the sklearn and the forecasting face."""

from __future__ import annotations

import copy
from abc import ABCMeta, abstractmethod
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from tsattn._validation import Interval, check_choice, check_int, check_scalar
from tsattn.data import as_history, continuation_problem, future_index, infer_freq

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "BaseForecaster",
    "FloatArray",
    "UnivariateForecaster",
    "check_choice",
    "check_int",
]


def _comparable(value: Any) -> Any:
    """Sequences as tuples of floats, so that lists, tuples and arrays compare."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(float(v) for v in value)
    return value


# ----------------------------------------------------------------------------
# Base classes
# ----------------------------------------------------------------------------


class BaseForecaster(RegressorMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of every tsattn forecaster.

    A forecaster speaks two languages over the same fitted state.

    *Forecasting face.* ``fit(X)`` learns from a history ``X`` whose rows are
    time steps in time order and whose columns are the target series;
    ``forecast(steps)`` returns the ``steps`` rows after the end of the data on
    a future index, with one column per target plus quantile columns
    ``f"{col}_q{q:g}"`` when the model has ``quantiles``; ``update(X_new)``
    appends new observations without refitting.

    *sklearn face.* ``predict(X)`` returns, for every row ``t`` of ``X``, the
    forecast of the next ``horizon`` steps made with data up to and including
    row ``t``, as an array of shape ``(n_rows, n_targets * horizon)`` with
    columns ``f"{col}_h{k}"`` (target-major). When ``X`` is a pandas object
    whose index continues right after the data seen so far, that history is
    used as context; otherwise ``X`` alone is the history, with the fitted
    parameters. Rows whose history is too short to forecast hold NaN. Data
    after row ``t`` never influences the prediction of row ``t``.

    Parameters that shape the fitted state (``horizon``, ``quantiles``, and
    ``window_length`` for the attention models) are recorded at fit in
    ``fitted_params_``; changing one with ``set_params`` and predicting
    without refitting raises an error that names it, instead of mixing the
    new value with the old fit.

    Subclasses implement ``_fit``, ``_forecast`` and ``_update``, and usually
    override ``_predict_path`` (a generic, slow default is provided) and
    ``_reset``. Their ``__init__`` takes keyword-only parameters and only
    stores them, so ``clone`` and ``get_params`` work.
    """

    horizon: int

    # -- hooks ---------------------------------------------------------------

    def _check_params(self) -> None:
        """Validate the hyperparameters; called at the start of ``fit``."""
        check_int(self, "horizon", self.horizon, 1)
        self._quantile_levels()

    def _min_length(self) -> tuple[int, str]:
        """Minimum history length and a short reason used in the error."""
        return 1, ""

    @abstractmethod
    def _fit(self, values: FloatArray, index: pd.Index) -> None:
        """Learn from ``values`` of shape (n, T)."""

    @abstractmethod
    def _forecast(self, steps: int) -> tuple[FloatArray, FloatArray | None]:
        """Return ``mean`` (steps, T) and quantiles (steps, T, Q) or None."""

    @abstractmethod
    def _update(self, values: FloatArray, index: pd.Index) -> None:
        """Advance the fitted state over new observations (m, T)."""

    def _reset(self, values: FloatArray, index: pd.Index) -> None:
        """Re-anchor the model on an unrelated history, keeping its parameters.

        The default refits, which is right for models without estimated
        parameters; models with estimated parameters override it.
        """
        self._fit(values, index)

    def _predict_path(
        self, values: FloatArray, index: pd.Index, continuing: bool
    ) -> FloatArray:
        """Forecasts of the next ``horizon`` steps from every row: (n, T, H).

        Generic implementation by repeated ``_update`` and ``_forecast`` on a
        copy of the fitted model; subclasses override it with a vectorised pass.
        """
        n, n_targets = values.shape
        out = np.full((n, n_targets, self.horizon), np.nan)
        model = copy.deepcopy(self)
        start = 0
        if not continuing:
            need, _ = self._min_length()
            if need > n:
                return out
            model._reset(values[:need], index[:need])
            out[need - 1] = model._forecast(self.horizon)[0].T
            start = need
        for t in range(start, n):
            model._update(values[t : t + 1], index[t : t + 1])
            out[t] = model._forecast(self.horizon)[0].T
        return out

    def _score_targets(self, values: FloatArray) -> FloatArray:
        """Return the realised values each row's forecast is scored on: (n, T, H)."""
        n, n_targets = values.shape
        padded = np.vstack([values[1:], np.full((self.horizon, n_targets), np.nan)])
        windows = np.lib.stride_tricks.sliding_window_view(padded, self.horizon, axis=0)
        return np.ascontiguousarray(windows[:n])

    # -- helpers for subclasses ----------------------------------------------

    def _quantile_levels(self) -> tuple[float, ...]:
        """Return the validated, sorted quantile levels (empty when disabled)."""
        levels = getattr(self, "quantiles", None)
        if levels is None:
            return ()
        try:
            values = [float(q) for q in levels]
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"The 'quantiles' parameter of {type(self).__name__} must be a "
                f"sequence of floats in (0, 1) or None. Got {levels!r} instead."
            ) from exc
        bad = [q for q in values if not 0.0 < q < 1.0]
        if bad:
            raise ValueError(
                f"The 'quantiles' parameter of {type(self).__name__} must hold "
                f"levels strictly between 0 and 1. Got {bad} in {levels!r}."
            )
        if len(set(values)) != len(values):
            raise ValueError(
                f"The 'quantiles' parameter of {type(self).__name__} has repeated "
                f"levels: {levels!r}."
            )
        return tuple(sorted(values))

    def _normal_quantiles(self, mean: FloatArray, sd: FloatArray) -> FloatArray | None:
        """Gaussian quantiles (steps, Q) at the model's levels, or None."""
        levels = self._quantile_levels()
        if not levels:
            return None
        z = np.array([NormalDist().inv_cdf(q) for q in levels])
        return mean[:, None] + sd[:, None] * z[None, :]

    # -- the public faces ------------------------------------------------------

    _fit_defining: tuple[str, ...] = ("horizon", "quantiles")
    """Parameters that prediction reads and that must not change after fit."""

    def _record_fit_params(self) -> None:
        self.fitted_params_ = {
            k: _comparable(getattr(self, k))
            for k in self._fit_defining
            if hasattr(self, k)
        }

    def _check_fitted(self) -> None:
        """Raise unless fitted and the fit-defining parameters are unchanged."""
        check_is_fitted(self)
        fitted = getattr(self, "fitted_params_", None) or {}
        changed = [
            f"{k} from {v!r} to {_comparable(getattr(self, k, None))!r}"
            for k, v in fitted.items()
            if _comparable(getattr(self, k, None)) != v
        ]
        if changed:
            raise ValueError(
                f"{type(self).__name__} was fitted with other parameters: "
                f"{'; '.join(changed)} was set after fit. Prediction uses what "
                "was fitted; call fit again, or set the parameter back."
            )

    def __sklearn_is_fitted__(self) -> bool:
        return bool(getattr(self, "_is_fitted", False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags

    def fit(self, X: Any, y: Any = None) -> BaseForecaster:
        """Learn from the history ``X``.

        Parameters
        ----------
        X : pandas Series or DataFrame, or array-like of shape (n, T)
            The history: rows are time steps in time order, columns are the
            target series. A DatetimeIndex (or PeriodIndex, or integer index)
            gives ``forecast`` its future timestamps; arrays get positions.
        y : None or array-like with ``len(X)`` rows, default=None
            Not used to fit: the targets are the columns of ``X``. Accepted so
            that Pipeline and GridSearchCV can pass it; its length is checked.

        Returns
        -------
        self : BaseForecaster
            The fitted forecaster.
        """
        self._is_fitted = False
        self._check_params()
        values, index, columns, named, _ = as_history(X, "X")
        if y is not None and len(y) != len(values):
            raise ValueError(
                f"y has {len(y)} rows but X has {len(values)}; they must describe "
                "the same time steps."
            )
        self._remember_input(values, index, columns, named)
        need, why = self._min_length()
        if len(values) < need:
            raise ValueError(
                f"X has {len(values)} row(s) (n_samples = {len(values)}), but "
                f"{type(self).__name__} needs at least {need}{why}. Pass a longer "
                "history."
            )
        self._fit(values, index)
        self._record_fit_params()
        self._is_fitted = True
        return self

    def _remember_input(
        self, values: FloatArray, index: pd.Index, columns: list[Any], named: bool
    ) -> None:
        """Record what ``fit`` saw: feature count and names, columns, index, freq."""
        self.n_features_in_ = values.shape[1]
        if named and all(isinstance(c, str) for c in columns):
            self.feature_names_in_ = np.asarray(columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.columns_ = columns
        self.index_ = index
        self.freq_, self._strict_freq = infer_freq(index)

    def _check_new(self, X: Any, name: str) -> tuple[FloatArray, pd.Index, bool]:
        """Validate data given after fit; return values, index and is_pandas."""
        values, index, columns, named, is_pandas = as_history(X, name)
        if values.shape[1] != self.n_features_in_:
            # sklearn's wording, which its estimator checks look for
            raise ValueError(
                f"{name} has {values.shape[1]} features, but {type(self).__name__} "
                f"is expecting {self.n_features_in_} features as input (the "
                f"columns it was fitted on: {self.columns_})."
            )
        if named and list(columns) != list(self.columns_):
            raise ValueError(
                f"{name} has columns {list(columns)} but {type(self).__name__} was "
                f"fitted on {list(self.columns_)}; pass the same columns in the "
                "same order."
            )
        return values, index, is_pandas

    def forecast(self, steps: int | None = None) -> pd.DataFrame:
        """Forecast the ``steps`` time steps after the end of the data seen.

        Parameters
        ----------
        steps : int or None, default=None
            How many steps to forecast; ``None`` means ``self.horizon``.

        Returns
        -------
        pandas.DataFrame
            One row per future step on the future index (business days for
            weekday-only daily data); one column per target in the data's
            units, each followed by its quantile columns ``f"{col}_q{q:g}"``
            when the model has quantiles.
        """
        self._check_fitted()
        steps = (
            self.horizon
            if steps is None
            else check_scalar("steps", steps, Interval(int, 1, None))
        )
        mean, quantiles = self._forecast(steps)
        index = future_index(self.index_, steps, self.freq_)
        data: dict[Any, FloatArray] = {}
        levels = self._quantile_levels() if quantiles is not None else ()
        for j, col in enumerate(self.columns_):
            data[col] = mean[:, j]
            for k, q in enumerate(levels):
                data[f"{col}_q{q:g}"] = quantiles[:, j, k]
        return pd.DataFrame(data, index=index)

    def update(self, X_new: Any) -> BaseForecaster:
        """Feed observations that follow the data seen so far, without refitting.

        Parameters
        ----------
        X_new : pandas Series or DataFrame, or array-like of shape (m, T)
            New rows, same columns as in ``fit``. A pandas index must continue
            the data seen so far (the next regular timestamp, or for
            business-day data any later day); an array is placed right after it.

        Returns
        -------
        self : BaseForecaster
            The forecaster, whose ``forecast`` now starts after the new rows.
        """
        self._check_fitted()
        values, index, is_pandas = self._check_new(X_new, "X_new")
        if not is_pandas:
            index = future_index(self.index_, len(values), self.freq_)
        self._require_continuation(index, "X_new")
        self._update(values, index)
        self.index_ = self.index_.append(index)
        return self

    def _require_continuation(self, index: pd.Index, name: str) -> None:
        """Raise unless ``index`` continues right after the data seen so far."""
        problem = continuation_problem(
            self.index_, self.freq_, self._strict_freq, index
        )
        if problem is not None:
            raise ValueError(
                f"{name} does not continue the data seen so far: {problem}. "
                f"New observations go right after the last one seen "
                f"({self.index_[-1]}); to start from another history call fit."
            )

    def _horizon_columns(self) -> list[str]:
        return [f"{c}_h{k}" for c in self.columns_ for k in range(1, self.horizon + 1)]

    def predict(self, X: Any) -> FloatArray | pd.DataFrame:
        """Forecast the next ``horizon`` steps from every row of ``X``.

        Parameters
        ----------
        X : pandas Series or DataFrame, or array-like of shape (n, T)
            Rows are time steps. If it is a pandas object whose index
            continues the data seen so far, that history is the context;
            otherwise ``X`` alone is the history (arrays always are).

        Returns
        -------
        ndarray or pandas.DataFrame of shape (n, T * horizon)
            Row ``t`` is the forecast made with data up to and including row
            ``t``; columns ``f"{col}_h{k}"`` run target-major
            (``col0_h1 .. col0_hH, col1_h1, ...``). Pandas in gives pandas
            out, on the index of ``X``. Rows with too little history are NaN.
        """
        self._check_fitted()
        values, index, is_pandas = self._check_new(X, "X")
        continuing = is_pandas and (
            continuation_problem(self.index_, self.freq_, self._strict_freq, index)
            is None
        )
        path = self._predict_path(values, index, continuing)
        out = path.reshape(len(values), -1)
        if is_pandas:
            return pd.DataFrame(out, index=index, columns=self._horizon_columns())
        return out

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R^2 of ``predict(X)`` against the realised future values.

        Parameters
        ----------
        X : pandas Series or DataFrame, or array-like of shape (n, T)
            As in ``predict``.
        y : array-like of shape (n, T * horizon), optional
            Targets laid out like ``predict``'s output. When None they are
            read from ``X`` itself: row ``t`` holds rows ``t+1 .. t+horizon``
            (squared, for variance forecasters).
        sample_weight : array-like of shape (n,), optional
            Row weights passed to ``sklearn.metrics.r2_score``.

        Returns
        -------
        float
            Uniformly averaged R^2 over rows where both the target and the
            prediction are finite (the last ``horizon`` rows have no future in
            ``X``; the first rows may lack history).
        """
        from sklearn.metrics import r2_score

        pred = np.asarray(self.predict(X), dtype=np.float64)
        if y is None:
            values, _, _ = self._check_new(X, "X")
            target = self._score_targets(values).reshape(len(values), -1)
        else:
            target = np.asarray(y, dtype=np.float64).reshape(len(pred), -1)
            if target.shape != pred.shape:
                raise ValueError(
                    f"y has shape {np.shape(y)} but predict(X) has shape "
                    f"{pred.shape}; build y with one column per target and step."
                )
        keep = np.isfinite(target).all(axis=1) & np.isfinite(pred).all(axis=1)
        if not keep.any():
            raise ValueError(
                "No row of X has both a forecast and a realised future to score; "
                f"pass more than horizon (= {self.horizon}) rows."
            )
        weights = None if sample_weight is None else np.asarray(sample_weight)[keep]
        return float(r2_score(target[keep], pred[keep], sample_weight=weights))


class UnivariateForecaster(BaseForecaster):
    """A forecaster made of one univariate model per target column.

    Subclasses implement per-column hooks on 1-D float64 arrays; each model
    state is treated as immutable (hooks return a new state).
    """

    @abstractmethod
    def _fit_one(self, y: FloatArray) -> Any:
        """Fit one column; return its model state."""

    @abstractmethod
    def _forecast_one(
        self, state: Any, steps: int
    ) -> tuple[FloatArray, FloatArray | None]:
        """Return ``mean`` (steps,) and quantiles (steps, Q) or None."""

    @abstractmethod
    def _update_one(self, state: Any, y_new: FloatArray) -> Any:
        """Return the state advanced over ``y_new`` (no refit)."""

    @abstractmethod
    def _reset_one(self, state: Any, y: FloatArray) -> Any:
        """Return a state with the same parameters anchored on history ``y``."""

    def _path_one(self, state: Any, y: FloatArray, continuing: bool) -> FloatArray:
        """Forecasts from every row of ``y``: (n, H). Generic, by update."""
        n, horizon = len(y), self.horizon
        out = np.full((n, horizon), np.nan)
        start = 0
        if not continuing:
            need, _ = self._min_length()
            if need > n:
                return out
            state = self._reset_one(state, y[:need])
            out[need - 1] = self._forecast_one(state, horizon)[0]
            start = need
        for t in range(start, n):
            state = self._update_one(state, y[t : t + 1])
            out[t] = self._forecast_one(state, horizon)[0]
        return out

    def _fit(self, values: FloatArray, index: pd.Index) -> None:
        models = []
        for j, col in enumerate(self.columns_):
            try:
                models.append(self._fit_one(values[:, j]))
            except ValueError as exc:
                raise ValueError(f"column {col!r}: {exc}") from exc
        self.models_ = models

    def _forecast(self, steps: int) -> tuple[FloatArray, FloatArray | None]:
        parts = [self._forecast_one(state, steps) for state in self.models_]
        mean = np.column_stack([m for m, _ in parts])  # (steps, T)
        if parts[0][1] is None:
            return mean, None
        return mean, np.stack([q for _, q in parts], axis=1)  # (steps, T, Q)

    def _update(self, values: FloatArray, index: pd.Index) -> None:
        self.models_ = [
            self._update_one(state, values[:, j])
            for j, state in enumerate(self.models_)
        ]

    def _reset(self, values: FloatArray, index: pd.Index) -> None:
        self.models_ = [
            self._reset_one(state, values[:, j]) for j, state in enumerate(self.models_)
        ]

    def _predict_path(
        self, values: FloatArray, index: pd.Index, continuing: bool
    ) -> FloatArray:
        paths = [
            self._path_one(state, values[:, j], continuing)
            for j, state in enumerate(self.models_)
        ]
        return np.stack(paths, axis=1)  # (n, T, H)
