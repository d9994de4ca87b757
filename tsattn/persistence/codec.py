"""The JSON codec of a model file: fitted values as JSON, numeric arrays as tensors.

Plain values (None, bools, ints, finite floats, strings, lists, string-keyed
dicts) are written as they are; what JSON lacks is written as a dict with one
``$`` tag (``$float``, ``$tuple``, ``$dict``, ``$tensor``, ``$ndarray``,
``$offset``, ``$timestamp``, ``$index``). Numeric arrays go to the file's
tensors, bit for bit. Decoding builds plain values and pandas objects only:
nothing in a file is ever executed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch
from pandas.tseries.frequencies import to_offset

__all__ = ["FITTED", "Decoder", "Encoder", "hashable", "short"]

#: Prefix of the tensor names that hold fitted arrays.
FITTED = "fitted."
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


class Encoder:
    """Turn fitted values into JSON; numeric arrays go to ``tensors``."""

    def __init__(self, tensors: dict[str, torch.Tensor]):
        self.tensors = tensors

    def encode(self, value: Any, where: str) -> Any:
        """Return ``value`` as JSON; ``where`` names it in errors and tensor names.

        Raises
        ------
        TypeError
            For a value the format cannot store.
        ValueError
            For a frequency or index that would not survive the round trip.
        """
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
            f"{where} holds a {type(value).__name__} ({short(value)}), which a tsattn "
            "model file cannot store (it keeps plain values, arrays, pandas indexes "
            "and frequencies only, so that loading never runs code)."
        )

    def _array(self, arr: np.ndarray, where: str) -> dict[str, Any]:
        if arr.dtype in _TENSOR_DTYPES:
            key = f"{FITTED}{where}"
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
        restored = Decoder(dict(self.tensors), "the index check").decode(out, where)
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


class Decoder:
    """Inverse of :class:`Encoder`; builds plain values and pandas objects only."""

    def __init__(self, tensors: Mapping[str, torch.Tensor], source: str):
        self.tensors = tensors
        self.source = source

    def bad(self, where: str, what: str) -> ValueError:
        """Return the error for a corrupt file, naming ``where`` and ``what``."""
        return ValueError(
            f"{self.source} is corrupt: {where} {what}. The file was damaged or "
            "edited; save the model again."
        )

    def decode(self, value: Any, where: str) -> Any:
        """Return the value that :meth:`Encoder.encode` wrote as ``value``.

        Raises
        ------
        ValueError
            When ``value`` is not what the encoder writes (see :meth:`bad`).
        """
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
                hashable(self.decode(k, f"{where} key")): self.decode(v, where)
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
        name = hashable(self.decode(value["name"], f"{where}.name"))
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


def hashable(value: Any) -> Any:
    """Turn lists decoded from JSON into tuples, so they can be keys or labels."""
    if isinstance(value, list):
        return tuple(hashable(v) for v in value)
    return value


def short(value: Any) -> str:
    """Return ``repr(value)``, cut to 60 characters for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
