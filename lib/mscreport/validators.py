"""Reading a cohort file and checking it against the data dictionary.

Everything that can go wrong with an input becomes a ``Problem`` (``FILE:ROW:COLUMN: message``)
collected into one ``InputError``; nothing here lets a traceback reach the user. Rows that are
valid but cannot enter the analysis (no follow-up HbA1c, baseline below ``moderate_min``) are
not problems but exclusions, each with its row and reason.

Row numbers: ROW is the 1-based data row, the header not counted, i.e. the spreadsheet row
minus the header's. Blank rows are skipped but keep their place in the numbering, so a ROW
always points at the line a user sees. ``read_table`` returns the row numbers as the frame's
index (named ``row``).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import dictionary as dd
from .errors import InputError, Problem
from .units import UNIT_LABELS, to_ngsp

MAX_PER_COLUMN = 20  # problems listed per column before summarising the rest
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$")
_NUMBER_WITH_TEXT = re.compile(r"^\s*[+-]?[\d.,]+(?:[eE][+-]?\d+)?\s*[%A-Za-z\u00b5].*$")
_MISSING_MARKERS = {"na", "n/a", "nan", "null", "none", "-", "--", ".", "?", "missing", "nd", "n.d."}
_ZIP, _PARQUET, _OLE = b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

REASON_NO_FOLLOWUP = "no follow-up HbA1c (hba1c_followup empty)"
REASON_BELOW_MIN = "baseline HbA1c below moderate_min ({:g} %)"

WHAT_TO_SAVE = "save the cohort as CSV, XLSX or Parquet"


def _fail(name: str, message: str, row: int | None = None, column: str | None = None) -> InputError:
    return InputError([Problem(name, row, column, message)])


def fmt_number(x: float) -> str:
    """A number for a message: 7.5, 58, 1.5e9 (never 1.5e+09)."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        mantissa, exponent = f"{x:.6e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{x:.6g}"


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


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a cohort file into a DataFrame (CSV and XLSX: text cells; Parquet: as stored).

    Column names are normalised (``normalise_column``); the index, named ``row``, holds the
    1-based data row numbers. Raises InputError for a missing, empty, binary or malformed file.
    """
    name = str(path)
    p = Path(path)
    try:
        if not p.exists():
            raise _fail(name, "file not found: check the path")
        if p.is_dir():
            raise _fail(name, "this is a folder, not a cohort file: give the path of a CSV, XLSX or Parquet file")
        data = p.read_bytes()
    except OSError as exc:
        raise _fail(name, f"cannot open the file ({exc.strerror or exc}): check the path and its permissions") from None
    if not data.strip():
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
    if kind == "xlsx":
        frame = _read_xlsx(p, name)
    elif kind == "parquet":
        frame = _read_parquet(p, name)
    else:
        frame = _read_csv(data, name)
    if len(frame) == 0:
        raise _fail(name, "header only: the file has no data rows")
    names = list(frame.columns)
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise InputError([Problem(name, None, c, "column appears more than once in the header: keep one")
                          for c in dupes])
    return frame


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _read_parquet(p: Path, name: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # pyarrow's own errors
        raise _fail(name, f"cannot read this file as Parquet ({_short(exc)}): {WHAT_TO_SAVE}") from None
    if frame.shape[1] == 0:
        raise _fail(name, "the Parquet file has no columns: " + WHAT_TO_SAVE)
    frame = frame.reset_index(drop=True)
    frame.columns = [normalise_column(c) for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return frame


def _cell_text(v) -> str:
    """An Excel cell as text (as it would read in a CSV file)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v).strip()


