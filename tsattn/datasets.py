"""Shipped data sets, seeded stock-like generators and a loader for OHLCV CSV files."""

from __future__ import annotations

import difflib
import importlib.resources
import numbers
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsattn import TsattnWarning

__all__ = [
    "dataset_path",
    "load_exchange_rate",
    "load_ohlcv_csv",
    "make_stock_like",
    "stock_like_oracle",
]

OHLCV_COLUMNS = ("Open", "High", "Low", "Close", "Volume")


# --------------------------------------------------------------------------- #
# shipped files
# --------------------------------------------------------------------------- #


def _dataset_dirs() -> list[Any]:
    """Folders that may hold the data files, as Traversables, most likely first."""
    dirs: list[Any] = []
    try:
        dirs.append(importlib.resources.files("tsattn._datasets"))
    except ModuleNotFoundError:  # editable install: the folder is not a package
        pass
    import tsattn

    dirs.append(Path(tsattn.__file__).resolve().parents[1] / "datasets")
    return dirs


def _describe(folder: Any) -> str:
    paths = getattr(folder, "_paths", None)  # namespace package (MultiplexedPath)
    return ", ".join(str(p) for p in paths) if paths else str(folder)


def dataset_path(name: str) -> Path:
    """Return the path of a shipped data file.

    The files live in the package ``tsattn._datasets`` of an installed wheel, or in
    the repository's ``datasets/`` folder for an editable install.

    Parameters
    ----------
    name : str
        File name, e.g. ``"exchange_rate.csv"``.

    Returns
    -------
    pathlib.Path
        Path of the existing file.

    Raises
    ------
    FileNotFoundError
        When no searched folder holds the file; the message lists the folders and
        the files they hold.
    """
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise ValueError(f"name must be a plain file name; got {name!r}.")
    dirs = _dataset_dirs()
    for folder in dirs:
        candidate = folder.joinpath(name)
        if candidate.is_file() and isinstance(candidate, os.PathLike):
            return Path(os.fspath(candidate))
    available = sorted(
        {p.name for d in dirs if d.is_dir() for p in d.iterdir() if p.is_file()}
    )
    raise FileNotFoundError(
        f"Data file {name!r} is not shipped with tsattn (searched "
        f"{', '.join(_describe(d) for d in dirs)}; available: {available}). If it "
        "should be there, the installation is incomplete: reinstall tsattn."
    )


def load_exchange_rate(*, as_frame: bool = True) -> pd.DataFrame | np.ndarray:
    """Load the daily exchange rates of eight currencies (7,588 rows).

    The LSTNet benchmark panel (Lai et al., SIGIR 2018), as distributed with the
    long-horizon forecasting benchmarks. Its dates are consecutive calendar days
    from 1990-01-01, a benchmark convention rather than real trading days; see
    ``datasets/README.md`` for the provenance.

    Parameters
    ----------
    as_frame : bool, default=True
        Return a DataFrame; otherwise the float64 values as an array (7588, 8).

    Returns
    -------
    pandas.DataFrame or ndarray
        Columns ``"0"`` .. ``"6"`` and ``"OT"`` on a daily DatetimeIndex named
        ``"date"`` (freq ``"D"``).

    Examples
    --------
    >>> df = load_exchange_rate()
    >>> df.shape, list(df.columns)
    ((7588, 8), ['0', '1', '2', '3', '4', '5', '6', 'OT'])
    >>> df.index[0].date(), df.index.freqstr
    (datetime.date(1990, 1, 1), 'D')
    """
    raw = pd.read_csv(dataset_path("exchange_rate.csv"))
    dates = pd.to_datetime(raw.pop("date"), format="%Y/%m/%d %H:%M")
    frame = raw.astype(np.float64)
    frame.index = pd.DatetimeIndex(dates, freq="D", name="date")
    frame.columns = [str(c) for c in frame.columns]
    return frame if as_frame else frame.to_numpy(copy=True)


# --------------------------------------------------------------------------- #
# stock-like generators
# --------------------------------------------------------------------------- #

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


# --------------------------------------------------------------------------- #
# user OHLCV files
# --------------------------------------------------------------------------- #

