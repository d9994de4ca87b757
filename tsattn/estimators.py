"""AttentionForecaster and SelfAttentionForecaster: sklearn shells around the net."""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
import torch

from tsattn._base import (
    BaseForecaster,
    _as_history,
    _continuation_problem,
    _future_index,
    check_choice,
    check_int,
)
from tsattn.evidence import gate_linear_skip, module_state, prefer_if_significant
from tsattn.nn.config import LOSSES, NetConfig, TaskSpec
from tsattn.nn.net import TemporalAttentionNet
from tsattn.ridge_start import fit_linear_skip
from tsattn.training import TrainResult, fit_module, predict_module, resolve_device
from tsattn.windows import gather, make_windows

__all__ = ["AttentionForecaster", "SelfAttentionForecaster"]

# Losses whose targets are standardised with the training mean and std.
_SCALED_LOSSES = ("mse", "mae", "huber", "pinball", "gaussian_nll")
_PRICE_KINDS = ("log_return", "cum_log_return", "return", "cum_return", "level")


class _PaddedWindows:
    """Windows ending at given rows of a NaN-padded array (missing steps masked)."""

    def __init__(self, padded: np.ndarray, starts: np.ndarray, window_length: int):
        self.padded = padded
        self.starts = starts
        self.window_length = window_length

    def __len__(self) -> int:
        return len(self.starts)

    def get_batch(self, idx: np.ndarray) -> tuple[np.ndarray, None]:
        return gather(self.padded, self.starts[idx], self.window_length), None


def _windows_ending_at_rows(
    context: np.ndarray, values: np.ndarray, window_length: int
) -> _PaddedWindows:
    """One window per row of ``values``, ending at that row, led by ``context``.

    Rows before the start of the data are NaN, which the network treats as
    missing steps (key-padding mask): short history is masked, never filled
    with data from later rows.
    """
    n_cols = values.shape[1]
    pad = np.full((window_length - 1, n_cols), np.nan, dtype=np.float32)
    padded = np.vstack([pad, context.astype(np.float32), values.astype(np.float32)])
    first = len(context)
    starts = np.arange(first, first + len(values), dtype=np.int64)
    return _PaddedWindows(padded, starts, window_length)


