"""Reading a small YAML file of ``NAME: VALUE`` pairs safely (the ``--params`` file).

Hostile or mistaken files fail fast with one line naming the file and line:

* only a regular file is read (a FIFO would hang, ``/dev/zero`` never ends), at most
  ``MAX_BYTES``;
* aliases (``*name``) are refused: a parameter file never needs them, and nested aliases
  (a "billion laughs") would otherwise expand to gigabytes;
* a key given twice is an error (YAML would silently keep the last one).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from mscreport.core.errors import InputError, Problem

MAX_BYTES = 64 * 1024


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases and without duplicate keys."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed here: write each value out",
                                       self.peek_event().start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.MarkedYAMLError(None, None, f"{key!r} is given twice: keep one", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _fail(where: str, message: str, line: int | None = None) -> InputError:
    return InputError([Problem(where, line, None, message)])


def read_limited(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; InputError otherwise."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise _fail(where, "parameter file not found") from None
    except OSError as exc:
        raise _fail(where, f"cannot open the parameter file ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _fail(where, "not a regular file: give the path of a YAML file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise _fail(where, f"larger than {max_bytes // 1024} KiB: a parameter file holds a few NAME: VALUE lines")
    return data


def load_mapping(path: str | Path) -> dict:
    """A YAML mapping read with the limits above ({} for an empty file)."""
    where = str(path)
    data = read_limited(path)
    try:
        loaded = yaml.load(data.decode("utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except UnicodeDecodeError as exc:
        raise _fail(where, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise _fail(where, "cannot read parameter file: " + " ".join(str(exc.problem or exc).split()), line) from None
    except yaml.YAMLError as exc:
        raise _fail(where, "cannot read parameter file: " + " ".join(str(exc).split())) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise _fail(where, "cannot read parameter file: expected a mapping of NAME: VALUE")
    return loaded
