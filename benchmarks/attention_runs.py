"""The attention forecasters as the benchmark scripts build them from their options.

Shared by ``ltsf.py`` and ``oracle.py``: the network and training options
both take (each script with its own defaults), the estimator parameters they
set, the two models (``multi``: :class:`~tsattn.AttentionForecaster`,
``self``: :class:`~tsattn.SelfAttentionForecaster`) and the run header.
"""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Any

import torch

from tsattn import AttentionForecaster, SelfAttentionForecaster

KINDS = ("multi", "self")
LABELS = {"multi": "tsattn multi-head", "self": "tsattn self-attention"}


def add_network_arguments(
    parser: argparse.ArgumentParser,
    *,
    patch_len: int,
    d_model: int,
    dropout: float,
    epochs: int,
    batch_size: int,
    patience: int,
) -> None:
    """Add the model, training and run options, with this script's defaults."""
    parser.add_argument("--models", nargs="+", choices=KINDS, default=list(KINDS))
    options: list[tuple[str, type, Any, str | None]] = [
        ("--patch-len", int, patch_len, None),
        ("--d-model", int, d_model, None),
        ("--n-heads", int, 4, None),
        ("--n-layers", int, 2, None),
        ("--dropout", float, dropout, None),
        ("--epochs", int, epochs, None),
        ("--batch-size", int, batch_size, None),
        ("--learning-rate", float, 1e-3, None),
        ("--patience", int, patience, None),
        ("--max-steps", int, None, "max_steps_per_epoch"),
        ("--seed", int, 0, None),
        ("--device", str, "cpu", None),
        ("--threads", int, None, "torch intra-op threads"),
    ]
    for flag, kind, default, help_text in options:
        parser.add_argument(flag, type=kind, default=default, help=help_text)


def build(kind: str, args: argparse.Namespace, **params: Any) -> Any:
    """The ``kind`` forecaster with the options' parameters, updated by ``params``."""
    params = {
        "window_length": args.window_length,
        "d_model": args.d_model,
        "n_layers": args.n_layers,
        "patch_len": args.patch_len,
        "dropout": args.dropout,
        "max_epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "max_steps_per_epoch": args.max_steps,
        "n_iter_no_change": args.patience,
        "device": args.device,
        "random_state": args.seed,
        **params,
    }
    if kind == "multi":
        return AttentionForecaster(n_heads=args.n_heads, **params)
    return SelfAttentionForecaster(**params)


def start_run(script: str, args: argparse.Namespace) -> str:
    """Apply ``--threads``; return the header naming the command and the machine."""
    if args.threads:
        torch.set_num_threads(args.threads)
    return (
        f"# {script}: {' '.join(sys.argv[1:]) or '(defaults)'}\n"
        f"# {platform.platform()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
