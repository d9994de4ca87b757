"""The shared base of the attention estimators: network, device, state, attention maps.

:class:`NetworkForecaster` owns what every attention estimator has in common:
building the :class:`~tsattn.nn.config.NetConfig`, running the fit pipeline
(:func:`tsattn.fitting.pipeline.fit_network`) once and storing what it
returns, the remembered tail of the data, prediction on windows, attention
maps, and pickling of the network. The forecasting face
(:mod:`tsattn.estimators.forecaster`) and the multi-task face
(:mod:`tsattn.estimators.multitask`) are subclasses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from tsattn._base import BaseForecaster
from tsattn._docstrings import Entry
from tsattn._validation import Interval, Options, validate_params
from tsattn.fitting.pipeline import NetworkFit, fit_network
from tsattn.fitting.predict import predict_module
from tsattn.fitting.runtime import resolve_device
from tsattn.nn.config import NetConfig, TaskSpec
from tsattn.nn.net import TemporalAttentionNet
from tsattn.windows.ending import windows_ending_at_rows

__all__ = ["NetworkForecaster"]


#: Docstring entries the attention estimators share (filled by
#: :func:`tsattn._docstrings.fill_doc`).
DOC_ENTRIES: dict[str, Entry] = {
    "X_as_predict": (
        "X : pandas DataFrame or Series, or array-like",
        "As in :meth:`predict`.",
    ),
    "sample_weight": (
        "sample_weight : array-like of shape (n,), optional",
        "Row weights.",
    ),
    "r2": ("float", "Uniformly averaged R^2."),
    "close_prices": (
        ">>> from tsattn.datasets import make_stock_like\n"
        '>>> prices = make_stock_like("gbm", n_steps=300, random_state=0)[["Close"]]'
    ),
}


@dataclass(eq=False, repr=False, kw_only=True)
class NetworkForecaster(BaseForecaster):
    """Base class of the attention estimators (not used directly).

    Parameters are declared once, as annotated class attributes: the
    dataclass decorator writes the explicit keyword-only ``__init__`` that
    scikit-learn reads (``get_params``, ``clone``) and that only stores each
    argument (``eq=False, repr=False`` keep identity comparison and sklearn's
    repr). The ones here are shared by every attention estimator and
    documented in :class:`~tsattn.AttentionForecaster`. A subclass, under the
    same decorator, adds parameters by declaring them, and fixes one by
    redeclaring it as a ``ClassVar`` constant, which drops it from
    ``__init__``. Subclasses fit by converting the data, building task specs
    and calling :meth:`_fit_network`.
    """

    _multivariate = True

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "window_length": [Interval(int, 1, None)],
        "d_model": [Interval(int, 1, None)],
        "n_heads": [Interval(int, 1, None)],
        "n_layers": [Interval(int, 1, None)],
        "d_ff": [None, Interval(int, 1, None)],
        "patch_len": [Interval(int, 1, None)],
        "patch_stride": [None, Interval(int, 1, None)],
        "dropout": [Interval(float, 0.0, 1.0, closed="left")],
        "channel_independent": [bool],
        "revin": [Options(True, False, "auto")],
        "output_head": [Options("single", "multi")],
        "tasks": [None, dict],
        "significance": [None, Interval(float, 0.0, 1.0, closed="neither")],
        "max_epochs": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0.0, None, closed="neither")],
        "weight_decay": [Interval(float, 0.0, None)],
        "early_stopping": [bool],
        "validation_fraction": [Interval(float, 0.0, 1.0, closed="neither")],
        "n_iter_no_change": [Interval(int, 1, None)],
        "tol": [Interval(float, 0.0, None)],
        "max_steps_per_epoch": [None, Interval(int, 1, None)],
        "device": [str, torch.device],
        "random_state": [None, "random_state"],
        "verbose": [Interval(int, 0, None)],
    }

    window_length: int = 64
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int | None = None
    patch_len: int = 8
    patch_stride: int | None = None
    dropout: float = 0.1
    channel_independent: bool = True
    revin: bool | str = "auto"
    output_head: str = "single"
    tasks: Mapping[str, Any] | None = None
    significance: float | None = None
    max_epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    early_stopping: bool = True
    validation_fraction: float = 0.15
    n_iter_no_change: int = 5
    tol: float = 1e-4
    max_steps_per_epoch: int | None = None
    device: str = "auto"
    random_state: int | None = None
    verbose: int = 0

    # ------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        validate_params(self)

    def _net_config(
        self, n_features: int, tasks: tuple[TaskSpec, ...], *, revin: bool
    ) -> NetConfig:
        """Build the network's configuration (``revin``: what "auto" means here)."""
        patch_len = min(self.patch_len, self.window_length)
        stride = self.patch_stride
        if stride is not None:
            stride = min(stride, patch_len)
        return NetConfig(
            window_length=self.window_length,
            n_features=n_features,
            tasks=tasks,
            d_model=self.d_model,
            n_heads=self.n_heads,
            n_layers=self.n_layers,
            d_ff=self.d_ff if self.d_ff is not None else 2 * self.d_model,
            dropout=float(self.dropout),
            patch_len=patch_len,
            patch_stride=stride,
            channel_independent=bool(self.channel_independent),
            output_head=self.output_head,
            revin=revin if self.revin == "auto" else bool(self.revin),
            repeat_init=True,
            linear_skip=bool(getattr(self, "linear_skip", False)),
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
    def _member_seeds(self, n_members: int) -> list[int | None]:
        """Seeds of the ensemble members: the estimator's own seed first."""
        seed = self._seed()
        if seed is None:
            return [None] * n_members
        seeds: list[int | None] = [seed]
        for k in range(1, n_members):
            state = np.random.SeedSequence([seed, k]).generate_state(1)[0]
            seeds.append(int(state) & 0x7FFFFFFF)
        return seeds

    def _fit_network(
        self,
        values: np.ndarray,
        targets: np.ndarray,
        *,
        horizon: int,
        target_offset: int,
        target_span: int = 1,
        scale_targets: Any = None,
        scale_channels: bool = False,
    ) -> NetworkFit:
        """Run the fit pipeline once per ensemble member and store the results.

        Every network starts at a sound fallback (the last value, or each
        task's trivial baseline), scored as epoch 0 of early stopping. The
        first member is ``module_`` and gives the loss curves; further
        members (``n_ensemble > 1``) are kept as weights in ``_members`` and
        their outputs averaged with it at prediction. Returns the first
        member's fit.
        """
        n_members = int(getattr(self, "n_ensemble", 1))
        fits: list[NetworkFit] = []
        for seed in self._member_seeds(n_members):
            fits.append(
                fit_network(
                    values,
                    targets,
                    self.config_,
                    horizon=horizon,
                    target_offset=target_offset,
                    target_span=target_span,
                    validation_fraction=self.validation_fraction,
                    early_stopping=self.early_stopping,
                    significance=self.significance,
                    seed=seed,
                    validate_initial=True,
                    scale_targets=scale_targets,
                    scale_channels=scale_channels,
                    loop={
                        "max_epochs": self.max_epochs,
                        "batch_size": self.batch_size,
                        "learning_rate": self.learning_rate,
                        "weight_decay": self.weight_decay,
                        "n_iter_no_change": self.n_iter_no_change,
                        "tol": self.tol,
                        "device": self.device,
                        "verbose": self.verbose,
                        "max_steps_per_epoch": self.max_steps_per_epoch,
                    },
                )
            )
        fit = fits[0]
        self.module_ = fit.module
        # A plain list: kept in the model file's header, not as a tensor.
        self._channel_scale = (
            None if fit.channel_scale is None else [float(v) for v in fit.channel_scale]
        )
        self._members = [
            {
                k: v.detach().cpu().numpy().copy()
                for k, v in f.module.state_dict().items()
            }
            for f in fits[1:]
        ]
        self.linear_skip_fit_ = fit.linear_skip_fit
        self.start_test_ = fit.start_test
        self.device_ = str(resolve_device(self.device))
        self.loss_curve_ = fit.train.loss_curve
        self.validation_scores_ = fit.train.validation_scores
        self.best_epoch_ = fit.train.best_epoch
        self.ensemble_best_epochs_ = [f.train.best_epoch for f in fits]
        self.n_epochs_ = fit.train.n_epochs
        self.stopped_reason_ = fit.train.stopped_reason
        self.best_validation_score_ = fit.train.best_validation
        self.fit_time_ = float(sum(f.train.fit_time_s for f in fits))
        self.n_params_ = fit.n_params
        self._task_records = [f.task_tests for f in fits]
        return fit

    def _record_data_hash(self, *arrays: np.ndarray) -> None:
        digest = hashlib.sha256()
        for arr in arrays:
            arr = np.ascontiguousarray(arr, dtype=np.float64)
            digest.update(str(arr.shape).encode())
            digest.update(arr.tobytes())
        digest.update(np.asarray(self.index_.astype(str)).astype("U").tobytes())
        self.data_hash_ = "sha256:" + digest.hexdigest()

    # ------------------------------------------------------- remembered tail
    def _history_tail(self) -> np.ndarray:
        return np.vstack([self._context, self._last_row])[-self.window_length :]

    def _update(self, values: np.ndarray, index: pd.Index) -> None:
        joined = np.vstack([self._context, self._last_row, values.astype(np.float32)])
        self._reset(joined, index)

    def _reset(self, values: np.ndarray, index: pd.Index) -> None:
        # The last window_length rows: the context plus the newest row.
        values = np.asarray(values, dtype=np.float32)
        self._context = values[-self.window_length : -1].copy()
        self._last_row = values[-1:].copy()

    def _run(self, values: np.ndarray, continuing: bool) -> dict[str, np.ndarray]:
        """Network outputs for the windows ending at every row of ``values``."""
        context = self._history_tail() if continuing else values[:0]
        return self._run_windows(context, values)

    def _run_windows(
        self, context: np.ndarray, values: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Network outputs for the windows ending at every row, after ``context``."""
        scale = self._scale_of_channels()
        if scale is not None:
            # The network works on each channel divided by its training scale.
            context = (context / scale).astype(np.float32)
            values = (values / scale).astype(np.float32)
        windows = windows_ending_at_rows(context, values, self.window_length)
        out = predict_module(self.module_, windows, device=self.device)
        members = getattr(self, "_members", None) or []
        if members:
            out = self._ensemble_average(out, members, windows)
        if scale is not None:
            out = self._to_data_units(out, scale)
        return out

    def _scale_of_channels(self) -> np.ndarray | None:
        """Per-channel scale of the network's inputs and forecasts (or None)."""
        scale = getattr(self, "_channel_scale", None)
        return None if scale is None else np.asarray(scale, dtype=np.float64)

    def _to_data_units(
        self, out: dict[str, np.ndarray], scale: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Multiply the forecasts of input channels back by their scale."""
        for t in self.config_.tasks:
            if t.target_channels is None:
                continue
            s = scale[list(t.target_channels)].astype(np.float32)  # (T,)
            o = out[t.name]  # (N, H, T) or (N, H, T, Q)
            out[t.name] = o * (s if o.ndim == 3 else s[:, None])
        return out

    def _ensemble_average(
        self, out: dict[str, np.ndarray], members: list, windows: Any
    ) -> dict[str, np.ndarray]:
        """Average the outputs of every member (probabilities, variances, values)."""
        total = {k: v.astype(np.float64) for k, v in out.items()}
        for state in members:
            module = TemporalAttentionNet(self.config_, generator=torch.Generator())
            module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
            member = predict_module(module.eval(), windows, device=self.device)
            for k, v in member.items():
                total[k] += v
        n = len(members) + 1
        return {k: (v / n).astype(np.float32) for k, v in total.items()}

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
            attention over the tokens (rows sum to 1). Draw it with
            :func:`tsattn.report.plot_attention`.
        """
        self._check_fitted()
        if X is None:
            window = self._history_tail()
            stamps = self.index_[-len(window) :]
        else:
            values, index, _ = self._check_new(X, "X")
            window = values[-self.window_length :].astype(np.float32)
            stamps = index[-len(window) :]
        scale = self._scale_of_channels()
        if scale is not None:
            window = (window / scale).astype(np.float32)
        windows = windows_ending_at_rows(window[:-1], window[-1:], self.window_length)
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
        """Raise: maps are drawn by :func:`tsattn.report.plot_attention`.

        Raises
        ------
        AttributeError
            Always, naming the call that replaces it.
        """
        raise AttributeError(
            f"{type(self).__name__}.plot_attention was removed: models do not draw. "
            "Use tsattn.report.plot_attention(model.attention_weights(X), "
            "all_layers=...)."
        )

    # ---------------------------------------------------------- persistence
    def save(self, path: Any) -> Any:
        """Save the fitted model to ``path``; the same as :func:`tsattn.save`."""
        import tsattn

        return tsattn.save(self, path)

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
