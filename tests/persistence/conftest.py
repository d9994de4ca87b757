"""Fitted models and their files, fitted once for the persistence tests."""

import pytest

from persistence.helpers import N_FIT, tiny
from tsattn.datasets import make_stock_like
from tsattn.estimators import AttentionForecaster, SelfAttentionForecaster
from tsattn.persistence import save
from tsattn.targets import make_targets


@pytest.fixture(scope="package")
def bars():
    # 240 rows: the models see the first N_FIT, update() feeds the rest.
    return make_stock_like("gbm", n_steps=N_FIT + 40, random_state=0)


@pytest.fixture(scope="package", params=[AttentionForecaster, SelfAttentionForecaster])
def forecaster(request, bars):
    """Forecasting mode with quantiles."""
    model = tiny(request.param, quantiles=(0.1, 0.9))
    return model.fit(bars[["Close"]].iloc[:N_FIT])


@pytest.fixture(scope="package")
def supervised_data(bars):
    y = make_targets(bars[["Close"]], kind=["log_return", "direction"], horizon=2)
    return bars[["Close", "Volume"]], y


@pytest.fixture(scope="package", params=[AttentionForecaster, SelfAttentionForecaster])
def supervised(request, supervised_data):
    """Supervised mode, multi-task, bce direction heads, one head per task."""
    X, y = supervised_data
    tasks = {"up_h1": "bce", "up_h2": {"loss": "bce", "weight": 0.5}}
    model = tiny(request.param, tasks=tasks, output_head="multi", horizon=2)
    return model.fit(X.iloc[:N_FIT], y.iloc[:N_FIT])


@pytest.fixture
def saved(forecaster, tmp_path):
    return save(forecaster, tmp_path / "model.safetensors")


@pytest.fixture(scope="package")
def one_model(bars):
    """A single model for the error tests (they need no second class)."""
    return tiny(AttentionForecaster).fit(bars[["Close"]].iloc[:80])


@pytest.fixture
def one_file(one_model, tmp_path):
    return save(one_model, tmp_path / "one.safetensors")
