"""The six-row price series shared by the target tests."""

from math import log

import numpy as np
import pandas as pd

NAN = float("nan")
P = [100.0, 102.0, 101.0, 105.0, 105.0, 103.0]
IDX = pd.bdate_range("2024-01-01", periods=6)  # Mon 1 .. Mon 8 January


def L(a, b):
    return log(a / b)


def ohlc(n=30, seed=0):
    """A random OHLC frame on business days: open and close inside the range."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(scale=0.01, size=n)))
    open_ = close * np.exp(rng.normal(scale=0.003, size=n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(scale=0.004, size=n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(scale=0.004, size=n)))
    index = pd.date_range("2024-01-01", periods=n, freq="B")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close}, index=index
    )
