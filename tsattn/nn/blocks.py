"""Pre-norm transformer encoder block: attention and feed-forward sublayers.

Shapes: tokens ``(B, N, D)`` in, tokens ``(B, N, D)`` out; attention weights
``(B, nh, N, N)`` when requested.
"""

from __future__ import annotations

import torch
from torch import nn

from tsattn._docstrings import Entry, fill_doc
from tsattn.nn.attention import MultiHeadAttention
from tsattn.nn.dropout import Dropout

#: The sublayers' shared parameters, written once.
SUBLAYER_PARAMETERS: dict[str, Entry] = {
    "d_model": ("d_model : int", "Token width ``D``."),
    "d_ff": ("d_ff : int", "Feed-forward hidden width."),
}


@fill_doc(SUBLAYER_PARAMETERS)
class FeedForward(nn.Module):
    """Position-wise feed-forward sublayer: ``Linear -> GELU -> Linear -> Dropout``.

    Parameters
    ----------
    {{d_model}}
    {{d_ff}}
    dropout : float
        Dropout rate on the output.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0):
        super().__init__()
        self.fc = nn.Linear(d_model, d_ff)
        self.act = nn.GELU()
        self.proj = nn.Linear(d_ff, d_model)
        self.drop = Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the sublayer to ``x`` of shape ``(B, N, D)``."""
        return self.drop(self.proj(self.act(self.fc(x))))  # (B, N, D)


@fill_doc(SUBLAYER_PARAMETERS)
class EncoderBlock(nn.Module):
    """One pre-norm residual block: ``x + Attn(LN(x))`` then ``x + FFN(LN(x))``.

    Parameters
    ----------
    {{d_model}}
    n_heads : int
        Attention heads.
    {{d_ff}}
    dropout : float
        Dropout on both residual branches.
    attention_dropout : float
        Dropout on the attention weights.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
    ):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_heads, dropout=attention_dropout)
        self.drop = Dropout(dropout)
        self.ln_2 = nn.LayerNorm(d_model)
        self.ffn = FeedForward(d_model, d_ff, dropout)

    def forward(
        self,
        x: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        causal: bool = False,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Transform tokens ``x`` of shape ``(B, N, D)``.

        Parameters
        ----------
        x : torch.Tensor
            Tokens ``(B, N, D)``.
        key_padding_mask : torch.Tensor or None
            Boolean ``(B, N)``, True for padded tokens.
        causal : bool
            Causal attention.
        need_weights : bool
            Return the attention weights.

        Returns
        -------
        x : torch.Tensor
            Tokens ``(B, N, D)``.
        weights : torch.Tensor or None
            ``(B, nh, N, N)`` when ``need_weights``.
        """
        a, weights = self.attn(
            self.ln_1(x),
            key_padding_mask=key_padding_mask,
            causal=causal,
            need_weights=need_weights,
        )  # (B, N, D)
        x = x + self.drop(a)  # (B, N, D)
        x = x + self.ffn(self.ln_2(x))  # (B, N, D)
        return x, weights
