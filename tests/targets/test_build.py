"""Tests for tsattn.targets.build: make_targets and TargetMaker."""

import pickle
import re
from math import log, sqrt

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from targets.helpers import IDX, NAN, L, P
from tsattn import TsattnWarning
from tsattn.targets import (
    TARGET_KINDS,
    TargetMaker,
    make_targets,
)

# ---------------------------------------------------------------------------
# hand-computed values, one test per kind, on the 6-row series
# ---------------------------------------------------------------------------

HAND = {
    "log_return": {
        "log_return_h1": [L(102, 100), L(101, 102), L(105, 101), 0.0, L(103, 105), NAN],
        "log_return_h2": [L(101, 102), L(105, 101), 0.0, L(103, 105), NAN, NAN],
    },
    "cum_log_return": {
        "cum_log_return_h1": [
            L(102, 100),
            L(101, 102),
            L(105, 101),
            0.0,
            L(103, 105),
            NAN,
        ],
        "cum_log_return_h2": [
            L(101, 100),
            L(105, 102),
            L(105, 101),
            L(103, 105),
            NAN,
            NAN,
        ],
    },
    "return": {
        "return_h1": [0.02, 101 / 102 - 1, 105 / 101 - 1, 0.0, 103 / 105 - 1, NAN],
        "return_h2": [101 / 102 - 1, 105 / 101 - 1, 0.0, 103 / 105 - 1, NAN, NAN],
    },
    "cum_return": {
        "cum_return_h1": [0.02, 101 / 102 - 1, 105 / 101 - 1, 0.0, 103 / 105 - 1, NAN],
        "cum_return_h2": [0.01, 105 / 102 - 1, 105 / 101 - 1, 103 / 105 - 1, NAN, NAN],
    },
    "level": {
        "level_h1": [102.0, 101.0, 105.0, 105.0, 103.0, NAN],
        "level_h2": [101.0, 105.0, 105.0, 103.0, NAN, NAN],
    },
    # up_hk compares P[t+k] with P[t]; the tie 105 -> 105 counts as 0
    "direction": {
        "up_h1": [1.0, 0.0, 1.0, 0.0, 0.0, NAN],
        "up_h2": [1.0, 1.0, 1.0, 0.0, NAN, NAN],
    },
    "volatility": {
        "realized_vol_k2": [
            sqrt(L(102, 100) ** 2 + L(101, 102) ** 2),
            sqrt(L(101, 102) ** 2 + L(105, 101) ** 2),
            abs(L(105, 101)),
            abs(L(103, 105)),
            NAN,
            NAN,
        ]
    },
}


@pytest.mark.parametrize("kind", list(HAND))
def test_hand_computed_values(prices, kind):
    y = make_targets(prices, kind=kind, horizon=2)
    expected = pd.DataFrame(HAND[kind], index=IDX)
    assert list(y.columns) == list(expected.columns)
    assert y.index.equals(IDX)
    assert (y.dtypes == np.float64).all()
    np.testing.assert_allclose(y.to_numpy(), expected.to_numpy(), rtol=1e-13)


def test_volatility_window_independent_of_horizon(prices):
    a, b, c, d = L(102, 100), L(101, 102), L(105, 101), L(103, 105)
    y = make_targets(prices, kind="volatility", horizon=1, vol_window=3)
    assert list(y.columns) == ["realized_vol_k3"]
    expected = [sqrt(a * a + b * b + c * c), sqrt(b * b + c * c), sqrt(c * c + d * d)]
    np.testing.assert_allclose(y["realized_vol_k3"], expected + [NAN] * 3, rtol=1e-13)


def test_list_of_kinds_concatenates_in_order_and_records_metadata(prices):
    kinds = ["level", "log_return", "volatility", "direction"]
    y = make_targets(prices, kind=kinds, horizon=2, vol_window=3)
    assert list(y.columns) == [
        "level_h1",
        "level_h2",
        "log_return_h1",
        "log_return_h2",
        "realized_vol_k3",
        "up_h1",
        "up_h2",
    ]
    for kind in ["level", "log_return", "direction"]:
        single = make_targets(prices, kind=kind, horizon=2)
        pd.testing.assert_frame_equal(y[list(single.columns)], single)
    meta = y.attrs["tsattn_targets"]
    assert meta == {
        "kind": kinds,
        "horizon": 2,
        "vol_window": 3,
        "price_col": "Close",
        "dropna": False,
        "variance_estimator": "close",
        "columns": {
            "level_h1": ("level", 1),
            "level_h2": ("level", 2),
            "log_return_h1": ("log_return", 1),
            "log_return_h2": ("log_return", 2),
            "realized_vol_k3": ("volatility", 3),
            "up_h1": ("direction", 1),
            "up_h2": ("direction", 2),
        },
    }


