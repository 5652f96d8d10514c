"""Characters a cell or header may not hold: NUL and the invisible text-direction controls.

A NUL (U+0000) is no text: a page or an SVG figure that holds one is ill-formed XML. The
bidirectional controls (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates,
U+200E/U+200F marks, U+061C the Arabic letter mark) are invisible and make text display in
another order than it is stored ("Trojan Source"): an arm named with U+202E reads backwards
on every page. Both are refused when the file is read (``FILE:ROW:COLUMN``, exit 2), located
cell by cell and named by code point, never printed (data/README.md, "Characters refused").

Finding them costs nothing on the usual file: ``may_hold`` tests the raw bytes with a few
substring searches (memchr speed), and only a file that may hold one is searched cell by cell.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from mscreport.core.errors import Problem

REFUSED = "\x00\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_PATTERN = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in REFUSED) + "]"  # RE2 and Python re alike
_REFUSED_RE = re.compile("[" + re.escape(REFUSED) + "]")
# the UTF-8 lead bytes of every refused character: U+200E/F, U+202A-E: E2 80; U+2066-9: E2 81; U+061C: D8 9C


def may_hold(data: bytes) -> bool:
    """False when the bytes of a UTF-8 (or ASCII, cp1252, Latin-1) text file surely hold no
    refused character once decoded; True when they may (a UTF-16 file always may)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    # one byte first (memchr: gigabytes per second); the two-byte sequences only when it is there
    return (b"\x00" in data or (b"\xe2" in data and (b"\xe2\x80" in data or b"\xe2\x81" in data))
            or (b"\xd8" in data and b"\xd8\x9c" in data))


def describe(char: str) -> str:
    """'U+202E (RIGHT-TO-LEFT OVERRIDE)'."""
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'NULL' if char == chr(0) else 'control')})"


def _message(text: str, where: str) -> str:
    chars = sorted(set(_REFUSED_RE.findall(text)))
    named = ", ".join(describe(c) for c in chars)
    if chars == ["\x00"]:
        return (f"a NUL character {describe(chars[0])} in this {where}: it is not text; delete it, "
                "or save the file again from the program that made it")
    return (f"an invisible text-direction control {named} in this {where}: it makes the text display in another "
            "order than it is stored; delete it (retype the text)")


def _rows_holding(cells: pd.Series) -> np.ndarray:
    """Positions of the cells of a text column that hold a refused character (pyarrow's RE2 on
    the column's text; other columns, such as Parquet's numbers and dates, hold none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(cells.array, pd.arrays.ArrowStringArray):
        column = pa.array(cells.array)
    elif cells.dtype == object or isinstance(cells.dtype, pd.StringDtype):
        values = cells.to_numpy(dtype=object)
        try:
            column = pa.array(values, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed cells: their text
            column = pa.array([None if v is None else str(v) for v in values], type=pa.large_string())
    else:
        return np.zeros(0, dtype=np.intp)
    found = pc.fill_null(pc.match_substring_regex(column, _PATTERN), False)
    return np.flatnonzero(found.to_numpy(zero_copy_only=False))


def find_refused(frame: pd.DataFrame, headers: list[str], name: str, limit) -> list[Problem]:
    """Problems for every header and cell that holds a refused character: a header located at
    its column (row ``-``), a cell at its data row (``frame.index``) and column; at most
    ``limit``'s count per column (``readers.limited``)."""
    problems: list[Problem] = []
    for column, header in zip(frame.columns, headers):
        if _REFUSED_RE.search(str(header)):
            problems.append(Problem(name, None, _REFUSED_RE.sub("?", str(column)), _message(str(header), "header")))
    rows = frame.index.to_numpy()
    for j, column in enumerate(frame.columns):
        cells = frame.iloc[:, j]
        at = _rows_holding(cells)
        if not len(at):
            continue
        column_name = _REFUSED_RE.sub("?", str(column))
        found = [Problem(name, int(rows[i]), column_name, _message(str(cells.iloc[i]), "cell")) for i in at]
        problems += limit(found, name, column_name)
    return problems
