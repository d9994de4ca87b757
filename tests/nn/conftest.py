"""Fixtures for the network tests."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The networks under test are tiny: one intra-op thread is faster than two,
    # and steady on a shared machine. Restored after each test.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
