"""Safe save and load of fitted attention forecasters in one safetensors file."""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import math
import numbers
import os
import platform
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from pandas.tseries.frequencies import to_offset
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as _safetensors_bytes
from sklearn.utils.validation import check_is_fitted

import tsattn
from tsattn._io import atomic_write, check_writable
from tsattn.estimators import (
    AttentionForecaster,
    MultiTaskForecaster,
    SelfAttentionForecaster,
)
from tsattn.fitting.runtime import resolve_device
from tsattn.nn.config import NetConfig
from tsattn.nn.net import TemporalAttentionNet

__all__ = ["FORMAT", "FORMAT_VERSION", "load", "read_manifest", "save"]

FORMAT = "tsattn-model"
"""Value of the ``format`` entry that marks a tsattn model file."""

FORMAT_VERSION = 2
"""Newest file layout this version of tsattn writes and reads.

Version 2 records one checksum over the metadata and the tensors; version 1
files (checksum over the tensors only) still load, with a warning."""

# Only these classes are ever instantiated by `load`; the file names one of them.
_CLASSES: dict[str, type[Any]] = {
    "AttentionForecaster": AttentionForecaster,
    "MultiTaskForecaster": MultiTaskForecaster,
    "SelfAttentionForecaster": SelfAttentionForecaster,
}
_META_KEY = "tsattn"
# Metadata entry holding the sha256 of every other entry and of the tensors.
_CHECKSUM_KEY = "sha256"
_MODULE = "module."
_FITTED = "fitted."
# Fitted state stored elsewhere in the file (network weights and config).
_SPECIAL = ("module_", "config_")
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
# Array dtypes kept as tensors (bit for bit); other arrays are written as JSON.
_TENSOR_DTYPES = frozenset(
    np.dtype(d)
    for d in (
        "float16",
        "float32",
        "float64",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "bool",
    )
)
_VERSIONED = (
    ("torch", "torch"),
    ("numpy", "numpy"),
    ("pandas", "pandas"),
    ("scikit-learn", "scikit-learn"),
    ("statsmodels", "statsmodels"),
    ("numba", "numba"),
    ("safetensors", "safetensors"),
)


# ----------------------------------------------------------------------------
# JSON codec: plain values, plus tagged containers for what JSON lacks
# ----------------------------------------------------------------------------


