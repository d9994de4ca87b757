"""Data, model list and helpers shared by the baseline tests."""

import warnings

import numpy as np
import pandas as pd

from tsattn.baselines import (
    ARIMAForecaster,
    DriftForecaster,
    ETSForecaster,
    EWMAVolatilityForecaster,
    MeanForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    ThetaForecaster,
)

Z90 = 1.6448536269514722  # norm.ppf(0.95)
H = 3


def series(n=96, m=4, seed=1):
    """Positive, trending, seasonal (period m) random-walk-like data."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    noise = np.cumsum(rng.normal(scale=0.5, size=n))
    return 50 + 0.05 * t + 2 * np.sin(2 * np.pi * t / m) + noise


def frame(n=96, columns=("a", "b")):
    data = {c: series(n, seed=i + 1) for i, c in enumerate(columns)}
    return pd.DataFrame(data, index=pd.date_range("2024-01-01", periods=n, freq="D"))


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def all_models():
    return [
        NaiveForecaster(horizon=H),
        SeasonalNaiveForecaster(season_length=4, horizon=H),
        DriftForecaster(horizon=H),
        MeanForecaster(horizon=H),
        MeanForecaster(window=10, horizon=H),
        ARIMAForecaster(order=(1, 1, 1), horizon=H),
        ETSForecaster(horizon=H),
        ETSForecaster(
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=4,
            horizon=H,
        ),
        ThetaForecaster(period=4, horizon=H),
        EWMAVolatilityForecaster(init_window=5, horizon=H),
    ]


MODELS = all_models()
IDS = [f"{type(m).__name__}-{i}" for i, m in enumerate(MODELS)]  # unique test ids


def point_forecast(est):
    return est.forecast()[est.columns_].to_numpy()


def ohlc(n=400, seed=0, vol=0.01):
    """Business-day OHLC prices with GARCH-like clustering of the daily range."""
    rng = np.random.default_rng(seed)
    sigma = vol * np.exp(np.cumsum(rng.normal(scale=0.05, size=n)) * 0.3)
    close = 100 * np.exp(np.cumsum(rng.normal(size=n) * sigma))
    open_ = close * np.exp(rng.normal(scale=0.3, size=n) * sigma)
    top = np.maximum(open_, close)
    bottom = np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(size=n)) * sigma * 0.5)
    low = bottom * np.exp(-np.abs(rng.normal(size=n)) * sigma * 0.5)
    index = pd.date_range("2020-01-01", periods=n, freq="B")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close}, index=index
    )
