"""Pure-torch attention network: config, attention, encoder, heads, losses."""

from tsattn.nn.attention import MultiHeadAttention
from tsattn.nn.blocks import EncoderBlock, FeedForward
from tsattn.nn.config import LOSSES, NetConfig, TaskSpec
from tsattn.nn.encoder import TemporalEncoder, patchify, sinusoidal_table
from tsattn.nn.heads import TaskHeads, TaskMLP, constrain
from tsattn.nn.losses import task_loss, total_loss
from tsattn.nn.net import TemporalAttentionNet
from tsattn.nn.norm import RevIN, RevINStats, denormalize, normalize

__all__ = [
    "LOSSES",
    "EncoderBlock",
    "FeedForward",
    "MultiHeadAttention",
    "NetConfig",
    "RevIN",
    "RevINStats",
    "TaskHeads",
    "TaskMLP",
    "TaskSpec",
    "TemporalAttentionNet",
    "TemporalEncoder",
    "constrain",
    "denormalize",
    "normalize",
    "patchify",
    "sinusoidal_table",
    "task_loss",
    "total_loss",
]
