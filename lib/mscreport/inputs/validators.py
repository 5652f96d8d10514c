"""Checking a cohort table against the data dictionary.

The file is read by ``inputs/readers.py``; here each cell's meaning is checked, one concern per
function: the columns (``check_columns``, ``unknown_column_notes``), the pseudonyms
(``check_ids``), HbA1c (``check_hba1c``), the study and optional columns (``check_values``),
the follow-up time in any of its forms (``check_followup``), the design columns
(``check_design``), and finally which rows are analysed (``assign_exclusions``) and their
derived columns (``derive_columns``). ``check_frame`` runs them all.

Everything that can go wrong with an input becomes a ``Problem`` (``FILE:ROW:COLUMN: message``)
collected into one ``InputError``; nothing here lets a traceback reach the user. Rows that are
valid but cannot enter the analysis (no baseline or follow-up HbA1c, baseline below
``moderate_min``) are not problems but exclusions, each with its row and reason. Notes
(``FILE:ROW:COLUMN: note: ...``) change nothing that is analysed: unreadable optional cells
(treated as missing), columns the dictionary does not know, pseudonyms that differ only in
case or invisible characters.

Row numbers: ROW is the 1-based data row, the header not counted (the frame's index, named
``row``, as ``readers.read_table`` returns it; else 1..n).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from mscreport.core import dictionary as dd
from mscreport.inputs.column_map import closest, map_hint
from mscreport.core.groups import assign_dose_groups
from mscreport.core.errors import InputError, Problem
from mscreport.inputs.readers import MAX_PER_COLUMN, arrow_text_chunks, limited, printable, read_table  # noqa: F401 (read_table re-exported: other modules import it here)
from mscreport.core.groups import assign_strata, below_inclusion
from mscreport.core.units import UNIT_LABELS, to_ngsp

_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$")
_NUMBER_WITH_TEXT = re.compile(r"^\s*[+-]?[\d.,]+(?:[eE][+-]?\d+)?\s*[%A-Za-z\u00b5].*$")
_MISSING_MARKERS = {"na", "n/a", "nan", "null", "none", "-", "--", ".", "?", "missing", "nd", "n.d."}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# characters that make two pseudonyms look the same: spaces and invisible (format) characters
_INVISIBLE = re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")

REASON_NO_FOLLOWUP = "no follow-up HbA1c (hba1c_followup empty)"
REASON_NO_BASELINE = "no baseline HbA1c (hba1c_baseline empty)"
REASON_NO_HBA1C = "no HbA1c (hba1c_baseline and hba1c_followup empty)"
REASON_BELOW_MIN = "baseline HbA1c below the inclusion threshold ({:g} %)"  # parameter inclusion_min
NOTE_UNKNOWN_COLUMN = "note: column not used by the analysis"
MAX_SUGGESTED = 200  # unknown columns above which no closest dictionary column is suggested

OPTIONAL_COLUMNS = frozenset(c.name for c in dd.COLUMNS if c.requirement == dd.OPTIONAL)


def fmt_number(x: float) -> str:
    """A number for a message: 7.5, 58, 1.5e9 (never 1.5e+09)."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        mantissa, exponent = f"{x:.6e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{x:.6g}"


def _number_hint(cell: str) -> str:
    low = cell.strip().lower()
    if low in _MISSING_MARKERS:
        return ": leave the cell empty when the value is missing"
    if _NUMBER_WITH_TEXT.match(cell):
        return ": write the number alone, without a unit or note"
    return ""


# 7, 7.5, -0.5, .5, 7., 1.5e9, 2E-6 (exponent up to 22 or down to -9); no comma or space
PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE](?:\+?(?:[0-9]|1[0-9]|2[0-2])|-[0-9]))?$"
PLAIN_MAX_CHARS = 15  # so at most 15 digits: the same double from any correct parser (see parse_plain_numbers)


def _all_plain(cells) -> bool:
    """Whether every cell of a pyarrow text column without nulls is empty or ``PLAIN_NUMBER``
    of at most ``PLAIN_MAX_CHARS`` characters."""
    import pyarrow.compute as pc

    plain = pc.and_(pc.match_substring_regex(cells, PLAIN_NUMBER), pc.less_equal(pc.utf8_length(cells), PLAIN_MAX_CHARS))
    return bool(pc.all(pc.or_(pc.equal(cells, ""), plain)).as_py())


