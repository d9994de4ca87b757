"""TemporalAttentionNet: instance norm, temporal attention encoder, task heads.

Shapes: windows ``x`` of shape ``(B, L, F)`` (or ``(B, L, F + n_calendar)`` with
calendar features appended) in; a dict of per-task outputs out, each
``(B, H, T)`` or ``(B, H, T, K)`` as described by :class:`~tsattn.nn.config.TaskSpec`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tsattn.nn.config import NetConfig, TaskSpec
from tsattn.nn.encoder import TemporalEncoder
from tsattn.nn.heads import TaskHeads, constrain
from tsattn.nn.norm import RevIN, RevINStats


class TemporalAttentionNet(nn.Module):
    """Temporal attention forecaster network.

    Each window is normalised per channel (reversible instance normalisation,
    when ``config.revin``), embedded as per-step or per-patch tokens, encoded by
    ``n_layers`` pre-norm attention blocks, and mapped to every task's outputs
    by the output head(s). Outputs of tasks with ``target_channels`` are
    de-normalised and added to the last observed value of those channels, so
    they come back in the data's units.

    Parameters
    ----------
    config : NetConfig
        Architecture and tasks.
    generator : torch.Generator or None
        Source of randomness for the initial weights; with a seeded generator
        two networks start identical and torch's global generator is left
        untouched. ``None`` uses torch's global generator.

    Attributes
    ----------
    config : NetConfig
        The configuration, stored unchanged.
    revin : RevIN or None
        The instance normalisation (no learnable parameters).
    encoder : TemporalEncoder
        Embedding and attention blocks.
    heads : TaskHeads
        Output layer(s).
    skips : torch.nn.ModuleList or None
        With ``config.linear_skip``: one ``Linear(window_length, horizon)`` per
        task with ``target_channels`` (in task order), mapping each target
        channel's normalised window to its forecast.

    Examples
    --------
    >>> import torch
    >>> from tsattn.nn import NetConfig, TaskSpec, TemporalAttentionNet
    >>> cfg = NetConfig(window_length=32, n_features=3, d_model=16, n_heads=2,
    ...                 tasks=(TaskSpec("ret", horizon=5),
    ...                        TaskSpec("q", loss="pinball", quantiles=(0.1, 0.9))))
    >>> net = TemporalAttentionNet(cfg, generator=torch.Generator().manual_seed(0))
    >>> out = net(torch.randn(8, 32, 3))
    >>> out["ret"].shape, out["q"].shape
    (torch.Size([8, 5, 1]), torch.Size([8, 1, 1, 2]))
    >>> out, maps = net(torch.randn(8, 32, 3), need_weights=True)
    >>> [m.shape for m in maps]
    [torch.Size([8, 2, 32, 32]), torch.Size([8, 2, 32, 32])]
    """

    def __init__(self, config: NetConfig, *, generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(config, NetConfig):
            raise TypeError(
                "TemporalAttentionNet expects a NetConfig. Got "
                f"{type(config).__name__}; build one with NetConfig(...) or "
                "NetConfig.from_dict(d)."
            )
        self.config = config
        # With a generator, leave torch's global generator untouched: the
        # submodules' default initialisation (overwritten below) would draw from it.
        fork = torch.random.fork_rng(devices=[], enabled=generator is not None)
        with fork:
            self.revin = RevIN(config.n_features) if config.revin else None
            self.encoder = TemporalEncoder(config)
            self.heads = TaskHeads(config)
            self.skips = (
                nn.ModuleList(
                    nn.Linear(config.window_length, t.horizon)
                    for t in config.tasks
                    if t.target_channels is not None
                )
                if config.linear_skip
                else None
            )
        self.reset_parameters(generator)

    @property
    def n_tokens(self) -> int:
        """Number of tokens attention sees per sequence."""
        return self.config.n_tokens

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Re-draw every weight.

        Linear weights are normal with variance ``1 / fan_in`` (the residual
        projections further scaled by ``1 / sqrt(2 * n_layers)``, GPT-2 style,
        the final output layers by 0.1), biases zero, LayerNorms the identity,
        learned positions normal with std 0.02, linear skips zero.

        Parameters
        ----------
        generator : torch.Generator or None
            Source of randomness; ``None`` uses torch's global generator.
        """
        residual_scale = 1.0 / math.sqrt(2 * self.config.n_layers)
        residual = set()
        for block in self.encoder.blocks:
            residual.add(id(block.attn.proj))
            residual.add(id(block.ffn.proj))
        outputs = set()
        if self.heads.single:
            outputs.add(id(self.heads.shared))
        else:
            outputs.update(id(h.out) for h in self.heads.heads)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                std = 1.0 / math.sqrt(m.in_features)
                if id(m) in residual:
                    std *= residual_scale
                elif id(m) in outputs:
                    std *= 0.1
                nn.init.normal_(m.weight, std=std, generator=generator)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.config.repeat_init:
            self.heads.zero_channel_outputs()
        for skip in self.skips or ():
            nn.init.zeros_(skip.weight)
            nn.init.zeros_(skip.bias)
        if isinstance(self.encoder.position, nn.Parameter):
            nn.init.normal_(self.encoder.position, std=0.02, generator=generator)

    def _split_inputs(
        self, x: torch.Tensor, calendar: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        c = self.config
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"x must be a torch.Tensor of shape (B, L, F). Got {type(x).__name__}."
            )
        expected = (
            f"(B, {c.window_length}, {c.n_features})"
            if not c.n_calendar
            else f"(B, {c.window_length}, {c.n_features}) or "
            f"(B, {c.window_length}, {c.n_inputs}) with calendar columns last"
        )
        if x.dim() != 3 or x.shape[1] != c.window_length:
            raise ValueError(f"x must have shape {expected}. Got {tuple(x.shape)}.")
        if not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor. Got {x.dtype}.")
        if c.n_calendar and x.shape[2] == c.n_inputs:
            if calendar is not None:
                raise ValueError(
                    f"x has {c.n_inputs} columns (calendar appended) and calendar= "
                    "was also given; pass the calendar features one way only."
                )
            return x[..., : c.n_features], x[..., c.n_features :]
        if x.shape[2] != c.n_features:
            raise ValueError(f"x must have shape {expected}. Got {tuple(x.shape)}.")
        if c.n_calendar:
            want = (x.shape[0], c.window_length, c.n_calendar)
            if calendar is None or tuple(calendar.shape) != want:
                got = None if calendar is None else tuple(calendar.shape)
                raise ValueError(
                    f"This network has n_calendar={c.n_calendar}: pass calendar= "
                    f"of shape {want} or append the columns to x. Got {got}."
                )
        elif calendar is not None:
            raise ValueError(
                "calendar= was given but the network has n_calendar=0; build it "
                "with NetConfig(n_calendar=...) to use calendar features."
            )
        return x, calendar

    def forward(
        self,
        x: torch.Tensor,
        *,
        calendar: torch.Tensor | None = None,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> dict[str, torch.Tensor] | tuple[dict[str, torch.Tensor], list[torch.Tensor]]:
        """Predict every task from a batch of windows.

        Parameters
        ----------
        x : torch.Tensor
            Windows ``(B, L, F)``, or ``(B, L, F + n_calendar)`` with the
            calendar features as the last columns.
        calendar : torch.Tensor or None
            Calendar features ``(B, L, n_calendar)`` when not appended to ``x``.
        key_padding_mask : torch.Tensor or None
            Boolean ``(B, L)``, True for a missing step (short history). Missing
            steps are ignored by the normalisation, by attention (a patch is
            ignored when all its steps are missing) and by the last-value
            residual; their values, NaN included, never affect the outputs.
        need_weights : bool
            Also return the attention weights of every layer.

        Returns
        -------
        outputs : dict of str to torch.Tensor
            One entry per task, shaped as documented in
            :class:`~tsattn.nn.config.TaskSpec`.
        weights : list of torch.Tensor
            Only when ``need_weights``: the output is the pair
            ``(outputs, weights)`` with one ``(B, nh, N, N)`` tensor per layer
            (``(B, F, nh, N, N)`` when channel-independent), ``N`` the number of
            tokens (``L`` for per-step tokens, the number of patches otherwise).
        """
        c = self.config
        values, calendar = self._split_inputs(x, calendar)
        dtype = self.encoder.token_embedding.weight.dtype
        values = values.to(dtype)  # (B, L, F)
        mask = key_padding_mask
        if mask is not None:
            if mask.dtype != torch.bool or tuple(mask.shape) != tuple(values.shape[:2]):
                raise ValueError(
                    "key_padding_mask must be a bool tensor of shape "
                    f"{tuple(values.shape[:2])} (True = missing step). Got "
                    f"{mask.dtype} {tuple(mask.shape)}."
                )
            values = values.masked_fill(mask.unsqueeze(-1), 0.0)  # (B, L, F)
        if calendar is not None:
            calendar = calendar.to(dtype)  # (B, L, C)
            if mask is not None:
                calendar = calendar.masked_fill(mask.unsqueeze(-1), 0.0)

        stats = None
        if self.revin is not None:
            x_n, stats = self.revin.normalize(values, mask)  # (B, L, F), (B, 1, F)
        else:
            x_n = values
        enc, _, weights = self.encoder(
            x_n, calendar=calendar, mask=mask, need_weights=need_weights
        )  # (B, N, D) or (B, F, N, D)
        raw = self.heads(enc)
        last = None
        skips = iter(self.skips or ())
        outputs: dict[str, torch.Tensor] = {}
        for t in c.tasks:
            out = constrain(t, raw[t.name])
            if t.target_channels is not None:
                if last is None:
                    last = last_observed(x_n, mask)  # (B, F)
                base = last[:, None, list(t.target_channels)]  # (B, 1, T)
                if self.skips is not None:
                    own = x_n[:, :, list(t.target_channels)].transpose(1, 2)
                    base = base + next(skips)(own).transpose(1, 2)  # (B, H, T)
                out = self._to_channel_units(t, out, base, stats)
            outputs[t.name] = out
        if need_weights:
            return outputs, weights
        return outputs

    def _to_channel_units(
        self,
        spec: TaskSpec,
        out: torch.Tensor,
        base: torch.Tensor,
        stats: RevINStats | None,
    ) -> torch.Tensor:
        """Add the base forecast and undo the instance normalisation.

        ``base`` is ``(B, 1, T)`` (the last observed value) or ``(B, H, T)``
        (plus the linear skip), in normalised units.
        """
        tc = list(spec.target_channels or ())
        if spec.loss == "gaussian_nll":
            mean, var = out[..., 0] + base, out[..., 1]  # (B, H, T) each
            if stats is not None:
                mean = self.revin.denormalize(mean, stats, tc)
                var = self.revin.denormalize_variance(var, stats, tc)
            return torch.stack([mean, var], dim=-1)  # (B, H, T, 2)
        if out.dim() == 4:
            base = base.unsqueeze(-1)  # (B, 1, T, 1)
        out = out + base
        if stats is not None:
            out = self.revin.denormalize(out, stats, tc)
        return out


def last_observed(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Values ``(B, F)`` at each window's last non-missing step."""
    if mask is None:
        return x[:, -1]  # (B, F)
    L = x.shape[1]
    idx = L - 1 - (~mask).flip(1).to(torch.int8).argmax(dim=1)  # (B,)
    return x[torch.arange(x.shape[0], device=x.device), idx]  # (B, F)
