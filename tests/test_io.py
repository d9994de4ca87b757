import os
import re
import stat
import sys

import pytest

from tsattn._io import atomic_write, check_writable


def test_check_writable_accepts_new_and_existing_files(tmp_path):
    new = tmp_path / "out.html"
    assert check_writable(new, "report") == new
    assert not new.exists()  # the check leaves nothing behind
    new.write_text("old")
    assert check_writable(str(new)) == new
    assert sorted(os.listdir(tmp_path)) == ["out.html"]


def test_check_writable_errors_name_the_users_path(tmp_path):
    missing = tmp_path / "no" / "r.csv"
    with pytest.raises(
        FileNotFoundError,
        match=re.escape(f"cannot write the results to {str(missing)!r}: folder"),
    ):
        check_writable(missing, "results")
    with pytest.raises(IsADirectoryError, match="it is a folder; pass a file name"):
        check_writable(tmp_path, "report")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_check_writable_probes_where_permission_bits_say_yes():
    # /proc passes os.access for a superuser, yet no file can be created there.
    with pytest.raises(
        PermissionError,
        match=re.escape("cannot write the report to '/proc/x.html': cannot create"),
    ):
        check_writable("/proc/x.html", "report")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="a superuser ignores permission bits",
)
def test_check_writable_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(PermissionError, match="permission denied"):
            check_writable(folder / "x.csv", "results")
    finally:
        folder.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("content", [b"\x00bytes", "text \u00e9", None])
def test_atomic_write_writes_bytes_text_or_through_a_callable(tmp_path, content):
    path = tmp_path / "f.bin"
    if content is None:
        atomic_write(path, lambda tmp: tmp.write_bytes(b"from callable"))
        assert path.read_bytes() == b"from callable"
    else:
        atomic_write(path, content)
        expected = content if isinstance(content, bytes) else content.encode()
        assert path.read_bytes() == expected
    assert sorted(os.listdir(tmp_path)) == ["f.bin"]
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")
    path.chmod(0o600)

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, broken)
    assert path.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["f.txt"]
    atomic_write(path, "new")
    assert path.read_text() == "new"
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
