"""The program name and what the command writes to stderr: progress, errors."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

PROG = "tsattn"


class _Progress:
    """One line per stage on stderr, with the stage's and the total time."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet, self.done = total, quiet, 0
        self.start = time.perf_counter()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"{PROG}: {text}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def stage(self, label: str) -> Iterator[None]:
        self.done += 1
        tag = f"[{self.done}/{self.total}]"
        self.say(f"{tag} {label} ...")
        t0 = time.perf_counter()
        yield
        now = time.perf_counter()
        self.say(f"{tag} done in {now - t0:.1f} s (total {now - self.start:.1f} s)")


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split()) or type(exc).__name__
