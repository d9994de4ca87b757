import math
import re

import pytest
import torch

from tsattn.nn.attention import MultiHeadAttention


def _mha(d_model, n_heads, seed=0, dropout=0.0):
    torch.manual_seed(seed)
    m = MultiHeadAttention(d_model, n_heads, dropout=dropout)
    # Non-zero biases so that the reference formulas must handle them too.
    with torch.no_grad():
        m.qkv.bias.normal_()
        m.proj.bias.normal_()
    return m.eval()


def _reference(m, x, key_padding_mask=None, causal=False):
    """Per-head loop written from the formula: softmax(Q K^T / sqrt(hs)) V."""
    D = m.d_model
    nh, hs = m.n_heads, m.head_size
    W, b = m.qkv.weight, m.qkv.bias
    Wq, Wk, Wv = W[:D], W[D : 2 * D], W[2 * D :]
    bq, bk, bv = b[:D], b[D : 2 * D], b[2 * D :]
    B, L, _ = x.shape
    outs, weights = [], []
    for h in range(nh):
        sl = slice(h * hs, (h + 1) * hs)
        q = x @ Wq[sl].T + bq[sl]
        k = x @ Wk[sl].T + bk[sl]
        v = x @ Wv[sl].T + bv[sl]
        s = q @ k.transpose(1, 2) / math.sqrt(hs)
        allowed = torch.ones(B, L, L, dtype=torch.bool)
        if key_padding_mask is not None:
            allowed &= ~key_padding_mask[:, None, :]
        if causal:
            allowed &= torch.ones(L, L, dtype=torch.bool).tril()
        s = s.masked_fill(~allowed, float("-inf"))
        w = torch.softmax(s, dim=-1)
        outs.append(w @ v)
        weights.append(w)
    y = torch.cat(outs, dim=-1) @ m.proj.weight.T + m.proj.bias
    return y, torch.stack(weights, dim=1)


@pytest.mark.parametrize(
    ("B", "L", "D", "n_heads"),
    [(1, 1, 4, 1), (2, 7, 8, 1), (3, 5, 8, 2), (2, 16, 16, 4), (1, 9, 24, 8)],
)
def test_shapes_and_reference(B, L, D, n_heads):
    m = _mha(D, n_heads)
    x = torch.randn(B, L, D)
    out, w = m(x, need_weights=True)
    assert out.shape == (B, L, D)
    assert w.shape == (B, n_heads, L, L)
    ref_out, ref_w = _reference(m, x)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(w, ref_w, rtol=1e-5, atol=1e-6)
    fast, none = m(x)
    assert none is None
    torch.testing.assert_close(fast, ref_out, rtol=1e-5, atol=1e-5)


def test_single_head_equals_hand_written_formula():
    # A tiny case, one head: y = softmax(x Wq^T (x Wk^T)^T / sqrt(D)) x Wv^T, then Wo.
    torch.manual_seed(3)
    m = MultiHeadAttention(2, 1, bias=False).eval()
    W = torch.tensor(
        [[1.0, 0.0], [0.0, 1.0], [0.5, -0.5], [1.0, 1.0], [2.0, 0.0], [0.0, -1.0]]
    )
    Wo = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
    with torch.no_grad():
        m.qkv.weight.copy_(W)
        m.proj.weight.copy_(Wo)
    x = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    q = x[0] @ W[:2].T
    k = x[0] @ W[2:4].T
    v = x[0] @ W[4:].T
    scores = q @ k.T / math.sqrt(2)
    w = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
    expected = (w @ v) @ Wo.T
    for need_weights in (False, True):
        out, weights = m(x, need_weights=need_weights)
        torch.testing.assert_close(out[0], expected, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(weights[0, 0], w, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n_heads", [1, 2, 4])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_fast_and_explicit_paths_agree(n_heads, causal, masked):
    m = _mha(16, n_heads, seed=1)
    x = torch.randn(4, 12, 16, requires_grad=True)
    mask = None
    if masked:
        mask = torch.zeros(4, 12, dtype=torch.bool)
        mask[0, :5] = True  # short history at the start
        mask[2, [1, 7, 11]] = True
    fast, _ = m(x, key_padding_mask=mask, causal=causal)
    slow, w = m(x, key_padding_mask=mask, causal=causal, need_weights=True)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)
    ref, ref_w = _reference(m, x, key_padding_mask=mask, causal=causal)
    finite = torch.isfinite(ref).all(-1)  # rows with no visible key are NaN here
    torch.testing.assert_close(slow[finite], ref[finite], rtol=1e-5, atol=1e-5)
    rows = finite[:, None, :].expand(-1, n_heads, -1)
    torch.testing.assert_close(w[rows], ref_w[rows], rtol=1e-5, atol=1e-6)
    # Gradients agree too.
    (g_fast,) = torch.autograd.grad(fast.square().sum(), x)
    (g_slow,) = torch.autograd.grad(slow.square().sum(), x)
    torch.testing.assert_close(g_fast, g_slow, rtol=1e-4, atol=1e-5)


def test_masked_keys_get_zero_weight():
    m = _mha(8, 2)
    x = torch.randn(2, 6, 8)
    mask = torch.tensor(
        [[True, True, False, False, False, False], [False] * 5 + [True]]
    )
    _, w = m(x, key_padding_mask=mask, need_weights=True)
    assert torch.all(w[0, :, :, :2] == 0)
    assert torch.all(w[1, :, :, 5] == 0)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 2, 6))


