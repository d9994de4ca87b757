import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsattn.datasets as ds
from tsattn import TsattnWarning
from tsattn.data import to_panel
from tsattn.datasets import (
    dataset_path,
    load_exchange_rate,
    load_ohlcv_csv,
    make_stock_like,
    stock_like_oracle,
)

REPO_FILE = Path(__file__).resolve().parents[1] / "datasets" / "exchange_rate.csv"
EXCHANGE_SHA256 = "48b4d9d3d508f5104162e85b9a6042e3557fde11aa9f2944eba8c0d0efc89842"
KINDS = ["gbm", "garch", "regime", "jump", "ar1"]


# --------------------------------------------------------------------------- #
# shipped data
# --------------------------------------------------------------------------- #


def test_dataset_path_finds_the_shipped_file():
    path = dataset_path("exchange_rate.csv")
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == EXCHANGE_SHA256


def test_dataset_path_errors():
    with pytest.raises(
        FileNotFoundError, match=r"'nope.csv' is not shipped.*available"
    ):
        dataset_path("nope.csv")
    with pytest.raises(ValueError, match="plain file name"):
        dataset_path("../pyproject.toml")


def test_dataset_path_prefers_the_installed_package(monkeypatch, tmp_path):
    (tmp_path / "exchange_rate.csv").write_text("date,0\n")
    monkeypatch.setattr(ds.importlib.resources, "files", lambda package: tmp_path)
    assert dataset_path("exchange_rate.csv") == tmp_path / "exchange_rate.csv"


def test_dataset_path_falls_back_to_the_repository(monkeypatch):
    def missing(package):
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(ds.importlib.resources, "files", missing)
    assert dataset_path("exchange_rate.csv") == REPO_FILE


def test_readme_states_the_checksum():
    readme = (REPO_FILE.parent / "README.md").read_text()
    assert EXCHANGE_SHA256 in readme
    assert "not the real trading days" in readme


def test_load_exchange_rate_matches_the_file():
    df = load_exchange_rate()
    plain = pd.read_csv(REPO_FILE)
    assert df.shape == (7588, 8)
    assert list(df.columns) == ["0", "1", "2", "3", "4", "5", "6", "OT"]
    np.testing.assert_array_equal(df.to_numpy(), plain.iloc[:, 1:].to_numpy())
    assert df.index.name == "date"
    assert df.index.freqstr == "D"
    assert df.index[0] == pd.Timestamp("1990-01-01")
    assert df.index[-1] == pd.Timestamp("2010-10-10")
    # golden values, first and last rows of the file
    assert df.iloc[0].tolist() == [
        0.7855,
        1.611,
        0.861698,
        0.634196,
        0.211242,
        0.006838,
        0.525486,
        0.593,
    ]
    assert df.loc["2010-10-10", "OT"] == 0.692689
    assert df.loc["2010-10-10", "0"] == 0.720825
    arr = load_exchange_rate(as_frame=False)
    assert isinstance(arr, np.ndarray)
    np.testing.assert_array_equal(arr, df.to_numpy())
    panel = to_panel(df)
    assert panel.freq == "D"


# --------------------------------------------------------------------------- #
# generators
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# user OHLCV files
# --------------------------------------------------------------------------- #