class _Encoder:
    """Turn fitted values into JSON; numeric arrays go to ``tensors``."""

    def __init__(self, tensors: dict[str, torch.Tensor]):
        self.tensors = tensors

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, (float, np.floating)):
            f = float(value)
            return f if math.isfinite(f) else {"$float": repr(f)}
        if isinstance(value, tuple):
            return {
                "$tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            }
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, Mapping):
            items = list(value.items())
            if all(isinstance(k, str) and not k.startswith("$") for k, _ in items):
                return {k: self.encode(v, f"{where}[{k!r}]") for k, v in items}
            return {
                "$dict": [
                    [self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                    for k, v in items
                ]
            }
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, pd.Index):
            return self._index(value, where)
        if isinstance(value, pd.offsets.BaseOffset):
            return self._offset(value, where)
        if isinstance(value, pd.Timestamp):
            return {
                "$timestamp": value.isoformat(),
                "tz": None if value.tz is None else str(value.tz),
            }
        raise TypeError(
            f"{where} holds a {type(value).__name__} ({_short(value)}), which a tsattn "
            "model file cannot store (it keeps plain values, arrays, pandas indexes "
            "and frequencies only, so that loading never runs code)."
        )

    def _array(self, arr: np.ndarray, where: str) -> dict[str, Any]:
        if arr.dtype in _TENSOR_DTYPES:
            key = f"{_FITTED}{where}"
            self.tensors[key] = torch.from_numpy(np.ascontiguousarray(arr).copy())
            return {"$tensor": key}
        if arr.dtype.kind not in "OUSb":
            raise TypeError(
                f"{where} is an array of dtype {arr.dtype}, which a tsattn model file "
                "cannot store."
            )
        return {
            "$ndarray": self.encode(arr.tolist(), where),
            "dtype": arr.dtype.str if arr.dtype.kind != "O" else "object",
            "shape": list(arr.shape),
        }

    def _offset(self, offset: pd.offsets.BaseOffset, where: str) -> dict[str, Any]:
        name = offset.freqstr
        try:
            same = to_offset(name) == offset
        except ValueError:
            same = False
        if not same:
            raise ValueError(
                f"{where} is the frequency {offset!r}, which cannot be saved as a "
                f"frequency string ({name!r} means something else). Refit on an index "
                "with a standard frequency (e.g. X.asfreq('B')) before saving."
            )
        return {"$offset": name}

    def _index(self, index: pd.Index, where: str) -> dict[str, Any]:
        name = self.encode(index.name, f"{where}.name")
        if isinstance(index, pd.RangeIndex):
            out = {
                "$index": "range",
                "start": int(index.start),
                "stop": int(index.stop),
                "step": int(index.step),
                "name": name,
            }
        elif isinstance(index, pd.DatetimeIndex):
            out = {
                "$index": "datetime",
                "values": self._array(index.asi8, where),
                "unit": index.unit,
                "tz": None if index.tz is None else str(index.tz),
                "freq": None if index.freq is None else self._offset(index.freq, where),
                "name": name,
            }
        elif isinstance(index, pd.PeriodIndex):
            out = {
                "$index": "period",
                "values": self._array(index.asi8, where),
                "freq": self._offset(index.freq, where),
                "name": name,
            }
        elif type(index) is pd.Index and index.dtype.kind in "iufb":
            out = {
                "$index": "values",
                "values": self._array(index.to_numpy(), where),
                "dtype": str(index.dtype),
                "name": name,
            }
        elif type(index) is pd.Index and (
            index.dtype.kind in "OU" or str(index.dtype).startswith(("str", "string"))
        ):
            out = {
                "$index": "values",
                "values": self.encode(index.tolist(), where),
                "dtype": str(index.dtype),
                "name": name,
            }
        else:
            raise TypeError(
                f"{where} is a {type(index).__name__} of dtype {index.dtype}, which a "
                "tsattn model file cannot store; fit on a DatetimeIndex, PeriodIndex, "
                "RangeIndex, integer or string index."
            )
        restored = _Decoder(dict(self.tensors), "the index check").decode(out, where)
        if not (
            type(restored) is type(index)
            and restored.equals(index)
            and restored.dtype == index.dtype
            and restored.name == index.name
            and getattr(restored, "freq", None) == getattr(index, "freq", None)
        ):
            raise ValueError(
                f"{where} ({type(index).__name__}, dtype {index.dtype}) does not "
                "survive saving unchanged; fit on a DatetimeIndex with a named time "
                "zone, a PeriodIndex, a RangeIndex or an integer index."
            )
        return out


class _Decoder:
    """Inverse of :class:`_Encoder`; builds plain values and pandas objects only."""

    def __init__(self, tensors: Mapping[str, torch.Tensor], source: str):
        self.tensors = tensors
        self.source = source

    def bad(self, where: str, what: str) -> ValueError:
        return ValueError(
            f"{self.source} is corrupt: {where} {what}. The file was damaged or "
            "edited; save the model again."
        )

    def decode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            raise self.bad(where, f"holds an unexpected {type(value).__name__}")
        tags = [k for k in value if k.startswith("$")]
        if not tags:
            return {k: self.decode(v, f"{where}[{k!r}]") for k, v in value.items()}
        if len(tags) != 1:
            raise self.bad(where, f"has conflicting tags {tags}")
        tag = tags[0]
        try:
            return self._tagged(tag, value, where)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            if isinstance(exc, ValueError) and str(exc).startswith(self.source):
                raise
            raise self.bad(where, f"has an unreadable {tag} entry ({exc})") from exc

    def _tagged(self, tag: str, value: dict[str, Any], where: str) -> Any:
        if tag == "$float":
            if value["$float"] not in ("nan", "inf", "-inf"):
                raise ValueError(f"not a special float: {value['$float']!r}")
            return float(value["$float"])
        if tag == "$tuple":
            return tuple(self.decode(value["$tuple"], where))
        if tag == "$dict":
            return {
                _hashable(self.decode(k, f"{where} key")): self.decode(v, where)
                for k, v in value["$dict"]
            }
        if tag == "$tensor":
            key = value["$tensor"]
            if key not in self.tensors:
                raise self.bad(where, f"refers to a missing tensor {key!r}")
            return self.tensors[key].numpy().copy()
        if tag == "$ndarray":
            dtype = np.dtype(value["dtype"])
            if dtype.kind not in "OUSb":
                raise ValueError(f"unexpected array dtype {dtype}")
            items = self.decode(value["$ndarray"], where)
            arr = np.empty(len(items), dtype=dtype) if dtype.kind == "O" else None
            if arr is not None and np.ndim(items) == 1:
                arr[:] = items
            else:
                arr = np.asarray(items, dtype=dtype)
            return arr.reshape(value["shape"])
        if tag == "$offset":
            return to_offset(value["$offset"])
        if tag == "$timestamp":
            ts = pd.Timestamp(value["$timestamp"])
            return ts if value["tz"] is None else ts.tz_convert(value["tz"])
        if tag == "$index":
            return self._index(value, where)
        raise self.bad(where, f"has an unknown tag {tag!r}")

    def _index(self, value: dict[str, Any], where: str) -> pd.Index:
        kind = value["$index"]
        name = _hashable(self.decode(value["name"], f"{where}.name"))
        if kind == "range":
            return pd.RangeIndex(
                int(value["start"]), int(value["stop"]), int(value["step"]), name=name
            )
        if kind == "datetime":
            ticks = self.decode(value["values"], where)
            unit = value["unit"]
            if unit not in ("s", "ms", "us", "ns"):
                raise ValueError(f"unknown time unit {unit!r}")
            index = pd.DatetimeIndex(ticks.astype(np.int64).view(f"datetime64[{unit}]"))
            if value["tz"] is not None:
                index = index.tz_localize("UTC").tz_convert(value["tz"])
            freq = None if value["freq"] is None else self.decode(value["freq"], where)
            return pd.DatetimeIndex(index, freq=freq, name=name)
        if kind == "period":
            freq = self.decode(value["freq"], where)
            ordinals = self.decode(value["values"], where).astype(np.int64)
            array = pd.arrays.PeriodArray(ordinals, dtype=pd.PeriodDtype(freq))
            return pd.PeriodIndex(array, name=name)
        if kind == "values":
            values = self.decode(value["values"], where)
            return pd.Index(values, dtype=value["dtype"], name=name)
        raise ValueError(f"unknown index kind {kind!r}")


