"""Classical baselines, one module per family.

- :mod:`tsattn.baselines.naive`: random walk, seasonal naive, drift, mean;
- :mod:`tsattn.baselines.statespace`: ARIMA, ETS and Theta on statsmodels;
- :mod:`tsattn.baselines.variance`: volatility (variance) forecasts.

Every public name is re-exported here, so ``from tsattn.baselines import
NaiveForecaster`` works, and each class reports ``tsattn.baselines`` as its
module: pickles and reprs name the public path, not the file it lives in.
"""

from __future__ import annotations

from tsattn.baselines.naive import (
    DriftForecaster,
    MeanForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
)
from tsattn.baselines.statespace import ARIMAForecaster, ETSForecaster, ThetaForecaster
from tsattn.baselines.variance import EWMAVolatilityForecaster

__all__ = [
    "ARIMAForecaster",
    "DriftForecaster",
    "ETSForecaster",
    "EWMAVolatilityForecaster",
    "MeanForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "ThetaForecaster",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
