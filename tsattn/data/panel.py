"""Panels: one or more series stacked row-wise as canonical float arrays.

:func:`to_panel` validates a DataFrame, Series, array, long-format frame or
dict of series and returns a :class:`Panel` (values, column names, time
index, series offsets, frequency), the layout :mod:`tsattn.windows` reads.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tsattn.data.history import infer_freq, outside_float32

__all__ = ["Panel", "to_panel"]


@dataclass(frozen=True, eq=False)
class Panel:
    """One or more time series stacked row-wise in canonical form.

    A panel is what :func:`to_panel` returns: every series' rows stacked in time
    order in one float array (float32 unless asked otherwise), with ``offsets``
    marking where each series starts.
    Single series are panels with one series.

    Parameters
    ----------
    values : ndarray of shape (n, F)
        float32 (float64 when :func:`to_panel` was asked for it), C-contiguous.
        Series ``i`` is ``values[offsets[i]:offsets[i+1]]``.
        :func:`to_panel` always copies, so it never shares memory with the input.
    columns : tuple of str
        Feature names, one per column of ``values``.
    index : pandas.Index of length n
        The time stamp of each row: a DatetimeIndex (or PeriodIndex) when the input
        had one, otherwise integer positions (a RangeIndex for a single series).
        In a panel the stamps repeat across series.
    offsets : ndarray of shape (n_series + 1,)
        int64 row offsets, ``offsets[0] == 0`` and ``offsets[-1] == n``; every
        series has at least one row.
    series_ids : tuple
        One identifier per series: ``"0"`` for a single series, the values of the
        id column (in order of first appearance) or the dict keys for panels.
    freq : str or None
        Frequency alias shared by all series (``"B"``, ``"D"``, ``"h"``...), or None
        when it is unknown or differs between series.
    """

    values: np.ndarray
    columns: tuple[str, ...]
    index: pd.Index
    offsets: np.ndarray
    series_ids: tuple
    freq: str | None = None

    def __post_init__(self) -> None:
        dtype = (
            np.float64 if np.asarray(self.values).dtype == np.float64 else np.float32
        )
        values = np.ascontiguousarray(self.values, dtype=dtype)
        offsets = np.asarray(self.offsets, dtype=np.int64)
        if values.ndim != 2:
            raise ValueError(
                f"Panel.values must be 2-D (n, F); got shape {values.shape}."
            )
        n, n_features = values.shape
        if len(self.columns) != n_features:
            raise ValueError(
                f"Panel has {n_features} value column(s) but {len(self.columns)} "
                f"column name(s): {self.columns!r}."
            )
        if len(self.index) != n:
            raise ValueError(
                f"Panel.index has {len(self.index)} entries but values has {n} rows."
            )
        if (
            offsets.ndim != 1
            or offsets.size < 2
            or offsets[0] != 0
            or offsets[-1] != n
            or np.any(np.diff(offsets) < 1)
        ):
            raise ValueError(
                "Panel.offsets must be strictly increasing from 0 to the number of "
                f"rows (= {n}), one more entry than there are series; got "
                f"{offsets.tolist()[:10]}{'...' if offsets.size > 10 else ''}."
            )
        if len(self.series_ids) != offsets.size - 1:
            raise ValueError(
                f"Panel has {offsets.size - 1} series but {len(self.series_ids)} "
                "series id(s)."
            )
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "series_ids", tuple(self.series_ids))

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __repr__(self) -> str:
        return (
            f"Panel(n_rows={len(self)}, n_features={self.n_features}, "
            f"n_series={self.n_series}, freq={self.freq!r}, columns={self.columns!r})"
        )

    @property
    def n_series(self) -> int:
        """Number of series in the panel."""
        return int(self.offsets.size - 1)

    @property
    def n_features(self) -> int:
        """Number of value columns."""
        return int(self.values.shape[1])

    @property
    def lengths(self) -> np.ndarray:
        """Number of rows of each series, int64 of shape (n_series,)."""
        return np.diff(self.offsets)

    def series_slice(self, i: int) -> slice:
        """Return the row slice of series ``i`` (positional, negative allowed)."""
        k = self.n_series
        if not isinstance(i, numbers.Integral) or isinstance(i, bool):
            raise TypeError(f"Series position must be an int; got {type(i).__name__}.")
        if not -k <= i < k:
            raise IndexError(
                f"Series position {i} is out of range for a panel of {k} series."
            )
        i = int(i) % k
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def series(self, i: int = 0) -> pd.DataFrame:
        """Return series ``i`` as a DataFrame indexed by its time stamps.

        Parameters
        ----------
        i : int, default=0
            Position of the series (negative counts from the end).

        Returns
        -------
        pandas.DataFrame
            A copy of the series' values with ``columns`` as columns.
        """
        rows = self.series_slice(i)
        return pd.DataFrame(
            self.values[rows],
            columns=list(self.columns),
            index=self.index[rows],
            copy=True,
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the panel as one DataFrame.

        Returns
        -------
        pandas.DataFrame
            For one series, :meth:`series` ``(0)``. For several, the stacked rows with
            a two-level index ``(series_id, time)``.
        """
        if self.n_series == 1:
            return self.series(0)
        ids = np.repeat(np.arange(self.n_series), self.lengths)
        id_values = pd.Index(list(self.series_ids), tupleize_cols=False).take(ids)
        index = pd.MultiIndex.from_arrays(
            [id_values, self.index], names=["series_id", self.index.name or "time"]
        )
        return pd.DataFrame(
            self.values, columns=list(self.columns), index=index, copy=True
        )


