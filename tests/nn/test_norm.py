import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tsattn.nn.norm import RevIN, denormalize, normalize


def test_normalize_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, size=(4, 10, 3)).astype(np.float32)
    x_n, stats = normalize(torch.from_numpy(x))
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    np.testing.assert_allclose(stats.mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(stats.std.numpy(), std, rtol=1e-5)
    np.testing.assert_allclose(x_n.numpy(), (x - mean) / std, rtol=1e-4, atol=1e-5)
    assert stats.mean.shape == (4, 1, 3)


@given(
    st.integers(1, 4),
    st.integers(2, 12),
    st.integers(1, 3),
    st.floats(-1e3, 1e3),
    st.floats(1e-2, 1e3),
)
def test_round_trip(B, L, F, loc, scale):
    gen = torch.Generator().manual_seed(B * 100 + L * 10 + F)
    x = loc + scale * torch.randn(B, L, F, generator=gen, dtype=torch.float64)
    rev = RevIN(F)
    x_n, stats = rev.normalize(x)
    # Outputs shaped (B, H, T) with T = all channels: the window itself comes back.
    back = rev.denormalize(x_n, stats, list(range(F)))
    torch.testing.assert_close(back, x, rtol=1e-9, atol=1e-9 * (abs(loc) + scale))


def test_round_trip_with_affine_and_channel_subset():
    torch.manual_seed(0)
    rev = RevIN(3, affine=True)
    with torch.no_grad():
        rev.weight.copy_(torch.tensor([2.0, -0.5, 1.5]))
        rev.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    x = 10 + 4 * torch.randn(2, 8, 3, dtype=torch.float64)
    rev = rev.double()
    x_n, stats = rev.normalize(x)
    # Channel 2 then channel 0, with a trailing quantile axis.
    y = x_n[:, :, [2, 0]].unsqueeze(-1).expand(-1, -1, -1, 3)
    back = rev.denormalize(y, stats, [2, 0])
    torch.testing.assert_close(back[..., 1], x[:, :, [2, 0]])


def test_denormalize_variance_scales_by_std_squared():
    x = torch.tensor([[[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]]])  # std 1.633, const
    _, stats = normalize(x)
    v = torch.ones(1, 2, 2)
    out = RevIN(2).denormalize_variance(v, stats, [0, 1])
    np.testing.assert_allclose(out[0, 0].numpy(), [np.var([0, 2, 4]), 1e-10], rtol=1e-5)


def test_constant_channel_maps_to_zero_and_back():
    x = torch.full((2, 5, 1), 3.0)
    x_n, stats = normalize(x)
    assert torch.all(x_n == 0)
    torch.testing.assert_close(denormalize(x_n, stats, [0]), x)


def test_mask_excludes_steps_and_zeroes_them():
    x = torch.tensor([[[np.nan], [1.0], [3.0]], [[2.0], [4.0], [6.0]]])
    mask = torch.tensor([[True, False, False], [False, False, False]])
    x_n, stats = normalize(x, mask)
    assert torch.isfinite(x_n).all()
    assert x_n[0, 0, 0] == 0
    torch.testing.assert_close(stats.mean[:, 0, 0], torch.tensor([2.0, 4.0]))
    torch.testing.assert_close(
        stats.std[:, 0, 0], torch.tensor([1.0, float(np.std([2, 4, 6]))])
    )
    torch.testing.assert_close(x_n[0, 1:, 0], torch.tensor([-1.0, 1.0]))


def test_no_state_between_calls():
    rev = RevIN(1)
    a = torch.randn(2, 6, 1)
    b = 100 + torch.randn(2, 6, 1)
    out_a1, _ = rev.normalize(a)
    rev.normalize(b)
    out_a2, _ = rev.normalize(a)
    torch.testing.assert_close(out_a1, out_a2)
    assert len(list(rev.buffers())) == 0


def test_channel_count_mismatch():
    _, stats = normalize(torch.randn(2, 4, 3))
    with pytest.raises(ValueError, match=re.escape("T == len(channels)")):
        denormalize(torch.randn(2, 5, 2), stats, [0, 1, 2])
