"""Causal per-row features of an OHLCV price frame, for the supervised attention model.

:class:`PriceFeatures` turns the frame every task baseline takes (a ``Close``
column, optionally ``High``/``Low``/``Open``/``Volume``) into the inputs of
:class:`tsattn.MultiTaskForecaster`, so that the network and the baselines of a
backtest read the same data::

    Pipeline([("features", PriceFeatures()), ("model", MultiTaskForecaster())])

Row ``t`` of the output uses rows ``<= t`` of the input and the parameters
fitted on the training rows, nothing later.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tsattn.targets import range_variance

__all__ = ["PriceFeatures"]

_PRICE_COLUMNS = ("Close", "close", "Adj Close", "adj_close", "Adj_Close")
_FIELDS = {
    "High": ("High", "high", "HIGH"),
    "Low": ("Low", "low", "LOW"),
    "Volume": ("Volume", "volume", "VOLUME"),
}
# Share of the mean training row variance added inside the logarithms, so that
# an unchanged price (a zero return) gives a finite, not -inf, log variance.
_FLOOR_SHARE = 0.01


def _find(frame: pd.DataFrame, names: tuple[str, ...]) -> Any:
    return next((c for c in names if c in frame.columns), None)


class PriceFeatures(TransformerMixin, BaseEstimator):
    """Causal per-row features of prices: return, log variance, range, volume.

    For each row ``t`` (``C`` close, ``H`` high, ``L`` low, ``V`` volume):

    - ``log_return``: ``log(C[t] / C[t-1])``;
    - ``log_sq_return``: ``log(r[t] ** 2 + floor)``, the log of the squared
      return, a noisy per-row variance;
    - ``log_range_var`` (when ``High`` and ``Low`` are present and
      ``range_estimator`` is not None): ``log(v[t] + floor)`` with ``v`` the
      Parkinson variance ``log(H[t] / L[t]) ** 2 / (4 log 2)``;
    - ``log_volume_change`` (when ``Volume`` is present and ``volume`` is
      True): ``log(1 + V[t]) - log(1 + V[t-1])``.

    ``floor`` is a hundredth of the mean squared training return, so that a
    zero return gives a finite feature. Row 0 has no previous row: its
    return-based features are set to their training means (0 after
    standardising), never NaN. With ``standardize`` every feature is centred
    and scaled by its training mean and standard deviation.

    Parameters
    ----------
    range_estimator : {"parkinson"} or None, default="parkinson"
        Range-based variance added when the frame has High and Low columns;
        None leaves it out.
    volume : bool, default=True
        Add the log volume change when the frame has a Volume column.
    standardize : bool, default=True
        Centre and scale each feature with its training mean and standard
        deviation (the attention model does not rescale supervised inputs).

    Attributes
    ----------
    feature_names_out_ : list of str
        Names of the output columns, in order.
    columns_ : dict
        Input column used for each field ("Close", "High", "Low", "Volume").
    floor_ : float
        The constant added inside the log variances.
    mean_, scale_ : ndarray of shape (n_features_out,)
        Training mean and standard deviation of each raw feature (0 and 1
        when ``standardize`` is False; the mean fills row 0 either way).
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names.

    Examples
    --------
    >>> from tsattn.datasets import make_stock_like
    >>> from tsattn.features import PriceFeatures
    >>> prices = make_stock_like("garch", n_steps=100, random_state=0)
    >>> PriceFeatures().fit(prices).get_feature_names_out().tolist()
    ['log_return', 'log_sq_return', 'log_range_var', 'log_volume_change']
    """

    def __init__(
        self,
        *,
        range_estimator: str | None = "parkinson",
        volume: bool = True,
        standardize: bool = True,
    ) -> None:
        self.range_estimator = range_estimator
        self.volume = volume
        self.standardize = standardize

    # -- helpers -----------------------------------------------------------------

    def _frame(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.Series):
            X = X.to_frame(name=X.name if X.name is not None else "Close")
        if not isinstance(X, pd.DataFrame):
            arr = np.asarray(X, dtype=np.float64)
            if arr.ndim == 1:
                arr = arr[:, None]
            if arr.ndim != 2 or arr.shape[1] != 1:
                raise ValueError(
                    "PriceFeatures needs a DataFrame with a 'Close' column (and "
                    "optionally High, Low, Volume) or one column of prices; got an "
                    f"array of shape {np.shape(X)}."
                )
            X = pd.DataFrame(arr, columns=["Close"])
        if len(X) < 2:
            raise ValueError(
                f"PriceFeatures needs at least 2 rows to take a return; got {len(X)}."
            )
        return X

    def _resolve(self, frame: pd.DataFrame) -> dict[str, Any]:
        close = _find(frame, _PRICE_COLUMNS)
        if close is None and frame.shape[1] == 1:
            close = frame.columns[0]
        if close is None:
            raise ValueError(
                "PriceFeatures cannot tell which column holds the prices: none of "
                f"{list(_PRICE_COLUMNS)} among {list(frame.columns)}. Rename it "
                "'Close'."
            )
        columns: dict[str, Any] = {"Close": close}
        high, low = _find(frame, _FIELDS["High"]), _find(frame, _FIELDS["Low"])
        if self.range_estimator is not None and high is not None and low is not None:
            columns.update(High=high, Low=low)
        volume = _find(frame, _FIELDS["Volume"])
        if self.volume and volume is not None:
            columns["Volume"] = volume
        return columns

    def _values(self, frame: pd.DataFrame, column: Any, field: str) -> np.ndarray:
        if column not in frame.columns:
            raise ValueError(
                f"X lacks the column {column!r} ({field}) that PriceFeatures was "
                f"fitted with; X has {list(frame.columns)}."
            )
        v = frame[column].to_numpy(dtype=np.float64)
        minimum = 0.0 if field == "Volume" else np.nextafter(0.0, 1.0)
        bad = ~np.isfinite(v) | (v < minimum)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            need = ">= 0" if field == "Volume" else "> 0"
            raise ValueError(
                f"PriceFeatures needs finite {field} values {need} in column "
                f"{column!r}; row {first} holds {v[first]}. Fill or drop it first."
            )
        return v

    def _raw(self, frame: pd.DataFrame, floor: float | None) -> np.ndarray:
        """Raw features (n, k); row 0's return-based entries are NaN."""
        close = np.log(self._values(frame, self.columns_["Close"], "Close"))
        r = np.concatenate([[np.nan], np.diff(close)])
        if floor is None:
            floor = _FLOOR_SHARE * float(np.nanmean(r**2))
            floor = floor if np.isfinite(floor) and floor > 0 else 1e-12
            self.floor_ = floor
        out = [r, np.log(r**2 + floor)]
        if "High" in self.columns_:
            high = self._values(frame, self.columns_["High"], "High")
            low = self._values(frame, self.columns_["Low"], "Low")
            out.append(np.log(range_variance(high, low) + floor))
        if "Volume" in self.columns_:
            vol = np.log1p(self._values(frame, self.columns_["Volume"], "Volume"))
            out.append(np.concatenate([[np.nan], np.diff(vol)]))
        return np.column_stack(out)

    # -- API ---------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> PriceFeatures:
        """Find the columns and fit the floor, means and scales on the rows of ``X``.

        Parameters
        ----------
        X : pandas.DataFrame, Series or array-like of shape (n,) or (n, 1)
            Prices in time order: a ``Close`` column, optionally ``High``,
            ``Low``, ``Volume``; or one column of prices.
        y : ignored
            Present for pipelines.

        Returns
        -------
        self : PriceFeatures
            The fitted transformer.
        """
        if self.range_estimator not in ("parkinson", None):
            raise ValueError(
                "The 'range_estimator' parameter of PriceFeatures must be "
                f"'parkinson' or None. Got {self.range_estimator!r}."
            )
        frame = self._frame(X)
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], object)
        self.columns_ = self._resolve(frame)
        raw = self._raw(frame, None)
        names = ["log_return", "log_sq_return"]
        names += ["log_range_var"] * ("High" in self.columns_)
        names += ["log_volume_change"] * ("Volume" in self.columns_)
        self.feature_names_out_ = names
        self.mean_ = np.nanmean(raw, axis=0)
        if self.standardize:
            sd = np.nanstd(raw, axis=0)
            self.scale_ = np.where(sd > 1e-12, sd, 1.0)
        else:
            self.scale_ = np.ones(raw.shape[1])
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Return the features of every row of ``X``, each from rows up to it.

        Parameters
        ----------
        X : pandas.DataFrame, Series or array-like
            Prices with the columns seen at fit.

        Returns
        -------
        pandas.DataFrame of shape (n, n_features_out)
            Indexed like ``X``; columns :meth:`get_feature_names_out`.
        """
        check_is_fitted(self, "feature_names_out_")
        frame = self._frame(X)
        raw = self._raw(frame, self.floor_)
        raw[0] = np.where(np.isnan(raw[0]), self.mean_, raw[0])
        if self.standardize:
            raw = (raw - self.mean_) / self.scale_
        return pd.DataFrame(raw, index=frame.index, columns=self.feature_names_out_)

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray:
        """Names of the output features.

        Parameters
        ----------
        input_features : ignored
            Present for scikit-learn's API.

        Returns
        -------
        ndarray of str
            ``log_return``, ``log_sq_return``, then ``log_range_var`` and
            ``log_volume_change`` when fitted with those columns.
        """
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)