def _hashable(value: Any) -> Any:
    """Turn lists decoded from JSON into tuples, so they can be keys or labels."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ----------------------------------------------------------------------------
# File helpers
# ----------------------------------------------------------------------------


def _tensor_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous()
        h.update(key.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _digest(metadata: Mapping[str, str], tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over every metadata entry but the checksum itself, and the tensors."""
    entries = sorted((k, v) for k, v in metadata.items() if k != _CHECKSUM_KEY)
    h = hashlib.sha256(json.dumps(entries).encode())
    h.update(_tensor_digest(tensors).encode())
    return h.hexdigest()


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


def _params(model: AttentionForecaster, encoder: _Encoder) -> dict[str, Any]:
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
                f"Cannot save parameter {name!r} = {_short(value)}: {exc}"
            ) from None
    return out


def _check_network(
    config: NetConfig,
    state: Mapping[str, torch.Tensor],
    context: Any,
    decoder: _Decoder,
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


# ----------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------


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

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
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
    encoder = _Encoder(tensors)
    params = _params(model, encoder)
    param_names = set(model.get_params(deep=False))
    fitted = {}
    for name, value in vars(model).items():
        if name in param_names or name in _SPECIAL:
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
    try:
        text = json.dumps(header, allow_nan=False, sort_keys=False)
    except ValueError as exc:
        raise TypeError(
            f"The model's metadata cannot be written as JSON: {exc}"
        ) from exc
    metadata = {"format": FORMAT, _META_KEY: text}
    metadata[_CHECKSUM_KEY] = _digest(metadata, tensors)
    atomic_write(path, _safetensors_bytes(tensors, metadata=metadata))
    return path


def _read(
    path: str | os.PathLike[str], *, with_tensors: bool = True
) -> tuple[Path, dict[str, Any], dict[str, torch.Tensor]]:
    """Open ``path``, check it is a tsattn model file, return header and tensors."""
    path = Path(os.fspath(path))
    if not path.exists():
        raise FileNotFoundError(
            f"No tsattn model file at {str(path)!r}: the path does not exist. "
            "Check the path, or save a model there with model.save(path)."
        )
    if path.is_dir():
        raise IsADirectoryError(
            f"{str(path)!r} is a directory, not a tsattn model file."
        )
    source = f"The tsattn model file {str(path)!r}"
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(9)
    if size < 9:
        raise ValueError(
            f"{str(path)!r} is not a tsattn model file: it holds only {size} byte(s) "
            "(truncated, or not a model file)."
        )
    (header_len,) = struct.unpack("<Q", head[:8])
    if head[8:9] != b"{":
        raise ValueError(
            f"{str(path)!r} is not a tsattn model file (no safetensors header; it "
            "may be a pickle, text or other file). Models are saved with "
            "model.save(path)."
        )
    if header_len > size - 8:
        raise ValueError(
            f"{str(path)!r} is truncated or not a tsattn model file: its header "
            f"claims {header_len} bytes but the file holds {size}."
        )
    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            metadata = fh.metadata() or {}
            keys = fh.keys() if with_tensors else []
            tensors = {key: fh.get_tensor(key) for key in keys}
    except (SafetensorError, OSError, RuntimeError, ValueError) as exc:
        raise ValueError(
            f"{source} is truncated or corrupt and cannot be read ({exc}). Save the "
            "model again."
        ) from exc
    if _META_KEY not in metadata:
        raise ValueError(
            f"{str(path)!r} is a safetensors file but not a tsattn model (its "
            f"metadata has no {_META_KEY!r} entry); it may hold plain weights, which "
            "safetensors.torch.load_file reads."
        )
    checksum = metadata.get(_CHECKSUM_KEY)
    if with_tensors and checksum is not None and checksum != _digest(metadata, tensors):
        raise ValueError(
            f"{source} is corrupt: its metadata or tensor data do not match the "
            "checksum recorded when it was saved (the file was damaged or edited). "
            "Save the model again."
        )
    try:
        header = json.loads(metadata[_META_KEY])
    except ValueError as exc:
        raise ValueError(
            f"{source} is corrupt: its metadata is not valid JSON ({exc})."
        ) from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise ValueError(
            f"{str(path)!r} is not a tsattn model file: its format is {found!r}, "
            f"expected {FORMAT!r}."
        )
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(
            f"{source} is corrupt: format_version is {version!r}, expected an int >= 1."
        )
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{source} has format_version {version}, newer than the {FORMAT_VERSION} "
            f"this tsattn ({tsattn.__version__}) reads; upgrade tsattn "
            "(pip install -U tsattn) to load it."
        )
    if with_tensors and version >= 2 and checksum is None:
        raise ValueError(
            f"{source} is corrupt: it has no {_CHECKSUM_KEY!r} checksum entry, which "
            f"format_version {version} files carry. Save the model again."
        )
    if with_tensors and version == 1:
        if _tensor_digest(tensors) != header.get("tensors_sha256"):
            raise ValueError(
                f"{source} is corrupt: its tensor data do not match the checksum "
                "recorded when it was saved. Save the model again."
            )
        warnings.warn(
            f"{source} has format_version 1, whose checksum covers the tensors "
            "but not the metadata, so an edited configuration would go unnoticed; "
            "save the loaded model again to protect it.",
            tsattn.TsattnWarning,
            stacklevel=3,
        )
    return path, header, tensors


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the manifest recorded in a saved model file, without loading it.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.

    Returns
    -------
    dict
        ``{"class", "format_version", "versions", "seed", "data_hash",
        "training", "created"}``: the model class, the file layout version, the
        package versions at save time, the ``random_state`` (None unless an
        int), the hash of the training data (None when the model does not
        record one), the training figures (epochs, best epoch, best validation
        loss, final training loss, stop reason, fit time, parameter count,
        device) and the UTC creation time.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is truncated, corrupt, not a tsattn model file or from a
        newer format version.
    """
    _, header, _ = _read(path, with_tensors=False)
    manifest = header.get("manifest")
    if not isinstance(manifest, dict):
        raise ValueError(
            f"The tsattn model file {str(path)!r} is corrupt: no manifest."
        )
    return {
        "class": header.get("class"),
        "format_version": header["format_version"],
        **manifest,
    }


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
    path, header, tensors = _read(path)
    source = f"The tsattn model file {str(path)!r}"
    name = header.get("class")
    cls = _CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(
            f"{source} names the class {name!r}, which load() does not build; "
            f"allowed: {', '.join(_CLASSES)}."
        )
    decoder = _Decoder(tensors, source)
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
    mode = fitted.get("mode_")
    required = _REQUIRED + (_REQUIRED_SUPERVISED if mode == "supervised" else ())
    missing = [a for a in required if a not in fitted]
    if missing:
        raise decoder.bad("its fitted state", f"lacks {missing}")
    for attr, value in fitted.items():
        if (
            not isinstance(attr, str)
            or not attr.isidentifier()
            or attr.startswith("__")
            or not (attr.endswith("_") or attr.startswith("_"))
            or attr in known
            or attr in _SPECIAL
            or hasattr(cls, attr)
        ):
            raise decoder.bad("its fitted state", f"has a forbidden entry {attr!r}")
        setattr(model, attr, decoder.decode(value, attr))

    state = {k[len(_MODULE) :]: v for k, v in tensors.items() if k.startswith(_MODULE)}
    _check_network(config, state, model._context, decoder)
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