def _write(tmp_path, text, name="prices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2024-01-02,187.15,188.44,183.89,185.64,184.94,82488700
2024-01-03,184.22,185.88,183.43,184.25,183.55,58414500
2024-01-04,182.15,183.09,180.88,181.91,181.22,71983600
"""


def test_yahoo_layout(tmp_path):
    df = load_ohlcv_csv(_write(tmp_path, YAHOO))
    assert list(df.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    assert (df.dtypes == np.float64).all()
    assert df.index.name == "date"
    assert list(df.index.strftime("%Y-%m-%d")) == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]
    plain = pd.read_csv(tmp_path / "prices.csv", index_col="Date")
    np.testing.assert_array_equal(df.to_numpy(), plain.to_numpy(dtype=float))
    assert to_panel(df).freq == "B"


NASDAQ = """Date,Close/Last,Volume,Open,High,Low
01/05/2024,$181.18,62303300,$181.99,$182.76,$180.17
01/04/2024,$181.91,71983570,$182.15,$183.0872,$180.88
01/03/2024,$184.25,58414460,$184.22,$185.88,$183.43
"""


def test_descending_export_needs_sort(tmp_path):
    path = _write(tmp_path, NASDAQ)
    with pytest.raises(ValueError, match=r"descending order.*pass sort=True"):
        load_ohlcv_csv(path)
    df = load_ohlcv_csv(path, sort=True)
    assert list(df.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert df.index.is_monotonic_increasing
    assert df.index[0] == pd.Timestamp("2024-01-03")
    assert df.loc["2024-01-04", "High"] == 183.0872
    assert df.loc["2024-01-05", "Close"] == 181.18
    assert df.loc["2024-01-03", "Volume"] == 58414460


def test_header_variants_and_number_formats(tmp_path):
    text = (
        "date,open,HIGH,low,price,adj_close,Vol.,Change %\n"
        '2024-01-02,"1,001.5",1010,990,1005,1004,1.5M,0.50%\n'
        '2024-01-03,1005,1012,1000,"1,010.25",1009,"2,300,000",0.52%\n'
        "2024-01-04,1010,1015,1001,1002,1001,null,-0.8%\n"
    )
    df = load_ohlcv_csv(_write(tmp_path, text))
    assert list(df.columns) == [
        "Open",
        "High",
        "Low",
        "Close",
        "Adj Close",
        "Volume",
        "Change %",
    ]
    assert df["Open"].iloc[0] == 1001.5
    assert df["Close"].iloc[1] == 1010.25
    assert df["Volume"].iloc[0] == 1.5e6
    assert df["Volume"].iloc[1] == 2.3e6
    assert np.isnan(df["Volume"].iloc[2])
    assert df["Change %"].tolist() == [0.5, 0.52, -0.8]


def test_timezone_offsets_are_dropped(tmp_path):
    text = (
        "Date,Open,High,Low,Close,Volume\n"
        "2023-03-10 00:00:00-05:00,10,11,9,10.5,100\n"
        "2023-03-13 00:00:00-04:00,10.5,11,10,10.8,120\n"
    )
    df = load_ohlcv_csv(_write(tmp_path, text))
    assert df.index.tz is None
    assert list(df.index.strftime("%Y-%m-%d %H:%M")) == [
        "2023-03-10 00:00",
        "2023-03-13 00:00",
    ]


def test_date_col_and_format(tmp_path):
    text = "Session,Close\n02/01/2024,1\n03/01/2024,2\n"
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=r"No date column found.*pass date_col="):
        load_ohlcv_csv(path)
    df = load_ohlcv_csv(path, date_col="session", date_format="%d/%m/%Y")
    assert df.index[1] == pd.Timestamp("2024-01-03")
    with pytest.raises(ValueError, match="date_col='when' is not a column"):
        load_ohlcv_csv(path, date_col="when")


def test_ohlcv_missing_file_or_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such OHLCV file"):
        load_ohlcv_csv(tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError, match="it is a folder"):
        load_ohlcv_csv(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Date,Open\n2024-01-02,1\n", "No Close column in prices.csv (columns: "),
        (
            "Date,Close,Volume\n2024-01-02,1,5\n2024-01-03,abc,6\n",
            "Could not parse 'abc' as a number in column 'Close' at data row 1 (line 3",
        ),
        ('Date,Close\n2024-01-02,"1.234,5"\n', "Could not parse '1.234,5'"),
        (
            "Date,Close\n2024-01-02,1\nyesterday,2\n",
            "Could not parse 'yesterday' as a date",
        ),
        ("Date,Close\n2024-01-02,1\n,2\n", "is empty at data row 1"),
        (
            "Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-03,3\n",
            "Date 2024-01-03 00:00:00 appears more than once in prices.csv "
            "(data rows 1 and 2)",
        ),
        ("Date,Close,Last\n2024-01-02,1,1\n", "both mean 'Close'"),
        ("Date,Close\n", "holds no data rows"),
    ],
)
def test_ohlcv_errors(tmp_path, text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_ohlcv_csv(_write(tmp_path, text))


def test_out_of_order_dates(tmp_path):
    text = "Date,Close\n2024-01-02,1\n2024-01-04,2\n2024-01-03,3\n"
    path = _write(tmp_path, text)
    msg = "out of order: 2024-01-03 00:00:00 (data row 2) comes after 2024-01-04"
    with pytest.raises(ValueError, match=re.escape(msg)):
        load_ohlcv_csv(path)
    df = load_ohlcv_csv(path, sort=True)
    assert df["Close"].tolist() == [1.0, 3.0, 2.0]


def test_inconsistent_bars_warn(tmp_path):
    text = "Date,Open,High,Low,Close\n2024-01-02,10,9,8,9.5\n2024-01-03,10,11,9,10\n"
    with pytest.warns(TsattnWarning, match=r"1 bar\(s\) are inconsistent.*2024-01-02"):
        df = load_ohlcv_csv(_write(tmp_path, text))
    assert df["High"].iloc[0] == 9.0  # reported, not altered
    text = "Date,Close\n2024-01-02,0\n2024-01-03,1\n"
    with pytest.warns(TsattnWarning, match=r"prices <= 0, first on 2024-01-02"):
        load_ohlcv_csv(_write(tmp_path, text, "zero.csv"))


def test_generated_frame_round_trips_through_csv(tmp_path):
    df = make_stock_like("regime", n_steps=30, random_state=0)
    path = tmp_path / "gen.csv"
    df.to_csv(path)
    back = load_ohlcv_csv(path)
    pd.testing.assert_frame_equal(
        back, df.astype({"Volume": float}), check_freq=False, rtol=1e-12
    )
