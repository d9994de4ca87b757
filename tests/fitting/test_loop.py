import re

import numpy as np
import pytest
import torch

from fitting.helpers import (
    BufferedWindows,
    FakeWindows,
    H,
    L,
    sine,
    sine_windows,
    tiny_net,
)
from tsattn.fitting.loop import TrainResult, fit_module, split_targets_by_columns
from tsattn.fitting.predict import predict_module
from tsattn.nn.config import TaskSpec

pytestmark = pytest.mark.usefixtures("one_torch_thread")


#: Training that learns the sine quickly: small batches at a high learning rate.
FAST = {"batch_size": 32, "learning_rate": 3e-3, "random_state": 0}


def _held_out():
    """Validation windows on rows 320-400, after training windows on rows 0-300."""
    return sine_windows(n=400, starts=np.arange(320, 378))


def _mse(module, windows):
    x, y = windows.get_batch(np.arange(len(windows)))
    pred = predict_module(module, x)["y"]
    return float(np.mean((pred - y) ** 2))


@pytest.mark.parametrize("n_heads", [1, 4])
def test_learns_a_sine_wave_to_near_zero_loss(n_heads):
    w = sine_windows()
    net = tiny_net(n_heads=n_heads)
    baseline = _mse(net, w)
    result = fit_module(net, w, max_epochs=12, n_iter_no_change=None, **FAST)
    assert isinstance(result, TrainResult)
    assert result.n_epochs == 12
    assert result.stopped_reason == "max_epochs"
    final = _mse(net, w)
    assert baseline > 0.05
    assert final < 2e-3, (baseline, final)
    assert result.loss_curve[-1] < result.loss_curve[0] / 20
    assert not net.training


def test_learns_a_linear_target_without_channel_residual():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(300, 2)).astype(np.float32)
    target = (0.7 * v[:, :1] - 0.3 * v[:, 1:]).astype(np.float32)
    # y at step s + L equals a linear function of the last input step, s + L - 1.
    target = np.roll(target, 1, axis=0)
    w = FakeWindows(v, target, L, 1)
    net = tiny_net(n_heads=1, tasks=(TaskSpec("y"),), n_features=2, revin=False)
    fit_module(net, w, max_epochs=25, n_iter_no_change=None, **FAST)
    x, y = w.get_batch(np.arange(len(w)))
    err = np.mean((predict_module(net, x)["y"] - y) ** 2)
    assert err < 1e-2 * np.var(y)


def test_same_seed_gives_identical_predictions_on_cpu():
    w = sine_windows()
    preds, curves = [], []
    for _ in range(2):
        net = tiny_net(seed=3, dropout=0.2, attention_dropout=0.1)
        r = fit_module(net, w, max_epochs=2, batch_size=16, random_state=7)
        x, _ = w.get_batch(np.arange(len(w)))
        preds.append(predict_module(net, x)["y"])
        curves.append(r.loss_curve)
    np.testing.assert_array_equal(preds[0], preds[1])
    assert curves[0] == curves[1]
    net = tiny_net(seed=3, dropout=0.2, attention_dropout=0.1)
    fit_module(net, w, max_epochs=2, batch_size=16, random_state=8)
    assert not np.array_equal(predict_module(net, x)["y"], preds[0])


