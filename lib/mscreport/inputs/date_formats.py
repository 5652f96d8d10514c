"""Dates as a spreadsheet export writes them: ``-p date_format=DMY|MDY|YMD``.

By default (``ISO``) a date cell must read ``YYYY-MM-DD``. 03/04/2020 is the 3rd of April in
most of the world and the 4th of March in the United States: a date is never guessed. With
``date_format`` the user says which: ``DMY`` (31/12/2020, 31.12.2020, 31-12-2020), ``MDY``
(12/31/2020), ``YMD`` (2020/12/31, 2020.12.31); the separator may be ``/``, ``.`` or ``-``,
day and month may have one or two digits, the year has four (a two-digit year would be a
guess of the century). ISO dates are read in every format. Cells are converted to ISO text
when the file is read (``to_iso_dates``), so every later check sees ISO dates; a cell that
is not a valid date in the format given is an error naming its row.

Without ``date_format``, the date cells of a column that look like day/month/year are one
problem for the column (``slashed_dates_problem``): their count, the first one, and the
choice to make.
"""

from __future__ import annotations

import re

from mscreport.core.errors import Problem

DATE_FORMATS = ("ISO", "DMY", "MDY", "YMD")
DATE_FORMAT_KEY = "date_format"
DATE_COLUMNS = ("infusion_date", "followup_date", "date")  # the dictionary's date columns (wide and long files)
FORMAT_WRITTEN = {"DMY": "DD/MM/YYYY", "MDY": "MM/DD/YYYY", "YMD": "YYYY/MM/DD"}
_ISO = r"^\d{4}-\d{2}-\d{2}$"
_NUMBERS_FIRST = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"  # DMY or MDY
_YEAR_FIRST = r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$"
_SHORT_YEAR = r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$"
DATE_FORMAT_HELP = ("how the date columns write a date: ISO (YYYY-MM-DD, the default), DMY (31/12/2020), "
                    "MDY (12/31/2020) or YMD (2020/12/31); separators / . - ; never guessed")


def parse_date_format(value) -> str | None:
    """The date format named by ``value`` (any case), or None when it names none."""
    text = str(value).strip().upper()
    return text if text in DATE_FORMATS else None


def _cells(frame, column: str):
    return frame[column].astype("string").fillna("").str.strip()


def to_iso_dates(frame, date_format: str, name: str, limit) -> tuple[object, list[Problem]]:
    """The frame with the date columns' cells written ``date_format``-style converted to ISO
    text, and a problem for every non-empty cell that is neither ISO nor a valid date in that
    format (``limit``: ``readers.limited``). ISO: the frame unchanged. (numpy and pandas are
    imported here, not by the module: ``params`` imports it before any heavy library.)"""
    import numpy as np
    import pandas as pd

    problems: list[Problem] = []
    if date_format == "ISO":
        return frame, problems
    rows = frame.index.to_numpy()
    for column in [c for c in DATE_COLUMNS if c in frame.columns]:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):  # typed dates (Parquet): nothing to read
            continue
        text = _cells(frame, column)
        pattern = _YEAR_FIRST if date_format == "YMD" else _NUMBERS_FIRST
        parts = text.str.extract(pattern)
        shaped = parts[0].notna().to_numpy(dtype=bool)
        if date_format == "YMD":
            year, month, day = parts[0], parts[1], parts[2]
        elif date_format == "DMY":
            day, month, year = parts[0], parts[1], parts[2]
        else:
            month, day, year = parts[0], parts[1], parts[2]
        iso = (year.fillna("") + "-" + month.fillna("").str.zfill(2) + "-" + day.fillna("").str.zfill(2))
        valid = shaped & pd.to_datetime(iso.where(shaped, None), format="%Y-%m-%d", errors="coerce").notna().to_numpy()
        is_iso = text.str.match(_ISO).fillna(False).to_numpy(dtype=bool)
        empty = (text == "").to_numpy(dtype=bool)
        bad = ~empty & ~valid & ~is_iso
        written = FORMAT_WRITTEN[date_format]
        found = [Problem(name, int(rows[i]), column,
                         f"not a date in the form {written} (-p date_format={date_format}) or YYYY-MM-DD: "
                         f"{text.iloc[i]!r}" + _why(text.iloc[i], date_format)) for i in np.flatnonzero(bad)]
        problems += limit(found, name, column)
        if valid.any():
            converted = text.where(~valid, iso).to_numpy(dtype=object)
            frame = frame.assign(**{column: converted})
    return frame, problems


def _why(cell: str, date_format: str) -> str:
    if re.match(_SHORT_YEAR, cell):
        return "; write the year with four digits (a two-digit year would be a guess of the century)"
    m = re.match(_NUMBERS_FIRST, cell)
    if m and date_format == "DMY" and int(m.group(2)) > 12 >= int(m.group(1)):
        return "; its month would be above 12: is the file month first? Then -p date_format=MDY"
    if m and date_format == "MDY" and int(m.group(1)) > 12 >= int(m.group(2)):
        return "; its month would be above 12: is the file day first? Then -p date_format=DMY"
    return ""


def slashed_dates_problem(text, bad, rows, name: str, column: str) -> tuple[list[Problem], object]:
    """Without ``date_format``: the bad cells of an ISO date column that look like day/month/year
    or month/day/year (or year/month/day with other separators), as one problem for the column
    (located at the first such row), and the mask of the bad cells it covers (numpy arrays;
    ``text``: a pandas Series of stripped cells)."""
    import numpy as np

    numbers_first = text.str.match(_NUMBERS_FIRST).fillna(False).to_numpy(dtype=bool) & bad
    iso_shaped = text.str.match(_ISO).fillna(False).to_numpy(dtype=bool)  # 2020-02-30: a bad ISO date, said as such
    year_first = text.str.match(_YEAR_FIRST).fillna(False).to_numpy(dtype=bool) & bad & ~iso_shaped
    covered = numbers_first | year_first
    if not covered.any():
        return [], covered
    first = int(np.flatnonzero(covered)[0])
    count = int(covered.sum())
    if numbers_first.any():
        parts = text[numbers_first].str.extract(_NUMBERS_FIRST).astype(int)
        day_first = bool((parts[0] > 12).any())
        month_first = bool((parts[1] > 12).any())
        seen = (" (some have a first number above 12, as day first would)" if day_first and not month_first else
                " (some have a second number above 12, as month first would)" if month_first and not day_first else "")
        choice = (f"an ambiguous date is never guessed: say how the file writes dates with -p date_format=DMY "
                  f"(day/month/year) or -p date_format=MDY (month/day/year){seen}")
    else:
        choice = "say so with -p date_format=YMD"
    cells = "cell of this column is a date" if count == 1 else "cells of this column are dates"
    message = (f"{count} {cells} written like {text.iloc[first]!r} (this row), not YYYY-MM-DD (ISO): {choice}, "
               "or write the dates as YYYY-MM-DD")
    return [Problem(name, int(rows[first]), column, message)], covered
