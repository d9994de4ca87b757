"""Multi-head scaled dot-product self-attention; one head is plain self-attention.

Shapes: input ``x`` is ``(B, L, D)``; the output is ``(B, L, D)``; attention
weights, when requested, are ``(B, nh, L, L)`` (queries by keys).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tsattn._validation import Interval, check_scalar
from tsattn.nn.dropout import dropout


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention over a sequence of tokens.

    Each token is projected to a query, key and value; each of the ``n_heads``
    heads works on its own ``d_model // n_heads`` slice, computes
    ``softmax(Q K^T / sqrt(hs)) V`` and the heads' results are concatenated and
    passed through a final linear layer. ``n_heads=1`` is single-head
    self-attention.

    Parameters
    ----------
    d_model : int
        Token width ``D``.
    n_heads : int
        Number of heads ``nh``; must divide ``d_model``.
    dropout : float
        Dropout rate on the attention weights (training only).
    bias : bool
        Use biases in the projections.

    Notes
    -----
    The query, key and value projections are stored as one linear layer,
    ``qkv``, whose weight rows ``[0, D)``, ``[D, 2D)`` and ``[2D, 3D)`` are
    ``W_q``, ``W_k`` and ``W_v``; ``proj`` is the output layer.

    By default the product runs through
    :func:`torch.nn.functional.scaled_dot_product_attention` (flash or
    memory-efficient kernels on GPU), which returns no weights. With
    ``need_weights=True`` an explicit path computes and returns them; both paths
    give the same output.

    A query that can see no key (every key padded, or every earlier key padded
    under the causal mask) gets all-zero weights and a zero attention output
    instead of NaN.
    """

    def __init__(
        self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True
    ):
        super().__init__()
        check_scalar("d_model", d_model, Interval(int, 1, None))
        check_scalar("n_heads", n_heads, Interval(int, 1, None))
        if d_model % n_heads:
            up = -(-d_model // n_heads) * n_heads
            raise ValueError(
                f"d_model (= {d_model}) must be divisible by n_heads (= {n_heads}); "
                f"try d_model={up}."
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1). Got {dropout!r}.")
        self.d_model = d_model
        self.n_heads = n_heads
        self.head_size = d_model // n_heads
        self.dropout = float(dropout)
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.proj = nn.Linear(d_model, d_model, bias=bias)

    def extra_repr(self) -> str:
        """Describe the sizes in ``repr(module)``."""
        return f"d_model={self.d_model}, n_heads={self.n_heads}, dropout={self.dropout}"

    def forward(
        self,
        x: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        causal: bool = False,
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend over the tokens of ``x``.

        Parameters
        ----------
        x : torch.Tensor
            Tokens of shape ``(B, L, D)``.
        key_padding_mask : torch.Tensor or None
            Boolean ``(B, L)``; True marks a padded key that no query may attend to.
        causal : bool
            Let query ``i`` attend only to keys ``j <= i``.
        need_weights : bool
            Also return the attention weights (explicit path).

        Returns
        -------
        out : torch.Tensor
            Shape ``(B, L, D)``.
        weights : torch.Tensor or None
            ``(B, nh, L, L)`` softmax weights (before dropout) when
            ``need_weights``, else None.
        """
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"MultiHeadAttention expects x of shape (B, L, {self.d_model}). "
                f"Got {tuple(x.shape)}."
            )
        B, L, D = x.shape
        nh, hs = self.n_heads, self.head_size
        allowed, empty = _attention_mask(key_padding_mask, causal, B, L, x.device)

        q, k, v = self.qkv(x).split(D, dim=2)  # (B, L, D) each
        q = q.view(B, L, nh, hs).transpose(1, 2)  # (B, nh, L, hs)
        k = k.view(B, L, nh, hs).transpose(1, 2)  # (B, nh, L, hs)
        v = v.view(B, L, nh, hs).transpose(1, 2)  # (B, nh, L, hs)
        p_drop = self.dropout if self.training else 0.0

        weights = None
        if need_weights:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, nh, L, L)
            if allowed is not None:
                att = att.masked_fill(~allowed, float("-inf"))
            elif causal:
                tril = torch.ones(L, L, dtype=torch.bool, device=x.device).tril()
                att = att.masked_fill(~tril, float("-inf"))
            att = F.softmax(att, dim=-1)  # (B, nh, L, L)
            if empty is not None:
                att = att.masked_fill(empty, 0.0)
            weights = att
            y = dropout(att, p_drop, self.training) @ v  # (B, nh, L, hs)
        else:
            y = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=allowed,
                dropout_p=p_drop,
                is_causal=causal and allowed is None,
            )  # (B, nh, L, hs)
        if empty is not None:
            y = y.masked_fill(empty, 0.0)
        y = y.transpose(1, 2).contiguous().view(B, L, D)  # (B, L, D)
        return self.proj(y), weights


def _attention_mask(
    key_padding_mask: torch.Tensor | None,
    causal: bool,
    B: int,
    L: int,
    device: torch.device,
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Build the boolean "may attend" mask and the rows that see no key.

    Returns ``(None, None)`` without a padding mask (the causal mask alone is
    handled by the kernels). Otherwise ``allowed`` is ``(B, 1, 1|L, L)`` with
    rows that see no key opened up completely (to keep softmax finite, in both
    directions of autograd) and ``empty`` ``(B, 1, 1|L, 1)`` marks those rows,
    whose outputs are then zeroed.
    """
    if key_padding_mask is None:
        return None, None
    if key_padding_mask.shape != (B, L):
        raise ValueError(
            f"key_padding_mask must have shape (B, L) = ({B}, {L}). "
            f"Got {tuple(key_padding_mask.shape)}."
        )
    if key_padding_mask.dtype != torch.bool:
        raise TypeError(
            "key_padding_mask must be a bool tensor (True = padded key). "
            f"Got dtype {key_padding_mask.dtype}."
        )
    allowed = ~key_padding_mask.to(device)[:, None, None, :]  # (B, 1, 1, L)
    if causal:
        tril = torch.ones(L, L, dtype=torch.bool, device=device).tril()
        allowed = allowed & tril  # (B, 1, L, L)
    empty = ~allowed.any(dim=-1, keepdim=True)  # (B, 1, 1|L, 1)
    return allowed | empty, empty
