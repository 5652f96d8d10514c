"""The field's own files (CDISC ADaM BDS, OMOP CDM v5.4) as the project's long cohort frame.

``read_source`` is the one dispatch point from ``cohort.load_cohort``: given what ``--data``
names, it returns the ``RawTable`` that the long-file rules (``longitudinal.read_long``) and
the validation (``validators.check_frame``) run on unchanged, and a ``FieldData`` describing
what the layout's own reader did before (rows left out, rows excluded with their reasons,
notes), or None for the project's own wide and long files.

* ADaM BDS (``adam.py``): a ``.xpt`` / ``.sas7bdat`` file, or a CSV / Parquet file whose
  columns include ``USUBJID``, ``PARAMCD`` and ``AVAL``;
* OMOP CDM (``omop.py``): a folder with ``measurement.csv`` and ``cohort.csv``, a DuckDB file,
  or a ``postgresql://`` URL.

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

if TYPE_CHECKING:  # light on imports: build.py asks is_database_url before anything heavy is needed
    import pandas as pd

    from mscreport.inputs.readers import RawTable

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

    def raw_table(self) -> "RawTable":
        """The long frame as the table the long-file rules read."""
        from mscreport.inputs.readers import RawTable

        return RawTable(path=self.name, frame=self.frame, sha256=self.sha256, header_row=None,
                        headers=dict(self.headers))

    def finish(self, cohort):
        """The Cohort built from the long frame, completed: the records left out before the
        long rules added to ``excluded`` (and counted in ``rows_read``), the notes, the layout
        and the source's name."""
        from mscreport.inputs.cohort import Exclusion

        extra = tuple(Exclusion(int(r), reason, arm) for r, reason, arm in self.excluded)
        named = tuple(dataclasses.replace(e, reason=f"{self.table}: {e.reason}") if self.table else e
                      for e in cohort.excluded)  # the long rules' reasons, naming the table
        excluded = tuple(sorted(named + extra, key=lambda e: e.row))
        return dataclasses.replace(cohort, path=self.shown, excluded=excluded,
                                   rows_read=cohort.rows_read + len(extra),
                                   file_notes=tuple(self.notes) + tuple(cohort.file_notes),
                                   data_format=self.layout)


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


def read_source(path, params: dict, columns=None) -> "tuple[RawTable, FieldData | None]":
    """What ``--data`` names, read: (table for the long/wide rules, FieldData or None).

    The one dispatch point: an OMOP source (folder, DuckDB file, database URL) and an ADaM
    file (SAS transport or SAS7BDAT by their bytes or suffix; CSV or Parquet by the columns
    USUBJID, PARAMCD and AVAL) become the long frame; anything else is read as before."""
    from mscreport.inputs import adam, omop
    from mscreport.inputs.readers import read_cohort_file

    if is_database_url(path) or Path(str(path)).is_dir() or omop.is_duckdb_file(path):
        data = omop.read_omop(path, params)
        return data.raw_table(), data
    if adam.is_sas_file(path):
        data = adam.read_adam(path, params)
        return data.raw_table(), data
    raw = read_cohort_file(path, columns)
    if adam.is_adam_columns(raw.frame.columns):
        data = adam.read_adam(path, params, raw)
        return data.raw_table(), data
    return raw, None


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
