"""Statistical tests behind every verdict: Diebold-Mariano and Holm's correction.

The verdicts built on them (:func:`verdict`, :func:`seed_verdict`,
:func:`task_leaderboard`) live in :mod:`tsattn.verdicts` and are importable
from here too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from tsattn._lazy import lazy_reexport

__all__ = [
    "as_finite",
    "diebold_mariano",
    "dm_horizon",
    "dm_shortfall",
    "dm_test",
    "error_loss",
    "fold_spacing",
    "holm",
]


# The verdicts build on the tests here: provided on first use (module
# __getattr__, PEP 562) so that neither module imports the other at load time.
__getattr__, __dir__ = lazy_reexport(__name__, "tsattn.verdicts")


_LOSSES: dict[str, Callable[[Any], Any]] = {
    "squared": np.square,
    "absolute": np.abs,
}

_ALTERNATIVES = ("two-sided", "less", "greater")


def as_finite(x: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """Return ``x`` as a flat float64 array of finite values.

    The input check shared by the tests here and :mod:`tsattn.metrics`.

    Parameters
    ----------
    x : array-like
        Numbers.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    numpy.ndarray
        ``x`` flattened, as float64.

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    ValueError
        If ``x`` holds NaN or infinite values (the first position is named).
    """
    try:
        arr = np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric; got {type(x).__name__}.") from exc
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} NaN or infinite value(s) (first at "
            f"position {int(np.flatnonzero(bad)[0])}); drop those rows first."
        )
    return arr


def dm_test(
    d: npt.ArrayLike, h: int = 1, alternative: str = "two-sided"
) -> tuple[float, float]:
    """Diebold-Mariano test on a loss differential ``d = L1 - L2`` in time order.

    Parameters
    ----------
    d : array-like
        Loss differentials, one per forecast origin, in time order.
    h : int, default=1
        Number of differentials that can share a shock plus one: the forecast
        horizon when origins are one step apart (``h - 1`` autocovariances
        enter the long-run variance).
    alternative : {"two-sided", "less", "greater"}, default="two-sided"
        "less": the first forecast is more accurate (``mean(d) < 0``).

    Returns
    -------
    statistic, p_value : float
        See :func:`diebold_mariano`.
    """
    if alternative not in _ALTERNATIVES:
        raise ValueError(
            "alternative must be 'two-sided', 'less' or 'greater'; "
            f"got {alternative!r}."
        )
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
        raise ValueError(f"h must be an int >= 1; got {h!r}.")
    h = int(h)
    d = as_finite(d, "d")
    from scipy.stats import t as student_t

    n = d.size
    if dm_shortfall(n, h):
        raise ValueError(
            f"The Diebold-Mariano test of {h}-step forecasts needs at least "
            f"{max(2, 2 * h)} loss differentials (2h, and at least 2); got n = {n}."
        )
    correction = (n + 1 - 2 * h + h * (h - 1) / n) / n
    mean = d.mean()
    centred = d - mean
    # Long-run variance of an MA(h-1) differential: the first h - 1
    # autocovariances at full weight (Diebold-Mariano 1995; the HLN factor
    # assumes this). That sum can come out <= 0 in small samples; then the
    # Bartlett-weighted (Newey-West) sum, which never does, is used instead.
    gammas = [centred @ centred / n] + [
        (centred[k:] @ centred[:-k]) / n for k in range(1, h)
    ]
    var = gammas[0] + 2.0 * sum(gammas[1:])
    if var <= 0:
        var = gammas[0] + 2.0 * sum(
            (1.0 - k / h) * g for k, g in enumerate(gammas[1:], start=1)
        )
    if var <= 0:
        if mean == 0:
            return math.nan, math.nan
        stat = math.copysign(math.inf, mean)
    else:
        stat = mean / math.sqrt(var / n) * math.sqrt(correction)
    if alternative == "two-sided":
        pvalue = 2.0 * student_t.sf(abs(stat), n - 1)
    elif alternative == "less":
        pvalue = student_t.cdf(stat, n - 1)
    else:
        pvalue = student_t.sf(stat, n - 1)
    return float(stat), float(pvalue)


def diebold_mariano(
    e1: npt.ArrayLike,
    e2: npt.ArrayLike,
    h: int = 1,
    loss: str = "squared",
    alternative: str = "two-sided",
) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy of two forecasts.

    The loss differential is ``d = L(e1) - L(e2)``. Its long-run variance is
    the variance plus twice the first ``h - 1`` autocovariances at full weight
    (``h``-step errors are MA(h-1)), as in Diebold and Mariano (1995); when that
    sum is not positive (small samples), the Newey-West estimate with Bartlett
    weights ``1 - k/h`` is used instead. For ``h = 1`` it is the plain
    variance. A differential with zero variance gives an infinite statistic
    with the sign of its mean. The statistic ``mean(d) / sqrt(var / n)`` is
    multiplied by the Harvey-Leybourne-Newbold (1997) small-sample factor
    ``sqrt((n + 1 - 2h + h(h-1)/n) / n)`` and compared with Student's t with
    ``n - 1`` degrees of freedom. At least ``2h`` differentials are required:
    with fewer, the variance misses most of its autocovariances and the HLN
    factor can exceed 1, so the test would report evidence it does not have.

    Parameters
    ----------
    e1, e2 : array-like
        Forecast errors of the two models on the same targets, in time order.
    h : int, default=1
        Forecast horizon of the errors.
    loss : {"squared", "absolute"}, default="squared"
        Loss applied to the errors.
    alternative : {"two-sided", "less", "greater"}, default="two-sided"
        "less": model 1 is more accurate (``mean(d) < 0``); "greater": model 2.

    Returns
    -------
    statistic : float
        Positive when model 1 has the larger loss. NaN when the two losses are
        identical everywhere.
    p_value : float
        p-value under the chosen alternative.
    """
    _check_loss(loss)
    a, b = as_finite(e1, "e1"), as_finite(e2, "e2")
    if a.size != b.size:
        raise ValueError(
            f"e1 and e2 must have the same length; got {a.size} and {b.size}."
        )
    return dm_test(error_loss(a, loss) - error_loss(b, loss), h, alternative)


