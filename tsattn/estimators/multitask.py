"""MultiTaskForecaster: the attention network fitted on per-row targets ``fit(X, y)``.

Rows of ``X`` are time steps with any features; ``y`` holds, for each row, what
should be predicted from information up to and including that row (build it
with :func:`tsattn.make_targets`): next returns, up/down direction,
volatility. Each ``y`` column is a task with its own loss and weight, through
one shared output layer or a head per task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsattn._docstrings import fill_doc
from tsattn._validation import Interval
from tsattn.data import as_frame, as_history, continuation_problem, future_index
from tsattn.estimators._network import DOC_ENTRIES, NetworkForecaster
from tsattn.nn.config import LOSSES, TaskSpec
from tsattn.targets import check_target_loss, target_to_prices

__all__ = ["MultiTaskForecaster", "SupervisedFace"]

# Losses whose targets are standardised with the training mean and std.
SCALED_LOSSES = ("mse", "mae", "huber", "pinball", "gaussian_nll")
PRICE_KINDS = ("log_return", "cum_log_return", "return", "cum_return", "level")


class SupervisedFace:
    """Fit, predict, score and forecast on per-row targets (a mixin of the network).

    Used by :class:`MultiTaskForecaster`, and by
    :class:`~tsattn.estimators.forecaster.AttentionForecaster` when it is
    given ``y``.
    """

    def _fit_targets(self, X: Any, y: Any) -> Any:
        self._is_fitted = False
        self._check_params()
        values, index, columns, named, _ = as_history(X, "X")
        y_values, y_columns, y_1d, y_meta = as_targets(y, len(values))
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
        specs = task_specs(self.tasks, y_columns)
        check_task_targets(y, specs, y_columns)
        self._task_columns = [[j] for j in range(len(specs))]
        self.config_ = self._net_config(values.shape[1], tuple(specs), revin=False)
        fit = self._fit_network(
            values,
            y_values,
            horizon=1,
            target_offset=-1,
            target_span=target_span(y_meta, self.target_names_),
            # Scaling statistics from the training windows' targets only.
            scale_targets=lambda y_train: target_scaling(y_train, specs),
        )
        self._y_shift, self._y_scale = fit.target_shift, fit.target_scale
        records = self.__dict__.pop("_task_records", [])
        self.task_tests_ = {
            name: [r[spec.name] for r in records if spec.name in r]
            for name, spec in zip(self.target_names_, specs)
            if any(spec.name in r for r in records)
        }
        self._reset(values, index)
        self._record_data_hash(values, y_values)
        self._record_fit_params()
        self._is_fitted = True
        return self

    def _predict_rows(self, values: np.ndarray, continuing: bool) -> np.ndarray:
        """Predictions (n, T) in the targets' units, from every row of ``values``."""
        out = self._run(values, continuing)
        cols = [
            point_output(out[spec.name][:, 0, 0], spec) for spec in self.config_.tasks
        ]
        return np.stack(cols, axis=1) * self._y_scale + self._y_shift

    def _predict_targets(self, X: Any) -> np.ndarray | pd.Series | pd.DataFrame:
        self._check_fitted()
        values, index, is_pandas = self._check_new(X, "X")
        continuing = is_pandas and (
            continuation_problem(self.index_, self.freq_, self._strict_freq, index)
            is None
        )
        pred = self._predict_rows(values, continuing)
        if is_pandas and self._y_1d:
            return pd.Series(pred[:, 0], index=index, name=self.target_names_[0])
        if is_pandas:
            return pd.DataFrame(pred, index=index, columns=self.target_names_)
        return pred[:, 0] if self._y_1d else pred

    def _score_targets_r2(self, X: Any, y: Any, sample_weight: Any) -> float:
        from sklearn.metrics import r2_score

        self._check_fitted()
        if y is None:
            raise ValueError(
                "This model was fitted on per-row targets (fit(X, y)); pass y to "
                "score it."
            )
        pred = np.asarray(self._predict_targets(X), dtype=np.float64)
        pred = pred.reshape(len(X), -1)
        target, _, _, _ = as_targets(y, len(pred))
        keep = np.isfinite(target).all(axis=1)
        weights = None if sample_weight is None else np.asarray(sample_weight)[keep]
        return float(r2_score(target[keep], pred[keep], sample_weight=weights))

    def _forecast_targets(self, steps: int | None) -> pd.DataFrame:
        self._check_fitted()
        # The window ending at the last row seen: the remembered tail itself.
        last = self._predict_rows(self._history_tail(), continuing=False)[-1]
        as_prices = self._prices_from_targets(last)
        if as_prices is not None:
            if steps is not None and steps != len(as_prices.index):
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
        index = future_index(self.index_, 1, self.freq_)
        return pd.DataFrame([last], index=index, columns=self.target_names_)

    def _prices_from_targets(self, last: np.ndarray) -> pd.DataFrame | None:
        """Return the last-row prediction as prices, when ``y`` describes a price."""
        meta = self._y_meta or {}
        columns = meta.get("columns", {})
        price_col = meta.get("price_col")
        if not columns or price_col not in list(self.columns_):
            return None
        by_kind: dict[str, list[tuple[int, int]]] = {}
        for j, name in enumerate(self.target_names_):
            kind, step = columns.get(name, (None, None))
            if kind in PRICE_KINDS:
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
        index = future_index(self.index_, len(steps), self.freq_)
        return pd.DataFrame(
            {price_col: np.asarray(prices, dtype=np.float64)}, index=index
        )


