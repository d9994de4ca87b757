"""Plain-numpy windows over a sine wave and a tiny network for the fitting tests."""

import numpy as np
from nn.helpers import small_net

from tsattn.nn.config import TaskSpec

#: Lookback and horizon of the windows.
L, H = 20, 3
TASKS = (TaskSpec("y", horizon=H, target_channels=(0,)),)


class FakeWindows:
    """Plain-numpy windows over one series: the protocol fit_module relies on."""

    def __init__(self, values, targets, window_length, horizon, starts=None):
        self.values = np.asarray(values, dtype=np.float32).reshape(len(values), -1)
        self.targets = np.asarray(targets, dtype=np.float32).reshape(len(targets), -1)
        self.L, self.H = window_length, horizon
        n = len(values) - window_length - horizon + 1
        self.starts = np.arange(n) if starts is None else np.asarray(starts)
        self.calls = 0

    def __len__(self):
        return len(self.starts)

    def get_batch(self, idx):
        self.calls += 1
        s = self.starts[np.asarray(idx)]
        x = self.values[s[:, None] + np.arange(self.L)]
        y = self.targets[s[:, None] + self.L + np.arange(self.H)]
        return x, y


class BufferedWindows(FakeWindows):
    """Also accepts reusable output buffers, like tsattn.windows.WindowSet."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.buffer_ids = set()

    def get_batch(self, idx, *, out_x=None, out_y=None):
        x, y = super().get_batch(idx)
        if out_x is None:
            return x, y
        self.buffer_ids.add(out_x.__array_interface__["data"][0])
        out_x[...] = x
        out_y[...] = y
        return out_x, out_y


def sine(n=400, seed=0):
    """Two sines (periods 20 and 7) at a random phase, as one column."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi)
    return (np.sin(2 * np.pi * t / 20 + phase) + 0.5 * np.sin(2 * np.pi * t / 7))[
        :, None
    ]


def tiny_net(n_heads=2, seed=0, tasks=TASKS, **kw):
    """A width-16 network over windows of :data:`L` steps of one feature."""
    size = {"window_length": L, "n_features": 1, "tasks": tasks, "d_model": 16}
    return small_net(seed, **{**size, "n_heads": n_heads, **kw})


def sine_windows(cls=FakeWindows, n=400, **kw):
    """Windows of ``cls`` over :func:`sine`, the series its own target."""
    v = sine(n)
    return cls(v, v, L, H, **kw)
