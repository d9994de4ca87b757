"""Frozen configuration objects for the attention network: tasks and architecture."""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, fields
from typing import Any

from tsattn._validation import Interval, check_param

LOSSES: tuple[str, ...] = (
    "mse",
    "mae",
    "huber",
    "pinball",
    "gaussian_nll",
    "bce",
    "qlike",
)
"""Loss names a :class:`TaskSpec` accepts."""

# Losses whose outputs live in the units of an input channel, so that a task with
# ``target_channels`` can be de-normalised and given a last-value residual.
CHANNEL_LOSSES: tuple[str, ...] = ("mse", "mae", "huber", "pinball", "gaussian_nll")

POSITIONAL: tuple[str, ...] = ("sinusoidal", "learned")
OUTPUT_HEADS: tuple[str, ...] = ("single", "multi")


def _suggest(value: object, choices: tuple[str, ...]) -> str:
    """Return a ``did you mean`` hint for a misspelt choice, or an empty string."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class TaskSpec:
    """One prediction task of the network: what it outputs and how it is scored.

    Parameters
    ----------
    name : str
        Key of the task in the network's output dict and in the per-task losses.
    loss : {"mse", "mae", "huber", "pinball", "gaussian_nll", "bce", "qlike"}
        Training loss; it also fixes the kind of output (see Notes).
    horizon : int
        Number of output steps.
    n_targets : int
        Number of target columns.
    weight : float
        Weight of this task in the total loss; ``0`` switches its loss off (its
        head then receives no gradient).
    quantiles : tuple of float
        Quantile levels for ``loss="pinball"``: strictly increasing, in (0, 1).
        Must be empty for the other losses.
    target_channels : tuple of int or None
        When set, the task forecasts these input channels (one per target
        column): its outputs are de-normalised with the window's reversible
        instance-norm statistics and added to the last observed value of those
        channels. Only for ``mse``, ``mae``, ``huber``, ``pinball`` and
        ``gaussian_nll``.
    huber_delta : float
        Threshold of the Huber loss, in the units of the targets.

    Notes
    -----
    Output shapes, for a batch of ``B`` windows:

    - ``mse``, ``mae``, ``huber``: point forecasts ``(B, horizon, n_targets)``;
    - ``pinball``: quantiles ``(B, horizon, n_targets, n_quantiles)``, non-crossing;
    - ``gaussian_nll``: ``(B, horizon, n_targets, 2)``, mean then variance (> 0);
    - ``bce``: logits ``(B, horizon, n_targets)``;
    - ``qlike``: variance forecasts ``(B, horizon, n_targets)`` (> 0).
    """

    name: str
    loss: str = "mse"
    horizon: int = 1
    n_targets: int = 1
    weight: float = 1.0
    quantiles: tuple[float, ...] = ()
    target_channels: tuple[int, ...] | None = None
    huber_delta: float = 1.0

    def __post_init__(self) -> None:
        owner = "TaskSpec"
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(
                f"TaskSpec.name must be a non-empty string. Got {self.name!r}."
            )
        if self.loss not in LOSSES:
            raise ValueError(
                f"Unknown loss {self.loss!r} for task {self.name!r}; expected one "
                f"of {', '.join(LOSSES)}.{_suggest(self.loss, LOSSES)}"
            )
        check_param(owner, "horizon", self.horizon, Interval(int, 1, None))
        check_param(owner, "n_targets", self.n_targets, Interval(int, 1, None))
        weight = float(
            check_param(owner, "weight", self.weight, Interval(float, None, None))
        )
        if weight < 0:
            raise ValueError(
                f"The weight of task {self.name!r} must be >= 0. Got {weight!r}."
            )
        object.__setattr__(self, "weight", weight)
        delta = float(
            check_param(
                owner, "huber_delta", self.huber_delta, Interval(float, None, None)
            )
        )
        if delta <= 0:
            raise ValueError(
                f"huber_delta of task {self.name!r} must be > 0. Got {delta!r}."
            )
        object.__setattr__(self, "huber_delta", delta)
        self._check_quantiles()
        self._check_target_channels()

    def _check_quantiles(self) -> None:
        qs = self.quantiles
        if isinstance(qs, (str, bytes)) or not hasattr(qs, "__iter__"):
            raise TypeError(
                f"quantiles of task {self.name!r} must be a sequence of floats. "
                f"Got {qs!r}."
            )
        qs = tuple(
            float(check_param("TaskSpec", "quantiles", q, Interval(float, None, None)))
            for q in qs
        )
        object.__setattr__(self, "quantiles", qs)
        if self.loss == "pinball":
            if not qs:
                raise ValueError(
                    f"Task {self.name!r} uses loss='pinball' but gives no quantiles. "
                    "Pass e.g. quantiles=(0.1, 0.5, 0.9)."
                )
            bad = [q for q in qs if not 0.0 < q < 1.0]
            if bad:
                raise ValueError(
                    f"quantiles of task {self.name!r} must lie strictly between 0 "
                    f"and 1. Got {bad}."
                )
            if any(b <= a for a, b in itertools.pairwise(qs)):
                raise ValueError(
                    f"quantiles of task {self.name!r} must be strictly increasing. "
                    f"Got {list(qs)}; pass {sorted(set(qs))}."
                )
        elif qs:
            raise ValueError(
                f"Task {self.name!r} has quantiles {list(qs)} but loss={self.loss!r}; "
                "quantiles are only used with loss='pinball'."
            )

    def _check_target_channels(self) -> None:
        tc = self.target_channels
        if tc is None:
            return
        if isinstance(tc, (str, bytes)) or not hasattr(tc, "__iter__"):
            raise TypeError(
                f"target_channels of task {self.name!r} must be a sequence of ints "
                f"or None. Got {tc!r}."
            )
        tc = tuple(tc)
        for c in tc:
            check_param("TaskSpec", "target_channels", c, Interval(int, 0, None))
        object.__setattr__(self, "target_channels", tc)
        if len(tc) != self.n_targets:
            raise ValueError(
                f"Task {self.name!r} has n_targets={self.n_targets} but "
                f"{len(tc)} target_channels {list(tc)}; give one channel per "
                "target column."
            )
        if len(set(tc)) != len(tc):
            raise ValueError(
                f"target_channels of task {self.name!r} repeat a channel: {list(tc)}."
            )
        if self.loss not in CHANNEL_LOSSES:
            raise ValueError(
                f"Task {self.name!r} has loss={self.loss!r}, whose outputs are not in "
                "the units of an input channel, so target_channels cannot be used; "
                f"use one of {', '.join(CHANNEL_LOSSES)} or drop target_channels."
            )

    @property
    def n_quantiles(self) -> int:
        """Number of quantile levels (0 unless the loss is pinball)."""
        return len(self.quantiles)

    @property
    def outputs_per_target(self) -> int:
        """Raw outputs per (step, target): quantiles, mean + variance, or one."""
        if self.loss == "pinball":
            return len(self.quantiles)
        if self.loss == "gaussian_nll":
            return 2
        return 1

    @property
    def n_outputs(self) -> int:
        """Raw outputs of the task: ``horizon * n_targets * outputs_per_target``."""
        return self.horizon * self.n_targets * self.outputs_per_target

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict that :meth:`from_dict` turns back into the spec."""
        return {
            "name": self.name,
            "loss": self.loss,
            "horizon": self.horizon,
            "n_targets": self.n_targets,
            "weight": self.weight,
            "quantiles": list(self.quantiles),
            "target_channels": (
                None if self.target_channels is None else list(self.target_channels)
            ),
            "huber_delta": self.huber_delta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskSpec:
        """Build a spec from :meth:`to_dict` output, rejecting unknown keys."""
        _check_keys("TaskSpec", d, cls)
        return cls(**d)


def _check_keys(owner: str, d: object, cls: type) -> None:
    """Raise on a non-dict or on keys that are not fields of ``cls``."""
    if not isinstance(d, dict):
        raise TypeError(
            f"{owner}.from_dict expects a dict. Got {type(d).__name__} instead."
        )
    names = tuple(f.name for f in fields(cls))
    unknown = [k for k in d if k not in names]
    if unknown:
        hints = "".join(_suggest(k, names) for k in unknown)
        raise ValueError(
            f"Unknown {owner} field(s) {unknown}; known fields are "
            f"{', '.join(names)}.{hints}"
        )


@dataclass(frozen=True)
class NetConfig:
    """Architecture of :class:`~tsattn.nn.net.TemporalAttentionNet`.

    Parameters
    ----------
    window_length : int
        Number of time steps ``L`` in each input window.
    n_features : int
        Number of input channels ``F`` that are normalised and embedded.
    tasks : tuple of TaskSpec
        The prediction tasks, in the order their target columns appear.
    d_model : int
        Width ``D`` of the token embeddings.
    n_heads : int
        Number of attention heads; ``1`` is single-head self-attention. Must
        divide ``d_model``.
    n_layers : int
        Number of encoder blocks.
    d_ff : int or None
        Hidden width of the feed-forward sublayer; ``None`` means ``4 * d_model``.
    dropout : float
        Dropout rate in [0, 1) for embeddings, residual branches and the
        multi-head MLPs.
    patch_len : int
        Time steps per token; ``1`` embeds each step, larger values embed
        patches (PatchTST) and shorten the sequence attention sees.
    patch_stride : int or None
        Steps between patch starts; ``None`` means ``patch_len``. At most
        ``patch_len``, so no step is skipped.
    channel_independent : bool
        Embed each channel as a univariate sequence of its own, with weights
        shared across channels.
    positional : {"sinusoidal", "learned"}
        Positional encoding added to the tokens.
    n_calendar : int
        Number of calendar features per step. They are not normalised; they are
        embedded and added to the tokens. They may be appended to ``x`` as its
        last ``n_calendar`` columns or passed as ``calendar=``.
    output_head : {"single", "multi"}
        ``"single"``: one shared linear layer produces every task's outputs;
        ``"multi"``: a small MLP per task.
    revin : bool
        Normalise each window per channel (reversible instance normalisation).
    causal : bool
        Let each token attend only to itself and earlier tokens.
    attention_dropout : float
        Dropout rate in [0, 1) on the attention weights. 0 (as in PatchTST)
        keeps the fused attention kernels usable on the CPU, where dropping
        attention weights falls back to a much slower path.
    repeat_init : bool
        Start the outputs of tasks with ``target_channels`` at zero, so that
        the untrained network forecasts exactly the last observed value
        (Repeat); training moves away from it only where that helps.
    linear_skip : bool
        Add a linear map from each target channel's own (normalised) lookback
        window to its forecast, beside the attention path: the "global linear
        residual" of TiDE. One ``Linear(window_length, horizon)`` per task with
        ``target_channels``, shared by its channels, initialised at zero (so
        ``repeat_init`` still starts at the last value). The attention path
        then models what a linear autoregression of the window cannot.
    """

    window_length: int
    n_features: int
    tasks: tuple[TaskSpec, ...]
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int | None = None
    dropout: float = 0.1
    patch_len: int = 1
    patch_stride: int | None = None
    channel_independent: bool = False
    positional: str = "sinusoidal"
    n_calendar: int = 0
    output_head: str = "single"
    revin: bool = True
    causal: bool = False
    attention_dropout: float = 0.0
    repeat_init: bool = False
    linear_skip: bool = False

    def __post_init__(self) -> None:
        owner = "NetConfig"
        check_param(owner, "window_length", self.window_length, Interval(int, 1, None))
        check_param(owner, "n_features", self.n_features, Interval(int, 1, None))
        self._check_tasks()
        check_param(owner, "d_model", self.d_model, Interval(int, 1, None))
        check_param(owner, "n_heads", self.n_heads, Interval(int, 1, None))
        if self.d_model % self.n_heads:
            up = -(-self.d_model // self.n_heads) * self.n_heads
            raise ValueError(
                f"d_model (= {self.d_model}) must be divisible by n_heads "
                f"(= {self.n_heads}); try d_model={up}."
            )
        check_param(owner, "n_layers", self.n_layers, Interval(int, 1, None))
        if self.d_ff is not None:
            check_param(owner, "d_ff", self.d_ff, Interval(int, 1, None))
        dropout = float(
            check_param(owner, "dropout", self.dropout, Interval(float, None, None))
        )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1). Got {dropout!r}.")
        object.__setattr__(self, "dropout", dropout)
        check_param(owner, "patch_len", self.patch_len, Interval(int, 1, None))
        if self.patch_len > self.window_length:
            raise ValueError(
                f"patch_len (= {self.patch_len}) exceeds window_length "
                f"(= {self.window_length}). Pass patch_len <= window_length."
            )
        if self.patch_stride is not None:
            check_param(
                owner, "patch_stride", self.patch_stride, Interval(int, 1, None)
            )
            if self.patch_stride > self.patch_len:
                raise ValueError(
                    f"patch_stride (= {self.patch_stride}) exceeds patch_len "
                    f"(= {self.patch_len}), which would skip time steps. Pass "
                    "patch_stride <= patch_len."
                )
        check_param(owner, "channel_independent", self.channel_independent, bool)
        if self.positional not in POSITIONAL:
            raise ValueError(
                f"Unknown positional={self.positional!r}; expected one of "
                f"{', '.join(POSITIONAL)}.{_suggest(self.positional, POSITIONAL)}"
            )
        check_param(owner, "n_calendar", self.n_calendar, Interval(int, 0, None))
        if self.output_head not in OUTPUT_HEADS:
            raise ValueError(
                f"Unknown output_head={self.output_head!r}; expected one of "
                f"{', '.join(OUTPUT_HEADS)}."
                f"{_suggest(self.output_head, OUTPUT_HEADS)}"
            )
        check_param(owner, "revin", self.revin, bool)
        check_param(owner, "causal", self.causal, bool)
        attn_drop = float(
            check_param(
                owner,
                "attention_dropout",
                self.attention_dropout,
                Interval(float, None, None),
            )
        )
        if not 0.0 <= attn_drop < 1.0:
            raise ValueError(f"attention_dropout must be in [0, 1). Got {attn_drop!r}.")
        object.__setattr__(self, "attention_dropout", attn_drop)
        check_param(owner, "repeat_init", self.repeat_init, bool)
        check_param(owner, "linear_skip", self.linear_skip, bool)

    def _check_tasks(self) -> None:
        tasks = self.tasks
        if isinstance(tasks, TaskSpec):
            tasks = (tasks,)
        if isinstance(tasks, (str, bytes, dict)) or not hasattr(tasks, "__iter__"):
            raise TypeError(
                f"NetConfig.tasks must be a sequence of TaskSpec. Got {tasks!r}."
            )
        tasks = tuple(tasks)
        if not tasks:
            raise ValueError(
                "NetConfig.tasks is empty; give at least one TaskSpec, e.g. "
                "(TaskSpec('y', horizon=5),)."
            )
        for t in tasks:
            if not isinstance(t, TaskSpec):
                raise TypeError(
                    "NetConfig.tasks must contain TaskSpec objects. Got "
                    f"{type(t).__name__}: {t!r}."
                )
        names = [t.name for t in tasks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"Task names must be unique; repeated: {dupes}.")
        if all(t.weight == 0 for t in tasks):
            raise ValueError(
                "Every task has weight 0, so there is nothing to learn; give at "
                "least one task a weight > 0."
            )
        for t in tasks:
            bad = [c for c in t.target_channels or () if c >= self.n_features]
            if bad:
                raise ValueError(
                    f"target_channels {bad} of task {t.name!r} are out of range for "
                    f"n_features={self.n_features} (valid: 0..{self.n_features - 1})."
                )
        object.__setattr__(self, "tasks", tasks)

    @property
    def d_ff_resolved(self) -> int:
        """Feed-forward width actually used (``4 * d_model`` when ``d_ff`` is None)."""
        return 4 * self.d_model if self.d_ff is None else self.d_ff

    @property
    def stride(self) -> int:
        """Patch stride actually used (``patch_len`` when ``patch_stride`` is None)."""
        return self.patch_len if self.patch_stride is None else self.patch_stride

    @property
    def n_tokens(self) -> int:
        """Tokens per sequence seen by attention: ``ceil((L - P) / S) + 1``."""
        return -(-(self.window_length - self.patch_len) // self.stride) + 1

    @property
    def n_inputs(self) -> int:
        """Columns of ``x`` when calendar features are appended to it."""
        return self.n_features + self.n_calendar

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict that :meth:`from_dict` turns back into the config."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = [t.to_dict() for t in value] if f.name == "tasks" else value
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NetConfig:
        """Build a config from :meth:`to_dict` output, rejecting unknown keys."""
        _check_keys("NetConfig", d, cls)
        d = dict(d)
        if "tasks" in d:
            d["tasks"] = tuple(
                t if isinstance(t, TaskSpec) else TaskSpec.from_dict(t)
                for t in d["tasks"]
            )
        return cls(**d)
