"""The package's public names."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import tsattn


def _fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter; return what it printed."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_public_names_resolve_to_callables():
    # In a fresh interpreter: importing the module tsattn.backtest before the
    # first lookup of the function tsattn.backtest rebinds the name to the
    # module (the import system sets it), which other tests here do.
    code = (
        "import tsattn; "
        "print([n for n in tsattn.__all__ "
        "if n != '__version__' and not callable(getattr(tsattn, n))])"
    )
    assert _fresh(code) == "[]"


def test_backtest_is_the_function_and_stays_it_after_its_module_is_imported():
    code = (
        "import tsattn; from tsattn import backtest; "
        "import tsattn.backtest; from tsattn.backtest import backtest as fn; "
        "from tsattn import backtest as again; "
        "print(backtest is fn, again is fn, tsattn.backtest is fn)"
    )
    assert _fresh(code) == "True True True"


def test_no_module_class_swap():
    assert type(tsattn) is types.ModuleType


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = tsattn.nope


def test_import_is_light():
    code = (
        "import sys, tsattn; "
        "print([m for m in ('torch', 'statsmodels', 'sklearn') if m in sys.modules])"
    )
    assert _fresh(code) == "[]"
