"""Fixtures of the target tests."""

import pandas as pd
import pytest

from targets.helpers import IDX, P


@pytest.fixture
def prices():
    return pd.Series(P, index=IDX, name="Close")
