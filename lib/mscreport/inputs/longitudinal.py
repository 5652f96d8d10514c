"""Long cohort files: one row per HbA1c measurement, and the wide cohort derived from them.

Layout (interface.md, "Repeated measurements"): ``patient_id``, ``hba1c`` and one time column:
``months`` (since the infusion or randomisation; negative or 0 = before), ``weeks``, ``days``,
or ``date`` with a per-patient ``infusion_date`` (ISO ``YYYY-MM-DD``). Recognised by its
columns: ``hba1c`` and a time column, and no ``hba1c_baseline``. Conversions to months:
weeks x 7 / 30.4375, days / 30.4375, (date - infusion_date) in days / 30.4375.

Patient-level columns (``arm``, ``dose_cells``, ``msc_source``, the optional dictionary
columns, ``infusion_date``) may repeat on every row and must be constant within a patient: an
empty cell is "not repeated", two different values are an error naming the rows.

Derivation rules of the analysed wide cohort (each a parameter):

* baseline = the last measurement at a time in [-``baseline_window_months``, 0]; none
  there excludes the patient with that reason;
* follow-up: ``followup_at_months`` = ``last``: the last measurement after time 0 (the
  paper's definition); a number M: the measurement closest to M within
  ``followup_window_months`` of it (and after time 0; ties go to the earlier one); none
  there excludes the patient (or, when the baseline is below ``inclusion_min``, the
  inclusion reason applies, as for wide files);
* ``followup_months`` of the derived cohort = the chosen measurement's time.

The derived frame has one row per patient, indexed by the patient's first data row of the
file, in the wide layout with HbA1c still in the file's unit, so that the wide validation
(``validators.check_frame``) runs on it unchanged. Every measurement row is accounted for
(``measurement_use``): baseline, follow-up, other measurement after time 0 (mixed model
only), not used (with the reason), or empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mscreport.core import dictionary as dd
from mscreport.core.errors import InputError, Problem
from mscreport.core.units import UNIT_LABELS, to_ngsp
from mscreport.inputs.readers import limited
from mscreport.core.groups import below_inclusion
from mscreport.inputs.validators import (REASON_BELOW_MIN, fmt_number, hba1c_hint, parse_dates, parse_numbers, text_cells,
                                         unknown_column_notes)

DAYS_PER_MONTH = dd.DAYS_PER_MONTH
MONTHS_PER = {"months": 1.0, "weeks": 7 / DAYS_PER_MONTH, "days": 1 / DAYS_PER_MONTH}
AGREE_MONTHS = 0.5 / DAYS_PER_MONTH  # two time columns agree within half a day
LONG_COLUMNS = ("patient_id", "hba1c") + dd.LONG_TIME_COLUMNS + ("infusion_date",)
PATIENT_COLUMNS = tuple(c.name for c in dd.COLUMNS  # repeated on each row, constant within a patient
                        if c.requirement in (dd.STUDY, dd.OPTIONAL, dd.DESIGN) and c.name != "followup_months")

BASELINE_FLAG = "baseline_flag"  # optional column of a long frame: True on the patient's baseline row (ADaM ABLFL)
REASON_NO_FLAGGED_BASELINE = 'no baseline record (ADLB: no HbA1c row with ABLFL = "Y")'
USE_BASELINE = "baseline"
USE_FOLLOWUP = "follow-up"
USE_OTHER = "other measurement after time 0 (mixed model only)"
USE_BEFORE = "before time 0, not the baseline (not used)"
USE_EMPTY = "empty hba1c cell (not a measurement)"
USE_PATIENT_OUT = "patient not analysed (see the patient's exclusion)"
USES = (USE_BASELINE, USE_FOLLOWUP, USE_OTHER, USE_BEFORE, USE_PATIENT_OUT, USE_EMPTY)  # in the flow's order


def is_long_layout(columns) -> bool:
    """Whether a table's columns say "one row per measurement" (``dictionary.detect_layout``)."""
    return dd.detect_layout(columns) == "long"


def reason_no_baseline(window: float) -> str:
    return f"no HbA1c in the baseline window (-{window:g} to 0 months)"


def reason_no_followup(params: dict) -> str:
    at = params["followup_at_months"]
    if at == "last":
        return "no HbA1c after time 0 (follow-up)"
    return f"no HbA1c within {params['followup_window_months']:g} months of month {float(at):g} (follow-up)"


