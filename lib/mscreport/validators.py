"""Reading a cohort file and checking it against the data dictionary.

Everything that can go wrong with an input becomes a ``Problem`` (``FILE:ROW:COLUMN: message``)
collected into one ``InputError``; nothing here lets a traceback reach the user. Rows that are
valid but cannot enter the analysis (no follow-up HbA1c, baseline below ``moderate_min``) are
not problems but exclusions, each with its row and reason.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import dictionary as dd
from .errors import InputError, Problem
from .units import UNIT_LABELS, to_ngsp

MAX_PER_COLUMN = 20  # problems listed per column before summarising the rest
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$")
_TOKENIZE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")

REASON_NO_FOLLOWUP = "no follow-up HbA1c (hba1c_followup empty)"
REASON_BELOW_MIN = "baseline HbA1c below moderate_min ({:g} %)"


def file_kind(path: Path, head: bytes) -> str:
    """'csv', 'xlsx' or 'parquet', from the suffix, else from the first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    return "csv"


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a cohort file into a DataFrame of text cells (CSV, XLSX or Parquet).

    Column names are normalised (trimmed, lower case, spaces to underscores).
    Raises InputError for a missing, empty, binary or malformed file.
    """
    name = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError([Problem(name, None, None, "file not found: check the path")])
    if p.is_dir():
        raise InputError([Problem(name, None, None, "this is a folder, not a cohort file")])
    with p.open("rb") as fh:
        head = fh.read(65536)
    if not head:
        raise InputError([Problem(name, None, None, "file is empty: expected a header row and one row per patient")])
    kind = file_kind(p, head)
    try:
        if kind == "xlsx":
            frame = pd.read_excel(p, sheet_name=0, dtype=str, keep_default_na=False, na_values=[])
        elif kind == "parquet":
            frame = pd.read_parquet(p)
        else:
            frame = _read_csv(p, name, head)
    except InputError:
        raise
    except Exception as exc:  # a parser's own error: say what we expected instead of a traceback
        raise InputError([Problem(name, None, None,
                                  f"cannot read this file as {kind.upper()} ({type(exc).__name__}: {exc}); "
                                  "save the cohort as CSV, XLSX or Parquet")]) from None
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    if frame.shape[1] == 0 or (frame.shape[1] == 1 and not frame.columns[0]):
        raise InputError([Problem(name, None, None, "no header row found: the first row must name the columns")])
    if len(frame) == 0:
        raise InputError([Problem(name, None, None, "header only: the file has no data rows")])
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise InputError([Problem(name, None, c, "column appears more than once in the header") for c in dupes])
    return frame


def _read_csv(p: Path, name: str, head: bytes) -> pd.DataFrame:
    if b"\x00" in head:
        raise InputError([Problem(name, None, None,
                                  "not a text table (binary content): save the cohort as CSV, XLSX or Parquet")])
    encoding = "utf-8-sig"
    try:
        head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a real decoding error, not a cut multi-byte character
            encoding = "cp1252"
    first_line = head.decode(encoding, errors="replace").splitlines()[0] if head.strip() else ""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=counts.get)
    if counts[sep] == 0:
        sep = ","
    try:
        return pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, na_values=[],
                           encoding=encoding, skip_blank_lines=True, quoting=csv.QUOTE_MINIMAL)
    except pd.errors.EmptyDataError:
        raise InputError([Problem(name, None, None, "file is empty: expected a header row and one row per patient")]) from None
    except pd.errors.ParserError as exc:
        m = _TOKENIZE.search(str(exc))
        if m:
            expected, line, saw = (int(g) for g in m.groups())
            hint = (" - a decimal comma in a comma-separated file? Use a decimal point, quote the value, "
                    "or save the file with ';' as separator" if sep == "," else "")
            raise InputError([Problem(name, line - 1, None,
                                      f"row has {saw} fields but the header has {expected}{hint}")]) from None
        raise InputError([Problem(name, None, None, f"cannot parse as CSV: {exc}")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, None, None, f"cannot decode text ({exc.reason}): save the file as UTF-8")]) from None


def _limited(problems: list[Problem], name: str, column: str) -> list[Problem]:
    if len(problems) <= MAX_PER_COLUMN:
        return problems
    rest = len(problems) - MAX_PER_COLUMN
    return problems[:MAX_PER_COLUMN] + [Problem(name, None, column, f"... and {rest} more rows with problems in this column")]


def _rows(mask: np.ndarray) -> np.ndarray:
    """1-based data-row numbers where mask is true."""
    return np.flatnonzero(mask) + 1


def parse_numbers(series: pd.Series, name: str, column: str) -> tuple[pd.Series, list[Problem]]:
    """Text cells -> floats (NaN for empty). Accepts decimal commas. Problems for non-numbers."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64").reset_index(drop=True), []
    text = series.astype("string").fillna("").str.strip().reset_index(drop=True)
    comma = text.str.match(_DECIMAL_COMMA.pattern).fillna(False).to_numpy(dtype=bool)
    if comma.any():
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
    values = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype("float64")
    empty = (text == "").to_numpy(dtype=bool)
    bad = ~empty & values.isna().to_numpy() | np.isinf(values.to_numpy())
    problems = [Problem(name, int(r), column, f"not a number: {text.iloc[r - 1]!r}") for r in _rows(bad)]
    values[bad] = np.nan
    return values, _limited(problems, name, column)


