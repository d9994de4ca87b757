"""Forecasting targets from prices, and forecasts of them back to prices.

- :mod:`~tsattn.targets.build`: :func:`make_targets` and :class:`TargetMaker`;
- :mod:`~tsattn.targets.kinds`: the kinds, their columns, loss pairing;
- :mod:`~tsattn.targets.realized`: per-row variance (close or range-based);
- :mod:`~tsattn.targets.to_prices`: forecasts of return kinds back to prices;
- :mod:`~tsattn.targets.inputs`: how prices are read and checked.
"""

from tsattn.targets.build import TargetKind, TargetMaker, make_targets
from tsattn.targets.kinds import TARGET_KINDS, check_target_loss, target_kinds
from tsattn.targets.realized import VARIANCE_ESTIMATORS, range_variance, row_variance
from tsattn.targets.to_prices import (
    cum_log_returns_to_prices,
    returns_to_prices,
    target_to_prices,
)

__all__ = [
    "TARGET_KINDS",
    "VARIANCE_ESTIMATORS",
    "TargetKind",
    "TargetMaker",
    "check_target_loss",
    "cum_log_returns_to_prices",
    "make_targets",
    "range_variance",
    "returns_to_prices",
    "row_variance",
    "target_kinds",
    "target_to_prices",
]
