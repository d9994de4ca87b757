import builtins
import copy
import datetime
import json
import os
import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch
from presets import TINY_NETWORK
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.exceptions import NotFittedError

import tsattn
from tsattn.baselines import NaiveForecaster
from tsattn.datasets import make_stock_like
from tsattn.estimators import (
    AttentionForecaster,
    MultiTaskForecaster,
    SelfAttentionForecaster,
)
from tsattn.persistence import (
    FORMAT,
    FORMAT_VERSION,
    _digest,
    _tensor_digest,
    load,
    read_manifest,
    save,
)
from tsattn.targets import make_targets

TINY = dict(window_length=16, d_model=8, max_epochs=1, batch_size=64, random_state=0)
N_FIT = 200


def tiny(cls, **kwargs):
    if cls is AttentionForecaster:
        kwargs.setdefault("n_heads", 2)
    return cls(**TINY, **kwargs)


@pytest.fixture(scope="module")
def bars():
    # 240 rows: the models see the first N_FIT, update() feeds the rest.
    return make_stock_like("gbm", n_steps=N_FIT + 40, random_state=0)


@pytest.fixture(scope="module", params=[AttentionForecaster, SelfAttentionForecaster])
def forecaster(request, bars):
    """Forecasting mode with quantiles."""
    model = tiny(request.param, quantiles=(0.1, 0.9))
    return model.fit(bars[["Close"]].iloc[:N_FIT])


@pytest.fixture(scope="module")
def supervised_data(bars):
    y = make_targets(bars[["Close"]], kind=["log_return", "direction"], horizon=2)
    return bars[["Close", "Volume"]], y


@pytest.fixture(scope="module", params=[AttentionForecaster, SelfAttentionForecaster])
def supervised(request, supervised_data):
    """Supervised mode, multi-task, bce direction heads, one head per task."""
    X, y = supervised_data
    tasks = {"up_h1": "bce", "up_h2": {"loss": "bce", "weight": 0.5}}
    model = tiny(request.param, tasks=tasks, output_head="multi", horizon=2)
    return model.fit(X.iloc[:N_FIT], y.iloc[:N_FIT])


@pytest.fixture
def saved(forecaster, tmp_path):
    return save(forecaster, tmp_path / "model.safetensors")


@pytest.fixture(scope="module")
def one_model(bars):
    """A single model for the error tests (they need no second class)."""
    return tiny(AttentionForecaster).fit(bars[["Close"]].iloc[:80])


@pytest.fixture
def one_file(one_model, tmp_path):
    return save(one_model, tmp_path / "one.safetensors")


def assert_same_state(a, b):
    """Every fitted attribute and every weight of ``b`` equals that of ``a``."""
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()
    assert set(vars(a)) == set(vars(b))
    for name, value in vars(a).items():
        other = getattr(b, name)
        if name == "module_":
            sa, sb = value.state_dict(), other.state_dict()
            assert sa.keys() == sb.keys()
            for k in sa:
                assert torch.equal(sa[k], sb[k]), k
            assert not other.training
        elif isinstance(value, np.ndarray):
            assert value.dtype == other.dtype, name
            np.testing.assert_array_equal(value, other, err_msg=name)
        elif isinstance(value, pd.Index):
            assert type(value) is type(other)
            assert value.equals(other), name
            assert value.dtype == other.dtype, name
            assert value.name == other.name
            assert getattr(value, "freq", None) == getattr(other, "freq", None)
        else:
            assert value == other, name
            assert type(value) is type(other), name


# -- round trips ----------------------------------------------------------------


def test_forecast_mode_round_trip_is_bit_identical(forecaster, bars, tmp_path):
    path = save(forecaster, tmp_path / "m.safetensors")
    assert path == tmp_path / "m.safetensors"
    loaded = load(path)
    assert_same_state(forecaster, loaded)
    first = forecaster.forecast()
    assert [c for c in first.columns] == ["Close", "Close_q0.1", "Close_q0.9"]
    pd.testing.assert_frame_equal(loaded.forecast(), first, check_exact=True)
    pd.testing.assert_frame_equal(
        loaded.forecast(12), forecaster.forecast(12), check_exact=True
    )
    history = bars[["Close"]].iloc[:N_FIT]
    pd.testing.assert_frame_equal(
        loaded.predict(history), forecaster.predict(history), check_exact=True
    )
    arr = history.to_numpy()[-40:]
    np.testing.assert_array_equal(loaded.predict(arr), forecaster.predict(arr))
    wa, wb = forecaster.attention_weights(), loaded.attention_weights()
    np.testing.assert_array_equal(wa["weights"], wb["weights"])
    assert wa["timestamps"] == wb["timestamps"]


