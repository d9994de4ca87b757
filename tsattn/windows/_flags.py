"""Numba compile flags for the window kernels, set once for every kernel."""

import os

__all__ = [
    "CACHE",
    "FASTMATH",
    "FLOAT_OPTIONS",
    "JIT_OPTIONS",
    "NOGIL",
    "PARALLEL_MIN_ELEMENTS",
    "PARALLEL_OPTIONS",
]


def _env_int(name: str, default: int) -> int:
    """Read a non-negative integer setting from the environment."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(
            f"{name} must be a non-negative integer; got {raw!r}."
        ) from None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}.")
    return value


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
PARALLEL_OPTIONS: dict[str, object] = {**FLOAT_OPTIONS, "parallel": True}

# Batches of at least this many float32 elements (B * L * F) use the prange kernels.
# On an idle 2-core machine threads gain 1.5-2x from about 1e5 elements up, but on
# a busy one (other processes, or torch's own OpenMP pool spinning between steps)
# every parallel region can stall for a scheduler slice: a 256 x 64 x 1 batch took
# 20 ms instead of 15 us. Training-sized batches therefore stay serial and only
# bulk gathers (e.g. every window of a series for prediction) go parallel.
# TSATTN_PARALLEL_MIN_ELEMENTS=0 always uses threads; a huge value never does.
PARALLEL_MIN_ELEMENTS: int = _env_int("TSATTN_PARALLEL_MIN_ELEMENTS", 1 << 22)