def _cast_plain(cells) -> np.ndarray:
    """Plain or empty text cells -> float64 (NaN where empty) by pyarrow's cast."""
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pc.equal(cells, "")
    if pc.any(empty).as_py():
        cells = pc.if_else(empty, pa.scalar(None, pa.string()), cells)
    return pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)  # nulls (empty cells) -> NaN


def _few_distinct(cells) -> bool:
    """Whether a long text column looks like one of few distinct cells (HbA1c to one decimal,
    doses, months): its first 65,536 cells hold fewer than one distinct cell in eight."""
    import pyarrow as pa
    import pyarrow.compute as pc

    first = (cells.chunk(0) if cells.num_chunks else pa.array([], cells.type)) if isinstance(cells, pa.ChunkedArray) else cells
    head = first[:65536]
    return len(cells) > 4096 and len(pc.unique(head)) * 8 < len(head)


def _plain_values(cells) -> np.ndarray | None:
    """The floats of a text column without nulls when every cell is empty or plain (else None).
    A column of few distinct cells is checked and cast one distinct cell at a time (a
    dictionary per chunk, its numbers spread back by index): the same doubles, since the cast
    of a text is one double wherever the text stands."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _few_distinct(cells):
        return _cast_plain(cells) if _all_plain(cells) else None
    parts = []
    for chunk in (cells.chunks if isinstance(cells, pa.ChunkedArray) else [cells]):
        encoded = pc.dictionary_encode(chunk)
        if not _all_plain(encoded.dictionary):
            return None
        parts.append(_cast_plain(encoded.dictionary)[encoded.indices.to_numpy(zero_copy_only=False)])
    return np.concatenate(parts) if parts else np.zeros(0)


def parse_plain_numbers(series: pd.Series) -> np.ndarray | None:
    """Text cells -> floats (NaN for empty) by pyarrow's cast, when every cell is empty or a
    plain decimal (``PLAIN_NUMBER``) of at most ``PLAIN_MAX_CHARS`` characters; else None,
    and ``parse_numbers`` takes its general path (decimal commas, messages for bad cells).

    The same numbers as that path's ``pd.to_numeric``: a decimal of at most 15 digits is an
    integer below 2**53 times or divided by a power of ten up to 1e22 (15 characters leave at
    most 20 decimal places with the exponent), all exact doubles, so both parsers return the
    one correctly rounded product or quotient. The one difference, "-0" (-0.0 here,
    0.0 from pandas when the whole column is integers), also takes the general path."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
        return None
    try:
        if isinstance(series.array, pd.arrays.ArrowStringArray):  # already Arrow text (readers.read_arrow_csv): no copy
            cells = pa.array(series.array)
        else:
            cells = pa.array(series.to_numpy(dtype=object), from_pandas=True)  # its type inferred: text only, not bytes
        if not (pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)):
            return None
        values = _plain_values(pc.fill_null(cells, ""))
        if values is None:
            return None
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if np.any((values == 0) & np.signbit(values)):
        return None
    return values


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
        return values, limited(problems, name, column)
    plain = parse_plain_numbers(series)
    if plain is not None:  # the usual file: every cell a plain decimal or empty, nothing to word
        return pd.Series(plain, name=series.name), []
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
    return values, limited(problems, name, column)


def hba1c_hint(unit: str):
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




def _located(mask: np.ndarray, rows: np.ndarray, name: str, column: str, message) -> list[Problem]:
    """One Problem per true position of ``mask`` (at most ``MAX_PER_COLUMN``); message(i) -> text."""
    return limited([Problem(name, int(rows[i]), column, message(i)) for i in np.flatnonzero(mask)], name, column)