def test_supervised_multitask_round_trip_is_bit_identical(
    supervised, supervised_data, tmp_path
):
    X, _ = supervised_data
    loaded = load(save(supervised, tmp_path / "s.safetensors"))
    assert_same_state(supervised, loaded)
    assert loaded.get_params()["tasks"] == {
        "up_h1": "bce",
        "up_h2": {"loss": "bce", "weight": 0.5},
    }
    pred = supervised.predict(X.iloc[:N_FIT])
    assert list(pred.columns) == ["log_return_h1", "log_return_h2", "up_h1", "up_h2"]
    probs = pred[["up_h1", "up_h2"]].to_numpy()
    assert ((probs > 0) & (probs < 1)).all()
    pd.testing.assert_frame_equal(
        loaded.predict(X.iloc[:N_FIT]), pred, check_exact=True
    )
    # Prices on the future index (log-return targets of the Close column).
    pd.testing.assert_frame_equal(
        loaded.forecast(), supervised.forecast(), check_exact=True
    )
    nxt = X.iloc[N_FIT : N_FIT + 5]
    pd.testing.assert_frame_equal(
        loaded.predict(nxt), supervised.predict(nxt), check_exact=True
    )


def test_multitask_forecaster_round_trip_keeps_its_class(supervised_data, tmp_path):
    X, y = supervised_data
    model = MultiTaskForecaster(
        **TINY_NETWORK, max_epochs=1, random_state=0, tasks={"up_h1": "bce"}
    ).fit(X.iloc[:N_FIT], y.iloc[:N_FIT])
    loaded = load(save(model, tmp_path / "m.safetensors"))
    assert type(loaded) is MultiTaskForecaster
    assert_same_state(model, loaded)
    pd.testing.assert_frame_equal(
        loaded.predict(X.iloc[:N_FIT]), model.predict(X.iloc[:N_FIT]), check_exact=True
    )


def test_array_input_and_1d_target_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3))
    y = X[:, 0] * 0.5 + rng.normal(scale=0.1, size=120)
    model = tiny(AttentionForecaster).fit(X, y)
    loaded = load(save(model, tmp_path / "a.safetensors"))
    assert_same_state(model, loaded)
    assert isinstance(loaded.index_, pd.RangeIndex)
    assert loaded._y_1d is True
    out = loaded.predict(X[-10:])
    assert out.shape == (10,)
    np.testing.assert_array_equal(out, model.predict(X[-10:]))


def test_loaded_forecaster_updates_and_continues(forecaster, bars, tmp_path):
    new = bars[["Close"]].iloc[N_FIT : N_FIT + 7]
    original = copy.deepcopy(forecaster).update(new)
    loaded = load(save(forecaster, tmp_path / "f.safetensors")).update(new)
    assert loaded.index_.equals(bars.index[: N_FIT + 7])
    pd.testing.assert_frame_equal(
        loaded.forecast(), original.forecast(), check_exact=True
    )
    # Saved again after the update, it still resumes where it stopped.
    again = load(save(loaded, tmp_path / "g.safetensors"))
    assert_same_state(loaded, again)
    more = bars[["Close"]].iloc[N_FIT + 7 : N_FIT + 10]
    pd.testing.assert_frame_equal(
        again.update(more).forecast(),
        original.update(more).forecast(),
        check_exact=True,
    )


def test_loaded_supervised_model_updates_and_continues(
    supervised, supervised_data, tmp_path
):
    X, _ = supervised_data
    new = X.iloc[N_FIT : N_FIT + 4]
    original = copy.deepcopy(supervised).update(new)
    loaded = load(save(supervised, tmp_path / "s.safetensors")).update(new)
    assert loaded.index_.equals(X.index[: N_FIT + 4])
    np.testing.assert_array_equal(loaded._last_row, new.to_numpy(dtype=np.float32)[-1:])
    pd.testing.assert_frame_equal(
        loaded.forecast(), original.forecast(), check_exact=True
    )


def test_save_overwrites_and_leaves_no_temporary_files(forecaster, bars, tmp_path):
    path = tmp_path / "model.safetensors"
    save(forecaster, path)
    updated = copy.deepcopy(forecaster).update(bars[["Close"]].iloc[N_FIT : N_FIT + 3])
    assert save(updated, str(path)) == path  # str paths too; replaces the file
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]
    assert len(load(path).index_) == N_FIT + 3


def test_loading_does_not_touch_global_torch_rng(saved):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load(saved)
    assert torch.equal(torch.rand(3), expected)


# -- what the file holds ----------------------------------------------------------


