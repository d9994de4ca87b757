"""The one path a network fit takes: split -> start -> train -> select -> test.

Plain functions over arrays, a :class:`~tsattn.nn.config.NetConfig` and loop
options; they build the network, run every step and return a
:class:`NetworkFit`. Nothing here calls an estimator: the estimators convert
the user's data, call :func:`fit_network` once and store what it returns.

1. **split** (:func:`split_windows`): windows in time order; the last
   ``validation_fraction`` are held out, and training windows end (targets
   included) before the first held-out target.
2. **start** (:func:`start_network`): the network starts at the last value
   (``repeat_init``); with a linear skip, at the ridge start when it forecasts
   the held-out windows better (:mod:`tsattn.fitting.starts`). With
   ``significance`` the ridge start must win a Diebold-Mariano test
   (:mod:`tsattn.fitting.gate`).
3. **train** and **select**: :func:`tsattn.fitting.loop.fit_module` trains and
   keeps the best epoch on the held-out windows (epoch 0 is the start).
4. **test** (:func:`test_against_start`): with ``significance`` the trained
   weights replace the start only when they are significantly better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from tsattn.fitting.gate import gate_linear_skip, module_state, prefer_if_significant
from tsattn.fitting.loop import TrainResult, fit_module
from tsattn.fitting.starts import fit_linear_skip
from tsattn.nn.config import NetConfig
from tsattn.nn.net import TemporalAttentionNet
from tsattn.windows import WindowSet, make_windows

__all__ = [
    "NetworkFit",
    "fit_network",
    "split_windows",
    "start_network",
    "test_against_start",
]


@dataclass
class NetworkFit:
    """What :func:`fit_network` returns.

    Attributes
    ----------
    module : TemporalAttentionNet
        The network holding the kept weights, on the CPU, in eval mode.
    train : TrainResult
        The loop's record; with a significance test that kept the start,
        ``best_epoch`` is 0 and ``best_validation`` the start's loss.
    linear_skip_fit : list of dict
        Per task, how the linear skip started (empty without a skip).
    start_test : dict
        The test of the trained weights against the start (empty when not run).
    """

    module: TemporalAttentionNet
    train: TrainResult
    linear_skip_fit: list[dict[str, Any]] = field(default_factory=list)
    start_test: dict[str, Any] = field(default_factory=dict)

    @property
    def n_params(self) -> int:
        """Number of trainable parameters of the network."""
        return int(sum(p.numel() for p in self.module.parameters() if p.requires_grad))


def split_windows(
    windows: WindowSet,
    *,
    validation_fraction: float,
    early_stopping: bool,
    target_span: int = 1,
) -> tuple[WindowSet, WindowSet | None]:
    """Split windows into training and held-out windows, in time order.

    Parameters
    ----------
    windows : WindowSet
        Every window, in time order.
    validation_fraction : float
        Share of the windows held out (the last ones).
    early_stopping : bool
        Without it nothing is held out.
    target_span : int, default=1
        Future rows one target row describes (5 for next-5-step returns):
        training targets end that far before the first held-out target, so
        the two share no data.

    Returns
    -------
    (train, held_out)
        ``held_out`` is None when nothing is held out (no early stopping, too
        few windows, or fewer than two training windows would remain).
    """
    n_windows = len(windows)
    n_val = round(validation_fraction * n_windows)
    if not (early_stopping and n_val >= 1 and n_windows - n_val >= 2):
        return windows, None
    reach = windows.window_length + windows.target_offset
    first_val_target = windows.starts[n_windows - n_val] + reach
    keep = (
        windows.starts + reach + windows.horizon + target_span - 1 <= first_val_target
    )
    if keep.sum() < 2:
        return windows, None
    train = windows.subset(np.flatnonzero(keep))
    return train, windows.subset(np.arange(n_windows - n_val, n_windows))


def start_network(
    config: NetConfig,
    train: WindowSet,
    held_out: WindowSet | None,
    *,
    seed: int | None,
    significance: float | None,
    horizon: int,
) -> tuple[TemporalAttentionNet, list[dict[str, Any]]]:
    """Build the network at its start and report how the linear skip started.

    The network's own initialisation is the last value (``repeat_init``);
    with ``config.linear_skip`` the skip starts at the ridge regression when
    it forecasts ``held_out`` better than the last value, and with
    ``significance`` only when a Diebold-Mariano test says so.
    """
    generator = torch.Generator()
    if seed is not None:
        generator.manual_seed(seed)
    else:
        generator.seed()
    module = TemporalAttentionNet(config, generator=generator)
    skip_fit: list[dict[str, Any]] = []
    if config.linear_skip:
        skip_fit = [asdict(f) for f in fit_linear_skip(module, train, held_out)]
    if significance is not None and held_out is not None:
        gate_linear_skip(
            module, skip_fit, held_out, horizon=horizon, level=significance
        )
    return module, skip_fit


def test_against_start(
    module: TemporalAttentionNet,
    start: Mapping[str, torch.Tensor],
    held_out: WindowSet,
    result: TrainResult,
    *,
    horizon: int,
    significance: float,
) -> dict[str, Any]:
    """Keep the trained weights only if they beat the start significantly.

    ``module`` ends up holding the kept weights; when the start is kept,
    ``result.best_epoch`` becomes 0 and ``result.best_validation`` the
    start's held-out loss. Returns ``statistic``, ``p_value``, ``n_windows``
    and ``kept`` (``"trained"`` or ``"start"``).
    """
    test = prefer_if_significant(
        module,
        module_state(module),
        dict(start),
        held_out,
        horizon=horizon,
        level=significance,
    )
    kept = "trained" if test["better"] else "start"
    if kept == "start":
        result.best_epoch = 0
        result.best_validation = result.initial_validation
    return {
        "statistic": test["statistic"],
        "p_value": test["p_value"],
        "n_windows": test["n_windows"],
        "kept": kept,
    }


def fit_network(
    values: np.ndarray,
    targets: np.ndarray,
    config: NetConfig,
    *,
    horizon: int,
    target_offset: int,
    target_span: int = 1,
    validation_fraction: float,
    early_stopping: bool,
    significance: float | None,
    seed: int | None,
    validate_initial: bool,
    loop: Mapping[str, Any],
) -> NetworkFit:
    """Window the data, then start, train, select and test a network.

    Parameters
    ----------
    values : ndarray, shape (n, F)
        Input rows in time order.
    targets : ndarray, shape (n, T)
        Target rows on the same time steps (NaN where unknown).
    config : NetConfig
        The network to build.
    horizon, target_offset : int
        Window targets: rows ``[s + L + target_offset, ... + horizon)`` of
        ``targets`` for the window starting at ``s``.
    target_span : int, default=1
        Future rows one target row describes (see :func:`split_windows`).
    validation_fraction : float
        Share of windows held out when ``early_stopping``.
    early_stopping : bool
        Hold out windows, stop when their loss stops improving, keep the best.
    significance : float or None
        Level of the tests before leaving the start (None: no tests).
    seed : int or None
        Seeds initialisation and the loop.
    validate_initial : bool
        Score the start as epoch 0, so the start is kept when no epoch beats it.
    loop : mapping
        Further keyword arguments of :func:`tsattn.fitting.loop.fit_module`
        (``max_epochs``, ``batch_size``, ``learning_rate``, ...).

    Returns
    -------
    NetworkFit
        The network with the kept weights and the record of how it got there.
    """
    L = config.window_length
    everything = make_windows(
        np.ascontiguousarray(values, dtype=np.float32),
        np.ascontiguousarray(targets, dtype=np.float32),
        window_length=L,
        horizon=horizon,
        target_offset=target_offset,
    )
    if len(everything) < 2:
        raise ValueError(
            f"Found {len(everything)} sample(s) after windowing (n_samples = "
            f"{len(everything)}); at least 2 are required to fit. Pass more rows or "
            "reduce window_length."
        )
    train, held_out = split_windows(
        everything,
        validation_fraction=validation_fraction,
        early_stopping=early_stopping,
        target_span=target_span,
    )
    gated = significance is not None and held_out is not None
    module, skip_fit = start_network(
        config,
        train,
        held_out,
        seed=seed,
        significance=significance,
        horizon=horizon,
    )
    start = module_state(module) if gated else {}
    result = fit_module(
        module,
        train,
        val_windows=held_out,
        random_state=seed,
        validate_initial=validate_initial,
        **loop,
    )
    module.to("cpu")
    start_test: dict[str, Any] = {}
    if gated and result.best_epoch > 0:
        start_test = test_against_start(
            module,
            start,
            held_out,
            result,
            horizon=horizon,
            significance=significance,
        )
    return NetworkFit(module, result, skip_fit, start_test)
