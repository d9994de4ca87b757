"""The data files shipped with tsattn: where they are, and their loaders."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["dataset_path", "load_exchange_rate"]


def _dataset_dirs() -> list[Any]:
    """Folders that may hold the data files, as Traversables, most likely first."""
    dirs: list[Any] = []
    try:
        dirs.append(importlib.resources.files("tsattn._datasets"))
    except ModuleNotFoundError:  # editable install: the folder is not a package
        pass
    import tsattn

    dirs.append(Path(tsattn.__file__).resolve().parents[1] / "datasets")
    return dirs


def _describe(folder: Any) -> str:
    paths = getattr(folder, "_paths", None)  # namespace package (MultiplexedPath)
    return ", ".join(str(p) for p in paths) if paths else str(folder)


def dataset_path(name: str) -> Path:
    """Return the path of a shipped data file.

    The files live in the package ``tsattn._datasets`` of an installed wheel, or in
    the repository's ``datasets/`` folder for an editable install.

    Parameters
    ----------
    name : str
        File name, e.g. ``"exchange_rate.csv"``.

    Returns
    -------
    pathlib.Path
        Path of the existing file.

    Raises
    ------
    FileNotFoundError
        When no searched folder holds the file; the message lists the folders and
        the files they hold.
    """
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise ValueError(f"name must be a plain file name; got {name!r}.")
    dirs = _dataset_dirs()
    for folder in dirs:
        candidate = folder.joinpath(name)
        if candidate.is_file() and isinstance(candidate, os.PathLike):
            return Path(os.fspath(candidate))
    available = sorted(
        {p.name for d in dirs if d.is_dir() for p in d.iterdir() if p.is_file()}
    )
    raise FileNotFoundError(
        f"Data file {name!r} is not shipped with tsattn (searched "
        f"{', '.join(_describe(d) for d in dirs)}; available: {available}). If it "
        "should be there, the installation is incomplete: reinstall tsattn."
    )


def load_exchange_rate(*, as_frame: bool = True) -> pd.DataFrame | np.ndarray:
    """Load the daily exchange rates of eight currencies (7,588 rows).

    The LSTNet benchmark panel (Lai et al., SIGIR 2018), as distributed with the
    long-horizon forecasting benchmarks. Its dates are consecutive calendar days
    from 1990-01-01, a benchmark convention rather than real trading days; see
    ``datasets/README.md`` for the provenance.

    Parameters
    ----------
    as_frame : bool, default=True
        Return a DataFrame; otherwise the float64 values as an array (7588, 8).

    Returns
    -------
    pandas.DataFrame or ndarray
        Columns ``"0"`` .. ``"6"`` and ``"OT"`` on a daily DatetimeIndex named
        ``"date"`` (freq ``"D"``).

    Examples
    --------
    >>> df = load_exchange_rate()
    >>> df.shape, list(df.columns)
    ((7588, 8), ['0', '1', '2', '3', '4', '5', '6', 'OT'])
    >>> df.index[0].date(), df.index.freqstr
    (datetime.date(1990, 1, 1), 'D')
    """
    raw = pd.read_csv(dataset_path("exchange_rate.csv"))
    dates = pd.to_datetime(raw.pop("date"), format="%Y/%m/%d %H:%M")
    frame = raw.astype(np.float64)
    frame.index = pd.DatetimeIndex(dates, freq="D", name="date")
    frame.columns = [str(c) for c in frame.columns]
    return frame if as_frame else frame.to_numpy(copy=True)
