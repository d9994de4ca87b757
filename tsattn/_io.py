"""Output files: one atomic-write helper and one up-front writability check."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from tsattn._docstrings import Entry

__all__ = ["atomic_write", "check_writable"]


#: Docstring sections of the functions that write a file through
#: :func:`check_writable` and :func:`atomic_write` (filled by ``fill_doc``):
#: what they return and the write errors they raise, before anything is written.
WRITE_DOC: dict[str, Entry] = {
    "returns_path_and_write_errors": (
        "Returns\n"
        "-------\n"
        "pathlib.Path\n"
        "    The path written.\n"
        "\n"
        "Raises\n"
        "------\n"
        "FileNotFoundError\n"
        "    If the destination directory does not exist.\n"
        "IsADirectoryError\n"
        "    If ``path`` is a directory.\n"
        "PermissionError\n"
        "    If the destination cannot be written (checked before anything is\n"
        "    written)."
    ),
}


def check_writable(path: str | os.PathLike, what: str = "output") -> Path:
    """Check, before any work, that ``path`` can be written; return it as a Path.

    Raises a one-line error naming the user's path: the folder is missing, the
    path is a folder, or the folder (or an existing file) is not writable. A
    file is created and removed in the folder to prove it, so the check also
    holds for a superuser and for read-only or virtual file systems.

    Parameters
    ----------
    path : str or os.PathLike
        The output file the caller is about to write.
    what : str, default="output"
        What the file holds, for the message ("report", "model", ...).

    Returns
    -------
    pathlib.Path
        ``path`` as a Path.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    PermissionError
        If the folder or the existing file cannot be written.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise IsADirectoryError(
            f"cannot write the {what} to {str(target)!r}: it is a folder; pass a "
            "file name."
        )
    if not directory.is_dir():
        raise FileNotFoundError(
            f"cannot write the {what} to {str(target)!r}: folder "
            f"{str(directory)!r} does not exist; create it first."
        )
    if not os.access(directory, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise PermissionError(
            f"cannot write the {what} to {str(target)!r}: permission denied; "
            "choose a path you can write to."
        )
    # Permission bits do not tell everything (a superuser passes os.access, yet
    # cannot create files in /proc or on a read-only mount): create and remove a
    # file next to the target, as the atomic write will.
    try:
        with tempfile.TemporaryFile(prefix=f".{target.name}.", dir=directory):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PermissionError(
            f"cannot write the {what} to {str(target)!r}: cannot create a file in "
            f"folder {str(directory)!r} ({reason}); choose a path you can write to."
        ) from None
    return target


def atomic_write(
    path: str | os.PathLike, content: bytes | str | Callable[[Path], None]
) -> Path:
    """Write ``content`` to ``path`` through a temporary file and a rename.

    ``content`` is bytes, text (UTF-8) or a callable that writes a given
    temporary path. Readers never see a half-written file; an existing file
    keeps its permission bits (a new one gets 0644).
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    tmp = Path(name)
    try:
        if callable(content):
            os.close(fd)
            content(tmp)
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
