"""AttentionForecaster and SelfAttentionForecaster: the network forecasting series.

``fit(X)``: the columns of ``X`` are the series; the network maps the last
``window_length`` rows to the next ``horizon`` rows of every column, starting
at the last value (the random walk) and leaving it only on held-out evidence.
``forecast``, ``update`` and ``predict`` work as for every tsattn forecaster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsattn._docstrings import fill_doc
from tsattn._validation import Interval, validate_params
from tsattn.estimators._network import DOC_ENTRIES, NetworkForecaster
from tsattn.estimators.multitask import SupervisedFace
from tsattn.nn.config import TaskSpec

__all__ = ["AttentionForecaster", "SelfAttentionForecaster"]


@fill_doc(DOC_ENTRIES)
@dataclass(eq=False, repr=False, kw_only=True)
class AttentionForecaster(SupervisedFace, NetworkForecaster):
    """Temporal multi-head attention forecaster with a scikit-learn interface.

    Two ways in, over the same network:

    - **Forecasting** (``fit(X)``): the columns of ``X`` are the series to
      forecast; the model learns to map the last ``window_length`` rows to the
      next ``horizon`` rows of every column (one shared, channel-independent
      network by default). ``forecast(steps)``, ``update`` and ``predict`` work
      as for every tsattn forecaster.
    - **Supervised** (``fit(X, y)``): the same as
      :class:`~tsattn.MultiTaskForecaster`, kept so that scikit-learn
      pipelines and searches that pass ``y`` work on this class too; new code
      should use :class:`~tsattn.MultiTaskForecaster`, which says what it does.

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
        :func:`tsattn.fitting.starts.fit_linear_skip`). The model so starts at
        the better of the random walk and the best linear autoregression, and
        the attention path learns what that misses. Worth trying on series
        with stable structure (load, temperature, seasonal demand); on prices
        the random walk usually wins. It applies to forecast series only
        (in supervised mode the targets are not input columns).
    significance : float or None, default=None
        Ask for evidence before leaving the random walk. The held-out windows
        are split in time: the first half chooses the start and the best
        epoch, the later half only tests, so that the p-values come from
        windows that selected nothing. A one-sided Diebold-Mariano test at
        this level on the test windows (squared errors of the point forecast,
        one loss per window, ``h = horizon`` for the overlap of the windows)
        must show (1) that the linear skip's ridge start beats the last
        value, else the skip starts at zero, and (2) that the trained weights
        beat their start, else the start is kept. With fewer than
        ``2 * horizon`` test windows there is no evidence and the start is
        kept; without any (``early_stopping=False`` or too few windows) the
        start is kept with a warning. In supervised mode (given ``y``) each
        task is tested against its own start, as in
        :class:`~tsattn.MultiTaskForecaster`. None keeps whichever has the
        lower held-out loss. On near-random-walk
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
        Training and validation loss per epoch. In forecasting mode the
        errors are per-channel normalised (each series divided by the
        standard deviation of its one-step changes on the training rows), so
        that every series counts equally in the loss, early stopping and the
        significance tests; forecasts and metrics stay in the data's units.
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
        :class:`tsattn.fitting.starts.LinearSkipFit` (``"kept"`` is ``"ridge"``
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
    MultiTaskForecaster : the network fitted on per-row targets ``fit(X, y)``.
    tsattn.baselines.NaiveForecaster : the random walk every forecast is compared to.

    Examples
    --------
    >>> from tsattn import AttentionForecaster
    {{close_prices}}
    >>> model = AttentionForecaster(window_length=32, horizon=5, d_model=16,
    ...                             n_heads=2, max_epochs=2, random_state=0)
    >>> model.fit(prices).forecast().shape
    (5, 1)
    """

    _fit_defining = ("horizon", "quantiles", "window_length")

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NetworkForecaster._parameter_constraints,
        "horizon": [Interval(int, 1, None)],
        "linear_skip": [bool],
    }

    horizon: int = 5
    linear_skip: bool = False
    quantiles: tuple[float, ...] | None = None

    # ------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        validate_params(self)
        self._quantile_levels()

    def _min_length(self) -> tuple[int, str]:
        need = self.window_length + self.horizon + 1
        return need, (
            f" (window_length + horizon + 1 = {self.window_length} + "
            f"{self.horizon} + 1, so that at least two windows exist)"
        )

    # ---------------------------------------------------------- the two faces
    def fit(self, X: Any, y: Any = None) -> AttentionForecaster:
        """Fit the forecaster.

        Parameters
        ----------
        X : pandas DataFrame or Series, or array-like of shape (n, F)
            Rows are time steps in time order. Without ``y`` its columns are
            the series to forecast; with ``y`` they are the input features.
        y : pandas DataFrame or Series, or array-like of shape (n,) or (n, T), optional
            Per-row targets, as for :class:`~tsattn.MultiTaskForecaster`.

        Returns
        -------
        self : AttentionForecaster
            The fitted estimator.
        """
        if y is None:
            return super().fit(X)
        return self._fit_targets(X, y)

    def predict(self, X: Any) -> np.ndarray | pd.Series | pd.DataFrame:
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
            Fitted on series: ``(n, n_targets * horizon)``, columns
            ``f"{col}_h{k}"``. Fitted on ``y``: as
            :meth:`tsattn.MultiTaskForecaster.predict`.
        """
        self._check_fitted()
        if self.mode_ == "supervised":
            return self._predict_targets(X)
        return super().predict(X)

    @fill_doc(DOC_ENTRIES)
    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R^2 of the predictions (see :meth:`tsattn._base.BaseForecaster.score`).

        Parameters
        ----------
        {{X_as_predict}}
        y : array-like, optional
            Fitted on ``y``: the per-row targets (required). Fitted on series:
            as in :meth:`tsattn._base.BaseForecaster.score`.
        {{sample_weight}}

        Returns
        -------
        {{r2}}
        """
        self._check_fitted()
        if self.mode_ == "supervised":
            return self._score_targets_r2(X, y, sample_weight)
        return super().score(X, y, sample_weight)

    def forecast(self, steps: int | None = None) -> pd.DataFrame:
        """Forecast the steps after the end of the data seen.

        Fitted on series: ``steps`` rows (default ``horizon``) per series,
        plus quantile columns when ``quantiles`` is set (for the first
        ``horizon`` steps; later steps are recursive point forecasts and their
        quantile columns are NaN). Fitted on ``y``: as
        :meth:`tsattn.MultiTaskForecaster.forecast`.

        Parameters
        ----------
        steps : int or None, default=None
            Steps ahead.

        Returns
        -------
        pandas.DataFrame
            Forecasts on the future index.
        """
        self._check_fitted()
        if self.mode_ == "supervised":
            return self._forecast_targets(steps)
        return super().forecast(steps)

    # ------------------------------------------------------------ forecasting
    def _forecast_tasks(self, n_targets: int) -> tuple[TaskSpec, ...]:
        levels = self._quantile_levels()
        quantiles = tuple(sorted(set(levels) | {0.5})) if levels else ()
        return (
            TaskSpec(
                "forecast",
                loss="pinball" if levels else "mse",
                horizon=self.horizon,
                n_targets=n_targets,
                quantiles=quantiles,
                target_channels=tuple(range(n_targets)),
            ),
        )

    def _fit(self, values: np.ndarray, index: pd.Index) -> None:
        self.mode_ = "forecast"
        self.target_names_ = [str(c) for c in self.columns_]
        self.config_ = self._net_config(
            values.shape[1], self._forecast_tasks(values.shape[1]), revin=True
        )
        self._fit_network(
            values,
            values,
            horizon=self.horizon,
            target_offset=0,
            # Loss, early stopping and tests on per-channel normalised errors.
            scale_channels=True,
        )
        self._reset(values, index)
        self._record_data_hash(values)

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
            out = self._run_windows(history[:-1], history[-1:])
            point, q = self._outputs_to_path(out)
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

    def _predict_path(
        self, values: np.ndarray, index: pd.Index, continuing: bool
    ) -> np.ndarray:
        point, _ = self._outputs_to_path(self._run(values, continuing))
        return np.transpose(point, (0, 2, 1))  # (n, T, H)


@fill_doc(DOC_ENTRIES)
@dataclass(eq=False, repr=False, kw_only=True)
class SelfAttentionForecaster(AttentionForecaster):
    """The :class:`AttentionForecaster` network with a single attention head.

    Every parameter means what it means for :class:`AttentionForecaster`;
    there is no ``n_heads`` (it is 1: scaled dot-product self-attention over
    the full ``d_model``).

    Examples
    --------
    >>> from tsattn import SelfAttentionForecaster
    {{close_prices}}
    >>> model = SelfAttentionForecaster(window_length=32, d_model=16, max_epochs=2,
    ...                                 random_state=0).fit(prices)
    >>> model.config_.n_heads
    1
    """

    # One head: a constant of the class. Redeclared as a ClassVar, the
    # inherited field leaves the generated __init__, so it is no parameter.
    n_heads: ClassVar[int] = 1  # type: ignore[misc]