def text_cells(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text ('' where empty), indexed 0..n-1."""
    text = frame[column].astype("string").fillna("")
    return (text if _nothing_to_strip(text) else text.str.strip()).reset_index(drop=True)


def _nothing_to_strip(text: pd.Series) -> bool:
    """True when no cell of an Arrow-backed text column begins or ends with a space (every
    non-empty cell's first and last bytes are printable ASCII other than space), so that
    ``.str.strip()`` would return the same cells: found from two bytes per cell, not by a
    stripped copy of the column. False when not known."""
    chunks = arrow_text_chunks(text)
    if chunks is None:
        return False
    for _, offsets, data in chunks:
        cells = np.flatnonzero(np.diff(offsets) > 0)
        if not len(cells):
            continue
        for ends in (data[offsets[cells]], data[offsets[cells + 1] - 1]):
            if not printable(ends).all():
                return False
    return True


# --------------------------------------------------------------------------- columns

def check_columns(frame: pd.DataFrame, name: str, headers: dict | None = None) -> list[Problem]:
    """Problems with the header: a long (one row per measurement) layout, which is not read
    here; no required column at all; a missing required column (with the closest header the
    file has, and how to map it)."""
    headers = headers or {}
    if dd.detect_layout(frame.columns) == "long":
        return [Problem(name, None, None, "one row per HbA1c measurement (columns hba1c and a time column): "
                                          "this long layout is not supported by this version; give one row "
                                          "per patient with hba1c_baseline and hba1c_followup")]
    missing = [c for c in dd.REQUIRED_COLUMNS if c not in frame.columns]
    if not missing:
        return []
    written = [headers.get(str(c), str(c)) for c in frame.columns]
    have = ", ".join(written[:15]) + (" ..." if len(written) > 15 else "")
    if len(missing) == len(dd.REQUIRED_COLUMNS):
        return [Problem(name, None, None, "none of the required columns (" + ", ".join(dd.REQUIRED_COLUMNS) + ") found: "
                        f"the first row must name the columns (it reads: {have}); if they are named differently, "
                        "map them with --columns FILE.yaml or -c COLUMN=\"header\"")]
    unknown = [headers.get(str(c), str(c)) for c in frame.columns if c not in dd.COLUMNS_BY_NAME]
    out = []
    for c in missing:
        near = closest(c, unknown, cutoff=0.75)
        hint = f"; is {near!r} meant to be {c}? Rename it, or map it with {map_hint(c, near)}" if near else ""
        out.append(Problem(name, None, c, f"required column missing (the file has: {have}){hint}"))
    return out


def unknown_column_notes(frame: pd.DataFrame, name: str, headers: dict | None = None) -> list[Problem]:
    """One note per column the dictionary does not know (kept, ignored), with the closest
    dictionary column the file lacks when there is one."""
    headers = headers or {}
    unknown = [c for c in list(frame.columns) if c not in dd.COLUMNS_BY_NAME]
    # suggestions only where a user can act on them (not for thousands of columns: keeps it linear)
    lacking = [c for c in dd.KNOWN_COLUMNS if c not in frame.columns] if len(unknown) <= MAX_SUGGESTED else []
    notes = []
    for c in unknown:
        header = headers.get(str(c), str(c))
        near = closest(header, lacking, cutoff=0.75) if lacking else None
        hint = f"; is it {near}? Map it with {map_hint(near, header)}" if near else ""
        notes.append(Problem(name, None, str(c), NOTE_UNKNOWN_COLUMN + hint))
    return notes


# --------------------------------------------------------------------------- pseudonyms

def _lookalike_key(ids: pd.Series) -> pd.Series:
    """Pseudonyms folded so that ids differing only in case, spaces or invisible characters coincide.

    An id of printable ASCII without spaces (the usual pseudonym) folds to its lower case (NFKC
    and casefold change nothing else in it, and it has nothing to remove): computed in one
    vectorised step; only the other ids go through the full folding."""
    plain = ids.str.fullmatch(r"[\x21-\x7e]*").fillna(False).to_numpy(dtype=bool)
    key = ids.str.lower()
    if not plain.all():
        other = ids[~plain]
        key[~plain] = other.str.normalize("NFKC").str.casefold().str.replace(_INVISIBLE, "", regex=True)
    return key


_ASCII_LOWER = np.arange(256, dtype=np.uint8)
_ASCII_LOWER[ord("A"):ord("Z") + 1] += 32


def _folded_hashes(ids: pd.Series) -> np.ndarray | None:
    """A 64-bit hash of each id's ``_lookalike_key`` when every id is printable ASCII without
    spaces (its key is then its ASCII lower case), computed on pyarrow's bytes without a
    Python string per id; None for any other column (no nulls, Arrow-backed text only)."""
    chunks = arrow_text_chunks(ids)
    if chunks is None:
        return None
    out = []
    for _, offsets, data in chunks:
        text = data[offsets[0]:offsets[-1]]
        if not printable(text).all():
            return None
        lengths = np.diff(offsets)
        folded = np.concatenate([_ASCII_LOWER[text], np.zeros(8, np.uint8)])  # 8 bytes readable past the end
        words = np.ndarray(shape=(len(folded) - 7,), dtype="<u8", buffer=folded, strides=(1,))  # 8 bytes from each byte on
        starts = offsets[:-1] - offsets[0]
        h = lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for k in range(0, int(lengths.max(initial=0)), 8):
            left = np.clip(lengths - k, 0, 8).astype(np.uint64)  # bytes of this word inside the id
            mask = np.where(left == 8, np.uint64(0xFFFFFFFFFFFFFFFF), (np.uint64(1) << (left * np.uint64(8))) - np.uint64(1))
            word = words[np.minimum(starts + k, len(words) - 1)] & mask
            h = (h ^ word) * np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(31)
        out.append(h)
    return np.concatenate(out) if out else np.zeros(0, np.uint64)


def _no_shared_key(ids: pd.Series) -> bool:
    """True when certainly no two ids share a ``_lookalike_key``: all their folded hashes differ
    (the usual file, tested in one sort of n integers); False when that is not known (the
    caller then compares the keys themselves)."""
    h = _folded_hashes(ids)
    if h is None:
        return False
    h = np.sort(h)
    return not (h[1:] == h[:-1]).any()


def check_ids(frame: pd.DataFrame, name: str, rows: np.ndarray) -> tuple[pd.Series, list[Problem], list[Problem]]:
    """(stripped ids, problems, notes): empty and duplicate ids are problems (the later row
    names the first); ids equal up to case, spaces or invisible characters are notes. No id
    is quoted in a message."""
    ids = text_cells(frame, "patient_id")
    empty = (ids == "").to_numpy(dtype=bool)
    problems = _located(empty, rows, name, "patient_id", lambda i: "empty patient_id: every row needs a study pseudonym")
    if _no_shared_key(ids):  # no two ids fold to the same key, so no two are equal: one pass, not two
        return ids, problems, []
    key = _lookalike_key(ids)
    key_shared = key.duplicated(keep=False).to_numpy()
    if not key_shared.any():
        return ids, problems, []
    dup = ids.duplicated(keep="first").to_numpy() & ~empty
    first_row: dict[str, int] = {}
    if dup.any():
        for i, pid in enumerate(ids.to_numpy()):
            first_row.setdefault(pid, int(rows[i]))
        problems += _located(dup, rows, name, "patient_id",
                             lambda i: f"duplicate patient_id (same as row {first_row[ids.iloc[i]]}): "
                                       "pseudonyms must be unique")
    notes: list[Problem] = []
    alike = ~empty & ~dup & key_shared  # first occurrences sharing a folded key
    first_of_key: dict[str, int] = {}
    for i in np.flatnonzero(alike):  # in row order: the first of each key is kept, the later ones noted
        j = first_of_key.setdefault(key.iloc[i], i)
        if j != i:
            notes.append(Problem(name, int(rows[i]), "patient_id",
                                 f"note: patient_id differs from row {int(rows[j])}'s only in letter case, "
                                 "spaces or invisible characters: is it the same patient? Both rows are "
                                 "analysed as different patients"))
    return ids, problems, notes


# --------------------------------------------------------------------------- values

def check_hba1c(frame: pd.DataFrame, name: str, rows: np.ndarray, unit: str
                ) -> tuple[dict[str, pd.Series], list[Problem]]:
    """HbA1c columns in NGSP % (NaN where empty or refused) and the problems (not a number,
    outside the plausible range, with a hint when the value looks like the other unit)."""
    lo, hi = dd.HBA1C_RANGE[unit]
    label = UNIT_LABELS[unit]
    hint = hba1c_hint(unit)
    values_out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for column in ("hba1c_baseline", "hba1c_followup"):
        values, probs = parse_numbers(frame[column], name, column, rows)
        problems += probs
        v = values.to_numpy()
        outside = ~np.isnan(v) & ((v < lo) | (v > hi))
        problems += _located(outside, rows, name, column, lambda i: f"HbA1c {fmt_number(v[i])} is outside the "
                                                                    f"plausible range {lo:g}-{hi:g} {label}{hint(v[i])}")
        values_out[column] = to_ngsp(values.where((values >= lo) & (values <= hi)), unit)
    return values_out, problems


def _check_number(frame: pd.DataFrame, col: dd.Column, name: str, rows: np.ndarray) -> tuple[pd.Series, list[Problem]]:
    values, problems = parse_numbers(frame[col.name], name, col.name, rows)
    v = values.to_numpy()
    present = ~np.isnan(v)
    unit_text = "" if col.unit == "-" else f" {col.unit}"
    if col.name == "dose_cells":
        nonpos = present & (v <= 0)
        problems += _located(nonpos, rows, name, col.name,
                             lambda i: f"dose must be a positive number of cells, got {fmt_number(v[i])}")
        small = present & (v > 0) & (v < col.low)
        problems += _located(small, rows, name, col.name, lambda i: _dose_small(v[i]))
        outside = present & (v > col.high)
    elif col.name in dd.FOLLOWUP_UNITS_DAYS:
        neg = present & (v < 0)
        problems += _located(neg, rows, name, col.name,
                             lambda i: f"negative follow-up ({fmt_number(v[i])}{unit_text}): give the "
                                       f"{col.unit} from the infusion to the follow-up HbA1c")
        outside = present & (v > col.high)
    else:
        outside = present & ((v < col.low) | (v > col.high))
    label_of = "dose" if col.name == "dose_cells" else "follow-up" if col.name in dd.FOLLOWUP_UNITS_DAYS else col.name
    problems += _located(outside, rows, name, col.name,
                         lambda i: f"{label_of} {fmt_number(v[i])} is outside the plausible range "
                                   f"{fmt_number(col.low)}-{fmt_number(col.high)}{unit_text}")
    return values.where((values >= col.low) & (values <= col.high)), problems


def _factorize_text(text: pd.Series) -> tuple[np.ndarray, list]:
    """(codes, distinct cells) of a text column without nulls, as ``pd.factorize`` (the codes
    may number the cells in another order); an Arrow-backed column by pyarrow's dictionary
    encoding, one dictionary unified over its chunks."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(text.array, pd.arrays.ArrowStringArray) or text.hasnans:
        codes, distinct = pd.factorize(text)
        return codes, list(distinct)
    cells = pa.array(text.array)
    cells = pa.chunked_array([cells]) if isinstance(cells, pa.Array) else cells
    encoded = pc.dictionary_encode(cells).unify_dictionaries()
    if not encoded.num_chunks:
        return np.zeros(0, np.intp), []
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks])
    return codes, encoded.chunk(0).dictionary.to_pylist()