def test_cum_log_return_is_running_sum_of_log_returns(prices):
    y = make_targets(prices, kind=["log_return", "cum_log_return"], horizon=4)
    steps = y[[f"log_return_h{k}" for k in range(1, 5)]].to_numpy()
    cum = y[[f"cum_log_return_h{k}" for k in range(1, 5)]].to_numpy()
    np.testing.assert_allclose(np.cumsum(steps, axis=1), cum, rtol=1e-12, atol=1e-15)


def test_direction_is_next_step_up_for_h1_and_matches_cum_sign(prices):
    y = make_targets(prices, kind=["direction", "cum_log_return"], horizon=3)
    for k in (1, 2, 3):
        known = y[f"cum_log_return_h{k}"].notna()
        expected = (y.loc[known, f"cum_log_return_h{k}"] > 0).astype(float)
        pd.testing.assert_series_equal(
            y.loc[known, f"up_h{k}"], expected, check_names=False
        )
        assert y.loc[~known, f"up_h{k}"].isna().all()


# ---------------------------------------------------------------------------
# tail rows and dropna
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("horizon", [1, 2, 5])
def test_tail_rows_are_nan_and_kept(prices, horizon):
    y = make_targets(prices, kind=["log_return", "level", "direction"], horizon=horizon)
    assert y.index.equals(prices.index)
    steps = np.arange(1, horizon + 1)
    for k in steps:
        for prefix in ("log_return_h", "level_h", "up_h"):
            col = y[f"{prefix}{k}"].to_numpy()
            # NaN exactly where t + k is past the end
            np.testing.assert_array_equal(np.isnan(col), np.arange(6) + k > 5)


def test_tail_follows_the_longest_lookahead(prices):
    y = make_targets(prices, kind=["log_return", "volatility"], horizon=1, vol_window=3)
    assert y.iloc[:3].notna().all().all()
    assert y["log_return_h1"].iloc[3:5].notna().all()
    assert y["realized_vol_k3"].iloc[3:].isna().all()
    assert np.isnan(y["log_return_h1"].iloc[5])


@pytest.mark.parametrize(
    ("kind", "horizon", "vol_window", "tail"),
    [
        ("log_return", 1, None, 1),
        (["level", "direction"], 3, None, 3),
        (["log_return", "volatility"], 1, 4, 4),
        (["volatility", "level"], 4, 2, 4),
    ],
)
def test_dropna_drops_exactly_the_tail(prices, kind, horizon, vol_window, tail):
    kw = {"kind": kind, "horizon": horizon, "vol_window": vol_window}
    full = make_targets(prices, **kw)
    dropped = make_targets(prices, **kw, dropna=True)
    assert len(dropped) == 6 - tail
    assert dropped.index.equals(IDX[: 6 - tail])
    pd.testing.assert_frame_equal(dropped, full.iloc[: 6 - tail], check_flags=False)
    pd.testing.assert_frame_equal(dropped, full.dropna())
    assert dropped.attrs["tsattn_targets"]["dropna"] is True


def test_series_no_longer_than_horizon_warns_and_dropna_raises():
    p = pd.Series([1.0, 2.0])
    with pytest.warns(TsattnWarning, match=re.escape("No row has a complete target")):
        y = make_targets(p, horizon=2)
    assert len(y) == 2
    assert y.isna().any(axis=1).all()
    assert y["log_return_h1"].iloc[0] == log(2.0)
    with pytest.raises(ValueError, match=re.escape("dropna=True would drop every row")):
        make_targets(p, horizon=2, dropna=True)


# ---------------------------------------------------------------------------
# no look-ahead (property)
# ---------------------------------------------------------------------------