_ALIASES = {
    "Open": ("open", "openprice", "opening"),
    "High": ("high", "highprice"),
    "Low": ("low", "lowprice"),
    "Close": ("close", "closelast", "closeprice", "last", "lastprice", "price"),
    "Adj Close": ("adjclose", "adjustedclose", "adjcloseprice"),
    "Volume": ("volume", "vol", "totalvolume"),
}
_DATE_ALIASES = ("date", "datetime", "timestamp", "time", "day", "tradedate")
_MISSING = {"", "null", "nan", "na", "n/a", "-", "--", "none"}
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9}
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _norm(label: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(label).lower())


def _parse_numbers(raw: pd.Series, column: str) -> pd.Series:
    text = raw.str.strip().str.replace("$", "", regex=False).str.replace(" ", "")
    missing = text.str.lower().isin(_MISSING)
    thousands = text.str.fullmatch(_THOUSANDS)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    text = text.str.removesuffix("%")
    suffix = text.str[-1:].str.upper()
    factor = suffix.map(_SUFFIX).astype("float64")
    has_suffix = factor.notna() & text.str[:-1].str.fullmatch(r"[-+]?[\d.]+")
    text = text.where(~has_suffix, text.str[:-1])
    values = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    values = values.where(~has_suffix, values * factor)
    bad = values.isna() & ~missing
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"Could not parse {raw.iloc[row]!r} as a number in column {column!r} at "
            f"data row {row} (line {row + 2} of the file); {int(bad.sum())} such "
            "value(s) in that column. Fix the file or remove the column."
        )
    return values


def _parse_dates(raw: pd.Series, column: str, date_format: str | None):
    text = raw.str.strip()
    missing = text.str.lower().isin(_MISSING)
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise ValueError(
            f"Date column {column!r} is empty at data row {row} (line {row + 2} of "
            "the file); every row needs a date."
        )
    if date_format is None and text.str.contains(_OFFSET).all():
        # keep the exchange's wall-clock stamps; offsets change with DST
        text = text.str.replace(_OFFSET, "", regex=True).str.strip()
    parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise ValueError(
            f"Could not parse {raw.iloc[row]!r} as a date in column {column!r} at "
            f"data row {row} (line {row + 2} of the file). Pass date_format= (e.g. "
            "'%d/%m/%Y') if the dates use a fixed format."
        )
    return pd.DatetimeIndex(parsed, name="date")


def _check_bars(df: pd.DataFrame) -> None:
    prices = [c for c in ("Open", "High", "Low", "Close", "Adj Close") if c in df]
    nonpos = (df[prices] <= 0).any(axis=1).to_numpy()
    if nonpos.any():
        row = int(np.flatnonzero(nonpos)[0])
        warnings.warn(
            f"{int(nonpos.sum())} row(s) hold prices <= 0, first on "
            f"{df.index[row].date()}; log returns are undefined there.",
            TsattnWarning,
            stacklevel=3,
        )
    if {"High", "Low"} <= set(df.columns):
        others = [c for c in ("Open", "Close") if c in df]
        top = df[[*others, "Low"]].max(axis=1)
        bottom = df[[*others, "High"]].min(axis=1)
        bad = ((df["High"] < top) | (df["Low"] > bottom)).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            warnings.warn(
                f"{int(bad.sum())} bar(s) are inconsistent (High below Open/Close/Low "
                f"or Low above them), first on {df.index[row].date()}; check the "
                "file.",
                TsattnWarning,
                stacklevel=3,
            )