def _check_category(frame: pd.DataFrame, col: dd.Column, name: str, rows: np.ndarray) -> tuple[pd.Series, list[Problem]]:
    aliases = dd.YES_NO_ALIASES if col.kind == "yesno" else dd.CATEGORY_ALIASES[col.name]
    raw = frame[col.name].astype("string").fillna("").reset_index(drop=True)
    codes, distinct = _factorize_text(raw)  # each distinct cell text looked up once, not once per row
    keys = [re.sub(r"[\s\-]+", " ", str(c).strip().lower()) for c in distinct]
    mapped = np.empty(len(keys), dtype=object)
    mapped[:] = [aliases.get(k, aliases.get(k.replace(" ", "_"))) if k else None for k in keys]
    unknown = np.array([bool(k) and m is None for k, m in zip(keys, mapped)], dtype=bool)
    bad = unknown[codes] if len(keys) else np.zeros(len(raw), dtype=bool)
    problems = _located(bad, rows, name, col.name, lambda i: f"unknown value {raw.iloc[i].strip()!r}: allowed are {col.allowed}")
    if col.kind == "category":  # a categorical of the levels present (sorted): one byte per patient, missing where empty
        levels = sorted({m for m in mapped if m is not None})
        level_codes = np.array([-1 if m is None else levels.index(m) for m in mapped], dtype="int16")
        return pd.Series(pd.Categorical.from_codes(level_codes[codes] if len(keys) else np.full(len(raw), -1, "int16"),
                                                   categories=levels)), problems
    # yes/no: None where empty; plain Python values
    return pd.Series(mapped[codes] if len(keys) else [None] * len(raw), dtype=object), problems