def _check_loss(loss: str) -> None:
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {tuple(_LOSSES)}; got {loss!r}.")


def error_loss(errors: Any, loss: str) -> Any:
    """Loss of forecast errors, element by element: squared or absolute.

    Parameters
    ----------
    errors : array-like or pandas.Series
        Forecast errors.
    loss : {"squared", "absolute"}
        The loss.

    Returns
    -------
    numpy.ndarray or pandas.Series
        ``errors ** 2`` or ``|errors|``, of the type of ``errors`` (a Series
        keeps its index).
    """
    _check_loss(loss)
    return _LOSSES[loss](errors)


def dm_shortfall(n: int, h: int) -> str:
    """Why ``n`` loss differentials are too few for a test with lag ``h``.

    Below ``2h`` differentials the long-run variance misses most of its
    ``h - 1`` autocovariances and the Harvey-Leybourne-Newbold factor can
    exceed 1, so the test would report evidence it does not have.

    Parameters
    ----------
    n : int
        Number of loss differentials (forecast origins).
    h : int
        The test's ``h`` (see :func:`dm_horizon`).

    Returns
    -------
    str
        An empty string when the test can run, else the reason in words.
    """
    need = max(2, 2 * h)
    if n >= need:
        return ""
    if n == 0:
        return "no forecast origins in common"
    return (
        f"needs at least {need} forecast origins (2h with h = {h}, and at "
        f"least 2); got {n}"
    )


def fold_spacing(cutoff_pos: npt.ArrayLike) -> int | None:
    """Rows between consecutive forecast origins: the smallest positive gap.

    Parameters
    ----------
    cutoff_pos : array-like of int
        Row position of each cutoff in its series (repeats allowed: one per
        forecast row). Positions of several series may be pooled; their union
        can only shrink the gap, which lengthens the lag.

    Returns
    -------
    int or None
        The spacing ``s``; None when fewer than two distinct positions exist.
    """
    pos = np.asarray(cutoff_pos, dtype=np.float64).ravel()
    if pos.size and (~np.isfinite(pos)).any():
        raise ValueError("cutoff_pos has NaN or infinite values; it must be ints.")
    if pos.size and (pos != np.round(pos)).any():
        raise ValueError("cutoff_pos must hold integer row positions.")
    unique = np.unique(pos)
    if unique.size < 2:
        return None
    return int(np.diff(unique).min())


def dm_horizon(horizon: int, cutoff_pos: npt.ArrayLike | None = None) -> int:
    """Return the Diebold-Mariano ``h`` for one differential per forecast origin.

    ``horizon``-step forecasts made ``s`` rows apart share shocks with the
    forecasts of the next ``ceil(horizon / s) - 1`` origins, so the
    differentials are MA(``ceil(horizon / s) - 1``) and the test's ``h`` is
    ``ceil(horizon / s)``: ``horizon`` when origins are one row apart, 1 when
    ``s >= horizon`` (no overlap). Without positions (older results files)
    the spacing is unknown and ``h = horizon``, the convention of earlier
    versions, right for cutoffs one row apart. It is not conservative when
    they are further apart: with cutoffs 6 rows apart and horizon 6, a
    simulation under the null rejected 7.2% at a nominal 5% with ``h = 6``
    and 4.9% with the ``h = 1`` this function gives.

    Parameters
    ----------
    horizon : int
        Largest forecast step of the differentials.
    cutoff_pos : array-like of int, optional
        Row position of each cutoff in its series (the results frame's
        ``cutoff_pos`` column); see :func:`fold_spacing`.

    Returns
    -------
    int
        The ``h`` to pass to :func:`dm_test`.

    Examples
    --------
    >>> from tsattn.stats import dm_horizon
    >>> dm_horizon(6, [0, 1, 2, 3]), dm_horizon(6, [0, 4, 8]), dm_horizon(6, [0, 6])
    (6, 2, 1)
    >>> dm_horizon(6)
    6
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
        raise TypeError(f"horizon must be an int >= 1; got {horizon!r}.")
    if horizon < 1:
        raise ValueError(f"horizon must be an int >= 1; got {horizon}.")
    spacing = None if cutoff_pos is None else fold_spacing(cutoff_pos)
    if spacing is None:
        return int(horizon)
    return math.ceil(int(horizon) / spacing)


def holm(pvalues: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Holm's step-down adjustment of p-values tested together.

    Parameters
    ----------
    pvalues : array-like
        One p-value per test of the family; NaN (untested) is kept and left
        out of the family.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, the same as
        ``statsmodels.stats.multitest.multipletests(..., method="holm")``
        (tested against it), NaN where the input is NaN.
    """
    # Computed here rather than by statsmodels, whose multipletests runs
    # gc.collect() on every call for Holm: 0.1 s each in a process that holds
    # a report's figures, and a report runs dozens of families.
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    if tested.size:
        order = tested[np.argsort(p[tested], kind="stable")]
        m = order.size
        scaled = p[order] * np.arange(m, 0, -1)
        out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out
