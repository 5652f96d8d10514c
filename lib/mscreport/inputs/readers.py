"""Reading a cohort file into a table of text cells: CSV, XLSX or Parquet.

The one job here is to turn a path into rows and named columns, or into a readable
``InputError`` (``FILE:ROW:COLUMN: message``); what the cells mean is checked in
``inputs/validators.py``.

* Only a regular file is read: a folder, a FIFO, a device (``/dev/zero``) or a socket is
  refused at once, before a byte is read (the file is opened non-blocking, so a FIFO cannot
  hang). A file above ``MAX_FILE_BYTES`` and a CSV header line above ``MAX_HEADER_CHARS``
  are refused too. Every OS error names the path.
* The bytes are read once; the fingerprint (SHA-256) is of exactly those bytes, so the
  analysed table and its fingerprint cannot come from two versions of the file.
* Row numbers: ROW is the 1-based data row, the header not counted. Blank rows are skipped
  but keep their place in the numbering, so a ROW always points at the line a user sees;
  ``header_row`` (the header's spreadsheet row) turns ROW into the spreadsheet row
  (``header_row + ROW``).
* Column names are normalised (``normalise_column``); ``headers`` keeps each column's header
  as the user wrote it, for messages. A column mapping (``column_map.ColumnMap``) renames the
  user's headers to dictionary columns before the duplicate-column check. Every step is
  linear in the number of columns (a 5-row file with 60,000 columns reads in about a second).
* Three CSV paths, one table: a plain UTF-8 file (no quote, BOM, NUL or bare CR, rows as wide
  as the header) is read by pyarrow straight from its bytes into Arrow text columns
  (``read_arrow_csv``: no Python string per cell, so 1e7 rows take seconds and about twice the
  file in memory); a plain file pyarrow refuses, by pandas' C parser; anything else by
  ``csv.reader``, which words the problems. tests/test_arrow_reader.py holds them to the same
  cells, rows, headers and validated cohort.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mscreport.core.errors import InputError, Problem
from mscreport.inputs.date_formats import to_iso_dates
from mscreport.inputs.header_words import match_by_words
from mscreport.inputs.hidden_characters import find_refused, may_hold
from mscreport.inputs.missing_tokens import blank_missing_tokens
from mscreport.inputs.published_kind import mode_kind
from mscreport.inputs.value_map import apply_value_map
from mscreport.inputs.xlsx_reader import formula_problems, sheet_records

MAX_FILE_BYTES = 1 << 30  # 1 GiB: far above any one-row-per-patient cohort
MAX_HEADER_CHARS = 4 << 20  # 4 Mi characters in the CSV header line (about 300,000 column names)
MAX_PER_COLUMN = 20  # problems listed per column before summarising the rest
WIDE_COLUMNS = 1000  # CSV files with more columns are read by csv.reader into one block (linear, no per-column cost)
_ZIP, _PARQUET, _OLE = b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

WHAT_TO_SAVE = "save the cohort as CSV, XLSX or Parquet"


@dataclass(frozen=True)
class RawTable:
    """A cohort file as read: text cells (Parquet: as stored), before any check of their meaning.

    ``frame``: columns named by ``normalise_column`` (or by the column mapping), index ``row``
    = 1-based data rows. ``headers``: column name -> the header as written in the file.
    ``header_row``: spreadsheet row of the header (1-based; None for Parquet, which has none).
    ``sha256``: fingerprint of the bytes read.
    """

    path: str
    frame: pd.DataFrame = field(repr=False)
    sha256: str
    header_row: int | None
    headers: dict = field(repr=False, default_factory=dict)
    notes: tuple = ()  # Problems of reading that change nothing analysed (headers matched by their words, ...)

    def spreadsheet_row(self, row: int) -> int | None:
        """The spreadsheet row of a 1-based data row (None for Parquet)."""
        return None if self.header_row is None else self.header_row + int(row)

    def header_of(self, column: str) -> str:
        """The user's own header of a column (the column name itself when not known)."""
        return self.headers.get(column, column)


def _fail(name: str, message: str, row: int | None = None, column: str | None = None) -> InputError:
    return InputError([Problem(name, row, column, message)])


