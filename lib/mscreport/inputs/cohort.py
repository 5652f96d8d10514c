"""The analysed cohort: rows read, rows analysed, rows excluded with their reasons.

``load_cohort`` is the one entry point used by the command line and by every chapter: it
reads the file (``readers``), optionally renaming the user's headers (``column_map``),
checks it (``validators``) and words every problem for the user: the user's own header is
quoted when it differs from the dictionary's name, and the spreadsheet row is given beside
the data row. Invariant: ``rows_read == len(frame) + len(excluded)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from mscreport.core import dictionary as dd
from mscreport.core.errors import InputError, Problem
from mscreport.inputs.params import DEFAULTS
from mscreport.inputs.longitudinal import read_long
from mscreport.inputs.readers import RawTable
from mscreport.inputs.study import Study, resolve_study
from mscreport.inputs.synthetic import is_reconstruction, is_synthetic
from mscreport.inputs.validators import check_frame
from mscreport.core.groups import check_published_arm, check_reference_arm, choose_reference, list_arms
from mscreport.inputs.column_map import resolve_column_map
from mscreport.inputs.field_files import read_source
from mscreport.inputs.shared import shared_result
from mscreport.inputs.frame_input import frame_cohort, frame_error, write_frame_csv


@dataclass(frozen=True)
class Exclusion:
    """A row read but not analysed (row is the 1-based data row of the file)."""

    row: int
    reason: str
    arm: str = ""  # the row's arm (column arm), so a per-arm flow needs no re-reading of the file


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
    file_notes: tuple = ()  # other notes: columns not used by the analysis, look-alike pseudonyms
    header_row: int | None = 1  # spreadsheet row of the header (None for Parquet)
    column_map: dict = field(default_factory=dict)  # dictionary column -> the user's header, as mapped
    longitudinal: object = field(default=None, repr=False)  # LongCohort of a long file (one row per measurement)

    def spreadsheet_row(self, row: int) -> int | None:
        """The spreadsheet row of a 1-based data row (None for Parquet)."""
        return None if self.header_row is None else self.header_row + int(row)
    synthetic: bool = False  # synthetic.is_synthetic: the bundled cohort's bytes or a `synthetic` column
    reconstruction: bool = False  # synthetic.is_reconstruction: a reconstruction of the paper's cohort
    reading: dict = field(default_factory=dict)  # date_format and value mapping when given (ColumnMap.reading)
    data_format: str = ""  # field_data.LAYOUTS: adam, omop_files, omop_duckdb, omop_database ("": wide or long)
    study: Study | None = None  # study.resolve_study: condition, intervention, inclusion_min as resolved
    visits: object = field(default=None, repr=False)  # ADaM: nominal visit of each file row (adam.visit_table)

    @property
    def resolved_params(self) -> dict:
        """The parameters with every ``auto`` resolved (results.json ``params``)."""
        return {**self.params, **(self.study.params_entries() if self.study else {})}
    # what is computed from this cohort (``once``), and where a build's chapters share it; neither is
    # data: not compared, not copied by ``dataclasses.replace`` (a new cohort starts with none)
    kept: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    shared_results: Path | None = field(default=None, init=False, repr=False, compare=False)

    def share_results_in(self, folder: Path) -> None:
        """Keep this cohort's shared analyses (``once(..., shared=True)``) in ``folder`` (the
        build's snapshot folder: ``snapshot.load_snapshot``)."""
        object.__setattr__(self, "shared_results", folder)  # frozen: set once, right after loading

    def once(self, key: str, compute, shared: bool = False):
        """``compute()`` the first time ``key`` is asked of this cohort, the same result after:
        for analyses that several cells of a chapter ask for (seconds each at 1e6 patients).
        A Cohort does not change (frozen; its frame is not modified after validation), so an
        analysis of it is computed once; ``dataclasses.replace`` makes a new cohort, with no
        results kept.

        ``shared``: an analysis several chapters ask for. The cohort a build's chapter loads
        from the build's snapshot keeps such a result for the build's other chapters
        (``snapshot.shared_result``: computed by the first chapter that asks, loaded by the
        later ones, with the warnings it gave shown again); elsewhere it is kept like any other."""
        kept = self.kept
        if key not in kept:
            folder = self.shared_results if shared else None
            if folder is None:
                kept[key] = compute()
            else:
                kept[key] = shared_result(folder, key, compute)
        return kept[key]

    @property
    def rows_analysed(self) -> int:
        return len(self.frame)

    def has(self, column: str) -> bool:
        """Whether the file had this (study or optional) column at all."""
        return column in self.columns_present

    def stratum(self, name: str) -> pd.DataFrame:
        """Rows of one severity stratum ('moderate' or 'severe')."""
        return self.frame[self.stratum_mask(name)]

    def stratum_mask(self, name: str) -> np.ndarray:
        """Boolean array: which rows of ``frame`` are in one severity stratum (computed once;
        select the columns needed with it rather than copying the whole frame per stratum)."""
        return self.once(f"stratum_mask:{name}", lambda: (self.frame["stratum"] == name).to_numpy(dtype=bool))

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
        block = {"path": self.path, "format": self.data_format or ("long" if self.longitudinal is not None else "wide"),
                 "sha256": self.sha256, "rows_read": self.rows_read,
                 "rows_analysed": self.rows_analysed, "synthetic": self.synthetic,
                 "reconstruction": self.reconstruction,
                 "excluded": [{"row": e.row, "reason": e.reason} for e in self.excluded]}
        if self.column_map:  # dictionary column -> the user's header (--columns / -c)
            block["column_map"] = dict(self.column_map)
        if self.reading:  # how the export was read: -p date_format, --values
            block["reading"] = dict(self.reading)
        return block