# --------------------------------------------------------------------------- #
# formatting helpers
# --------------------------------------------------------------------------- #


def _fmt_stamp(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        if value == value.normalize():
            return value.strftime("%Y-%m-%d") + (f" {value.tz}" if value.tz else "")
        return str(value)
    return repr(value.item() if isinstance(value, np.generic) else value)


def _fmt_list(items: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(repr(x) for x in list(items)[:limit])
    return f"[{shown}{', ...' if len(items) > limit else ''}]"


def _where(row: int, panel: Panel) -> str:
    """Describe row ``row`` of a stacked panel for an error message."""
    index, offsets, series_ids = panel.index, panel.offsets, panel.series_ids
    s = int(np.searchsorted(offsets, row, side="right") - 1)
    pos = row - int(offsets[s])
    label = index[row]
    at = f"position {pos}" + (
        f" of series {series_ids[s]!r}" if len(series_ids) > 1 else ""
    )
    if isinstance(label, (pd.Timestamp, pd.Period, pd.Timedelta)):
        return f"{_fmt_stamp(label)} ({at})"
    if label == pos:
        return at
    return f"index {_fmt_stamp(label)} ({at})"


# --------------------------------------------------------------------------- #
# conversion of one series
# --------------------------------------------------------------------------- #


def _to_values(
    source: np.ndarray | pd.DataFrame,
    columns: tuple[str, ...],
    name: str,
    dtype: type = np.float32,
) -> np.ndarray:
    """Cast to C-contiguous ``dtype``, refusing values outside the float32 range."""
    with np.errstate(over="ignore", invalid="ignore"):
        if isinstance(source, pd.DataFrame):
            out = source.to_numpy(dtype=dtype, na_value=np.nan)
        else:
            out = source.astype(dtype)
        narrow = out if out.dtype == np.float32 else out.astype(np.float32)
    out = np.ascontiguousarray(out)
    if not out.flags.writeable:  # a read-only view of the frame's own memory
        out = out.copy()
    inf32 = np.isinf(narrow)
    if inf32.any():
        wide = (
            source.to_numpy(dtype=np.float64, na_value=np.nan)
            if isinstance(source, pd.DataFrame)
            else np.asarray(source, dtype=np.float64)
        )
        overflow = inf32 & np.isfinite(wide)
        if overflow.any():
            r, c = np.argwhere(overflow)[0]
            raise outside_float32(name, columns[c], float(wide[r, c]), f"position {r}")
    return out


def _check_numeric_dtypes(df: pd.DataFrame, name: str) -> None:
    bad = [
        (str(col), str(dtype))
        for col, dtype in df.dtypes.items()
        if not (
            pd.api.types.is_bool_dtype(dtype)
            or (
                pd.api.types.is_numeric_dtype(dtype)
                and not pd.api.types.is_complex_dtype(dtype)
            )
        )
    ]
    if bad:
        described = ", ".join(f"{c!r} ({d})" for c, d in bad)
        hint = (
            " A time column belongs in the index (df.set_index(col)) or in time_col."
            if any(d.startswith(("datetime", "period", "timedelta")) for _, d in bad)
            else ""
        )
        raise TypeError(
            f"{name} has non-numeric column(s): {described}. Convert them to numbers "
            f"(e.g. pd.to_numeric) or leave them out with columns=[...].{hint}"
        )


def _select_columns(df: pd.DataFrame, columns: Sequence[Hashable] | None, name: str):
    if columns is not None:
        if isinstance(columns, (str, bytes)) or not isinstance(columns, Sequence):
            columns = [columns]
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ValueError(
                f"Column(s) {_fmt_list(missing)} not found in {name}; its columns are "
                f"{_fmt_list(list(df.columns), limit=20)}."
            )
        df = df[list(columns)]
    names = tuple(str(c) for c in df.columns)
    if len(set(names)) != len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        raise ValueError(
            f"{name} has duplicate column name(s) {_fmt_list(dup)}; rename them so "
            "each column is unique."
        )
    if not names:
        raise ValueError(f"{name} has no value columns.")
    return df, names


def _array_parts(
    X: Any, columns: Sequence[Hashable] | None, name: str, dtype: type = np.float32
):
    """Convert an array-like to (``dtype`` values, column names, RangeIndex)."""
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"{name} could not be turned into a rectangular array ({exc}). Pass a "
            "1-D or 2-D array, a DataFrame, or a dict of series."
        ) from exc
    if arr.dtype.kind == "O":
        raise TypeError(
            f"{name} is an array of dtype object; pass a numeric array (e.g. "
            "np.asarray(X, dtype=float)) or a DataFrame with numeric columns."
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} has non-numeric dtype {arr.dtype}; pass numbers (bool, int or "
            "float)."
        )
    if arr.ndim == 0:
        raise ValueError(f"{name} is a scalar; pass a 1-D or 2-D array of time steps.")
    if arr.ndim > 2:
        raise ValueError(
            f"{name} is {arr.ndim}-D with shape {arr.shape}; pass a 2-D array "
            "(n_timesteps, n_features) per series: a dict {series_id: array} or a "
            "long-format DataFrame for several series."
        )
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows).")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no value columns (shape {arr.shape}).")
    if columns is None:
        names = tuple(str(i) for i in range(arr.shape[1]))
    else:
        names = tuple(str(c) for c in columns)
        if len(names) != arr.shape[1]:
            raise ValueError(
                f"{name} has {arr.shape[1]} column(s) but {len(names)} name(s) were "
                f"given in columns={list(columns)!r}."
            )
        if len(set(names)) != len(names):
            raise ValueError(f"columns={list(columns)!r} holds duplicate names.")
    return _to_values(arr, names, name, dtype), names, pd.RangeIndex(arr.shape[0])