def limited(problems: list[Problem], name: str, column: str | None) -> list[Problem]:
    """At most ``MAX_PER_COLUMN`` problems, then one line counting the rest."""
    if len(problems) <= MAX_PER_COLUMN:
        return problems
    rest = len(problems) - MAX_PER_COLUMN
    where = "in this column" if column else "like these"
    return problems[:MAX_PER_COLUMN] + [Problem(name, None, column, f"... and {rest} more rows with problems {where}")]


def file_kind(path: Path, head: bytes) -> str:
    """'csv', 'xlsx', 'xls' or 'parquet': from the first bytes when they say, else the suffix."""
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_PARQUET):
        return "parquet"
    if head.startswith(_OLE):
        return "xls"
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".xls":
        return "xls"
    return "csv"


def normalise_column(name) -> str:
    """Trimmed, lower case, runs of spaces/hyphens to one underscore."""
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip()).lower()


def read_file_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file; InputError (naming the path) for anything else.

    The file is opened non-blocking and checked with ``fstat`` before reading, so a FIFO
    or a device is refused at once and a file swapped for one after a check cannot hang.
    """
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _fail(name, "file not found: check the path") from None
    except IsADirectoryError:
        raise _fail(name, "this is a folder, not a cohort file: give the path of a CSV, XLSX or Parquet file") from None
    except OSError as exc:
        raise _fail(name, f"cannot open the file ({exc.strerror or exc}): check the path and its permissions") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _fail(name, "this is a folder, not a cohort file: give the path of a CSV, XLSX or Parquet file")
        if not stat.S_ISREG(mode):
            raise _fail(name, f"{mode_kind(mode)}, not a regular file: give the path of a CSV, XLSX or Parquet "
                              "file saved on disk")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:  # read(1 GiB) would allocate 1 GiB first: the size it has
            first = fh.read(min(os.fstat(fd).st_size, MAX_FILE_BYTES) + 1)
            pieces, size = [first], len(first)
            while size <= MAX_FILE_BYTES and (piece := fh.read(min(8 << 20, MAX_FILE_BYTES + 1 - size))):
                pieces.append(piece)
                size += len(piece)
            data = b"".join(pieces)
    except OSError as exc:
        raise _fail(name, f"cannot read the file ({exc.strerror or exc}): check the path and its permissions") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise _fail(name, f"file larger than {MAX_FILE_BYTES >> 30} GiB: not a one-row-per-patient cohort file")
    return data


def read_table(path: str | Path, columns=None) -> pd.DataFrame:
    """Read a cohort file into a DataFrame (see ``read_cohort_file``; only the table)."""
    return read_cohort_file(path, columns).frame


def read_cohort_file(path: str | Path, columns=None) -> RawTable:
    """Read a cohort file: CSV and XLSX as text cells, Parquet as stored.

    ``columns``: an optional ``column_map.ColumnMap`` renaming the user's headers to
    dictionary columns. Raises InputError for a missing, non-regular, empty, binary or
    malformed file, for a mapping that names no column of the file, and for a column named
    twice.
    """
    name = str(path)
    p = Path(path)
    data = read_file_bytes(p)
    if not data[:1 << 16].strip() and not data.strip():  # the whole file stripped (a copy) only when its start is blank
        raise _fail(name, "file is empty: expected a header row and one row per patient")
    kind = file_kind(p, data[:16])
    if kind == "xls":
        raise _fail(name, "old Excel format (.xls) or a password-protected workbook: "
                          "save it as .xlsx (without a password) or as CSV")
    if kind == "xlsx" and not data.startswith(_ZIP):
        raise _fail(name, f"named {p.suffix} but it is not an Excel workbook: "
                          "if it is a CSV file, rename it to .csv; otherwise " + WHAT_TO_SAVE)
    if kind == "parquet" and not data.startswith(_PARQUET):
        raise _fail(name, f"named {p.suffix} but it is not a Parquet file: "
                          "if it is a CSV file, rename it to .csv; otherwise " + WHAT_TO_SAVE)
    sha256 = hashlib.sha256(data).hexdigest()
    search_refused = kind != "csv" or may_hold(data)  # NUL or a text-direction control: searched cell by cell
    if kind == "xlsx":
        frame = _read_xlsx(data, name)
    elif kind == "parquet":
        frame = _read_parquet(data, name)
    else:
        frame = _read_csv(data, name)
    del data  # the bytes are no longer needed: not held while the table is checked
    if len(frame) == 0:
        raise _fail(name, "header only: the file has no data rows")
    header_row = frame.attrs.get("header_row")
    headers = list(frame.attrs.get("headers", list(frame.columns)))
    if search_refused:
        refused = find_refused(frame, headers, name, limited)
        if refused:
            raise InputError(refused)
    names = [str(c) for c in frame.columns]
    if columns is not None:
        names, problems = columns.apply(names, headers, name)
        if problems:
            raise InputError(problems)
    names, notes = match_by_words(names, headers, name)  # "Follow-up date" -> followup_date
    if names != [str(c) for c in frame.columns]:
        frame = frame.set_axis(names, axis=1)
    _check_unique_columns(names, headers, name)
    frame.attrs = {}
    frame, cell_notes = cells_as_meant(frame, name, columns)
    return RawTable(path=name, frame=frame, sha256=sha256, header_row=header_row,
                    headers=dict(zip(names, headers)), notes=tuple(notes + cell_notes))


def cells_as_meant(frame: pd.DataFrame, name: str, columns=None) -> tuple[pd.DataFrame, list[Problem]]:
    """The cells as the export meant them, before any check: the missing-value tokens as empty
    cells (``missing_tokens``), the user's value mapping applied (``value_map``), dates written
    in the user's ``date_format`` as ISO text (``date_formats``). Returns (frame, notes);
    InputError for a mapping naming no column or a date not in the format given."""
    frame = blank_missing_tokens(frame, arrow_text_chunks)
    if columns is None:
        return frame, []
    frame, problems, notes = apply_value_map(frame, getattr(columns, "values", {}), name)
    if not problems:
        frame, problems = to_iso_dates(frame, getattr(columns, "date_format", "ISO"), name, limited)
    if problems:
        raise InputError(problems)
    return frame, notes


def _check_unique_columns(names: list[str], headers: list[str], name: str) -> None:
    """InputError naming every column that appears more than once (linear in the number of columns)."""
    positions: dict[str, list[int]] = {}
    for j, c in enumerate(names):
        positions.setdefault(c, []).append(j)
    dupes = sorted(c for c, where in positions.items() if len(where) > 1)
    if dupes:
        def written(c: str) -> str:
            shown = [repr(headers[j]) for j in positions[c][:3]]
            return " and ".join(shown) + (" ..." if len(positions[c]) > 3 else "")
        raise InputError([Problem(name, None, c, f"column appears more than once in the header ({written(c)}): keep one")
                          for c in dupes])


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow's own errors
        raise _fail(name, f"cannot read this file as Parquet ({_short(exc)}): {WHAT_TO_SAVE}") from None
    if frame.shape[1] == 0:
        raise _fail(name, "the Parquet file has no columns: " + WHAT_TO_SAVE)
    frame = frame.reset_index(drop=True)
    headers = [str(c).strip() for c in frame.columns]
    frame.columns = [normalise_column(c) for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    frame.attrs = {"headers": headers, "header_row": None}
    return frame


def _cell_text(v) -> str:
    """An Excel cell as text (as it would read in a CSV file)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):  # a date cell: ISO, without a midnight time
        text = v.isoformat()
        return text[:10] if text[10:] in ("", "T00:00:00") else text
    return str(v).strip()