def _read_xlsx(p: Path, name: str) -> pd.DataFrame:
    try:
        raw = pd.read_excel(p, sheet_name=0, header=None, dtype=object)
    except Exception as exc:  # openpyxl / zipfile errors
        raise _fail(name, f"cannot read this file as an Excel workbook ({_short(exc)}): {WHAT_TO_SAVE}") from None
    records = [[_cell_text(v) for v in row] for row in raw.itertuples(index=False, name=None)]
    return _table_from_records(records, name, sep=None)


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _fail(name, "cannot decode this UTF-16 text file: save it as UTF-8 CSV") from None
    if b"\x00" in data[:65536]:
        raise _fail(name, "not a table (binary content): " + WHAT_TO_SAVE)
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):  # latin-1 never fails
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(2, len(sample) // 100):
        raise _fail(name, "not a table (binary content): " + WHAT_TO_SAVE)
    return text


def _first_line(text: str) -> str:
    """The first line with a non-space character (``text.splitlines()`` without splitting all of a
    large file: growing prefixes until the line found is known to be whole)."""
    size = 1 << 16
    while True:
        whole = size >= len(text)
        lines = text[:size].splitlines()
        for i, line in enumerate(lines):
            if line.strip():
                if whole or i < len(lines) - 1:
                    return line
                break
        else:
            if whole:
                return ""
        size *= 4


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    text = _decode(data, name)
    first_line = _first_line(text)
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=counts.get)
    if counts[sep] == 0:
        sep = ","
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
    try:
        raw = pd.read_csv(io.BytesIO(text.encode("utf-8")), encoding="utf-8", sep=sep, header=None, dtype=object,
                          na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_NONE, index_col=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    if raw.shape[0] == 0 or raw.shape[1] == 0:
        return None

    def has_text(cells: pd.Series) -> np.ndarray:  # cell.strip() != "", without new strings
        return ((cells != "") & ~cells.str.isspace()).to_numpy(dtype=bool)

    # blank record: no cell with a non-space character; tested column by column, only on rows still blank
    blank = np.ones(len(raw), dtype=bool)
    for j in range(raw.shape[1]):
        idx = np.flatnonzero(blank)
        if not len(idx):
            break
        blank[idx[has_text(raw.iloc[idx, j])]] = False
    if blank[0]:
        return None
    header = [str(c).strip() for c in raw.iloc[0]]
    columns = [normalise_column(h) if h else f"unnamed_{j + 1}" for j, h in enumerate(header)]
    keep = np.flatnonzero(~blank[1:]) + 1  # positions of the data records in raw
    frame = raw.iloc[1:] if len(keep) == len(raw) - 1 else raw.iloc[keep]
    frame = frame.set_axis(columns, axis=1)
    # a column without a name and without any value (trailing separators, formatted Excel cells) is no column
    empty_unnamed = [c for j, c in enumerate(columns) if not header[j] and not has_text(frame.iloc[:, j]).any()]
    frame = frame.drop(columns=empty_unnamed)
    frame.index = pd.Index(keep.astype("int64"), dtype="int64", name="row")  # 1-based data rows after the header
    return frame


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
        raise InputError(_limited(problems, name, None))
    columns = [normalise_column(h) if h else f"unnamed_{j + 1}" for j, h in enumerate(header)]
    frame = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns, dtype=object)
    # a column without a name and without any value (trailing separators, formatted Excel cells) is no column
    empty_unnamed = [c for j, c in enumerate(columns) if not header[j] and not any(r[j].strip() for r in rows)]
    frame = frame.drop(columns=empty_unnamed)
    frame.index = pd.Index(numbers, dtype="int64", name="row")
    return frame


def _limited(problems: list[Problem], name: str, column: str | None) -> list[Problem]:
    if len(problems) <= MAX_PER_COLUMN:
        return problems
    rest = len(problems) - MAX_PER_COLUMN
    where = "in this column" if column else "like these"
    return problems[:MAX_PER_COLUMN] + [Problem(name, None, column, f"... and {rest} more rows with problems {where}")]


def _number_hint(cell: str) -> str:
    low = cell.strip().lower()
    if low in _MISSING_MARKERS:
        return ": leave the cell empty when the value is missing"
    if _NUMBER_WITH_TEXT.match(cell):
        return ": write the number alone, without a unit or note"
    return ""


def parse_numbers(series: pd.Series, name: str, column: str,
                  rows: np.ndarray | None = None) -> tuple[pd.Series, list[Problem]]:
    """Cells -> floats (NaN for empty). Accepts decimal commas. Problems for non-numbers.

    ``rows`` are the data-row numbers of the cells (default 1..n).
    """
    rows = np.arange(1, len(series) + 1) if rows is None else np.asarray(rows)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype("float64").reset_index(drop=True)
        bad = np.isinf(values.to_numpy())
        problems = [Problem(name, int(rows[i]), column, f"not a number: {values.iloc[i]!r}") for i in np.flatnonzero(bad)]
        values[bad] = np.nan
        return values, _limited(problems, name, column)
    text = series.astype("string").fillna("").str.strip().reset_index(drop=True)
    # the decimal-comma pattern tried only on the cells that contain a comma
    comma = text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    if comma.any():
        at = np.flatnonzero(comma)
        comma[at] = text.iloc[at].str.match(_DECIMAL_COMMA.pattern).fillna(False).to_numpy(dtype=bool)
    if comma.any():
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
    values = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")
    empty = (text == "").to_numpy(dtype=bool)
    bad = (~empty & values.isna().to_numpy()) | np.isinf(values.to_numpy())
    original = series.astype("string").fillna("").reset_index(drop=True) if bad.any() else None
    problems = [Problem(name, int(rows[i]), column,
                        f"not a number: {original.iloc[i].strip()!r}{_number_hint(original.iloc[i])}")
                for i in np.flatnonzero(bad)]
    values[bad] = np.nan
    return values, _limited(problems, name, column)