def _frame_parts(
    X: pd.DataFrame | pd.Series,
    columns: Sequence[Hashable] | None,
    time_col: Hashable | None,
    name: str,
    dtype: type = np.float32,
):
    """Convert one frame to (``dtype`` values, column names, time index)."""
    df = (
        X.to_frame(name="0" if X.name is None else X.name)
        if isinstance(X, pd.Series)
        else X
    )
    index = df.index
    if time_col is not None:
        if time_col not in df.columns:
            raise ValueError(
                f"time_col={time_col!r} is not a column of {name}; its columns are "
                f"{_fmt_list(list(df.columns), limit=20)}."
            )
        index = pd.Index(df[time_col], name=time_col)
        df = df.drop(columns=[time_col])
    if isinstance(index, pd.MultiIndex):
        raise ValueError(
            f"{name} has a MultiIndex with {index.nlevels} levels; only a 2-level "
            "(series_id, time) MultiIndex is understood, as a long-format panel."
        )
    if len(df) == 0:
        raise ValueError(f"{name} is empty (0 rows).")
    df, names = _select_columns(df, columns, name)
    _check_numeric_dtypes(df, name)
    return _to_values(df, names, name, dtype), names, index


# --------------------------------------------------------------------------- #
# checks on the stacked panel
# --------------------------------------------------------------------------- #


