import copy
import json
import re

import numpy as np
import pandas as pd
import pytest

from persistence.helpers import N_FIT
from tsattn.persistence import load, save
from tsattn.persistence.codec import Decoder, Encoder


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(5, 5 + 2 * N_FIT, 2, name="t"),
        pd.Index(np.arange(N_FIT, dtype=np.int64) * 10 + 7, name=("a", 1)),
        pd.period_range("2001-01", periods=N_FIT, freq="M", name="month"),
        pd.date_range("2020-03-01", periods=N_FIT, freq="h", tz="America/New_York"),
        pd.DatetimeIndex(
            pd.date_range("2020-01-01", periods=N_FIT, freq="D").as_unit("ns"),
            freq=None,
        ),
        pd.Index([f"day{i}" for i in range(N_FIT)], name="label"),
    ],
    ids=["range", "int", "period", "tz-hourly", "ns-no-freq", "strings"],
)
def test_index_kinds_round_trip(forecaster, tmp_path, index):
    model = copy.deepcopy(forecaster)
    model.index_ = index
    loaded = load(save(model, tmp_path / "i.safetensors"))
    assert type(loaded.index_) is type(index)
    assert loaded.index_.equals(index)
    assert loaded.index_.dtype == index.dtype
    assert loaded.index_.name == index.name
    assert getattr(loaded.index_, "freq", None) == getattr(index, "freq", None)


def test_save_unstorable_frequency_raises(forecaster, tmp_path):
    model = copy.deepcopy(forecaster)
    model.freq_ = pd.offsets.CustomBusinessDay(holidays=["2015-07-03"])
    with pytest.raises(ValueError, match="cannot be saved as a frequency string"):
        save(model, tmp_path / "f.safetensors")


def test_save_unstorable_index_raises(forecaster, tmp_path):
    model = copy.deepcopy(forecaster)
    model.index_ = pd.MultiIndex.from_arrays([np.arange(N_FIT), np.arange(N_FIT)])
    with pytest.raises(TypeError, match="MultiIndex"):
        save(model, tmp_path / "i.safetensors")


def test_values_round_trip_through_json_and_tensors():
    tensors = {}
    value = {
        "plain": [1, 2.5, "a", None, True],
        "special": (float("nan"), float("inf")),
        (1, "b"): np.arange(3, dtype=np.int16),
        "labels": np.array(["x", "yz"]),
        "when": pd.Timestamp("2024-01-02 09:30", tz="Europe/Paris"),
        "freq": pd.offsets.BDay(),
    }
    encoded = Encoder(tensors).encode(value, "v")
    text = json.dumps(encoded, allow_nan=False)  # plain JSON: nothing executable
    assert list(tensors) == ["fitted.v[(1, 'b')]"]
    decoded = Decoder(tensors, "the test file").decode(json.loads(text), "v")
    assert decoded["plain"] == value["plain"]
    assert np.isnan(decoded["special"][0])
    assert decoded["special"][1] == float("inf")
    assert isinstance(decoded["special"], tuple)
    np.testing.assert_array_equal(decoded[(1, "b")], value[(1, "b")])
    assert decoded[(1, "b")].dtype == np.int16
    np.testing.assert_array_equal(decoded["labels"], value["labels"])
    assert decoded["when"] == value["when"]
    assert decoded["freq"] == value["freq"]


def test_decoder_names_the_corrupt_entry():
    decoder = Decoder({}, "The file 'm'")
    with pytest.raises(ValueError, match=re.escape("The file 'm' is corrupt: v")):
        decoder.decode({"$tensor": "fitted.gone"}, "v")
    with pytest.raises(ValueError, match="unknown tag '\\$code'"):
        decoder.decode({"$code": "print(1)"}, "v")
    with pytest.raises(TypeError, match="cannot store"):
        Encoder({}).encode(object(), "v")
