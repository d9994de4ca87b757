import re

import numpy as np
import pandas as pd
import pytest

from tsattn.data import to_panel
from tsattn.datasets import make_stock_like, stock_like_oracle

KINDS = ["gbm", "garch", "regime", "jump", "ar1"]


@pytest.mark.parametrize("kind", KINDS)
def test_ohlcv_shape_and_consistency(kind):
    df = make_stock_like(kind, n_steps=500, random_state=3)
    assert list(df.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert len(df) == 500
    assert df.index.name == "date"
    assert df.index.freqstr == "B"
    assert (df.index.day_of_week < 5).all()
    assert df.index[0] == pd.Timestamp("2015-01-02")
    assert (df["High"] >= df[["Open", "Close"]].max(axis=1)).all()
    assert (df["Low"] <= df[["Open", "Close"]].min(axis=1)).all()
    assert (df[["Open", "High", "Low", "Close"]] > 0).all().all()
    assert df["Volume"].dtype == np.int64
    assert (df["Volume"] > 0).all()
    first_return = np.log(df["Close"].iloc[0] / 100.0)
    o = stock_like_oracle(df)
    assert o["log_return"].iloc[0] == pytest.approx(first_return, rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_seeded_reproducibility(kind):
    a = make_stock_like(kind, n_steps=200, n_series=2, random_state=7)
    b = make_stock_like(kind, n_steps=200, n_series=2, random_state=7)
    pd.testing.assert_frame_equal(a, b)
    c = make_stock_like(kind, n_steps=200, n_series=2, random_state=8)
    assert not np.allclose(a["Close"], c["Close"])
    g = make_stock_like(kind, n_steps=200, random_state=np.random.default_rng(7))
    pd.testing.assert_frame_equal(g, make_stock_like(kind, n_steps=200, random_state=7))


def test_start_rolls_to_business_day():
    df = make_stock_like(n_steps=3, start="2015-01-03", random_state=0)  # Saturday
    assert list(df.index.strftime("%a %d")) == ["Mon 05", "Tue 06", "Wed 07"]


def test_panel_is_long_format():
    df = make_stock_like("garch", n_steps=50, n_series=12, random_state=0)
    assert list(df.columns) == [
        "ticker",
        "date",
        "Open",
        "High",
        "Low",
        "Close",
        "Volume",
    ]
    assert df["ticker"].iloc[0] == "T00"
    assert df["ticker"].iloc[-1] == "T11"
    assert (df.groupby("ticker").size() == 50).all()
    panel = to_panel(df, id_col="ticker", time_col="date")
    assert panel.n_series == 12
    assert panel.freq == "B"
    np.testing.assert_array_equal(panel.lengths, 50)
    # tickers are independent draws
    closes = df.pivot(index="date", columns="ticker", values="Close")
    assert not np.allclose(closes["T00"], closes["T01"])
    o = stock_like_oracle(df)
    assert list(o.columns[:2]) == ["ticker", "date"]
    assert o.groupby("ticker")["target"].apply(lambda s: s.isna().sum()).eq(1).all()


def test_attrs_hold_the_ground_truth():
    df = make_stock_like("ar1", n_steps=10, random_state=5, phi=0.4)
    meta = df.attrs["tsattn"]
    assert meta["kind"] == "ar1"
    assert meta["params"]["phi"] == 0.4
    assert meta["params"]["omega"] == 2e-6  # defaults filled in
    assert meta["random_state"] == 5
    # attrs hold no arrays, so pandas operations that compare them keep working
    both = pd.concat([df, df])
    assert both.attrs["tsattn"]["kind"] == "ar1"


def test_gbm_moments():
    mu, sigma, dt = 0.1, 0.3, 1 / 252
    df = make_stock_like("gbm", n_steps=20_000, random_state=0, mu=mu, sigma=sigma)
    r = stock_like_oracle(df)["log_return"]
    assert r.std() == pytest.approx(sigma * np.sqrt(dt), rel=0.02)
    se = sigma * np.sqrt(dt) / np.sqrt(len(r))
    assert abs(r.mean() - (mu - sigma**2 / 2) * dt) < 4 * se


def test_garch_unconditional_variance_and_clustering():
    omega, alpha, beta = 5e-6, 0.05, 0.9
    df = make_stock_like(
        "garch",
        n_steps=20_000,
        n_series=4,
        random_state=1,
        omega=omega,
        alpha=alpha,
        beta=beta,
        mean=0.0,
    )
    r = stock_like_oracle(df)["log_return"].to_numpy().reshape(4, -1)
    assert r.var() == pytest.approx(omega / (1 - alpha - beta), rel=0.05)
    sq = r[0] ** 2
    # volatility clusters: squared returns are autocorrelated, unlike the gbm's
    assert np.corrcoef(sq[1:], sq[:-1])[0, 1] > 0.05
    gbm = stock_like_oracle(make_stock_like("gbm", n_steps=20_000, random_state=1))
    g2 = gbm["log_return"].to_numpy() ** 2
    assert abs(np.corrcoef(g2[1:], g2[:-1])[0, 1]) < 0.03


def test_ar1_autocorrelation_and_oracle():
    df = make_stock_like("ar1", n_steps=20_000, random_state=2, phi=0.3)
    o = stock_like_oracle(df)
    r = o["log_return"].to_numpy()
    assert np.corrcoef(r[1:], r[:-1])[0, 1] == pytest.approx(0.3, abs=0.04)
    # the oracle is mean + phi * (r_t - mean), computed by hand from the closes
    mean = df.attrs["tsattn"]["params"]["mean"]
    by_hand = mean + 0.3 * (np.log(df["Close"]).diff().to_numpy() - mean)
    np.testing.assert_allclose(o["forecast"].to_numpy()[1:], by_hand[1:], rtol=1e-9)
    valid = o.dropna()
    oracle_mse = ((valid["target"] - valid["forecast"]) ** 2).mean()
    naive_mse = (valid["target"] ** 2).mean()
    assert oracle_mse < 0.95 * naive_mse


def test_garch_oracle_variance_by_hand():
    omega, alpha, beta, mean = 2e-6, 0.1, 0.85, 1e-4
    df = make_stock_like(
        "garch",
        n_steps=5,
        random_state=4,
        omega=omega,
        alpha=alpha,
        beta=beta,
        mean=mean,
    )
    o = stock_like_oracle(df)
    h = omega / (1 - alpha - beta)
    for t, r in enumerate(o["log_return"]):
        h = omega + alpha * (r - mean) ** 2 + beta * h
        assert o["variance"].iloc[t] == pytest.approx(h, rel=1e-9)
    assert (o["forecast"] == mean).all()


@pytest.mark.parametrize("kind", KINDS)
def test_oracle_variance_is_calibrated(kind):
    df = make_stock_like(kind, n_steps=6000, n_series=3, random_state=11)
    o = stock_like_oracle(df).dropna()
    mse = ((o["target"] - o["forecast"]) ** 2).mean()
    assert mse == pytest.approx(o["variance"].mean(), rel=0.1)
    # no constant forecast beats the oracle on average
    assert mse <= ((o["target"] - o["target"].mean()) ** 2).mean() * 1.001


def test_jump_fat_tails():
    df = make_stock_like("jump", n_steps=20_000, random_state=6)
    r = stock_like_oracle(df)["log_return"]
    assert r.kurt() > 3  # excess kurtosis; 0 for the gbm


def test_regime_filter_tracks_volatility():
    df = make_stock_like(
        "regime", n_steps=10_000, random_state=9, sigma=(0.1, 0.6), p_stay=(0.99, 0.98)
    )
    o = stock_like_oracle(df).dropna()
    # the filtered variance separates calm from turbulent days
    realized = (o["target"] - o["forecast"]) ** 2
    high = o["variance"] > o["variance"].median()
    assert realized[high].mean() > 4 * realized[~high].mean()


def test_student_t_innovations():
    df = make_stock_like("garch", n_steps=20_000, random_state=3, dof=4, alpha=0.0)
    r = stock_like_oracle(df)["log_return"]
    assert r.var() == pytest.approx(2e-6 / 0.1, rel=0.1)
    assert r.kurt() > 1


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"kind": "garh"}, ValueError, "Did you mean 'garch'?"),
        ({"kind": "garch", "alpah": 0.1}, TypeError, "Did you mean 'alpha'?"),
        ({"kind": "gbm", "omega": 0.1}, TypeError, "unknown parameter(s) ['omega']"),
        (
            {"kind": "garch", "alpha": 0.2, "beta": 0.85},
            ValueError,
            "alpha + beta (= 1.05) must be < 1",
        ),
        ({"kind": "ar1", "phi": 1.0}, ValueError, "|phi| < 1"),
        ({"kind": "regime", "p_stay": (1.0, 0.5)}, ValueError, "strictly between 0"),
        ({"kind": "regime", "mu": (0.1,)}, ValueError, "one value per regime (2)"),
        ({"kind": "garch", "dof": 2}, ValueError, "dof (= 2.0) must be > 2"),
        ({"kind": "gbm", "sigma": 0.0}, ValueError, "sigma must be finite and > 0"),
        ({"kind": "garch", "omega": -1e-6}, ValueError, "omega must be finite and > 0"),
        ({"n_steps": 1}, ValueError, "n_steps must be an int >= 2"),
        ({"n_series": 1.5}, TypeError, "n_series must be an int >= 1"),
        ({"start_price": 0}, ValueError, "start_price must be a finite number > 0"),
        ({"random_state": "seed"}, TypeError, "random_state must be None, an int"),
    ],
)
def test_generator_errors(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make_stock_like(**kwargs)


def test_oracle_errors():
    df = make_stock_like(n_steps=20, random_state=0)
    with pytest.raises(ValueError, match="no make_stock_like metadata"):
        stock_like_oracle(pd.DataFrame({"Close": [1.0]}))
    with pytest.raises(
        ValueError, match=re.escape("df has 10 rows but make_stock_like")
    ):
        stock_like_oracle(df.iloc[:10])