def _time_keys(index: pd.Index, name: str) -> np.ndarray | None:
    """Return sortable int64/float keys of a time index, or None for positions."""
    if isinstance(index, pd.RangeIndex) and index.step > 0:
        return None
    if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        if index.hasnans:
            row = int(np.flatnonzero(index.isna())[0])
            raise ValueError(
                f"The time index of {name} has a missing value (NaT) at position "
                f"{row}. Every row needs a time stamp."
            )
        return index.asi8
    if isinstance(index, pd.PeriodIndex):
        if index.hasnans:
            row = int(np.flatnonzero(index.isna())[0])
            raise ValueError(
                f"The time index of {name} has a missing value (NaT) at position {row}."
            )
        return index.asi8
    if pd.api.types.is_numeric_dtype(index.dtype) and not pd.api.types.is_bool_dtype(
        index.dtype
    ):
        keys = np.asarray(index)
        if keys.dtype.kind == "f" and np.isnan(keys).any():
            row = int(np.flatnonzero(np.isnan(keys))[0])
            raise ValueError(
                f"The index of {name} has a missing value (NaN) at position {row}."
            )
        return keys
    raise TypeError(
        f"The time index of {name} has dtype {index.dtype}; use a DatetimeIndex (e.g. "
        "df.index = pd.to_datetime(df.index)), integer positions, or "
        "df.reset_index(drop=True)."
    )


def _check_time_order(panel: Panel, name: str) -> None:
    index, offsets = panel.index, panel.offsets
    keys = _time_keys(index, name)
    if keys is None or keys.size < 2:
        return
    bad = keys[1:] <= keys[:-1]
    bad[offsets[1:-1] - 1] = False  # a new series may restart the clock
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0]) + 1
    where = _where(row, panel)
    if keys[row] == keys[row - 1]:
        raise ValueError(
            f"{name} has duplicate time stamps: {where} repeats the previous row. "
            "Each time stamp may appear once per series; aggregate or drop the "
            "duplicates (e.g. df[~df.index.duplicated()])."
        )
    prev = index[row - 1]
    before = (
        _fmt_stamp(prev)
        if isinstance(prev, (pd.Timestamp, pd.Period, pd.Timedelta))
        else f"index {_fmt_stamp(prev)}"
    )
    raise ValueError(
        f"The time stamps of {name} are not in increasing order: {where} comes after "
        f"{before}. Sort the rows by time first "
        "(e.g. df.sort_index())."
    )


def _check_finite(panel: Panel, allow_nan: bool, name: str) -> None:
    values, columns = panel.values, panel.columns
    if np.isfinite(values).all():
        return
    inf = np.isinf(values)
    if inf.any():
        mask, what = inf, "infinite values"
        fix = (
            "Replace them (e.g. X.replace([np.inf, -np.inf], np.nan), then fill); "
            "log(0) and division by zero are the usual causes."
        )
    elif not allow_nan:
        mask, what = np.isnan(values), "missing values (NaN)"
        fix = "Fill or drop them first (e.g. X.ffill() or X.dropna())."
    else:
        return
    per_col = mask.sum(axis=0)
    col = int(np.flatnonzero(per_col)[0])
    row = int(np.flatnonzero(mask[:, col])[0])
    cols = [columns[c] for c in np.flatnonzero(per_col)]
    raise ValueError(
        f"{name} contains {what} in column {columns[col]!r}, first at "
        f"{_where(row, panel)}; {int(mask.sum())} in all, in "
        f"column(s) {_fmt_list(cols)}. {fix}"
    )


def _panel_freq(index: pd.Index, offsets: np.ndarray) -> str | None:
    if not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        return None
    found = {
        _freq_alias(index[offsets[i] : offsets[i + 1]]) for i in range(offsets.size - 1)
    }
    return found.pop() if len(found) == 1 else None


def _freq_alias(index: pd.Index) -> str | None:
    if isinstance(index, pd.PeriodIndex):
        return index.freqstr
    freq, _ = infer_freq(index)
    return None if freq is None else freq.freqstr


def _finish(
    values: np.ndarray,
    columns: tuple[str, ...],
    index: pd.Index,
    offsets: np.ndarray,
    series_ids: tuple,
    allow_nan: bool,
    name: str,
) -> Panel:
    """Return the panel of these parts after its time-order and finiteness checks."""
    panel = Panel(values, columns, index, offsets, series_ids)
    _check_time_order(panel, name)
    _check_finite(panel, allow_nan, name)
    return replace(panel, freq=_panel_freq(index, offsets))


# --------------------------------------------------------------------------- #
# public conversion
# --------------------------------------------------------------------------- #


