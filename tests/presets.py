"""The tiny attention networks the tests train in a second or two (not tuned)."""

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
