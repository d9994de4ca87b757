"""One history for every model: user input -> values, index, frequency, future index.

:func:`as_history` is the single way ``fit``, ``update`` and ``predict`` data
enter a tsattn model: it validates (numeric, finite, within float32, unique
and increasing index) and returns float64 values with the index. The
frequency that extends the index into the future (:func:`infer_freq`), the
future labels (:func:`future_index`) and whether new rows continue the old
ones (:func:`continuation_problem`) are decided here too, once.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

__all__ = [
    "as_frame",
    "as_history",
    "check_range",
    "continuation_problem",
    "future_index",
    "infer_freq",
    "outside_float32",
]

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Largest finite float32: data beyond it cannot reach the network."""


# --------------------------------------------------------------------------- #
# one history for the estimators: values, index, frequency, future index
# --------------------------------------------------------------------------- #


def as_history(
    X: Any, name: str = "X"
) -> tuple[np.ndarray, pd.Index, list[Any], bool, bool]:
    """Validate a history and convert it to canonical arrays.

    Every estimator and baseline takes its ``fit``, ``update`` and ``predict``
    data through here.

    Parameters
    ----------
    X : pandas Series or DataFrame, or array-like of shape (n,) or (n, F)
        Rows are time steps in time order.
    name : str, default="X"
        What to call the data in error messages.

    Returns
    -------
    (values, index, columns, named, is_pandas)
        ``values`` is float64 of shape (n, F), finite and within the float32
        range; ``named`` says whether the column labels came from the caller
        (DataFrame or named Series).

    Raises
    ------
    ValueError or TypeError
        Naming the column and row of the first bad value, or what else is wrong.
    """
    is_pandas = isinstance(X, (pd.Series, pd.DataFrame))
    X, named, _ = as_frame(X, name)
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows); pass at least one time step.")
    if X.shape[1] == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape=({X.shape[0]}, 0)) while a minimum of 1 "
            "is required. Pass at least one series."
        )
    if not X.columns.is_unique:
        dup = X.columns[X.columns.duplicated()][0]
        raise ValueError(f"{name} has duplicate column {dup!r}; rename it.")
    values = X.to_numpy(dtype=np.float64, na_value=np.nan)
    index = X.index
    check_range(values, list(X.columns), index, name)
    _check_index_order(index, name)
    return values, index, list(X.columns), named, is_pandas


def as_frame(X: Any, name: str = "X") -> tuple[pd.DataFrame, bool, bool]:
    """Return ``(frame, named, one_dimensional)`` for a Series, DataFrame or array.

    Arrays get column names ``"y"`` (1-D) or ``"y0"``, ``"y1"``... (2-D), as
    does an unnamed Series; ``named`` says whether the labels came from the
    caller. Every column is checked to be numeric (or bool).

    Parameters
    ----------
    X : pandas Series or DataFrame, or array-like of shape (n,) or (n, F)
        The data.
    name : str, default="X"
        What to call the data in error messages.

    Returns
    -------
    (frame, named, one_dimensional)
        The data as a DataFrame, whether its labels are the caller's, and
        whether it came as one column (a Series or a 1-D array).
    """
    if isinstance(X, pd.Series):
        named = X.name is not None
        frame, named, one_d = X.to_frame(name=X.name if named else "y"), named, True
    elif isinstance(X, pd.DataFrame):
        frame, named, one_d = X, True, False
    else:
        frame, one_d = _array_frame(X, name)
        named = False
    for col, dtype in frame.dtypes.items():
        if pd.api.types.is_complex_dtype(dtype):
            raise ValueError(
                f"Complex data not supported: {name} column {col!r} is complex."
            )
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            raise TypeError(
                f"{name} column {col!r} has dtype {dtype}; it must be numeric. Drop "
                "or encode it first."
            )
    return frame, named, one_d


def _array_frame(X: Any, name: str) -> tuple[pd.DataFrame, bool]:
    """Return a numeric array-like as a labelled DataFrame, and whether it was 1-D."""
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported. Pass a "
            f"dense array ({name}.toarray())."
        )
    raw = np.asarray(X)
    if np.iscomplexobj(raw):
        raise ValueError(f"Complex data not supported: {name} has complex values.")
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a pandas Series/DataFrame or a numeric array; "
            f"could not convert {type(X).__name__} to float ({exc})."
        ) from exc
    if arr.ndim == 1:
        return pd.DataFrame(arr[:, None], columns=["y"]), True
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D or 2-D (rows are time steps), got an array "
            f"with shape {arr.shape}."
        )
    return pd.DataFrame(arr, columns=[f"y{j}" for j in range(arr.shape[1])]), False


