"""Return baselines: zero, the historical mean, and an autoregression.

All have the supervised face of :mod:`tsattn.baselines._supervised`:
``fit(X, y)`` with ``X`` prices (or log returns, ``input_kind="returns"``) and
``y = make_targets(X, kind=..., horizon=H)`` of a return kind
(``log_return``, ``cum_log_return``, ``return``, ``cum_return``);
``predict(X)`` gives every row's forecast of each target column from data up
to that row and the fitted parameters (no refit, no later row).

- :class:`ZeroReturnForecaster`: 0 for every return (the random walk).
- :class:`MeanReturnForecaster`: the training mean of each target column
  (scikit-learn's ``DummyRegressor(strategy="mean")``).
- :class:`ARReturnForecaster`: a statsmodels ``AutoReg`` on the training
  rows' per-step returns (log returns for the log kinds, simple returns for
  the others), order fixed or chosen by AIC; the column of step ``k`` gets the
  ``k``-step forecast, cumulative kinds the sum (log) or compound (simple) of
  steps ``1..k``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.dummy import DummyRegressor

from tsattn._docstrings import fill_doc
from tsattn._validation import Interval, Options, store_params
from tsattn.baselines._common import DOC_ENTRIES
from tsattn.baselines._supervised import FloatArray, TaskBaseline

__all__ = ["ARReturnForecaster", "MeanReturnForecaster", "ZeroReturnForecaster"]

_RETURN_KINDS = ("log_return", "cum_log_return", "return", "cum_return")


@fill_doc(DOC_ENTRIES)
class ZeroReturnForecaster(TaskBaseline):
    """Forecast a zero return for every row and step (the random walk).

    Parameters
    ----------
    {{input_kind_unused}}

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn import make_targets
    >>> from tsattn.baselines import ZeroReturnForecaster
    >>> X = pd.DataFrame({"Close": [1.0, 2.0, 3.0]})
    >>> ZeroReturnForecaster().fit(X, make_targets(X, horizon=2)).predict(X).tolist()
    [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    """

    _accepted_kinds = _RETURN_KINDS

    def __init__(self, *, input_kind: str = "prices") -> None:
        store_params(self, locals())

    def _fit(self, frame: pd.DataFrame, Y: FloatArray) -> None:
        self.n_columns_ = Y.shape[1]

    def _predict_rows(self, frame: pd.DataFrame) -> FloatArray:
        return np.zeros((len(frame), self.n_columns_))


@fill_doc(DOC_ENTRIES)
class MeanReturnForecaster(TaskBaseline):
    """Forecast the training mean of each target column.

    Parameters
    ----------
    {{input_kind_unused}}

    Attributes
    ----------
    estimator_ : sklearn.dummy.DummyRegressor
        ``DummyRegressor(strategy="mean")`` fitted on the training targets.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn import make_targets
    >>> from tsattn.baselines import MeanReturnForecaster
    >>> X = pd.DataFrame({"Close": [1.0, 2.0, 1.0, 2.0]})
    >>> y = make_targets(X, kind="return")
    >>> MeanReturnForecaster().fit(X, y).predict(X[:1]).round(3).tolist()
    [[0.5]]
    """

    _accepted_kinds = _RETURN_KINDS

    def __init__(self, *, input_kind: str = "prices") -> None:
        store_params(self, locals())

    def _fit(self, frame: pd.DataFrame, Y: FloatArray) -> None:
        means = []
        for j in range(Y.shape[1]):
            known = Y[np.isfinite(Y[:, j]), j]
            if len(known) == 0:
                raise ValueError(
                    f"MeanReturnForecaster: column {self.target_names_[j]!r} of y "
                    "has no known value in the training rows."
                )
            means.append(known)
        self.estimator_ = [
            DummyRegressor(strategy="mean").fit(np.zeros((len(m), 1)), m) for m in means
        ]

    def _predict_rows(self, frame: pd.DataFrame) -> FloatArray:
        z = np.zeros((len(frame), 1))
        return np.column_stack([est.predict(z) for est in self.estimator_])


@fill_doc(DOC_ENTRIES)
class ARReturnForecaster(TaskBaseline):
    """Autoregression of per-step returns (statsmodels ``AutoReg``).

    Parameters
    ----------
    lags : int or None, default=None
        AR order; None chooses it in ``0..max_lags`` by AIC
        (``statsmodels.tsa.ar_model.ar_select_order``).
    max_lags : int, default=10
        Largest order of the AIC search.
    trend : {"c", "n"}, default="c"
        With or without a constant.
    input_kind : {"prices", "returns"}, default="prices"
        Whether ``X`` holds prices or log returns (log kinds only).

    Attributes
    ----------
    result_ : statsmodels AutoRegResults
        The training fit.
    lags_ : int
        The order used.

    Examples
    --------
    {{stock_data}}
    >>> from tsattn.baselines import ARReturnForecaster
    >>> y = make_targets(X, kind="cum_log_return", horizon=3)
    >>> ARReturnForecaster(lags=2).fit(X[:300], y[:300]).predict(X[300:]).shape
    (100, 3)
    """

    _accepted_kinds = _RETURN_KINDS
    _min_rows = 20
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **TaskBaseline._parameter_constraints,
        "lags": [None, Interval(int, 0, None)],
        "max_lags": [Interval(int, 0, None)],
        "trend": [Options("c", "n")],
    }

    def __init__(
        self,
        *,
        lags: int | None = None,
        max_lags: int = 10,
        trend: str = "c",
        input_kind: str = "prices",
    ) -> None:
        store_params(self, locals())

    def _simple(self) -> bool:
        kinds = {k for k in self.target_kinds_ if k}
        simple = kinds & {"return", "cum_return"}
        if simple and kinds - {"return", "cum_return"}:
            raise ValueError(
                "ARReturnForecaster models one return series: y mixes log kinds "
                f"and simple kinds {sorted(kinds)}; fit one model per family."
            )
        if simple and self.input_kind == "returns":
            raise ValueError(
                "ARReturnForecaster(input_kind='returns') takes log returns; y has "
                "simple-return kinds. Pass prices or build y with log kinds."
            )
        return bool(simple)

    def _step_returns(self, frame: pd.DataFrame) -> FloatArray:
        r = self._returns(frame)
        return np.expm1(r) if self.simple_ else r

    def _fit(self, frame: pd.DataFrame, Y: FloatArray) -> None:
        from statsmodels.tsa.ar_model import AutoReg, ar_select_order

        self.simple_ = self._simple()
        r = self._step_returns(frame)
        r = r[np.isfinite(r)]
        if len(r) < self._min_rows or np.ptp(r) == 0:
            raise ValueError(
                f"ARReturnForecaster needs at least {self._min_rows} varying returns "
                f"to fit; got {len(r)} (range {np.ptp(r) if len(r) else 0:g})."
            )
        if self.lags is None:
            sel = ar_select_order(
                r, maxlag=min(self.max_lags, len(r) // 4), ic="aic", trend=self.trend
            )
            self.lags_ = len(sel.ar_lags or [])
        else:
            self.lags_ = int(self.lags)
        self.result_ = AutoReg(r, lags=self.lags_, trend=self.trend).fit()
        self.steps_ = [s or (j + 1) for j, s in enumerate(self.target_steps_)]

    def _path(self, r: FloatArray, horizon: int) -> FloatArray:
        """k-step forecasts (n, horizon) from every row of the return series."""
        params = np.asarray(self.result_.params, dtype=np.float64)
        const = params[0] if self.trend == "c" else 0.0
        phi = params[1:] if self.trend == "c" else params
        p = len(phi)
        n = len(r)
        # window[:, i] = r[t - i], the known returns of row t (NaN-padded)
        padded = np.concatenate([np.full(p, np.nan), r])
        window = (
            np.column_stack([padded[p - i : p - i + n] for i in range(p)])
            if p
            else np.empty((n, 0))  # AIC chose no lag: the forecast is the constant
        )
        out = np.empty((n, horizon))
        for h in range(horizon):
            nxt = const + (window @ phi if p else 0.0)
            out[:, h] = nxt
            if p:
                window = np.column_stack([nxt, window[:, :-1]])
        return out

    def _predict_rows(self, frame: pd.DataFrame) -> FloatArray:
        r = self._step_returns(frame)
        path = self._path(r, max(self.steps_))
        cols = []
        for kind, k in zip(self.target_kinds_, self.steps_):
            if kind == "cum_log_return":
                cols.append(path[:, :k].sum(axis=1))
            elif kind == "cum_return":
                cols.append(np.prod(1.0 + path[:, :k], axis=1) - 1.0)
            else:
                cols.append(path[:, k - 1])
        return np.column_stack(cols)