def _read_xlsx(data: bytes, name: str) -> pd.DataFrame:
    """The first sheet, read within the limits of ``xlsx_reader`` (checked before the sheet is
    parsed); a formula cell without a stored value is an error naming the cell."""
    records, formulas = sheet_records(data, name, _cell_text)
    frame = _table_from_records(records, name, sep=None)
    if formulas:
        header_row = frame.attrs["header_row"]
        header = [str(c).strip() for c in records[header_row - 1]]
        columns = [normalise_column(h) if h else f"unnamed_{j + 1}" for j, h in enumerate(header)]
        raise InputError(limited(formula_problems(formulas, header_row, columns, name), name, None))
    return frame


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _fail(name, "cannot decode this UTF-16 text file: save it as UTF-8 CSV") from None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):  # latin-1 never fails
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if looks_binary(text[:65536]):
        raise _fail(name, "not a table (binary content): " + WHAT_TO_SAVE)
    return text


def looks_binary(sample: str) -> bool:
    """The binary-content rule, once: more control characters (other than tab, CR, LF and form
    feed) than 2 or 1 % of ``sample`` (the file's first 65,536 characters)."""
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls > max(2, len(sample) // 100)


def choose_separator(header: str) -> str:
    """The separator rule, once: whichever of ',', ';' and tab the header line has most of
    (',' on a tie and when it has none)."""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else ","


def _first_line(text: str, name: str) -> str:
    """The first line with a non-space character (``text.splitlines()`` without splitting all of a
    large file: growing prefixes until the line found is known to be whole). InputError when it
    is longer than ``MAX_HEADER_CHARS``."""
    size = 1 << 16
    while True:
        whole = size >= len(text)
        lines = text[:size].splitlines()
        for i, line in enumerate(lines):
            if line.strip():
                if whole or i < len(lines) - 1:
                    if len(line) > MAX_HEADER_CHARS:
                        break
                    return line
                break
        else:
            if whole:
                return ""
        if size > MAX_HEADER_CHARS:
            raise _fail(name, f"the header row is longer than {MAX_HEADER_CHARS >> 20} Mi characters: "
                              "not a cohort file (one row of column names, then one row per patient)")
        size *= 4


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    frame = read_arrow_csv(data)
    if frame is not None:
        return frame
    text = _decode(data, name)
    sep = choose_separator(_first_line(text, name))
    frame = _read_plain_csv(text, sep)
    if frame is not None:
        return frame
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=False))
    except csv.Error as exc:
        raise _fail(name, f"cannot read this file as CSV ({_short(exc)}): is a quote (\") left open? "
                          "Open the file in a spreadsheet program and save it again") from None
    return _table_from_records(records, name, sep=sep)


