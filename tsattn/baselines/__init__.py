"""Classical baselines, one module per family.

- :mod:`tsattn.baselines.naive`: random walk, seasonal naive, drift, mean;
- :mod:`tsattn.baselines.arima`: ARIMA with automatic order selection;
- :mod:`tsattn.baselines.exponential_smoothing`: ETS and Theta;
- :mod:`tsattn.baselines.variance`: volatility (variance) forecasts: EWMA,
  GARCH (on ``arch``) and HAR;
- :mod:`tsattn.baselines.direction`: base rate and logistic regression;
- :mod:`tsattn.baselines.returns`: zero, historical mean and AR returns.

The naive family, ARIMA, ETS, Theta and EWMA are forecasters of a series
(``fit(series)``, ``forecast()``, ``predict`` from every row). The task
baselines (GARCH, HAR, EWMA variance, base rate, logistic, zero, mean, AR) have the
supervised face of the attention estimator: ``fit(X, y)`` with ``y`` from
:func:`tsattn.make_targets`, ``predict(X)`` from every row with data up to
that row (see :mod:`tsattn.baselines._supervised`).

Every public name is re-exported here, so ``from tsattn.baselines import
NaiveForecaster`` works, and each class reports ``tsattn.baselines`` as its
module: pickles and reprs name the public path, not the file it lives in.
"""

from __future__ import annotations

from tsattn.baselines.arima import ARIMAForecaster
from tsattn.baselines.direction import BaseRateForecaster, LogisticDirectionForecaster
from tsattn.baselines.exponential_smoothing import ETSForecaster, ThetaForecaster
from tsattn.baselines.naive import (
    DriftForecaster,
    MeanForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
)
from tsattn.baselines.returns import (
    ARReturnForecaster,
    MeanReturnForecaster,
    ZeroReturnForecaster,
)
from tsattn.baselines.variance import (
    EWMAVarianceForecaster,
    EWMAVolatilityForecaster,
    GARCHForecaster,
    HARForecaster,
)

__all__ = [
    "ARIMAForecaster",
    "ARReturnForecaster",
    "BaseRateForecaster",
    "DriftForecaster",
    "ETSForecaster",
    "EWMAVarianceForecaster",
    "EWMAVolatilityForecaster",
    "GARCHForecaster",
    "HARForecaster",
    "LogisticDirectionForecaster",
    "MeanForecaster",
    "MeanReturnForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "ThetaForecaster",
    "ZeroReturnForecaster",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
