"""Statistical models on statsmodels, under the path they first had.

:class:`ARIMAForecaster` lives in :mod:`tsattn.baselines.arima`;
:class:`ETSForecaster` and :class:`ThetaForecaster` in
:mod:`tsattn.baselines.exponential_smoothing`.
"""

from __future__ import annotations

from tsattn.baselines.arima import ARIMAForecaster
from tsattn.baselines.exponential_smoothing import ETSForecaster, ThetaForecaster

__all__ = ["ARIMAForecaster", "ETSForecaster", "ThetaForecaster"]
