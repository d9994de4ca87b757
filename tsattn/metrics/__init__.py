"""Metrics of forecasts as arrays: point, interval, direction and variance.

Each function scores one pair of arrays. :func:`tsattn.evaluation.evaluate`
applies them to a backtest's results frame, group by group; it and the
names that configure it (:data:`METRICS`, :data:`TASK_METRICS`, ...) are
importable from here too.
"""

from tsattn._lazy import lazy_reexport
from tsattn.metrics.direction import (
    brier_score,
    calibration_table,
    direction_accuracy,
    direction_mcc,
    directional_accuracy,
    log_loss,
    roc_auc,
    sign_mcc,
    strategy_returns,
)
from tsattn.metrics.interval import coverage, interval_width, pinball_loss
from tsattn.metrics.point import mae, mape, mase, mse, naive_scale, rmse, smape
from tsattn.metrics.variance import mincer_zarnowitz, qlike, qlike_differential
from tsattn.stats import diebold_mariano

__all__ = [
    "brier_score",
    "calibration_table",
    "coverage",
    "diebold_mariano",
    "direction_accuracy",
    "direction_mcc",
    "directional_accuracy",
    "interval_width",
    "log_loss",
    "mae",
    "mape",
    "mase",
    "mincer_zarnowitz",
    "mse",
    "naive_scale",
    "pinball_loss",
    "qlike",
    "qlike_differential",
    "rmse",
    "roc_auc",
    "sign_mcc",
    "smape",
    "strategy_returns",
]


# Names of the frame-level evaluation, which builds on this module: provided
# on first use (module __getattr__, PEP 562) so that neither module imports
# the other at load time.
__getattr__, __dir__ = lazy_reexport(__name__, "tsattn.evaluation")
