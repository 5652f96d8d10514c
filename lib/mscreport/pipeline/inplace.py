"""An output folder that cannot be swapped whole: staged inside it and installed entry by entry.

``outdir`` installs a report by swapping the whole output folder DIR with a staging folder
beside it, in one rename. Some folders cannot take part in such a swap:

* a **mount point** (a container volume, a bind mount): renaming it fails ("Device or
  resource busy") and a staging folder beside it is on another mount ("Invalid cross-device
  link");
* the file system's **root**;
* the **current folder** of the build (``--output .``) or a folder holding it: the swap would
  succeed, but would leave the user's shell in a deleted folder.

For those, the lock file (``DIR/.mscreport.lock``, for a mount point or root: the folder
beside may not be writable) and the staging folder (``DIR/.mscreport-build-XXXX``) live
inside DIR, and the report is installed entry by entry: each top-level file or folder of the
new report is swapped with the old one in one ``renameat2(RENAME_EXCHANGE)``, the chapter
pages first, ``index.html`` next, ``.cache`` (the manifest) last; a failure swaps back what
was done. Each entry changes atomically, but a reader may see old and new pages side by side
for the few microseconds the install takes.
"""

from __future__ import annotations

import os
from pathlib import Path

INSIDE_LOCK = ".mscreport.lock"
INSIDE_STAGING_PREFIX = ".mscreport-build-"
FORMER_LOCK = "..lock"  # written inside DIR by ``--output .`` before it was resolved (issue 24.10)
LAST_ENTRIES = ("index.html", ".cache")  # installed last, in this order


def _mount_points() -> set[str]:
    """The mount points of this process's mount namespace (Linux ``/proc/self/mountinfo``)."""
    points = set()
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) > 4:  # the fifth field, with spaces and the like escaped in octal
                    points.add(fields[4].encode().decode("unicode_escape"))
    except OSError:
        pass
    return points


def is_mount_point(folder: Path) -> bool:
    """Whether ``folder`` is a mount point, bind mounts included (``os.path.ismount`` misses a
    bind mount of a folder of the same file system: it compares devices)."""
    return os.path.ismount(folder) or str(folder) in _mount_points()


def lock_inside(out: Path) -> bool:
    """The lock (and staging) belong inside ``out``: a mount point or the root. Depends on the
    folder only, so that every build into it takes the same lock."""
    return out.exists() and (out.parent == out or is_mount_point(out))


def install_inside(out: Path) -> bool:
    """``out`` is installed entry by entry (``lock_inside``, or the build's current folder
    is ``out`` or inside it)."""
    if lock_inside(out):
        return True
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    return out.exists() and (cwd == out or out in cwd.parents)


def is_own_entry(name: str, path: Path, marker: str) -> bool:
    """A top-level entry of DIR that is the build's machinery, never a foreign file: the lock
    file, or a staging folder carrying the staging marker (a file named ``marker``)."""
    if name in (INSIDE_LOCK, FORMER_LOCK):
        return path.is_file() and not path.is_symlink()
    return (name.startswith(INSIDE_STAGING_PREFIX) and path.is_dir() and not path.is_symlink()
            and (path / marker).is_file())


def _order(names: list[str]) -> list[str]:
    """Pages and folders first, then ``index.html``, then ``.cache``."""
    last = [n for n in LAST_ENTRIES if n in names]
    return sorted(n for n in names if n not in last) + last


def install_entries(report: Path, out: Path, holder: Path, keep: set[str], exchange) -> None:
    """Move every top-level entry of ``report`` into ``out``, swapping each with the entry of
    the same name (the old one ends in ``holder``, a folder inside ``out``); then move into
    ``holder`` the old entries the new report no longer has, except the names in ``keep``
    (the lock, the staging folder). ``exchange(a, b)`` swaps two paths atomically (raising
    NotImplementedError where it cannot). On failure, everything done is undone and the error raised."""
    _exchange = exchange
    done: list[tuple[str, Path, Path]] = []  # (how, a, b) to undo
    try:
        new_names = _order(os.listdir(report))
        for name in new_names:
            src, dst = report / name, out / name
            if os.path.lexists(dst):
                try:
                    _exchange(src, dst)
                    done.append(("exchange", src, dst))
                except NotImplementedError:  # no renameat2: the old entry aside, the new one in
                    os.rename(dst, holder / name)
                    done.append(("rename", holder / name, dst))
                    os.rename(src, dst)
                    done.append(("rename", dst, src))
            else:
                os.rename(src, dst)
                done.append(("rename", dst, src))
        for name in sorted(set(os.listdir(out)) - set(new_names) - keep):
            os.rename(out / name, holder / name)  # an old page the new report does not have
            done.append(("rename", holder / name, out / name))
    except BaseException:
        for how, a, b in reversed(done):
            try:
                if how == "exchange":
                    _exchange(a, b)
                else:
                    os.rename(a, b)
            except (OSError, NotImplementedError):
                pass
        raise
