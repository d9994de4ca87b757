"""Direction baselines: the training base rate and a logistic regression.

Both have the supervised face of :mod:`tsattn.baselines._supervised`:
``fit(X, y)`` with ``X`` prices (or log returns, ``input_kind="returns"``) and
``y = make_targets(X, kind="direction", horizon=H)`` (columns ``up_h1`` ..
``up_hH``, 1.0 when the price ``k`` rows ahead is above today's);
``predict(X)`` gives the predicted class (0.0 or 1.0) of every row and
``predict_proba(X)`` the probabilities of classes 0 and 1, from data up to
that row and the fitted parameters (no refit, no later row).

- :class:`BaseRateForecaster`: the training frequency of "up" as the
  probability and the majority class as the prediction, per target column
  (scikit-learn's ``DummyClassifier(strategy="prior")``). The bar every
  direction model must clear.
- :class:`LogisticDirectionForecaster`: a logistic regression of each column
  on the last ``n_lags`` log returns (standardised on the training rows).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from tsattn._docstrings import fill_doc
from tsattn._validation import Interval, store_params
from tsattn.baselines._common import DOC_ENTRIES
from tsattn.baselines._supervised import FloatArray, TaskBaseline, as_frame

__all__ = ["BaseRateForecaster", "LogisticDirectionForecaster"]


class _DirectionBaseline(TaskBaseline):
    _accepted_kinds = ("direction",)

    def _features(self, frame: pd.DataFrame) -> FloatArray:
        """Regressors (n, k) of each row; NaN where the history is too short."""
        return np.zeros((len(frame), 1))

    def _fit(self, frame: pd.DataFrame, Y: FloatArray) -> None:
        F = self._features(frame)
        self.estimators_ = []
        for j in range(Y.shape[1]):
            rows = np.isfinite(Y[:, j]) & np.isfinite(F).all(axis=1)
            labels = Y[rows, j]
            if not np.isin(labels, (0.0, 1.0)).all():
                raise ValueError(
                    f"{type(self).__name__} needs 0/1 direction targets; column "
                    f"{self.target_names_[j]!r} holds {np.unique(labels)[:5]}."
                )
            if len(labels) < self._min_rows:
                raise ValueError(
                    f"{type(self).__name__} needs at least {self._min_rows} training "
                    f"rows with a target and features; column "
                    f"{self.target_names_[j]!r} has {len(labels)}."
                )
            self.estimators_.append(self._fit_column(F[rows], labels))

    def _fit_column(self, F: FloatArray, labels: FloatArray) -> Any:
        return DummyClassifier(strategy="prior").fit(F, labels)

    def _proba_rows(self, frame: pd.DataFrame) -> FloatArray:
        """P(up) of each row and column, (n, k)."""
        F = self._features(frame)
        ok = np.isfinite(F).all(axis=1)
        out = np.full((len(frame), len(self.estimators_)), np.nan)
        for j, est in enumerate(self.estimators_):
            proba = est.predict_proba(F[ok]) if ok.any() else np.empty((0, 2))
            classes = list(est.classes_)
            out[ok, j] = proba[:, classes.index(1.0)] if 1.0 in classes else 0.0
        return out

    def _predict_rows(self, frame: pd.DataFrame) -> FloatArray:
        p = self._proba_rows(frame)
        return np.where(np.isfinite(p), (p > 0.5).astype(np.float64), np.nan)

    def predict_proba(self, X: Any) -> FloatArray | list[FloatArray]:
        """Probabilities of "down" (0) and "up" (1) from every row of ``X``.

        Parameters
        ----------
        X : DataFrame, Series or array-like
            Rows as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_rows, 2), or a list of them
            One array per target column (a list when ``y`` had several
            columns, as scikit-learn's multi-output classifiers); NaN where
            the history is too short for the features.
        """
        check_is_fitted(self, "history_")
        frame = as_frame(X)
        p = self._proba_rows(self._with_history(frame))[-len(frame) :]
        out = [np.column_stack([1.0 - p[:, j], p[:, j]]) for j in range(p.shape[1])]
        return out[0] if len(out) == 1 else out


@fill_doc(DOC_ENTRIES)
class BaseRateForecaster(_DirectionBaseline):
    """Training base rate: P(up) is the training frequency, the class its majority.

    Parameters
    ----------
    {{input_kind_unused}}

    Attributes
    ----------
    estimators_ : list of sklearn.dummy.DummyClassifier
        One ``DummyClassifier(strategy="prior")`` per target column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from tsattn import make_targets
    >>> from tsattn.baselines import BaseRateForecaster
    >>> X = pd.DataFrame({"Close": [1.0, 2.0, 3.0, 2.0, 4.0, 5.0]})
    >>> y = make_targets(X, kind="direction")
    >>> est = BaseRateForecaster().fit(X, y)
    >>> est.predict(X[:2]).ravel().tolist(), est.predict_proba(X[:1]).round(2).tolist()
    ([1.0, 1.0], [[0.2, 0.8]])
    """

    def __init__(self, *, input_kind: str = "prices") -> None:
        store_params(self, locals())


@fill_doc(DOC_ENTRIES)
class LogisticDirectionForecaster(_DirectionBaseline):
    """Logistic regression of the direction on the last ``n_lags`` log returns.

    The regressors of row ``t`` are ``r[t], r[t-1], ..., r[t-n_lags+1]``,
    standardised with the training rows' mean and deviation, then
    scikit-learn's ``LogisticRegression(C=C)``, one per target column.

    Parameters
    ----------
    n_lags : int, default=5
        Lagged returns used as regressors.
    C : float, default=1.0
        Inverse L2 regularisation strength of ``LogisticRegression``.
    {{input_kind}}

    Attributes
    ----------
    estimators_ : list of sklearn.pipeline.Pipeline
        ``StandardScaler`` then ``LogisticRegression``, one per column.

    Examples
    --------
    {{stock_data}}
    >>> from tsattn.baselines import LogisticDirectionForecaster
    >>> y = make_targets(X, kind="direction", horizon=2)
    >>> est = LogisticDirectionForecaster(n_lags=3).fit(X[:300], y[:300])
    >>> [p.shape for p in est.predict_proba(X[300:])]
    [(100, 2), (100, 2)]
    """

    _min_rows = 10
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **TaskBaseline._parameter_constraints,
        "n_lags": [Interval(int, 1, None)],
    }

    def __init__(
        self, *, n_lags: int = 5, C: float = 1.0, input_kind: str = "prices"
    ) -> None:
        store_params(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        if isinstance(self.C, bool) or not isinstance(self.C, (int, float)):
            raise TypeError(f"The 'C' parameter must be a float > 0. Got {self.C!r}.")
        if not self.C > 0:
            raise ValueError(f"The 'C' parameter must be a float > 0. Got {self.C!r}.")

    def _features(self, frame: pd.DataFrame) -> FloatArray:
        r = pd.Series(self._returns(frame))
        return np.column_stack(
            [r.shift(k).to_numpy(dtype=np.float64) for k in range(self.n_lags)]
        )

    def _fit_column(self, F: FloatArray, labels: FloatArray) -> Any:
        if len(np.unique(labels)) < 2:
            # One class only: the base rate is all there is to learn.
            return DummyClassifier(strategy="prior").fit(F, labels)
        pipe = make_pipeline(StandardScaler(), LogisticRegression(C=self.C))
        return clone(pipe).fit(F, labels)
