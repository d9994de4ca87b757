import math
import re

import pytest
import torch

from nn.helpers import small_config
from tsattn.nn.config import TaskSpec
from tsattn.nn.losses import (
    bce,
    gaussian_nll,
    huber,
    mae,
    mse,
    pinball,
    qlike,
    task_loss,
    total_loss,
)
from tsattn.nn.net import TemporalAttentionNet


def _t(*values):
    return torch.tensor(values, dtype=torch.float64).view(1, -1, 1)


def test_point_losses_hand_computed():
    pred, y = _t(1.0, 2.0, 5.0), _t(0.0, 4.0, 5.5)
    assert task_loss(TaskSpec("a", horizon=3), pred, y).item() == pytest.approx(
        (1 + 4 + 0.25) / 3
    )
    assert task_loss(TaskSpec("a", "mae", horizon=3), pred, y).item() == pytest.approx(
        (1 + 2 + 0.5) / 3
    )
    # Huber, delta 1: |e| = 1 -> 0.5; |e| = 2 -> 1 * (2 - 0.5); |e| = 0.5 -> 0.125
    spec = TaskSpec("a", "huber", horizon=3)
    assert task_loss(spec, pred, y).item() == pytest.approx((0.5 + 1.5 + 0.125) / 3)
    spec = TaskSpec("a", "huber", horizon=3, huber_delta=0.25)
    # e = 1 -> 0.25 * (1 - 0.125); e = 2 -> 0.25 * (2 - 0.125); e = 0.5 -> 0.25 * 0.375
    expected = (0.25 * 0.875 + 0.25 * 1.875 + 0.25 * 0.375) / 3
    assert task_loss(spec, pred, y).item() == pytest.approx(expected)


def test_elementwise_functions():
    p, y = torch.tensor([1.0, -1.0]), torch.tensor([3.0, -1.5])
    assert mse(p, y).tolist() == [4.0, 0.25]
    assert mae(p, y).tolist() == [2.0, 0.5]
    assert huber(p, y, 1.0).tolist() == [1.5, 0.125]


def test_pinball_hand_computed():
    # Quantiles 0.1 and 0.9, predictions 1 and 3, observation 2.5.
    # u = y - p: 1.5 and -0.5 -> 0.1 * 1.5 = 0.15, (0.9 - 1) * -0.5 = 0.05
    pred = torch.tensor([[[[1.0, 3.0]]]])
    y = torch.tensor([[[2.5]]])
    assert pinball(pred, y, (0.1, 0.9)).item() == pytest.approx((0.15 + 0.05) / 2)
    spec = TaskSpec("q", "pinball", quantiles=(0.1, 0.9))
    assert task_loss(spec, pred, y).item() == pytest.approx(0.1)
    # The median quantile is half the absolute error.
    assert (
        pinball(torch.tensor([[[[1.0]]]]), torch.tensor([[[4.0]]]), (0.5,)).item()
        == 1.5
    )


def test_gaussian_nll_hand_computed():
    pred = torch.tensor([[[[1.0, 4.0]]]])  # mean 1, variance 4
    y = torch.tensor([[[3.0]]])
    expected = 0.5 * (math.log(4.0) + 4.0 / 4.0)
    assert gaussian_nll(pred, y).item() == pytest.approx(expected)
    ref = torch.nn.functional.gaussian_nll_loss(pred[..., 0], y, pred[..., 1])
    assert task_loss(TaskSpec("g", "gaussian_nll"), pred, y).item() == pytest.approx(
        ref.item()
    )


def test_bce_hand_computed():
    logits = torch.tensor([[[0.0], [2.0]]])
    y = torch.tensor([[[1.0], [0.0]]])
    expected = (math.log(2.0) + math.log(1 + math.exp(2.0))) / 2
    assert task_loss(
        TaskSpec("d", "bce", horizon=2), logits, y
    ).item() == pytest.approx(expected)
    assert bce(torch.tensor([0.0]), torch.tensor([0.0])).item() == pytest.approx(
        math.log(2)
    )


def test_qlike_hand_computed():
    f = torch.tensor([2.0, 1.0, 4.0])
    r = torch.tensor([1.0, 1.0, 0.0])
    vals = qlike(f, r)
    assert vals[0].item() == pytest.approx(0.5 - math.log(0.5) - 1)
    assert vals[1].item() == 0.0  # perfect forecast
    assert vals[2].item() == pytest.approx(-math.log(1e-12 / 4.0) - 1)
    # Same gradient in f as the form log(f) + r / f.
    f = torch.tensor([0.7, 2.0], requires_grad=True)
    r = torch.tensor([1.3, 0.4])
    (g1,) = torch.autograd.grad(qlike(f, r).sum(), f)
    (g2,) = torch.autograd.grad((f.log() + r / f).sum(), f)
    torch.testing.assert_close(g1, g2)


