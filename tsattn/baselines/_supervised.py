"""The supervised face shared by the task baselines (returns, direction, variance).

Contract (the same as the attention estimator's, see DESIGN.md "Contracts"):

- ``fit(X, y)``: rows of ``X`` are time steps. ``X`` is a DataFrame with a
  price column (``Close``, ``close``, ``Adj Close`` ..., or its only column),
  optionally ``High``/``Low``/``Open``/``Volume``; or, with
  ``input_kind="returns"``, log returns (a Series, a 1-D array or a one-column
  frame). ``y`` holds, for each row of ``X``, the target built by
  :func:`tsattn.make_targets` (rows without a complete future are NaN and are
  left out of the fit). Parameters are estimated on these rows only.
- ``predict(X)``: for each row ``t`` of ``X`` the forecast made with data up
  to and including row ``t``, by filtering forward with the fitted
  parameters (never a refit, never a later row). Rows of ``X`` are matched to
  the training rows by index label: when ``X`` starts inside the training
  rows, the training rows before it are its history; when it starts after the
  last one, all training rows are; otherwise ``X`` is a history of its own.
  The output has the shape of ``y``: ``(n,)`` for a 1-D ``y``, else
  ``(n, n_targets)``, in the target's unit.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tsattn._validation import Options, validate_params
from tsattn.targets import row_variance, target_kinds

FloatArray = npt.NDArray[np.float64]

_PRICE_COLUMNS = ("Close", "close", "Adj Close", "adj_close", "Adj_Close")


def as_frame(X: Any) -> pd.DataFrame:
    """Return ``X`` as a frame whose rows are time steps.

    A Series is one column; a 1-D array is one column named ``Close`` (the
    price column), a 2-D array columns ``x0, x1, ...`` (``Close`` when one).
    """
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        return X.to_frame(name=X.name if X.name is not None else "x")
    arr = np.asarray(X)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"X must be a DataFrame, a Series or a 1-D/2-D array; got an array of "
            f"shape {arr.shape}."
        )
    frame = pd.DataFrame(arr)
    n_columns = frame.shape[1]
    frame.columns = ["Close"] if n_columns == 1 else [f"x{i}" for i in range(n_columns)]
    return frame


class TaskBaseline(BaseEstimator, metaclass=ABCMeta):
    """Base of the supervised task baselines: validation, history, alignment.

    Subclasses set ``_accepted_kinds`` and implement ``_fit(frame, Y)`` and
    ``_predict_rows(frame) -> (n, n_targets)``, where ``frame`` holds the whole
    history up to the last row asked for.
    """

    #: Target kinds the model can forecast (checked when ``y`` names them).
    _accepted_kinds: tuple[str, ...] = ()
    #: Fewest training rows with a target.
    _min_rows = 2
    #: The parameters and the values each accepts (see :mod:`tsattn._validation`).
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "input_kind": [Options("prices", "returns")]
    }

    def _check_params(self) -> None:
        validate_params(self)

    # -- inputs ------------------------------------------------------------------

    def _returns(self, frame: pd.DataFrame) -> FloatArray:
        """Log return of each row (NaN where unknown, e.g. row 0 of prices)."""
        if self.input_kind == "returns":
            if frame.shape[1] != 1:
                raise ValueError(
                    f"{type(self).__name__}(input_kind='returns') needs one column of "
                    f"returns; X has {frame.shape[1]}: {list(frame.columns)}."
                )
            values = frame.iloc[:, 0].to_numpy(dtype=np.float64)
        else:
            values = np.log(self._prices(frame))
            values = np.concatenate([[np.nan], np.diff(values)])
        return values

    def _check_input(self, frame: pd.DataFrame) -> None:
        """Every row of ``X`` must hold a usable price (or a finite return)."""
        if self.input_kind == "prices":
            self._prices(frame)
            return
        r = self._returns(frame)
        if not np.isfinite(r).all():
            first = int(np.flatnonzero(~np.isfinite(r))[0])
            raise ValueError(
                f"{type(self).__name__}(input_kind='returns') needs finite returns; "
                f"row {first} holds {r[first]}."
            )

    def _prices(self, frame: pd.DataFrame) -> FloatArray:
        column = next((c for c in _PRICE_COLUMNS if c in frame.columns), None)
        if column is None and frame.shape[1] == 1:
            column = frame.columns[0]
        if column is None:
            raise ValueError(
                f"{type(self).__name__} cannot tell which column of X holds the "
                f"prices: none of {list(_PRICE_COLUMNS)} among {list(frame.columns)}."
                " Rename it 'Close' or pass input_kind='returns' with returns."
            )
        prices = frame[column].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(prices)) or np.any(prices <= 0):
            raise ValueError(
                f"{type(self).__name__} needs finite prices > 0 in column {column!r};"
                " fill or drop the bad rows first."
            )
        return prices

    def _row_variance(self, frame: pd.DataFrame, estimator: str) -> FloatArray:
        if estimator == "close":
            return self._returns(frame) ** 2
        if self.input_kind == "returns":
            raise ValueError(
                f"variance_estimator={estimator!r} needs High/Low prices, but "
                f"{type(self).__name__} was given returns (input_kind='returns')."
            )
        return row_variance(frame, estimator)

    # -- targets -----------------------------------------------------------------

    def _targets(self, y: Any, n_rows: int) -> tuple[FloatArray, list[str], list[str]]:
        kinds = target_kinds(y)
        meta = getattr(y, "attrs", {}).get("tsattn_targets") or {}
        if isinstance(y, pd.DataFrame):
            names = [str(c) for c in y.columns]
            Y = y.to_numpy(dtype=np.float64)
            self._y_1d = False
        elif isinstance(y, pd.Series):
            names = [str(y.name) if y.name is not None else "y"]
            Y = y.to_numpy(dtype=np.float64)[:, None]
            self._y_1d = True
        else:
            Y = np.asarray(y, dtype=np.float64)
            self._y_1d = Y.ndim == 1
            Y = Y[:, None] if Y.ndim == 1 else Y
            names = [f"y{i}" for i in range(Y.shape[1])]
        if Y.ndim != 2 or Y.shape[0] != n_rows:
            raise ValueError(
                f"y must have one row per row of X ({n_rows}); got shape {np.shape(y)}."
            )
        if np.isinf(Y).any():
            raise ValueError("y contains infinite values; targets must be finite.")
        found = [kinds.get(n, "") for n in names]
        wrong = [(n, k) for n, k in zip(names, found) if k and k not in self._accepted]
        if wrong:
            n, k = wrong[0]
            raise ValueError(
                f"{type(self).__name__} forecasts kinds {list(self._accepted)}; "
                f"column {n!r} of y is kind {k!r}. Build y with make_targets(kind="
                f"{self._accepted[0]!r}) or use the baseline of that task."
            )
        steps = [int(meta.get("columns", {}).get(n, (None, 0))[1] or 0) for n in names]
        self.target_steps_ = steps
        return Y, names, found

    @property
    def _accepted(self) -> tuple[str, ...]:
        return self._accepted_kinds

    # -- public API --------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> TaskBaseline:
        """Estimate the parameters on the training rows.

        Parameters
        ----------
        X : DataFrame, Series or array-like of shape (n_rows, ...)
            Rows are time steps: prices (a ``Close`` column, optionally
            ``High``/``Low``/``Open``) or, with ``input_kind="returns"``, log
            returns.
        y : DataFrame, Series or array-like of shape (n_rows,) or (n_rows, k)
            The target of each row, from :func:`tsattn.make_targets`; NaN rows
            (no complete future) are ignored.

        Returns
        -------
        self : object
            The fitted baseline.
        """
        self._check_params()
        frame = as_frame(X)
        if len(frame) < self._min_rows:
            raise ValueError(
                f"{type(self).__name__} needs at least {self._min_rows} rows to fit; "
                f"X has {len(frame)}."
            )
        self._check_input(frame)
        Y, names, kinds = self._targets(y, len(frame))
        self.target_names_ = names
        self.target_kinds_ = kinds
        self.n_targets_ = Y.shape[1]
        self.n_features_in_ = frame.shape[1]
        self.history_ = frame.copy()
        self._fit(frame, Y)
        return self

    def _with_history(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` preceded by the training rows that come before it."""
        hist = self.history_
        if len(frame) == 0 or len(hist) == 0 or not hist.index.is_unique:
            return frame
        first = frame.index[0]
        try:
            if first in hist.index:
                pos = hist.index.get_loc(first)
                return pd.concat([hist.iloc[:pos], frame])
            if first > hist.index[-1]:
                return pd.concat([hist, frame])
        except TypeError:
            pass
        return frame

    def predict(self, X: Any) -> FloatArray:
        """Forecast from every row of ``X`` with data up to that row.

        Parameters
        ----------
        X : DataFrame, Series or array-like
            Rows as in ``fit``: the training rows, later rows, or both.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,) or (n_rows, n_targets)
            Row ``t``: the forecast of the target of row ``t``. NaN where the
            history is too short (e.g. the first row of prices, with no return).
        """
        check_is_fitted(self, "history_")
        frame = as_frame(X)
        self._check_input(frame)
        full = self._with_history(frame)
        out = np.asarray(self._predict_rows(full), dtype=np.float64)[-len(frame) :]
        return out[:, 0] if self._y_1d else out

    @abstractmethod
    def _fit(self, frame: pd.DataFrame, Y: FloatArray) -> None:
        """Estimate the parameters from the training frame and targets (n, k)."""

    @abstractmethod
    def _predict_rows(self, frame: pd.DataFrame) -> FloatArray:
        """Forecasts (n, k) from every row of a history."""
