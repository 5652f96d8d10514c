"""The private folders of kernel connection files (with their HMAC keys) and IPC sockets:
``$TMPDIR/mscreport-kernels-XXXXXXXX``, one per build, never left behind.

* **Born marked.** A folder is made under a temporary name (``.mscreport-kernels-making-*``),
  its owner mark (``owner.pid``: the build's process id) written, and only then renamed to its
  final name: a folder under the final name always carries its mark, however the build died.
* **Removed without a trace.** Removal first renames the folder to
  ``.mscreport-kernels-gone-*`` (a kernel still dying can then create nothing under the old
  name), then deletes it; if that fails half-way, the next build deletes the rest.
* **Cleaned when their build is gone.** A build removes the folders of builds that no longer
  run: a mark naming a process that does not exist, or one that began after the mark was
  written (its id was reused); a folder with no readable mark (left by an older version, or a
  half-made one) once nothing in it has changed for ``UNMARKED_GRACE_S``; every ``gone`` folder.
  Only folders of this user are touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "mscreport-kernels-"
MAKING_PREFIX = ".mscreport-kernels-making-"
GONE_PREFIX = ".mscreport-kernels-gone-"
OWNER_FILE = "owner.pid"
UNMARKED_GRACE_S = 600  # seconds without a change before an unmarked folder counts as left behind


def make_kernel_dir(tmp: str | Path | None = None) -> Path:
    """A new private (0700) folder under ``tmp`` (default: the temporary folder), marked with
    this process's id before it gets its final name (short, for the 107-byte socket path limit)."""
    tmp = Path(tmp or tempfile.gettempdir())
    making = Path(tempfile.mkdtemp(prefix=MAKING_PREFIX, dir=tmp))
    try:
        fd = os.open(making / OWNER_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)
        final = tmp / (PREFIX + making.name[len(MAKING_PREFIX):])
        os.rename(making, final)
    except BaseException:
        shutil.rmtree(making, ignore_errors=True)
        raise
    return final


def remove_kernel_dir(folder: Path) -> None:
    """Rename ``folder`` out of use, then delete it (what remains is the next build's to delete)."""
    gone = folder.parent / (GONE_PREFIX + folder.name.split("-")[-1])
    try:
        os.rename(folder, gone)
    except FileNotFoundError:
        return
    except OSError:
        gone = folder  # cannot rename (e.g. a name taken): delete in place
    shutil.rmtree(gone, ignore_errors=True)
    if gone.exists():
        shutil.rmtree(gone, ignore_errors=True)  # files a dying kernel created meanwhile


def _owner(folder: Path) -> tuple[int | None, float | None]:
    """(process id, time the mark was written) from the folder's mark; (None, None) if unreadable."""
    mark = folder / OWNER_FILE
    try:
        return int(mark.read_text().strip()), mark.stat().st_mtime
    except (OSError, ValueError):
        return None, None


def _newest_change(folder: Path) -> float:
    """The latest modification time of the folder and its entries (seconds since the epoch)."""
    newest = folder.lstat().st_mtime
    for entry in os.scandir(folder):
        try:
            newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
        except OSError:
            pass
    return newest


def _owner_gone(pid: int, marked_at: float) -> bool:
    """True when no process ``pid`` runs, or the one that does began after the mark (a reused id)."""
    import psutil

    try:
        return psutil.Process(pid).create_time() > marked_at + 1.0
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:  # exists, but not ours to inspect: keep its folder
        return False


def is_left_behind(folder: Path, now: float | None = None) -> bool:
    """Whether ``folder`` (one of ours by name) belongs to no running build."""
    if folder.name.startswith(GONE_PREFIX):
        return True
    pid, marked_at = _owner(folder)
    if pid is not None:
        return pid != os.getpid() and _owner_gone(pid, marked_at)
    return (now or time.time()) - _newest_change(folder) > UNMARKED_GRACE_S


def clean_left_behind(tmp: str | Path | None = None) -> list[Path]:
    """Remove the kernel folders under ``tmp`` whose build is gone; returns those removed."""
    tmp = Path(tmp or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith((PREFIX, MAKING_PREFIX, GONE_PREFIX)):
            continue
        folder = Path(entry.path)
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            if not is_left_behind(folder):
                continue
        except OSError:
            continue
        remove_kernel_dir(folder)
        removed.append(folder)
    return removed
