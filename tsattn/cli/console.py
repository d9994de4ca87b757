"""The program name and what the command writes to stderr: progress, errors."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

from tqdm import tqdm

PROG = "tsattn"


class Progress:
    """Stages of a command on stderr: a tqdm bar on a terminal, and one line each.

    Each stage says when it starts and how long it took (and the total so far);
    on a terminal a tqdm bar below these lines counts the stages and the time
    of the running one. ``quiet`` writes nothing.

    Parameters
    ----------
    total : int
        Number of stages.
    quiet : bool
        Write nothing.
    """

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet, self.done = total, quiet, 0
        self.start = time.perf_counter()
        # disable=None: tqdm draws the bar only when stderr is a terminal
        self.bar = tqdm(
            total=total,
            file=sys.stderr,
            disable=True if quiet else None,
            leave=False,
            bar_format=PROG + ": [{n_fmt}/{total_fmt}] {desc} {elapsed}",
        )

    def say(self, text: str) -> None:
        """Write one line (above the bar), unless quiet."""
        if not self.quiet:
            tqdm.write(f"{PROG}: {text}", file=sys.stderr)

    @contextlib.contextmanager
    def stage(self, label: str) -> Iterator[None]:
        """Run the next stage: announce it, then say how long it took."""
        self.done += 1
        tag = f"[{self.done}/{self.total}]"
        self.say(f"{tag} {label} ...")
        self.bar.set_description_str(label)
        t0 = time.perf_counter()
        yield
        now = time.perf_counter()
        self.bar.update(1)
        self.say(f"{tag} done in {now - t0:.1f} s (total {now - self.start:.1f} s)")
        if self.done >= self.total:
            self.bar.close()


def one_line(exc: BaseException) -> str:
    """Return the message of ``exc`` on one line (its type when it has none)."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split()) or type(exc).__name__
