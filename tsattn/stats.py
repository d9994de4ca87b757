"""Statistical tests behind every verdict: the Diebold-Mariano test."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["diebold_mariano", "dm_test"]

_LOSSES: dict[str, Callable[[Any], Any]] = {
    "squared": np.square,
    "absolute": np.abs,
}

_ALTERNATIVES = ("two-sided", "less", "greater")


def _errors(x: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
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
    d = _errors(d, "d")
    from scipy.stats import t as student_t

    n = d.size
    if n < max(2, 2 * h):
        # Below 2h the HAC variance lacks most of its h - 1 autocovariances and
        # the HLN factor exceeds 1 once n < h / 2, inflating the statistic.
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
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {tuple(_LOSSES)}; got {loss!r}.")
    a, b = _errors(e1, "e1"), _errors(e2, "e2")
    if a.size != b.size:
        raise ValueError(
            f"e1 and e2 must have the same length; got {a.size} and {b.size}."
        )
    return dm_test(_LOSSES[loss](a) - _LOSSES[loss](b), h, alternative)
