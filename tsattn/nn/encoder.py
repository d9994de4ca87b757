"""Temporal encoder: step or patch tokens, positions, calendar, attention blocks.

Shapes: normalised windows ``(B, L, F)`` in. Out: encodings ``(B, N, D)``, or
``(B, F, N, D)`` when channel-independent, where ``N`` is the number of tokens
(``L`` for per-step tokens, ``ceil((L - P) / S) + 1`` for patches of ``P`` steps
with stride ``S``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tsattn.nn.blocks import EncoderBlock
from tsattn.nn.config import NetConfig
from tsattn.nn.dropout import Dropout


def patchify(t: torch.Tensor, patch_len: int, stride: int) -> torch.Tensor:
    """Cut a sequence into patches with :meth:`torch.Tensor.unfold` (PatchTST).

    When the patches do not tile the sequence exactly, the end is padded by
    repeating the last step, so every step lies in some patch.

    Parameters
    ----------
    t : torch.Tensor
        Sequence ``(B, L, C)``.
    patch_len : int
        Steps per patch ``P``.
    stride : int
        Steps between patch starts ``S``.

    Returns
    -------
    torch.Tensor
        Patches ``(B, N, C, P)`` with ``N = ceil((L - P) / S) + 1``.
    """
    L = t.shape[1]
    n = -(-(L - patch_len) // stride) + 1
    pad = (n - 1) * stride + patch_len - L
    if pad:
        t = torch.cat([t, t[:, -1:].expand(-1, pad, -1)], dim=1)  # (B, L + pad, C)
    return t.unfold(1, patch_len, stride)  # (B, N, C, P)


def sinusoidal_table(n_positions: int, d_model: int) -> torch.Tensor:
    """Return the fixed sine/cosine position table of Vaswani et al., ``(N, D)``."""
    pos = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (N, 1)
    div = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32)
        * (-math.log(10000.0) / d_model)
    )  # (ceil(D/2),)
    table = torch.zeros(n_positions, d_model)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div[: d_model // 2])
    return table  # (N, D)


class TemporalEncoder(nn.Module):
    """Embed windows as tokens and run them through pre-norm attention blocks.

    Parameters
    ----------
    config : NetConfig
        Architecture; uses ``window_length``, ``n_features``, ``d_model``,
        ``n_heads``, ``n_layers``, ``d_ff``, ``dropout``, ``attention_dropout``,
        ``patch_len``,
        ``patch_stride``, ``channel_independent``, ``positional``,
        ``n_calendar`` and ``causal``.

    Notes
    -----
    Per-step tokens embed the ``F`` values of a step with one linear layer;
    patches embed the ``P * F`` values of ``P`` consecutive steps (``P`` values
    in channel-independent mode, where each channel is its own sequence and
    all channels share the weights). Calendar features are embedded by a linear
    layer of their own and added to the tokens, as are the positions.
    """

    def __init__(self, config: NetConfig):
        super().__init__()
        c = config
        self.config = c
        self.n_tokens = c.n_tokens
        per_step = 1 if c.channel_independent else c.n_features
        self.token_embedding = nn.Linear(c.patch_len * per_step, c.d_model)
        self.calendar_embedding = (
            nn.Linear(c.patch_len * c.n_calendar, c.d_model) if c.n_calendar else None
        )
        if c.positional == "learned":
            self.position = nn.Parameter(torch.zeros(self.n_tokens, c.d_model))
            nn.init.normal_(self.position, std=0.02)
        else:
            self.register_buffer(
                "position",
                sinusoidal_table(self.n_tokens, c.d_model),
                persistent=False,
            )
        self.drop = Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(
                c.d_model, c.n_heads, c.d_ff_resolved, c.dropout, c.attention_dropout
            )
            for _ in range(c.n_layers)
        )
        self.ln_f = nn.LayerNorm(c.d_model)

    def _tokens(self, t: torch.Tensor) -> torch.Tensor:
        """Patch ``(B', L, C)`` into token inputs ``(B', N, P * C)``, time-major."""
        c = self.config
        p = patchify(t, c.patch_len, c.stride)  # (B', N, C, P)
        return p.transpose(2, 3).flatten(2)  # (B', N, P * C)

    def forward(
        self,
        x: torch.Tensor,
        calendar: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor]]:
        """Encode normalised windows.

        Parameters
        ----------
        x : torch.Tensor
            Normalised windows ``(B, L, F)``; missing steps already set to 0.
        calendar : torch.Tensor or None
            Calendar features ``(B, L, n_calendar)``.
        mask : torch.Tensor or None
            Boolean ``(B, L)``, True for missing steps. A token is padding when
            all of its steps are missing.
        need_weights : bool
            Collect each layer's attention weights.

        Returns
        -------
        enc : torch.Tensor
            ``(B, N, D)``, or ``(B, F, N, D)`` when channel-independent; padded
            tokens are zero.
        token_mask : torch.Tensor or None
            Boolean ``(B, N)``, True for padded tokens.
        weights : list of torch.Tensor
            Per layer ``(B, nh, N, N)``, or ``(B, F, nh, N, N)`` when
            channel-independent; empty unless ``need_weights``.
        """
        c = self.config
        B, L, F_ = x.shape
        token_mask = None
        if mask is not None:
            token_mask = (
                patchify(mask.unsqueeze(-1), c.patch_len, c.stride).flatten(2).all(-1)
            )  # (B, N)

        if c.channel_independent:
            xs = x.transpose(1, 2).reshape(B * F_, L, 1)  # (B*F, L, 1)
            tok = self.token_embedding(self._tokens(xs))  # (B*F, N, D)
        else:
            tok = self.token_embedding(self._tokens(x))  # (B, N, D)
        if self.calendar_embedding is not None:
            if calendar is None:
                raise ValueError(
                    f"The encoder was built with n_calendar={c.n_calendar} but got "
                    "no calendar features."
                )
            cal = self.calendar_embedding(self._tokens(calendar))  # (B, N, D)
            if c.channel_independent:
                cal = cal.repeat_interleave(F_, dim=0)  # (B*F, N, D)
            tok = tok + cal
        h = self.drop(tok + self.position)  # (B', N, D)

        attn_mask = token_mask
        if token_mask is not None and c.channel_independent:
            attn_mask = token_mask.repeat_interleave(F_, dim=0)  # (B*F, N)
        weights: list[torch.Tensor] = []
        for block in self.blocks:
            h, w = block(
                h,
                key_padding_mask=attn_mask,
                causal=c.causal,
                need_weights=need_weights,
            )  # (B', N, D)
            if w is not None:
                if c.channel_independent:
                    w = w.reshape(B, F_, *w.shape[1:])  # (B, F, nh, N, N)
                weights.append(w)
        h = self.ln_f(h)  # (B', N, D)
        if attn_mask is not None:
            h = h.masked_fill(attn_mask.unsqueeze(-1), 0.0)
        if c.channel_independent:
            h = h.reshape(B, F_, self.n_tokens, c.d_model)  # (B, F, N, D)
        return h, token_mask, weights
