"""Shared test configuration: hypothesis profiles, one torch thread on request."""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

# No per-example deadline: the first example of a numba kernel may include loading
# (or, on a cold cache, compiling) it, which says nothing about the code under test.
settings.register_profile(
    "default",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
# Fixed seed for reproducible CI runs.
settings.register_profile(
    "ci", parent=settings.get_profile("default"), derandomize=True
)
# A long hunt for counter-examples: HYPOTHESIS_PROFILE=thorough pytest ...
settings.register_profile(
    "thorough", parent=settings.get_profile("default"), max_examples=2000
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def one_torch_thread():
    """Run the test on one torch intra-op thread, restored afterwards.

    Tiny networks train faster on one thread than on two, and steadily on a
    shared machine.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
