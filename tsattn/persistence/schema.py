"""What a model file's content must hold before a forecaster is built from it.

The fitted state must name the attributes a fitted model needs and nothing a
file may not set (parameters, methods, dunder names); the network config must
fit the stored weights, checked on torch's ``meta`` device so that an edited
size fails fast without allocating a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from tsattn.nn.config import NetConfig
from tsattn.nn.net import TemporalAttentionNet
from tsattn.persistence.codec import Decoder

__all__ = ["SPECIAL", "check_fitted_names", "check_network"]

# Fitted state stored elsewhere in the file (network weights and config).
SPECIAL = ("module_", "config_")
_REQUIRED = (
    "_is_fitted",
    "mode_",
    "columns_",
    "target_names_",
    "n_features_in_",
    "index_",
    "freq_",
    "_strict_freq",
    "_context",
    "_last_row",
)
_REQUIRED_SUPERVISED = ("_task_columns", "_y_1d", "_y_meta", "_y_shift", "_y_scale")


def check_fitted_names(
    fitted: Mapping[str, Any], cls: type, known: set[str], decoder: Decoder
) -> None:
    """Refuse a fitted state that lacks a needed attribute or sets a forbidden one.

    Parameters
    ----------
    fitted : mapping
        The header's fitted state, attribute name to encoded value.
    cls : type
        The forecaster class to be built.
    known : set of str
        Its parameter names.
    decoder : Decoder
        Names the file in the errors.

    Raises
    ------
    ValueError
        When an attribute is missing, or one is not a fitted attribute's name
        (a parameter, a method or class attribute, a dunder name, or the
        network weights and config stored elsewhere in the file).
    """
    mode = fitted.get("mode_")
    required = _REQUIRED + (_REQUIRED_SUPERVISED if mode == "supervised" else ())
    missing = [a for a in required if a not in fitted]
    if missing:
        raise decoder.bad("its fitted state", f"lacks {missing}")
    for attr in fitted:
        if (
            not isinstance(attr, str)
            or not attr.isidentifier()
            or attr.startswith("__")
            or not (attr.endswith("_") or attr.startswith("_"))
            or attr in known
            or attr in SPECIAL
            or hasattr(cls, attr)
        ):
            raise decoder.bad("its fitted state", f"has a forbidden entry {attr!r}")


def check_network(
    config: NetConfig,
    state: Mapping[str, torch.Tensor],
    context: Any,
    decoder: Decoder,
) -> None:
    """Check ``config`` against the stored weights before any network is built.

    Every size in the config is first bounded by the stored tensors (the
    window by the saved context rows, the other sizes by the largest tensor
    dimension), then the network is built on torch's ``meta`` device, which
    allocates nothing, and its parameter names, shapes and dtypes are compared
    with the stored ones. Building the real network afterwards allocates no
    more than the file holds.
    """
    where = "its network config"
    if not isinstance(context, np.ndarray) or context.ndim != 2:
        raise decoder.bad("its fitted state", "has a context that is not a 2-D array")
    if config.window_length > context.shape[0] + 1:
        raise decoder.bad(
            where,
            f"has window_length={config.window_length}, more than the "
            f"{context.shape[0]} stored context rows + 1",
        )
    largest = max((max(t.shape, default=1) for t in state.values()), default=0)
    sizes = {
        "n_features": config.n_features,
        "d_model": config.d_model,
        "n_heads": config.n_heads,
        "d_ff": config.d_ff_resolved,
        "n_calendar": config.n_calendar,
    }
    for task in config.tasks:
        sizes[f"the horizon of task {task.name!r}"] = task.horizon
        sizes[f"n_targets of task {task.name!r}"] = task.n_targets
    for what, size in sizes.items():
        if size > largest:
            raise decoder.bad(
                where,
                f"sets {what} to {size}, larger than any stored weight dimension "
                f"({largest})",
            )
    if config.n_layers > len(state):
        raise decoder.bad(
            where,
            f"sets n_layers to {config.n_layers}, more than the {len(state)} "
            "stored weights",
        )
    try:
        with torch.device("meta"):
            shapes = TemporalAttentionNet(config).state_dict()
    except (RuntimeError, ValueError, TypeError) as exc:
        raise decoder.bad(where, f"cannot be built ({exc})") from exc
    missing = sorted(set(shapes) - set(state))
    extra = sorted(set(state) - set(shapes))
    if missing or extra:
        raise decoder.bad(
            "its network weights",
            f"do not fit its config (missing {missing[:3]}, unexpected {extra[:3]})",
        )
    for key, expected in shapes.items():
        found = state[key]
        if found.shape != expected.shape or found.dtype != expected.dtype:
            raise decoder.bad(
                "its network weights",
                f"do not fit its config: {key!r} is {found.dtype} "
                f"{tuple(found.shape)}, the config needs {expected.dtype} "
                f"{tuple(expected.shape)}",
            )
