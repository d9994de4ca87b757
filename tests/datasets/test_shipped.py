import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsattn.data import to_panel
from tsattn.datasets import dataset_path, load_exchange_rate, shipped

REPO_FILE = Path(__file__).resolve().parents[2] / "datasets" / "exchange_rate.csv"
EXCHANGE_SHA256 = "48b4d9d3d508f5104162e85b9a6042e3557fde11aa9f2944eba8c0d0efc89842"


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
    monkeypatch.setattr(shipped.importlib.resources, "files", lambda package: tmp_path)
    assert dataset_path("exchange_rate.csv") == tmp_path / "exchange_rate.csv"


def test_dataset_path_falls_back_to_the_repository(monkeypatch):
    def missing(package):
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(shipped.importlib.resources, "files", missing)
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
