"""The package's public names."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import tsattn


def test_public_names_resolve_to_callables():
    for name in tsattn.__all__:
        if name == "__version__":
            continue
        assert callable(getattr(tsattn, name)), name


def test_backtest_is_the_function_and_stays_it_after_its_module_is_imported():
    code = (
        "import tsattn; from tsattn import backtest; "
        "import tsattn.backtest; from tsattn.backtest import backtest as fn; "
        "from tsattn import backtest as again; "
        "print(backtest is fn, again is fn, tsattn.backtest is fn)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True True True"


def test_no_module_class_swap():
    assert type(tsattn) is types.ModuleType


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