def followup_target(params: dict) -> float | None:
    """``followup_at_months`` as a number of months, or None for ``last``."""
    at = params["followup_at_months"]
    return None if at == "last" else float(at)


@dataclass(frozen=True)
class LongCohort:
    """A validated long file: measurements in NGSP %, per-patient derivation, row accounting.

    ``measurements``: row, patient_id, months, hba1c (NGSP %; NaN for an empty cell), patient
    (the patient's position in ``patients``, so that per-patient facts reach every measurement
    by indexing, not by matching pseudonyms).
    ``patients``: one row per patient in order of first appearance (first_row, baseline/follow-up
    rows, times and values, ``reason`` of an exclusion by the derivation, or None).
    """

    path: str
    rows_read: int
    measurements: pd.DataFrame = field(repr=False)
    patients: pd.DataFrame = field(repr=False)
    wide: pd.DataFrame = field(repr=False)  # the derived wide frame, only patients the derivation keeps
    params: dict = field(repr=False)
    notes: list = field(default_factory=list, repr=False)  # columns not used (FILE:-:COLUMN: note: ...)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # model frame, computed once

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}}  # the snapshot holds the data, not what is derived from it

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    @property
    def excluded(self) -> list[tuple[int, str]]:
        """Patients the derivation excludes, as (first data row of the patient, reason)."""
        out = self.patients[self.patients["reason"].notna()]
        return list(zip(out["first_row"].astype(int).tolist(), out["reason"].tolist()))

    def _model_mask(self) -> np.ndarray:
        """Per patient: whether the baseline exists and passes the inclusion rule (inclusion_min as resolved)."""
        p = self.patients
        return (p["baseline"].notna().to_numpy() & ~below_inclusion(p["baseline"], self.params.get("inclusion_min")))

    def measurement_use(self, analysed_ids=None) -> pd.Series:
        """What each measurement row is used for (indexed by row). ``analysed_ids``: patients
        the wide cohort analyses (default: those the derivation keeps and whose baseline
        passes ``inclusion_min``)."""
        labels = np.array(USES, dtype=object)[self._use_codes(analysed_ids)]
        return pd.Series(labels, index=pd.Index(self.measurements["row"].to_numpy(), name="row"), name="use")

    def _use_codes(self, analysed_ids=None) -> np.ndarray:
        """``measurement_use`` as positions in ``USES``, one per measurement row."""
        m = self.measurements
        p = self.patients
        per_patient = (self._model_mask() if analysed_ids is None
                       else p["patient_id"].isin(set(analysed_ids)).to_numpy())
        in_model = per_patient[m["patient"].to_numpy()]
        use = np.full(len(m), USES.index(USE_BEFORE), dtype=np.int8)
        use[(m["months"] > 0).to_numpy()] = USES.index(USE_OTHER)
        rows = m["row"].to_numpy()
        use[np.isin(rows, p["baseline_row"].dropna().to_numpy())] = USES.index(USE_BASELINE)
        use[np.isin(rows, p["followup_row"].dropna().to_numpy())] = USES.index(USE_FOLLOWUP)
        use[~in_model] = USES.index(USE_PATIENT_OUT)
        use[m["hba1c"].isna().to_numpy()] = USES.index(USE_EMPTY)
        return use

    def model_patients(self) -> list[str]:
        """Patients whose baseline exists and passes inclusion_min (the mixed model's patients)."""
        return self.patients.loc[self._model_mask(), "patient_id"].tolist()

    def model_frame(self) -> pd.DataFrame:
        """Measurements for the mixed model: each included patient's baseline measurement and every
        measurement after time 0 (empty cells dropped); years = months / 12. Sorted by
        patient_id (as text), then months. Computed once per cohort; each call returns a copy."""
        if "model_frame" not in self._cache:
            self._cache["model_frame"] = self._model_frame()
        return self._cache["model_frame"].copy()

    def _model_frame(self) -> pd.DataFrame:
        m, p = self.measurements, self.patients
        patient = m["patient"].to_numpy()
        months = m["months"].to_numpy()
        base_rows = p["baseline_row"].dropna().to_numpy()
        sel = (self._model_mask()[patient] & m["hba1c"].notna().to_numpy()
               & ((months > 0) | np.isin(m["row"].to_numpy(), base_rows)))
        at = np.flatnonzero(sel)
        rank = np.empty(len(p), dtype="int64")  # each patient's place in the order of patient_id as text
        rank[np.argsort(p["patient_id"].to_numpy(dtype=object), kind="stable")] = np.arange(len(p))
        at = at[np.lexsort((months[at], rank[patient[at]]))]  # by patient_id, then months (stable)
        out = m[["row", "patient_id", "months", "hba1c"]].take(at).reset_index(drop=True)
        out["years"] = out["months"] / 12.0
        if "arm" in p:
            arm = p["arm"]
            out["arm"] = (arm.array.take(patient[at]) if isinstance(arm.dtype, pd.StringDtype)  # Arrow take
                          else arm.take(patient[at]).to_numpy())
        return out

    def flow(self) -> dict:
        """Where every measurement and every patient went (counts only: safe to show)."""
        counts = np.bincount(self._use_codes(), minlength=len(USES))
        reasons = self.patients["reason"].dropna().value_counts()
        return {"rows_read": self.rows_read,
                "measurements": [{"use": k, "n": int(n)} for k, n in zip(USES, counts)],
                "patients_read": self.n_patients,
                "patients_excluded_by_derivation": [{"reason": k, "n": int(v)} for k, v in reasons.items()]}