@dataclass(eq=False, repr=False, kw_only=True)
class MultiTaskForecaster(SupervisedFace, NetworkForecaster):
    """Temporal attention network fitted on per-row targets, several tasks at once.

    ``fit(X, y)``: rows of ``X`` are time steps with any features; row ``t``
    of ``y`` holds what should be predicted from rows up to ``t`` (build it
    with :func:`tsattn.make_targets`). ``tasks`` maps ``y`` columns to losses
    and weights; ``predict(X)`` returns one row of predictions per row of
    ``X`` (probabilities for ``bce`` tasks). To forecast the columns of ``X``
    themselves, use :class:`~tsattn.AttentionForecaster`.

    Parameters
    ----------
    tasks : dict or None, default=None
        ``{y_column: loss}`` or ``{y_column: {"loss": ..., "weight": ...,
        "quantiles": ..., "huber_delta": ...}}``; losses are ``"mse"``,
        ``"mae"``, ``"huber"``, ``"pinball"``, ``"gaussian_nll"``, ``"bce"``
        (up/down direction) and ``"qlike"`` (variance). Columns not named use
        ``"mse"``.
    output_head : {"single", "multi"}, default="single"
        One shared output layer for every task, or one MLP head per task.
    revin : bool or "auto", default="auto"
        Reversible per-window normalisation of the inputs; ``"auto"`` is off
        here, since targets such as volatility scale with the inputs.
    window_length, d_model, n_heads, n_layers, d_ff, patch_len, patch_stride, \
dropout, channel_independent, max_epochs, batch_size, learning_rate, \
weight_decay, early_stopping, validation_fraction, n_iter_no_change, tol, \
max_steps_per_epoch, device, random_state, verbose
        As for :class:`~tsattn.AttentionForecaster`. Validation windows are
        the last in time; training targets end before the first validation
        target looks at any data (the span of ``make_targets``' targets is
        read from ``y``).
    significance : float or None, default=None
        Ask each task for evidence before leaving its start. Every task's
        output starts at its trivial baseline (a return at its training mean,
        a direction at its training base rate, a variance at its training
        unconditional variance) and early stopping scores that start as
        epoch 0. With ``significance`` the validation windows are split in
        time: the first part chooses the best epoch, the later part tests.
        A task keeps its trained output only when a one-sided Diebold-Mariano
        test at this level on its own per-window loss (QLIKE for a variance,
        log loss for a direction, squared error otherwise; ``h`` from the
        overlap of the targets) says it beats its start; otherwise its output
        goes back to the start. Without test windows every task keeps its
        start, with a warning. None keeps the best validation epoch.
    n_ensemble : int, default=1
        Networks fitted with seeds derived from ``random_state`` and averaged
        at prediction (probabilities for ``bce``, variances for ``qlike``,
        values otherwise), so that the result does not hinge on one seed.
        Fitting takes ``n_ensemble`` times as long. ``module_``, the loss
        curves and ``attention_weights`` are those of the first member (seeded
        with ``random_state`` itself).

    Attributes
    ----------
    module_, config_, loss_curve_, validation_scores_, best_epoch_, n_epochs_, \
n_params_, n_features_in_
        As for :class:`~tsattn.AttentionForecaster`.
    target_names_ : list of str
        The ``y`` columns.
    task_tests_ : dict of str to list of dict
        With ``significance``: per ``y`` column, one record per ensemble
        member of the test of its trained output against its start
        (``"statistic"``, ``"p_value"``, ``"n_windows"``, ``"kept"``:
        ``"trained"`` or ``"start"``); empty otherwise.
    ensemble_best_epochs_ : list of int
        Best epoch of every ensemble member (0: it kept its start).

    Examples
    --------
    >>> from tsattn import MultiTaskForecaster, make_targets
    >>> from tsattn.datasets import make_stock_like
    >>> prices = make_stock_like("gbm", n_steps=300, random_state=0)
    >>> y = make_targets(prices["Close"], kind=["log_return", "direction"], horizon=1)
    >>> model = MultiTaskForecaster(window_length=32, d_model=16, n_heads=2,
    ...                             max_epochs=2, tasks={"up_h1": "bce"},
    ...                             random_state=0).fit(prices[["Close"]], y)
    >>> model.predict(prices[["Close"]]).shape
    (300, 2)
    """

    _fit_defining = ("window_length",)

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NetworkForecaster._parameter_constraints,
        "n_ensemble": [Interval(int, 1, None)],
    }

    n_ensemble: int = 1

    def fit(self, X: Any, y: Any = None) -> MultiTaskForecaster:
        """Fit the network on per-row targets.

        Parameters
        ----------
        X : pandas DataFrame or Series, or array-like of shape (n, F)
            Input features; rows are time steps in time order.
        y : pandas DataFrame or Series, or array-like of shape (n,) or (n, T)
            Per-row targets: row ``t`` holds what should be predicted from
            rows up to ``t``. NaN targets (the tail of
            :func:`tsattn.make_targets`) are skipped, never filled.

        Returns
        -------
        self : MultiTaskForecaster
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                "MultiTaskForecaster requires y to be passed, but the target y is "
                "None: it learns per-row targets, fit(X, y) with y from "
                "tsattn.make_targets. To forecast the columns of X themselves, use "
                "AttentionForecaster().fit(X)."
            )
        return self._fit_targets(X, y)

    def predict(self, X: Any) -> np.ndarray | pd.Series | pd.DataFrame:
        """Predict every target from every row of ``X``.

        Parameters
        ----------
        X : pandas DataFrame or Series, or array-like
            The input features, rows in time order; history and context as in
            :meth:`tsattn.AttentionForecaster.predict`.

        Returns
        -------
        ndarray, pandas.Series or pandas.DataFrame
            One column per ``y`` column (1-D when ``y`` was 1-D),
            probabilities for ``bce`` tasks.
        """
        return self._predict_targets(X)

    @fill_doc(DOC_ENTRIES)
    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """R^2 of the predictions against ``y`` (rows with a NaN target left out).

        Parameters
        ----------
        {{X_as_predict}}
        y : array-like
            The per-row targets.
        {{sample_weight}}

        Returns
        -------
        {{r2}}
        """
        return self._score_targets_r2(X, y, sample_weight)

    def forecast(self, steps: int | None = None) -> pd.DataFrame:
        """Return the prediction made at the last row seen, on the future index.

        When ``y`` came from :func:`tsattn.make_targets` with return or level
        targets of a price column of ``X``, the forecast is given as prices
        on the future index.

        Parameters
        ----------
        steps : int or None, default=None
            The number of steps is fixed by the targets; another value is an
            error.

        Returns
        -------
        pandas.DataFrame
            The forecast on the future index.
        """
        return self._forecast_targets(steps)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def _fit(self, values: np.ndarray, index: pd.Index) -> None:
        raise ValueError(
            "MultiTaskForecaster requires y to be passed, but the target y is "
            "None: call fit(X, y). To forecast the columns of X, use "
            "AttentionForecaster."
        )

    def _forecast(self, steps: int) -> tuple[np.ndarray, None]:
        """Return the prediction at the last row, as one step: (1, T)."""
        last = self._predict_rows(self._history_tail(), continuing=False)[-1:]
        return last, None


def point_output(raw: np.ndarray, spec: TaskSpec) -> np.ndarray:
    """Return the point prediction of one task's raw output (the median for pinball)."""
    if spec.loss == "pinball":
        qs = spec.quantiles
        raw = raw[..., qs.index(0.5) if 0.5 in qs else len(qs) // 2]
    elif spec.loss == "gaussian_nll":
        raw = raw[..., 0]  # the mean
    return raw.astype(np.float64)


def with_median(loss: str, quantiles: Any) -> tuple[float, ...]:
    """Pinball levels plus the median, which is the point prediction."""
    qs = tuple(float(q) for q in quantiles)
    if loss == "pinball" and qs:
        return tuple(sorted(set(qs) | {0.5}))
    return qs


def task_specs(tasks: Mapping[Any, Any] | None, y_columns: list[Any]) -> list[TaskSpec]:
    """One TaskSpec per ``y`` column, in column order, from the ``tasks`` parameter."""
    spec_by_col: dict[Any, Any] = dict(tasks or {})
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
            TaskSpec(
                name=f"t{j}_{col}",
                loss=loss,
                horizon=1,
                n_targets=1,
                weight=spec.get("weight", 1.0),
                quantiles=with_median(loss, spec.get("quantiles", ())),
                huber_delta=spec.get("huber_delta", 1.0),
            )
        )
    return specs


