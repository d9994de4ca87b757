"""The ``tsattn`` command line: demo, fit, predict, forecast, backtest and report."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from tsattn.cli.console import PROG, one_line
from tsattn.cli.files import read_data
from tsattn.cli.models import MODELS
from tsattn.cli.parser import build_parser

__all__ = ["MODELS", "build_parser", "main", "read_data"]


def _torch_threads(n_threads: int | None) -> contextlib.AbstractContextManager[None]:
    """Run the command with ``n_threads`` torch CPU threads, then restore them.

    Small networks train several times faster on one thread than on two on a
    busy machine (no waiting on a thread that another process holds up).
    """
    from tsattn.fitting.runtime import torch_threads

    return torch_threads(n_threads)


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    print(f"{PROG}: warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: Sequence[str | os.PathLike[str]] | None = None) -> int:
    """Run the ``tsattn`` command line.

    Parameters
    ----------
    argv : sequence of str or path-like, optional
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when the command failed (one line on
        stderr says why; ``--debug`` shows the traceback instead) or when a
        backtest finished with failed folds (what finished is still printed
        and written), 2 for a malformed command line, 130 when interrupted,
        141 when the reader of stdout closed it.
    """
    parser = build_parser()
    if argv is not None:
        argv = [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in argv]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    args.quiet = getattr(args, "quiet", False)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        warnings.showwarning = _show_warning
        try:
            with _torch_threads(getattr(args, "threads", None)):
                return int(args.func(args))
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            # The reader of stdout went away (``| head``): stop quietly, as
            # a command killed by SIGPIPE would.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        except Exception as exc:
            if args.debug:
                raise
            expected = (ValueError, TypeError, KeyError, OSError, ImportError)
            text = one_line(exc)
            if not isinstance(exc, expected):
                text = (
                    f"{type(exc).__name__}: {text} (unexpected; rerun with --debug "
                    "for the traceback)"
                )
            print(f"{PROG}: error: {text}", file=sys.stderr)
            return 1