def test_global_random_state_and_threads_untouched():
    net = tiny_net(dropout=0.1)
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    threads = torch.get_num_threads()
    fit_module(
        net, sine_windows(), max_epochs=1, batch_size=64, random_state=0, n_threads=2
    )
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize(
    ("rule", "reason", "n_epochs", "best_epoch"),
    [
        # tol so large that nothing after the first epoch counts as an improvement.
        (
            {"max_epochs": 10, "n_iter_no_change": 2, "tol": 1e9},
            "early_stopping",
            3,
            lambda scores: 1,
        ),
        (
            {"max_epochs": 4, "n_iter_no_change": None},
            "max_epochs",
            4,
            lambda scores: int(np.argmin(scores)) + 1,
        ),
    ],
    ids=["early_stopping", "max_epochs"],
)
def test_validation_restores_the_best_epoch(rule, reason, n_epochs, best_epoch):
    val = _held_out()
    net = tiny_net()
    r = fit_module(
        net, sine_windows(n=300), val_windows=val, batch_size=32, random_state=0, **rule
    )
    assert r.stopped_reason == reason
    assert r.n_epochs == len(r.validation_scores) == n_epochs
    assert r.best_epoch == best_epoch(r.validation_scores)
    assert r.best_validation == r.validation_scores[r.best_epoch - 1]
    assert _mse(net, val) == pytest.approx(r.best_validation, rel=1e-4)


def test_training_loss_plateau_without_validation():
    plateau = {"n_iter_no_change": 1, "tol": 1e9}
    r = fit_module(
        tiny_net(),
        sine_windows(),
        max_epochs=10,
        batch_size=64,
        random_state=0,
        **plateau,
    )
    assert r.stopped_reason == "training_loss_plateau"
    assert (r.n_epochs, r.best_epoch, r.best_validation) == (2, 2, None)


class ExplodingWindows(FakeWindows):
    """Puts an inf into the inputs of one batch."""

    def __init__(self, *args, bad_call, **kw):
        super().__init__(*args, **kw)
        self.bad_call = bad_call

    def get_batch(self, idx):
        x, y = super().get_batch(idx)
        if self.calls == self.bad_call:
            x = x.copy()
            x[0, 3, 0] = np.inf
        return x, y


def test_non_finite_loss_stops_with_clear_error_and_keeps_last_good_weights():
    v = sine()
    bad = ExplodingWindows(v, v, L, H, bad_call=3)
    net = tiny_net()
    # The same batches in the same order, at a constant learning rate.
    ordered = {"batch_size": 32, "shuffle": False, "lr_schedule": "none"}
    with pytest.raises(FloatingPointError, match=re.escape("epoch 1, batch 3")) as info:
        fit_module(net, bad, max_epochs=2, random_state=0, **ordered)
    assert "keeps the weights from before this batch" in str(info.value)
    assert all(torch.isfinite(p).all() for p in net.parameters())
    # Same as training on the first two batches only.
    ref = tiny_net()
    fit_module(
        ref,
        sine_windows(),
        max_epochs=1,
        max_steps_per_epoch=2,
        random_state=0,
        **ordered,
    )
    for (k, a), b in zip(net.state_dict().items(), ref.state_dict().values()):
        assert torch.equal(a, b), k


class InterruptingWindows(FakeWindows):
    def __init__(self, *args, interrupt_call, **kw):
        super().__init__(*args, **kw)
        self.interrupt_call = interrupt_call

    def get_batch(self, idx):
        if self.calls + 1 == self.interrupt_call:
            self.calls += 1
            raise KeyboardInterrupt
        return super().get_batch(idx)


def test_keyboard_interrupt_stops_cleanly_and_propagates():
    v = sine(300)
    # 281 windows / 64 = 5 batches per epoch; interrupt in epoch 3.
    train = InterruptingWindows(v, v, L, H, interrupt_call=12)
    val = _held_out()
    net = tiny_net()
    with pytest.raises(KeyboardInterrupt) as info:
        fit_module(
            net,
            train,
            val_windows=val,
            max_epochs=10,
            batch_size=64,
            n_iter_no_change=None,
            random_state=0,
        )
    r = info.value.train_result
    assert r.stopped_reason == "interrupted"
    assert r.n_epochs == 2
    assert r.best_validation == min(r.validation_scores)
    # The module holds the best weights so far, in eval mode.
    assert not net.training
    assert _mse(net, val) == pytest.approx(r.best_validation, rel=1e-4)