def check_task_targets(y: Any, specs: list[TaskSpec], columns: list[Any]) -> None:
    """Raise when a task's loss cannot score its ``y`` column's kind.

    Each column is checked alone with :func:`tsattn.targets.check_target_loss`
    (``qlike`` only on a variance, ``bce`` only on a direction); the kinds
    come from :func:`tsattn.make_targets`' metadata or the column names.
    """
    if not isinstance(y, (pd.Series, pd.DataFrame)):
        return
    frame = y.to_frame() if isinstance(y, pd.Series) else y
    meta = dict(getattr(y, "attrs", {}).get("tsattn_targets", {}) or {})
    known = meta.get("columns", {})
    for j, (spec, col) in enumerate(zip(specs, columns)):
        one = pd.DataFrame({col: frame.iloc[:, j].to_numpy()})
        if col in known:
            one.attrs["tsattn_targets"] = {**meta, "columns": {col: known[col]}}
        check_target_loss(one, spec.loss)


def target_span(meta: Mapping[str, Any] | None, names: list[str]) -> int:
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


def as_targets(y: Any, n_rows: int) -> tuple[np.ndarray, list[Any], bool, dict]:
    """Per-row targets as float64 (n, T); NaN allowed (rows without a future)."""
    meta = dict(getattr(y, "attrs", {}).get("tsattn_targets", {}) or {})
    frame, _, y_1d = as_frame(y, "y")
    columns = list(frame.columns)
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


def target_scaling(
    y: np.ndarray, specs: list[TaskSpec]
) -> tuple[np.ndarray, np.ndarray]:
    """Shift and scale per target column (one task per column)."""
    shift = np.zeros(y.shape[1])
    scale = np.ones(y.shape[1])
    for j, spec in enumerate(specs):
        col = y[:, j][np.isfinite(y[:, j])]
        if len(col) == 0:
            continue
        if spec.loss in SCALED_LOSSES:
            shift[j] = col.mean()
            sd = col.std()
            scale[j] = sd if sd > 1e-12 else 1.0
        elif spec.loss == "qlike":
            m = np.abs(col).mean()
            scale[j] = m if m > 1e-12 else 1.0
    return shift, scale
