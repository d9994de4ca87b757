"""What a backtest is given: named models, the refit period, the series.

Turns the ``models`` and ``data`` arguments of :func:`tsattn.backtest` into
``(name, estimator)`` pairs and one float64 Series per series, with errors
that name the model, the series or the column at fault.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsattn.data import to_panel

__all__ = ["as_panel", "check_refit", "is_multivariate", "name_models", "trim"]

_REQUIRED_METHODS = ("fit", "forecast", "update", "predict")
_LONG_ID_COLUMNS = ("series_id", "unique_id")
_LONG_TIME_COLUMNS = ("time", "ds", "date", "timestamp")
_LONG_VALUE_COLUMNS = ("value", "y")


def name_models(models: Any) -> list[tuple[str, Any]]:
    """Return ``(name, estimator)`` pairs from a dict or a list."""
    if isinstance(models, Mapping):
        pairs = [(name, est) for name, est in models.items()]
        bad = [name for name, _ in pairs if not isinstance(name, str)]
        if bad:
            raise TypeError(f"Model names must be strings; got {bad!r}.")
    elif isinstance(models, Sequence) and not isinstance(models, str):
        explicit, auto = [], []
        for item in models:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                explicit.append(item)
            else:
                auto.append(item)
        if explicit and auto:
            raise TypeError(
                "models mixes (name, estimator) pairs and bare estimators; use one "
                "form, or a dict {name: estimator}."
            )
        if explicit:
            pairs = list(explicit)
        else:
            # Like sklearn.pipeline.make_pipeline: repeated class names get -1, -2...
            names = [type(est).__name__ for est in auto]
            counts = {n: names.count(n) for n in names}
            seen: dict[str, int] = {}
            pairs = []
            for name, est in zip(names, auto):
                if counts[name] > 1:
                    seen[name] = seen.get(name, 0) + 1
                    name = f"{name}-{seen[name]}"
                pairs.append((name, est))
    else:
        raise TypeError(
            "models must be a dict {name: estimator} or a list of estimators or of "
            f"(name, estimator) pairs; got {type(models).__name__}."
        )
    if not pairs:
        raise ValueError("models is empty; pass at least one forecaster.")
    names = [name for name, _ in pairs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(
            f"Duplicate model names {dupes}; give each model a distinct name."
        )
    for name, est in pairs:
        missing = [m for m in _REQUIRED_METHODS if not callable(getattr(est, m, None))]
        if missing:
            raise TypeError(
                f"Model {name!r} ({type(est).__name__}) lacks {', '.join(missing)}: "
                "every backtest model must implement fit, forecast, update and "
                "predict (see tsattn._base.BaseForecaster)."
            )
        try:
            clone(est)
        except Exception as exc:
            raise TypeError(
                f"Model {name!r} ({type(est).__name__}) cannot be cloned with "
                f"sklearn.base.clone: {exc}"
            ) from exc
    return pairs


def check_refit(refit: Any) -> int:
    """Return the refit period in folds (0 means fit once)."""
    if isinstance(refit, (bool, np.bool_)):
        return 1 if refit else 0
    if isinstance(refit, numbers.Integral) and refit >= 1:
        return int(refit)
    raise ValueError(
        "refit must be True (every fold), False (fit once) or an int k >= 1 "
        f"(every k folds); got refit={refit!r}."
    )


def is_multivariate(model: Any) -> bool:
    """Whether ``model`` forecasts all columns jointly (else it is fitted per series).

    Reads the fitted attribute ``multivariate_`` when present, else the
    ``_multivariate`` class (or instance) attribute.
    """
    fitted = getattr(model, "multivariate_", None)
    if fitted is not None:
        return bool(fitted)
    return bool(getattr(model, "_multivariate", False))


def _long_columns(frame: pd.DataFrame) -> tuple[Any, Any, Any] | None:
    """Return the ``(id, time, value)`` columns of a long panel, else None."""
    if frame.shape[1] != 3 or isinstance(frame.index, pd.MultiIndex):
        return None
    lowered = {str(c).lower(): c for c in frame.columns}
    found = tuple(
        next((lowered[c] for c in names if c in lowered), None)
        for names in (_LONG_ID_COLUMNS, _LONG_TIME_COLUMNS, _LONG_VALUE_COLUMNS)
    )
    return None if any(c is None for c in found) else found


def as_panel(data: Any, series: Any) -> dict[Any, pd.Series]:
    """Split ``data`` into one float64 Series per series, in input order.

    :func:`tsattn.data.to_panel` converts and checks the input (numeric, time
    order, finite, within float32); a wide frame's columns are its series, whose
    leading and trailing missing values (ragged starts) are dropped.
    """
    if isinstance(data, np.ndarray) and data.ndim == 1:
        data = pd.Series(data, name="y")
    if isinstance(data, pd.Series):
        if isinstance(data.index, pd.MultiIndex):
            data = data.to_frame("value")
        else:
            data = data.to_frame("y" if data.name is None else data.name)
    if not isinstance(data, (np.ndarray, pd.DataFrame, Mapping)):
        raise TypeError(
            "data must be a pandas Series, a wide DataFrame (one column per series), "
            "a long panel (a (series_id, time) MultiIndex, or columns series_id, "
            "time, value), a dict {series_id: Series} or an ndarray; got "
            f"{type(data).__name__}."
        )
    if isinstance(data, Mapping):  # each entry is one series, its key the name
        data = {key: _as_value_column(item) for key, item in data.items()}
    long = _long_columns(data) if isinstance(data, pd.DataFrame) else None
    wide = not isinstance(data, Mapping) and long is None
    if isinstance(data, pd.DataFrame) and isinstance(data.index, pd.MultiIndex):
        wide = False
    id_col, time_col, value_col = long or (None, None, None)
    panel = to_panel(
        data,
        columns=None if long is None else [value_col],
        id_col=id_col,
        time_col=time_col,
        allow_nan=True,
        name="data",
        dtype=np.float64,
    )
    if wide:
        keys = list(data.columns) if isinstance(data, pd.DataFrame) else None
        keys = keys or list(range(panel.n_features))
        out = {
            key: pd.Series(panel.values[:, j], index=panel.index, name=key)
            for j, key in enumerate(keys)
        }
    else:
        if panel.n_features != 1:
            raise ValueError(
                f"Each series of data must hold one column; got {panel.n_features} "
                f"columns {list(panel.columns)}. Pass one column per series."
            )
        out = {
            key: pd.Series(panel.values[rows, 0], index=panel.index[rows], name=key)
            for key, rows in (
                (key, panel.series_slice(i)) for i, key in enumerate(panel.series_ids)
            )
        }
    if series is not None:
        wanted = (
            list(series)
            if isinstance(series, (list, tuple, pd.Index, np.ndarray))
            else [series]
        )
        unknown = [s for s in wanted if s not in out]
        if unknown:
            shown = list(out)[:10]
            raise ValueError(
                f"Unknown series {unknown}; data holds {shown}"
                f"{'...' if len(out) > 10 else ''}."
            )
        out = {s: out[s] for s in wanted}
    for key, s in out.items():
        _check_gaps(key, trim(s))
    return out


def _as_value_column(item: Any) -> Any:
    """Name a one-column entry of a dict panel ``value`` (the key names it)."""
    if isinstance(item, pd.Series):
        return item.rename("value")
    if isinstance(item, pd.DataFrame) and item.shape[1] == 1:
        return item.set_axis(["value"], axis=1)
    return item


def _check_gaps(key: Any, s: pd.Series) -> None:
    """Refuse missing values inside a series (only its edges may be missing)."""
    holes = np.flatnonzero(np.isnan(s.to_numpy()))
    if s.empty or holes.size:
        where = (
            "has no values"
            if s.empty
            else (
                f"contains missing values (NaN), first at {s.index[holes[0]]} "
                f"(position {holes[0]}); {holes.size} in all"
            )
        )
        raise ValueError(
            f"Series {key!r} of data {where}. Only the leading and trailing values "
            "of a wide panel's columns may be missing; fill or drop the others "
            "(e.g. data.ffill())."
        )


def trim(s: pd.Series) -> pd.Series:
    """Drop leading and trailing missing values (ragged starts of a wide panel)."""
    valid = np.flatnonzero(s.notna().to_numpy())
    if valid.size == 0:
        return s.iloc[:0]
    return s.iloc[valid[0] : valid[-1] + 1]
