"""Seeded stock-like generators: daily OHLCV bars with known ground truth.

:func:`make_stock_like` simulates returns (GBM, GARCH, regimes, jumps, AR(1))
and builds bars from them; :func:`stock_like_oracle` gives the forecasts that
know the simulated process, the reference a model can at best reach.
"""

from __future__ import annotations

import difflib
import numbers
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["OHLCV_COLUMNS", "make_stock_like", "stock_like_oracle"]

OHLCV_COLUMNS = ("Open", "High", "Low", "Close", "Volume")

_DEFAULTS: dict[str, dict[str, Any]] = {
    "gbm": {"mu": 0.08, "sigma": 0.20, "periods_per_year": 252},
    "garch": {"mean": 3e-4, "omega": 2e-6, "alpha": 0.08, "beta": 0.90, "dof": None},
    "regime": {
        "mu": (0.15, -0.25),
        "sigma": (0.12, 0.40),
        "p_stay": (0.99, 0.97),
        "periods_per_year": 252,
    },
    "jump": {
        "mu": 0.08,
        "sigma": 0.15,
        "jump_intensity": 10.0,
        "jump_mean": -0.02,
        "jump_std": 0.04,
        "periods_per_year": 252,
    },
    "ar1": {
        "mean": 3e-4,
        "phi": 0.2,
        "omega": 2e-6,
        "alpha": 0.08,
        "beta": 0.90,
        "dof": None,
    },
}


def _positive(params: dict, key: str, *, allow_zero: bool = False) -> None:
    values = params[key] if isinstance(params[key], tuple) else (params[key],)
    for v in values:
        if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise ValueError(f"{key} must be finite and {bound}; got {params[key]}.")


