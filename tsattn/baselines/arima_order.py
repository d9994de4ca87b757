"""ARIMA order selection by the Hyndman-Khandakar procedure, on statsmodels.

The procedure of R's ``forecast::auto.arima`` (Hyndman & Khandakar 2008,
"Automatic time series forecasting: the forecast package for R", JSS 27(3)):

1. seasonal differencing ``D`` (when a season length ``m > 1`` is given) from
   the seasonal strength of an STL decomposition: ``D = 1`` when
   ``F_s = max(0, 1 - Var(R) / Var(S + R)) > 0.64`` (:func:`nsdiffs`);
2. differencing ``d`` from repeated KPSS tests (null: stationarity), the
   series differenced while stationarity is rejected at level ``alpha``
   (:func:`ndiffs`);
3. a stepwise search over ``(p, q)(P, Q)`` from four starting models, moving
   one or two orders by one and toggling the constant, until no neighbour
   lowers the AICc; a constant (a mean when ``d + D = 0``, a drift when
   ``d + D = 1``) is considered only when ``d + D <= 1``. Models with an AR or
   MA root inside ``|z| < 1.01`` are rejected, as in R.

The AICc is R's: ``-2 loglik + 2k + 2k(k + 1) / (n - d - mD - k - 1)``, with
``k`` the number of estimated parameters including the innovation variance.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tsattn._base import FloatArray

__all__ = ["ArimaCandidate", "aicc", "ndiffs", "nsdiffs", "stepwise_search"]

#: Seasonal strength above which one seasonal difference is taken (R's nsdiffs).
SEASONAL_STRENGTH_THRESHOLD = 0.64
_KPSS_LEVELS = {0.01: "1%", 0.025: "2.5%", 0.05: "5%", 0.1: "10%"}


def _kpss_rejects(x: FloatArray, alpha: float) -> bool:
    from statsmodels.tsa.stattools import kpss

    # R's ndiffs uses the Hobijn et al. bandwidth trunc(3 sqrt(n) / 13).
    nlags = int(3 * np.sqrt(len(x)) / 13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = kpss(x, regression="c", nlags=nlags)
    stat, crit = out[0], out[3]
    return bool(stat > crit[_KPSS_LEVELS[alpha]])


def ndiffs(y: FloatArray, *, alpha: float = 0.05, max_d: int = 2) -> int:
    """Count the first differences by repeated KPSS tests (R's ``ndiffs``).

    Parameters
    ----------
    y : ndarray of shape (n,)
        The series (after any seasonal differencing).
    alpha : {0.01, 0.025, 0.05, 0.1}, default=0.05
        Level of the KPSS test of level stationarity.
    max_d : int, default=2
        Largest number of differences.

    Returns
    -------
    d : int
        The smallest ``d <= max_d`` whose differenced series is not found
        non-stationary; 0 for a constant series.

    Raises
    ------
    ValueError
        On an ``alpha`` without a KPSS critical value.

    Examples
    --------
    >>> import numpy as np
    >>> walk = np.cumsum(np.random.default_rng(0).normal(size=500))
    >>> ndiffs(walk), ndiffs(np.diff(walk))
    (1, 0)
    """
    if alpha not in _KPSS_LEVELS:
        raise ValueError(
            f"alpha must be one of {sorted(_KPSS_LEVELS)} (the KPSS table levels); "
            f"got {alpha!r}."
        )
    z = np.asarray(y, dtype=np.float64)
    d = 0
    while d < max_d and len(z) > 3 and np.ptp(z) > 0 and _kpss_rejects(z, alpha):
        z = np.diff(z)
        d += 1
    return d


def seasonal_strength(y: FloatArray, m: int) -> float:
    """Seasonal strength ``max(0, 1 - Var(R) / Var(S + R))`` of an STL fit.

    Parameters
    ----------
    y : ndarray of shape (n,)
        The series, at least two seasons long.
    m : int
        Season length (>= 2).

    Returns
    -------
    strength : float
        In [0, 1]: 0 without seasonality, near 1 for a pure seasonal pattern.
    """
    from statsmodels.tsa.seasonal import STL

    res = STL(np.asarray(y, dtype=np.float64), period=m, robust=True).fit()
    rem, seas = np.asarray(res.resid), np.asarray(res.seasonal)
    total = np.var(rem + seas)
    if total == 0:
        return 0.0
    return float(max(0.0, min(1.0, 1.0 - np.var(rem) / total)))


def nsdiffs(y: FloatArray, m: int, *, max_D: int = 1) -> int:
    """Count the seasonal differences by seasonal strength (R's ``nsdiffs``).

    Parameters
    ----------
    y : ndarray of shape (n,)
        The series.
    m : int
        Season length; ``m <= 1`` or fewer than ``2 m`` points give 0.
    max_D : int, default=1
        Largest number of seasonal differences.

    Returns
    -------
    D : int
        Seasonal differences taken while the strength exceeds 0.64.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(120)
    >>> nsdiffs(10 * np.sin(2 * np.pi * t / 12) + 0.1 * np.cos(t), 12)
    1
    """
    z = np.asarray(y, dtype=np.float64)
    big_d = 0
    while (
        big_d < max_D
        and m > 1
        and len(z) >= 2 * m + 1
        and np.ptp(z) > 0
        and seasonal_strength(z, m) > SEASONAL_STRENGTH_THRESHOLD
    ):
        z = z[m:] - z[:-m]
        big_d += 1
    return big_d


def aicc(res: Any, n_effective: int) -> float:
    """R's AICc of a fitted statsmodels ARIMA-type model.

    Parameters
    ----------
    res : statsmodels results
        With ``llf`` and ``params`` (the variance among them).
    n_effective : int
        Observations after differencing, ``n - d - m D``.

    Returns
    -------
    aicc : float
        ``inf`` when there are too few observations for the correction.
    """
    k = len(res.params)
    if n_effective - k - 1 <= 0:
        return float("inf")
    return float(-2 * res.llf + 2 * k + 2 * k * (k + 1) / (n_effective - k - 1))


@dataclass(frozen=True, order=True)
class ArimaCandidate:
    """One point of the search: ``(p, q)(P, Q)`` orders and the constant."""

    p: int
    q: int
    P: int
    Q: int
    constant: bool


def _roots_ok(res: Any) -> bool:
    """R's check: no AR or MA root within 1.01 of the unit circle."""
    for name in ("arroots", "maroots"):
        roots = np.asarray(getattr(res, name, []), dtype=complex)
        if roots.size and np.min(np.abs(roots)) < 1.01:
            return False
    return True


def stepwise_search(
    fit: Callable[[ArimaCandidate], Any],
    *,
    n_effective: int,
    seasonal: bool,
    allow_constant: bool,
    max_p: int = 5,
    max_q: int = 5,
    max_P: int = 2,
    max_Q: int = 2,
    max_order: int = 5,
    max_models: int = 94,
    stepwise: bool = True,
    criterion: Callable[[Any, int], float] = aicc,
) -> tuple[Any, ArimaCandidate, dict[ArimaCandidate, float]]:
    """Search ``(p, q)(P, Q)`` and the constant stepwise (Hyndman-Khandakar).

    Parameters
    ----------
    fit : callable
        ``fit(candidate)`` returns fitted statsmodels results, or raises
        ``ValueError`` / ``LinAlgError`` when the model cannot be fitted.
    n_effective : int
        Observations after differencing (for the AICc).
    seasonal : bool
        Search the seasonal orders ``P, Q`` too.
    allow_constant : bool
        Whether a constant may be included (``d + D <= 1``).
    max_p, max_q, max_P, max_Q : int
        Largest orders.
    max_order : int, default=5
        Largest ``p + q + P + Q``.
    max_models : int, default=94
        Largest number of models fitted by the stepwise search (R's
        ``nmodels``).
    stepwise : bool, default=True
        False scores every allowed candidate instead (R's ``stepwise=FALSE``).
    criterion : callable, default=aicc
        ``criterion(results, n_effective)``, minimised.

    Returns
    -------
    best : statsmodels results
        The selected fit.
    candidate : ArimaCandidate
        Its orders.
    tried : dict
        The criterion of every candidate fitted (``inf`` for rejected ones).

    Raises
    ------
    ValueError
        When no candidate could be fitted.
    """
    tried: dict[ArimaCandidate, float] = {}
    fits: dict[ArimaCandidate, Any] = {}

    def allowed(c: ArimaCandidate) -> bool:
        return (
            0 <= c.p <= max_p
            and 0 <= c.q <= max_q
            and 0 <= c.P <= (max_P if seasonal else 0)
            and 0 <= c.Q <= (max_Q if seasonal else 0)
            and c.p + c.q + c.P + c.Q <= max_order
            and (allow_constant or not c.constant)
        )

    def score(c: ArimaCandidate) -> float:
        if c in tried:
            return tried[c]
        try:
            res = fit(c)
        except (ValueError, np.linalg.LinAlgError):
            tried[c] = np.inf
            return np.inf
        converged = (getattr(res, "mle_retvals", None) or {}).get("converged", True)
        ic = criterion(res, n_effective)
        if converged is False or not np.isfinite(ic) or not _roots_ok(res):
            ic = np.inf
        tried[c], fits[c] = ic, res
        return ic

    s = 1 if seasonal else 0
    starts = [
        ArimaCandidate(min(2, max_p), min(2, max_q), s, s, allow_constant),
        ArimaCandidate(0, 0, 0, 0, allow_constant),
        ArimaCandidate(min(1, max_p), 0, s, 0, allow_constant),
        ArimaCandidate(0, min(1, max_q), 0, s, allow_constant),
    ]
    if allow_constant:
        starts.append(ArimaCandidate(0, 0, 0, 0, False))
    best, best_ic = None, np.inf
    for c in starts:
        if allowed(c) and c not in tried:
            ic = score(c)
            if ic < best_ic:
                best, best_ic = c, ic

    if not stepwise:
        consts = (True, False) if allow_constant else (False,)
        big_p_max, big_q_max = (max_P, max_Q) if seasonal else (0, 0)
        for c in (
            ArimaCandidate(p, q, big_p, big_q, const)
            for p in range(max_p + 1)
            for q in range(max_q + 1)
            for big_p in range(big_p_max + 1)
            for big_q in range(big_q_max + 1)
            for const in consts
        ):
            if allowed(c) and score(c) < best_ic:
                best, best_ic = c, tried[c]

    one = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    two = [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    moves = [(0, 0, a, b) for a, b in one + two] if seasonal else []
    moves += [(a, b, 0, 0) for a, b in one + two]
    improved = best is not None
    while stepwise and best is not None and improved and len(tried) < max_models:
        improved = False
        neighbours = [
            ArimaCandidate(
                best.p + dp, best.q + dq, best.P + dps, best.Q + dqs, best.constant
            )
            for dp, dq, dps, dqs in moves
        ]
        neighbours.append(
            ArimaCandidate(best.p, best.q, best.P, best.Q, not best.constant)
        )
        for c in neighbours:
            if len(tried) >= max_models:
                break
            if not allowed(c) or c in tried:
                continue
            ic = score(c)
            if ic < best_ic:
                best, best_ic, improved = c, ic, True
                break
    if best is None or not np.isfinite(best_ic):
        raise ValueError(
            f"no ARIMA model of the stepwise search could be fitted "
            f"({len(tried)} tried); check the data or pass order=..."
        )
    return fits[best], best, tried
