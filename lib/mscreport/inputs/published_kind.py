"""What a path that is not a regular file is, in words: the one "what kind of file is this"
check of the package (``readers.read_file_bytes`` refusing a cohort file, and the
``published_path`` message, where a FIFO or ``/dev/zero`` was reported as "file not found").
Standard library only: ``params`` asks it before anything heavy is imported."""

from __future__ import annotations

import os
import stat


def mode_kind(mode: int) -> str:
    """A file mode (``os.stat(...).st_mode``) that is not a regular file, in words: "a folder",
    "a named pipe (FIFO)", "a device", "a socket", or "not a regular file"."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_a_file_reason(path: str) -> str:
    """Why ``path`` cannot be read as a file: "file not found", "a folder, not a file", "a
    named pipe (FIFO), not a regular file", ... (``stat`` only: never opens it)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a broken symbolic link" if os.path.islink(path) else "file not found"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    kind = mode_kind(mode)
    if kind == "a folder":
        return "a folder, not a file"
    return kind if kind == "not a regular file" else f"{kind}, not a regular file"
