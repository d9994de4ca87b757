"""Forecasting targets from prices: future returns, levels, direction, volatility.

Volatility comes in two explicit units: ``kind="volatility"`` is a standard
deviation (columns ``realized_vol_k{w}``), ``kind="realized_var"`` a variance
(columns ``realized_var_k{w}``), the unit that QLIKE and GARCH-type models
score; :func:`tsattn.targets.check_target_loss` rejects a loss paired with
the wrong unit.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tsattn import TsattnWarning
from tsattn._validation import Interval, check_scalar, store_params
from tsattn.targets.inputs import check_price_signs, extract_prices
from tsattn.targets.kinds import COLUMN_PREFIX, WINDOW_KINDS, check_kinds
from tsattn.targets.realized import check_estimator, estimator_row_variance

__all__ = ["TargetKind", "TargetMaker", "make_targets"]

_POSITIVE_INT = Interval(int, 1, None)

TargetKind = str | Sequence[str]


def _check_params(
    kind: Any, horizon: Any, vol_window: Any, dropna: Any
) -> tuple[tuple[str, ...], int, int | None]:
    """Validate the shared parameters; return kinds, horizon and volatility window."""
    kinds = check_kinds(kind)
    horizon = int(check_scalar("horizon", horizon, _POSITIVE_INT))
    if vol_window is not None:
        vol_window = int(check_scalar("vol_window", vol_window, _POSITIVE_INT))
        if not WINDOW_KINDS & set(kinds):
            warnings.warn(
                f"vol_window={vol_window} is only used by kind='volatility' and "
                "kind='realized_var', which are not among the requested kinds "
                f"{list(kinds)}; it is ignored.",
                TsattnWarning,
                stacklevel=3,
            )
    if not isinstance(dropna, (bool, np.bool_)):
        raise TypeError(f"dropna must be True or False; got {dropna!r}.")
    return kinds, horizon, vol_window


def _ahead(a: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.float64]:
    """Return ``b`` with ``b[t] = a[t + k]``, NaN where ``t + k`` is past the end."""
    out = np.full(a.shape[0], np.nan)
    if k < a.shape[0]:
        out[: a.shape[0] - k] = a[k:]
    return out


def _column_names(
    kinds: tuple[str, ...], horizon: int, vol_window: int
) -> dict[str, tuple[str, int]]:
    columns: dict[str, tuple[str, int]] = {}
    for k in kinds:
        steps = (vol_window,) if k in WINDOW_KINDS else range(1, horizon + 1)
        for step in steps:
            columns[f"{COLUMN_PREFIX[k]}{step}"] = (k, step)
    return columns


def _kind_block(
    kind: str,
    p: npt.NDArray[np.float64],
    horizon: int,
    vol_window: int,
    row_var: npt.NDArray[np.float64] | None = None,
) -> list[npt.NDArray[np.float64]]:
    """Columns of one kind, each ``len(p)`` long, NaN where the future is unknown.

    ``row_var[t]`` is the variance of row ``t`` from a range estimator (used by
    the window kinds instead of the squared log return into row ``t``).
    """
    n = p.shape[0]
    steps = range(1, horizon + 1)
    if kind == "level":
        return [_ahead(p, k) for k in steps]
    if kind == "direction":
        up = []
        for k in steps:
            future = _ahead(p, k)
            col = (future > p).astype(np.float64)
            col[np.isnan(future)] = np.nan
            up.append(col)
        return up
    if kind == "cum_return":
        return [_ahead(p, k) / p - 1.0 for k in steps]
    if kind == "return":
        r1 = _ahead(p, 1) / p - 1.0  # r1[t]: simple return from t to t + 1
        return [_ahead(r1, k - 1) for k in steps]
    logp = np.log(p)
    if kind == "cum_log_return":
        return [_ahead(logp, k) - logp for k in steps]
    d = np.diff(logp)  # d[t]: log return from t to t + 1, length n - 1
    if kind == "log_return":
        r1 = np.append(d, np.nan)
        return [_ahead(r1, k - 1) for k in steps]
    # window kinds: a separate sum per row (not a cumsum difference), so that
    # each value is exactly the sum over its own window and is never negative.
    # per_row[j] is the variance of row j + 1.
    per_row = d * d if row_var is None else row_var[1:]
    out = np.full(n, np.nan)
    if vol_window <= n - 1:
        windows = np.lib.stride_tricks.sliding_window_view(per_row, vol_window)
        out[: n - vol_window] = windows.sum(axis=1)
    return [np.sqrt(out) if kind == "volatility" else out]


def make_targets(
    prices: pd.Series | pd.DataFrame | npt.ArrayLike,
    *,
    kind: TargetKind = "log_return",
    horizon: int = 1,
    vol_window: int | None = None,
    price_col: Hashable | None = None,
    dropna: bool = False,
    variance_estimator: str = "close",
) -> pd.DataFrame:
    """Build the targets ``y`` to predict from each row of a price series.

    Row ``t`` of the result holds the *future* outcome that a model sees at time
    ``t`` should predict, computed from ``P[t], P[t+1], ..., P[t+H]`` only. Pair
    it with features built from information up to ``t`` and no shift has to be
    written by hand. ``P`` below is the price series and ``H`` the horizon.

    Parameters
    ----------
    prices : Series, DataFrame or 1-D array-like
        Prices in time order, one row per time step. For a DataFrame the price
        column is ``price_col``; if that is None, the first of ``"Close"``,
        ``"close"``, ``"Adj Close"``, ``"adj_close"``, ``"Adj_Close"`` present, or
        the only column of a one-column frame. A ``DatetimeIndex`` must be
        strictly increasing. Prices must be finite (no NaN).
    kind : str or list of str, default="log_return"
        What to predict; a list concatenates the columns of each kind in the order
        given. For ``k = 1, ..., H``:

        - ``"log_return"``: ``log_return_h{k} = log P[t+k] - log P[t+k-1]``, the
          log return *of step k* (not cumulative).
        - ``"cum_log_return"``: ``cum_log_return_h{k} = log P[t+k] - log P[t]``, the
          log return from ``t`` to ``t+k``; equals the sum of ``log_return_h1``
          .. ``log_return_h{k}``.
        - ``"return"``: ``return_h{k} = P[t+k] / P[t+k-1] - 1``, the simple return
          of step ``k``.
        - ``"cum_return"``: ``cum_return_h{k} = P[t+k] / P[t] - 1``.
        - ``"level"``: ``level_h{k} = P[t+k]``.
        - ``"direction"``: ``up_h{k} = 1.0`` if ``P[t+k] > P[t]`` else ``0.0``, that
          is, whether the price ``k`` steps ahead is above today's (a tie counts as
          0.0). ``up_h1`` is the next-step direction.
        - ``"volatility"``: one column ``realized_vol_k{w}`` with
          ``w = vol_window`` (``H`` when None) holding
          ``sqrt(sum_{j=1..w} (log P[t+j] - log P[t+j-1]) ** 2)``, the realized
          volatility of the next ``w`` steps. It is not annualised; multiply by
          ``sqrt(periods_per_year / w)`` for an annualised figure. A standard
          deviation: score it with MSE/MAE, not QLIKE.
        - ``"realized_var"``: one column ``realized_var_k{w}`` holding the square
          of that sum's root, ``sum_{j=1..w} (log P[t+j] - log P[t+j-1]) ** 2``,
          the realized variance of the next ``w`` steps: the unit of QLIKE and of
          GARCH-type forecasts.

        With ``variance_estimator`` "parkinson" or "garman_klass" the two window
        kinds sum the range-based variance of rows ``t+1 .. t+w`` instead (see
        :func:`range_variance`).

        The log kinds (``log_return``, ``cum_log_return``, ``volatility``,
        ``realized_var``) need prices > 0; ``return`` and ``cum_return`` need
        non-zero prices.
    horizon : int, default=1
        Number of steps ahead ``H`` (>= 1).
    vol_window : int or None, default=None
        Number of future steps summed by ``"volatility"`` and ``"realized_var"``;
        None means ``horizon``. Used by those kinds only (a warning is issued
        otherwise).
    price_col : hashable or None, default=None
        Column of a DataFrame that holds the prices. Not used for a Series or an
        array.
    dropna : bool, default=False
        The last rows have no complete future (``H`` rows, or ``vol_window`` for
        volatility, whichever is larger) and hold NaN. By default they are kept,
        so the result has the same length and index as ``prices`` and lines up
        with features row for row. ``dropna=True`` drops exactly these tail rows
        and nothing else (prices may not contain NaN, so no other row can be
        NaN).
    variance_estimator : {"close", "parkinson", "garman_klass"}, default="close"
        Per-row variance summed by the window kinds: squared close-to-close log
        returns, or a range-based estimator from the ``High`` and ``Low``
        columns (and ``Open`` for Garman-Klass) of a DataFrame.

    Returns
    -------
    y : DataFrame
        Float64 targets on the index of ``prices`` (without the tail rows when
        ``dropna=True``). ``y.attrs["tsattn_targets"]`` records how they were
        built: ``{"kind": [...], "horizon": H, "vol_window": w,
        "price_col": name, "dropna": bool, "variance_estimator": name,
        "columns": {column: (kind, step)}}``,
        where ``step`` is ``k`` (or the window ``w`` for volatility). Forecasts of
        return kinds map back to prices with :func:`target_to_prices`.

    Raises
    ------
    ValueError
        On an unknown or repeated kind, ``horizon`` or ``vol_window`` < 1,
        missing/infinite prices, non-positive prices for log kinds, a zero price
        for simple returns, a missing price column, a timestamp index out of
        order or duplicated, ``dropna=True`` on a series too short to keep
        any row, or a range-based ``variance_estimator`` without the
        ``High``/``Low`` (and ``Open``) columns or without a window kind.
    TypeError
        On non-integer ``horizon`` / ``vol_window``, a non-string kind, or
        non-numeric prices.

    See Also
    --------
    TargetMaker : The same as a scikit-learn transformer.
    returns_to_prices : Turn forecast log returns into a price path.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.targets import make_targets
    >>> prices = pd.Series([100.0, 110.0, 99.0, 108.9], name="Close")
    >>> make_targets(prices, kind=["level", "cum_return"], horizon=2).round(3)
       level_h1  level_h2  cum_return_h1  cum_return_h2
    0     110.0      99.0            0.1          -0.01
    1      99.0     108.9           -0.1          -0.01
    2     108.9       NaN            0.1            NaN
    3       NaN       NaN            NaN            NaN
    >>> make_targets(prices, kind="direction", dropna=True)
       up_h1
    0    1.0
    1    0.0
    2    1.0
    """
    kinds, horizon, vol_window = _check_params(kind, horizon, vol_window, dropna)
    estimator = check_estimator(variance_estimator, kinds)
    window = horizon if vol_window is None else vol_window
    values, index, name = extract_prices(prices, price_col)
    check_price_signs(values, index, kinds)
    row_var = estimator_row_variance(prices, estimator, values)

    columns = _column_names(kinds, horizon, window)
    data: list[npt.NDArray[np.float64]] = []
    for k in kinds:
        data.extend(_kind_block(k, values, horizon, window, row_var))
    y = pd.DataFrame(dict(zip(columns, data)), index=index)

    # rows past the last one with a complete future for every requested kind
    tail = max(window if k in WINDOW_KINDS else horizon for k in kinds)
    n_complete = max(len(values) - tail, 0)
    if n_complete == 0:
        if dropna:
            raise ValueError(
                f"dropna=True would drop every row: the targets look {tail} step(s) "
                f"ahead but prices has only {len(values)} row(s). Pass more than "
                f"{tail} prices or reduce horizon / vol_window."
            )
        warnings.warn(
            f"No row has a complete target: the targets look {tail} step(s) ahead "
            f"but prices has only {len(values)} row(s), so every row holds NaN.",
            TsattnWarning,
            stacklevel=2,
        )
    if dropna:
        y = y.iloc[:n_complete].copy()
    y.attrs["tsattn_targets"] = {
        "kind": list(kinds),
        "horizon": horizon,
        "vol_window": window if WINDOW_KINDS & set(kinds) else None,
        "price_col": name,
        "dropna": bool(dropna),
        "variance_estimator": estimator,
        "columns": columns,
    }
    return y


class TargetMaker(TransformerMixin, BaseEstimator):
    """Transformer that turns prices into forecasting targets.

    ``transform`` is :func:`make_targets` with this transformer's parameters; see
    there for the exact definition of every kind and of the tail rows.

    Parameters
    ----------
    kind : str or list of str, default="log_return"
        Target kind(s): ``"log_return"``, ``"cum_log_return"``, ``"return"``,
        ``"cum_return"``, ``"level"``, ``"direction"``, ``"volatility"``,
        ``"realized_var"``.
    horizon : int, default=1
        Number of steps ahead (>= 1).
    vol_window : int or None, default=None
        Steps summed by ``"volatility"`` / ``"realized_var"``; None: ``horizon``.
    price_col : hashable or None, default=None
        Price column of a DataFrame; None picks ``"Close"`` and friends.
    dropna : bool, default=False
        Drop the tail rows that have no complete future. Note that this makes
        the output shorter than the input.
    variance_estimator : {"close", "parkinson", "garman_klass"}, default="close"
        Per-row variance of the window kinds (range-based ones need a
        DataFrame with High/Low, and Open for Garman-Klass).

    Attributes
    ----------
    price_col_ : hashable or None
        The price column used during ``fit`` (the Series name for a Series,
        None for an array).
    kinds_ : tuple of str
        The validated kinds.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen during ``fit``, when they are all strings.

    See Also
    --------
    make_targets : The function behind ``transform``.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.targets import TargetMaker
    >>> df = pd.DataFrame({"Open": [1.0, 2.0, 4.0], "Close": [1.0, 2.0, 4.0]})
    >>> tm = TargetMaker(kind="level", horizon=2).fit(df)
    >>> tm.get_feature_names_out()
    array(['level_h1', 'level_h2'], dtype=object)
    >>> tm.transform(df)
       level_h1  level_h2
    0       2.0       4.0
    1       4.0       NaN
    2       NaN       NaN
    """

    def __init__(
        self,
        *,
        kind: TargetKind = "log_return",
        horizon: int = 1,
        vol_window: int | None = None,
        price_col: Hashable | None = None,
        dropna: bool = False,
        variance_estimator: str = "close",
    ) -> None:
        store_params(self, locals())

    def fit(self, X: Any, y: Any = None) -> TargetMaker:
        """Validate the parameters and the prices, and remember the price column.

        Parameters
        ----------
        X : Series, DataFrame or 1-D array-like
            Prices, as for :func:`make_targets`.
        y : None
            Ignored.

        Returns
        -------
        self : TargetMaker
            The fitted transformer.
        """
        kinds, _, _ = _check_params(
            self.kind, self.horizon, self.vol_window, self.dropna
        )
        check_estimator(self.variance_estimator, kinds)
        values, index, name = extract_prices(X, self.price_col)
        check_price_signs(values, index, kinds)
        estimator_row_variance(X, self.variance_estimator, values)
        self.kinds_ = kinds
        self.price_col_ = name
        self._fitted_on_frame = isinstance(X, pd.DataFrame)
        if isinstance(X, pd.DataFrame):
            self.n_features_in_ = X.shape[1]
            if all(isinstance(c, str) for c in X.columns):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        else:
            self.n_features_in_ = 1
            if isinstance(X, pd.Series) and isinstance(X.name, str):
                self.feature_names_in_ = np.asarray([X.name], dtype=object)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Build the targets from ``X``.

        Parameters
        ----------
        X : Series, DataFrame or 1-D array-like
            Prices. A DataFrame must contain the price column seen in ``fit``.

        Returns
        -------
        y : DataFrame
            As returned by :func:`make_targets`.
        """
        check_is_fitted(self, "kinds_")
        price_col = self.price_col
        if isinstance(X, pd.DataFrame) and self._fitted_on_frame:
            if self.price_col_ not in X.columns:
                raise ValueError(
                    f"X has no column {self.price_col_!r}, the price column seen in "
                    f"fit. Available columns: {list(X.columns)}."
                )
            price_col = self.price_col_
        return make_targets(
            X,
            kind=self.kind,
            horizon=self.horizon,
            vol_window=self.vol_window,
            price_col=price_col,
            dropna=self.dropna,
            variance_estimator=self.variance_estimator,
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the target columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_``; the output names depend
            on ``kind``, ``horizon`` and ``vol_window`` alone.

        Returns
        -------
        names : ndarray of str
            The columns that ``transform`` returns, in order.
        """
        check_is_fitted(self, "kinds_")
        if input_features is not None and hasattr(self, "feature_names_in_"):
            given = np.asarray(input_features, dtype=object)
            if not np.array_equal(given, self.feature_names_in_):
                raise ValueError(
                    f"input_features {list(given)} differ from the columns seen in "
                    f"fit {list(self.feature_names_in_)}."
                )
        window = self.horizon if self.vol_window is None else self.vol_window
        names = _column_names(self.kinds_, self.horizon, window)
        return np.asarray(list(names), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = False
        return tags
