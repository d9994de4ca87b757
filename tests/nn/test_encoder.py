import math
import re

import numpy as np
import pytest
import torch

from nn.helpers import small_config
from tsattn.nn.config import TaskSpec
from tsattn.nn.encoder import TemporalEncoder, patchify, sinusoidal_table

TASKS = (TaskSpec("y"),)
SIZE = {"window_length": 12, "n_features": 3, "tasks": TASKS, "n_layers": 2}


def _config(**kw):
    return small_config(**{**SIZE, **kw})


def _encoder(seed=0, **kw):
    torch.manual_seed(seed)
    return TemporalEncoder(_config(**kw)).eval()


def _patch_reference(a, P, S):
    """numpy: pad the end by repeating the last row, then cut patches."""
    L = a.shape[1]
    n = math.ceil((L - P) / S) + 1
    pad = (n - 1) * S + P - L
    if pad:
        a = np.concatenate([a, np.repeat(a[:, -1:], pad, axis=1)], axis=1)
    return np.stack([a[:, i * S : i * S + P].transpose(0, 2, 1) for i in range(n)], 1)


@pytest.mark.parametrize(
    ("L", "P", "S"),
    [(12, 1, 1), (12, 4, 4), (13, 4, 4), (10, 4, 2), (7, 7, 7), (9, 3, 1)],
)
def test_patchify_matches_reference(L, P, S):
    a = np.arange(2 * L * 2, dtype=np.float32).reshape(2, L, 2)
    got = patchify(torch.from_numpy(a), P, S).numpy()
    ref = _patch_reference(a, P, S)
    np.testing.assert_array_equal(got, ref)
    assert (
        got.shape[1] == _config(window_length=L, patch_len=P, patch_stride=S).n_tokens
    )


def test_patchify_pads_with_last_value():
    t = torch.arange(5.0).view(1, 5, 1)
    p = patchify(t, 2, 2)
    assert p.shape == (1, 3, 1, 2)
    assert p[0, -1, 0].tolist() == [4.0, 4.0]


def test_sinusoidal_table_values():
    tab = sinusoidal_table(5, 6)
    assert tab.shape == (5, 6)
    pos = 3
    for i in range(3):
        freq = 10000 ** (-2 * i / 6)
        assert tab[pos, 2 * i].item() == pytest.approx(math.sin(pos * freq), abs=1e-6)
        assert tab[pos, 2 * i + 1].item() == pytest.approx(
            math.cos(pos * freq), abs=1e-6
        )
    assert sinusoidal_table(4, 5).shape == (4, 5)  # odd width


@pytest.mark.parametrize("ci", [False, True])
@pytest.mark.parametrize(("P", "S"), [(1, None), (4, None), (4, 2)])
def test_output_shapes(ci, P, S):
    enc = _encoder(channel_independent=ci, patch_len=P, patch_stride=S)
    n = enc.n_tokens
    h, token_mask, w = enc(torch.randn(2, 12, 3), need_weights=True)
    assert token_mask is None
    if ci:
        assert h.shape == (2, 3, n, 8)
        assert [x.shape for x in w] == [(2, 3, 2, n, n)] * 2
    else:
        assert h.shape == (2, n, 8)
        assert [x.shape for x in w] == [(2, 2, n, n)] * 2
    assert enc(torch.randn(2, 12, 3))[2] == []


def test_patches_shorten_the_sequence():
    assert _config(window_length=64, patch_len=16).n_tokens == 4
    assert _config(window_length=64, patch_len=16, patch_stride=8).n_tokens == 7
    assert _config(window_length=64).n_tokens == 64


def test_channel_independent_shares_weights_across_channels():
    enc = _encoder(channel_independent=True, patch_len=3)
    x = torch.randn(2, 12, 3)
    h, _, _ = enc(x)
    # Each channel alone, as a batch of univariate sequences through the same weights.
    for f in range(3):
        one = x[:, :, f : f + 1]
        hf, _, _ = enc(one.expand(-1, -1, 3).contiguous())
        torch.testing.assert_close(h[:, f], hf[:, 0], rtol=1e-5, atol=1e-5)
    # Permuting channels permutes the encodings.
    hp, _, _ = enc(x[:, :, [2, 0, 1]])
    torch.testing.assert_close(hp, h[:, [2, 0, 1]], rtol=1e-5, atol=1e-5)


def test_causal_encoder_ignores_future_steps():
    enc = _encoder(causal=True)
    x = torch.randn(2, 12, 3)
    h, _, _ = enc(x)
    x2 = x.clone()
    x2[:, 7:] += torch.randn(2, 5, 3)
    h2, _, _ = enc(x2)
    torch.testing.assert_close(h[:, :7], h2[:, :7], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(h[:, 7:], h2[:, 7:])


def test_non_causal_encoder_sees_the_future():
    enc = _encoder(causal=False)
    x = torch.randn(2, 12, 3)
    x2 = x.clone()
    x2[:, 7:] += 1.0
    assert not torch.allclose(enc(x)[0][:, :7], enc(x2)[0][:, :7])


@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_positional_encoding_breaks_permutation_symmetry(positional):
    enc = _encoder(positional=positional, n_layers=1)
    if positional == "learned":
        assert isinstance(enc.position, torch.nn.Parameter)
        assert enc.position.shape == (12, 8)
    else:
        assert "position" not in enc.state_dict()  # recomputed, not saved
    x = torch.randn(1, 12, 3)
    perm = torch.randperm(12)
    h, _, _ = enc(x)
    hp, _, _ = enc(x[:, perm])
    assert not torch.allclose(hp, h[:, perm], atol=1e-4)


def test_calendar_features_are_added():
    enc = _encoder(n_calendar=2, patch_len=4)
    x = torch.randn(2, 12, 3)
    cal = torch.randn(2, 12, 2)
    h, _, _ = enc(x, calendar=cal)
    h0, _, _ = enc(x, calendar=torch.zeros_like(cal))
    assert not torch.allclose(h, h0)
    with torch.no_grad():
        enc.calendar_embedding.weight.zero_()
    torch.testing.assert_close(enc(x, calendar=cal)[0], h0)
    with pytest.raises(ValueError, match="n_calendar=2 but got no calendar"):
        enc(x)


def test_padded_tokens_are_zero_and_ignored():
    enc = _encoder(patch_len=4)
    x = torch.randn(2, 12, 3)
    mask = torch.zeros(2, 12, dtype=torch.bool)
    mask[0, :6] = True  # first patch fully missing, second half missing
    h, token_mask, _ = enc(x, mask=mask)
    assert token_mask.tolist() == [[True, False, False], [False, False, False]]
    assert torch.all(h[0, 0] == 0)
    x2 = x.clone()
    x2[0, :4] = 50.0  # only the fully padded patch changes
    torch.testing.assert_close(enc(x2, mask=mask)[0], h)


def test_config_errors_for_patching():
    with pytest.raises(
        ValueError, match=re.escape("patch_len (= 13) exceeds window_length (= 12)")
    ):
        _config(patch_len=13)
    with pytest.raises(ValueError, match="would skip time steps"):
        _config(patch_len=4, patch_stride=5)
