"""Former home of the training loop, now :mod:`tsattn.fitting.loop`.

Kept so that ``from tsattn.training import ...`` in existing code and scripts
keeps working; import from :mod:`tsattn.fitting.loop` instead.
"""

from tsattn.fitting.loop import (
    TrainResult,
    fit_module,
    predict_module,
    resolve_device,
    split_targets_by_columns,
    torch_threads,
)

__all__ = [
    "TrainResult",
    "fit_module",
    "predict_module",
    "resolve_device",
    "split_targets_by_columns",
    "torch_threads",
]
