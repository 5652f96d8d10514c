"""The cells that mean "missing": empty, ``NA``, ``N/A``, ``n/a``, ``.`` and ``-``.

Spreadsheet and statistics exports write a missing value in these ways; every one of them is
read as an empty cell, in every column, when the file is read (surrounding spaces ignored; the
list is exact: ``na``, ``NaN`` or ``null`` are not in it, and a number column names them in
its message). The list is in the data card (data/README.md, "Missing values").

On the fast CSV path (Arrow text columns) a column is searched from its bytes: only cells whose
length and first and last bytes are a token's (``.``, ``-``, ``N?``/``NA``, ``n?a``), or that
start or end with a space or a non-ASCII character, are compared, so the usual column costs a
few array operations and no copy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MISSING_TOKENS = ("", "NA", "N/A", "n/a", ".", "-")


def _maybe_table() -> np.ndarray:
    """By (first byte << 11 | last byte << 3 | min(length, 4)): may a cell so made be a token once
    stripped. Yes when its length and end bytes are a token's ("." "-", "NA", "N?A", "n?a"), or
    when it starts or ends with a byte other than printable ASCII (a space to strip, or
    non-ASCII text: compared in full); no for an empty cell, "no", "7.5" or "-1"."""
    first, last, length = np.meshgrid(np.arange(256), np.arange(256), np.arange(8), indexing="ij")
    printable = ((first >= 0x21) & (first <= 0x7E)) & ((last >= 0x21) & (last <= 0x7E))
    upper, lower = (first == ord("N")) & (last == ord("A")), (first == ord("n")) & (last == ord("a"))
    one = (length == 1) & ((first == ord(".")) | (first == ord("-")))
    short = one | (upper & (length == 2)) | ((upper | lower) & (length == 3))
    return ((length > 0) & (short | ~printable)).ravel()


_MAYBE = _maybe_table()
MISSING_TEXT = ", ".join(repr(t) if t else "empty" for t in MISSING_TOKENS)


def _arrow_column_tokens(cells: pd.Series, text_chunks) -> np.ndarray | None:
    """Which cells of an Arrow-backed text column are a missing token (None: not such a column;
    ``text_chunks``: ``readers.arrow_text_chunks``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = text_chunks(cells)
    if chunks is None:
        return None
    tokens = pa.array([t for t in MISSING_TOKENS if t], pa.large_string())
    out = []
    for chunk, offsets, data in chunks:
        found = np.zeros(len(chunk), dtype=bool)
        if len(data):
            lengths = np.minimum(np.diff(offsets), 4).astype(np.uint32)
            first = np.take(data, offsets[:-1], mode="clip").astype(np.uint32)  # an empty cell's: masked by length 0
            last = np.take(data, offsets[1:] - 1, mode="clip").astype(np.uint32)
            maybe = np.flatnonzero(_MAYBE[(first << 11) | (last << 3) | lengths])
            if len(maybe):
                some = pc.utf8_trim_whitespace(chunk.take(pa.array(maybe)))
                found[maybe] = pc.is_in(some, value_set=tokens).to_numpy(zero_copy_only=False)
        out.append(found)
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def token_cells(cells: pd.Series, text_chunks) -> np.ndarray | None:
    """Which cells of a column are a missing token other than empty (None for a column that is
    not text, such as Parquet's numbers)."""
    found = _arrow_column_tokens(cells, text_chunks)
    if found is not None:
        return found
    if cells.dtype != object and not isinstance(cells.dtype, pd.StringDtype):
        return None
    text = cells.astype("string").fillna("").str.strip()
    return text.isin([t for t in MISSING_TOKENS if t]).to_numpy(dtype=bool)


def blank_missing_tokens(frame: pd.DataFrame, text_chunks) -> pd.DataFrame:
    """The frame with every missing token written as an empty cell (the frame itself when it
    holds none; a column holding none is not copied). ``text_chunks``: the reader's view of an
    Arrow text column as byte buffers (``readers.arrow_text_chunks``, given by the reader so
    that this module does not import it back)."""
    changed = {}
    for j, column in enumerate(frame.columns):
        cells = frame.iloc[:, j]
        found = token_cells(cells, text_chunks)
        if found is None or not found.any():
            continue
        if isinstance(cells.array, pd.arrays.ArrowStringArray):
            import pyarrow as pa
            import pyarrow.compute as pc

            column_array = pa.array(cells.array)
            blanked = pc.if_else(pa.array(found), pa.scalar("", column_array.type), column_array)
            changed[j] = pd.Series(pd.arrays.ArrowStringArray(blanked), index=cells.index, name=cells.name)
        else:
            values = cells.to_numpy(dtype=object, copy=True)
            values[found] = ""
            changed[j] = pd.Series(values, index=cells.index, name=cells.name, dtype=cells.dtype)
    if not changed:
        return frame
    frame = frame.copy(deep=False)
    for j, series in changed.items():
        frame.isetitem(j, series)
    return frame