def check_values(frame: pd.DataFrame, name: str, rows: np.ndarray, requirements=(dd.STUDY, dd.OPTIONAL)
                 ) -> tuple[dict[str, pd.Series], list[Problem]]:
    """The number, category and yes/no columns of the given requirements that the file has
    (followup_months is left to ``check_followup``): parsed values and problems."""
    values: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for col in dd.COLUMNS:
        if col.requirement not in requirements or col.name not in frame.columns or col.name == "followup_months":
            continue
        if col.kind == "number":
            values[col.name], probs = _check_number(frame, col, name, rows)
        elif col.kind in ("category", "yesno"):
            values[col.name], probs = _check_category(frame, col, name, rows)
        else:
            continue
        problems += probs
    return values, problems


def parse_dates(frame: pd.DataFrame, column: str, name: str, rows: np.ndarray) -> tuple[pd.Series, list[Problem]]:
    """ISO dates (YYYY-MM-DD) -> Timestamps (NaT where empty); problems for anything else."""
    series = frame[column].reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(series):  # a typed Parquet column
        return pd.to_datetime(series).dt.tz_localize(None).dt.normalize() if getattr(series.dt, "tz", None) \
            else pd.to_datetime(series).dt.normalize(), []
    text = series.astype("string").fillna("").str.strip()
    shaped = text.str.match(_ISO_DATE.pattern).fillna(False).to_numpy(dtype=bool)
    dates = pd.to_datetime(text.where(shaped, None), format="%Y-%m-%d", errors="coerce")
    empty = (text == "").to_numpy(dtype=bool)
    bad = ~empty & dates.isna().to_numpy()
    problems = _located(bad, rows, name, column,
                        lambda i: f"not a date in the form YYYY-MM-DD (ISO): {text.iloc[i]!r}"
                                  + ("; write it as YYYY-MM-DD" if re.search(r"\d", text.iloc[i]) else ""))
    return dates, problems