def _range_problems(values: pd.Series, lo: float, hi: float, name: str, column: str,
                    what: str, hint=None) -> list[Problem]:
    v = values.to_numpy()
    out = ~np.isnan(v) & ((v < lo) | (v > hi))
    problems = []
    for r in _rows(out):
        x = v[r - 1]
        extra = hint(x) if hint else ""
        problems.append(Problem(name, int(r), column, f"{what} {x:g} is outside the plausible range {lo:g}-{hi:g}{extra}"))
    return _limited(problems, name, column)


def _hba1c_hint(unit: str):
    def hint(x: float) -> str:
        if unit == "percent" and 20 < x <= 200:
            return " - it looks like mmol/mol: rerun with -p hba1c_unit=mmol_mol"
        if unit == "mmol_mol" and 3 <= x <= 20:
            return " - it looks like %: rerun with -p hba1c_unit=percent"
        return ""
    return hint


def _categories(series: pd.Series, aliases: dict, name: str, column: str, allowed: str):
    text = series.astype("string").fillna("").str.strip().str.lower().reset_index(drop=True)
    mapped = text.map(lambda s: aliases.get(s, "?") if s else None)
    bad = (mapped == "?").to_numpy(dtype=bool)
    problems = [Problem(name, int(r), column, f"unknown value {series.iloc[r - 1]!r}: allowed are {allowed}")
                for r in _rows(bad)]
    return mapped.where(~bad, None), _limited(problems, name, column)


