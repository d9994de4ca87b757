"""Tests for tsattn.targets.to_prices: forecasts back to prices."""

import re
from math import log

import numpy as np
import pytest

from targets.helpers import NAN
from tsattn.targets import (
    cum_log_returns_to_prices,
    make_targets,
    returns_to_prices,
    target_to_prices,
)

# ---------------------------------------------------------------------------
# back to prices
# ---------------------------------------------------------------------------


def _complete(y, prices, horizon):
    """Rows with a full future: last prices, targets and the realised path."""
    n = len(prices) - horizon
    p = prices.to_numpy()
    path = np.stack([p[k : k + n] for k in range(1, horizon + 1)], axis=1)
    return p[:n], y.to_numpy()[:n], path


@pytest.mark.parametrize("horizon", [1, 3])
def test_returns_to_prices_inverts_log_return(prices, horizon):
    y = make_targets(prices, kind="log_return", horizon=horizon)
    last, r, path = _complete(y, prices, horizon)
    np.testing.assert_allclose(returns_to_prices(last, r), path, rtol=1e-12)
    # one path at a time, scalar last price
    np.testing.assert_allclose(returns_to_prices(last[0], r[0]), path[0], rtol=1e-12)


def test_cum_log_returns_to_prices_inverts_cum_log_return(prices):
    y = make_targets(prices, kind="cum_log_return", horizon=3)
    last, c, path = _complete(y, prices, 3)
    np.testing.assert_allclose(cum_log_returns_to_prices(last, c), path, rtol=1e-12)


@pytest.mark.parametrize(
    "kind", ["log_return", "cum_log_return", "return", "cum_return", "level"]
)
def test_target_to_prices_inverts_every_price_kind(prices, kind):
    y = make_targets(prices, kind=kind, horizon=2)
    last, v, path = _complete(y, prices, 2)
    np.testing.assert_allclose(target_to_prices(last, v, kind), path, rtol=1e-12)


def test_returns_to_prices_propagates_nan():
    out = returns_to_prices(100.0, [log(1.1), NAN, 0.0])
    np.testing.assert_allclose(out, [110.0, NAN, NAN])


def test_back_to_prices_errors():
    with pytest.raises(
        ValueError, match=re.escape("last_price must be finite and > 0")
    ):
        returns_to_prices(0.0, [0.1])
    with pytest.raises(
        ValueError, match=re.escape("last_price must be finite and > 0")
    ):
        cum_log_returns_to_prices(np.nan, [0.1])
    with pytest.raises(ValueError, match=re.escape("last_price must be finite;")):
        target_to_prices(np.inf, [0.1], "return")
    with pytest.raises(ValueError, match=re.escape("last_price must have shape (3,)")):
        returns_to_prices([1.0, 2.0], np.zeros((3, 2)))
    with pytest.raises(ValueError, match=re.escape("got a scalar")):
        returns_to_prices(1.0, 0.1)
    with pytest.raises(ValueError, match=re.escape("'direction' does not describe")):
        target_to_prices(1.0, [1.0], "direction")
    with pytest.raises(ValueError, match=re.escape("Did you mean 'log_return'?")):
        target_to_prices(1.0, [1.0], "log_retrun")
