"""Temporal multi-head attention forecasting for stock-like series."""

__version__ = "0.1.0"


class TsattnWarning(UserWarning):
    """Warning category for recoverable problems detected by tsattn."""


__all__ = ["TsattnWarning", "__version__"]