def test_missing_targets_are_skipped():
    pred = _t(1.0, 2.0, 3.0).requires_grad_()
    y = _t(0.0, float("nan"), 5.0)
    loss = task_loss(TaskSpec("a", horizon=3), pred, y)
    assert loss.item() == pytest.approx((1 + 4) / 2)
    loss.backward()
    assert pred.grad.view(-1).tolist() == [1.0, 0.0, -2.0]
    all_nan = task_loss(
        TaskSpec("a", "qlike", horizon=3),
        pred.detach().abs() + 1,
        _t(*[float("nan")] * 3),
    )
    assert all_nan.item() == 0.0


def test_half_precision_outputs_are_scored_in_float32():
    out = torch.tensor([[[100.5]]], dtype=torch.bfloat16)
    y = torch.tensor([[[100.75]]])  # not representable in bfloat16
    loss = task_loss(TaskSpec("a"), out, y)
    assert loss.dtype == torch.float32
    assert loss.item() == 0.0625


def test_total_loss_weights_tasks():
    specs = (
        TaskSpec("a", weight=2.0),
        TaskSpec("b", "mae", weight=0.5),
        TaskSpec("c", weight=0.0),
    )
    out = {k: torch.tensor([[[1.0]]]) for k in "abc"}
    tgt = {k: torch.tensor([[[3.0]]]) for k in "abc"}
    total, per = total_loss(specs, out, tgt)
    assert total.item() == pytest.approx(2.0 * 4.0 + 0.5 * 2.0)
    assert {k: v.item() for k, v in per.items()} == {"a": 4.0, "b": 2.0, "c": 4.0}
    assert not any(v.requires_grad for v in per.values())


def test_shape_and_key_errors():
    spec = TaskSpec("a", horizon=2, n_targets=3)
    with pytest.raises(ValueError, match=re.escape("must have shape (B, 2, 3)")):
        task_loss(spec, torch.zeros(4, 2, 3), torch.zeros(4, 3, 2))
    with pytest.raises(ValueError, match="does not match targets"):
        task_loss(spec, torch.zeros(5, 2, 3), torch.zeros(4, 2, 3))
    with pytest.raises(
        ValueError, match=re.escape("targets has no entry for task(s) ['a']")
    ):
        total_loss((spec,), {"a": torch.zeros(1, 2, 3)}, {"b": torch.zeros(1, 2, 3)})


ALL_TASKS = (
    TaskSpec("point", horizon=3),
    TaskSpec("mae", "mae", n_targets=2),
    TaskSpec("hub", "huber", horizon=2),
    TaskSpec(
        "q", "pinball", quantiles=(0.1, 0.5, 0.9), horizon=2, target_channels=(0,)
    ),
    TaskSpec("g", "gaussian_nll", target_channels=(1,)),
    TaskSpec("dir", "bce", horizon=2),
    TaskSpec("vol", "qlike"),
)


def _targets(specs, B, gen):
    out = {}
    for s in specs:
        y = torch.randn(B, s.horizon, s.n_targets, generator=gen)
        if s.loss == "bce":
            y = (y > 0).float()
        elif s.loss == "qlike":
            y = y.square() + 0.1
        out[s.name] = y
    return out


@pytest.mark.parametrize("head", ["single", "multi"])
@pytest.mark.parametrize("ci", [False, True])
def test_gradients_reach_every_head(head, ci):
    cfg = small_config(
        window_length=8,
        n_features=2,
        tasks=ALL_TASKS,
        output_head=head,
        channel_independent=ci,
    )
    gen = torch.Generator().manual_seed(0)
    net = TemporalAttentionNet(cfg, generator=gen)
    # An odd batch: the mae bias gradient, a mean of signs, cannot cancel out.
    x = torch.randn(5, 8, 2, generator=gen)
    total, _ = total_loss(cfg.tasks, net(x), _targets(cfg.tasks, 5, gen))
    total.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert p.grad.abs().sum() > 0, name
    if head == "multi":
        assert len(net.heads.heads) == len(ALL_TASKS)


def test_zero_weight_task_gets_no_gradient_and_stops_learning():
    tasks = (TaskSpec("main", horizon=2), TaskSpec("off", horizon=2, weight=0.0))
    cfg = small_config(window_length=8, n_features=1, tasks=tasks, output_head="multi")
    gen = torch.Generator().manual_seed(1)
    net = TemporalAttentionNet(cfg, generator=gen)
    off_head = net.heads.heads[1]
    before = {k: v.clone() for k, v in off_head.state_dict().items()}
    on_before = net.heads.heads[0].out.weight.clone()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.1)
    for _ in range(5):
        x = torch.randn(16, 8, 1, generator=gen)
        y = torch.randn(16, 2, 1, generator=gen)
        total, per = total_loss(tasks, net(x), {"main": y, "off": y})
        opt.zero_grad()
        total.backward()
        assert all(p.grad is None for p in off_head.parameters())
        opt.step()
        assert per["off"].item() > 0  # still reported
    for k, v in off_head.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    assert not torch.equal(net.heads.heads[0].out.weight, on_before)
