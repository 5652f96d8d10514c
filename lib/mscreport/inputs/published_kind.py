"""What a path that is not a regular file is, in words, for the ``published_path`` message
(a FIFO or ``/dev/zero`` was reported as "file not found")."""

from __future__ import annotations

import os
import stat


def not_a_file_reason(path: str) -> str:
    """Why ``path`` cannot be read as a file: "file not found", "a folder, not a file", "a
    named pipe (FIFO), not a regular file", ... (``stat`` only: never opens it)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a broken symbolic link" if os.path.islink(path) else "file not found"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"