def _from_long(
    df: pd.DataFrame,
    columns: Sequence[Hashable] | None,
    id_col: Hashable | None,
    time_col: Hashable | None,
    allow_nan: bool,
    name: str,
    dtype: type,
) -> Panel:
    if id_col is None:  # 2-level MultiIndex (series_id, time)
        if df.index.nlevels != 2:
            raise ValueError(
                f"{name} has a MultiIndex with {df.index.nlevels} levels; pass a "
                "(series_id, time) MultiIndex or a long frame with id_col/time_col."
            )
        ids = df.index.get_level_values(0)
        times = df.index.get_level_values(1)
        body = df.reset_index(drop=True)
    else:
        for label, what in ((id_col, "id_col"), (time_col, "time_col")):
            if label is not None and label not in df.columns:
                raise ValueError(
                    f"{what}={label!r} is not a column of {name}; its columns are "
                    f"{_fmt_list(list(df.columns), limit=20)}."
                )
        ids = pd.Index(df[id_col])
        times = pd.Index(df[time_col], name=time_col) if time_col is not None else None
        if times is None and isinstance(df.index, (pd.DatetimeIndex, pd.PeriodIndex)):
            times = df.index
        body = df.drop(columns=[c for c in (id_col, time_col) if c is not None])
    if len(body) == 0:
        raise ValueError(f"{name} is empty (0 rows).")
    codes, uniques = pd.factorize(ids, sort=False)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(
            f"The series id of {name} is missing at row {row}; every row needs an id."
        )
    body, names = _select_columns(body, columns, name)
    _check_numeric_dtypes(body, name)
    values = _to_values(body, names, name, dtype)
    order = np.argsort(codes, kind="stable")
    grouped = not np.array_equal(order, np.arange(order.size))
    if grouped:
        values = np.ascontiguousarray(values[order])
    counts = np.bincount(codes, minlength=len(uniques))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if times is None:
        # position of each row within its own series
        index = pd.Index(np.arange(codes.size) - np.repeat(offsets[:-1], counts))
    else:
        index = times.take(order) if grouped else times
    return _finish(
        values, names, index, offsets, tuple(uniques.tolist()), allow_nan, name
    )


def _from_mapping(
    X: Mapping,
    columns: Sequence[Hashable] | None,
    allow_nan: bool,
    name: str,
    dtype: type,
) -> Panel:
    if len(X) == 0:
        raise ValueError(f"{name} is an empty dict; pass at least one series.")
    parts, ids = [], tuple(X.keys())
    for key, item in X.items():
        where = f"{name}[{key!r}]"
        if isinstance(item, (pd.DataFrame, pd.Series)):
            vals, names, idx = _frame_parts(item, columns, None, where, dtype)
        else:
            vals, names, idx = _array_parts(item, columns, where, dtype)
        if parts:
            first_names = parts[0][1]
            if names != first_names:
                if set(names) != set(first_names):
                    raise ValueError(
                        f"{where} has columns {_fmt_list(names)} but "
                        f"{name}[{ids[0]!r}] has {_fmt_list(first_names)}; all "
                        "series need the same columns."
                    )
                vals = np.ascontiguousarray(
                    vals[:, [names.index(c) for c in first_names]]
                )
                names = first_names
            if type(idx) is not type(parts[0][2]) and not (
                pd.api.types.is_integer_dtype(idx.dtype)
                and pd.api.types.is_integer_dtype(parts[0][2].dtype)
            ):
                raise TypeError(
                    f"{where} has a {type(idx).__name__} but {name}[{ids[0]!r}] has a "
                    f"{type(parts[0][2]).__name__}; give all series the same kind of "
                    "time index."
                )
        parts.append((vals, names, idx))
    values = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
    lengths = [p[0].shape[0] for p in parts]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    index = (
        parts[0][2].append([p[2] for p in parts[1:]]) if len(parts) > 1 else parts[0][2]
    )
    return _finish(values, parts[0][1], index, offsets, ids, allow_nan, name)


