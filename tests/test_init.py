"""The package's public names."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tsattn


def test_public_names_resolve_to_callables():
    for name in tsattn.__all__:
        if name == "__version__":
            continue
        assert callable(getattr(tsattn, name)), name


def test_backtest_stays_the_function_after_its_module_is_imported():
    import tsattn.backtest as _  # noqa: F401  (the import is the point)
    from tsattn.backtest import backtest

    assert tsattn.backtest is backtest


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = tsattn.nope


def test_import_is_light():
    code = (
        "import sys, tsattn; "
        "heavy = [m for m in ('torch', 'statsmodels', 'sklearn') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