def check_frame(frame: pd.DataFrame, name: str, params: dict) -> tuple[pd.DataFrame, list[tuple[int, str]], list[Problem]]:
    """Check a table read by ``read_table``.

    Returns (rows analysed with NGSP % HbA1c and derived columns, exclusions as (row, reason),
    problems). The analysed frame keeps ``row``, the 1-based data row of the file.
    """
    problems: list[Problem] = []
    missing = [c for c in dd.REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        have = ", ".join(frame.columns[:15]) + (" ..." if frame.shape[1] > 15 else "")
        return frame.iloc[0:0], [], [Problem(name, None, c, f"required column missing (the file has: {have})")
                                     for c in missing]
    n = len(frame)
    out = pd.DataFrame({"row": np.arange(1, n + 1)})
    unit = params["hba1c_unit"]

    ids = frame["patient_id"].astype("string").fillna("").str.strip().reset_index(drop=True)
    empty = (ids == "").to_numpy(dtype=bool)
    problems += _limited([Problem(name, int(r), "patient_id", "empty patient_id: every row needs a study pseudonym")
                          for r in _rows(empty)], name, "patient_id")
    dup = ids.duplicated(keep="first").to_numpy() & ~empty
    if dup.any():
        first_row = {}
        for i, pid in enumerate(ids.to_numpy()):
            first_row.setdefault(pid, i + 1)
        problems += _limited([Problem(name, int(r), "patient_id",
                                      f"duplicate patient_id (same as row {first_row[ids.iloc[r - 1]]}): pseudonyms must be unique")
                              for r in _rows(dup)], name, "patient_id")
    out["patient_id"] = ids

    lo, hi = dd.HBA1C_RANGE[unit]
    label = UNIT_LABELS[unit]
    for column in ("hba1c_baseline", "hba1c_followup"):
        values, probs = parse_numbers(frame[column], name, column)
        problems += probs
        problems += _range_problems(values, lo, hi, name, column, f"HbA1c ({label})", _hba1c_hint(unit))
        out[column] = to_ngsp(values.where((values >= lo) & (values <= hi)), unit)
    no_baseline = frame["hba1c_baseline"].astype("string").fillna("").str.strip().reset_index(drop=True) == ""
    if pd.api.types.is_numeric_dtype(frame["hba1c_baseline"]):
        no_baseline = frame["hba1c_baseline"].isna().reset_index(drop=True)
    problems += _limited([Problem(name, int(r), "hba1c_baseline", "empty: a baseline HbA1c is required for every patient")
                          for r in _rows(no_baseline.to_numpy(dtype=bool))], name, "hba1c_baseline")

    for col in dd.COLUMNS:
        if col.requirement == dd.REQUIRED or col.name not in frame.columns:
            continue
        if col.kind == "number":
            values, probs = parse_numbers(frame[col.name], name, col.name)
            problems += probs
            v = values.to_numpy()
            if col.name == "dose_cells":
                nonpos = ~np.isnan(v) & (v <= 0)
                problems += _limited([Problem(name, int(r), col.name, f"dose must be a positive number of cells, got {v[r - 1]:g}")
                                      for r in _rows(nonpos)], name, col.name)
                small = ~np.isnan(v) & (v > 0) & (v < col.low)
                problems += _limited([Problem(name, int(r), col.name,
                                              f"dose {v[r - 1]:g} is implausibly small: give the total number of cells "
                                              "(e.g. 1.5e9), not millions or billions") for r in _rows(small)], name, col.name)
                problems += _range_problems(values.where(values >= col.low), col.low, col.high, name, col.name, "dose")
            elif col.name == "followup_months":
                neg = ~np.isnan(v) & (v < 0)
                problems += _limited([Problem(name, int(r), col.name, f"negative follow-up ({v[r - 1]:g} months): "
                                              "follow-up is counted from the infusion")
                                      for r in _rows(neg)], name, col.name)
                problems += _range_problems(values.where(values >= 0), col.low, col.high, name, col.name, "follow-up")
            else:
                problems += _range_problems(values, col.low, col.high, name, col.name, col.name)
            out[col.name] = values.where((values >= col.low) & (values <= col.high))
        elif col.kind == "category":
            mapped, probs = _categories(frame[col.name], dd.CATEGORY_ALIASES[col.name], name, col.name, col.allowed)
            problems += probs
            out[col.name] = mapped
        elif col.kind == "yesno":
            mapped, probs = _categories(frame[col.name], dd.YES_NO_ALIASES, name, col.name, col.allowed)
            problems += probs
            out[col.name] = mapped

    if problems:
        return out.iloc[0:0], [], problems

    excluded: list[tuple[int, str]] = []
    below = (out["hba1c_baseline"] < params["moderate_min"]).to_numpy()
    no_fu = out["hba1c_followup"].isna().to_numpy()
    reason_below = REASON_BELOW_MIN.format(params["moderate_min"])
    for r in _rows(below):
        excluded.append((int(r), reason_below))
    for r in _rows(no_fu & ~below):
        excluded.append((int(r), REASON_NO_FOLLOWUP))
    excluded.sort()
    analysed = out.loc[~below & ~no_fu].reset_index(drop=True)
    analysed["change"] = analysed["hba1c_followup"] - analysed["hba1c_baseline"]
    analysed["stratum"] = np.where(analysed["hba1c_baseline"] > params["severe_above"], "severe", "moderate")
    if "dose_cells" in analysed:
        dose = analysed["dose_cells"]
        analysed["dose_group"] = np.where(dose.isna(), None, np.where(dose >= params["dose_cutoff"], "high", "low"))
    return analysed, excluded, problems
