"""Rolling-origin backtests: every model on the same folds, one tidy frame.

- :mod:`tsattn.backtesting.series`: :func:`backtest`, forecasters driven
  through ``forecast``/``update``/``predict`` on price (or any) series;
- :mod:`tsattn.backtesting.tasks`: :func:`backtest_tasks`, supervised models
  (``fit(X, y)``/``predict(X)``) on returns, direction and variance targets.
"""

from tsattn.backtesting.series import BacktestFailureWarning, backtest
from tsattn.backtesting.tasks import backtest_tasks, target_task, task_lookahead

__all__ = [
    "BacktestFailureWarning",
    "backtest",
    "backtest_tasks",
    "target_task",
    "task_lookahead",
]
