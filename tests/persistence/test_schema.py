import re

import pytest

from persistence.helpers import rewrite
from tsattn.persistence import FORMAT_VERSION, load


def _set(*path):
    """Set ``header[k1][k2]... = value`` for ``path = (k1, k2, ..., value)``."""
    *keys, value = path

    def edit(header):
        target = header
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_set("format_version", FORMAT_VERSION + 1), "newer than the 2 this tsattn"),
        (_set("format_version", "1"), "format_version is '1'"),
        (_set("class", "os.system"), "names the class 'os.system'"),
        (_set("class", "NaiveForecaster"), "allowed: AttentionForecaster"),
        (_set("params", "bogus", 1), re.escape("sets parameter(s) ['bogus']")),
        (_set("config", "d_model", 16), "do not fit its config"),
        (_set("config", "d_model", 10**9), "larger than any stored weight dimension"),
        (_set("config", "window_length", 10**9), "more than the 15 stored context"),
        (_set("config", "n_layers", 10**9), "n_layers to 1000000000, more than"),
        (_set("params", "max_epochs", "30"), "parameters are invalid.*'max_epochs'"),
        (_set("params", "revin", "no"), "parameters are invalid.*'revin'"),
        (_set("config", "colour", "red"), "network config is invalid"),
        (_set("fitted", "__class__", "x"), "forbidden entry '__class__'"),
        (_set("fitted", "predict", 1), "forbidden entry 'predict'"),
        (_set("fitted", "_run", 1), "forbidden entry '_run'"),
        (_set("fitted", "window_length", 1), "forbidden entry 'window_length'"),
        (_set("fitted", "_context", {"$tensor": "fitted.gone"}), "missing tensor"),
        (_set("fitted", "columns_", {"$code": "x"}), re.escape("unknown tag '$code'")),
        (_set("fitted", "freq_", {"$offset": "not-a-freq"}), "unreadable \\$offset"),
        (lambda h: h["fitted"].pop("_last_row"), re.escape("lacks ['_last_row']")),
        (lambda h: h.pop("config"), "'config' entry is missing"),
    ],
)
def test_load_rejects_bad_headers(one_file, tmp_path, edit, match):
    # Each edit is refused by the checksum, and, with the checksum recomputed,
    # by the check behind it, in one line.
    bad = rewrite(one_file, tmp_path / "bad.safetensors", edit)
    with pytest.raises(ValueError, match="do not match the checksum") as info:
        load(bad)
    assert "\n" not in str(info.value)
    forged = rewrite(one_file, tmp_path / "forged.safetensors", edit, resign=True)
    with pytest.raises(ValueError, match=match) as info:
        load(forged)
    assert "\n" not in str(info.value)