def test_manifest_records_versions_seed_and_training(forecaster, saved):
    before = datetime.datetime.now(datetime.timezone.utc)
    manifest = read_manifest(saved)
    assert manifest["class"] == type(forecaster).__name__
    assert manifest["format_version"] == FORMAT_VERSION
    versions = manifest["versions"]
    assert versions["tsattn"] == tsattn.__version__
    assert versions["torch"] == torch.__version__
    assert versions["numpy"] == np.__version__
    assert versions["pandas"] == pd.__version__
    assert set(versions) >= {"scikit-learn", "statsmodels", "numba", "python"}
    assert manifest["seed"] == 0
    assert manifest["data_hash"] == forecaster.data_hash_
    assert manifest["data_hash"].startswith("sha256:")
    training = manifest["training"]
    assert training["n_epochs"] == forecaster.n_epochs_ == 1
    assert training["best_epoch"] == forecaster.best_epoch_
    assert training["best_validation_loss"] == forecaster.best_validation_score_
    assert training["final_training_loss"] == forecaster.loss_curve_[-1]
    assert training["fit_time_s"] == forecaster.fit_time_
    assert training["n_params"] == forecaster.n_params_
    assert training["device"] == "cpu"
    created = datetime.datetime.fromisoformat(manifest["created"])
    assert created.utcoffset() == datetime.timedelta(0)
    assert abs((created - before).total_seconds()) < 120


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


def test_data_hash_is_recorded_when_the_model_has_one(forecaster, tmp_path):
    model = copy.deepcopy(forecaster)
    model.data_hash_ = "ab" * 32
    path = save(model, tmp_path / "h.safetensors")
    assert read_manifest(path)["data_hash"] == "ab" * 32
    assert load(path).data_hash_ == "ab" * 32


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


def test_random_state_generator_is_dropped_with_a_warning(forecaster, tmp_path):
    model = copy.deepcopy(forecaster).set_params(random_state=np.random.RandomState(0))
    with pytest.warns(tsattn.TsattnWarning, match="random_state is a RandomState"):
        path = save(model, tmp_path / "r.safetensors")
    loaded = load(path)
    assert loaded.random_state is None
    pd.testing.assert_frame_equal(loaded.forecast(), forecaster.forecast())


# -- device -----------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_model_saved_for_cuda_loads_on_cpu(forecaster, tmp_path):
    # What a file from a GPU machine looks like: tensors are written from the CPU,
    # the parameters and the training device say CUDA.
    model = copy.deepcopy(forecaster).set_params(device="cuda")
    model.device_ = "cuda:0"
    path = save(model, tmp_path / "gpu.safetensors")
    with pytest.warns(tsattn.TsattnWarning, match=re.escape("device='cuda'")):
        as_saved = load(path)
    assert as_saved.device == "cuda"
    with pytest.raises(ValueError, match="CUDA is not available"):
        as_saved.forecast()
    on_cpu = load(path, device="cpu")
    assert on_cpu.device == "cpu"
    assert on_cpu.device_ == "cuda:0"
    assert next(on_cpu.module_.parameters()).device.type == "cpu"
    pd.testing.assert_frame_equal(on_cpu.forecast(), forecaster.forecast())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no cuda device")
def test_gpu_fitted_model_reloads_on_cpu(bars, tmp_path):
    model = tiny(AttentionForecaster, device="cuda").fit(bars[["Close"]])
    gpu = model.forecast()
    loaded = load(save(model, tmp_path / "gpu.safetensors"), device="cpu")
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.forecast().to_numpy(), gpu.to_numpy(), rtol=1e-3)


# -- errors when saving -------------------------------------------------------------


def test_save_unfitted_model_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        save(tiny(AttentionForecaster), tmp_path / "x.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_other_estimator_raises_type_error(tmp_path, bars):
    naive = NaiveForecaster().fit(bars[["Close"]])
    with pytest.raises(
        TypeError, match=re.escape("got NaiveForecaster. Use joblib.dump")
    ):
        save(naive, tmp_path / "x.safetensors")

    class Custom(AttentionForecaster):
        pass

    with pytest.raises(TypeError, match="got Custom"):
        save(Custom(), tmp_path / "x.safetensors")


def test_save_to_missing_directory_or_directory(forecaster, tmp_path):
    target = tmp_path / "nope" / "m.safetensors"
    with pytest.raises(
        FileNotFoundError,
        match=re.escape(f"cannot write the model to {str(target)!r}: folder"),
    ):
        save(forecaster, target)
    with pytest.raises(IsADirectoryError, match="it is a folder; pass a file name"):
        save(forecaster, tmp_path)


def test_save_unstorable_parameter_raises(forecaster, tmp_path):
    model = copy.deepcopy(forecaster).set_params(device=torch.device("cpu"))
    with pytest.raises(TypeError, match="Cannot save parameter 'device'"):
        save(model, tmp_path / "p.safetensors")
    assert list(tmp_path.iterdir()) == []


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


def test_failed_write_keeps_previous_file_and_no_temp(
    forecaster, bars, tmp_path, monkeypatch
):
    path = save(forecaster, tmp_path / "model.safetensors")
    updated = copy.deepcopy(forecaster).update(bars[["Close"]].iloc[N_FIT : N_FIT + 3])
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    for step in ("replace", "fsync"):
        with monkeypatch.context() as patch:
            patch.setattr(os, step, broken)
            with pytest.raises(OSError, match="disk full"):
                save(updated, path)
        assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]
        assert path.read_bytes() == before
    assert len(load(path).index_) == N_FIT


