"""What the persistence tests share: tiny models, state comparison, file edits."""

import json

import numpy as np
import pandas as pd
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from tsattn.estimators import AttentionForecaster
from tsattn.persistence.model_file import digest

TINY = dict(window_length=16, d_model=8, max_epochs=1, batch_size=64, random_state=0)
N_FIT = 200


def tiny(cls, **kwargs):
    if cls is AttentionForecaster:
        kwargs.setdefault("n_heads", 2)
    return cls(**TINY, **kwargs)


def assert_same_state(a, b):
    """Every fitted attribute and every weight of ``b`` equals that of ``a``."""
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()
    assert set(vars(a)) == set(vars(b))
    for name, value in vars(a).items():
        other = getattr(b, name)
        if name == "module_":
            sa, sb = value.state_dict(), other.state_dict()
            assert sa.keys() == sb.keys()
            for k in sa:
                assert torch.equal(sa[k], sb[k]), k
            assert not other.training
        elif isinstance(value, np.ndarray):
            assert value.dtype == other.dtype, name
            np.testing.assert_array_equal(value, other, err_msg=name)
        elif isinstance(value, pd.Index):
            assert type(value) is type(other)
            assert value.equals(other), name
            assert value.dtype == other.dtype, name
            assert value.name == other.name
            assert getattr(value, "freq", None) == getattr(other, "freq", None)
        else:
            assert value == other, name
            assert type(value) is type(other), name


def rewrite(path, out, edit, *, resign=False):
    """Copy a saved model to ``out`` with its JSON header changed by ``edit``.

    ``resign=True`` also recomputes the checksum, as a deliberate forger would,
    so that the checks behind it are reached.
    """
    with safe_open(str(path), framework="pt", device="cpu") as fh:
        metadata = fh.metadata()
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    header = json.loads(metadata["tsattn"])
    edit(header)
    metadata["tsattn"] = header if isinstance(header, str) else json.dumps(header)
    if resign:
        metadata["sha256"] = digest(metadata, tensors)
    save_file(tensors, str(out), metadata=metadata)
    return out
