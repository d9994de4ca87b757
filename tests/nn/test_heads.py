import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from nn.helpers import small_config
from tsattn.nn.config import TaskSpec
from tsattn.nn.heads import POSITIVE_EPS, TaskHeads, constrain

TASKS = (
    TaskSpec("p", horizon=3, n_targets=2),
    TaskSpec(
        "q", "pinball", quantiles=(0.05, 0.5, 0.95), horizon=2, target_channels=(1,)
    ),
    TaskSpec("g", "gaussian_nll", n_targets=2, target_channels=(0, 2)),
    TaskSpec("d", "bce", horizon=4),
    TaskSpec("v", "qlike", horizon=2),
)


def _cfg(**kw):
    return small_config(**{"window_length": 8, "n_features": 3, "tasks": TASKS, **kw})


def test_raw_shapes_single_and_multi():
    for head in ("single", "multi"):
        c = _cfg(output_head=head)
        heads = TaskHeads(c)
        raw = heads(torch.randn(4, c.n_tokens, 8))
        assert {k: tuple(v.shape) for k, v in raw.items()} == {
            "p": (4, 3, 2, 1),
            "q": (4, 2, 1, 3),
            "g": (4, 1, 2, 2),
            "d": (4, 4, 1, 1),
            "v": (4, 2, 1, 1),
        }


def test_single_head_is_one_linear_layer():
    c = _cfg(output_head="single")
    heads = TaskHeads(c)
    linears = [m for m in heads.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 1
    assert linears[0].in_features == c.n_tokens * 8
    assert linears[0].out_features == sum(t.n_outputs for t in TASKS)
    # The split follows task order: task "p" is the first 6 outputs.
    enc = torch.randn(2, c.n_tokens, 8)
    flat = linears[0](enc.flatten(1))
    torch.testing.assert_close(heads(enc)["p"], flat[:, :6].view(2, 3, 2, 1))


def test_multi_head_has_one_mlp_per_task():
    heads = TaskHeads(_cfg(output_head="multi"))
    assert len(heads.heads) == len(TASKS)
    enc = torch.randn(2, 8, 8)
    before = heads(enc)["d"]
    with torch.no_grad():
        heads.heads[0].out.weight.add_(1.0)  # task "p"'s head only
    torch.testing.assert_close(heads(enc)["d"], before)


def test_channel_wise_head_in_channel_independent_mode():
    c = _cfg(output_head="multi", channel_independent=True)
    heads = TaskHeads(c)
    assert heads.channel_wise == (False, True, True, False, False)
    enc = torch.randn(2, 3, c.n_tokens, 8)
    out = heads(enc)["g"]
    # Targets (0, 2) each come from their own channel's encoding, same weights.
    mlp = heads.heads[2]
    for t, ch in enumerate((0, 2)):
        expected = mlp(enc[:, ch].flatten(1)).view(2, 1, 2)
        torch.testing.assert_close(out[:, :, t], expected)


def test_constrain_point_bce_shapes():
    raw = torch.randn(2, 3, 4, 1)
    for loss in ("mse", "mae", "huber", "bce"):
        torch.testing.assert_close(constrain(TaskSpec("t", loss), raw), raw[..., 0])


@given(st.lists(st.floats(-30, 30), min_size=4, max_size=4))
def test_quantiles_never_cross(values):
    spec = TaskSpec("q", "pinball", quantiles=(0.1, 0.4, 0.6, 0.9))
    raw = torch.tensor(values, dtype=torch.float64).view(1, 1, 1, 4)
    q = constrain(spec, raw)
    assert q.shape == (1, 1, 1, 4)
    assert torch.all(q[..., 1:] >= q[..., :-1])
    assert q[0, 0, 0, 0].item() == values[0]


def test_variances_are_positive():
    raw = torch.tensor([[[[0.3, -50.0]], [[0.0, 2.0]]]])
    g = constrain(TaskSpec("g", "gaussian_nll"), raw)
    assert g.shape == (1, 2, 1, 2)
    assert torch.all(g[..., 1] > 0)
    assert g[0, 1, 0, 1].item() == pytest.approx(
        F.softplus(torch.tensor(2.0)).item() + POSITIVE_EPS
    )
    v = constrain(TaskSpec("v", "qlike"), torch.full((1, 1, 1, 1), -80.0))
    assert v.item() == pytest.approx(POSITIVE_EPS)


def test_single_head_is_shared_by_channels_when_channel_independent():
    tasks = (
        TaskSpec("f", horizon=3, n_targets=3, target_channels=(0, 1, 2)),
        TaskSpec("q", "pinball", quantiles=(0.1, 0.9), horizon=2, target_channels=(2,)),
    )
    c = _cfg(tasks=tasks, channel_independent=True, output_head="single")
    heads = TaskHeads(c)
    linears = [m for m in heads.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 1
    per_channel = c.n_tokens * 8
    assert linears[0].in_features == per_channel
    assert linears[0].out_features == 3 + 2 * 2
    enc = torch.randn(4, 3, c.n_tokens, 8)  # (B, F, N, D)
    raw = heads(enc)
    assert tuple(raw["f"].shape) == (4, 3, 3, 1)
    assert tuple(raw["q"].shape) == (4, 2, 1, 2)
    # Channel c's outputs depend on channel c's encoding only, through the
    # same weights for every channel.
    flat = linears[0](enc[:, 1].flatten(1))  # (B, 7)
    torch.testing.assert_close(raw["f"][:, :, 1, 0], flat[:, :3])
    changed = enc.clone()
    changed[:, 0] += 1.0
    torch.testing.assert_close(heads(changed)["f"][:, :, 1:], raw["f"][:, :, 1:])