def locate(problem: Problem, raw: RawTable) -> Problem:
    """The problem with the user's own header (when it differs from the dictionary's name) and
    the spreadsheet row (when it has a row) added to its message."""
    where = []
    if problem.column and raw.header_of(problem.column) != problem.column:
        where.append(f"column {raw.header_of(problem.column)!r}")
    if problem.row is not None and raw.header_row is not None:
        where.append(f"spreadsheet row {raw.spreadsheet_row(problem.row)}")
    if not where or problem.file != raw.path:
        return problem
    return Problem(problem.file, problem.row, problem.column, f"{problem.message} ({', '.join(where)})")


def row_arm(frame, row: int) -> str:
    """The arm of a data row of the file's frame ('' without an arm column or for an unknown row)."""
    if "arm" not in frame.columns or row not in frame.index:
        return ""
    value = frame.at[row, "arm"]
    return "" if value is None or value != value else str(value).strip()


def load_cohort(path, params: dict | None = None, columns=None) -> Cohort:
    """Read and validate a cohort file, or a pandas DataFrame of the same columns (checked
    exactly as that table saved as CSV; problems name ``DataFrame`` and the 1-based row
    position: ``frame_input``); raise InputError listing every problem.

    ``columns``: a ``column_map.ColumnMap`` (or a plain dict, dictionary column -> the user's
    header) renaming the file's headers before the checks.
    """
    if isinstance(path, pd.DataFrame):
        return _load_frame(path, params, columns)
    params = {**DEFAULTS, **(params or {})}
    if isinstance(columns, dict):
        columns = resolve_column_map(None, [f"{k}={v}" for k, v in columns.items()])
    raw, field_data = read_source(path, params, columns)  # ADaM / OMOP: the long frame, HbA1c in NGSP % (field_files.py)
    if field_data is not None:
        params = {**params, "hba1c_unit": "percent"}
    frame, long = raw.frame, None
    reconstruction = is_reconstruction(raw.sha256, raw.frame)
    study = resolve_study(params, reconstruction, raw.frame.columns)
    rules = {**params, "inclusion_min": study.inclusion_min}  # the exclusion rule as resolved
    if dd.detect_layout(frame.columns) == "long":  # one row per measurement: derive the wide frame (longitudinal.py)
        try:
            long = read_long(frame, raw.path, rules)
        except InputError as exc:
            if field_data is None:
                raise
            raise InputError(field_data.reworded(exc.problems)) from None
        frame = long.wide
        if frame.empty:  # every patient excluded by the long rules: say why, by reason
            why = pd.Series([reason for _, reason in long.excluded], dtype=object).value_counts()
            raise InputError([Problem(raw.path, None, None, f"no patient left to analyse: all {long.n_patients} patients "
                                      "are excluded (" + "; ".join(f"{k}: {r}" for r, k in why.items()) + ")")])
    try:
        analysed, excluded, problems, notes = check_frame(frame, raw.path, rules, raw.headers)
        if long:
            excluded, notes = sorted(excluded + long.excluded), notes + long.notes
    except InputError:
        raise
    except Exception as exc:  # a cell type no check foresaw: still a readable message, never a traceback
        raise InputError([Problem(raw.path, None, None,
                                  f"cannot check this file ({type(exc).__name__}: {exc}); save it as CSV "
                                  "and try again, and please report this as an mscreport bug")]) from None
    if problems:
        raise InputError(field_data.reworded(problems) if field_data is not None else [locate(p, raw) for p in problems])

    check_reference_arm(analysed, params, raw.path)  # reference_arm must name one arm: exit 2 otherwise
    check_published_arm(analysed, params, raw.path)  # so must published_arm, unless it is all
    study = replace(study, controlled=choose_reference(list_arms(analysed), params.get("reference_arm", "auto")) is not None,
                    arms="arm" in raw.frame.columns)
    notes = [*raw.notes, *(locate(p, raw) if p.row is not None else p for p in notes)]
    cell_notes = tuple(p for p in notes if p.row is not None and p.column in dd.COLUMNS_BY_NAME
                       and dd.COLUMNS_BY_NAME[p.column].requirement == dd.OPTIONAL)
    present = tuple(c.name for c in dd.COLUMNS if c.name in analysed.columns or c.name in raw.frame.columns)
    cohort = Cohort(path=str(path), sha256=raw.sha256, rows_read=long.n_patients if long else len(raw.frame), frame=analysed,
                  excluded=tuple(Exclusion(r, reason, row_arm(frame, r)) for r, reason in excluded),
                  columns_present=present, params=params, notes=cell_notes,
                  file_notes=tuple(p for p in notes if p not in cell_notes), header_row=raw.header_row,
                  column_map=columns.as_dict() if columns else {},
                  reading=columns.reading() if columns is not None else {},
                  synthetic=is_synthetic(raw.sha256, raw.frame),
                  reconstruction=reconstruction, study=study, longitudinal=long)
    return field_data.finish(cohort, Exclusion) if field_data is not None else cohort


def _load_frame(frame: pd.DataFrame, params: dict | None, columns) -> Cohort:
    """``load_cohort`` of a DataFrame: written to a temporary CSV, loaded, worded back."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mscreport-frame-") as folder:
        csv_path = write_frame_csv(frame, Path(folder))
        try:
            cohort = load_cohort(csv_path, params, columns)
        except InputError as exc:
            raise frame_error(exc, csv_path, frame) from None
        return frame_cohort(cohort, csv_path, frame)