def check_range(
    values: np.ndarray, columns: Sequence[Any], index: pd.Index, name: str = "X"
) -> None:
    """Refuse NaN, infinite and out-of-float32-range values, naming row and column.

    Parameters
    ----------
    values : ndarray of float64, shape (n, F)
        The data.
    columns : sequence
        Column labels, one per column of ``values``.
    index : pandas.Index
        Row labels.
    name : str, default="X"
        What to call the data in error messages.

    Raises
    ------
    ValueError
        For the first bad value: its column, index label and row.
    """
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s); the first "
            f"is in column {columns[col]!r} at index {index[row]} (row {row}). "
            f"Fill or drop them (e.g. {name}.ffill() or {name}.dropna()) first."
        )
    huge = np.abs(values) > FLOAT32_MAX
    if huge.any():
        row, col = np.argwhere(huge)[0]
        where = f"index {index[row]} (row {row})"
        raise outside_float32(name, columns[col], float(values[row, col]), where)


def outside_float32(name: str, column: Any, value: float, where: str) -> ValueError:
    """Return the error for ``value`` of ``column`` beyond the float32 range.

    Parameters
    ----------
    name : str
        What the data is called.
    column : hashable
        The column holding the value.
    value : float
        The value.
    where : str
        Its place: ``"index 5 (row 5)"``, ``"position 7"``.

    Returns
    -------
    ValueError
        Names the column, the value and its place, the limit and the fix.
    """
    return ValueError(
        f"{name} column {column!r} holds {value!r} at {where}, outside the float32 "
        f"range (|x| <= {FLOAT32_MAX:.3g}). Rescale it (e.g. take logs or divide "
        "by a constant) first."
    )


def _check_index_order(index: pd.Index, name: str) -> None:
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise ValueError(
            f"{name}.index has duplicate label {dup}; rows must be distinct time "
            "steps in time order."
        )
    orderable = isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) or (
        pd.api.types.is_numeric_dtype(index.dtype)
    )
    if orderable and not index.is_monotonic_increasing:
        pos = int(np.flatnonzero(np.asarray(index[1:] <= index[:-1]))[0])
        raise ValueError(
            f"{name}.index is not in increasing time order ({index[pos]} is followed "
            f"by {index[pos + 1]} at row {pos + 1}). Sort it with "
            f"{name}.sort_index()."
        )


def infer_freq(index: pd.Index) -> tuple[Any, bool]:
    """Return ``(freq, strict)``: the step that extends ``index`` into the future.

    Parameters
    ----------
    index : pandas.Index
        The time index of the data.

    Returns
    -------
    (freq, strict)
        ``freq`` is a pandas offset (or None when there is none, as for
        integer indexes or irregular stamps); daily stamps that all fall on
        weekdays are business days (``B``). ``strict`` is False for the
        business-day guess made for weekday-only daily data without a regular
        frequency (stock prices skip holidays): new observations then only
        need to come after the last one seen.

    Examples
    --------
    >>> import pandas as pd
    >>> days = ["2024-03-25", "2024-03-26", "2024-03-28", "2024-03-29"]  # a holiday
    >>> freq, strict = infer_freq(pd.DatetimeIndex(days))
    >>> freq.freqstr, strict
    ('B', False)
    """
    if isinstance(index, pd.PeriodIndex):
        return index.freq, True
    if not isinstance(index, pd.DatetimeIndex):
        return None, True
    if index.freq is not None:
        return index.freq, True
    if len(index) >= 3:
        with warnings.catch_warnings():
            # pandas 3 announces that infer_freq will return an offset;
            # to_offset below accepts both.
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            inferred = pd.infer_freq(index)
        if inferred is not None:
            offset = to_offset(inferred)
            if offset == to_offset("D") and _weekdays_only(index):
                return to_offset("B"), True  # a short run of weekdays
            return offset, True
    if len(index) >= 2:
        gaps = index[1:] - index[:-1]
        weekday_daily = (
            bool((index == index.normalize()).all())
            and _weekdays_only(index)
            and gaps.min() >= pd.Timedelta(days=1)
            and gaps.median() == pd.Timedelta(days=1)
        )
        if weekday_daily:
            return to_offset("B"), False
    return None, False