def parse_repeated_numbers(column: pd.Series, name: str, column_name: str, rows: np.ndarray
                           ) -> tuple[pd.Series, list[Problem]]:
    """``validators.parse_numbers`` for a text column whose cells repeat (a long file: a few
    visit months, HbA1c to one decimal): each distinct cell parsed once, its value copied to
    every row that has it (parsing is cell by cell, so the values are the same). A column
    with a problem in it is parsed row by row, so that every problem names its row."""
    if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):  # numbers, or mixed cells
        return parse_numbers(column, name, column_name, rows)
    cells, distinct = pd.factorize(column, use_na_sentinel=False)
    if 2 * len(distinct) > len(column):
        return parse_numbers(column, name, column_name, rows)
    values, problems = parse_numbers(pd.Series(distinct, dtype=object), name, column_name)
    if problems:
        return parse_numbers(column, name, column_name, rows)
    return pd.Series(values.to_numpy()[cells]), []


def patient_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's patient as a number 0, 1, ... in order of first appearance (-1 for an empty
    pseudonym), and the pseudonyms in that order. ``ids``: stripped text, '' where empty."""
    codes, order = pd.factorize(ids)
    where = np.flatnonzero(np.asarray(order == "", dtype=bool))  # not get_indexer: no hash table of the ids
    empty = int(where[0]) if len(where) else -1
    if empty >= 0:  # an empty pseudonym is no patient
        codes = np.where(codes == empty, -1, codes - (codes > empty))
        order = order.delete(empty)
    return codes, order


def _months(frame: pd.DataFrame, name: str, rows: np.ndarray) -> tuple[np.ndarray, list[Problem]]:
    """Time since the infusion in months from every time column present (they must agree)."""
    problems: list[Problem] = []
    found: list[tuple[str, np.ndarray]] = []
    for column in ("months", "weeks", "days"):
        if column in frame.columns:
            values, probs = parse_repeated_numbers(frame[column], name, column, rows)
            problems += probs
            found.append((column, values.to_numpy() * MONTHS_PER[column]))
    if "date" in frame.columns:
        if "infusion_date" not in frame.columns:
            problems.append(Problem(name, None, "infusion_date", "a 'date' column needs the patient's "
                                    "'infusion_date' (YYYY-MM-DD) on each row, or give 'months' instead"))
        else:
            date, p1 = parse_dates(frame, "date", name, rows)
            infusion, p2 = parse_dates(frame, "infusion_date", name, rows)
            problems += p1 + p2
            found.append(("date", ((date - infusion).dt.days / DAYS_PER_MONTH).to_numpy(dtype="float64")))
    if not found:
        return np.full(len(frame), np.nan), problems
    column, months = found[0]
    if not problems:  # an empty time (a non-number was reported above already)
        problems += limited([Problem(name, int(rows[i]), column, "empty time: every measurement needs its time "
                                      "since the infusion") for i in np.flatnonzero(np.isnan(months))], name, column)
    for other, values in found[1:]:
        disagree = ~np.isnan(values) & ~np.isnan(months) & (np.abs(values - months) > AGREE_MONTHS)
        problems += limited([Problem(name, int(rows[i]), other, f"{other} disagrees with {column} "
                                      f"({values[i]:.2f} vs {months[i]:.2f} months): keep one time column")
                              for i in np.flatnonzero(disagree)], name, other)
    return months, problems


def _patient_columns(frame: pd.DataFrame, patient: np.ndarray, n_patients: int, name: str, rows: np.ndarray
                     ) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """Per patient (codes 0..n_patients-1; -1 = no id), the one non-empty text of each
    patient-level column; a Problem for every row whose value differs from the patient's first
    non-empty one (numbers compared as numbers: 1.5e9 and 1500000000 are one value).

    Columnar: each distinct cell is made text once (``pd.factorize``), every row is then an
    integer code, and the per-patient comparison is on codes (no Python per row or patient)."""
    problems: list[Problem] = []
    out: dict[str, np.ndarray] = {}
    n = len(frame)
    starts = None  # each patient's first position, when each patient's rows are together (codes ascending)
    if n and patient[0] == 0 and bool(np.all(np.diff(patient) >= 0)):
        starts = np.flatnonzero(np.r_[True, patient[1:] != patient[:-1]])
    for column in [c for c in PATIENT_COLUMNS + ("infusion_date",) if c in frame.columns]:
        cells, distinct = pd.factorize(frame[column], use_na_sentinel=False)  # each distinct cell handled once
        texts = pd.Series(np.asarray(distinct, dtype=object), dtype=object).map(
            lambda x: "" if pd.isna(x) else str(x).strip())
        keys = texts.str.lower()
        if column in dd.COLUMNS_BY_NAME and dd.COLUMNS_BY_NAME[column].kind == "number":
            number = pd.to_numeric(texts.str.replace(",", ".", regex=False), errors="coerce")
            keys = keys.where(number.isna(), number.map(repr))
        key_of = pd.factorize(keys)[0]  # distinct cell -> its comparison key
        distinct_text = texts.to_numpy(dtype=object)  # a row's text is distinct_text[cells[row]]
        if starts is not None and not (distinct_text == "").any():  # the usual long file: no row to skip
            key = key_of[cells]
            change = np.flatnonzero(key[1:] != key[:-1]) + 1  # only where a new patient starts, when none differs
            if not len(change) or bool(np.all(patient[change] != patient[change - 1])):
                out[column] = distinct_text[cells[starts]]
                continue
        nonempty = (distinct_text != "")[cells] & (patient >= 0)
        at = np.flatnonzero(nonempty)
        first = np.full(n_patients, n, dtype="int64")
        np.minimum.at(first, patient[at], at)  # each patient's first non-empty position (n: none)
        ref = first[patient[at]]
        differ = key_of[cells[at]] != key_of[cells[ref]]
        if differ.any():
            wrong, ref = at[differ], ref[differ]
            problems += limited([Problem(name, int(rows[i]), column,
                                          f"{column} differs within the patient ({distinct_text[cells[i]]!r} here, "
                                          f"{distinct_text[cells[r]]!r} in row {int(rows[r])}): a "
                                          "patient-level column must be the same on every row of the patient")
                                  for i, r in zip(wrong, ref)], name, column)
        values = np.full(n_patients, "", dtype=object)
        has = first < n
        values[has] = distinct_text[cells[first[has]]]
        out[column] = values
    return out, problems


def _second_at_same_time(patient: np.ndarray, months: np.ndarray, measured: np.ndarray, name: str,
                         rows: np.ndarray) -> list[Problem]:
    """A Problem for every measured row that is not its patient's first (in file order) at the
    same time (months rounded to 1e-9), naming the first; in file order. One sort of the
    measured rows by (patient, time); equal neighbours are the repeats."""
    at = np.flatnonzero(measured)
    t = np.round(months[at], 9)
    p = patient[at]
    if len(at) > 1 and bool(np.all(p[1:] >= p[:-1])) and bool(np.all((t[1:] > t[:-1]) | (p[1:] != p[:-1]))):
        return []  # the usual long file: each patient's rows together, times increasing
    order = np.lexsort((at, t, p))  # by patient, time, then file position
    at, t, p = at[order], t[order], p[order]
    same = (p[1:] == p[:-1]) & (t[1:] == t[:-1])
    if not same.any():
        return []
    start = np.flatnonzero(np.r_[True, ~same])  # each (patient, time) group's first place in the sorted order
    group = np.cumsum(np.r_[True, ~same]) - 1
    first = at[start][group]  # the group's first row in file order (positions ascend within a group)
    later = np.flatnonzero(first != at)
    later = later[np.argsort(at[later], kind="stable")]
    return limited([Problem(name, int(rows[at[i]]), "hba1c", f"a second HbA1c of this patient at the same time "
                            f"(as row {int(rows[first[i]])}): keep one")
                    for i in later], name, "hba1c")


def read_long(frame: pd.DataFrame, name: str, params: dict) -> LongCohort:
    """Check a long table (as ``validators.read_table`` returns it) and derive the wide cohort.

    Raises InputError with every problem (``FILE:ROW:COLUMN``): an empty patient_id or time,
    a non-number or implausible HbA1c, two measurements of a patient at the same time, a
    patient-level column that differs within a patient, time columns that disagree.
    """
    n = len(frame)
    rows = (frame.index.to_numpy(dtype="int64") if frame.index.name == "row"
            else np.arange(1, n + 1, dtype="int64"))
    frame = frame.reset_index(drop=True)
    problems: list[Problem] = []
    ids = text_cells(frame, "patient_id")
    empty_id = (ids == "").to_numpy()
    problems += limited([Problem(name, int(rows[i]), "patient_id", "empty patient_id: every measurement needs "
                                  "the patient's pseudonym") for i in np.flatnonzero(empty_id)], name, "patient_id")
    unit = params["hba1c_unit"]
    values, probs = parse_repeated_numbers(frame["hba1c"], name, "hba1c", rows)
    problems += probs
    v = values.to_numpy()
    lo, hi = dd.HBA1C_RANGE[unit]
    hint = hba1c_hint(unit)
    outside = ~np.isnan(v) & ((v < lo) | (v > hi))
    problems += limited([Problem(name, int(rows[i]), "hba1c", f"HbA1c {fmt_number(v[i])} is outside the plausible "
                                  f"range {lo:g}-{hi:g} {UNIT_LABELS[unit]}{hint(v[i])}")
                          for i in np.flatnonzero(outside)], name, "hba1c")
    months, probs = _months(frame, name, rows)
    problems += probs
    patient, order = patient_codes(ids)
    measured = ~np.isnan(v) & ~np.isnan(months) & ~empty_id
    problems += _second_at_same_time(patient, months, measured, name, rows)
    per_patient, probs = _patient_columns(frame, patient, len(order), name, rows)
    problems += probs
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))
        raise InputError(problems)
    ngsp = to_ngsp(pd.Series(v), unit).to_numpy()
    measurements = pd.DataFrame({"row": rows, "patient_id": ids.astype("str").array, "months": months,
                                 "hba1c": ngsp})
    extra = {"hba1c_raw": v}
    if BASELINE_FLAG in frame.columns:  # ADaM ABLFL = "Y" (field_files): the flagged row is the baseline
        extra[BASELINE_FLAG] = frame[BASELINE_FLAG].to_numpy(dtype=bool)
    patients = derive_patients(measurements.assign(**extra), params, patient)  # patients in the order of `order`
    del extra
    for column, values in per_patient.items():
        patients[column] = values
    measurements["patient"] = patient  # each measurement's row in ``patients``
    notes = unknown_column_notes(frame.drop(columns=[c for c in LONG_COLUMNS + (BASELINE_FLAG,) if c in frame.columns]), name)
    return LongCohort(path=name, rows_read=n, measurements=measurements,
                      patients=patients.drop(columns=["baseline_raw", "followup_raw"]),
                      wide=wide_frame(patients, list(per_patient)), params=dict(params), notes=notes)


def derive_patients(measurements: pd.DataFrame, params: dict, patient: np.ndarray | None = None) -> pd.DataFrame:
    """Per patient: first row, baseline and follow-up (row, months, NGSP %, raw value) by the
    stated rules, and the reason when the derivation excludes the patient (else None).

    ``measurements``: row, patient_id, months, hba1c (NGSP %), hba1c_raw (file unit).
    ``patient``: each row's patient as 0, 1, ... in order of first appearance (default: from
    ``patient_id``). Patients in that order. Columnar: one sort of the rows by (patient,
    months); each patient's rows are then a run, and the rules pick a place in each run.
    """
    m = measurements
    if patient is None:
        patient = pd.factorize(m["patient_id"])[0]
    patient = np.asarray(patient)
    n_patients = int(patient.max()) + 1 if len(patient) else 0
    months = m["months"].to_numpy(dtype="float64")
    rows = m["row"].to_numpy(dtype="int64")
    ngsp = m["hba1c"].to_numpy(dtype="float64")
    raw = m["hba1c_raw"].to_numpy(dtype="float64")
    head = np.full(n_patients, len(m), dtype="int64")  # the pseudonym of each patient: that of its first row
    np.minimum.at(head, patient, np.arange(len(m)))
    first_row = np.full(n_patients, np.iinfo("int64").max, dtype="int64")
    np.minimum.at(first_row, patient, rows)
    out = pd.DataFrame({"patient_id": m["patient_id"].array.take(head), "first_row": first_row})

    order = np.flatnonzero(~np.isnan(ngsp))  # the valid rows, by patient then months (stable)
    p, t = patient[order], months[order]
    if not (bool(np.all(p[1:] >= p[:-1])) and bool(np.all((t[1:] >= t[:-1]) | (p[1:] != p[:-1])))):
        at = np.lexsort((t, p))
        order, p, t = order[at], p[at], t[at]
    window = params["baseline_window_months"]
    flagged = BASELINE_FLAG in m.columns  # ADaM: the ABLFL = "Y" row, not the window rule
    if flagged:
        flag = m[BASELINE_FLAG].to_numpy(dtype=bool)[order]
        base_sel = flag
        after_sel = (t > 0) & ~flag
    else:
        base_sel = (t >= -window) & (t <= 0)
        after_sel = t > 0
    base = _last_per_patient(p, base_sel, n_patients)
    target = followup_target(params)
    if target is None:
        fu = _last_per_patient(p, after_sel, n_patients)
    else:
        distance = np.abs(t - target)
        fu = _nearest_per_patient(p, after_sel & (distance <= params["followup_window_months"]), distance,
                                  n_patients)
    for what, got in (("baseline", base), ("followup", fu)):
        has = got >= 0
        src = order[np.where(has, got, 0)]
        out[f"{what}_row"] = rows[src] if has.all() else np.where(has, rows[src], np.nan)
        for column, values in ((f"{what}_months", months), (what, ngsp), (f"{what}_raw", raw)):
            out[column] = np.where(has, values[src], np.nan)

    reason = np.full(len(out), None, dtype=object)
    no_fu = out["followup"].isna().to_numpy()
    below = below_inclusion(out["baseline"], params.get("inclusion_min"))
    reason[no_fu & below] = REASON_BELOW_MIN.format(params.get("inclusion_min") or 0)
    reason[no_fu & ~below] = reason_no_followup(params)
    reason[out["baseline"].isna().to_numpy()] = REASON_NO_FLAGGED_BASELINE if flagged else reason_no_baseline(window)
    out["reason"] = reason
    return out


def _last_per_patient(p: np.ndarray, sel: np.ndarray, n_patients: int) -> np.ndarray:
    """Per patient, the last place i (in the sorted order; ``p`` the patient of each place,
    non-decreasing) with ``sel[i]``; -1 for none."""
    at = np.flatnonzero(sel)
    q = p[at]
    last = at[np.r_[q[1:] != q[:-1], True]] if len(at) else at
    got = np.full(n_patients, -1, dtype="int64")
    got[p[last]] = last
    return got


def _nearest_per_patient(p: np.ndarray, sel: np.ndarray, distance: np.ndarray, n_patients: int) -> np.ndarray:
    """Per patient, the place i with ``sel[i]`` of the smallest ``distance`` (ties: the first,
    i.e. the earlier time); -1 for none."""
    at = np.flatnonzero(sel)
    got = np.full(n_patients, -1, dtype="int64")
    if not len(at):
        return got
    q, d = p[at], distance[at]
    start = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    smallest = np.minimum.reduceat(d, start)
    group = np.cumsum(np.r_[True, q[1:] != q[:-1]]) - 1
    best = np.flatnonzero(d == smallest[group])
    best = best[np.r_[True, q[best][1:] != q[best][:-1]]]  # the first of each patient's ties
    got[q[best]] = at[best]
    return got


def wide_frame(patients: pd.DataFrame, patient_columns) -> pd.DataFrame:
    """The derived wide cohort in the file's layout (HbA1c in the file's unit), one row per patient
    kept by the derivation, indexed by the patient's first data row (``row``)."""
    keep = patients[patients["reason"].isna()]
    wide = pd.DataFrame({"patient_id": keep["patient_id"].to_numpy(),
                         "hba1c_baseline": keep["baseline_raw"].to_numpy(),
                         "hba1c_followup": keep["followup_raw"].to_numpy(),
                         "followup_months": keep["followup_months"].to_numpy()},
                        index=pd.Index(keep["first_row"].astype("int64").to_numpy(), name="row"))
    for column in patient_columns:
        if column != "infusion_date":
            wide[column] = keep[column].to_numpy()
    return wide