def _read_plain_csv(text: str, sep: str) -> pd.DataFrame | None:
    """The common case read by pandas' C parser, giving the table ``_table_from_records``
    would build from ``csv.reader``'s records; None (use the general reader, which also words
    the problems) unless the file is plain: no quote, NUL, BOM or bare CR, a non-blank header
    on the first line and no row wider than it."""
    if '"' in text or "\x00" in text or text.startswith("\ufeff") or text.count("\r") != text.count("\r\n"):
        return None
    if text.count(sep, 0, text.find("\n")) >= WIDE_COLUMNS:  # wide: pandas' per-column cost; one 2-D block instead
        return None
    try:
        raw = pd.read_csv(io.BytesIO(text.encode("utf-8")), encoding="utf-8", sep=sep, header=None, dtype=object,
                          na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_NONE, index_col=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    return _plain_table(raw)


# the characters of Python's str.isspace (a test checks the list), as a class of RE2, pyarrow's regular expressions
SPACE_CODEPOINTS = (9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288)
_SPACE_CLASS = "".join(f"\\x{{{i:x}}}" for i in SPACE_CODEPOINTS)
_BLANK_CELL = f"^[{_SPACE_CLASS}]*$"


def printable(codes: np.ndarray) -> np.ndarray:
    """Which UTF-8 bytes are printable ASCII other than space (0x21-0x7E): a cell starting or
    ending with one has text that no strip removes, and an id made only of them folds by ASCII."""
    return (codes >= 0x21) & (codes <= 0x7E)


def arrow_text_chunks(cells: pd.Series) -> list | None:
    """An Arrow-backed text column without nulls as its chunks, each (chunk, offsets, bytes):
    numpy views of pyarrow's buffers (cell i of the chunk is ``bytes[offsets[i]:offsets[i + 1]]``),
    for tests on the bytes without a Python string per cell; None for any other column."""
    import pyarrow as pa

    if not isinstance(cells.array, pd.arrays.ArrowStringArray):
        return None
    column = pa.array(cells.array)
    column = pa.chunked_array([column]) if isinstance(column, pa.Array) else column
    if column.null_count or not pa.types.is_large_string(column.type):
        return None
    out = []
    for chunk in column.chunks:
        _, offsets, data = chunk.buffers()
        offsets = np.frombuffer(offsets, dtype=np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
        out.append((chunk, offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)))
    return out


def _has_text(cells: pd.Series) -> np.ndarray:
    """cell.strip() != "" for each cell, without a Python string per cell (text cells: object
    or pyarrow-backed)."""
    if isinstance(cells.array, pd.arrays.ArrowStringArray):
        import pyarrow as pa
        import pyarrow.compute as pc

        chunks = arrow_text_chunks(cells)
        if chunks is None:
            return pc.invert(pc.match_substring_regex(pa.array(cells.array), _BLANK_CELL)).to_numpy(zero_copy_only=False)
        out = []
        for chunk, offsets, data in chunks:  # a cell starting with printable ASCII other than space has text, surely
            first = data[np.minimum(offsets[:-1], max(len(data) - 1, 0))] if len(data) else np.zeros(len(chunk), np.uint8)
            text = (np.diff(offsets) > 0) & printable(first)
            rest = np.flatnonzero(~text)  # empty, or starting otherwise: the expression decides
            if len(rest):
                blank = pc.match_substring_regex(chunk.take(pa.array(rest)), _BLANK_CELL).to_numpy(zero_copy_only=False)
                text[rest] = ~blank
            out.append(text)
        return np.concatenate(out) if out else np.zeros(0, bool)
    return ((cells != "") & ~cells.str.isspace()).to_numpy(dtype=bool)


def _plain_table(raw: pd.DataFrame) -> pd.DataFrame | None:
    """The table of a plain CSV file read record by record into ``raw`` (text cells, header
    included, blank records kept): what ``_table_from_records`` builds from the same records;
    None when the first record is blank (the general reader finds the header)."""
    if raw.shape[0] == 0 or raw.shape[1] == 0:
        return None
    # blank record: no cell with a non-space character; tested column by column, only on rows still blank
    blank = np.ones(len(raw), dtype=bool)
    for j in range(raw.shape[1]):
        idx = np.flatnonzero(blank)
        if not len(idx):
            break
        column = raw.iloc[:, j]
        blank[idx[_has_text(column if len(idx) == len(raw) else column.iloc[idx])]] = False
    if blank[0]:
        return None
    header = [str(c).strip() for c in raw.iloc[0]]
    columns = [normalise_column(h) if h else f"unnamed_{j + 1}" for j, h in enumerate(header)]
    keep = np.flatnonzero(~blank[1:]) + 1  # positions of the data records in raw
    frame = raw.iloc[1:] if len(keep) == len(raw) - 1 else raw.iloc[keep]
    frame = frame.set_axis(columns, axis=1)
    # a column without a name and without any value (trailing separators, formatted Excel cells) is no column
    unnamed = [j for j, h in enumerate(header) if not h]
    drop = [j for j in unnamed if not _has_text(frame.iloc[:, j]).any()]
    if drop:
        kept = np.setdiff1d(np.arange(len(columns)), drop)
        frame = frame.iloc[:, kept]
        header = [header[j] for j in kept]
    frame.index = pd.Index(keep.astype("int64"), dtype="int64", name="row")  # 1-based data rows after the header
    frame.attrs = {"headers": [h or c for h, c in zip(header, frame.columns)], "header_row": 1}
    return frame


ARROW_BLOCK_BYTES = (1 << 20, 16 << 20)  # pyarrow's CSV block, from 1 MiB (small files) to 16 MiB (fewer chunks)


def read_arrow_csv(data: bytes) -> pd.DataFrame | None:
    """A plain UTF-8 CSV file read by pyarrow's CSV reader straight from its bytes into
    pyarrow-backed text columns (``string`` dtype: what ``.astype("string")`` makes of the
    general path's cells), no Python string per cell: the same cells, rows, headers and
    columns as ``_read_plain_csv`` (see ``_plain_table``). None (the general path then reads,
    decodes and words the problems exactly as before) unless the file is plain: UTF-8 without
    BOM, no NUL, quote or bare CR, no binary content, a header on the first line naming fewer
    than ``WIDE_COLUMNS`` columns, every row exactly as wide as the header (so no blank line
    between rows of a file of several columns)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) or b"\x00" in data or b'"' in data:
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):  # a bare CR
        return None
    # _decode's test for binary content, on the same first 65,536 characters
    sample = data[:1 << 18].decode("utf-8", errors="ignore")[:1 << 16]  # exact when the file is UTF-8 (checked below)
    if looks_binary(sample):
        return None
    end = data.find(b"\n")
    try:
        line = (data if end < 0 else data[:end]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    line = line[:-1] if line.endswith("\r") else line
    if not line.strip() or len(line) > MAX_HEADER_CHARS or line.splitlines() != [line]:
        return None  # _first_line would find another first line
    sep = choose_separator(line)
    width = line.count(sep) + 1
    if width > WIDE_COLUMNS:
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    block = min(max(len(data) // 32, ARROW_BLOCK_BYTES[0]), ARROW_BLOCK_BYTES[1])  # a longer row: the general path
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=block),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, escape_char=False, double_quote=False,
                                             newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={f"f{j}": pa.large_string() for j in range(width)},
                                                 null_values=[], strings_can_be_null=False, check_utf8=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError):
        return None  # a ragged row, invalid UTF-8, ...
    if table.num_columns != width:
        return None
    raw = pd.DataFrame({j: pd.arrays.ArrowStringArray(table.column(j)) for j in range(width)}, copy=False)
    del table
    return _plain_table(raw)


def _too_many_fields(saw: int, expected: int, line: list[str], sep: str) -> str:
    head = f"row has too many fields ({saw}; the header has {expected})"
    if sep == ",":
        joined = ",".join(line)
        if re.search(r"\d,\d", joined):
            return (head + ": a decimal comma such as 7,5? Write 7.5, quote it as \"7,5\", "
                           "or save the file with ';' as separator")
        return head + ": a value containing ',' must be quoted"
    shown = "tab" if sep == "\t" else f"'{sep}'"
    return head + f": is there a stray {shown} inside a value?"


def _table_from_records(records: list[list[str]], name: str, sep: str | None) -> pd.DataFrame:
    """Header = first non-blank record; data rows numbered from 1 after it, blank rows skipped.

    ``sep`` is the CSV separator (None for a spreadsheet, where cells beyond the header are
    merely unnamed columns rather than a malformed row).
    """
    def blank(rec):
        return not any(str(c).strip() for c in rec)

    start = next((i for i, rec in enumerate(records) if not blank(rec)), None)
    if start is None:
        raise _fail(name, "file is empty: expected a header row and one row per patient")
    header = [str(c).strip() for c in records[start]]
    body = records[start + 1:]
    width = len(header)
    problems: list[Problem] = []
    rows: list[list[str]] = []
    numbers: list[int] = []
    for k, rec in enumerate(body, start=1):
        if blank(rec):
            continue
        cells = [str(c) for c in rec]
        if sep is not None and any("\n" in c and sep in c for c in cells):
            problems.append(Problem(name, k, None, "a quote (\") opened in this row is never closed, so the rest of "
                                                   "the file reads as one value: close or remove it"))
            break
        if len(cells) > width:
            extra = cells[width:]
            if any(c.strip() for c in extra):
                if sep is not None:
                    problems.append(Problem(name, k, None, _too_many_fields(len(cells), width, cells, sep)))
                    continue
                header += [""] * (len(cells) - len(header))
                width = len(header)
                rows = [r + [""] * (width - len(r)) for r in rows]
            else:
                cells = cells[:width]
        rows.append(cells + [""] * (width - len(cells)))
        numbers.append(k)
    if problems:
        raise InputError(limited(problems, name, None))
    columns = [normalise_column(h) if h else f"unnamed_{j + 1}" for j, h in enumerate(header)]
    block = np.empty((len(rows), width), dtype=object)  # one 2-D block: no per-column cost for wide files
    if rows:
        block[:] = rows
    frame = pd.DataFrame(block, columns=columns, dtype=object, copy=False)
    # a column without a name and without any value (trailing separators, formatted Excel cells) is no column
    drop = [j for j, h in enumerate(header) if not h and not any(r[j].strip() for r in rows)]
    if drop:
        kept = np.setdiff1d(np.arange(len(columns)), drop)
        frame = frame.iloc[:, kept]
        header = [header[j] for j in kept]
    frame.index = pd.Index(numbers, dtype="int64", name="row")
    frame.attrs = {"headers": [h or c for h, c in zip(header, frame.columns)], "header_row": start + 1}
    return frame
