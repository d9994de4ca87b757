"""Output heads: one shared layer for all tasks, or a small MLP per task.

Shapes: encodings ``(B, N, D)`` (or ``(B, F, N, D)`` when channel-independent) in;
per task, raw outputs ``(B, H, T, K)`` out, where ``K`` is the number of raw
values per step and target (quantiles, mean + variance, or one).
:func:`constrain` then gives each loss its output form.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tsattn.nn.config import NetConfig, TaskSpec
from tsattn.nn.dropout import Dropout

POSITIVE_EPS = 1e-6
"""Floor added to softplus outputs that must be positive (variances)."""


class TaskMLP(nn.Module):
    """A task's own head: ``Linear -> GELU -> Dropout -> Linear``.

    Parameters
    ----------
    in_features : int
        Width of the flattened encoding.
    hidden : int
        Hidden width.
    out_features : int
        Number of raw outputs.
    dropout : float
        Dropout rate after the activation.
    """

    def __init__(
        self, in_features: int, hidden: int, out_features: int, dropout: float
    ):
        super().__init__()
        self.fc = nn.Linear(in_features, hidden)
        self.act = nn.GELU()
        self.drop = Dropout(dropout)
        self.out = nn.Linear(hidden, out_features)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map ``(..., in_features)`` to ``(..., out_features)``."""
        return self.out(self.drop(self.act(self.fc(z))))


