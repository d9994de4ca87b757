"""Save and load fitted attention forecasters: what of a model a file keeps.

:func:`save` writes a forecaster's parameters, network config and weights,
its other fitted attributes (through :mod:`tsattn.persistence.codec`) and a
manifest; :func:`load` checks the content (:mod:`tsattn.persistence.schema`)
and rebuilds the forecaster. The file itself is
:mod:`tsattn.persistence.model_file`.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import numbers
import os
import platform
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

import tsattn
from tsattn._docstrings import fill_doc
from tsattn._io import WRITE_DOC, check_writable
from tsattn.estimators import (
    AttentionForecaster,
    MultiTaskForecaster,
    SelfAttentionForecaster,
)
from tsattn.fitting.runtime import resolve_device
from tsattn.nn.config import NetConfig
from tsattn.nn.net import TemporalAttentionNet
from tsattn.persistence.codec import Decoder, Encoder, short
from tsattn.persistence.model_file import (
    FORMAT,
    FORMAT_VERSION,
    read_model_file,
    write_model_file,
)
from tsattn.persistence.schema import SPECIAL, check_fitted_names, check_network

__all__ = ["load", "save"]

# Only these classes are ever instantiated by `load`; the file names one of them.
_CLASSES: dict[str, type[Any]] = {
    "AttentionForecaster": AttentionForecaster,
    "MultiTaskForecaster": MultiTaskForecaster,
    "SelfAttentionForecaster": SelfAttentionForecaster,
}
_MODULE = "module."
_VERSIONED = (
    ("torch", "torch"),
    ("numpy", "numpy"),
    ("pandas", "pandas"),
    ("scikit-learn", "scikit-learn"),
    ("statsmodels", "statsmodels"),
    ("numba", "numba"),
    ("safetensors", "safetensors"),
)


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"tsattn": tsattn.__version__}
    for key, dist in _VERSIONED:
        try:
            out[key] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[key] = None
    out["python"] = platform.python_version()
    return out


def _manifest(model: AttentionForecaster) -> dict[str, Any]:
    seed = model.random_state
    losses = list(getattr(model, "loss_curve_", []) or [])
    training = {
        "n_epochs": getattr(model, "n_epochs_", None),
        "best_epoch": getattr(model, "best_epoch_", None),
        "best_validation_loss": getattr(model, "best_validation_score_", None),
        "final_training_loss": losses[-1] if losses else None,
        "stopped_reason": getattr(model, "stopped_reason_", None),
        "fit_time_s": getattr(model, "fit_time_", None),
        "n_params": getattr(model, "n_params_", None),
        "device": getattr(model, "device_", None),
    }
    return {
        "versions": _versions(),
        "seed": int(seed) if isinstance(seed, numbers.Integral) else None,
        "data_hash": getattr(model, "data_hash_", None),
        "training": training,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def _params(model: AttentionForecaster, encoder: Encoder) -> dict[str, Any]:
    out = {}
    for name, value in model.get_params(deep=False).items():
        if name == "random_state" and isinstance(
            value, (np.random.RandomState, np.random.Generator)
        ):
            warnings.warn(
                f"random_state is a {type(value).__name__}, which is not saved; the "
                "loaded model has random_state=None. Predictions are unaffected; "
                "pass an int random_state to make refits of the loaded model "
                "repeatable.",
                tsattn.TsattnWarning,
                stacklevel=3,
            )
            value = None
        try:
            out[name] = encoder.encode(value, f"parameter {name!r}")
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Cannot save parameter {name!r} = {short(value)}: {exc}"
            ) from None
    return out


@fill_doc(WRITE_DOC)
def save(model: AttentionForecaster, path: str | os.PathLike[str]) -> Path:
    """Save a fitted attention forecaster to one safetensors file.

    The file holds the network weights and the fitted arrays as tensors, and
    as JSON metadata the parameters, the network configuration, the other
    fitted attributes and a manifest (package versions, seed, training
    figures, data hash when the model records one, creation time). Nothing in
    it is executable: :func:`load` builds the model from plain values.

    One sha256 checksum covers the metadata and the tensors, so that
    :func:`load` refuses a file that was damaged or edited. The path is
    checked writable before anything is written, and the write is atomic: the
    file is written next to ``path`` under a temporary name, flushed to disk
    and renamed over ``path``, so a failed save leaves any previous file
    intact.

    Parameters
    ----------
    model : AttentionForecaster or SelfAttentionForecaster
        A fitted model.
    path : str or os.PathLike
        Destination file (``.safetensors`` is a good suffix); its directory
        must exist. An existing file is replaced.

    {{returns_path_and_write_errors}}
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    TypeError
        If ``model`` is another class, or holds a parameter or fitted value
        that the format cannot store.

    See Also
    --------
    load : read the model back.
    read_manifest : read only the manifest.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tsattn import AttentionForecaster
    >>> from tsattn.datasets import make_stock_like
    >>> from tsattn.persistence import load, save
    >>> prices = make_stock_like("gbm", n_steps=120, random_state=0)[["Close"]]
    >>> model = AttentionForecaster(window_length=16, d_model=8, n_heads=2,
    ...                             max_epochs=1, random_state=0).fit(prices)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save(model, pathlib.Path(tmp) / "model.safetensors")
    ...     again = load(path)
    >>> again.forecast().equals(model.forecast())
    True
    """
    cls = type(model)
    if _CLASSES.get(cls.__name__) is not cls:
        raise TypeError(
            f"save() stores {' and '.join(_CLASSES)} models; got {cls.__name__}. "
            "Use joblib.dump for other estimators."
        )
    check_is_fitted(model)
    path = check_writable(os.fspath(path), "model")

    tensors: dict[str, torch.Tensor] = {
        _MODULE + k: v.detach().to("cpu").contiguous().clone()
        for k, v in model.module_.state_dict().items()
    }
    encoder = Encoder(tensors)
    params = _params(model, encoder)
    param_names = set(model.get_params(deep=False))
    fitted = {}
    for name, value in vars(model).items():
        if name in param_names or name in SPECIAL:
            continue
        fitted[name] = encoder.encode(value, name)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": cls.__name__,
        "params": params,
        "config": model.config_.to_dict(),
        "fitted": fitted,
        "manifest": _manifest(model),
    }
    write_model_file(path, header, tensors)
    return path


def load(
    path: str | os.PathLike[str], *, device: str | None = None
) -> AttentionForecaster:
    """Load a model written by :func:`save`.

    Only :class:`~tsattn.AttentionForecaster` and
    :class:`~tsattn.SelfAttentionForecaster` are built, from plain JSON values
    and tensors; nothing in the file is executed (no pickle). Tensors are read
    onto the CPU, so a model trained on a GPU loads on a CPU-only machine.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.
    device : str or None, default=None
        Replace the model's ``device`` parameter (used when it predicts), e.g.
        ``"cpu"`` for a model saved with ``device="cuda"``. None keeps the
        saved value.

    Returns
    -------
    AttentionForecaster or SelfAttentionForecaster
        The fitted model; its predictions equal those of the saved model bit
        for bit on the same device.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is truncated or corrupt, does not match its checksum
        (damaged or edited), is not a tsattn model file, comes from a newer
        format version, names a class that is not allowed, or holds parameters
        or a network config that fail their own checks or do not fit the
        stored weights. Everything is checked before the network is built, so
        an edited size fails fast without allocating it.

    Warns
    -----
    TsattnWarning
        When the saved ``device`` asks for CUDA and none is available here
        (pass ``device="cpu"``), or the file has format_version 1 (its
        checksum does not cover the metadata).
    """
    path, header, tensors = read_model_file(path)
    source = f"The tsattn model file {str(path)!r}"
    name = header.get("class")
    cls = _CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(
            f"{source} names the class {name!r}, which load() does not build; "
            f"allowed: {', '.join(_CLASSES)}."
        )
    decoder = Decoder(tensors, source)
    for part in ("params", "config", "fitted"):
        if not isinstance(header.get(part), dict):
            raise decoder.bad(f"its {part!r} entry", "is missing")

    known = set(cls._get_param_names())
    params = {
        k: decoder.decode(v, f"parameter {k!r}") for k, v in header["params"].items()
    }
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"{source} sets parameter(s) {unknown} that {name} in this tsattn "
            f"({tsattn.__version__}) does not have; it was saved by another version."
        )
    if device is not None:
        resolve_device(device)
        params["device"] = device
    model = cls(**params)
    try:
        model._check_params()
    except (TypeError, ValueError) as exc:
        raise decoder.bad("its parameters", f"are invalid ({exc})") from exc

    try:
        config = NetConfig.from_dict(header["config"])
    except (TypeError, ValueError) as exc:
        raise decoder.bad("its network config", f"is invalid ({exc})") from exc

    fitted = header["fitted"]
    check_fitted_names(fitted, cls, known, decoder)
    for attr, value in fitted.items():
        setattr(model, attr, decoder.decode(value, attr))

    state = {k[len(_MODULE) :]: v for k, v in tensors.items() if k.startswith(_MODULE)}
    check_network(config, state, model._context, decoder)
    # A private generator: building the network must not move torch's global RNG.
    module = TemporalAttentionNet(config, generator=torch.Generator().manual_seed(0))
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise decoder.bad(
            "its network weights", f"do not fit its config ({exc})"
        ) from exc
    module.eval()
    model.config_ = config
    model.module_ = module

    requested = model.device
    if device is None and requested not in (None, "auto"):
        try:
            resolve_device(requested)
        except ValueError:
            warnings.warn(
                f"The model was saved with device={requested!r}, which is not "
                "available here; predicting will fail. Load it with "
                "load(path, device='cpu') or call model.set_params(device='cpu').",
                tsattn.TsattnWarning,
                stacklevel=2,
            )
    return model
