"""The analysed cohort: rows read, rows analysed, rows excluded with their reasons.

``load_cohort`` is the one entry point used by the command line and by every chapter.
Invariant: ``rows_read == len(frame) + len(excluded)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import dictionary as dd
from .errors import InputError, Problem
from .hashing import file_sha256
from .params import DEFAULTS
from .validators import check_frame, read_table


@dataclass(frozen=True)
class Exclusion:
    """A row read but not analysed (row is the 1-based data row of the file)."""

    row: int
    reason: str


@dataclass(frozen=True)
class Cohort:
    """A validated cohort; HbA1c columns in NGSP %, change = follow-up - baseline."""

    path: str
    sha256: str
    rows_read: int
    frame: pd.DataFrame = field(repr=False)
    excluded: tuple[Exclusion, ...]
    columns_present: tuple[str, ...]
    params: dict = field(repr=False)
    notes: tuple = ()  # Problems in optional columns: those cells were treated as missing

    @property
    def rows_analysed(self) -> int:
        return len(self.frame)

    def has(self, column: str) -> bool:
        """Whether the file had this (study or optional) column at all."""
        return column in self.columns_present

    def stratum(self, name: str) -> pd.DataFrame:
        """Rows of one severity stratum ('moderate' or 'severe')."""
        return self.frame[self.frame["stratum"] == name]

    def exclusion_counts(self) -> pd.DataFrame:
        """Excluded rows counted by reason (no row numbers: safe to show in a report)."""
        reasons = pd.Series([e.reason for e in self.excluded], dtype="object")
        counts = reasons.value_counts().rename_axis("reason").reset_index(name="n")
        return counts.sort_values(["n", "reason"], ascending=[False, True], ignore_index=True)

    def note_counts(self) -> dict[str, int]:
        """Cells of optional columns treated as missing, counted by column (no values: safe to show)."""
        counts: dict[str, int] = {}
        for p in self.notes:
            counts[p.column] = counts.get(p.column, 0) + 1
        return counts

    def data_block(self) -> dict:
        """The ``data`` block of results.json."""
        return {"path": self.path, "sha256": self.sha256, "rows_read": self.rows_read,
                "rows_analysed": self.rows_analysed,
                "excluded": [{"row": e.row, "reason": e.reason} for e in self.excluded]}


def load_cohort(path: str | Path, params: dict | None = None) -> Cohort:
    """Read and validate a cohort file; raise InputError listing every problem."""
    params = {**DEFAULTS, **(params or {})}
    frame = read_table(path)
    try:
        analysed, excluded, problems, notes = check_frame(frame, str(path), params)
    except InputError:
        raise
    except Exception as exc:  # a cell type no check foresaw: still a readable message, never a traceback
        raise InputError([Problem(str(path), None, None,
                                  f"cannot check this file ({type(exc).__name__}: {exc}); save it as CSV "
                                  "and try again, and please report this as an mscreport bug")]) from None
    if problems:
        raise InputError(problems)
    present = tuple(c.name for c in dd.COLUMNS if c.name in frame.columns)
    return Cohort(path=str(path), sha256=file_sha256(path), rows_read=len(frame), frame=analysed,
                  excluded=tuple(Exclusion(r, reason) for r, reason in excluded),
                  columns_present=present, params=params, notes=tuple(notes))