def _resolve_params(kind: str, params: dict) -> dict:
    if kind not in _DEFAULTS:
        close = difflib.get_close_matches(str(kind), list(_DEFAULTS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"kind must be one of {sorted(_DEFAULTS)}; got {kind!r}.{hint}"
        )
    defaults = _DEFAULTS[kind]
    unknown = [k for k in params if k not in defaults]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(defaults), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise TypeError(
            f"make_stock_like(kind={kind!r}) got unknown parameter(s) {unknown}; its "
            f"parameters are {sorted(defaults)}.{hint}"
        )
    out: dict[str, Any] = {}
    for key, default in defaults.items():
        value = params.get(key, default)
        if isinstance(default, tuple):
            value = tuple(float(v) for v in np.ravel(value))
            if len(value) != 2:
                raise ValueError(
                    f"{key} needs one value per regime (2); got {params.get(key)!r}."
                )
        elif key == "dof":
            value = None if value is None else float(value)
        elif key == "periods_per_year":
            value = int(value)
        else:
            value = float(value)
        out[key] = value
    for key in ("sigma", "omega", "periods_per_year"):
        if key in out:
            _positive(out, key)
    for key in ("alpha", "beta", "jump_intensity", "jump_std"):
        if key in out:
            _positive(out, key, allow_zero=True)
    if "alpha" in out and out["alpha"] + out["beta"] >= 1:
        raise ValueError(
            f"alpha + beta (= {out['alpha'] + out['beta']:.4g}) must be < 1 for a "
            "stationary GARCH(1,1) with finite variance omega / (1 - alpha - beta); "
            "lower alpha or beta."
        )
    if "phi" in out and not abs(out["phi"]) < 1:
        raise ValueError(
            f"phi (= {out['phi']}) must satisfy |phi| < 1 for stationary AR(1) returns."
        )
    if "p_stay" in out and not all(0 < p < 1 for p in out["p_stay"]):
        raise ValueError(
            f"p_stay (= {out['p_stay']}) must hold two probabilities strictly between "
            "0 and 1 (the chance of staying in each regime from one step to the next)."
        )
    if out.get("dof") is not None and not out["dof"] > 2:
        raise ValueError(
            f"dof (= {out['dof']}) must be > 2 (Student-t innovations need a finite "
            "variance), or None for normal innovations."
        )
    for key in ("mu", "mean", "jump_mean"):
        if key in out and not np.all(np.isfinite(out[key])):
            raise ValueError(f"{key} must be finite; got {out[key]}.")
    return out


def _innovations(rng: np.random.Generator, shape: tuple, dof: float | None):
    if dof is None:
        return rng.standard_normal(shape)
    return rng.standard_t(dof, size=shape) * np.sqrt((dof - 2.0) / dof)


def _regime_moments(p: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = 1.0 / p["periods_per_year"]
    sigma = np.asarray(p["sigma"])
    mean = (np.asarray(p["mu"]) - sigma**2 / 2) * dt
    var = sigma**2 * dt
    stay = np.asarray(p["p_stay"])
    trans = np.array([[stay[0], 1 - stay[0]], [1 - stay[1], stay[1]]])
    return mean, var, trans


def _jump_drift(p: dict) -> float:
    dt = 1.0 / p["periods_per_year"]
    k = np.expm1(p["jump_mean"] + p["jump_std"] ** 2 / 2)  # E[e^J] - 1
    return (p["mu"] - p["sigma"] ** 2 / 2 - p["jump_intensity"] * k) * dt


def _oracle(kind: str, p: dict, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optimal forecasts from log returns ``r`` of shape (n, S).

    Returns ``mean`` and ``var`` of shape (n + 1, S): row ``t`` holds the
    conditional mean and variance of ``r[t]`` given ``r[:t]``.
    """
    n, n_series = r.shape
    mean = np.empty((n + 1, n_series))
    var = np.empty((n + 1, n_series))
    if kind == "gbm":
        dt = 1.0 / p["periods_per_year"]
        mean[:] = (p["mu"] - p["sigma"] ** 2 / 2) * dt
        var[:] = p["sigma"] ** 2 * dt
    elif kind == "jump":
        dt = 1.0 / p["periods_per_year"]
        lam = p["jump_intensity"] * dt
        mean[:] = _jump_drift(p) + lam * p["jump_mean"]
        var[:] = p["sigma"] ** 2 * dt + lam * (p["jump_mean"] ** 2 + p["jump_std"] ** 2)
    elif kind in ("garch", "ar1"):
        omega, alpha, beta = p["omega"], p["alpha"], p["beta"]
        phi = p.get("phi", 0.0)
        x = r - p["mean"]
        x_prev = np.zeros(n_series)
        h = np.full(n_series, omega / (1 - alpha - beta))
        for t in range(n):
            mean[t] = p["mean"] + phi * x_prev
            var[t] = h
            eps = x[t] - phi * x_prev
            h = omega + alpha * eps**2 + beta * h
            x_prev = x[t]
        mean[n] = p["mean"] + phi * x_prev
        var[n] = h
    else:  # regime: Hamilton filter
        m, v, trans = _regime_moments(p)
        stay0, stay1 = trans[0, 0], trans[1, 1]
        prior = np.empty((n_series, 2))
        prior[:] = [
            (1 - stay1) / (2 - stay0 - stay1),
            (1 - stay0) / (2 - stay0 - stay1),
        ]
        second = v + m**2
        for t in range(n):
            mean[t] = prior @ m
            var[t] = prior @ second - mean[t] ** 2
            loglik = -0.5 * ((r[t][:, None] - m) ** 2 / v + np.log(v))
            post = prior * np.exp(loglik - loglik.max(axis=1, keepdims=True))
            prior = (post / post.sum(axis=1, keepdims=True)) @ trans
        mean[n] = prior @ m
        var[n] = prior @ second - mean[n] ** 2
    return mean, var


def _simulate_returns(
    kind: str, p: dict, n: int, n_series: int, rng: np.random.Generator
) -> np.ndarray:
    shape = (n, n_series)
    if kind == "gbm":
        dt = 1.0 / p["periods_per_year"]
        drift = (p["mu"] - p["sigma"] ** 2 / 2) * dt
        return drift + p["sigma"] * np.sqrt(dt) * rng.standard_normal(shape)
    if kind == "jump":
        dt = 1.0 / p["periods_per_year"]
        diffusion = p["sigma"] * np.sqrt(dt) * rng.standard_normal(shape)
        n_jumps = rng.poisson(p["jump_intensity"] * dt, size=shape)
        # the sum of N normal jumps is N(N * mean, N * std^2)
        jumps = p["jump_mean"] * n_jumps + p["jump_std"] * np.sqrt(
            n_jumps
        ) * rng.standard_normal(shape)
        return _jump_drift(p) + diffusion + jumps
    if kind in ("garch", "ar1"):
        z = _innovations(rng, shape, p["dof"])
        omega, alpha, beta = p["omega"], p["alpha"], p["beta"]
        phi = p.get("phi", 0.0)
        h = np.full(n_series, omega / (1 - alpha - beta))
        x = np.empty(shape)
        x_prev = np.zeros(n_series)
        for t in range(n):
            eps = np.sqrt(h) * z[t]
            x[t] = phi * x_prev + eps
            h = omega + alpha * eps**2 + beta * h
            x_prev = x[t]
        return p["mean"] + x
    m, v, trans = _regime_moments(p)  # regime
    stay = np.diag(trans)
    start_in_1 = (1 - stay[0]) / (2 - stay[0] - stay[1])
    state = (rng.random(n_series) < start_in_1).astype(np.intp)
    u = rng.random(shape)
    states = np.empty(shape, dtype=np.intp)
    for t in range(n):
        if t:
            state = np.where(u[t] < stay[state], state, 1 - state)
        states[t] = state
    return m[states] + np.sqrt(v[states]) * rng.standard_normal(shape)


def _ohlcv(
    rng: np.random.Generator,
    r: np.ndarray,
    cond_mean: np.ndarray,
    cond_var: np.ndarray,
    start_price: float,
) -> dict[str, np.ndarray]:
    """Open, High, Low and Volume around the closes implied by ``r``.

    The extra noise is scaled by the conditional volatility known before each
    row, so the other columns carry no information about future returns beyond
    what past closes already hold: the oracle stays optimal for the whole frame.
    """
    log_close = np.log(start_price) + np.cumsum(r, axis=0)
    log_prev = np.vstack(
        [np.full((1, r.shape[1]), np.log(start_price)), log_close[:-1]]
    )
    scale = np.sqrt(cond_var)
    log_open = log_prev + 0.3 * scale * rng.standard_normal(r.shape)
    top = np.maximum(log_open, log_close)
    bottom = np.minimum(log_open, log_close)
    high = top + 0.5 * scale * np.abs(rng.standard_normal(r.shape))
    low = bottom - 0.5 * scale * np.abs(rng.standard_normal(r.shape))
    surprise = np.abs(r - cond_mean) / scale
    volume = np.rint(
        1e6 * np.exp(0.3 * rng.standard_normal(r.shape) + 0.5 * (surprise - 0.8))
    )
    return {
        "Open": np.exp(log_open),
        "High": np.exp(high),
        "Low": np.exp(low),
        "Close": np.exp(log_close),
        "Volume": np.maximum(volume, 1.0).astype(np.int64),
    }


def make_stock_like(
    kind: str = "gbm",
    *,
    n_steps: int = 1000,
    n_series: int = 1,
    start: str | pd.Timestamp = "2015-01-02",
    start_price: float = 100.0,
    random_state: int | np.random.Generator | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Simulate daily OHLCV bars from a stock-like return process.

    Log returns ``r_t = log(Close_t / Close_{t-1})`` (with ``Close_{-1} =
    start_price``) follow one of five processes; Open, High, Low and Volume are
    drawn around them. The parameters and everything needed for the optimal
    forecast are kept in ``df.attrs["tsattn"]``; :func:`stock_like_oracle`
    turns them into the optimal one-step forecast and its error variance.

    ===========  ==============================================================
    kind         process and parameters (defaults)
    ===========  ==============================================================
    ``"gbm"``    geometric Brownian motion, annualised drift ``mu`` (0.08) and
                 volatility ``sigma`` (0.20), ``periods_per_year`` (252).
    ``"garch"``  GARCH(1,1) volatility clustering on daily log returns:
                 ``r = mean + eps``, ``eps = sqrt(h) z``,
                 ``h' = omega + alpha eps^2 + beta h``; ``mean`` (3e-4),
                 ``omega`` (2e-6), ``alpha`` (0.08), ``beta`` (0.90),
                 ``dof`` (None: normal ``z``; a number > 2: standardised
                 Student-t). Needs ``alpha + beta < 1``.
    ``"regime"`` two-state Markov switching of annualised ``mu``
                 ((0.15, -0.25)) and ``sigma`` ((0.12, 0.40)), staying
                 probabilities ``p_stay`` ((0.99, 0.97)).
    ``"jump"``   Merton jump diffusion: ``mu``, ``sigma`` as for gbm, plus
                 Poisson jumps (``jump_intensity`` per year, 10) with normal
                 log sizes (``jump_mean`` -0.02, ``jump_std`` 0.04); the drift
                 is compensated so that prices grow at ``mu``.
    ``"ar1"``    AR(1) log returns with GARCH(1,1) noise:
                 ``r - mean = phi (r_prev - mean) + eps``; ``phi`` (0.2) and the
                 garch parameters. The predictable case: its optimal forecast
                 ``mean + phi (r_t - mean)`` beats the random walk.
    ===========  ==============================================================

    Parameters
    ----------
    kind : {"gbm", "garch", "regime", "jump", "ar1"}, default="gbm"
        The return process.
    n_steps : int, default=1000
        Rows (business days) per series.
    n_series : int, default=1
        Number of independent tickers.
    start : str or Timestamp, default="2015-01-02"
        First date; rolled forward to a business day.
    start_price : float, default=100.0
        The close before the first row.
    random_state : int, numpy Generator or None, default=None
        Seed; the same seed gives an identical frame.
    **params
        Process parameters from the table; unknown names raise TypeError.

    Returns
    -------
    pandas.DataFrame
        For ``n_series=1``: columns Open, High, Low, Close (float64), Volume
        (int64) on a business-day DatetimeIndex named ``"date"``. For several
        series, a long-format frame with columns ``ticker``, ``date``, Open ..
        Volume, grouped by ticker (``"T0"``, ``"T1"``...) in date order, ready for
        ``to_panel(df, id_col="ticker", time_col="date")``. High is at least
        max(Open, Close), Low at most min(Open, Close), Volume positive. Prices
        are not rounded to cents, so the oracle holds exactly.

    See Also
    --------
    stock_like_oracle : the optimal one-step forecast for a generated frame.

    Examples
    --------
    >>> df = make_stock_like("ar1", n_steps=5, random_state=0)
    >>> list(df.columns), df.index.freqstr
    (['Open', 'High', 'Low', 'Close', 'Volume'], 'B')
    """
    p = _resolve_params(kind, params)
    for value, what, minimum in ((n_steps, "n_steps", 2), (n_series, "n_series", 1)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"{what} must be an int >= {minimum}. Got {value!r}.")
        if value < minimum:
            raise ValueError(f"{what} must be an int >= {minimum}. Got {value}.")
    if not (isinstance(start_price, numbers.Real) and np.isfinite(start_price)) or (
        start_price <= 0
    ):
        raise ValueError(f"start_price must be a finite number > 0; got {start_price}.")
    try:
        rng = np.random.default_rng(random_state)
    except TypeError as exc:
        raise TypeError(
            "random_state must be None, an int or a numpy Generator; got "
            f"{type(random_state).__name__}."
        ) from exc
    dates = pd.bdate_range(start=pd.Timestamp(start), periods=n_steps, name="date")
    r = _simulate_returns(kind, p, int(n_steps), int(n_series), rng)
    cond_mean, cond_var = _oracle(kind, p, r)
    bars = _ohlcv(rng, r, cond_mean[:-1], cond_var[:-1], float(start_price))
    if n_series == 1:
        df = pd.DataFrame({c: bars[c][:, 0] for c in OHLCV_COLUMNS}, index=dates)
    else:
        width = len(str(n_series - 1))
        tickers = [f"T{i:0{width}d}" for i in range(n_series)]
        df = pd.DataFrame(
            {
                "ticker": np.repeat(tickers, n_steps),
                "date": np.tile(dates.values, n_series),
                **{c: bars[c].T.ravel() for c in OHLCV_COLUMNS},
            }
        )
    df.attrs["tsattn"] = {
        "source": "make_stock_like",
        "kind": kind,
        "params": p,
        "n_steps": int(n_steps),
        "n_series": int(n_series),
        "start_price": float(start_price),
        "random_state": random_state if isinstance(random_state, int) else None,
    }
    return df


def stock_like_oracle(df: pd.DataFrame) -> pd.DataFrame:
    """Return the optimal one-step forecast for a :func:`make_stock_like` frame.

    For each row ``t`` the forecast is made with the data up to and including
    row ``t`` and targets the next log return ``r_{t+1}``, which matches the
    estimator contract (``y`` row ``t`` = what to predict at ``t``). It is the
    conditional mean under the true process (a Hamilton filter for the regime
    kind) and ``variance`` its expected squared error, so the mean of
    ``variance`` estimates the oracle MSE that no model can beat on average.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame returned by :func:`make_stock_like`, unmodified (same rows, same
        closes and ``df.attrs["tsattn"]``).

    Returns
    -------
    pandas.DataFrame
        Same index as ``df`` (and its ``ticker`` and ``date`` columns for a
        panel), with float64 columns ``log_return`` (``r_t``), ``target``
        (``r_{t+1}``, NaN on each series' last row), ``forecast`` and
        ``variance``.

    Raises
    ------
    ValueError
        When ``df`` lacks the generator's metadata or no longer matches it.

    Examples
    --------
    >>> df = make_stock_like("ar1", n_steps=2000, random_state=1)
    >>> o = stock_like_oracle(df).dropna()
    >>> bool(((o.target - o.forecast) ** 2).mean() < (o.target**2).mean())
    True
    """
    meta = df.attrs.get("tsattn") if isinstance(df, pd.DataFrame) else None
    if not isinstance(meta, dict) or meta.get("source") != "make_stock_like":
        raise ValueError(
            "df carries no make_stock_like metadata in df.attrs['tsattn']; pass the "
            "frame returned by make_stock_like (some pandas operations drop attrs)."
        )
    n, n_series = meta["n_steps"], meta["n_series"]
    if len(df) != n * n_series or "Close" not in df.columns:
        raise ValueError(
            f"df has {len(df)} rows but make_stock_like made {n * n_series} "
            f"({n_series} series of {n} rows), or lost its Close column; "
            "compute the oracle on the unmodified frame, then slice the result."
        )
    close = df["Close"].to_numpy(dtype=np.float64).reshape(n_series, n).T
    if not (np.isfinite(close).all() and (close > 0).all()):
        raise ValueError("df's Close column holds non-positive or missing prices.")
    log_close = np.log(close)
    r = np.diff(log_close, axis=0, prepend=np.log(meta["start_price"]))
    cond_mean, cond_var = _oracle(meta["kind"], meta["params"], r)
    target = np.vstack([r[1:], np.full((1, n_series), np.nan)])
    out = pd.DataFrame(
        {
            "log_return": r.T.ravel(),
            "target": target.T.ravel(),
            "forecast": cond_mean[1:].T.ravel(),
            "variance": cond_var[1:].T.ravel(),
        },
        index=df.index,
    )
    if n_series > 1 and {"ticker", "date"} <= set(df.columns):
        out.insert(0, "date", df["date"].to_numpy())
        out.insert(0, "ticker", df["ticker"].to_numpy())
    return out
