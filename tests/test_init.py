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
    # In a fresh interpreter, so that no earlier import has bound a name.
    code = (
        "import tsattn; "
        "print([n for n in tsattn.__all__ "
        "if n != '__version__' and not callable(getattr(tsattn, n))])"
    )
    assert _fresh(code) == "[]"


def test_backtest_stays_the_function_after_its_modules_are_imported():
    # The modules that define backtest and backtest_tasks are imported first:
    # the public names must still be the functions (no submodule shares them).
    code = (
        "import tsattn.backtesting.series, tsattn.backtesting.tasks; "
        "import tsattn; from tsattn import backtest, backtest_tasks; "
        "from tsattn.backtesting.series import backtest as fn; "
        "from tsattn.backtesting.tasks import backtest_tasks as fn2; "
        "print(backtest is fn, backtest_tasks is fn2, tsattn.backtest is fn)"
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