def check_followup(frame: pd.DataFrame, name: str, rows: np.ndarray) -> tuple[pd.Series | None, list[Problem]]:
    """Follow-up in months from ``followup_months``, ``followup_weeks``, ``followup_days`` or
    the two dates ``infusion_date`` and ``followup_date`` (None when the file has none of them).

    Weeks are x 7 / 30.4375 months, days / 30.4375. Where a row gives more than one, they must
    agree to half a unit of the coarsest one given (half a month, half a week, half a day;
    dates count as days), else a problem; the finest one given is used.
    """
    problems: list[Problem] = []
    sources: list[tuple[str, float, pd.Series]] = []  # (column, unit in days, months)
    for column, unit_days in dd.FOLLOWUP_UNITS_DAYS.items():
        if column in frame.columns:
            values, probs = _check_number(frame, dd.COLUMNS_BY_NAME[column], name, rows)
            problems += probs
            sources.append((column, unit_days, values * (unit_days / dd.DAYS_PER_MONTH)))
    given = [c for c in dd.FOLLOWUP_DATES if c in frame.columns]
    if len(given) == 1:
        other = ({*dd.FOLLOWUP_DATES} - {given[0]}).pop()
        problems.append(Problem(name, None, given[0], f"{given[0]} without {other}: give both dates (YYYY-MM-DD), "
                                                      "or the follow-up time as followup_months, _weeks or _days"))
    elif len(given) == 2:
        start, start_probs = parse_dates(frame, "infusion_date", name, rows)
        end, end_probs = parse_dates(frame, "followup_date", name, rows)
        problems += start_probs + end_probs
        days = (end - start).dt.days.astype("float64")
        d = days.to_numpy()
        before = ~np.isnan(d) & (d < 0)
        problems += _located(before, rows, name, "followup_date",
                             lambda i: f"follow-up date {end.iloc[i]:%Y-%m-%d} is before the infusion date "
                                       f"{start.iloc[i]:%Y-%m-%d}")
        months = days / dd.DAYS_PER_MONTH
        too_long = ~np.isnan(d) & (months.to_numpy() > dd.COLUMNS_BY_NAME["followup_months"].high)
        problems += _located(too_long, rows, name, "followup_date",
                             lambda i: f"follow-up of {fmt_number(months.iloc[i])} months between the dates is "
                                       "outside the plausible range 0-600 months: check the years")
        sources.append(("followup_date", 1.0, months.where(~before & ~too_long)))
    if not sources:
        return None, problems
    finest = sorted(sources, key=lambda s: s[1])  # days before weeks before months
    result = finest[0][2].copy()
    for _, _, months in finest[1:]:
        result = result.fillna(months)
    if len(sources) > 1:
        table = np.column_stack([s[2].to_numpy(dtype="float64") for s in sources])
        units = np.array([s[1] for s in sources])
        present = ~np.isnan(table)
        coarsest = np.where(present, units, 0.0).max(axis=1)
        spread = np.where(present, table, -np.inf).max(axis=1) - np.where(present, table, np.inf).min(axis=1)
        disagree = (present.sum(axis=1) > 1) & (spread * dd.DAYS_PER_MONTH > 0.5 * coarsest + 1e-9)

        def message(i: int) -> str:
            shown = ", ".join(f"{c} gives {fmt_number(s.iloc[i])} months" for c, _, s in sources if not np.isnan(s.iloc[i]))
            return (f"the follow-up times disagree ({shown}): they must agree to half a unit of the coarsest; "
                    "correct one or keep one column")
        column = sources[-1][0]
        problems += _located(disagree, rows, name, column, message)
    return result.reset_index(drop=True), problems


