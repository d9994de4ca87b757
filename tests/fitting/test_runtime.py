import numpy as np
import pytest
import torch

from fitting.helpers import tiny_net
from tsattn.fitting.runtime import (
    autocast,
    resolve_device,
    seeded,
    tolerance_floor,
    torch_threads,
)


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected
    with pytest.raises(ValueError, match="Unknown device 'gpu'"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_tolerance_floor_is_the_resolution_of_the_losses(monkeypatch):
    net = tiny_net()
    cpu = torch.device("cpu")
    assert tolerance_floor(cpu, net) == torch.finfo(torch.float32).eps
    assert tolerance_floor(cpu, net.double()) == torch.finfo(torch.float64).eps
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    bf16 = tolerance_floor(torch.device("cuda"), net)
    assert bf16 == torch.finfo(torch.bfloat16).eps == 2.0**-7


def test_seeded_repeats_draws_and_restores_the_global_generator():
    cpu = torch.device("cpu")
    before = torch.get_rng_state()
    with seeded(5, cpu):
        a = torch.rand(3)
    assert torch.equal(torch.get_rng_state(), before)
    with seeded(5, cpu):
        b = torch.rand(3)
    assert torch.equal(a, b)
    with seeded(None, cpu):
        torch.rand(1)
    assert not torch.equal(torch.get_rng_state(), before)


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_no_autocast_on_the_cpu():
    with autocast(torch.device("cpu")):
        out = torch.ones(2, 2) @ torch.ones(2, 2)
    assert out.dtype == torch.float32
    assert np.array_equal(out.numpy(), np.full((2, 2), 2.0))
