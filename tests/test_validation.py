"""Parameters kept as given, and the search for infinite values."""

from __future__ import annotations

import numpy as np
import pytest

from tsattn._validation import first_infinite, store_params


class _Estimator:
    def __init__(self, alpha: float = 1.0, *, window: int | None = None) -> None:
        store_params(self, locals())


def test_store_params_keeps_the_arguments_unchanged() -> None:
    given = [1, 2]
    est = _Estimator(alpha=given, window=3)
    assert est.alpha is given
    assert est.window == 3
    assert not hasattr(est, "self")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.array([[1.0, 2.0], [np.nan, 3.0]]), None),
        (np.array([[1.0, 2.0], [-np.inf, np.inf]]), (1, 0)),
        (np.array([[[0.0], [np.inf]]]), (0, 1, 0)),
    ],
)
def test_first_infinite_finds_the_first_infinite_value(values, expected) -> None:
    assert first_infinite(values) == expected
