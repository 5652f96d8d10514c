"""The field's own files (CDISC ADaM BDS, OMOP CDM v5.4) as the project's long cohort frame.

``read_source`` is the one dispatch point from ``cohort.load_cohort``: given what ``--data``
names, it returns the ``RawTable`` that the long-file rules (``longitudinal.read_long``) and
the validation (``validators.check_frame``) run on unchanged, and the ``FieldData`` describing
what the layout's own reader did before (rows left out, rows excluded with their reasons,
notes), or None for the project's own wide and long files.

* ADaM BDS (``adam.py``): a ``.xpt`` / ``.sas7bdat`` file, or a CSV / Parquet file whose
  columns include ``USUBJID``, ``PARAMCD`` and ``AVAL``;
* OMOP CDM (``omop.py``): a folder with ``measurement.csv`` and ``cohort.csv``, a DuckDB file,
  or a ``postgresql://`` URL.
"""

from __future__ import annotations

from pathlib import Path

from mscreport.inputs import adam, omop
from mscreport.inputs.field_data import FieldData, is_database_url
from mscreport.inputs.readers import RawTable, read_cohort_file


def raw_table(data: FieldData) -> RawTable:
    """A field layout's long frame as the table the long-file rules read (no header row)."""
    return RawTable(path=data.name, frame=data.frame, sha256=data.sha256, header_row=None, headers=dict(data.headers))


def read_source(path, params: dict, columns=None) -> tuple[RawTable, FieldData | None]:
    """What ``--data`` names, read: (table for the long/wide rules, FieldData or None).

    The one dispatch point: an OMOP source (folder, DuckDB file, database URL) and an ADaM
    file (SAS transport or SAS7BDAT by their bytes or suffix; CSV or Parquet by the columns
    USUBJID, PARAMCD and AVAL) become the long frame; anything else is read as before."""
    if is_database_url(path) or Path(str(path)).is_dir() or omop.is_duckdb_file(path):
        data = omop.read_omop(path, params)
        return raw_table(data), data
    if adam.is_sas_file(path):
        data = adam.read_adam(path, params)
        return raw_table(data), data
    raw = read_cohort_file(path, columns)
    if adam.is_adam_columns(raw.frame.columns):
        data = adam.read_adam(path, params, raw)
        return raw_table(data), data
    return raw, None
