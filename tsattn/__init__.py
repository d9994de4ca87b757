"""Temporal multi-head attention forecasting for stock-like series."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


class TsattnWarning(UserWarning):
    """Warning category for recoverable problems detected by tsattn."""


# Public names and the module that defines each, imported on first use
# (module __getattr__, PEP 562) so that ``import tsattn`` stays light (torch
# and statsmodels are heavy). The first lookup binds the name here. No public
# function shares its name with a submodule, so importing a submodule never
# rebinds one.
_LAZY = {
    "AttentionForecaster": "tsattn.estimators",
    "SelfAttentionForecaster": "tsattn.estimators",
    "MultiTaskForecaster": "tsattn.estimators",
    "NaiveForecaster": "tsattn.baselines",
    "SeasonalNaiveForecaster": "tsattn.baselines",
    "DriftForecaster": "tsattn.baselines",
    "MeanForecaster": "tsattn.baselines",
    "ARIMAForecaster": "tsattn.baselines",
    "ETSForecaster": "tsattn.baselines",
    "ThetaForecaster": "tsattn.baselines",
    "EWMAVolatilityForecaster": "tsattn.baselines",
    "GARCHForecaster": "tsattn.baselines",
    "EWMAVarianceForecaster": "tsattn.baselines",
    "HARForecaster": "tsattn.baselines",
    "BaseRateForecaster": "tsattn.baselines",
    "LogisticDirectionForecaster": "tsattn.baselines",
    "ZeroReturnForecaster": "tsattn.baselines",
    "MeanReturnForecaster": "tsattn.baselines",
    "ARReturnForecaster": "tsattn.baselines",
    "backtest": "tsattn.backtesting",
    "backtest_tasks": "tsattn.backtesting",
    "BacktestFailureWarning": "tsattn.backtesting",
    "PriceFeatures": "tsattn.features",
    "diebold_mariano": "tsattn.stats",
    "BacktestSplitter": "tsattn.splitters",
    "evaluate": "tsattn.evaluation",
    "make_targets": "tsattn.targets",
    "TargetMaker": "tsattn.targets",
    "check_target_loss": "tsattn.targets",
    "load": "tsattn.persistence",
    "save": "tsattn.persistence",
    "render_report": "tsattn.report",
    "save_report": "tsattn.report",
    "load_exchange_rate": "tsattn.datasets",
    "make_stock_like": "tsattn.datasets",
    "load_ohlcv_csv": "tsattn.datasets",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tsattn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["TsattnWarning", "__version__", *_LAZY]