def test_keyboard_interrupt_in_a_training_step_reaches_the_caller(monkeypatch):
    from tsattn.fitting import loop as loop_module

    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop_module._Loop, "train_step", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fit_module(
            tiny_net(), sine_windows(), max_epochs=3, batch_size=64, random_state=0
        )


def test_tolerance_is_never_below_the_resolution_of_the_losses(monkeypatch):
    from tsattn.fitting import loop as loop_module

    # With a floor no epoch can clear, tol=0 keeps epoch 0.
    monkeypatch.setattr(loop_module, "tolerance_floor", lambda device, module: 1.0)
    r = fit_module(
        tiny_net(),
        sine_windows(),
        val_windows=_held_out(),
        max_epochs=3,
        batch_size=64,
        tol=0.0,
        random_state=0,
        validate_initial=True,
    )
    assert r.best_epoch == 0
    assert r.stopped_reason in ("max_epochs", "early_stopping")


def test_uses_reusable_buffers_when_offered():
    w = sine_windows(BufferedWindows)
    fit_module(tiny_net(), w, max_epochs=2, batch_size=64, random_state=0)
    assert len(w.buffer_ids) == 1


def test_nan_steps_in_inputs_are_masked():
    v = sine()
    x = v.copy()
    x[:15] = np.nan  # short history for the first windows
    w = FakeWindows(x, v, L, H)
    net = tiny_net()
    r = fit_module(net, w, max_epochs=2, batch_size=64, random_state=0)
    assert all(np.isfinite(r.loss_curve))
    xb, _ = w.get_batch(np.arange(5))
    assert np.isfinite(predict_module(net, xb)["y"]).all()


def test_max_steps_per_epoch_and_schedule():
    w = sine_windows()
    r = fit_module(
        tiny_net(),
        w,
        max_epochs=3,
        batch_size=16,
        max_steps_per_epoch=2,
        random_state=0,
    )
    assert r.n_steps == 6
    assert r.fit_time_s > 0


@pytest.mark.parametrize(
    ("verbose", "lines"), [(1, ["epoch 1/2", "epoch 2/2"]), (0, [])]
)
def test_verbose_prints_epochs_when_not_a_terminal(capsys, verbose, lines):
    fit = {"max_epochs": 2, "batch_size": 128, "random_state": 0}
    fit_module(tiny_net(), sine_windows(), verbose=verbose, **fit)
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in printed] == [line.split() for line in lines]


def test_multi_task_targets_split_by_columns():
    y = torch.arange(2 * 4 * 3, dtype=torch.float32).view(2, 4, 3)
    tasks = (TaskSpec("a", horizon=4, n_targets=2), TaskSpec("b", horizon=1))
    parts = split_targets_by_columns(y, tasks)
    assert torch.equal(parts["a"], y[:, :, :2])
    assert torch.equal(parts["b"], y[:, :1, 2:])
    with pytest.raises(ValueError, match=re.escape("expected (B, >= 4, 3)")):
        split_targets_by_columns(y[:, :, :2], tasks)


def test_multi_task_training_with_custom_split():
    tasks = (
        TaskSpec("level", horizon=H, target_channels=(0,)),
        TaskSpec("up", "bce", weight=0.5),
    )
    v = sine()
    w = FakeWindows(v, v, L, H)

    def split(y):
        return {"level": y, "up": (y[:, :1] > 0).float()}

    net = tiny_net(tasks=tasks, output_head="multi")
    r = fit_module(
        net, w, max_epochs=2, batch_size=64, split_targets=split, random_state=0
    )
    assert r.loss_curve[-1] < r.loss_curve[0]
    x, _ = w.get_batch(np.arange(10))
    out = predict_module(net, x)
    assert out["up"].shape == (10, 1, 1)
    assert ((out["up"] > 0) & (out["up"] < 1)).all()  # probabilities
    logits = predict_module(net, x, link=False)["up"]
    np.testing.assert_allclose(out["up"], 1 / (1 + np.exp(-logits)), rtol=1e-5)


