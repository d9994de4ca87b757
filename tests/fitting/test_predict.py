import re

import numpy as np
import pytest
import torch

from fitting.helpers import L, sine_windows, tiny_net
from tsattn.fitting.predict import predict_module

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_predict_module_batches_match_one_pass():
    net = tiny_net().eval()
    w = sine_windows()
    x, _ = w.get_batch(np.arange(50))
    a = predict_module(net, x, batch_size=7)["y"]
    with torch.no_grad():
        b = net(torch.from_numpy(x))["y"].numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    c = predict_module(net, sine_windows(starts=np.arange(50)), batch_size=16)["y"]
    np.testing.assert_allclose(c, b, rtol=1e-5, atol=1e-6)
    mask = np.zeros((50, L), dtype=bool)
    mask[:, :4] = True
    d = predict_module(net, x, key_padding_mask=mask)["y"]
    e = predict_module(net, np.where(mask[..., None], np.nan, x))["y"]
    np.testing.assert_allclose(d, e, rtol=1e-6)
    assert net.training is False


def test_a_training_module_is_returned_to_training_mode():
    net = tiny_net(dropout=0.5).train()
    x, _ = sine_windows().get_batch(np.arange(8))
    a = predict_module(net, x)["y"]
    np.testing.assert_array_equal(predict_module(net, x)["y"], a)  # no dropout
    assert net.training is True


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (np.zeros((4, L)), {}, "x must be 3-D"),
        (np.zeros((0, L, 1)), {}, "x holds no windows"),
        (
            np.zeros((4, L, 1)),
            {"key_padding_mask": np.zeros((4, 3))},
            "must have shape",
        ),
        (sine_windows(), {"key_padding_mask": np.zeros((1, L))}, "only supported with"),
        (np.zeros((4, L, 1)), {"batch_size": 0}, "batch_size must be an int >= 1"),
    ],
)
def test_bad_inputs_are_refused(x, kwargs, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        predict_module(tiny_net(), x, **kwargs)