def check_design(frame: pd.DataFrame, name: str, rows: np.ndarray) -> tuple[dict[str, pd.Series], list[Problem]]:
    """The design columns: ``arm`` (text, stripped; an empty cell is a problem naming the row)
    and ``synthetic`` (yes/no)."""
    values, problems = check_values(frame, name, rows, requirements=(dd.DESIGN,))
    if "arm" in frame.columns:
        arm = text_cells(frame, "arm")
        empty = (arm == "").to_numpy(dtype=bool)
        problems += _located(empty, rows, name, "arm", lambda i: "empty arm: in a file with an arm column every "
                                                                 "patient needs a treatment group (e.g. placebo, msc); "
                                                                 "for a single-arm study remove the column")
        values["arm"] = pd.Series(arm.to_numpy(dtype=object), dtype=object)
    return values, problems


# --------------------------------------------------------------------------- rows analysed

def assign_exclusions(out: pd.DataFrame, rows: np.ndarray, params: dict) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """(mask of rows analysed, exclusions as (row, reason), in row order). One reason per row,
    in this order: no HbA1c at all, no baseline, baseline below ``inclusion_min`` (as resolved:
    a number, or None when nobody is excluded for a low baseline), no follow-up."""
    no_baseline = out["hba1c_baseline"].isna().to_numpy()
    no_followup = out["hba1c_followup"].isna().to_numpy()
    inclusion_min = params.get("inclusion_min")
    below = below_inclusion(out["hba1c_baseline"], inclusion_min)
    texts = ["", REASON_NO_HBA1C, REASON_NO_BASELINE,
             REASON_BELOW_MIN.format(inclusion_min) if inclusion_min is not None else "", REASON_NO_FOLLOWUP]
    # the reason's number per row (0: analysed), not its text: n short integers, not n long strings
    reasons = np.select([no_baseline & no_followup, no_baseline, below, no_followup], [1, 2, 3, 4], default=0)
    excluded = [(int(rows[i]), texts[reasons[i]]) for i in np.flatnonzero(reasons)]
    return reasons == 0, excluded


