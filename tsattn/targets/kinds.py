"""Target kinds: their names and columns, and which losses can score them."""

from __future__ import annotations

import difflib
from typing import Any

import pandas as pd

__all__ = [
    "COLUMN_PREFIX",
    "TARGET_KINDS",
    "WINDOW_KINDS",
    "check_kinds",
    "check_target_loss",
    "target_kinds",
]

#: Every kind understood by :func:`make_targets`, in the order they are documented.
TARGET_KINDS: tuple[str, ...] = (
    "log_return",
    "cum_log_return",
    "return",
    "cum_return",
    "level",
    "direction",
    "volatility",
    "realized_var",
)
#: Kinds named by their window (one column each), not by step.
WINDOW_KINDS = frozenset({"volatility", "realized_var"})
#: Column prefix of each kind; the window kinds say their unit: vol or var.
COLUMN_PREFIX = {
    "log_return": "log_return_h",
    "cum_log_return": "cum_log_return_h",
    "return": "return_h",
    "cum_return": "cum_return_h",
    "level": "level_h",
    "direction": "up_h",
    "volatility": "realized_vol_k",
    "realized_var": "realized_var_k",
}


def check_kinds(kind: Any) -> tuple[str, ...]:
    """Return the requested kinds as a tuple, raising on unknown or repeated ones."""
    if isinstance(kind, str):
        kinds: tuple[Any, ...] = (kind,)
    elif isinstance(kind, (list, tuple)):
        kinds = tuple(kind)
    else:
        raise TypeError(
            f"kind must be a string or a list of strings from {list(TARGET_KINDS)}; "
            f"got {type(kind).__name__} ({kind!r})."
        )
    if not kinds:
        raise ValueError(
            f"kind is an empty list; pass at least one of {list(TARGET_KINDS)}."
        )
    for k in kinds:
        if not isinstance(k, str):
            raise TypeError(
                f"every kind must be a string; got {type(k).__name__} ({k!r}) "
                f"in kind={kind!r}."
            )
        if k not in TARGET_KINDS:
            close = difflib.get_close_matches(k, TARGET_KINDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown target kind {k!r}.{hint} "
                f"Valid kinds are {list(TARGET_KINDS)}."
            )
    repeated = sorted({k for k in kinds if kinds.count(k) > 1})
    if repeated:
        raise ValueError(
            f"kind lists {repeated} more than once (kind={list(kinds)}); "
            "each kind may appear once because it would produce duplicate columns."
        )
    return kinds


# Which target kinds each loss can score; losses not listed accept any kind.
_LOSS_KINDS = {
    "qlike": ("realized_var",),
    "bce": ("direction",),
}


def target_kinds(y: Any) -> dict[str, str]:
    """Map each target column to its kind.

    Parameters
    ----------
    y : DataFrame, Series or None
        Targets; the kinds come from ``y.attrs["tsattn_targets"]`` (set by
        :func:`make_targets`) or else from column names such as ``up_h1`` or
        ``realized_var_k5``. Columns of unknown kind are left out.

    Returns
    -------
    kinds : dict
        ``{column name: kind}``.

    Examples
    --------
    >>> import pandas as pd
    >>> target_kinds(pd.DataFrame({"up_h1": [1.0], "x": [0.0]}))
    {'up_h1': 'direction'}
    """
    meta = getattr(y, "attrs", {}).get("tsattn_targets") if y is not None else None
    if meta and "columns" in meta:
        return {str(c): kind for c, (kind, _) in meta["columns"].items()}
    names = (
        list(y.columns)
        if isinstance(y, pd.DataFrame)
        else [y.name]
        if isinstance(y, pd.Series)
        else []
    )
    found = {}
    for name in map(str, names):
        for kind, prefix in COLUMN_PREFIX.items():
            rest = name[len(prefix) :]
            if name.startswith(prefix) and rest.isdigit():
                found[name] = kind
    return found


def check_target_loss(y: Any, loss: str) -> None:
    """Raise when ``loss`` cannot score the target kind of ``y``.

    QLIKE scores a *variance*: it needs ``kind="realized_var"``
    (``realized_var_k{w}``), not ``"volatility"`` (a standard deviation) nor a
    return. Binary cross-entropy needs a ``"direction"`` target. The kinds are
    read from ``y.attrs["tsattn_targets"]`` (set by :func:`make_targets`) or,
    for a plain frame, from the column names; columns of unknown kind pass.

    Parameters
    ----------
    y : DataFrame or Series
        Targets, as built by :func:`make_targets`.
    loss : str
        Loss name, e.g. ``"qlike"``, ``"bce"``, ``"mse"``.

    Raises
    ------
    ValueError
        Naming the column, its kind, the loss and the kind to use instead.

    Examples
    --------
    >>> import pandas as pd
    >>> from tsattn.targets import make_targets
    >>> y = make_targets(pd.Series([1.0, 1.1, 1.0, 1.2]), kind="volatility")
    >>> check_target_loss(y, "mse")
    >>> check_target_loss(y, "qlike")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: loss 'qlike' scores kind 'realized_var', but column ...
    """
    allowed = _LOSS_KINDS.get(str(loss))
    if allowed is None:
        return
    for column, kind in target_kinds(y).items():
        if kind not in allowed:
            what = " (a standard deviation)" if kind == "volatility" else ""
            raise ValueError(
                f"loss {loss!r} scores kind {allowed[0]!r}, but column {column!r} "
                f"is kind {kind!r}{what}; build the target with kind={allowed[0]!r} "
                "or choose another loss."
            )
