"""A pandas DataFrame as a cohort file: ``load_cohort(frame)`` validates it exactly as the same
table saved as CSV (every check, every exclusion), and words its problems for a DataFrame.

Row numbers: ``row`` in a Problem (and in ``Cohort.excluded``) is the 1-based position of the
row in the DataFrame (its first row is row 1, the header not counted, as for a file); the
message adds the row's index label when the index is not the default 0, 1, 2, ...
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mscreport.core.errors import InputError, Problem

FRAME_NAME = "DataFrame"  # the "file" of every Problem about a DataFrame, and the cohort's path
CSV_NAME = "cohort.csv"  # the temporary file the DataFrame is written to
_SPREADSHEET_ROW = re.compile(r"(?:, )?spreadsheet row \d+")


def write_frame_csv(frame, folder: Path) -> Path:
    """``frame`` as a CSV file in ``folder`` (columns as headers, the index left out; missing
    values as empty cells, dates in ISO form); InputError when it is not a DataFrame or has no
    columns."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InputError([Problem(FRAME_NAME, None, None, f"expected a pandas DataFrame, got {type(frame).__name__}")])
    if frame.shape[1] == 0:
        raise InputError([Problem(FRAME_NAME, None, None, "the DataFrame has no columns: expected one column "
                                  "per variable and one row per patient")])
    if isinstance(frame.columns, pd.MultiIndex):
        raise InputError([Problem(FRAME_NAME, None, None, "the DataFrame has several header levels "
                                  "(a MultiIndex): give one column name per column")])
    path = Path(folder) / CSV_NAME
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def index_label(frame, row: int | None) -> str:
    """`` (index label X)`` for a 1-based row of ``frame`` whose index is not the default
    RangeIndex from 0; '' otherwise."""
    import pandas as pd

    if row is None or not 1 <= row <= len(frame):
        return ""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return ""
    return f" (index label {index[row - 1]!r})"


def frame_problem(problem: Problem, csv_path: Path, frame) -> Problem:
    """A problem found in the temporary CSV, worded for the DataFrame: its file the word
    ``DataFrame``, no spreadsheet row (a DataFrame has none), the index label when useful."""
    if problem.file != str(csv_path):
        return problem
    message = _SPREADSHEET_ROW.sub("", str(problem.message).replace(str(csv_path), FRAME_NAME)).replace(" ()", "")
    return Problem(FRAME_NAME, problem.row, problem.column, message + index_label(frame, problem.row))


def frame_error(exc: InputError, csv_path: Path, frame) -> InputError:
    """``exc`` with every problem worded for the DataFrame (``frame_problem``)."""
    return InputError([frame_problem(p, csv_path, frame) for p in exc.problems])


def frame_cohort(cohort, csv_path: Path, frame):
    """The cohort loaded from the temporary CSV, as from the DataFrame: path ``DataFrame``,
    no spreadsheet rows, its notes worded for the DataFrame."""
    return replace(cohort, path=FRAME_NAME, header_row=None,
                   notes=tuple(frame_problem(p, csv_path, frame) for p in cohort.notes),
                   file_notes=tuple(frame_problem(p, csv_path, frame) for p in cohort.file_notes))