positive = st.floats(0.01, 1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_row_t_uses_only_prices_t_to_t_plus_lookahead(data):
    horizon = data.draw(st.integers(1, 4), label="horizon")
    vol_window = data.draw(st.integers(1, 4), label="vol_window")
    lookahead = max(horizon, vol_window)
    n = data.draw(st.integers(lookahead + 1, 25), label="n")
    p = data.draw(hnp.arrays(np.float64, n, elements=positive), label="prices")
    t = data.draw(st.integers(0, n - 1), label="t")
    kw = {"kind": list(TARGET_KINDS), "horizon": horizon, "vol_window": vol_window}
    full = make_targets(p, **kw).to_numpy()

    # changing every price after t + lookahead never changes rows 0..t
    later = data.draw(
        hnp.arrays(np.float64, max(n - (t + lookahead + 1), 0), elements=positive),
        label="later prices",
    )
    changed = p.copy()
    changed[t + lookahead + 1 :] = later
    np.testing.assert_array_equal(
        make_targets(changed, **kw).to_numpy()[: t + 1], full[: t + 1]
    )

    # row t is a function of prices[: t + lookahead + 1] (and in fact of P[t:])
    prefix = make_targets(p[: t + lookahead + 1], **kw).to_numpy()
    np.testing.assert_array_equal(prefix[: t + 1], full[: t + 1])
    if t + lookahead < n:
        window = make_targets(p[t : t + lookahead + 1], **kw).to_numpy()
        np.testing.assert_array_equal(window[0], full[t])


def test_targets_do_change_with_the_future(prices):
    # guards the property test: P[3] must move every step-1 target of row 2,
    # every step-2 target of row 1, and nothing in row 0
    changed = prices.copy()
    changed.iloc[3] = 99.0
    a = make_targets(prices, kind=list(TARGET_KINDS), horizon=2)
    b = make_targets(changed, kind=list(TARGET_KINDS), horizon=2)
    h1 = [c for c in a.columns if c.endswith("_h1")] + ["realized_vol_k2"]
    h2 = [c for c in a.columns if c.endswith("_h2")] + ["realized_vol_k2"]
    assert len(h1) == len(h2) == 7
    assert (a.iloc[2][h1] != b.iloc[2][h1]).all()
    assert (a.iloc[1][h2] != b.iloc[1][h2]).all()
    pd.testing.assert_frame_equal(a.iloc[:1], b.iloc[:1])


# ---------------------------------------------------------------------------
# bad input: every error message
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"kind": "log_returns"}, ValueError, "Did you mean 'log_return'?"),
        ({"kind": "volatilty"}, ValueError, "Did you mean 'volatility'?"),
        ({"kind": "xyz"}, ValueError, "Unknown target kind 'xyz'. Valid kinds"),
        ({"kind": []}, ValueError, "kind is an empty list"),
        (
            {"kind": ["level", "level"]},
            ValueError,
            "kind lists ['level'] more than once",
        ),
        ({"kind": 3}, TypeError, "kind must be a string or a list of strings"),
        ({"kind": ["level", 1]}, TypeError, "every kind must be a string; got int (1)"),
        ({"horizon": 0}, ValueError, "horizon must be an int >= 1. Got 0."),
        ({"horizon": -2}, ValueError, "horizon must be an int >= 1. Got -2."),
        ({"horizon": 1.5}, TypeError, "horizon must be an int >= 1. Got 1.5."),
        ({"horizon": True}, TypeError, "horizon must be an int >= 1. Got True."),
        (
            {"kind": "volatility", "vol_window": 0},
            ValueError,
            "vol_window must be an int >= 1. Got 0.",
        ),
        ({"dropna": "yes"}, TypeError, "dropna must be True or False; got 'yes'"),
        ({"price_col": "Clsoe"}, ValueError, "price_col='Clsoe' is not a column"),
    ],
)
def test_parameter_errors(prices, kwargs, exc, match):
    df = pd.DataFrame({"Open": prices, "Close": prices})
    with pytest.raises(exc, match=re.escape(match)):
        make_targets(df, **kwargs)


def test_numpy_integer_horizon_accepted(prices):
    y = make_targets(prices, horizon=np.int64(2))
    assert y.attrs["tsattn_targets"]["horizon"] == 2
    assert type(y.attrs["tsattn_targets"]["horizon"]) is int


def test_vol_window_without_volatility_warns(prices):
    with pytest.warns(TsattnWarning, match=re.escape("vol_window=3 is only used by")):
        y = make_targets(prices, kind="log_return", vol_window=3)
    assert list(y.columns) == ["log_return_h1"]


# ---------------------------------------------------------------------------
# scikit-learn transformer
# ---------------------------------------------------------------------------