def test_masked_key_values_do_not_change_output():
    m = _mha(8, 2)
    x = torch.randn(2, 6, 8)
    mask = torch.zeros(2, 6, dtype=torch.bool)
    mask[:, :2] = True
    y = x.clone()
    y[:, :2] = 100.0 * torch.randn(2, 2, 8)
    out_x, _ = m(x, key_padding_mask=mask)
    out_y, _ = m(y, key_padding_mask=mask)
    # Queries at unmasked positions only see unmasked keys.
    torch.testing.assert_close(out_x[:, 2:], out_y[:, 2:], rtol=1e-5, atol=1e-5)


def test_causal_weights_are_lower_triangular_and_future_does_not_leak():
    m = _mha(8, 4)
    x = torch.randn(3, 7, 8)
    out, w = m(x, causal=True, need_weights=True)
    upper = torch.ones(7, 7, dtype=torch.bool).triu(1)
    assert torch.all(w[..., upper] == 0)
    assert torch.all(w[..., ~upper] > 0)
    x2 = x.clone()
    x2[:, 4:] = torch.randn(3, 3, 8)
    out2, _ = m(x2, causal=True)
    torch.testing.assert_close(out[:, :4], out2[:, :4], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(out[:, 4:], out2[:, 4:])


@pytest.mark.parametrize("need_weights", [False, True])
def test_query_without_visible_key_gives_zero_and_finite_gradients(need_weights):
    m = _mha(8, 2)
    x = torch.randn(2, 5, 8, requires_grad=True)
    mask = torch.zeros(2, 5, dtype=torch.bool)
    mask[0] = True  # every key of sample 0 padded
    mask[1, :2] = True  # with causal, queries 0 and 1 of sample 1 see nothing
    out, w = m(x, key_padding_mask=mask, causal=True, need_weights=need_weights)
    # Zero attention output -> the output projection's bias alone.
    bias = m.proj.bias.expand(5, 8)
    torch.testing.assert_close(out[0], bias)
    torch.testing.assert_close(out[1, :2], bias[:2])
    assert torch.isfinite(out).all()
    if need_weights:
        assert torch.all(w[0] == 0)
        assert torch.all(w[1, :, :2] == 0)
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert torch.isfinite(m.qkv.weight.grad).all()


def test_attention_dropout_only_in_training():
    m = _mha(8, 2, dropout=0.5)
    x = torch.randn(2, 6, 8)
    a, _ = m(x)
    b, _ = m(x)
    torch.testing.assert_close(a, b)
    m.train()
    _, w = m(x, need_weights=True)  # returned weights are before dropout
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 2, 6))
    c, _ = m(x)
    assert not torch.allclose(a, c)


def test_parameter_count_independent_of_heads():
    counts = {
        h: sum(p.numel() for p in MultiHeadAttention(32, h).parameters())
        for h in (1, 2, 4, 8)
    }
    assert len(set(counts.values())) == 1
    assert counts[1] == 4 * 32 * 32 + 4 * 32


def test_bad_arguments():
    with pytest.raises(ValueError, match=re.escape("try d_model=32")):
        MultiHeadAttention(30, 4)
    with pytest.raises(ValueError, match="n_heads must be an int >= 1"):
        MultiHeadAttention(8, 0)
    with pytest.raises(ValueError, match=re.escape("dropout must be in [0, 1)")):
        MultiHeadAttention(8, 2, dropout=1.0)
    m = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=re.escape("expects x of shape (B, L, 8)")):
        m(torch.randn(2, 3, 4))
    with pytest.raises(
        ValueError, match=re.escape("key_padding_mask must have shape (B, L) = (2, 3)")
    ):
        m(torch.randn(2, 3, 8), key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="must be a bool tensor"):
        m(torch.randn(2, 3, 8), key_padding_mask=torch.zeros(2, 3))