class AttentionForecaster(BaseForecaster):
    """Temporal multi-head attention forecaster with a scikit-learn interface.

    Two ways in, over the same network:

    - **Forecasting** (``fit(X)``): the columns of ``X`` are the series to
      forecast; the model learns to map the last ``window_length`` rows to the
      next ``horizon`` rows of every column (one shared, channel-independent
      network by default). ``forecast(steps)``, ``update`` and ``predict`` work
      as for every tsattn forecaster.
    - **Supervised** (``fit(X, y)``): rows of ``X`` are time steps with any
      features; ``y`` holds, for each row, what should be predicted from
      information up to and including that row (build it with
      :func:`tsattn.make_targets`). ``tasks`` maps ``y`` columns to losses and
      weights; ``predict(X)`` returns one row of predictions per row of ``X``
      (probabilities for ``bce`` tasks).

    Parameters
    ----------
    window_length : int, default=64
        Rows of history each prediction sees.
    horizon : int, default=5
        Steps forecast ahead in forecasting mode.
    d_model : int, default=64
        Width of the token embeddings.
    n_heads : int, default=4
        Attention heads (1 is single-head self-attention). Must divide
        ``d_model``.
    n_layers : int, default=2
        Encoder blocks.
    d_ff : int or None, default=None
        Feed-forward width; None means ``2 * d_model``.
    patch_len : int, default=8
        Time steps per token (PatchTST-style patches); 1 embeds every step.
    patch_stride : int or None, default=None
        Steps between patch starts; None means ``patch_len`` (no overlap).
        PatchTST's overlapping patches are ``patch_len=16, patch_stride=8``.
    dropout : float, default=0.1
        Dropout in the embeddings, residual branches and task MLPs.
    channel_independent : bool, default=True
        Treat each input column as a univariate sequence with shared weights.
    revin : bool or "auto", default="auto"
        Reversible per-window normalisation of every channel. ``"auto"`` turns
        it on in forecasting mode (outputs are mapped back to the data's
        units) and off in supervised mode, where targets such as volatility
        scale with the inputs and per-window normalisation would hide that
        level from the model.
    output_head : {"single", "multi"}, default="single"
        One shared output layer for every task, or one MLP head per task.
    linear_skip : bool, default=False
        Add a linear map from each forecast series' own window to its
        forecast, beside the attention path (TiDE's global linear residual).
        Before training it is set to the ridge regression of the future on
        the (normalised) window over the training windows, its penalty chosen
        by generalised cross-validation, and kept only if it forecasts the
        held-out windows better than the last value (see
        :func:`tsattn.ridge_start.fit_linear_skip`). The model so starts at
        the better of the random walk and the best linear autoregression, and
        the attention path learns what that misses. Worth trying on series
        with stable structure (load, temperature, seasonal demand); on prices
        the random walk usually wins. It applies to forecast series only
        (in supervised mode the targets are not input columns).
    significance : float or None, default=None
        Forecasting mode with early stopping: ask for evidence before leaving
        the random walk. A one-sided Diebold-Mariano test at this level, on
        the held-out windows (squared errors of the point forecast, one loss
        per window, ``h = horizon`` for the overlap of the windows), must show
        (1) that the linear skip's ridge start beats the last value, else the
        skip starts at zero, and (2) that the trained weights beat their
        start, else the start is kept. With fewer than ``2 * horizon``
        held-out windows there is no evidence and the start is kept. None
        keeps whichever has the lower held-out loss. On near-random-walk
        series a small held-out gain is often noise that does not carry over;
        ``significance=0.05`` asks for evidence first.
    tasks : dict or None, default=None
        Supervised mode only: ``{y_column: loss}`` or
        ``{y_column: {"loss": ..., "weight": ..., "quantiles": ...}}``; losses
        are ``"mse"``, ``"mae"``, ``"huber"``, ``"pinball"``,
        ``"gaussian_nll"``, ``"bce"`` (up/down direction) and ``"qlike"``
        (variance). Columns not named use ``"mse"``.
    quantiles : sequence of float or None, default=None
        Forecasting mode: train with the pinball loss at these levels (the
        median is added for the point forecast) and return quantile columns.
    max_epochs : int, default=30
        Maximum passes over the training windows.
    batch_size : int, default=128
        Windows per optimiser step.
    learning_rate : float, default=1e-3
        Peak AdamW learning rate (cosine schedule).
    weight_decay : float, default=1e-4
        AdamW decoupled weight decay.
    early_stopping : bool, default=True
        Hold out the last ``validation_fraction`` of the windows (in time
        order) and stop when their loss stops improving, restoring the best
        weights. In forecasting mode the network starts as the last-value
        (random walk) forecast and that starting point is scored too, so
        when no epoch beats it on the held-out windows the model stays the
        random walk (``best_epoch_ == 0``) instead of keeping noise it fitted.
    validation_fraction : float, default=0.15
        Share of the windows held out for early stopping.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    tol : float, default=1e-4
        Minimum relative improvement of the validation loss.
    max_steps_per_epoch : int or None, default=None
        Cap on optimiser steps per epoch (a random subset of windows).
    device : str, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.
    random_state : int or None, default=None
        Seeds weight initialisation, shuffling and dropout; with an int, CPU
        fits repeat exactly.
    verbose : int, default=0
        0 is silent; 1 shows training progress.

    Attributes
    ----------
    module_ : TemporalAttentionNet
        The trained network.
    config_ : NetConfig
        Its configuration.
    mode_ : {"forecast", "supervised"}
        How the model was fitted.
    loss_curve_, validation_scores_ : list of float
        Training and validation loss per epoch.
    best_epoch_, n_epochs_ : int
        Epoch whose weights were kept, and epochs run.
    n_params_ : int
        Number of trainable parameters.
    start_test_ : dict
        With ``significance`` (forecasting mode, early stopping): the
        ``"statistic"``, ``"p_value"`` and ``"n_windows"`` of the test of the
        trained weights against the start (NaN with fewer than
        ``2 * horizon`` windows), and which was ``"kept"`` (``"trained"`` or
        ``"start"``); empty otherwise.
    linear_skip_fit_ : list of dict
        With ``linear_skip``, per task, how the skip started: the fields of
        :class:`tsattn.ridge_start.LinearSkipFit` (``"kept"`` is ``"ridge"``
        or ``"zero"``, ``"alpha"`` the GCV penalty, ``"validation_mse"`` of
        both starts), plus the test's ``"p_value"`` when ``significance``
        tested the ridge start; empty otherwise.
    n_features_in_ : int
        Columns of ``X``.
    target_names_ : list of str
        Output columns (the forecast series, or the ``y`` columns).

    See Also
    --------
    SelfAttentionForecaster : the same model with one attention head.
    tsattn.baselines.NaiveForecaster : the random walk every forecast is compared to.

    Examples
    --------
    >>> from tsattn import AttentionForecaster
    >>> from tsattn.datasets import make_stock_like
    >>> prices = make_stock_like("gbm", n_steps=300, random_state=0)[["Close"]]
    >>> model = AttentionForecaster(window_length=32, horizon=5, d_model=16,
    ...                             n_heads=2, max_epochs=2, random_state=0)
    >>> model.fit(prices).forecast().shape
    (5, 1)
    """

    _multivariate = True
    _fit_defining = ("horizon", "quantiles", "window_length")

    def __init__(
        self,
        *,
        window_length: int = 64,
        horizon: int = 5,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        d_ff: int | None = None,
        patch_len: int = 8,
        patch_stride: int | None = None,
        dropout: float = 0.1,
        channel_independent: bool = True,
        revin: bool | str = "auto",
        output_head: str = "single",
        linear_skip: bool = False,
        significance: float | None = None,
        tasks: Mapping[str, Any] | None = None,
        quantiles: tuple[float, ...] | None = None,
        max_epochs: int = 30,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        early_stopping: bool = True,
        validation_fraction: float = 0.15,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        max_steps_per_epoch: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: int = 0,
    ):
        self.window_length = window_length
        self.horizon = horizon
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.d_ff = d_ff
        self.patch_len = patch_len
        self.patch_stride = patch_stride
        self.dropout = dropout
        self.channel_independent = channel_independent
        self.revin = revin
        self.output_head = output_head
        self.linear_skip = linear_skip
        self.significance = significance
        self.tasks = tasks
        self.quantiles = quantiles
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.max_steps_per_epoch = max_steps_per_epoch
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ parameters
    def _n_heads(self) -> int:
        return self.n_heads

    def _check_params(self) -> None:
        super()._check_params()
        check_int(self, "window_length", self.window_length, 1)
        check_int(self, "max_epochs", self.max_epochs, 1)
        check_int(self, "batch_size", self.batch_size, 1)
        check_int(self, "n_iter_no_change", self.n_iter_no_change, 1)
        check_choice(self, "output_head", self.output_head, ("single", "multi"))
        if self.significance is not None and not (
            isinstance(self.significance, numbers.Real)
            and not isinstance(self.significance, bool)
            and 0.0 < self.significance < 1.0
        ):
            raise ValueError(
                f"The 'significance' parameter of {type(self).__name__} must be "
                f"None or a float in (0, 1). Got {self.significance!r} instead."
            )
        if not isinstance(self.linear_skip, (bool, np.bool_)):
            raise TypeError(
                f"The 'linear_skip' parameter of {type(self).__name__} must be a "
                f"bool. Got {self.linear_skip!r} instead."
            )
        if not (
            isinstance(self.validation_fraction, numbers.Real)
            and 0.0 < self.validation_fraction < 1.0
        ):
            raise ValueError(
                "The 'validation_fraction' parameter of "
                f"{type(self).__name__} must be a float in (0, 1). Got "
                f"{self.validation_fraction!r} instead."
            )
        if self.revin not in (True, False, "auto"):
            raise ValueError(
                f"The 'revin' parameter of {type(self).__name__} must be True, "
                f"False or 'auto'. Got {self.revin!r} instead."
            )
        if self.tasks is not None and not isinstance(self.tasks, Mapping):
            raise TypeError(
                f"The 'tasks' parameter of {type(self).__name__} must be a dict "
                f"mapping y columns to losses, or None. Got {self.tasks!r}."
            )

    def _min_length(self) -> tuple[int, str]:
        need = self.window_length + self.horizon + 1
        return need, (
            f" (window_length + horizon + 1 = {self.window_length} + "
            f"{self.horizon} + 1, so that at least two windows exist)"
        )

    def _net_config(self, n_features: int, tasks: tuple[TaskSpec, ...]) -> NetConfig:
        patch_len = min(self.patch_len, self.window_length)
        stride = self.patch_stride
        if stride is not None:
            stride = min(stride, patch_len)
        revin = self.revin
        if revin == "auto":
            revin = getattr(self, "mode_", "forecast") == "forecast"
        return NetConfig(
            window_length=self.window_length,
            n_features=n_features,
            tasks=tasks,
            d_model=self.d_model,
            n_heads=self._n_heads(),
            n_layers=self.n_layers,
            d_ff=self.d_ff if self.d_ff is not None else 2 * self.d_model,
            dropout=float(self.dropout),
            patch_len=patch_len,
            patch_stride=stride,
            channel_independent=bool(self.channel_independent),
            output_head=self.output_head,
            revin=bool(revin),
            repeat_init=True,
            linear_skip=bool(self.linear_skip),
        )

    def _seed(self) -> int | None:
        rs = self.random_state
        if rs is None:
            return None
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(0, 2**31 - 1))
        if isinstance(rs, np.random.Generator):
            return int(rs.integers(0, 2**31 - 1))
        return int(rs)

    # -------------------------------------------------------------- training
    def _train(
        self,
        values: np.ndarray,
        targets: np.ndarray,
        *,
        horizon: int,
        target_offset: int,
        target_span: int = 1,
    ) -> None:
        """Build the network and train it on windows of ``values``/``targets``.

        ``target_span`` is how many rows of the future one target row
        describes (5 for next-5-step returns); training targets end that far
        before the first validation target so the two never share data.
        """
        L = self.window_length
        values = np.ascontiguousarray(values, dtype=np.float32)
        targets = np.ascontiguousarray(targets, dtype=np.float32)
        everything = make_windows(
            values,
            targets,
            window_length=L,
            horizon=horizon,
            target_offset=target_offset,
        )
        n_windows = len(everything)
        if n_windows < 2:
            raise ValueError(
                f"Found {n_windows} sample(s) after windowing (n_samples = "
                f"{n_windows}); at least 2 are required to fit. Pass more rows or "
                "reduce window_length."
            )
        train, val = everything, None
        n_val = round(self.validation_fraction * n_windows)
        if self.early_stopping and n_val >= 1 and n_windows - n_val >= 2:
            # Validation windows are the last ones in time; training windows
            # end (targets included) before the first validation target.
            first_val_target = everything.starts[n_windows - n_val] + L + target_offset
            gap = target_span - 1
            keep = (
                everything.starts + L + target_offset + horizon + gap
                <= first_val_target
            )
            if keep.sum() >= 2:
                train = everything.subset(np.flatnonzero(keep))
                val = everything.subset(np.arange(n_windows - n_val, n_windows))
        seed = self._seed()
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(seed)
        else:
            generator.seed()
        self.module_ = TemporalAttentionNet(self.config_, generator=generator)
        self.linear_skip_fit_ = (
            [asdict(f) for f in fit_linear_skip(self.module_, train, val)]
            if self.config_.linear_skip
            else []
        )
        gated = (
            self.significance is not None
            and self.mode_ == "forecast"
            and val is not None
        )
        if gated:
            gate_linear_skip(
                self.module_,
                self.linear_skip_fit_,
                val,
                horizon=horizon,
                level=self.significance,
            )
        start_state = module_state(self.module_) if gated else {}
        result: TrainResult = fit_module(
            self.module_,
            train,
            val_windows=val,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            device=self.device,
            random_state=seed,
            verbose=self.verbose,
            max_steps_per_epoch=self.max_steps_per_epoch,
            # Forecasting networks start at the last value (repeat_init), a
            # sound fallback; supervised heads start random, so only trained
            # weights are candidates there.
            validate_initial=self.mode_ == "forecast",
        )
        self.module_.to("cpu")
        self.start_test_: dict[str, Any] = {}
        if gated and result.best_epoch > 0:
            test = prefer_if_significant(
                self.module_,
                module_state(self.module_),
                start_state,
                val,
                horizon=horizon,
                level=self.significance,
            )
            kept = "trained" if test["better"] else "start"
            self.start_test_ = {
                "statistic": test["statistic"],
                "p_value": test["p_value"],
                "n_windows": test["n_windows"],
                "kept": kept,
            }
            if kept == "start":
                result.best_epoch = 0
                result.best_validation = result.initial_validation
        self.device_ = str(resolve_device(self.device))
        self.loss_curve_ = result.loss_curve
        self.validation_scores_ = result.validation_scores
        self.best_epoch_ = result.best_epoch
        self.n_epochs_ = result.n_epochs
        self.stopped_reason_ = result.stopped_reason
        self.best_validation_score_ = result.best_validation
        self.fit_time_ = result.fit_time_s
        self.n_params_ = int(
            sum(p.numel() for p in self.module_.parameters() if p.requires_grad)
        )

    def _record_data_hash(self, *arrays: np.ndarray) -> None:
        digest = hashlib.sha256()
        for arr in arrays:
            arr = np.ascontiguousarray(arr, dtype=np.float64)
            digest.update(str(arr.shape).encode())
            digest.update(arr.tobytes())
        digest.update(np.asarray(self.index_.astype(str)).astype("U").tobytes())
        self.data_hash_ = "sha256:" + digest.hexdigest()

    def _run(self, windows: Any) -> dict[str, np.ndarray]:
        return predict_module(self.module_, windows, device=self.device)

    # ------------------------------------------------------- forecasting mode
    def _forecast_tasks(self, n_targets: int) -> tuple[TaskSpec, ...]:
        levels = self._quantile_levels()
        channels = tuple(range(n_targets))
        if levels:
            qs = tuple(sorted(set(levels) | {0.5}))
            return (
                TaskSpec(
                    "forecast",
                    loss="pinball",
                    horizon=self.horizon,
                    n_targets=n_targets,
                    quantiles=qs,
                    target_channels=channels,
                ),
            )
        return (
            TaskSpec(
                "forecast",
                loss="mse",
                horizon=self.horizon,
                n_targets=n_targets,
                target_channels=channels,
            ),
        )

    def _fit(self, values: np.ndarray, index: pd.Index) -> None:
        self.mode_ = "forecast"
        self.target_names_ = [str(c) for c in self.columns_]
        self.config_ = self._net_config(
            values.shape[1], self._forecast_tasks(values.shape[1])
        )
        self._train(values, values, horizon=self.horizon, target_offset=0)
        self._reset(values, index)
        self._record_data_hash(values)

    def _history_tail(self) -> np.ndarray:
        return np.vstack([self._context, self._last_row])[-self.window_length :]

    def _outputs_to_path(
        self, out: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Network outputs -> point (N, H, T) and quantiles (N, H, T, Q) or None."""
        raw = out["forecast"]
        levels = self._quantile_levels()
        if not levels:
            return raw.astype(np.float64), None
        qs = self.config_.tasks[0].quantiles
        median = raw[..., qs.index(0.5)].astype(np.float64)
        pick = [qs.index(q) for q in levels]
        return median, raw[..., pick].astype(np.float64)

    def _forecast(self, steps: int) -> tuple[np.ndarray, np.ndarray | None]:
        history = self._history_tail()
        means, quants = [], []
        while sum(len(m) for m in means) < steps:
            windows = _windows_ending_at_rows(
                history[:-1], history[-1:], self.window_length
            )
            point, q = self._outputs_to_path(self._run(windows))
            means.append(point[0])  # (H, T)
            if q is not None:
                block = q[0] if not quants else np.full_like(q[0], np.nan)
                quants.append(block)
            # Steps past the horizon feed point forecasts back as history;
            # quantiles are only given for the first block (documented).
            history = np.vstack([history, point[0].astype(np.float32)])
            history = history[-self.window_length :]
        mean = np.concatenate(means)[:steps]
        quantiles = np.concatenate(quants)[:steps] if quants else None
        return mean, quantiles

    def _update(self, values: np.ndarray, index: pd.Index) -> None:
        joined = np.vstack([self._context, self._last_row, values.astype(np.float32)])
        self._reset(joined, index)

    def _reset(self, values: np.ndarray, index: pd.Index) -> None:
        # The last window_length rows: the context plus the newest row.
        values = np.asarray(values, dtype=np.float32)
        self._context = values[-self.window_length : -1].copy()
        self._last_row = values[-1:].copy()

    def _predict_path(
        self, values: np.ndarray, index: pd.Index, continuing: bool
    ) -> np.ndarray:
        context = self._history_tail() if continuing else values[:0]
        windows = _windows_ending_at_rows(context, values, self.window_length)
        point, _ = self._outputs_to_path(self._run(windows))  # (n, H, T)
        return np.transpose(point, (0, 2, 1))  # (n, T, H)

    # -------------------------------------------------------- supervised mode
    def fit(self, X: Any, y: Any = None) -> AttentionForecaster:
        """Fit the forecaster.

        Parameters
        ----------
        X : pandas DataFrame or Series, or array-like of shape (n, F)
            Rows are time steps in time order. Without ``y`` its columns are
            the series to forecast; with ``y`` they are the input features.
        y : pandas DataFrame or Series, or array-like of shape (n,) or (n, T), optional
            Per-row targets: row ``t`` holds what should be predicted from
            rows up to ``t``. NaN targets (the tail of :func:`tsattn.make_targets`)
            are skipped, never filled.

        Returns
        -------
        self : AttentionForecaster
            The fitted estimator.
        """
        if y is None:
            return super().fit(X)
        self._is_fitted = False
        self._check_params()
        values, index, columns, named, _ = _as_history(X, "X")
        y_values, y_columns, y_1d, y_meta = _as_targets(y, len(values))
        if isinstance(X, (pd.Series, pd.DataFrame)) and isinstance(
            y, (pd.Series, pd.DataFrame)
        ):
            if not y.index.equals(X.index):
                raise ValueError(
                    "y and X have different indexes; row t of y must be the "
                    "target for row t of X. Align them (y.reindex(X.index)) first."
                )
        need = self.window_length + 1
        if len(values) < need:
            raise ValueError(
                f"X has {len(values)} row(s) (n_samples = {len(values)}), but "
                f"{type(self).__name__} needs at least window_length + 1 = {need} "
                "to build two windows. Pass a longer history or reduce "
                "window_length."
            )
        self._remember_input(values, index, columns, named)
        self.mode_ = "supervised"
        self.target_names_ = [str(c) for c in y_columns]
        self._y_1d = y_1d
        self._y_meta = y_meta
        specs = self._supervised_tasks(y_columns)
        self._task_columns = [list(cols) for _, cols in specs]
        order = [j for cols in self._task_columns for j in cols]
        y_ordered = y_values[:, order]
        self._y_shift, self._y_scale = _target_scaling(
            y_ordered, [t for t, cols in specs for _ in cols]
        )
        self.config_ = self._net_config(values.shape[1], tuple(t for t, _ in specs))
        scaled = (y_ordered - self._y_shift) / self._y_scale
        self._train(
            values,
            scaled,
            horizon=1,
            target_offset=-1,
            target_span=_target_span(y_meta, self.target_names_),
        )
        self._reset(values, index)
        self._record_data_hash(values, y_values)
        self._record_fit_params()
        self._is_fitted = True
        return self

    def _supervised_tasks(
        self, y_columns: list[Any]
    ) -> list[tuple[TaskSpec, list[int]]]:
        spec_by_col: dict[Any, Any] = dict(self.tasks or {})
        unknown = [k for k in spec_by_col if k not in y_columns]
        if unknown:
            raise ValueError(
                f"tasks names column(s) {unknown} that y does not have; y has "
                f"{list(y_columns)}."
            )
        specs = []
        for j, col in enumerate(y_columns):
            spec = spec_by_col.get(col, "mse")
            if isinstance(spec, str):
                spec = {"loss": spec}
            if not isinstance(spec, Mapping):
                raise TypeError(
                    f"tasks[{col!r}] must be a loss name or a dict with 'loss', "
                    f"'weight', 'quantiles'. Got {spec!r}."
                )
            extra = set(spec) - {"loss", "weight", "quantiles", "huber_delta"}
            if extra:
                raise ValueError(
                    f"tasks[{col!r}] has unknown key(s) {sorted(extra)}; use 'loss', "
                    "'weight', 'quantiles' or 'huber_delta'."
                )
            loss = spec.get("loss", "mse")
            if loss not in LOSSES:
                raise ValueError(
                    f"tasks[{col!r}] has unknown loss {loss!r}; expected one of "
                    f"{', '.join(LOSSES)}."
                )
            specs.append(
                (
                    TaskSpec(
                        name=f"t{j}_{col}",
                        loss=loss,
                        horizon=1,
                        n_targets=1,
                        weight=spec.get("weight", 1.0),
                        quantiles=_with_median(loss, spec.get("quantiles", ())),
                        huber_delta=spec.get("huber_delta", 1.0),
                    ),
                    [j],
                )
            )
        return specs

    def _supervised_predict(self, values: np.ndarray, continuing: bool) -> np.ndarray:
        context = self._history_tail() if continuing else values[:0]
        out = self._run(_windows_ending_at_rows(context, values, self.window_length))
        cols = []
        for spec in self.config_.tasks:
            raw = out[spec.name][:, 0, 0]  # first step, first target
            if spec.loss == "pinball":
                qs = spec.quantiles
                mid = qs.index(0.5) if 0.5 in qs else len(qs) // 2
                raw = raw[..., mid]
            elif spec.loss == "gaussian_nll":
                raw = raw[..., 0]
            cols.append(raw.astype(np.float64))
        pred = np.stack(cols, axis=1) * self._y_scale + self._y_shift
        order = [j for c in self._task_columns for j in c]
        result = np.empty_like(pred)
        result[:, order] = pred
        return result

    def predict(self, X: Any) -> np.ndarray | pd.DataFrame:
        """Predict from every row of ``X``.

        Parameters
        ----------
        X : pandas DataFrame or Series, or array-like
            Rows are time steps. A pandas ``X`` whose index continues the data
            seen so far uses that history as context; otherwise ``X`` alone
            is the history and its first rows see a masked, shorter window.

        Returns
        -------
        ndarray or pandas.DataFrame
            Forecasting mode: ``(n, n_targets * horizon)``, columns
            ``f"{col}_h{k}"``. Supervised mode: one column per ``y`` column
            (1-D when ``y`` was 1-D), probabilities for ``bce`` tasks.
        """
        self._check_fitted()
        if self.mode_ == "forecast":
            return super().predict(X)
        values, index, is_pandas = self._check_new(X, "X")
        continuing = is_pandas and (
            _continuation_problem(self.index_, self.freq_, self._strict_freq, index)
            is None
        )
        pred = self._supervised_predict(values, continuing)
        if is_pandas and self._y_1d:
            return pd.Series(pred[:, 0], index=index, name=self.target_names_[0])
        if is_pandas:
            return pd.DataFrame(pred, index=index, columns=self.target_names_)
        return pred[:, 0] if self._y_1d else pred

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R^2 of the predictions.

        Parameters
        ----------
        X : pandas DataFrame or Series, or array-like
            As in :meth:`predict`.
        y : array-like, optional
            Supervised mode: the per-row targets (rows with a NaN target are
            left out). Forecasting mode: as in
            :meth:`tsattn._base.BaseForecaster.score`.
        sample_weight : array-like of shape (n,), optional
            Row weights.

        Returns
        -------
        float
            Uniformly averaged R^2.
        """
        self._check_fitted()
        if self.mode_ == "forecast":
            return super().score(X, y, sample_weight)
        from sklearn.metrics import r2_score

        if y is None:
            raise ValueError(
                "This model was fitted on per-row targets (fit(X, y)); pass y to "
                "score it."
            )
        pred = np.asarray(self.predict(X), dtype=np.float64).reshape(len(X), -1)
        target, _, _, _ = _as_targets(y, len(pred))
        keep = np.isfinite(target).all(axis=1)
        weights = None if sample_weight is None else np.asarray(sample_weight)[keep]
        return float(r2_score(target[keep], pred[keep], sample_weight=weights))

    def forecast(self, steps: int | None = None) -> pd.DataFrame:
        """Forecast the steps after the end of the data seen.

        In forecasting mode: ``steps`` rows (default ``horizon``) per series,
        plus quantile columns when ``quantiles`` is set (for the first
        ``horizon`` steps; later steps are recursive point forecasts and their
        quantile columns are NaN). In supervised mode: the prediction made at
        the last row; when ``y`` came from :func:`tsattn.make_targets` with
        return or level targets of a price column of ``X``, the forecast is
        given as prices on the future index.

        Parameters
        ----------
        steps : int or None, default=None
            Steps ahead (forecasting mode). In supervised mode the number of
            steps is fixed by the targets; passing another value is an error.

        Returns
        -------
        pandas.DataFrame
            Forecasts on the future index.
        """
        self._check_fitted()
        if self.mode_ == "forecast":
            return super().forecast(steps)
        # The window ending at the last row seen: the remembered tail itself.
        last = self._supervised_predict(self._history_tail(), continuing=False)[-1]
        as_prices = self._prices_from_targets(last)
        if as_prices is not None:
            n = len(as_prices.index) if steps is None else steps
            if n != len(as_prices.index):
                raise ValueError(
                    f"This model predicts {len(as_prices.index)} step(s) fixed by its "
                    f"targets; got steps={steps}."
                )
            return as_prices
        if steps not in (None, 1):
            raise ValueError(
                "A model fitted on per-row targets forecasts one row (the "
                f"prediction made at the last row); got steps={steps}."
            )
        index = _future_index(self.index_, 1, self.freq_)
        return pd.DataFrame([last], index=index, columns=self.target_names_)

    def _prices_from_targets(self, last: np.ndarray) -> pd.DataFrame | None:
        from tsattn.targets import target_to_prices

        meta = self._y_meta or {}
        columns = meta.get("columns", {})
        price_col = meta.get("price_col")
        if not columns or price_col not in list(self.columns_):
            return None
        by_kind: dict[str, list[tuple[int, int]]] = {}
        for j, name in enumerate(self.target_names_):
            kind, step = columns.get(name, (None, None))
            if kind in _PRICE_KINDS:
                by_kind.setdefault(kind, []).append((int(step), j))
        if not by_kind:
            return None
        kind = next(iter(by_kind))
        pairs = sorted(by_kind[kind])
        steps = [s for s, _ in pairs]
        if steps != list(range(1, len(steps) + 1)):
            return None
        last_price = float(self._last_row[0, list(self.columns_).index(price_col)])
        prices = target_to_prices(last_price, last[[j for _, j in pairs]], kind)
        index = _future_index(self.index_, len(steps), self.freq_)
        return pd.DataFrame(
            {price_col: np.asarray(prices, dtype=np.float64)}, index=index
        )

    # ------------------------------------------------------------- explaining
    def attention_weights(
        self, X: Any | None = None, *, channel: int | None = None
    ) -> dict[str, Any]:
        """Attention maps of every layer and head for the window ending at the last row.

        Parameters
        ----------
        X : pandas DataFrame or array-like, optional
            Data whose last ``window_length`` rows form the window (its index
            labels the steps). None uses the end of the data seen so far.
        channel : int or None, default=None
            For channel-independent models, the input column whose maps to
            return; None averages the maps over columns.

        Returns
        -------
        dict
            ``{"weights": ndarray (n_layers, n_heads, N, N), "timestamps":
            index of the N tokens (the first step of each patch), "model":
            class name}``. Row ``i`` of a map is how token ``i`` spreads its
            attention over the tokens (rows sum to 1).
        """
        self._check_fitted()
        if X is None:
            window = self._history_tail()
            stamps = self.index_[-len(window) :]
        else:
            values, index, _ = self._check_new(X, "X")
            window = values[-self.window_length :].astype(np.float32)
            stamps = index[-len(window) :]
        windows = _windows_ending_at_rows(window[:-1], window[-1:], self.window_length)
        dev = next(self.module_.parameters()).device
        x = torch.from_numpy(windows.get_batch(np.arange(1))[0]).to(dev)
        mask = torch.isnan(x).any(dim=2)
        module = self.module_.eval()
        with torch.inference_mode():
            _, maps = module(
                torch.nan_to_num(x),
                key_padding_mask=mask if bool(mask.any()) else None,
                need_weights=True,
            )
        layers = []
        for m in maps:
            m = m[0]  # (nh, N, N) or (F, nh, N, N)
            if m.dim() == 4:
                m = m.mean(dim=0) if channel is None else m[channel]
            layers.append(m.float().cpu().numpy())
        weights = np.stack(layers)
        n_tokens = weights.shape[-1]
        stride = self.config_.stride
        full = np.concatenate(
            [np.full(self.window_length - len(stamps), -1), np.arange(len(stamps))]
        )
        token_pos = [int(full[min(i * stride, len(full) - 1)]) for i in range(n_tokens)]
        labels = [stamps[p] if p >= 0 else None for p in token_pos]
        return {"weights": weights, "timestamps": labels, "model": type(self).__name__}

    def plot_attention(self, X: Any | None = None, *, all_layers: bool = False) -> Any:
        """Draw :meth:`attention_weights` as one heatmap per head (matplotlib).

        Parameters
        ----------
        X : pandas DataFrame or array-like, optional
            As in :meth:`attention_weights`.
        all_layers : bool, default=False
            Draw every layer instead of the last.

        Returns
        -------
        matplotlib.figure.Figure
            The figure; save it with ``fig.savefig(path)``.
        """
        from tsattn.report import plot_attention

        return plot_attention(self.attention_weights(X), all_layers=all_layers)

    # ---------------------------------------------------------- persistence
    def save(self, path: Any) -> Any:
        """Save the fitted model to ``path`` (see :func:`tsattn.persistence.save`)."""
        from tsattn.persistence import save

        return save(self, path)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__().copy()
        module = state.pop("module_", None)
        if module is not None:
            state["_module_state"] = {
                k: v.detach().cpu().clone() for k, v in module.state_dict().items()
            }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        module_state = state.pop("_module_state", None)
        super().__setstate__(state)
        if module_state is not None:
            # A private generator keeps torch's global random state untouched.
            self.module_ = TemporalAttentionNet(
                self.config_, generator=torch.Generator()
            )
            self.module_.load_state_dict(module_state)
            self.module_.eval()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = self.random_state is None
        return tags


class SelfAttentionForecaster(AttentionForecaster):
    """The :class:`AttentionForecaster` network with a single attention head.

    Every parameter means what it means for :class:`AttentionForecaster`;
    there is no ``n_heads`` (it is 1: scaled dot-product self-attention over
    the full ``d_model``).

    Examples
    --------
    >>> from tsattn import SelfAttentionForecaster
    >>> from tsattn.datasets import make_stock_like
    >>> prices = make_stock_like("gbm", n_steps=300, random_state=0)[["Close"]]
    >>> model = SelfAttentionForecaster(window_length=32, d_model=16, max_epochs=2,
    ...                                 random_state=0).fit(prices)
    >>> model.config_.n_heads
    1
    """

    def __init__(
        self,
        *,
        window_length: int = 64,
        horizon: int = 5,
        d_model: int = 64,
        n_layers: int = 2,
        d_ff: int | None = None,
        patch_len: int = 8,
        patch_stride: int | None = None,
        dropout: float = 0.1,
        channel_independent: bool = True,
        revin: bool | str = "auto",
        output_head: str = "single",
        linear_skip: bool = False,
        significance: float | None = None,
        tasks: Mapping[str, Any] | None = None,
        quantiles: tuple[float, ...] | None = None,
        max_epochs: int = 30,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        early_stopping: bool = True,
        validation_fraction: float = 0.15,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        max_steps_per_epoch: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: int = 0,
    ):
        kwargs = {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        super().__init__(n_heads=1, **kwargs)
        del self.n_heads

    def _n_heads(self) -> int:
        return 1


def _with_median(loss: str, quantiles: Any) -> tuple[float, ...]:
    """Pinball levels plus the median, which is the point prediction."""
    qs = tuple(float(q) for q in quantiles)
    if loss == "pinball" and qs:
        return tuple(sorted(set(qs) | {0.5}))
    return qs


def _target_span(meta: Mapping[str, Any] | None, names: list[str]) -> int:
    """Future rows one target row looks at, from make_targets' metadata (else 1)."""
    columns = (meta or {}).get("columns", {})
    span = 1
    for name in names:
        _kind, step = columns.get(name, (None, None))
        if step is not None:
            span = max(span, int(step))
    window = (meta or {}).get("vol_window")
    if window and any(columns.get(n, (None,))[0] == "volatility" for n in names):
        span = max(span, int(window))
    return span


def _as_targets(y: Any, n_rows: int) -> tuple[np.ndarray, list[Any], bool, dict]:
    """Per-row targets as float64 (n, T); NaN allowed (rows without a future)."""
    meta = dict(getattr(y, "attrs", {}).get("tsattn_targets", {}) or {})
    y_1d = False
    if isinstance(y, pd.Series):
        columns = [y.name if y.name is not None else "y"]
        frame = y.to_frame(name=columns[0])
        y_1d = True
    elif isinstance(y, pd.DataFrame):
        columns = list(y.columns)
        frame = y
    else:
        try:
            arr = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"y must be numeric; could not convert {type(y).__name__} to float "
                f"({exc})."
            ) from exc
        y_1d = arr.ndim == 1
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"y must be 1-D or 2-D, got shape {arr.shape}.")
        columns = ["y"] if y_1d else [f"y{j}" for j in range(arr.shape[1])]
        frame = pd.DataFrame(arr, columns=columns)
    for col, dtype in frame.dtypes.items():
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            raise TypeError(
                f"y column {col!r} has dtype {dtype}; targets must be numeric."
            )
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    if len(values) != n_rows:
        raise ValueError(
            f"y has {len(values)} rows but X has {n_rows}; row t of y is the target "
            "for row t of X."
        )
    if np.isinf(values).any():
        row, col = np.argwhere(np.isinf(values))[0]
        raise ValueError(
            f"y contains an infinite value in column {columns[col]!r} at row {row}."
        )
    if np.isnan(values).all(axis=1).all():
        raise ValueError("y holds no finite target; every row is NaN.")
    return values, columns, y_1d, meta


def _target_scaling(
    y: np.ndarray, specs: list[TaskSpec]
) -> tuple[np.ndarray, np.ndarray]:
    """Shift and scale per target column, fitted on the training targets only."""
    shift = np.zeros(y.shape[1])
    scale = np.ones(y.shape[1])
    for j, spec in enumerate(specs):
        col = y[:, j][np.isfinite(y[:, j])]
        if len(col) == 0:
            continue
        if spec.loss in _SCALED_LOSSES:
            shift[j] = col.mean()
            sd = col.std()
            scale[j] = sd if sd > 1e-12 else 1.0
        elif spec.loss == "qlike":
            m = np.abs(col).mean()
            scale[j] = m if m > 1e-12 else 1.0
    return shift, scale