def _select_rows(out: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``out.loc[mask].reset_index(drop=True)`` (out indexed 0..n-1), taken column by column and
    emptying ``out`` as it goes, so that a large frame and its copy are never both held whole;
    ``out`` itself when every row is kept."""
    if mask.all():
        return out
    kept = {}
    for column in list(out.columns):
        series = out.pop(column)
        kept[column] = pd.Series(series.array[mask], dtype=series.dtype, copy=False)  # the dtype kept (object stays object)
    return pd.DataFrame(kept, copy=False)


def derive_columns(analysed: pd.DataFrame, params: dict) -> pd.DataFrame:
    """change = follow-up - baseline; severity stratum; dose group (when dose_cells is present)."""
    analysed["change"] = analysed["hba1c_followup"] - analysed["hba1c_baseline"]
    analysed["stratum"] = assign_strata(analysed["hba1c_baseline"], params["severe_above"], params["moderate_min"])
    if "dose_cells" in analysed:
        analysed["dose_group"] = assign_dose_groups(analysed["dose_cells"], params["dose_cutoff"])
    return analysed


def check_frame(frame: pd.DataFrame, name: str, params: dict, headers: dict | None = None
                ) -> tuple[pd.DataFrame, list[tuple[int, str]], list[Problem], list[Problem]]:
    """Check a table read by ``read_table``.

    Returns (rows analysed with NGSP % HbA1c and derived columns, exclusions as (row, reason),
    problems, notes). A bad value in an optional (descriptive) column does not stop the
    analysis: the cell is treated as missing and reported as a note; columns the dictionary
    does not know and look-alike pseudonyms are notes too. The analysed frame keeps ``row``,
    the 1-based data row of the file. ``headers`` (column -> the user's header) words the
    notes on unknown columns.
    """
    problems = check_columns(frame, name, headers)
    if problems:
        return pd.DataFrame(), [], problems, []
    notes = unknown_column_notes(frame, name, headers)
    n = len(frame)
    rows = (frame.index.to_numpy(dtype="int64") if frame.index.name == "row"
            else np.arange(1, n + 1, dtype="int64"))
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"row": rows})

    ids, problems, id_notes = check_ids(frame, name, rows)
    out["patient_id"] = ids
    hba1c, probs = check_hba1c(frame, name, rows, params["hba1c_unit"])
    problems += probs
    values, probs = check_values(frame, name, rows)
    problems += probs
    followup, probs = check_followup(frame, name, rows)
    problems += probs
    design, probs = check_design(frame, name, rows)
    problems += probs
    for column in dd.COLUMNS_BY_NAME:  # in dictionary order
        if column in hba1c:
            out[column] = hba1c[column]
        elif column in values:
            out[column] = values[column]
        elif column == "followup_months" and followup is not None:
            out[column] = followup
        elif column in design:
            out[column] = design[column]
    del ids, hba1c, values, followup, design  # held by ``out`` now: not twice

    cell_notes = [Problem(p.file, p.row, p.column, f"note: {p.message}; treated as missing (optional column)")
                  for p in problems if p.column in OPTIONAL_COLUMNS]
    notes = cell_notes + id_notes + notes
    problems = [p for p in problems if p.column not in OPTIONAL_COLUMNS]
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))  # row order; per-column summaries last
        return out.iloc[0:0], [], problems, notes

    analysed_mask, excluded = assign_exclusions(out, rows, params)
    if len(excluded) == n:
        counts = pd.Series([reason for _, reason in excluded]).value_counts()
        why = "; ".join(f"{k}: {reason}" for reason, k in counts.items())
        return out.iloc[0:0], excluded, [Problem(name, None, None, f"no patient left to analyse: all {n} rows are "
                                                                   f"excluded ({why})")], notes
    analysed = derive_columns(_select_rows(out, analysed_mask), params)
    return analysed, excluded, problems, notes
