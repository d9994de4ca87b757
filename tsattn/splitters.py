"""Rolling-origin fold geometry, shared by ``backtest`` and scikit-learn CV."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tsattn._validation import store_params

__all__ = ["BacktestSplitter", "Fold"]

_WINDOWS = ("expanding", "sliding")


@dataclass(frozen=True)
class Fold:
    """Positions (0-based rows, all inclusive) of one rolling-origin fold.

    Attributes
    ----------
    fold : int
        Fold number, 0 for the earliest cutoff.
    train_start, train_end : int
        First and last training row.
    cutoff : int
        Last row visible to the forecast (the forecast origin). Equals
        ``train_end + gap``: the ``gap`` rows after the training rows are seen as
        observations, never trained on.
    test_end : int
        Last target row, ``cutoff + horizon``; the targets are rows
        ``cutoff + 1 .. test_end``.
    """

    fold: int
    train_start: int
    train_end: int
    cutoff: int
    test_end: int

    @property
    def train_size(self) -> int:
        """Number of training rows."""
        return self.train_end - self.train_start + 1


def _check_int(name: str, value: Any, minimum: int, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "an int" + (" or None" if allow_none else "")
        raise TypeError(
            f"{name} must be {kind} >= {minimum}; got {value!r} "
            f"(type {type(value).__name__})."
        )
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {name}={value}.")


class BacktestSplitter:
    """Rolling-origin splitter with expanding or sliding training windows.

    Each fold has a cutoff ``c`` (the last row visible to the forecast), trains on
    rows ending at ``c - gap`` and tests on rows ``c + 1 .. c + horizon``. Cutoffs
    move forward by ``step`` rows. Only complete horizons are produced.

    It implements scikit-learn's splitter protocol (``split`` and
    ``get_n_splits``), so ``GridSearchCV(cv=BacktestSplitter(...))`` works: there
    the estimator is fitted on the training rows and scored on the test rows, and
    the ``gap`` rows are left out of both (as in ``TimeSeriesSplit(gap=...)``).

    Parameters
    ----------
    horizon : int
        Number of rows forecast at each cutoff (``>= 1``).
    initial : int, optional
        Number of training rows at the first fold. Cutoffs then start at row
        ``initial - 1 + gap`` and continue while a full horizon fits.
    n_folds : int, optional
        Number of folds. Without ``initial``, folds are counted back from the end
        so that the last fold's horizon ends at the last row. With ``initial``,
        exactly the first ``n_folds`` folds are made (an error if fewer fit).
        At least one of ``initial`` and ``n_folds`` is required.
    step : int, optional
        Rows between consecutive cutoffs; defaults to ``horizon`` (test windows
        that tile the data without overlap).
    window : {"expanding", "sliding"}, default="expanding"
        ``"expanding"`` trains on every row up to ``c - gap``; ``"sliding"`` on at
        most the last ``window_size`` of them.
    window_size : int, optional
        Maximum number of training rows of a sliding window (as scikit-learn's
        ``max_train_size``). Defaults to the first fold's training size, so every
        window has the same length. Only valid with ``window="sliding"``.
    gap : int, default=0
        Embargo rows between the last training row and the cutoff.

    See Also
    --------
    tsattn.backtesting.backtest : Rolling-origin evaluation built on this splitter.
    sklearn.model_selection.TimeSeriesSplit : The expanding-window split of sklearn.

    Examples
    --------
    >>> import numpy as np
    >>> from tsattn.splitters import BacktestSplitter
    >>> cv = BacktestSplitter(horizon=2, initial=4, step=2)
    >>> for train, test in cv.split(np.zeros(10)):
    ...     print(train, test)
    [0 1 2 3] [4 5]
    [0 1 2 3 4 5] [6 7]
    [0 1 2 3 4 5 6 7] [8 9]
    """

    def __init__(
        self,
        horizon: int,
        *,
        initial: int | None = None,
        n_folds: int | None = None,
        step: int | None = None,
        window: str = "expanding",
        window_size: int | None = None,
        gap: int = 0,
    ) -> None:
        store_params(self, locals())
        self._validate()

    def __repr__(self) -> str:
        params = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in (
                "horizon",
                "initial",
                "n_folds",
                "step",
                "window",
                "window_size",
                "gap",
            )
        )
        return f"{type(self).__name__}({params})"

    def _validate(self) -> None:
        _check_int("horizon", self.horizon, 1, allow_none=False)
        _check_int("initial", self.initial, 1, allow_none=True)
        _check_int("n_folds", self.n_folds, 1, allow_none=True)
        _check_int("step", self.step, 1, allow_none=True)
        _check_int("window_size", self.window_size, 1, allow_none=True)
        _check_int("gap", self.gap, 0, allow_none=False)
        if self.window not in _WINDOWS:
            raise ValueError(
                f"window must be one of {_WINDOWS}; got window={self.window!r}."
            )
        if self.initial is None and self.n_folds is None:
            raise ValueError(
                "Pass initial= (training rows at the first fold) or n_folds= "
                "(number of folds counted back from the end); got neither."
            )
        if self.window_size is not None and self.window != "sliding":
            raise ValueError(
                f"window_size (= {self.window_size}) is only used with "
                f"window='sliding'; got window={self.window!r}. Pass "
                "window='sliding' or drop window_size."
            )

    @property
    def step_(self) -> int:
        """Rows between consecutive cutoffs (``step``, or ``horizon`` if None)."""
        return self.horizon if self.step is None else int(self.step)

    def _cutoffs(self, n_samples: int) -> list[int]:
        h, s, g = int(self.horizon), self.step_, int(self.gap)
        last = n_samples - 1 - h  # latest cutoff with a complete horizon
        if self.initial is not None:
            first = int(self.initial) - 1 + g
            if first > last:
                raise ValueError(
                    f"initial (= {self.initial}) + gap (= {g}) + horizon (= {h}) "
                    f"= {self.initial + g + h} exceeds the number of rows "
                    f"(= {n_samples}). Pass a longer series or reduce initial / "
                    "gap / horizon."
                )
            available = (last - first) // s + 1
            if self.n_folds is not None and self.n_folds > available:
                raise ValueError(
                    f"n_folds (= {self.n_folds}) folds do not fit: with initial "
                    f"(= {self.initial}), gap (= {g}), horizon (= {h}) and step "
                    f"(= {s}), {n_samples} rows hold {available} fold(s). Pass a "
                    "longer series or reduce n_folds / initial / step."
                )
            count = available if self.n_folds is None else int(self.n_folds)
            return [first + k * s for k in range(count)]
        n_folds = int(self.n_folds)  # type: ignore[arg-type]
        first = last - (n_folds - 1) * s
        if first - g < 0:
            need = (n_folds - 1) * s + g + h + 1
            raise ValueError(
                f"n_folds (= {n_folds}) folds with step (= {s}), gap (= {g}) and "
                f"horizon (= {h}) need at least {need} rows (one training row at "
                f"the first fold); got {n_samples}. Pass a longer series or "
                "reduce n_folds / step / gap / horizon."
            )
        return [first + k * s for k in range(n_folds)]

    def folds(self, n_samples: int) -> list[Fold]:
        """Return the folds for a series of ``n_samples`` rows.

        Parameters
        ----------
        n_samples : int
            Number of rows of the series.

        Returns
        -------
        list of Fold
            Folds in time order.
        """
        _check_int("n_samples", n_samples, 1, allow_none=False)
        cutoffs = self._cutoffs(int(n_samples))
        g = int(self.gap)
        size = self.window_size
        if self.window == "sliding" and size is None:
            size = cutoffs[0] - g + 1
        out = []
        for k, c in enumerate(cutoffs):
            train_end = c - g
            start = 0 if self.window == "expanding" else max(0, train_end - size + 1)
            out.append(Fold(k, start, train_end, c, c + int(self.horizon)))
        return out

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
        """Generate ``(train, test)`` row positions for each fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The data; only its length is used.
        y, groups : ignored
            Present for scikit-learn compatibility.

        Yields
        ------
        train : ndarray of int
            Training row positions.
        test : ndarray of int
            Test row positions ``cutoff + 1 .. cutoff + horizon``.
        """
        for f in self.folds(_num_samples(X)):
            yield (
                np.arange(f.train_start, f.train_end + 1, dtype=np.intp),
                np.arange(f.cutoff + 1, f.test_end + 1, dtype=np.intp),
            )

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Return the number of folds.

        Parameters
        ----------
        X : array-like, optional
            The data. Needed when ``initial`` is set, since the number of folds
            then depends on its length.
        y, groups : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        int
            The number of folds.
        """
        if X is None:
            if self.n_folds is not None:
                return int(self.n_folds)
            raise ValueError(
                "get_n_splits needs X when n_folds is None: the number of folds "
                f"then depends on the length of the data (initial={self.initial})."
            )
        return len(self._cutoffs(_num_samples(X)))


def _num_samples(X: Any) -> int:
    if hasattr(X, "shape") and len(getattr(X, "shape", ())) > 0:
        return int(X.shape[0])
    try:
        return len(X)
    except TypeError:
        raise TypeError(
            f"Expected array-like data with a length; got {type(X).__name__}."
        ) from None
