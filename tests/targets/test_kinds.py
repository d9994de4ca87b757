"""Tests for tsattn.targets.kinds: target kinds and loss pairing."""

import pandas as pd
import pytest

from targets.helpers import ohlc
from tsattn.targets import (
    check_target_loss,
    make_targets,
)


def test_loss_pairing_rejects_a_volatility_under_qlike():
    prices = ohlc()["Close"]
    vol = make_targets(prices, kind="volatility", horizon=2)
    var = make_targets(prices, kind="realized_var", horizon=2)
    check_target_loss(var, "qlike")
    check_target_loss(vol, "mse")
    with pytest.raises(
        ValueError,
        match=r"loss 'qlike' scores kind 'realized_var', but column "
        r"'realized_vol_k2' is kind 'volatility' \(a standard deviation\)",
    ):
        check_target_loss(vol, "qlike")
    plain = pd.DataFrame({"log_return_h1": [0.1]})  # no metadata: read the names
    with pytest.raises(ValueError, match="'log_return_h1' is kind 'log_return'"):
        check_target_loss(plain, "qlike")
    with pytest.raises(ValueError, match="loss 'bce' scores kind 'direction'"):
        check_target_loss(var, "bce")
    check_target_loss(pd.DataFrame({"my_target": [1.0]}), "qlike")  # unknown: pass
