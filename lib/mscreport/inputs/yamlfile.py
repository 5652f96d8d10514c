"""Reading a small YAML file of ``NAME: VALUE`` pairs safely (the ``--params`` file).

Hostile or mistaken files fail fast with one line naming the file and line:

* only a regular file is read (a FIFO would hang, ``/dev/zero`` never ends), at most
  ``MAX_BYTES``;
* aliases (``*name``) are refused: a parameter file never needs them, and nested aliases
  (a "billion laughs") would otherwise expand to gigabytes;
* a key given twice is an error (YAML would silently keep the last one);
* brackets nested deeper than ``MAX_DEPTH`` and integers of more than ``MAX_INT_DIGITS``
  digits are refused before the document is built (``check_shape``: YAML's composer recurses
  once per level, and Python refuses to convert integers of more than 4300 digits, so both
  ended in a traceback).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from mscreport.core.errors import InputError, Problem

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32  # nested mappings and lists; a parameter file needs 1
MAX_INT_DIGITS = 100  # digits of a plain integer scalar; no parameter needs more than a few
_INT_LIKE = "0123456789_+-"


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


def check_shape(text: str, what: str = "file") -> None:
    """Raise ``yaml.MarkedYAMLError`` (with its line) if ``text`` nests mappings or lists
    deeper than ``MAX_DEPTH`` or holds a plain integer of more than ``MAX_INT_DIGITS`` digits.

    Reads the event stream only (the parser keeps its own stack and never recurses), so it is
    safe on any input up to the size limit; call it before ``yaml.load``."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(None, None, f"nested more than {MAX_DEPTH} levels deep: a {what} "
                                                       "holds NAME: VALUE lines", event.start_mark)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif (isinstance(event, yaml.ScalarEvent) and event.style is None
              and len(event.value) > MAX_INT_DIGITS and event.value.strip(_INT_LIKE) == ""):
            raise yaml.MarkedYAMLError(None, None, f"a number of {len(event.value)} digits (at most {MAX_INT_DIGITS})",
                                       event.start_mark)


def load_mapping(path: str | Path) -> dict:
    """A YAML mapping read with the limits above ({} for an empty file)."""
    where = str(path)
    data = read_limited(path)
    try:
        text = data.decode("utf-8")
        check_shape(text, "parameter file")
        loaded = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
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
