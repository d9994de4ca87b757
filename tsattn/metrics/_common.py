"""What the metrics share: their input checks and their docstrings' entries."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from tsattn._docstrings import Entry, fill_doc
from tsattn.stats import as_finite

__all__ = [
    "PARAMETERS",
    "PROBABILITY_CALLS",
    "SIGN_CALLS",
    "ArrayLike",
    "documented",
    "vector",
    "vectors",
]

ArrayLike = npt.ArrayLike
_Metric = TypeVar("_Metric", bound=Callable[..., Any])

# Parameter descriptions the metrics share, written once: numpydoc lines
# (name and type, then the description), joined by :func:`documented`.
PARAMETERS = {
    "pair": (
        "y_true, y_pred : array-like",
        "Realised and forecast values of the same length.",
    ),
    "changes": (
        "y_true, y_pred : array-like",
        "Realised and forecast changes (e.g. returns), or levels when "
        "``reference`` is given.",
    ),
    "reference": (
        "reference : array-like, optional",
        "Last observed level at forecast time; directions are then ``y - reference``.",
    ),
    "outcomes": (
        "y_true : array-like of {0, 1}",
        "Realised direction: 1 up, 0 not up.",
    ),
    "prob_up": (
        "prob_up : array-like",
        "Forecast probabilities of an up move, in [0, 1].",
    ),
    "threshold": (
        "threshold : float, default=0.5",
        'Probability above which the call is "up".',
    ),
}


def documented(
    *parameters: str | tuple[str, str], returns: tuple[str, str]
) -> Callable[[_Metric], _Metric]:
    """Complete a metric's docstring with its Parameters and Returns sections.

    ``parameters`` name entries of :data:`PARAMETERS`, or are a metric's own
    (name and type, description); ``returns`` is the return type and its
    description. The entries are filled in by :func:`fill_doc`.
    """
    table: dict[str, Entry] = {**PARAMETERS, "returns": returns}
    slots = []
    for i, parameter in enumerate(parameters):
        name = parameter if isinstance(parameter, str) else f"own{i}"
        table.setdefault(name, parameter)
        slots.append(f"{{{{{name}}}}}")
    template = ["Parameters", "----------", *slots, "", "Returns", "-------"]
    sections = "\n".join(["", *template, "{{returns}}", ""])
    fill = fill_doc(table)

    def decorate(metric: _Metric) -> _Metric:
        metric.__doc__ = inspect.cleandoc(metric.__doc__ or "") + "\n" + sections
        return fill(metric)

    return decorate


# The parameters of the metrics of sign calls and of probability calls.
SIGN_CALLS = ("changes", "reference")
PROBABILITY_CALLS = ("outcomes", "prob_up", "threshold")


def vector(x: ArrayLike, name: str) -> npt.NDArray[np.float64]:
    arr = as_finite(x, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty; metrics need at least one value.")
    return arr


def vectors(**arrays: ArrayLike) -> list[npt.NDArray[np.float64]]:
    out = [vector(value, name) for name, value in arrays.items()]
    sizes = {name: arr.size for name, arr in zip(arrays, out)}
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"len({k}) = {v}" for k, v in sizes.items())
        raise ValueError(f"Inputs must have the same length; got {detail}.")
    return out
