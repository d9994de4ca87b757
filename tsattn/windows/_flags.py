"""Numba compile flags for the window kernels, set once for every kernel."""

import os

__all__ = [
    "CACHE",
    "FASTMATH",
    "FLOAT_OPTIONS",
    "JIT_OPTIONS",
    "NOGIL",
    "PARALLEL_OPTIONS",
]


def _env_flag(name: str, default: bool) -> bool:
    """Read a boolean switch such as ``TSATTN_NUMBA_CACHE=0`` from the environment."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() not in {"0", "false", "no", "off"}


# The on-disk cache keeps the first-call compile cost out of every later process;
# switch it off (TSATTN_NUMBA_CACHE=0) on read-only installs that warn about it.
CACHE: bool = _env_flag("TSATTN_NUMBA_CACHE", True)
# Kernels touch only NumPy buffers, so they can release the GIL for threaded loaders.
NOGIL: bool = _env_flag("TSATTN_NUMBA_NOGIL", True)

# Only the flags that let LLVM reorder and vectorise sums (about 5x on one-feature
# windows); never nnan/ninf, so NaN and inf still propagate as IEEE says.
FASTMATH: frozenset[str] = frozenset({"reassoc", "contract", "arcp", "nsz"})

JIT_OPTIONS: dict[str, object] = {"cache": CACHE, "nogil": NOGIL}
# Float reductions (and helpers inlined into them) carry the fast-math flags.
FLOAT_OPTIONS: dict[str, object] = {**JIT_OPTIONS, "fastmath": set(FASTMATH)}
# prange pays on batches (about 1.5-2x on two cores for 256 x 512 x 8 windows).
PARALLEL_OPTIONS: dict[str, object] = {**FLOAT_OPTIONS, "parallel": True}