def test_with_real_window_set():
    windows = pytest.importorskip("tsattn.windows")
    v = sine().astype(np.float32)
    ws = windows.make_windows(v, v, window_length=L, horizon=H)
    net = tiny_net()
    r = fit_module(net, ws, max_epochs=3, **FAST)
    assert r.loss_curve[-1] < r.loss_curve[0]
    x, _ = ws.get_batch(np.arange(len(ws)))
    np.testing.assert_allclose(
        predict_module(net, ws)["y"], predict_module(net, x)["y"], rtol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_epochs": 0}, ValueError, "max_epochs must be an int >= 1. Got 0."),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an int >= 1"),
        (
            {"learning_rate": 0.0},
            ValueError,
            "learning_rate must be a finite number > 0",
        ),
        (
            {"weight_decay": -1.0},
            ValueError,
            "weight_decay must be a finite number >= 0",
        ),
        ({"grad_clip": 0}, ValueError, "grad_clip must be a finite number > 0"),
        (
            {"lr_schedule": "linear"},
            ValueError,
            "lr_schedule must be one of cosine, none",
        ),
        ({"n_iter_no_change": 0}, ValueError, "n_iter_no_change must be an int >= 1"),
        ({"random_state": "seed"}, TypeError, "random_state must be None, an int"),
        ({"random_state": -1}, ValueError, "random_state must be >= 0"),
        ({"device": "tpu"}, ValueError, "Unknown device 'tpu'"),
        (
            {"val_windows": [1, 2]},
            TypeError,
            "val_windows must provide __len__() and get_batch",
        ),
        (
            {"tasks": (TaskSpec("y", weight=0.0),)},
            ValueError,
            "Every task has weight 0",
        ),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=re.escape(match)):
        fit_module(tiny_net(), sine_windows(), **kwargs)


def test_bad_windows():
    with pytest.raises(
        TypeError, match=re.escape("train_windows must provide __len__()")
    ):
        fit_module(tiny_net(), np.zeros((3, L, 1)))
    with pytest.raises(ValueError, match="train_windows holds no windows"):
        fit_module(tiny_net(), sine_windows(starts=np.arange(0)))
    v = sine()
    w = FakeWindows(v, np.hstack([v, v]), L, H)  # two target columns, one task target
    with pytest.raises(ValueError, match=re.escape("do not fit the tasks (y: 3x1")):
        fit_module(tiny_net(), w, max_epochs=1)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no cuda device")
def test_trains_on_cuda_with_bf16_autocast():
    w = sine_windows()
    net = tiny_net()
    r = fit_module(net, w, max_epochs=3, batch_size=32, device="cuda", random_state=0)
    assert next(net.parameters()).is_cuda
    assert r.loss_curve[-1] < r.loss_curve[0]
    x, _ = w.get_batch(np.arange(10))
    assert np.isfinite(predict_module(net, x)["y"]).all()


def test_validate_initial_keeps_the_start_when_no_epoch_beats_it():
    # A network that starts at the last value, trained with a learning rate too
    # small to improve on it by tol: the starting weights are restored.
    w = sine_windows()
    net = tiny_net(repeat_init=True)
    start = {k: v.clone() for k, v in net.state_dict().items()}
    result = fit_module(
        net,
        sine_windows(n=300),
        val_windows=w,
        max_epochs=3,
        batch_size=64,
        learning_rate=1e-7,
        tol=1e-3,
        random_state=0,
        validate_initial=True,
    )
    assert result.best_epoch == 0
    assert result.initial_validation == pytest.approx(result.best_validation)
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, start[k])


def test_validate_initial_is_beaten_by_real_learning():
    w = sine_windows()
    net = tiny_net(repeat_init=True)
    result = fit_module(
        net,
        sine_windows(n=300),
        val_windows=w,
        max_epochs=8,
        validate_initial=True,
        **FAST,
    )
    assert result.best_epoch >= 1
    assert result.best_validation < result.initial_validation
