"""The attention estimators: a shared network base and its two faces.

- :mod:`tsattn.estimators._network`: :class:`NetworkForecaster`, the shared
  base (network, device, remembered tail, attention maps, pickling);
- :mod:`tsattn.estimators.forecaster`: :class:`AttentionForecaster` and
  :class:`SelfAttentionForecaster`, forecasting the columns of ``X``;
- :mod:`tsattn.estimators.multitask`: :class:`MultiTaskForecaster`, fitted on
  per-row targets ``fit(X, y)``.
"""

from tsattn.estimators.forecaster import AttentionForecaster, SelfAttentionForecaster
from tsattn.estimators.multitask import MultiTaskForecaster

# Kept for benchmarks/bench_predict.py; the function is
# tsattn.windows.ending.windows_ending_at_rows.
from tsattn.windows.ending import (  # noqa: F401
    windows_ending_at_rows as _windows_ending_at_rows,
)

__all__ = ["AttentionForecaster", "MultiTaskForecaster", "SelfAttentionForecaster"]
