"""Shared test inputs: tiny networks (trained in seconds, not tuned), data files."""

from pathlib import Path

import pandas as pd

#: Architecture of a tiny network: two heads of width 4 over 4 patches of 4 steps.
TINY_NETWORK = {
    "window_length": 16,
    "d_model": 8,
    "n_heads": 2,
    "n_layers": 1,
    "patch_len": 4,
}

#: The same network as command-line options, trained for 2 short epochs.
TINY_CLI = [
    "--window-length", "16", "--d-model", "8", "--heads", "2", "--layers", "1",
    "--patch-len", "4", "--epochs", "2", "--max-steps-per-epoch", "3", "--seed", "0",
    "--threads", "1",
]  # fmt: skip


def write_csvs(folder: Path, **frames: pd.DataFrame) -> dict[str, Path]:
    """Write each frame to ``folder/<name>.csv`` as a finance site does (Date first)."""
    paths = {name: folder / f"{name}.csv" for name in frames}
    for name, frame in frames.items():
        frame.to_csv(paths[name], index_label="Date")
    return paths