# -- errors when loading ------------------------------------------------------------


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


def test_loader_never_unpickles_or_evaluates(saved, forecaster, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("load() must not unpickle or evaluate anything")

    for mod, name in [
        (pickle, "load"),
        (pickle, "loads"),
        (pickle, "Unpickler"),
        (torch, "load"),
        (builtins, "eval"),
        (builtins, "exec"),
    ]:
        monkeypatch.setattr(mod, name, forbidden)
    loaded = load(saved)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(loaded.forecast(), forecaster.forecast())


def rewrite(path, out, edit, *, resign=False):
    """Copy a saved model to ``out`` with its JSON header changed by ``edit``.

    ``resign=True`` also recomputes the checksum, as a deliberate forger would,
    so that the checks behind it are reached.
    """
    with safe_open(str(path), framework="pt", device="cpu") as fh:
        metadata = fh.metadata()
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    header = json.loads(metadata["tsattn"])
    edit(header)
    metadata["tsattn"] = header if isinstance(header, str) else json.dumps(header)
    if resign:
        metadata["sha256"] = _digest(metadata, tensors)
    save_file(tensors, str(out), metadata=metadata)
    return out


def _set(*path):
    """Set ``header[k1][k2]... = value`` for ``path = (k1, k2, ..., value)``."""
    *keys, value = path

    def edit(header):
        target = header
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_set("format_version", FORMAT_VERSION + 1), "newer than the 2 this tsattn"),
        (_set("format_version", "1"), "format_version is '1'"),
        (_set("class", "os.system"), "names the class 'os.system'"),
        (_set("class", "NaiveForecaster"), "allowed: AttentionForecaster"),
        (_set("params", "bogus", 1), re.escape("sets parameter(s) ['bogus']")),
        (_set("config", "d_model", 16), "do not fit its config"),
        (_set("config", "d_model", 10**9), "larger than any stored weight dimension"),
        (_set("config", "window_length", 10**9), "more than the 15 stored context"),
        (_set("config", "n_layers", 10**9), "n_layers to 1000000000, more than"),
        (_set("params", "max_epochs", "30"), "parameters are invalid.*'max_epochs'"),
        (_set("params", "revin", "no"), "parameters are invalid.*'revin'"),
        (_set("config", "colour", "red"), "network config is invalid"),
        (_set("fitted", "__class__", "x"), "forbidden entry '__class__'"),
        (_set("fitted", "predict", 1), "forbidden entry 'predict'"),
        (_set("fitted", "_run", 1), "forbidden entry '_run'"),
        (_set("fitted", "window_length", 1), "forbidden entry 'window_length'"),
        (_set("fitted", "_context", {"$tensor": "fitted.gone"}), "missing tensor"),
        (_set("fitted", "columns_", {"$code": "x"}), re.escape("unknown tag '$code'")),
        (_set("fitted", "freq_", {"$offset": "not-a-freq"}), "unreadable \\$offset"),
        (lambda h: h["fitted"].pop("_last_row"), re.escape("lacks ['_last_row']")),
        (lambda h: h.pop("config"), "'config' entry is missing"),
    ],
)
def test_load_rejects_bad_headers(one_file, tmp_path, edit, match):
    # Each edit is refused by the checksum, and, with the checksum recomputed,
    # by the check behind it, in one line.
    bad = rewrite(one_file, tmp_path / "bad.safetensors", edit)
    with pytest.raises(ValueError, match="do not match the checksum") as info:
        load(bad)
    assert "\n" not in str(info.value)
    forged = rewrite(one_file, tmp_path / "forged.safetensors", edit, resign=True)
    with pytest.raises(ValueError, match=match) as info:
        load(forged)
    assert "\n" not in str(info.value)


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
    header["tensors_sha256"] = _tensor_digest(tensors)
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


def test_load_rejects_unknown_device(one_file):
    with pytest.raises(ValueError, match="Unknown device 'gpu0'"):
        load(one_file, device="gpu0")
