"""The model file: one safetensors file, its format entries and its checksum.

A file holds tensors and string metadata: ``format`` (:data:`FORMAT`), the
JSON header under ``tsattn`` and the sha256 under ``sha256``, computed over
every other metadata entry and every tensor. :func:`write_model_file` writes
one atomically; :func:`read_model_file` refuses anything that is not an intact
tsattn model file of a version this tsattn reads, before its header is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as _safetensors_bytes

import tsattn
from tsattn._io import atomic_write

__all__ = [
    "CHECKSUM_KEY",
    "FORMAT",
    "FORMAT_VERSION",
    "META_KEY",
    "digest",
    "read_manifest",
    "read_model_file",
    "tensor_digest",
    "write_model_file",
]

FORMAT = "tsattn-model"
"""Value of the ``format`` entry that marks a tsattn model file."""

FORMAT_VERSION = 2
"""Newest file layout this version of tsattn writes and reads.

Version 2 records one checksum over the metadata and the tensors; version 1
files (checksum over the tensors only) still load, with a warning."""

#: Metadata entry holding the JSON header.
META_KEY = "tsattn"
#: Metadata entry holding the sha256 of every other entry and of the tensors.
CHECKSUM_KEY = "sha256"


def tensor_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous()
        h.update(key.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def digest(metadata: Mapping[str, str], tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over every metadata entry but the checksum itself, and the tensors."""
    entries = sorted((k, v) for k, v in metadata.items() if k != CHECKSUM_KEY)
    h = hashlib.sha256(json.dumps(entries).encode())
    h.update(tensor_digest(tensors).encode())
    return h.hexdigest()


def write_model_file(
    path: Path, header: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]
) -> None:
    """Write ``tensors`` and the JSON ``header`` to ``path``, with their checksum.

    Parameters
    ----------
    path : pathlib.Path
        Destination, already checked writable; replaced atomically.
    header : mapping
        The JSON header (format, version, class, parameters, config, fitted
        state, manifest).
    tensors : mapping of str to torch.Tensor
        Contiguous CPU tensors.

    Raises
    ------
    TypeError
        When the header cannot be written as JSON.
    """
    try:
        text = json.dumps(header, allow_nan=False, sort_keys=False)
    except ValueError as exc:
        raise TypeError(
            f"The model's metadata cannot be written as JSON: {exc}"
        ) from exc
    metadata = {"format": FORMAT, META_KEY: text}
    metadata[CHECKSUM_KEY] = digest(metadata, tensors)
    atomic_write(path, _safetensors_bytes(dict(tensors), metadata=metadata))


def read_model_file(
    path: str | os.PathLike[str], *, with_tensors: bool = True
) -> tuple[Path, dict[str, Any], dict[str, torch.Tensor]]:
    """Open ``path``, check it is an intact tsattn model file, return its content.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`write_model_file`.
    with_tensors : bool, default=True
        Read the tensors and check the checksum; False reads the header only.

    Returns
    -------
    path : pathlib.Path
        The path read.
    header : dict
        The JSON header.
    tensors : dict of str to torch.Tensor
        The tensors, on the CPU (empty without ``with_tensors``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If the file is truncated, corrupt, does not match its checksum, is not
        a tsattn model file or comes from a newer format version.

    Warns
    -----
    TsattnWarning
        For a format_version 1 file, whose checksum does not cover the metadata.
    """
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
    if META_KEY not in metadata:
        raise ValueError(
            f"{str(path)!r} is a safetensors file but not a tsattn model (its "
            f"metadata has no {META_KEY!r} entry); it may hold plain weights, which "
            "safetensors.torch.load_file reads."
        )
    checksum = metadata.get(CHECKSUM_KEY)
    if with_tensors and checksum is not None and checksum != digest(metadata, tensors):
        raise ValueError(
            f"{source} is corrupt: its metadata or tensor data do not match the "
            "checksum recorded when it was saved (the file was damaged or edited). "
            "Save the model again."
        )
    try:
        header = json.loads(metadata[META_KEY])
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
            f"{source} is corrupt: it has no {CHECKSUM_KEY!r} checksum entry, which "
            f"format_version {version} files carry. Save the model again."
        )
    if with_tensors and version == 1:
        if tensor_digest(tensors) != header.get("tensors_sha256"):
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
    _, header, _ = read_model_file(path, with_tensors=False)
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
