"""The CPU dropout: its rate, scaling, gradient, randomness and fallbacks."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tsattn.nn.dropout import Dropout, dropout, keep_mask, quantized_rate


@pytest.mark.parametrize("p", [0.05, 0.1, 0.3, 0.5, 0.9])
def test_keep_rate_matches_p_in_every_16_bit_lane(p):
    torch.manual_seed(0)
    mask = keep_mask((300_000,), p).numpy()
    keep = 1 - quantized_rate(p)
    # Each of the three 16-bit lanes of a draw must be uniform on its own; a lane
    # taken from the top bits of a 63-bit draw would keep more than the others.
    for lane in range(3):
        kept = mask[lane::3]
        test = stats.binomtest(int(kept.sum()), kept.size, keep)
        assert test.pvalue > 1e-4, (lane, kept.mean(), keep)


def test_mask_elements_are_independent_of_their_neighbours():
    torch.manual_seed(1)
    mask = keep_mask((200_000,), 0.5).numpy().astype(float)
    r = np.corrcoef(mask[:-1], mask[1:])[0, 1]
    assert abs(r) < 4 / np.sqrt(mask.size)


def test_output_is_zero_or_rescaled_input_and_gradient_is_the_same_mask():
    torch.manual_seed(2)
    x = (torch.rand(64, 33, 7) + 0.5).requires_grad_()
    y = dropout(x, 0.2, training=True)
    scale = 1 / (1 - quantized_rate(0.2))
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] * scale)
    y.sum().backward()
    expected = kept.to(x.dtype) * scale
    torch.testing.assert_close(x.grad, expected)


def test_expectation_is_the_input():
    torch.manual_seed(3)
    x = torch.full((1_000_000,), 2.0)
    y = dropout(x, 0.3, training=True)
    assert abs(y.mean().item() - 2.0) < 0.01


def test_same_seed_same_mask_and_calls_differ():
    torch.manual_seed(4)
    a = keep_mask((1000,), 0.5)
    b = keep_mask((1000,), 0.5)
    torch.manual_seed(4)
    assert torch.equal(a, keep_mask((1000,), 0.5))
    assert not torch.equal(a, b)


def test_identity_in_eval_mode_and_at_zero_rate():
    x = torch.randn(8, 5)
    module = Dropout(0.4).eval()
    assert module(x) is x
    assert dropout(x, 0.0, training=True) is x
    assert dropout(x, 0.4, training=False) is x


def test_rates_below_the_quantum_do_nothing():
    x = torch.randn(100)
    assert quantized_rate(1e-6) == 0.0
    assert dropout(x, 1e-6, training=True) is x


def test_other_dtypes_use_torch_dropout():
    torch.manual_seed(5)
    x = torch.ones(10_000, dtype=torch.bfloat16)
    y = dropout(x, 0.5, training=True)
    torch.manual_seed(5)
    torch.testing.assert_close(y, F.dropout(x, 0.5, training=True))


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_module_refuses_rates_outside_unit_interval(p):
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\)"):
        Dropout(p)


@settings(max_examples=30, deadline=None)
@given(
    shape=st.lists(st.integers(1, 7), min_size=1, max_size=4),
    p=st.floats(0.0, 0.95),
)
def test_shape_is_kept_for_any_input(shape, p):
    x = torch.randn(*shape)
    y = dropout(x, p, training=True)
    assert y.shape == x.shape
    scale = 1 / (1 - quantized_rate(p)) if quantized_rate(p) > 0 else 1.0
    assert torch.all((y == 0) | torch.isclose(y, x * scale))


@pytest.mark.parametrize("p", [1 - 1e-6, 1 - 2**-17, 0.99999])
def test_rates_next_to_one_keep_some_elements_and_stay_finite(p):
    torch.manual_seed(6)
    assert quantized_rate(p) == 1 - 2**-16
    kept = keep_mask((1_000_000,), p)
    assert 0 < int(kept.sum()) < 100  # about 15 expected
    x = torch.ones(1_000_000, requires_grad=True)
    y = dropout(x, p, training=True)
    assert torch.isfinite(y).all()
    y.sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("p", [-0.5, 1.0, 2.0])
def test_functions_refuse_rates_outside_unit_interval(p):
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\)"):
        dropout(torch.ones(3), p, training=True)
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\)"):
        keep_mask((3,), p)


def test_float64_inputs_use_the_fast_path_with_the_same_mask():
    torch.manual_seed(7)
    y = dropout(torch.ones(10_000, dtype=torch.float64), 0.25, training=True)
    torch.manual_seed(7)
    expected = keep_mask((10_000,), 0.25).to(torch.float64) / (1 - quantized_rate(0.25))
    assert y.dtype == torch.float64
    torch.testing.assert_close(y, expected)
