import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from tsattn.datasets import make_stock_like
from tsattn.features import PriceFeatures


@pytest.fixture(scope="module")
def ohlcv() -> pd.DataFrame:
    return make_stock_like("garch", n_steps=200, random_state=3)


def _numpy_twin(frame: pd.DataFrame, floor: float) -> np.ndarray:
    """The four raw features written out with numpy, row 0 NaN where undefined."""
    c = frame["Close"].to_numpy()
    r = np.r_[np.nan, np.log(c[1:] / c[:-1])]
    park = np.log(frame["High"] / frame["Low"]).to_numpy() ** 2 / (4 * np.log(2))
    v = frame["Volume"].to_numpy(dtype=float)
    dv = np.r_[np.nan, np.log((1 + v[1:]) / (1 + v[:-1]))]
    return np.column_stack([r, np.log(r**2 + floor), np.log(park + floor), dv])


def test_raw_features_match_numpy(ohlcv):
    f = PriceFeatures(standardize=False).fit(ohlcv)
    c = ohlcv["Close"].to_numpy()
    assert f.floor_ == pytest.approx(0.01 * np.mean(np.diff(np.log(c)) ** 2))
    expected = _numpy_twin(ohlcv, f.floor_)
    out = f.transform(ohlcv)
    assert list(out.columns) == list(f.get_feature_names_out())
    assert out.index.equals(ohlcv.index)
    np.testing.assert_allclose(out.to_numpy()[1:], expected[1:], rtol=1e-9, atol=1e-14)
    # Row 0: the return-based features take their training means, never NaN.
    np.testing.assert_allclose(out.to_numpy()[0, [0, 1, 3]], f.mean_[[0, 1, 3]])
    assert out.to_numpy()[0, 2] == pytest.approx(expected[0, 2])


def test_standardised_features_use_training_moments(ohlcv):
    train, test = ohlcv.iloc[:120], ohlcv
    f = PriceFeatures().fit(train)
    raw = _numpy_twin(test, f.floor_)
    mean, sd = np.nanmean(raw[:120], axis=0), np.nanstd(raw[:120], axis=0)
    np.testing.assert_allclose(f.mean_, mean)
    np.testing.assert_allclose(f.scale_, sd)
    out = f.transform(test).to_numpy()
    np.testing.assert_allclose(out[1:], ((raw - mean) / sd)[1:], atol=1e-9)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:120].mean(axis=0), 0.0, atol=0.02)


def test_columns_follow_what_the_frame_holds(ohlcv):
    close_only = PriceFeatures().fit(ohlcv[["Close"]])
    assert close_only.get_feature_names_out().tolist() == [
        "log_return",
        "log_sq_return",
    ]
    no_extras = PriceFeatures(range_estimator=None, volume=False).fit(ohlcv)
    assert no_extras.get_feature_names_out().tolist() == [
        "log_return",
        "log_sq_return",
    ]
    series = PriceFeatures().fit_transform(ohlcv["Close"])
    np.testing.assert_allclose(
        series.to_numpy(), close_only.transform(ohlcv[["Close"]]).to_numpy()
    )


def test_a_zero_return_gives_a_finite_feature():
    prices = pd.DataFrame({"Close": [100.0, 100.0, 101.0, 101.0, 100.5]})
    out = PriceFeatures(standardize=False).fit_transform(prices)
    assert np.isfinite(out.to_numpy()).all()


@settings(max_examples=25, deadline=None)
@given(t=st.integers(5, 190), scale=st.floats(0.5, 2.0))
def test_changing_the_future_never_changes_a_row(t, scale):
    frame = make_stock_like("garch", n_steps=200, random_state=1)
    f = PriceFeatures().fit(frame.iloc[:100])
    before = f.transform(frame).to_numpy()
    changed = frame.astype(float)
    cols = ["Open", "High", "Low", "Close", "Volume"]
    changed.iloc[t + 1 :, [changed.columns.get_loc(c) for c in cols]] *= scale
    after = f.transform(changed).to_numpy()
    np.testing.assert_array_equal(before[: t + 1], after[: t + 1])


def test_fitted_on_part_transform_of_a_prefix_is_the_same(ohlcv):
    f = PriceFeatures().fit(ohlcv.iloc[:100])
    whole = f.transform(ohlcv).to_numpy()
    part = f.transform(ohlcv.iloc[:150]).to_numpy()
    np.testing.assert_array_equal(whole[:150], part)
    assert clone(f).get_params() == f.get_params()


@pytest.mark.parametrize(
    ("frame", "params", "match"),
    [
        (pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0]}), {}, "which column"),
        (pd.DataFrame({"Close": [1.0]}), {}, "at least 2 rows"),
        (pd.DataFrame({"Close": [1.0, -2.0, 3.0]}), {}, r"row 1 holds -2\.0"),
        (pd.DataFrame({"Close": [1.0, np.nan, 3.0]}), {}, "finite Close"),
        (pd.DataFrame({"Close": [1.0, 2.0]}), {"range_estimator": "gk"}, "'gk'"),
    ],
)
def test_bad_input_gets_a_clear_error(frame, params, match):
    with pytest.raises(ValueError, match=match):
        PriceFeatures(**params).fit(frame)


def test_transform_needs_the_fitted_columns(ohlcv):
    f = PriceFeatures().fit(ohlcv)
    with pytest.raises(ValueError, match="lacks the column 'High'"):
        f.transform(ohlcv.drop(columns=["High"]))