def load_ohlcv_csv(
    path: str | os.PathLike,
    *,
    date_col: str | None = None,
    date_format: str | None = None,
    sort: bool = False,
) -> pd.DataFrame:
    """Load a user's daily OHLCV CSV file into a DataFrame on a DatetimeIndex.

    Headers are matched case-insensitively, ignoring spaces and punctuation, so
    broker and site variants work: ``Date``, ``Open``, ``High``, ``Low``,
    ``Close`` (or ``Close/Last``, ``Last``, ``Price``), ``Adj Close`` (or
    ``adj_close``), ``Volume`` (or ``Vol.``). Numbers may carry ``$`` signs,
    thousands separators (``1,234.5``), a ``%`` sign or a K/M/B suffix
    (``1.2M``); the cells ``""``, ``null``, ``NaN``, ``N/A`` and ``-`` become NaN.
    Time-zone offsets in the dates are dropped, keeping the wall-clock time.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    date_col : str, optional
        Name of the date column (case-insensitive); found automatically when it
        is called Date, Datetime, Timestamp, Time or Day.
    date_format : str, optional
        strftime format of the dates, e.g. ``"%d/%m/%Y"``; inferred otherwise.
    sort : bool, default=False
        Sort the rows by date. Without it, dates out of order raise (many sites
        export newest first; pass ``sort=True`` for those files).

    Returns
    -------
    pandas.DataFrame
        float64 columns Open, High, Low, Close, Adj Close, Volume (those present,
        in this order, under these names), then any other columns of the file
        under their own names; a DatetimeIndex named ``"date"``, increasing.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        With the column and row, for a missing date or Close column, unparseable
        numbers or dates, duplicate dates, or dates out of order without
        ``sort=True``.

    Warns
    -----
    TsattnWarning
        For prices <= 0 or bars whose High / Low do not bracket Open and Close.
    """
    file = Path(os.fspath(path))
    if not file.is_file():
        raise FileNotFoundError(
            f"No such OHLCV file: {str(file.resolve())!r}"
            + (" (it is a folder)." if file.is_dir() else ".")
        )
    raw = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.empty:
        raise ValueError(f"{file.name} holds no data rows.")
    found = list(raw.columns)
    normed = [_norm(c) for c in found]
    if date_col is not None:
        hits = [c for c, n in zip(found, normed) if n == _norm(date_col)]
        if not hits:
            raise ValueError(
                f"date_col={date_col!r} is not a column of {file.name}; its columns "
                f"are {found}."
            )
    else:
        hits = [c for c, n in zip(found, normed) if n in _DATE_ALIASES]
        if not hits:
            raise ValueError(
                f"No date column found in {file.name} (columns: {found}); pass "
                "date_col=<name of the date column>."
            )
    date_name = hits[0]
    names: dict[str, str] = {}
    for col, n in zip(found, normed):
        if col == date_name:
            continue
        canonical = next((k for k, v in _ALIASES.items() if n in v), col)
        if canonical in names.values():
            first = next(k for k, v in names.items() if v == canonical)
            raise ValueError(
                f"Columns {first!r} and {col!r} of {file.name} both mean "
                f"{canonical!r}; remove one of them."
            )
        names[col] = canonical
    if "Close" not in names.values():
        raise ValueError(
            f"No Close column in {file.name} (columns: {found}); name the closing "
            "price column Close (Close/Last, Last and Price are also understood)."
        )
    index = _parse_dates(raw[date_name], date_name, date_format)
    order = [c for c in _ALIASES if c in names.values()]
    order += [v for v in names.values() if v not in _ALIASES]
    by_canonical = {v: k for k, v in names.items()}
    df = pd.DataFrame(
        {c: _parse_numbers(raw[by_canonical[c]], by_canonical[c]) for c in order}
    )
    df.index = index
    dup = index.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(index == index[row])[0])
        raise ValueError(
            f"Date {index[row]} appears more than once in {file.name} (data rows "
            f"{first} and {row}); {int(dup.sum())} duplicate(s) in all. Remove them."
        )
    if not index.is_monotonic_increasing:
        if not sort:
            if index.is_monotonic_decreasing:
                raise ValueError(
                    f"The dates in {file.name} are in descending order (newest "
                    f"first: {index[0].date()} .. {index[-1].date()}); pass sort=True "
                    "to sort them oldest first."
                )
            row = int(np.flatnonzero(np.diff(index.asi8) < 0)[0]) + 1
            raise ValueError(
                f"The dates in {file.name} are out of order: {index[row]} (data row "
                f"{row}) comes after {index[row - 1]}; pass sort=True to sort them."
            )
        df = df.sort_index(kind="stable")
    _check_bars(df)
    return df
