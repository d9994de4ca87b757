import re

import numpy as np
import pandas as pd
import pytest

from tsattn import TsattnWarning
from tsattn.data import to_panel
from tsattn.datasets import load_ohlcv_csv, make_stock_like


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
