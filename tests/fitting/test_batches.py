import re

import numpy as np
import pytest
import torch

from fitting.helpers import BufferedWindows, FakeWindows, L, sine, sine_windows
from tsattn.fitting.batches import Batches, check_windows, forward


def test_check_windows_counts_and_refuses():
    assert check_windows("w", sine_windows()) == 400 - L - 3 + 1
    with pytest.raises(TypeError, match=re.escape("w must provide __len__()")):
        check_windows("w", np.zeros((3, L, 1)))
    with pytest.raises(ValueError, match="w holds no windows"):
        check_windows("w", sine_windows(starts=np.arange(0)))


def test_batches_reuse_one_pair_of_buffers_when_offered():
    w = sine_windows(BufferedWindows)
    batches = Batches(w, 16, torch.device("cpu"))
    assert batches.use_out
    for lo in (0, 16, 32):
        idx = np.arange(lo, lo + 16)
        x, y = batches.get(idx, "w")
        expected = FakeWindows.get_batch(w, idx)
        np.testing.assert_array_equal(x, expected[0])
        np.testing.assert_array_equal(y, expected[1])
    x, y = batches.get(np.arange(5), "w")  # a short last batch
    assert x.shape == (5, L, 1)
    assert y.shape == (5, 3, 1)
    assert len(w.buffer_ids) == 1
    assert not Batches(sine_windows(), 16, torch.device("cpu")).use_out


def test_to_tensors_masks_the_steps_holding_a_nan():
    v = sine()
    x = v.copy()
    x[:2] = np.nan
    batches = Batches(FakeWindows(x, v, L, 3), 4, torch.device("cpu"))
    xt, mask, yt = batches.to_tensors(*batches.get(np.arange(4), "w"))
    assert mask is not None
    assert mask.shape == (4, L)
    assert mask[0, :2].all()
    assert not mask[0, 2:].any()
    assert mask[1, 0]
    assert not mask[2:].any()
    assert xt.dtype == yt.dtype == torch.float32
    _, no_mask, no_y = batches.to_tensors(np.zeros((2, L, 1)))
    assert no_mask is None
    assert no_y is None


def test_batches_refuse_windows_without_targets_or_of_the_wrong_shape():
    class NoTargets(FakeWindows):
        def get_batch(self, idx):
            return super().get_batch(idx)[0], None

    v = sine()
    with pytest.raises(ValueError, match=re.escape("w.get_batch returned no targets")):
        Batches(NoTargets(v, v, L, 3), 4, torch.device("cpu")).get(np.arange(2), "w")
    flat = FakeWindows(v, v, L, 3)
    flat.get_batch = lambda idx: (np.zeros((len(idx), L)), np.zeros((len(idx), 3, 1)))
    with pytest.raises(ValueError, match=re.escape("must return x (B, L, F)")):
        Batches(flat, 4, torch.device("cpu")).get(np.arange(2), "w")


def test_forward_passes_the_mask_only_when_there_is_one():
    calls = []

    def module(x, **kw):
        calls.append(kw)
        return x

    x = torch.zeros(1, L, 1)
    forward(module, x, None)
    mask = torch.ones(1, L, dtype=torch.bool)
    forward(module, x, mask)
    assert calls[0] == {}
    assert calls[1]["key_padding_mask"] is mask
