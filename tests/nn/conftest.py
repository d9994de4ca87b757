"""Fixtures for the network tests."""

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every network test runs on one torch thread (see ``one_torch_thread``)."""
