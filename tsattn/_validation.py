"""Parameters kept as given and checked as declared: one helper for every estimator.

An estimator keeps its ``__init__`` arguments unchanged with
:func:`store_params` (scikit-learn's convention) and lists, per parameter,
the values it accepts in a class attribute ``_parameter_constraints`` (the
style of scikit-learn, in our own code)::

    _parameter_constraints = {
        "window_length": [Interval(int, 1, None)],
        "significance": [None, Interval(float, 0.0, 1.0, closed="neither")],
        "output_head": [Options("single", "multi")],
    }

and calls :func:`validate_params` at the start of ``fit``. A value is valid
when it meets any one constraint of its list; otherwise one line names the
parameter, the class, what is accepted and the value given. Plain functions
check one argument with :func:`check_scalar`; arrays are searched for
infinite values with :func:`first_infinite`.

Constraints: ``None`` (the value None), a type (``bool`` also accepts numpy
bools; ``dict`` any mapping), :class:`Interval`, :class:`Options`, and the
string ``"random_state"`` (None, an int, or a numpy RandomState/Generator).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Interval",
    "InvalidParameterError",
    "Options",
    "check_choice",
    "check_int",
    "check_param",
    "check_scalar",
    "describe",
    "first_infinite",
    "store_params",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter its constraints refuse (both a ValueError and a TypeError)."""


@dataclass(frozen=True)
class Interval:
    """Numbers of a kind within bounds.

    Parameters
    ----------
    kind : {int, float}
        ``int`` accepts integers only; ``float`` accepts any real number.
        Booleans are never numbers here.
    left, right : float or None
        Bounds; None means unbounded on that side.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.
    """

    kind: type
    left: float | None
    right: float | None
    closed: str = "both"

    def type_ok(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return False
        base = numbers.Integral if self.kind is int else numbers.Real
        return isinstance(value, base)

    def accepts(self, value: Any) -> bool:
        if not self.type_ok(value):
            return False
        if not np.isfinite(float(value)):
            return False
        left_in = self.closed in ("both", "left")
        right_in = self.closed in ("both", "right")
        if self.left is not None and (
            value < self.left or (value == self.left and not left_in)
        ):
            return False
        if self.right is not None and (
            value > self.right or (value == self.right and not right_in)
        ):
            return False
        return True

    def __str__(self) -> str:
        noun = "an int" if self.kind is int else "a finite number"
        left_in = self.closed in ("both", "left")
        right_in = self.closed in ("both", "right")
        if self.right is None:
            return (
                noun
                if self.left is None
                else f"{noun} {'>=' if left_in else '>'} {self.left:g}"
            )
        if self.left is None:
            return f"{noun} {'<=' if right_in else '<'} {self.right:g}"
        lo, hi = "[" if left_in else "(", "]" if right_in else ")"
        return f"{noun} in {lo}{self.left:g}, {self.right:g}{hi}"


class Options:
    """One of a fixed set of values (compared with ``==``, bools by identity)."""

    def __init__(self, *values: Any):
        self.values = values

    def accepts(self, value: Any) -> bool:
        is_bool = isinstance(value, (bool, np.bool_))
        for option in self.values:
            if isinstance(option, bool) or is_bool:
                if isinstance(option, bool) and is_bool and bool(value) is option:
                    return True
                continue
            try:
                if bool(value == option):
                    return True
            except (TypeError, ValueError):
                continue
        return False

    def __str__(self) -> str:
        return f"one of {self.values}"


def store_params(estimator: Any, arguments: Mapping[str, Any]) -> None:
    """Store the ``__init__`` arguments of ``estimator`` unchanged, as attributes.

    scikit-learn's convention: ``__init__`` only keeps its keyword arguments
    under their own names, so that ``get_params``, ``set_params`` and
    ``clone`` work; checks wait for ``fit``. Call it as
    ``store_params(self, locals())``, the first statement of ``__init__``.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def first_infinite(values: np.ndarray) -> tuple[int, ...] | None:
    """Return the index of the first infinite value of ``values``, or None.

    Infinite values are errors (an overflow, a broken file), never missing
    data; callers refuse them with a message that names where they are.
    """
    found = np.argwhere(np.isinf(values))
    return tuple(int(i) for i in found[0]) if found.size else None


def _accepts(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if constraint == "random_state":
        return value is None or (
            isinstance(
                value, (numbers.Integral, np.random.RandomState, np.random.Generator)
            )
            and not isinstance(value, bool)
        )
    if constraint is bool:
        return isinstance(value, (bool, np.bool_))
    if constraint is dict:
        return isinstance(value, Mapping)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.accepts(value)


def _describe_one(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if constraint == "random_state":
        return "None, an int or a numpy random generator"
    if constraint is dict:
        return "a dict"
    if isinstance(constraint, type):
        article = "an" if constraint.__name__[0] in "aeiou" else "a"
        return f"{article} {constraint.__name__}"
    return str(constraint)


def describe(constraints: Iterable[Any]) -> str:
    """Say what a list of constraints accepts, in words (``"None or an int >= 1"``)."""
    return " or ".join(_describe_one(c) for c in constraints)


def check_scalar(name: str, value: Any, *constraints: Any) -> Any:
    """Check one function argument against ``constraints``; return it.

    Raises
    ------
    InvalidParameterError
        ``"{name} must be {what}. Got {value!r}."``
    """
    return _meets(name, value, constraints, instead="")


def validate_params(estimator: Any, names: Iterable[str] | None = None) -> None:
    """Check the estimator's parameters against its ``_parameter_constraints``.

    Parameters
    ----------
    estimator : object
        Has ``_parameter_constraints`` (parameter name -> list of constraints)
        and the parameters as attributes.
    names : iterable of str, optional
        Check only these parameters (default: every constrained parameter the
        estimator has).

    Raises
    ------
    InvalidParameterError
        ``"The 'name' parameter of Class must be {what}. Got {value!r} instead."``
    """
    table = type(estimator)._parameter_constraints
    owner = type(estimator).__name__
    for name in table if names is None else names:
        if hasattr(estimator, name):
            check_param(owner, name, getattr(estimator, name), *table[name])


def check_param(owner: str, name: str, value: Any, *constraints: Any) -> Any:
    """Check parameter ``name`` of ``owner`` (a class name) against ``constraints``.

    Raises
    ------
    InvalidParameterError
        ``"The 'name' parameter of Owner must be {what}. Got {value!r} instead."``
    """
    return _meets(f"The {name!r} parameter of {owner}", value, constraints)


def _meets(
    subject: str, value: Any, constraints: tuple[Any, ...], instead: str = " instead"
) -> Any:
    """Return ``value`` if it meets any constraint, else raise naming ``subject``."""
    if not any(_accepts(c, value) for c in constraints):
        raise InvalidParameterError(
            f"{subject} must be {describe(constraints)}. Got {value!r}{instead}."
        )
    return value


def check_int(estimator: Any, name: str, value: Any, minimum: int) -> int:
    """Check that parameter ``name`` of ``estimator`` is an int >= ``minimum``."""
    owner = type(estimator).__name__
    return int(check_param(owner, name, value, Interval(int, minimum, None)))


def check_choice(
    estimator: Any, name: str, value: Any, options: tuple[Any, ...]
) -> Any:
    """Check that parameter ``name`` of ``estimator`` is one of ``options``."""
    return check_param(type(estimator).__name__, name, value, Options(*options))
