"""Data shared by the estimator tests."""

from __future__ import annotations

import pandas as pd
import pytest

from tsattn.datasets import make_stock_like


@pytest.fixture(scope="session")
def prices() -> pd.DataFrame:
    """400 business days of a simulated stock (OHLCV), seed 1."""
    return make_stock_like("gbm", n_steps=400, random_state=1)
