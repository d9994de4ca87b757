"""Names of one module provided by another on first use (PEP 562)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_reexport(
    module: str, source: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` that offer ``source``'s names.

    ``module`` then provides every name in ``source.__all__``, importing
    ``source`` on the first lookup, so that ``source`` may import ``module``
    without an import cycle at load time.

    Parameters
    ----------
    module : str
        The module that re-exports (its ``__name__``).
    source : str
        The module whose public names it re-exports.

    Returns
    -------
    getattr, dir : callable
        To bind as ``__getattr__`` and ``__dir__`` of ``module``.
    """

    def __getattr__(name: str) -> Any:
        # The import system probes dunder names (``__path__``...): never
        # load ``source`` for them.
        origin = None if name.startswith("__") else importlib.import_module(source)
        if origin is None or name not in origin.__all__:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return getattr(origin, name)

    def __dir__() -> list[str]:
        origin = importlib.import_module(source)
        return sorted({*vars(sys.modules[module]), *origin.__all__})

    return __getattr__, __dir__
