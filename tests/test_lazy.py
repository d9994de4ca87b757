"""Tests for tsattn._lazy: names of one module offered by another."""

import pytest

from tsattn._lazy import lazy_reexport


def test_lazy_reexport_offers_the_source_public_names_only():
    from tsattn import evaluation

    getattr_, dir_ = lazy_reexport("tsattn.metrics", "tsattn.evaluation")
    assert getattr_("evaluate") is evaluation.evaluate
    assert set(evaluation.__all__) <= set(dir_())
    assert "mae" in dir_()  # the module's own names stay listed
    for name in ("_group_metrics", "__path__", "nothing"):
        with pytest.raises(AttributeError, match=f"'tsattn.metrics' has no .*{name}"):
            getattr_(name)
