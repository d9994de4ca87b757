import builtins
import copy
import datetime
import os
import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch
from presets import TINY_NETWORK
from sklearn.exceptions import NotFittedError

import tsattn
from persistence.helpers import N_FIT, assert_same_state, tiny
from tsattn.baselines import NaiveForecaster
from tsattn.estimators import AttentionForecaster, MultiTaskForecaster
from tsattn.persistence import FORMAT_VERSION, load, read_manifest, save


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


def test_data_hash_is_recorded_when_the_model_has_one(forecaster, tmp_path):
    model = copy.deepcopy(forecaster)
    model.data_hash_ = "ab" * 32
    path = save(model, tmp_path / "h.safetensors")
    assert read_manifest(path)["data_hash"] == "ab" * 32
    assert load(path).data_hash_ == "ab" * 32


def test_random_state_generator_is_dropped_with_a_warning(forecaster, tmp_path):
    model = copy.deepcopy(forecaster).set_params(random_state=np.random.RandomState(0))
    with pytest.warns(tsattn.TsattnWarning, match="random_state is a RandomState"):
        path = save(model, tmp_path / "r.safetensors")
    loaded = load(path)
    assert loaded.random_state is None
    pd.testing.assert_frame_equal(loaded.forecast(), forecaster.forecast())


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


def test_load_rejects_unknown_device(one_file):
    with pytest.raises(ValueError, match="Unknown device 'gpu0'"):
        load(one_file, device="gpu0")