def _hba1c_hint(unit: str):
    def hint(x: float) -> str:
        if unit == "percent" and 20 < x <= 200:
            return "; it looks like mmol/mol: rerun with -p hba1c_unit=mmol_mol"
        if unit == "mmol_mol" and 3 <= x <= 20:
            return "; it looks like %: rerun with -p hba1c_unit=percent (the default)"
        return ""
    return hint


def _dose_small(x: float) -> str:
    if x < 100:  # 1.5 -> meant 1.5 billion
        example = f"{fmt_number(x * 1e9)} for {fmt_number(x)} billion"
    else:  # 150 -> meant 150 million
        example = f"{fmt_number(x * 1e6)} for {fmt_number(x)} million"
    return (f"dose {fmt_number(x)} is too small for a number of cells: give the total number of cells, "
            f"not millions or billions (e.g. {example})")


OPTIONAL_COLUMNS = frozenset(c.name for c in dd.COLUMNS if c.requirement == dd.OPTIONAL)


def check_frame(frame: pd.DataFrame, name: str, params: dict
                ) -> tuple[pd.DataFrame, list[tuple[int, str]], list[Problem], list[Problem]]:
    """Check a table read by ``read_table``.

    Returns (rows analysed with NGSP % HbA1c and derived columns, exclusions as (row, reason),
    problems, notes). A bad value in an optional (descriptive) column does not stop the
    analysis: the cell is treated as missing and reported as a note. The analysed frame keeps ``row``, the 1-based data row of the file (taken from
    the index when it is named ``row``, as ``read_table`` returns it; else 1..n).
    """
    problems: list[Problem] = []
    missing = [c for c in dd.REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        names = [str(c) for c in frame.columns]
        have = ", ".join(names[:15]) + (" ..." if len(names) > 15 else "")
        if not any(c in frame.columns for c in dd.REQUIRED_COLUMNS):
            return pd.DataFrame(), [], [Problem(
                name, None, None, "none of the required columns (" + ", ".join(dd.REQUIRED_COLUMNS) + ") found: "
                f"the first row must name the columns (it reads: {have})")], []
        out = []
        for c in missing:
            close = difflib.get_close_matches(c, [n for n in names if n not in dd.COLUMNS_BY_NAME], n=1, cutoff=0.75)
            hint = f"; is '{close[0]}' meant to be {c}? Rename it" if close else ""
            out.append(Problem(name, None, c, f"required column missing (the file has: {have}){hint}"))
        return pd.DataFrame(), [], out, []
    n = len(frame)
    rows = (frame.index.to_numpy(dtype="int64") if frame.index.name == "row"
            else np.arange(1, n + 1, dtype="int64"))
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"row": rows})
    unit = params["hba1c_unit"]

    def located(mask: np.ndarray, column: str, message) -> list[Problem]:
        """One Problem per true position; message(i) -> text."""
        return _limited([Problem(name, int(rows[i]), column, message(i)) for i in np.flatnonzero(mask)], name, column)

    def text_of(column: str) -> pd.Series:
        return frame[column].astype("string").fillna("").str.strip()

    ids = text_of("patient_id")
    empty = (ids == "").to_numpy(dtype=bool)
    problems += located(empty, "patient_id", lambda i: "empty patient_id: every row needs a study pseudonym")
    dup = ids.duplicated(keep="first").to_numpy() & ~empty
    if dup.any():
        first_row: dict[str, int] = {}
        for i, pid in enumerate(ids.to_numpy()):
            first_row.setdefault(pid, int(rows[i]))
        problems += located(dup, "patient_id", lambda i: f"duplicate patient_id (same as row {first_row[ids.iloc[i]]}): "
                                                         "pseudonyms must be unique")
    out["patient_id"] = ids

    lo, hi = dd.HBA1C_RANGE[unit]
    label = UNIT_LABELS[unit]
    hint = _hba1c_hint(unit)
    for column in ("hba1c_baseline", "hba1c_followup"):
        values, probs = parse_numbers(frame[column], name, column, rows)
        problems += probs
        v = values.to_numpy()
        outside = ~np.isnan(v) & ((v < lo) | (v > hi))
        problems += located(outside, column, lambda i: f"HbA1c {fmt_number(v[i])} is outside the plausible range "
                                                       f"{lo:g}-{hi:g} {label}{hint(v[i])}")
        out[column] = to_ngsp(values.where((values >= lo) & (values <= hi)), unit)
    no_baseline = (text_of("hba1c_baseline") == "").to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(frame["hba1c_baseline"]):
        no_baseline = frame["hba1c_baseline"].isna().to_numpy(dtype=bool)
    problems += located(no_baseline, "hba1c_baseline", lambda i: "baseline HbA1c is empty: it is required for every patient")

    for col in dd.COLUMNS:
        if col.requirement == dd.REQUIRED or col.name not in frame.columns:
            continue
        if col.kind == "number":
            values, probs = parse_numbers(frame[col.name], name, col.name, rows)
            problems += probs
            v = values.to_numpy()
            present = ~np.isnan(v)
            unit_text = "" if col.unit in ("-",) else f" {col.unit}"
            if col.name == "dose_cells":
                nonpos = present & (v <= 0)
                problems += located(nonpos, col.name,
                                    lambda i: f"dose must be a positive number of cells, got {fmt_number(v[i])}")
                small = present & (v > 0) & (v < col.low)
                problems += located(small, col.name, lambda i: _dose_small(v[i]))
                outside = present & (v > col.high)
            elif col.name == "followup_months":
                neg = present & (v < 0)
                problems += located(neg, col.name, lambda i: f"negative follow-up ({fmt_number(v[i])} months): give the "
                                                             "months from the infusion to the follow-up HbA1c")
                outside = present & (v > col.high)
            else:
                outside = present & ((v < col.low) | (v > col.high))
            label_of = {"dose_cells": "dose", "followup_months": "follow-up"}.get(col.name, col.name)
            problems += located(outside, col.name,
                                lambda i: f"{label_of} {fmt_number(v[i])} is outside the plausible range "
                                          f"{fmt_number(col.low)}-{fmt_number(col.high)}{unit_text}")
            out[col.name] = values.where((values >= col.low) & (values <= col.high))
        elif col.kind in ("category", "yesno"):
            aliases = dd.YES_NO_ALIASES if col.kind == "yesno" else dd.CATEGORY_ALIASES[col.name]
            raw = frame[col.name].astype("string").fillna("").reset_index(drop=True)
            codes, distinct = pd.factorize(raw)  # each distinct cell text looked up once, not once per row
            keys = [re.sub(r"[\s\-]+", " ", str(c).strip().lower()) for c in distinct]
            mapped = np.empty(len(keys), dtype=object)
            mapped[:] = [aliases.get(k, aliases.get(k.replace(" ", "_"))) if k else None for k in keys]
            unknown = np.array([bool(k) and m is None for k, m in zip(keys, mapped)], dtype=bool)
            bad = unknown[codes] if len(keys) else np.zeros(len(raw), dtype=bool)
            problems += located(bad, col.name, lambda i: f"unknown value {raw.iloc[i].strip()!r}: allowed are {col.allowed}")
            # None where empty; plain Python values
            out[col.name] = pd.Series(mapped[codes] if len(keys) else [None] * len(raw), dtype=object)

    notes = [Problem(p.file, p.row, p.column, f"note: {p.message}; treated as missing (optional column)")
             for p in problems if p.column in OPTIONAL_COLUMNS]
    problems = [p for p in problems if p.column not in OPTIONAL_COLUMNS]
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))  # row order; per-column summaries last
        return out.iloc[0:0], [], problems, notes

    excluded: list[tuple[int, str]] = []
    below = (out["hba1c_baseline"] < params["moderate_min"]).to_numpy()
    no_fu = out["hba1c_followup"].isna().to_numpy()
    reason_below = REASON_BELOW_MIN.format(params["moderate_min"])
    for i in np.flatnonzero(below):
        excluded.append((int(rows[i]), reason_below))
    for i in np.flatnonzero(no_fu & ~below):
        excluded.append((int(rows[i]), REASON_NO_FOLLOWUP))
    excluded.sort()
    if len(excluded) == n:
        counts = pd.Series([reason for _, reason in excluded]).value_counts()
        why = "; ".join(f"{k}: {reason}" for reason, k in counts.items())
        return out.iloc[0:0], excluded, [Problem(name, None, None, f"no patient left to analyse: all {n} rows are "
                                                                   f"excluded ({why})")], notes
    analysed = out.loc[~below & ~no_fu].reset_index(drop=True)
    analysed["change"] = analysed["hba1c_followup"] - analysed["hba1c_baseline"]
    analysed["stratum"] = np.where(analysed["hba1c_baseline"] > params["severe_above"], "severe", "moderate")
    if "dose_cells" in analysed:
        dose = analysed["dose_cells"]
        analysed["dose_group"] = np.where(dose.isna(), None, np.where(dose >= params["dose_cutoff"], "high", "low"))
    return analysed, excluded, problems, notes