class TaskHeads(nn.Module):
    """Map the encoding to every task's raw outputs.

    Parameters
    ----------
    config : NetConfig
        Uses ``tasks``, ``output_head``, ``d_model``, ``n_features``,
        ``channel_independent``, ``dropout`` and the token count.

    Notes
    -----
    The head input is the flattened encoding, ``N * D`` values (``F * N * D``
    when channel-independent), so each output sees every token at its position
    (the PatchTST "flatten head").

    ``output_head="single"`` is one linear layer to the concatenation of all
    tasks' outputs, split afterwards; in channel-independent mode, when every
    task forecasts input channels, that one layer is shared by the channels
    and applied to each channel's own ``N * D`` encoding (PatchTST's head), so
    channels are not mixed. ``output_head="multi"`` gives each task a
    :class:`TaskMLP` of hidden width ``d_model``; in channel-independent mode a
    task with ``target_channels`` gets one MLP shared by its channels, applied
    to each channel's own ``N * D`` encoding.
    """

    def __init__(self, config: NetConfig):
        super().__init__()
        c = config
        self.tasks = c.tasks
        self.channel_independent = c.channel_independent
        self.single = c.output_head == "single"
        per_channel = c.n_tokens * c.d_model
        global_in = per_channel * (c.n_features if c.channel_independent else 1)
        self.channel_wise = tuple(
            (not self.single)
            and c.channel_independent
            and t.target_channels is not None
            for t in c.tasks
        )
        # Channel-independent forecasting (every task forecasts input channels):
        # the single head is PatchTST's flatten head, one linear layer shared by
        # the channels and applied to each channel's own encoding.
        self.single_channel_wise = (
            self.single
            and c.channel_independent
            and all(t.target_channels is not None for t in c.tasks)
        )
        if self.single_channel_wise:
            self.sizes = [t.horizon * t.outputs_per_target for t in c.tasks]
            self.shared = nn.Linear(per_channel, sum(self.sizes))
        elif self.single:
            self.shared = nn.Linear(global_in, sum(t.n_outputs for t in c.tasks))
            self.sizes = [t.n_outputs for t in c.tasks]
        else:
            self.heads = nn.ModuleList(
                TaskMLP(
                    per_channel if cw else global_in,
                    c.d_model,
                    t.horizon * t.outputs_per_target if cw else t.n_outputs,
                    c.dropout,
                )
                for t, cw in zip(c.tasks, self.channel_wise)
            )

    @torch.no_grad()
    def zero_channel_outputs(self) -> None:
        """Zero the output weights of every task that forecasts input channels.

        Those outputs are added to the last observed value, so the network
        then starts as the Repeat (last value) forecast.
        """
        if self.single_channel_wise:
            self.shared.weight.zero_()
            self.shared.bias.zero_()
            return
        if self.single:
            start = 0
            for t, size in zip(self.tasks, self.sizes):
                if t.target_channels is not None:
                    self.shared.weight[start : start + size].zero_()
                    self.shared.bias[start : start + size].zero_()
                start += size
            return
        for t, head in zip(self.tasks, self.heads):
            if t.target_channels is not None:
                head.out.weight.zero_()
                head.out.bias.zero_()

    @torch.no_grad()
    def start_task_at(self, task: int, bias: torch.Tensor) -> None:
        """Make task ``task`` output the constant raw values ``bias``.

        The task's output weights become zero and its output bias ``bias``
        (one value per raw output of a step and target, e.g. the log-odds of
        a base rate), so the network starts at that constant whatever the
        encoding; training then moves the weights off zero.

        Parameters
        ----------
        task : int
            Index of the task in ``config.tasks``.
        bias : torch.Tensor
            ``(outputs_per_target,)`` raw values, repeated over the task's
            steps and targets.
        """
        spec = self.tasks[task]
        if spec.target_channels is not None:
            raise ValueError(
                f"Task {spec.name!r} forecasts input channels; it starts at the "
                "last value, not at a constant."
            )
        bias = torch.as_tensor(bias, dtype=torch.float32).reshape(-1)
        if bias.numel() != spec.outputs_per_target:
            raise ValueError(
                f"Task {spec.name!r} has {spec.outputs_per_target} raw output(s) per "
                f"step and target; got a start of {bias.numel()} value(s)."
            )
        values = bias.repeat(spec.horizon * spec.n_targets)  # (n_outputs,)
        if self.single:
            lo = sum(self.sizes[:task])
            rows = slice(lo, lo + self.sizes[task])
            self.shared.weight[rows].zero_()
            self.shared.bias[rows] = values.to(self.shared.bias)
            return
        out = self.heads[task].out
        out.weight.zero_()
        out.bias.copy_(values.to(out.bias))

    def forward(self, enc: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return raw outputs ``(B, H, T, K)`` per task name."""
        B = enc.shape[0]
        z = enc.flatten(1)  # (B, N*D) or (B, F*N*D)
        out: dict[str, torch.Tensor] = {}
        if self.single_channel_wise:
            flat = self.shared(enc.flatten(2))  # (B, F, sum of outputs)
            for t, part in zip(self.tasks, flat.split(self.sizes, dim=2)):
                r = part[:, list(t.target_channels)]  # (B, T, H*K)
                r = r.reshape(B, t.n_targets, t.horizon, -1)  # (B, T, H, K)
                out[t.name] = r.transpose(1, 2)  # (B, H, T, K)
            return out
        if self.single:
            flat = self.shared(z)  # (B, sum of outputs)
            for t, part in zip(self.tasks, flat.split(self.sizes, dim=1)):
                out[t.name] = part.view(B, t.horizon, t.n_targets, -1)  # (B, H, T, K)
            return out
        for t, head, cw in zip(self.tasks, self.heads, self.channel_wise):
            if cw:
                zc = enc[:, list(t.target_channels)].flatten(2)  # (B, T, N*D)
                r = head(zc).view(B, t.n_targets, t.horizon, -1)  # (B, T, H, K)
                out[t.name] = r.transpose(1, 2)  # (B, H, T, K)
            else:
                out[t.name] = head(z).view(B, t.horizon, t.n_targets, -1)
        return out


def constrain(spec: TaskSpec, raw: torch.Tensor) -> torch.Tensor:
    """Turn raw outputs ``(B, H, T, K)`` into the task's output form.

    Parameters
    ----------
    spec : TaskSpec
        The task.
    raw : torch.Tensor
        Raw head outputs ``(B, H, T, K)``.

    Returns
    -------
    torch.Tensor
        ``(B, H, T)`` for point, ``bce`` (logits) and ``qlike`` (variance, via
        softplus) tasks; ``(B, H, T, Q)`` non-crossing quantiles for ``pinball``
        (the lowest quantile plus cumulative softplus increments);
        ``(B, H, T, 2)`` mean and variance (softplus) for ``gaussian_nll``.
    """
    if spec.loss == "pinball":
        base = raw[..., :1]  # (B, H, T, 1)
        steps = F.softplus(raw[..., 1:]).cumsum(dim=-1)  # (B, H, T, Q-1)
        return torch.cat([base, base + steps], dim=-1)  # (B, H, T, Q)
    if spec.loss == "gaussian_nll":
        var = F.softplus(raw[..., 1]) + POSITIVE_EPS  # (B, H, T)
        return torch.stack([raw[..., 0], var], dim=-1)  # (B, H, T, 2)
    if spec.loss == "qlike":
        return F.softplus(raw[..., 0]) + POSITIVE_EPS  # (B, H, T)
    return raw[..., 0]  # (B, H, T)
