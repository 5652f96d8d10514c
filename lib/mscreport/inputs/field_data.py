"""What a field reader (``adam``, ``omop``) hands over, and the names of a source.

``FieldData``: the long frame a reader made of a layout, and what it did on the way (records
left out, records excluded with their reasons, notes). ``is_database_url``, ``shown_source``
(a URL without its password) and ``is_source_not_file`` are asked by the build before anything
heavy is imported: this module imports nothing but the standard library and ``core.errors``.
The dispatch is ``field_files.read_source``.

The long frame a field reader hands over: index ``row`` (ADaM: the 1-based row of the file;
OMOP: ``measurement_id``), ``patient_id`` (text), ``hba1c`` (NGSP %: every layout's unit is
converted on reading), ``days`` (days since time zero; months = days / 30.4375 as for a long
file), optionally ``baseline_flag`` (ADaM ``ABLFL`` = "Y"), ``arm``, ``sex``, ``age_years``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mscreport.core.errors import Problem

if TYPE_CHECKING:
    import pandas as pd

DATABASE_URL = re.compile(r"^(postgres|postgresql)(\+\w+)?://", re.IGNORECASE)
LAYOUTS = ("wide", "long", "adam", "omop_files", "omop_duckdb", "omop_database")


@dataclass(frozen=True)
class FieldData:
    """A field layout read into the long frame, and what was done on the way.

    ``shown``: how messages and results.json name the source (never a password).
    ``name``: the FILE of row messages (ADaM: the file; OMOP: the measurement table).
    ``excluded``: (row, reason, arm) of records and patients left out before the long rules,
    each reason naming its table. ``notes``: Problems printed once (other parameters, derived
    records). ``headers``: long column -> the layout's own column, for messages.
    """

    layout: str
    shown: str
    name: str
    frame: "pd.DataFrame" = field(repr=False)
    sha256: str
    excluded: tuple = ()
    notes: tuple = ()
    headers: dict = field(default_factory=dict)
    table: str = ""  # the table the long rules' exclusions are named by (ADLB, MEASUREMENT)
    visits: object = field(default=None, repr=False)  # ADaM: adam.visit_table (AVISITN, AVISIT by file row)

    def reworded(self, problems) -> list[Problem]:
        """Problems found by the long-file rules, in the layout's own words: the column as the
        layout names it (``AVAL``, ``value_as_number``), no hint to set ``hba1c_unit`` (each
        row carries its unit here), HbA1c values said to be in NGSP % after conversion."""
        out = []
        for p in problems:
            message = re.sub(r"; it looks like [^:]*: rerun with -p hba1c_unit=\w+[^;]*", "", p.message)
            if p.column == "hba1c":
                message += " (HbA1c converted to NGSP % from the row's unit)"
            out.append(Problem(p.file, p.row, self.headers.get(p.column, p.column), message))
        return out

    def finish(self, cohort, exclusion):
        """The Cohort built from the long frame, completed: the records left out before the
        long rules added to ``excluded`` (as ``exclusion``, the cohort's Exclusion class; counted
        in ``rows_read``), the notes, the layout and the source's name."""
        extra = tuple(exclusion(int(r), reason, arm) for r, reason, arm in self.excluded)
        named = tuple(dataclasses.replace(e, reason=f"{self.table}: {e.reason}") if self.table else e
                      for e in cohort.excluded)  # the long rules' reasons, naming the table
        excluded = tuple(sorted(named + extra, key=lambda e: e.row))
        return dataclasses.replace(cohort, path=self.shown, excluded=excluded,
                                   rows_read=cohort.rows_read + len(extra),
                                   file_notes=tuple(self.notes) + tuple(cohort.file_notes),
                                   data_format=self.layout, visits=self.visits)


def is_database_url(source) -> bool:
    """Whether ``--data`` names a database by URL (``postgresql://...``)."""
    return bool(DATABASE_URL.match(str(source)))


def shown_source(source) -> str:
    """A source as messages and results.json show it: a database URL without its password
    (``postgresql://user:secret@host/db`` -> ``postgresql://user@host/db``), else as given."""
    text = str(source)
    if not is_database_url(text):
        return text
    return re.sub(r"^([^:/]+(?:\+\w+)?://)([^:@/]*):[^@/]*@", r"\1\2@", text)


def is_source_not_file(source) -> bool:
    """A source that is not one cohort file to copy: a folder (OMOP CSV files) or a database URL."""
    return is_database_url(source) or Path(str(source)).is_dir()


def file_head(path, n: int) -> bytes:
    """The first ``n`` bytes of a regular file; b"" for anything else (a FIFO, a device, a
    folder, a missing file: never opened, so nothing can hang; ``readers`` words the refusal)."""
    import os
    import stat

    try:
        if not stat.S_ISREG(os.stat(str(path)).st_mode):
            return b""
        with open(str(path), "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def note(file: str, column: str | None, message: str) -> Problem:
    """A note (``FILE:-:COLUMN: note: ...``): changes nothing that is analysed."""
    return Problem(file, None, column, f"note: {message}")
