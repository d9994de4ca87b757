"""Tests for AttentionForecaster and SelfAttentionForecaster (forecasting series)."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from presets import TINY_NETWORK
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tsattn import TsattnWarning
from tsattn.estimators import AttentionForecaster, SelfAttentionForecaster
from tsattn.persistence import load
from tsattn.targets import make_targets

TINY = dict(TINY_NETWORK, horizon=3, max_epochs=2, batch_size=64, random_state=0)
#: A small network for the tests that need it to learn something: a sine wave
#: (ON_SINE), or nothing that holds on held-out windows of a random walk (ON_WALK).
SMALL = dict(d_model=16, n_heads=2, n_layers=1, patch_len=4, random_state=0)
ON_SINE = dict(SMALL, window_length=48, horizon=4, learning_rate=3e-3)
ON_WALK = dict(SMALL, window_length=32, horizon=4, validation_fraction=0.3)


def _random_walk(seed=7, n=700):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"p": 100 + rng.normal(size=n).cumsum()})


def _sine(n=600, period=24):
    return pd.DataFrame({"s": np.sin(2 * np.pi * np.arange(n) / period)})


def _mse_and_naive_mse(model, X, rows):
    """Mean squared error of ``predict`` at ``rows`` and of the last value there."""
    horizon, values = model.horizon, X.to_numpy()
    pred = model.predict(X).to_numpy()[rows].reshape(len(rows), -1, horizon)
    truth = np.stack([values[i + 1 : i + 1 + horizon].T for i in rows])
    naive = np.repeat(values[rows, :, None], horizon, axis=2)
    return np.mean((pred - truth) ** 2), np.mean((naive - truth) ** 2)


def _assert_forecasts_the_last_value(model, X, steps=None, rtol=1e-6, atol=0.0):
    """The model stayed the random walk: its forecast is the last value of ``X``."""
    (col,) = X.columns
    forecast = model.forecast(steps)[col].to_numpy()
    np.testing.assert_allclose(forecast, X[col].iloc[-1], rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def fitted(prices):
    return AttentionForecaster(quantiles=(0.1, 0.9), **TINY).fit(prices[["Close"]])


def test_not_fitted_raises():
    with pytest.raises(NotFittedError):
        AttentionForecaster().forecast()


def test_forecast_frame_on_business_days(fitted, prices):
    fc = fitted.forecast()
    assert list(fc.columns) == ["Close", "Close_q0.1", "Close_q0.9"]
    assert len(fc) == 3
    assert fc.index[0] > prices.index[-1]
    assert (fc.index.day_of_week < 5).all()
    assert (fc["Close_q0.1"] <= fc["Close_q0.9"]).all()
    # In the data's units: near the last price, not near zero.
    assert abs(fc["Close"].iloc[0] / prices["Close"].iloc[-1] - 1) < 0.2


def test_forecast_beyond_horizon_is_recursive_without_quantiles(fitted):
    fc = fitted.forecast(5)
    assert len(fc) == 5
    assert fc["Close"].notna().all()
    assert fc["Close_q0.1"].iloc[:3].notna().all()
    assert fc["Close_q0.1"].iloc[3:].isna().all()


def test_predict_last_row_matches_forecast(fitted, prices):
    # forecast() after fit equals the row-wise prediction for the last row
    # when predict is given the full history as a fresh series.
    X = prices[["Close"]]
    path = fitted.predict(X.to_numpy())
    fc = fitted.forecast()
    np.testing.assert_allclose(path[-1], fc["Close"].to_numpy(), rtol=1e-5)


def test_no_look_ahead(prices):
    model = AttentionForecaster(**TINY).fit(prices[["Close"]].iloc[:300])
    X = prices[["Close"]].to_numpy()
    changed = X.copy()
    cutoff = 350
    changed[cutoff + 1 :] *= 3.0
    a = model.predict(X)
    b = model.predict(changed)
    np.testing.assert_array_equal(a[: cutoff + 1], b[: cutoff + 1])
    assert not np.array_equal(a[cutoff + 1 :], b[cutoff + 1 :])


def test_same_seed_same_predictions(prices):
    X = prices[["Close"]]
    a = AttentionForecaster(**TINY).fit(X).forecast()
    b = clone(AttentionForecaster(**TINY)).fit(X).forecast()
    pd.testing.assert_frame_equal(a, b)


def test_update_moves_origin(prices):
    X = prices[["Close"]]
    model = AttentionForecaster(**TINY).fit(X.iloc[:300])
    model.update(X.iloc[300:320])
    fc = model.forecast()
    assert fc.index[0] > X.index[319]
    fresh = model.predict(X.iloc[:320].to_numpy())[-1]
    np.testing.assert_allclose(fc["Close"].to_numpy(), fresh, rtol=1e-5)


def test_self_attention_has_one_head_and_no_n_heads_param(prices):
    model = SelfAttentionForecaster(**{k: v for k, v in TINY.items() if k != "n_heads"})
    assert "n_heads" not in model.get_params()
    with pytest.raises(ValueError, match="Invalid parameter 'n_heads'"):
        clone(model).set_params(n_heads=2)
    model.fit(prices[["Close"]])
    assert model.config_.n_heads == 1
    maps = model.attention_weights()
    assert maps["weights"].shape[:2] == (1, 1)


def test_attention_weights_rows_sum_to_one(fitted):
    out = fitted.attention_weights()
    w = out["weights"]
    assert w.shape[:2] == (1, 2)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-4)
    assert len(out["timestamps"]) == w.shape[-1]


def test_bad_parameters_have_clear_errors(prices):
    X = prices[["Close"]]
    with pytest.raises(ValueError, match="divisible"):
        AttentionForecaster(**{**TINY, "d_model": 10, "n_heads": 4}).fit(X)
    with pytest.raises(ValueError, match="'output_head' parameter"):
        AttentionForecaster(**{**TINY, "output_head": "many"}).fit(X)
    with pytest.raises(ValueError, match="validation_fraction"):
        AttentionForecaster(**{**TINY, "validation_fraction": 1.5}).fit(X)
    with pytest.raises(TypeError, match=r"'linear_skip' parameter .* must be a bool"):
        AttentionForecaster(**{**TINY, "linear_skip": "yes"}).fit(X)
    with pytest.raises(ValueError, match="needs at least"):
        AttentionForecaster(**TINY).fit(X.iloc[:10])
    with pytest.raises(ValueError, match="y has 5 rows but X has 400"):
        AttentionForecaster(**TINY).fit(X, np.zeros(5))


def test_joblib_round_trip(tmp_path, fitted, prices):
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    loaded = joblib.load(path)
    pd.testing.assert_frame_equal(loaded.forecast(), fitted.forecast())
    X = prices[["Close"]].to_numpy()
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_learns_a_deterministic_signal():
    # A clean sine wave is forecast far better than by the last value.
    X = _sine()
    model = AttentionForecaster(**ON_SINE, max_epochs=15).fit(X.iloc[:500])
    mse, naive_mse = _mse_and_naive_mse(model, X, np.arange(500, 590))
    assert mse < 0.2 * naive_mse


def test_linear_skip_learns_a_linear_signal_and_round_trips(tmp_path, prices):
    # A sine wave is an exact AR(2): the linear skip alone can forecast it.
    X = _sine().assign(c=np.cos(2 * np.pi * np.arange(600) / 17))
    params = dict(ON_SINE, d_model=8, patch_len=8, max_epochs=6, linear_skip=True)
    model = AttentionForecaster(**params).fit(X.iloc[:500])
    assert model.config_.linear_skip is True
    assert model.module_.skips[0].weight.abs().sum() > 0
    mse, naive_mse = _mse_and_naive_mse(model, X, np.arange(500, 590))
    assert mse < 0.1 * naive_mse
    path = tmp_path / "skip.tsattn"
    model.save(path)
    again = load(path)
    pd.testing.assert_frame_equal(again.predict(X), model.predict(X))
    # supervised targets are not input columns: nothing to skip to
    y = make_targets(prices["Close"], kind="log_return", horizon=1)
    sup = AttentionForecaster(**{**TINY, "linear_skip": True}).fit(prices[["Close"]], y)
    assert sup.module_.skips is not None
    assert len(sup.module_.skips) == 0


def test_significance_keeps_the_random_walk_without_evidence():
    # On a random walk, a trained model's small held-out gain (if any) is noise.
    X = _random_walk()
    params = dict(ON_WALK, max_epochs=4, learning_rate=1e-2, tol=0.0)
    free = AttentionForecaster(**params).fit(X)
    gated = AttentionForecaster(**params, significance=0.05).fit(X)
    assert free.start_test_ == {}
    assert free.best_epoch_ > 0  # the plain fit keeps a lower held-out loss ...
    # ... which the gate tests and finds no evidence for
    assert gated.start_test_["kept"] == "start"
    assert gated.start_test_["p_value"] >= 0.05
    assert gated.best_epoch_ == 0
    _assert_forecasts_the_last_value(gated, X)


def test_significance_also_gates_the_linear_skip_start():
    # On this random walk the ridge start forecasts the held-out windows a bit
    # better than the last value, by chance; the gate asks for evidence.
    X = _random_walk()
    params = dict(ON_WALK, max_epochs=1, learning_rate=1e-9, linear_skip=True)
    (free,) = AttentionForecaster(**params).fit(X).linear_skip_fit_
    assert free["kept"] == "ridge"
    assert free["validation_mse"]["ridge"] < free["validation_mse"]["zero"]
    gated = AttentionForecaster(**params, significance=0.05).fit(X)
    (fit,) = gated.linear_skip_fit_
    assert fit["kept"] == "zero"
    assert fit["p_value"] >= 0.05
    assert all(m.weight.abs().sum() == 0 for m in gated.module_.skips)
    _assert_forecasts_the_last_value(gated, X)
    # a sine wave is an exact AR(2): its ridge start is kept, with evidence
    sine = _sine()
    (fit,) = AttentionForecaster(**params, significance=0.05).fit(sine).linear_skip_fit_
    assert fit["kept"] == "ridge"
    assert fit["p_value"] < 0.05


@pytest.mark.parametrize("quantiles", [None, (0.1, 0.9)])
def test_significance_keeps_a_clearly_better_model(quantiles):
    X = _sine()
    model = AttentionForecaster(
        **ON_SINE, max_epochs=5, quantiles=quantiles, significance=0.05
    ).fit(X)
    assert model.start_test_["kept"] == "trained"
    assert model.start_test_["p_value"] < 0.05
    assert model.best_epoch_ > 0


def test_significance_needs_windows_that_selected_nothing():
    # A sine wave is easy, but 51 held-out windows of a 40-step forecast cannot
    # be split into windows that select and later windows, 40 steps apart, that
    # test: nothing can show the gain, so the start (the random walk) is kept.
    X = _sine()
    params = dict(ON_SINE, horizon=40, max_epochs=3, validation_fraction=0.1)
    with pytest.warns(TsattnWarning, match="keeps its start"):
        model = AttentionForecaster(**params, linear_skip=True, significance=0.05).fit(
            X
        )
    (fit,) = model.linear_skip_fit_
    assert fit["validation_mse"]["ridge"] < 0.1 * fit["validation_mse"]["zero"]
    assert fit["kept"] == "zero"
    assert np.isnan(fit["p_value"])
    # training improved on the held-out windows, but that cannot be shown either
    assert min(model.validation_scores_) < fit["validation_mse"]["zero"]
    assert model.start_test_["kept"] == "start"
    assert model.start_test_["n_windows"] == 0
    assert np.isnan(model.start_test_["p_value"])
    assert model.best_epoch_ == 0
    _assert_forecasts_the_last_value(model, X, steps=1, rtol=1e-5, atol=1e-6)


def test_significance_tests_on_later_windows_than_it_selects_on():
    X = _sine()
    model = AttentionForecaster(
        **SMALL,
        window_length=24,
        horizon=2,
        max_epochs=4,
        learning_rate=3e-3,
        validation_fraction=0.3,
        significance=0.05,
    ).fit(X)
    n_windows = len(X) - 24 - 2 + 1
    n_held = round(0.3 * n_windows)
    assert model.start_test_["n_windows"] == round(0.5 * n_held)
    assert model.start_test_["kept"] == "trained"
    # The first half of the held-out windows chose the epoch: its scores are
    # the validation scores.
    assert len(model.validation_scores_) == model.n_epochs_


def test_window_length_changed_after_fit_is_named(fitted, prices, tmp_path):
    model = clone(fitted).fit(prices[["Close"]])
    L = model.window_length
    path = tmp_path / "m.tsattn"
    model.save(path)
    assert load(path).fitted_params_ == model.fitted_params_
    model.set_params(window_length=L + 8)
    with pytest.raises(ValueError, match=f"window_length from {L} to {L + 8}"):
        model.forecast()
    with pytest.raises(ValueError, match="call fit again"):
        model.attention_weights()


def test_significance_must_be_a_level():
    X = pd.DataFrame({"p": np.arange(200.0)})
    for bad in (0.0, 1.0, True, "5%"):
        with pytest.raises(ValueError, match="'significance' parameter"):
            AttentionForecaster(**{**TINY, "significance": bad}).fit(X)


def test_data_hash_identifies_the_training_data(prices):
    X = prices[["Close"]]
    a = AttentionForecaster(**TINY).fit(X)
    b = AttentionForecaster(**TINY).fit(X)
    changed = X.copy()
    changed.iloc[5, 0] += 1.0
    c = AttentionForecaster(**TINY).fit(changed)
    assert a.data_hash_ == b.data_hash_
    assert a.data_hash_ != c.data_hash_


def test_patch_stride_gives_overlapping_patches(prices):
    X = prices[["Close"]]
    plain = AttentionForecaster(**TINY).fit(X)
    overlap = AttentionForecaster(**{**TINY, "patch_stride": 2}).fit(X)
    assert plain.config_.n_tokens == 16 // 4
    assert overlap.config_.n_tokens > plain.config_.n_tokens
    assert overlap.config_.patch_stride == 2


def test_attention_maps_are_drawn_by_the_report(fitted, tmp_path):
    from tsattn.report import plot_attention

    with pytest.raises(AttributeError, match=r"tsattn\.report\.plot_attention"):
        fitted.plot_attention()
    fig = plot_attention(fitted.attention_weights(), all_layers=True)
    heatmaps = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    assert len(heatmaps) == 2  # 1 layer x 2 heads
    fig.savefig(tmp_path / "attention.png")
    assert (tmp_path / "attention.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_model_that_learns_nothing_stays_the_random_walk(prices):
    # With a learning rate too small to beat the starting point on the held-out
    # windows, the model keeps its start: the last value, like naive.
    X = prices[["Close"]]
    model = AttentionForecaster(**{**TINY, "learning_rate": 1e-9, "tol": 1e-3}).fit(X)
    assert model.best_epoch_ == 0
    _assert_forecasts_the_last_value(model, X)


def test_a_ctrl_c_inside_a_fit_is_not_swallowed(prices, monkeypatch):
    from tsattn.fitting import loop as loop_module

    calls = []

    def interrupt(self, *args, **kwargs):
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(loop_module._Loop, "train_step", interrupt)
    model = AttentionForecaster(
        window_length=16, d_model=8, n_heads=2, n_layers=1, max_epochs=3,
        random_state=0,
    )  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        model.fit(prices[["Close"]])
    assert calls == [1]
    assert not hasattr(model, "module_")


def test_every_series_counts_equally_whatever_its_units():
    # Two series, one in units 1000 times larger: per-channel normalised
    # errors make the fit the same as on the unscaled panel, forecasts in the
    # data's units.
    rng = np.random.default_rng(4)
    base = pd.DataFrame(
        {
            "a": np.sin(np.arange(400) / 5) + 0.1 * rng.normal(size=400),
            "b": np.cumsum(rng.normal(size=400)),
        }
    )
    scaled = base * [1.0, 1000.0]
    kw = dict(**SMALL, window_length=24, horizon=3, max_epochs=3)
    one = AttentionForecaster(**kw).fit(base)
    two = AttentionForecaster(**kw).fit(scaled)
    np.testing.assert_allclose(one.loss_curve_, two.loss_curve_, rtol=1e-3)
    np.testing.assert_allclose(
        one.validation_scores_, two.validation_scores_, rtol=1e-3
    )
    np.testing.assert_allclose(
        two.forecast().to_numpy(),
        one.forecast().to_numpy() * [1.0, 1000.0],
        rtol=1e-3,
    )
    # The scale is the size of one-step changes on the training rows only.
    n_windows = 400 - 24 - 3 + 1
    n_train_rows = (n_windows - round(0.15 * n_windows) - 3 + 1) - 1 + 24 + 3
    expected = np.diff(scaled.to_numpy()[:n_train_rows], axis=0).std(axis=0)
    np.testing.assert_allclose(two._channel_scale, expected, rtol=1e-5)