def _weekdays_only(index: pd.DatetimeIndex) -> bool:
    """Whether every stamp falls on a day from Monday to Friday."""
    return bool((index.day_of_week < 5).all())


def future_index(index: pd.Index, steps: int, freq: Any) -> pd.Index:
    """Return the ``steps`` index labels that follow ``index``.

    Parameters
    ----------
    index : pandas.Index
        A DatetimeIndex, PeriodIndex or integer index, in increasing order.
    steps : int
        Number of future labels.
    freq : pandas offset or None
        The step of a DatetimeIndex or PeriodIndex (see :func:`infer_freq`);
        integer indexes continue with their own step.

    Returns
    -------
    pandas.Index
        A DatetimeIndex, PeriodIndex or RangeIndex named as ``index``.

    Examples
    --------
    >>> import pandas as pd
    >>> friday = pd.bdate_range("2024-01-01", "2024-01-05")
    >>> list(future_index(friday, 2, friday.freq).strftime("%a %d"))
    ['Mon 08', 'Tue 09']
    """
    if isinstance(index, pd.DatetimeIndex):
        if freq is None:
            raise ValueError(
                "Cannot build future timestamps: the frequency of the fitted "
                "DatetimeIndex could not be inferred. Set one (e.g. X.asfreq('D') or "
                "X.index.freq = 'h') before fit."
            )
        future = pd.date_range(index[-1], periods=steps + 1, freq=freq, name=index.name)
        return future[1:]
    if isinstance(index, pd.PeriodIndex):
        return pd.period_range(index[-1] + 1, periods=steps, freq=freq, name=index.name)
    if pd.api.types.is_integer_dtype(index.dtype):
        if isinstance(index, pd.RangeIndex):
            step = int(index.step)
        else:
            step = int(index[-1] - index[-2]) if len(index) >= 2 else 1
        last = int(index[-1])
        return pd.RangeIndex(
            last + step, last + step * (steps + 1), step, name=index.name
        )
    raise ValueError(
        f"Cannot extend an index of dtype {index.dtype} into the future; use a "
        "DatetimeIndex with a frequency, a PeriodIndex or an integer index."
    )


def continuation_problem(
    index: pd.Index, freq: Any, strict: bool, new: pd.Index
) -> str | None:
    """Why ``new`` does not continue right after ``index``; None when it does.

    Parameters
    ----------
    index : pandas.Index
        The labels seen so far.
    freq, strict
        What :func:`infer_freq` returned for them.
    new : pandas.Index
        The labels of new rows.

    Returns
    -------
    str or None
        A phrase for an error message, or None.
    """
    last, first = index[-1], new[0]
    if isinstance(index, pd.DatetimeIndex):
        if not isinstance(new, pd.DatetimeIndex):
            return f"expected a DatetimeIndex after {last}, got {type(new).__name__}"
        try:
            after = first > last
        except TypeError as exc:
            return f"its timestamps cannot be compared with the fitted ones ({exc})"
        if not after:
            return f"it starts at {first}, not after the last seen timestamp {last}"
        if strict and freq is not None:
            expected = future_index(index, len(new), freq)
            if not new.equals(expected):
                pos = int(np.flatnonzero(np.asarray(new != expected))[0])
                return (
                    f"row {pos} is {new[pos]} but the regular frequency "
                    f"{expected.freqstr} gives {expected[pos]}"
                )
        return None
    if isinstance(index, pd.PeriodIndex) or pd.api.types.is_integer_dtype(index.dtype):
        if type(new) is not type(index) and not (
            pd.api.types.is_integer_dtype(index.dtype)
            and pd.api.types.is_integer_dtype(new.dtype)
        ):
            return f"expected a {type(index).__name__}, got {type(new).__name__}"
        expected = future_index(index, len(new), freq)
        if not np.array_equal(np.asarray(new), np.asarray(expected)):
            pos = int(np.flatnonzero(np.asarray(new) != np.asarray(expected))[0])
            return f"row {pos} has label {new[pos]} but {expected[pos]} comes next"
        return None
    if len(index.intersection(new)):
        return "its labels overlap the data seen so far"
    return None
