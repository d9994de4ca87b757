"""Small networks for the network and fitting tests: width 8, two heads, no dropout."""

import torch

from tsattn.nn.config import NetConfig, TaskSpec
from tsattn.nn.net import TemporalAttentionNet

#: What the small networks share; the tests override what they vary.
SMALL = {"d_model": 8, "n_heads": 2, "n_layers": 1, "dropout": 0.0}


def small_config(**kw) -> NetConfig:
    """Return the configuration of a :data:`SMALL` network.

    ``kw`` name the ``window_length``, ``n_features`` and ``tasks``, and
    override or add to :data:`SMALL`.
    """
    return NetConfig(**{**SMALL, **kw})


def small_net(seed: int = 0, **kw) -> TemporalAttentionNet:
    """Return the network of ``small_config(**kw)``, initialised from ``seed``."""
    return TemporalAttentionNet(
        small_config(**kw), generator=torch.Generator().manual_seed(seed)
    )


def forecast_task(name: str, horizon: int, n_features: int) -> TaskSpec:
    """Return a task that forecasts every one of ``n_features`` input channels."""
    return TaskSpec(
        name,
        horizon=horizon,
        n_targets=n_features,
        target_channels=tuple(range(n_features)),
    )