def test_transformer_params_clone_and_pickle(prices):
    tm = TargetMaker(kind=["level", "volatility"], horizon=2, vol_window=3)
    assert tm.get_params() == {
        "kind": ["level", "volatility"],
        "horizon": 2,
        "vol_window": 3,
        "price_col": None,
        "dropna": False,
        "variance_estimator": "close",
    }
    c = clone(tm)
    assert c.get_params() == tm.get_params()
    assert not hasattr(c, "kinds_")
    c.set_params(horizon=1, dropna=True)
    assert (c.horizon, c.dropna) == (1, True)
    fitted = pickle.loads(pickle.dumps(tm.fit(prices)))
    pd.testing.assert_frame_equal(fitted.transform(prices), tm.transform(prices))


def test_transformer_matches_make_targets_and_names(prices):
    df = pd.DataFrame({"Open": prices * 0.99, "Close": prices})
    kw = {"kind": ["log_return", "direction"], "horizon": 3}
    tm = TargetMaker(**kw).fit(df)
    assert tm.price_col_ == "Close"
    assert tm.n_features_in_ == 2
    np.testing.assert_array_equal(tm.feature_names_in_, ["Open", "Close"])
    y = tm.transform(df)
    pd.testing.assert_frame_equal(y, make_targets(df, **kw))
    assert y.attrs == make_targets(df, **kw).attrs
    names = tm.get_feature_names_out()
    assert names.dtype == object
    assert list(names) == list(y.columns)
    assert list(tm.get_feature_names_out(["Open", "Close"])) == list(names)
    with pytest.raises(ValueError, match=re.escape("input_features ['a', 'b'] differ")):
        tm.get_feature_names_out(["a", "b"])


def test_transformer_inside_pipeline(prices):
    gappy = prices.to_frame()
    gappy.iloc[2, 0] = np.nan
    pipe = Pipeline(
        [
            ("fill", FunctionTransformer(lambda df: df.ffill())),
            ("targets", TargetMaker(kind=["cum_log_return", "level"], horizon=2)),
        ]
    )
    y = pipe.fit_transform(gappy)
    pd.testing.assert_frame_equal(
        y, make_targets(gappy.ffill(), kind=["cum_log_return", "level"], horizon=2)
    )
    assert pipe.get_params()["targets__horizon"] == 2
    pipe.set_params(targets__horizon=1, targets__kind="level", targets__dropna=True)
    y1 = pipe.fit(gappy).transform(gappy)
    assert list(y1.columns) == ["level_h1"]
    np.testing.assert_array_equal(y1["level_h1"], [102.0, 102.0, 105.0, 105.0, 103.0])
    assert clone(pipe).get_params()["targets__kind"] == "level"


def test_transformer_set_output_pandas_keeps_metadata(prices):
    tm = TargetMaker(kind="level", horizon=2).set_output(transform="pandas")
    y = tm.fit_transform(prices)
    assert list(y.columns) == ["level_h1", "level_h2"]
    assert y.index.equals(IDX)
    assert y.attrs["tsattn_targets"]["kind"] == ["level"]


def test_transformer_array_input():
    tm = TargetMaker(kind="level").fit(np.array(P))
    assert tm.price_col_ is None
    assert tm.n_features_in_ == 1
    assert not hasattr(tm, "feature_names_in_")
    np.testing.assert_array_equal(tm.transform(P)["level_h1"], [*P[1:], NAN])


def test_transformer_errors(prices):
    tm = TargetMaker(horizon=0)  # __init__ only stores
    assert tm.horizon == 0
    with pytest.raises(ValueError, match=re.escape("horizon must be an int >= 1")):
        tm.fit(prices)
    with pytest.raises(NotFittedError):
        TargetMaker().transform(prices)
    with pytest.raises(NotFittedError):
        TargetMaker().get_feature_names_out()
    with pytest.raises(ValueError, match=re.escape("Did you mean 'level'?")):
        TargetMaker(kind="levle").fit(prices)
    bad = prices.copy()
    bad.iloc[1] = -1.0
    with pytest.raises(ValueError, match=re.escape("at 2024-01-02 00:00:00 (row 1)")):
        TargetMaker().fit(bad)
    fitted = TargetMaker(price_col="mid").fit(prices.rename("mid").to_frame())
    with pytest.raises(
        ValueError,
        match=re.escape("X has no column 'mid', the price column seen in fit"),
    ):
        fitted.transform(prices.to_frame())
