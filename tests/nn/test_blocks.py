import torch
import torch.nn.functional as F

from tsattn.nn.blocks import EncoderBlock, FeedForward


def test_feed_forward_formula():
    torch.manual_seed(0)
    ff = FeedForward(4, 8).eval()
    x = torch.randn(2, 3, 4)
    expected = F.gelu(x @ ff.fc.weight.T + ff.fc.bias) @ ff.proj.weight.T + ff.proj.bias
    torch.testing.assert_close(ff(x), expected)


def test_encoder_block_is_pre_norm_residual():
    torch.manual_seed(0)
    block = EncoderBlock(8, 2, 16).eval()
    x = torch.randn(3, 5, 8)
    mask = torch.tensor([[True, False, False, False, False]] * 3)
    out, w = block(x, key_padding_mask=mask, causal=True, need_weights=True)
    a, w_ref = block.attn(
        block.ln_1(x), key_padding_mask=mask, causal=True, need_weights=True
    )
    h = x + a
    expected = h + block.ffn(block.ln_2(h))
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(w, w_ref)
    assert w.shape == (3, 2, 5, 5)
    out_fast, none = block(x, key_padding_mask=mask, causal=True)
    assert none is None
    torch.testing.assert_close(out_fast, out, rtol=1e-5, atol=1e-5)


def test_dropout_rates_reach_sublayers():
    block = EncoderBlock(8, 2, 16, dropout=0.3, attention_dropout=0.2)
    assert block.attn.dropout == 0.2
    assert block.drop.p == 0.3
    assert block.ffn.drop.p == 0.3
    block.train()
    x = torch.randn(2, 4, 8)
    a, _ = block(x)
    b, _ = block(x)
    assert not torch.allclose(a, b)
    block.eval()
    torch.testing.assert_close(block(x)[0], block(x)[0])
