import json
import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import tsattn
from tsattn.persistence import FORMAT, load, read_manifest
from tsattn.persistence.model_file import tensor_digest


def test_file_layout(forecaster, saved):
    with safe_open(str(saved), framework="pt", device="cpu") as fh:
        metadata = fh.metadata()
        keys = set(fh.keys())
    assert metadata["format"] == FORMAT
    header = json.loads(metadata["tsattn"])
    assert header["format"] == FORMAT
    assert header["class"] == type(forecaster).__name__
    assert header["config"] == forecaster.config_.to_dict()
    assert header["params"]["quantiles"] == {"$tuple": [0.1, 0.9]}
    assert header["fitted"]["freq_"] == {"$offset": "B"}
    expected = {f"module.{k}" for k in forecaster.module_.state_dict()}
    expected |= {"fitted._context", "fitted._last_row", "fitted.index_"}
    assert keys == expected


def test_load_missing_file(tmp_path):
    missing = tmp_path / "absent.safetensors"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load(missing)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load(tmp_path)


@pytest.mark.parametrize("keep", [0, 5, 60, -200, -1])
def test_load_truncated_file(one_file, tmp_path, keep):
    data = one_file.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[:keep])
    with pytest.raises(ValueError, match="truncated"):
        load(cut)


def test_load_corrupt_tensor_data(one_file, tmp_path):
    data = bytearray(one_file.read_bytes())
    data[-3] ^= 0xFF  # inside the last tensor's bytes
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="do not match the checksum"):
        load(bad)


def test_load_foreign_files(tmp_path):
    rng = np.random.default_rng(0)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match="not a tsattn model file"):
        load(noise)
    text = tmp_path / "notes.txt"
    text.write_text("date,close\n2024-01-02,100.0\n" * 20)
    with pytest.raises(ValueError, match="not a tsattn model file"):
        load(text)
    weights = tmp_path / "weights.safetensors"
    save_file({"w": torch.zeros(3)}, str(weights))
    with pytest.raises(ValueError, match="safetensors file but not a tsattn model"):
        load(weights)
    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(other), metadata={"tsattn": '{"format": "x"}'})
    with pytest.raises(ValueError, match="its format is 'x', expected 'tsattn-model'"):
        load(other)


class _Trap:
    """Unpickling this object would create a file: the proof of code execution."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_load_pickle_file_never_runs_it(tmp_path):
    trap = tmp_path / "pwned"
    evil = tmp_path / "model.safetensors"
    evil.write_bytes(pickle.dumps(_Trap(str(trap))))
    with pytest.raises(ValueError, match="not a tsattn model file"):
        load(evil)
    assert not trap.exists()


def test_file_without_checksum_is_refused(one_file, tmp_path):
    with safe_open(str(one_file), framework="pt", device="cpu") as fh:
        metadata = fh.metadata()
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    del metadata["sha256"]
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=metadata)
    with pytest.raises(ValueError, match="has no 'sha256' checksum entry"):
        load(bad)


def test_format_version_1_file_loads_with_a_warning(one_model, one_file, tmp_path):
    # Version 1 kept a checksum of the tensors only, inside the JSON header.
    with safe_open(str(one_file), framework="pt", device="cpu") as fh:
        metadata = fh.metadata()
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    header = json.loads(metadata["tsattn"])
    header["format_version"] = 1
    header["tensors_sha256"] = tensor_digest(tensors)
    old = tmp_path / "v1.safetensors"
    save_file(
        tensors, str(old), metadata={"format": FORMAT, "tsattn": json.dumps(header)}
    )
    with pytest.warns(tsattn.TsattnWarning, match="format_version 1"):
        loaded = load(old)
    pd.testing.assert_frame_equal(loaded.forecast(), one_model.forecast())
    header["tensors_sha256"] = "0" * 64
    save_file(
        tensors, str(old), metadata={"format": FORMAT, "tsattn": json.dumps(header)}
    )
    with pytest.raises(ValueError, match="tensor data do not match the checksum"):
        load(old)


def test_load_rejects_invalid_json(one_file, tmp_path):
    with safe_open(str(one_file), framework="pt", device="cpu") as fh:
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata={"tsattn": '{"format": "tsattn-model",'})
    with pytest.raises(ValueError, match="metadata is not valid JSON"):
        load(bad)


def test_read_manifest_checks_the_file_too(tmp_path):
    text = tmp_path / "x.txt"
    text.write_text("hello, this is not a model file at all")
    with pytest.raises(ValueError, match="not a tsattn model file"):
        read_manifest(text)
    with pytest.raises(FileNotFoundError, match="No tsattn model file"):
        read_manifest(tmp_path / "missing")
