"""The input layer: user data -> canonical arrays, time index, frequency, future index.

- :mod:`tsattn.data.history`: :func:`as_history` (the one conversion and
  range check of ``fit``/``update``/``predict`` data), :func:`infer_freq`,
  :func:`future_index`, :func:`continuation_problem`;
- :mod:`tsattn.data.panel`: :func:`to_panel` and :class:`Panel`, several
  series stacked for windowing.
"""

from tsattn.data.history import (
    as_frame,
    as_history,
    check_range,
    continuation_problem,
    future_index,
    infer_freq,
)
from tsattn.data.panel import Panel, to_panel

__all__ = [
    "Panel",
    "as_frame",
    "as_history",
    "check_range",
    "continuation_problem",
    "future_index",
    "infer_freq",
    "to_panel",
]
