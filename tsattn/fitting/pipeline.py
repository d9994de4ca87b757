"""The one path a network fit takes: split -> start -> train -> select -> test.

Plain functions over arrays, a :class:`~tsattn.nn.config.NetConfig` and loop
options; they build the network, run every step and return a
:class:`NetworkFit`. Nothing here calls an estimator: the estimators convert
the user's data, call :func:`fit_network` once and store what it returns.

1. **split** (:func:`split_windows`): windows in time order; the last
   ``validation_fraction`` are held out, and training windows end (targets
   included) before the first held-out target. With ``significance`` the
   held-out windows are split again in time (:func:`split_held_out`): the
   first part selects, the later part only tests. Supervised targets are
   scaled with statistics of the training windows only.
2. **start** (:func:`start_network`): a forecasting network starts at the
   last value (``repeat_init``); with a linear skip, at the ridge start when
   it forecasts the selection windows better (:mod:`tsattn.fitting.starts`).
   With ``significance`` the ridge start must win a Diebold-Mariano test on
   the test windows (:mod:`tsattn.fitting.gate`). Every other task starts at
   its trivial baseline: the training mean of a return, the base rate of a
   direction, the unconditional variance of a variance
   (:func:`tsattn.fitting.starts.start_task_heads`).
3. **train** and **select**: :func:`tsattn.fitting.loop.fit_module` trains and
   keeps the best epoch on the selection windows (epoch 0 is the start).
4. **test** (:func:`test_against_start`,
   :func:`tsattn.fitting.gate.test_tasks_against_starts`): with
   ``significance`` the trained weights replace the start, and each task's
   trained output its start, only when significantly better on the test
   windows; without test windows the start is kept, with a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from tsattn import TsattnWarning
from tsattn.fitting.gate import (
    gate_linear_skip,
    module_state,
    prefer_if_significant,
    test_tasks_against_starts,
    zero_linear_skip,
)
from tsattn.fitting.loop import TrainResult, fit_module
from tsattn.fitting.starts import fit_linear_skip, start_task_heads, window_targets
from tsattn.nn.config import NetConfig
from tsattn.nn.net import TemporalAttentionNet
from tsattn.windows import WindowSet, make_windows

__all__ = [
    "NetworkFit",
    "channel_scale",
    "fit_network",
    "keep_start",
    "split_held_out",
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
    task_tests : dict of str to dict
        Per task that does not forecast input channels, with ``significance``:
        the test of its trained output against its start.
    task_starts : list of ndarray
        Per task, the raw start values of its output (empty for tasks that
        forecast input channels).
    target_shift, target_scale : ndarray or None
        With ``scale_targets``: the per-column shift and scale fitted on the
        training windows' targets (the network learns
        ``(targets - shift) / scale``).
    channel_scale : ndarray or None
        With ``scale_channels``: the per-channel scale the network's inputs
        and forecasts are divided by (:func:`channel_scale`).
    """

    module: TemporalAttentionNet
    train: TrainResult
    linear_skip_fit: list[dict[str, Any]] = field(default_factory=list)
    start_test: dict[str, Any] = field(default_factory=dict)
    task_tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_starts: list[np.ndarray] = field(default_factory=list)
    target_shift: np.ndarray | None = None
    target_scale: np.ndarray | None = None
    channel_scale: np.ndarray | None = None

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
    test: WindowSet | None = None,
    *,
    seed: int | None,
    significance: float | None,
    horizon: int,
) -> tuple[TemporalAttentionNet, list[dict[str, Any]]]:
    """Build the network at its start and report how the linear skip started.

    The network's own initialisation is the last value (``repeat_init``);
    with ``config.linear_skip`` the skip starts at the ridge regression when
    it forecasts ``held_out`` better than the last value, and with
    ``significance`` only when a Diebold-Mariano test on ``test`` (windows
    that chose nothing) says so.
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
    if significance is not None and test is not None:
        gate_linear_skip(module, skip_fit, test, horizon=horizon, level=significance)
    elif significance is not None and skip_fit and skip_fit[0]["kept"] == "ridge":
        # Nothing can test the ridge start: keep the last value.
        zero_linear_skip(module)
        skip_fit[0]["kept"] = "zero"
        skip_fit[0]["p_value"] = math.nan
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


TEST_FRACTION = 0.5
"""With ``significance``: share of the held-out windows (the later ones) kept
for the tests, so that the windows that chose the start and the best epoch
never test them."""


def split_held_out(
    held_out: WindowSet | None, *, target_span: int
) -> tuple[WindowSet | None, WindowSet | None]:
    """Split held-out windows in time: the first part selects, the later part tests.

    The selection windows' targets end before the first test target (as in
    :func:`split_windows`). Returns ``(select, test)``; ``test`` is None when
    fewer than two windows would select or nothing would test, and then
    ``select`` is all of ``held_out``.
    """
    if held_out is None:
        return None, None
    select, test = split_windows(
        held_out,
        validation_fraction=TEST_FRACTION,
        early_stopping=True,
        target_span=target_span,
    )
    if test is None:
        return held_out, None
    return select, test


def _rewindow(
    values: np.ndarray,
    targets: np.ndarray,
    like: WindowSet,
    starts: np.ndarray,
) -> WindowSet:
    """Windows on ``targets`` with the layout of ``like``, at ``starts``."""
    everything = make_windows(
        values,
        np.ascontiguousarray(targets, dtype=np.float32),
        window_length=like.window_length,
        horizon=like.horizon,
        target_offset=like.target_offset,
    )
    index = np.searchsorted(everything.starts, starts)
    return everything.subset(index)


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
    scale_targets: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    scale_channels: bool = False,
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
        Level of the tests before leaving the start (None: no tests). The
        held-out windows are then split in time (:func:`split_held_out`):
        the first part chooses the start and the best epoch, the later part
        tests, one-sided Diebold-Mariano with ``h = horizon + target_span -
        1`` (the overlap of consecutive windows' targets). Without test
        windows the start is kept, with a :class:`~tsattn.TsattnWarning`.
    seed : int or None
        Seeds initialisation and the loop.
    validate_initial : bool
        Score the start as epoch 0, so the start is kept when no epoch beats it.
    loop : mapping
        Further keyword arguments of :func:`tsattn.fitting.loop.fit_module`
        (``max_epochs``, ``batch_size``, ``learning_rate``, ...).
    scale_targets : callable or None
        ``scale_targets(y_train) -> (shift, scale)`` per target column, from
        the targets ``(m, T)`` of the training windows only; the network then
        learns ``(targets - shift) / scale``. None learns ``targets`` as given.
    scale_channels : bool, default=False
        Forecasting (``targets`` are ``values``): divide every channel by its
        scale on the training rows (:func:`channel_scale`), so that the loss,
        early stopping and the tests weigh each series equally; the returned
        ``channel_scale`` turns inputs and forecasts back and forth.

    Returns
    -------
    NetworkFit
        The network with the kept weights and the record of how it got there.
    """
    L = config.window_length
    values = np.ascontiguousarray(values, dtype=np.float32)
    everything = make_windows(
        values,
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
    shift = scale = channels = None
    if scale_channels:
        end = int(train.starts[-1]) + L + target_offset + horizon
        channels = channel_scale(values[:end])
        values = np.ascontiguousarray(values / channels, dtype=np.float32)
        targets = np.asarray(targets, dtype=np.float64) / channels
        train = _rewindow(values, targets, everything, train.starts)
        if held_out is not None:
            held_out = _rewindow(values, targets, everything, held_out.starts)
    if scale_targets is not None:
        y_train = window_targets(train).reshape(-1, everything.n_targets)
        shift, scale = scale_targets(y_train)
        scaled = (np.asarray(targets, dtype=np.float64) - shift) / scale
        train = _rewindow(values, scaled, everything, train.starts)
        if held_out is not None:
            held_out = _rewindow(values, scaled, everything, held_out.starts)
    gated = significance is not None
    select, test = held_out, None
    if gated:
        select, test = split_held_out(held_out, target_span=target_span)
    dm_h = horizon + target_span - 1
    module, skip_fit = start_network(
        config,
        train,
        select,
        test,
        seed=seed,
        significance=significance,
        horizon=dm_h,
    )
    task_starts = start_task_heads(module, train)
    start = module_state(module)
    result = fit_module(
        module,
        train,
        val_windows=select,
        random_state=seed,
        validate_initial=validate_initial,
        **loop,
    )
    module.to("cpu")
    start_test: dict[str, Any] = {}
    task_tests: dict[str, dict[str, Any]] = {}
    if gated and test is None:
        warnings.warn(
            "significance is set but no held-out windows are left to test the "
            "trained weights on (early_stopping off, or too few windows), so the "
            "network keeps its start. Pass more rows, raise validation_fraction, "
            "or set significance=None.",
            TsattnWarning,
            stacklevel=4,
        )
        keep_start(module, start, result)
        untested = {
            "statistic": math.nan,
            "p_value": math.nan,
            "n_windows": 0,
            "kept": "start",
        }
        if any(t.target_channels is not None for t in config.tasks):
            start_test = dict(untested)
        task_tests = {
            t.name: dict(untested) for t in config.tasks if t.target_channels is None
        }
    elif gated:
        forecasting = [t for t in config.tasks if t.target_channels is not None]
        if forecasting and result.best_epoch > 0:
            start_test = test_against_start(
                module, start, test, result, horizon=dm_h, significance=significance
            )
        elif forecasting:
            start_test = {
                "statistic": math.nan,
                "p_value": math.nan,
                "n_windows": len(test),
                "kept": "start",
            }
        if len(forecasting) < len(config.tasks) and result.best_epoch > 0:
            task_tests = test_tasks_against_starts(
                module, task_starts, test, horizon=dm_h, level=significance
            )
        elif len(forecasting) < len(config.tasks):
            task_tests = {
                t.name: {
                    "statistic": math.nan,
                    "p_value": math.nan,
                    "n_windows": len(test),
                    "kept": "start",
                }
                for t in config.tasks
                if t.target_channels is None
            }
    return NetworkFit(
        module,
        result,
        skip_fit,
        start_test,
        task_tests,
        task_starts,
        shift,
        scale,
        channels,
    )


def channel_scale(values: np.ndarray) -> np.ndarray:
    """Per-channel scale: the standard deviation of the one-step changes.

    The size of a last-value forecast's one-step error, so that a channel's
    normalised errors say how it compares with the random walk, whatever
    its units. A channel without finite changes, or constant, gets 1.

    Parameters
    ----------
    values : ndarray, shape (n, F)
        Training rows in time order (NaN allowed).

    Returns
    -------
    ndarray of float64, shape (F,)
    """
    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2:
        return np.ones(v.shape[1])
    with warnings.catch_warnings():  # a channel without changes gives NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(np.diff(v, axis=0), axis=0)
    return np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)


def keep_start(
    module: TemporalAttentionNet,
    start: Mapping[str, torch.Tensor],
    result: TrainResult,
) -> None:
    """Load the start into ``module`` and record it as kept (epoch 0)."""
    module.load_state_dict(dict(start))
    module.eval()
    result.best_epoch = 0
    result.best_validation = result.initial_validation
