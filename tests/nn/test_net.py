import doctest
import re
import subprocess
import sys

import pytest
import torch

import tsattn.nn.net
from nn.helpers import small_net
from tsattn.nn.config import NetConfig, TaskSpec
from tsattn.nn.net import TemporalAttentionNet

TASKS = (
    TaskSpec("ret", horizon=4),
    TaskSpec("price", horizon=3, n_targets=2, target_channels=(0, 2)),
    TaskSpec(
        "q", "pinball", quantiles=(0.1, 0.5, 0.9), horizon=2, target_channels=(1,)
    ),
    TaskSpec("g", "gaussian_nll", target_channels=(2,)),
    TaskSpec("dir", "bce", horizon=2),
    TaskSpec("vol", "qlike"),
)
SIZE = {"window_length": 12, "n_features": 3, "tasks": TASKS, "n_layers": 2}
SHAPES = {
    "ret": (5, 4, 1),
    "price": (5, 3, 2),
    "q": (5, 2, 1, 3),
    "g": (5, 1, 1, 2),
    "dir": (5, 2, 1),
    "vol": (5, 1, 1),
}


def _net(seed=0, **kw):
    return small_net(seed, **{**SIZE, **kw}).eval()


def _x(B=5, L=12, F=3, seed=0, loc=10.0, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    return loc + scale * torch.randn(B, L, F, generator=g).cumsum(1)


@pytest.mark.parametrize("head", ["single", "multi"])
@pytest.mark.parametrize("ci", [False, True])
@pytest.mark.parametrize("patch_len", [1, 4])
@pytest.mark.parametrize("n_heads", [1, 2, 4])
def test_output_shapes(head, ci, patch_len, n_heads):
    net = _net(
        output_head=head, channel_independent=ci, patch_len=patch_len, n_heads=n_heads
    )
    out = net(_x())
    assert {k: tuple(v.shape) for k, v in out.items()} == SHAPES
    out2, maps = net(_x(), need_weights=True)
    n = net.n_tokens
    want = (5, 3, n_heads, n, n) if ci else (5, n_heads, n, n)
    assert [tuple(m.shape) for m in maps] == [want, want]
    for k in out:
        torch.testing.assert_close(out[k], out2[k], rtol=1e-5, atol=1e-5)


def test_attention_maps_are_distributions():
    _, maps = _net()(_x(), need_weights=True)
    for m in maps:
        torch.testing.assert_close(m.sum(-1), torch.ones(m.shape[:-1]))


@pytest.mark.parametrize("head", ["single", "multi"])
@pytest.mark.parametrize("ci", [False, True])
def test_instance_norm_makes_outputs_equivariant(head, ci):
    """Rescaling a window rescales channel forecasts and leaves the rest unchanged."""
    net = _net(output_head=head, channel_independent=ci).double()
    x = _x().double()
    a = torch.tensor([3.0, 0.5, 7.0], dtype=torch.float64)
    b = torch.tensor([-4.0, 100.0, 2.0], dtype=torch.float64)
    out, out_s = net(x), net(a * x + b)
    torch.testing.assert_close(out_s["price"], a[[0, 2]] * out["price"] + b[[0, 2]])
    torch.testing.assert_close(out_s["q"], a[1] * out["q"] + b[1])
    torch.testing.assert_close(out_s["g"][..., 0], a[2] * out["g"][..., 0] + b[2])
    torch.testing.assert_close(out_s["g"][..., 1], a[2] ** 2 * out["g"][..., 1])
    for k in ("ret", "dir", "vol"):
        torch.testing.assert_close(out_s[k], out[k])


@pytest.mark.parametrize("revin", [True, False])
def test_channel_task_residual_is_last_observed_value(revin):
    net = _net(revin=revin, output_head="multi")
    with torch.no_grad():
        head = net.heads.heads[1]  # task "price"
        head.out.weight.zero_()
        head.out.bias.zero_()
    x = _x()
    out = net(x)["price"]
    last = x[:, -1, [0, 2]]
    torch.testing.assert_close(
        out, last[:, None, :].expand(-1, 3, -1), rtol=1e-5, atol=1e-4
    )
    # With the last two steps missing, the residual is taken at step L - 3.
    mask = torch.zeros(5, 12, dtype=torch.bool)
    mask[:, -2:] = True
    out = net(x, key_padding_mask=mask)["price"]
    torch.testing.assert_close(out[:, 0], x[:, -3, [0, 2]], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("patch_len", [1, 4])
@pytest.mark.parametrize("ci", [False, True])
@pytest.mark.parametrize("skip", [False, True])
def test_missing_steps_never_affect_outputs(patch_len, ci, skip):
    net = _net(
        patch_len=patch_len, channel_independent=ci, causal=True, linear_skip=skip
    )
    if skip:
        with torch.no_grad():
            for lin in net.skips:
                lin.weight.normal_(generator=torch.Generator().manual_seed(1))
    x = _x()
    mask = torch.zeros(5, 12, dtype=torch.bool)
    mask[0, :5] = True  # short history
    mask[1, 3] = True  # a missing step inside a patch
    mask[2, -1] = True  # last step missing
    x1 = x.masked_fill(mask.unsqueeze(-1), float("nan"))
    x2 = x.masked_fill(mask.unsqueeze(-1), 1e6)
    out1 = net(x1, key_padding_mask=mask)
    out2 = net(x2, key_padding_mask=mask)
    for k in out1:
        assert torch.isfinite(out1[k]).all(), k
        torch.testing.assert_close(out1[k], out2[k], rtol=1e-5, atol=1e-5)
    # Without a mask the values do matter.
    assert not torch.allclose(net(x)["ret"], net(x2)["ret"])


def test_calendar_appended_or_separate():
    net = _net(n_calendar=2, patch_len=3)
    x = _x()
    cal = torch.randn(5, 12, 2)
    a = net(x, calendar=cal)
    b = net(torch.cat([x, cal], dim=-1))
    for k in a:
        torch.testing.assert_close(a[k], b[k])
    assert not torch.allclose(net(x, calendar=cal * 3)["ret"], a["ret"])


def test_generator_makes_initialisation_repeatable():
    a, b, c = _net(seed=1), _net(seed=1), _net(seed=2)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert "encoder.position" not in sa  # sinusoidal positions are not saved
    state = torch.get_rng_state()
    _net(seed=1, positional="learned")
    assert torch.equal(torch.get_rng_state(), state)  # global generator untouched


def test_state_dict_round_trip_through_config_dict():
    net = _net(positional="learned", output_head="multi")
    again = TemporalAttentionNet(NetConfig.from_dict(net.config.to_dict()))
    again.load_state_dict(net.state_dict())
    x = _x()
    for k, v in net(x).items():
        torch.testing.assert_close(again.eval()(x)[k], v)


def test_double_input_is_cast_to_module_dtype():
    net = _net()
    out = net(_x().double())
    assert out["ret"].dtype == torch.float32


def test_input_errors():
    net = _net()
    with pytest.raises(
        ValueError, match=re.escape("x must have shape (B, 12, 3). Got (5, 11, 3).")
    ):
        net(_x(L=11))
    with pytest.raises(ValueError, match=re.escape("Got (5, 12, 4)")):
        net(_x(F=4))
    with pytest.raises(TypeError, match=re.escape("must be a torch.Tensor")):
        net(_x().numpy())
    with pytest.raises(TypeError, match="floating-point"):
        net(_x().long())
    with pytest.raises(ValueError, match="n_calendar=0"):
        net(_x(), calendar=torch.zeros(5, 12, 1))
    with pytest.raises(
        ValueError,
        match=re.escape("key_padding_mask must be a bool tensor of shape (5, 12)"),
    ):
        net(_x(), key_padding_mask=torch.zeros(5, 12))
    cal_net = _net(n_calendar=2)
    with pytest.raises(ValueError, match="pass the calendar features one way only"):
        cal_net(_x(F=5), calendar=torch.zeros(5, 12, 2))
    with pytest.raises(
        ValueError, match=re.escape("pass calendar= of shape (5, 12, 2)")
    ):
        cal_net(_x())
    with pytest.raises(TypeError, match="expects a NetConfig"):
        TemporalAttentionNet({"window_length": 3})


def test_docstring_examples():
    result = doctest.testmod(tsattn.nn.net, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_nn_package_is_pure_torch():
    code = (
        "import sys, tsattn.nn; "
        "print(sorted(m for m in ('pandas', 'sklearn', 'numba', 'tsattn.windows', "
        "'tsattn.data', 'tsattn.fitting') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("head", ["single", "multi"])
@pytest.mark.parametrize("ci", [False, True])
@pytest.mark.parametrize("skip", [False, True])
def test_repeat_init_starts_every_channel_task_at_the_last_value(head, ci, skip):
    net = _net(
        output_head=head, channel_independent=ci, repeat_init=True, linear_skip=skip
    )
    x = _x()
    out = net(x)
    last = x[:, -1]  # (B, F)
    torch.testing.assert_close(out["price"], last[:, None, [0, 2]].expand(-1, 3, -1))
    torch.testing.assert_close(out["g"][..., 0], last[:, None, [2]])
    # tasks without target channels keep their random start
    assert out["ret"].abs().sum() > 0
    plain = _net(output_head=head, channel_independent=ci)(x)
    assert not torch.allclose(plain["price"], out["price"])


def test_linear_skip_has_one_zero_layer_per_channel_task():
    net = _net(linear_skip=True)
    # price (H=3), q (H=2) and g (H=1) forecast input channels; ret/dir/vol do not
    assert [(m.in_features, m.out_features) for m in net.skips] == [
        (12, 3),
        (12, 2),
        (12, 1),
    ]
    assert all(m.weight.abs().sum() == 0 and m.bias.abs().sum() == 0 for m in net.skips)
    assert _net().skips is None
    n_plain = sum(p.numel() for p in _net().parameters())
    n_skip = sum(p.numel() for p in net.parameters())
    assert n_skip - n_plain == 13 * 3 + 13 * 2 + 13 * 1


@pytest.mark.parametrize("revin", [True, False])
@pytest.mark.parametrize("ci", [False, True])
def test_linear_skip_adds_a_linear_map_of_each_channels_own_window(revin, ci):
    net = _net(linear_skip=True, repeat_init=True, revin=revin, channel_independent=ci)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for lin in net.skips:
            lin.weight.copy_(0.1 * torch.randn(lin.weight.shape, generator=g))
            lin.bias.copy_(torch.randn(lin.bias.shape, generator=g))
    x = _x()
    out = net(x)
    W, b = net.skips[0].weight, net.skips[0].bias  # task "price", channels 0 and 2
    for j, ch in enumerate((0, 2)):
        series = x[:, :, ch]  # (B, L)
        if revin:
            mean = series.mean(1, keepdim=True)
            std = series.std(1, unbiased=False, keepdim=True)
            z = (series - mean) / std
            expected = mean + std * (z[:, -1:] + z @ W.T + b)
        else:
            expected = series[:, -1:] + series @ W.T + b
        torch.testing.assert_close(
            out["price"][:, :, j], expected, rtol=1e-4, atol=1e-3
        )
    # every quantile of "q" moves by the same skip forecast
    with torch.no_grad():
        for lin in net.skips:
            lin.weight.zero_()
            lin.bias.zero_()
    shift = out["q"] - net(x)["q"]  # (B, H, 1, Q)
    assert shift.abs().min() > 0
    torch.testing.assert_close(shift, shift[..., :1].expand_as(shift))


def test_linear_skip_learns_from_the_first_step():
    net = _net(linear_skip=True, repeat_init=True).train()
    x = _x()
    out = net(x)["price"]
    loss = (out - x[:, -3:, [0, 2]].flip(1)).square().mean()
    loss.backward()
    assert all(m.weight.grad.abs().sum() > 0 for m in net.skips[:1])