def to_panel(
    X: Any,
    *,
    columns: Sequence[Hashable] | None = None,
    id_col: Hashable | None = None,
    time_col: Hashable | None = None,
    allow_nan: bool = False,
    name: str = "X",
    dtype: type = np.float32,
) -> Panel:
    """Validate user data and convert it to a :class:`Panel`.

    Parameters
    ----------
    X : array-like, Series, DataFrame, dict or Panel
        - a 1-D or 2-D array (rows are time steps, columns features);
        - a Series or a DataFrame, indexed by a DatetimeIndex (or any increasing
          numeric index, such as the default RangeIndex);
        - a long-format DataFrame ``[series_id, time, values...]`` with ``id_col``
          (and usually ``time_col``), or a DataFrame with a 2-level
          ``(series_id, time)`` MultiIndex;
        - a dict ``{series_id: DataFrame | Series | array}``, one entry per series;
        - a :class:`Panel`, returned as is (after ``columns`` selection and the
          NaN check).
    columns : sequence of labels, optional
        For frames, the value columns to use (default: all, except ``id_col`` and
        ``time_col``). For arrays, names for the columns (default ``"0"``, ``"1"``...).
    id_col : label, optional
        Column of a long-format frame that identifies the series. Rows are grouped
        by it, series in order of first appearance; each series keeps its rows in
        their original order.
    time_col : label, optional
        Column holding the time stamps (otherwise the frame's index is used for a
        single frame, or for a long frame when it is a DatetimeIndex; a long frame
        without time stamps is indexed by position within each series).
    allow_nan : bool, default=False
        Let NaN through (for windowing that skips incomplete windows). Infinite
        values are refused regardless.
    name : str, default="X"
        What to call the input in error messages.
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32
        The values' type: float32 for the network, float64 to keep the input's
        precision (the backtest scores models on it). Values outside the float32
        range are refused either way.

    Returns
    -------
    Panel
        ``dtype`` values, column names, time index, series offsets, ids and frequency.

    Raises
    ------
    TypeError
        For non-numeric columns or arrays, or an unusable index type.
    ValueError
        For empty, 3-D or ragged input, NaN (unless ``allow_nan``) or infinite
        values, unsorted or duplicate time stamps, or unknown columns. The message
        names the column, the first offending time stamp and the series.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame(
    ...     {"Close": [10.0, 10.5, 10.2]},
    ...     index=pd.bdate_range("2024-01-05", periods=3),
    ... )
    >>> panel = to_panel(df)
    >>> panel.values.dtype, panel.columns, panel.freq
    (dtype('float32'), ('Close',), 'B')
    """
    if X is None:
        raise TypeError(f"{name} is None; pass an array, a Series or a DataFrame.")
    if dtype not in (np.float32, np.float64):
        raise ValueError(
            f"dtype must be numpy.float32 or numpy.float64; got {dtype!r}."
        )
    if isinstance(X, Panel):
        panel = X
        if columns is not None:
            cols = [str(c) for c in columns]
            missing = [c for c in cols if c not in panel.columns]
            if missing:
                raise ValueError(
                    f"Column(s) {_fmt_list(missing)} not found in {name}; its columns "
                    f"are {_fmt_list(panel.columns, limit=20)}."
                )
            pos = [panel.columns.index(c) for c in cols]
            panel = Panel(
                values=np.ascontiguousarray(panel.values[:, pos]),
                columns=tuple(cols),
                index=panel.index,
                offsets=panel.offsets,
                series_ids=panel.series_ids,
                freq=panel.freq,
            )
        _check_finite(panel, allow_nan, name)
        return panel
    if isinstance(X, Mapping):
        if id_col is not None or time_col is not None:
            raise TypeError(
                "id_col and time_col apply to a long-format DataFrame only."
            )
        return _from_mapping(X, columns, allow_nan, name, dtype)
    if isinstance(X, pd.DataFrame) and (
        id_col is not None or isinstance(X.index, pd.MultiIndex)
    ):
        return _from_long(X, columns, id_col, time_col, allow_nan, name, dtype)
    if id_col is not None or (time_col is not None and not isinstance(X, pd.DataFrame)):
        raise TypeError(
            f"id_col and time_col apply to a DataFrame; {name} is a {type(X).__name__}."
        )
    if isinstance(X, (pd.DataFrame, pd.Series)):
        values, names, index = _frame_parts(X, columns, time_col, name, dtype)
    else:
        values, names, index = _array_parts(X, columns, name, dtype)
    offsets = np.array([0, values.shape[0]], dtype=np.int64)
    return _finish(values, names, index, offsets, ("0",), allow_nan, name)
