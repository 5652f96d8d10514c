"""One constructed trial written in every layout mscreport reads (issue 25: "same study, six layouts").

A SYNTHETIC two-arm trial (placebo, msc; 40 invented patients; HbA1c in % at a baseline visit
and up to four visits after randomisation) is written once as the long CSV
``tests/fixtures/field_trial/trial_long.csv`` and as the constructed ADaM ADLB
``trial_adlb.xpt`` (SAS transport), both committed; ``write_omop`` writes the same trial as an
OMOP CDM folder (measurement.csv, cohort.csv, cohort_definition.csv), from which the tests
load DuckDB and PostgreSQL. Every layout carries the same values and times:

* long CSV: ``days`` since randomisation (baseline at day -7 or -3);
* ADLB: ``ADY`` = days + 1 after randomisation (study days have no day 0), = days before;
  ``ABLFL`` = "Y" on the baseline row; also rows of another parameter (GLUC) and derived
  records (DTYPE = "LOV") that the reader leaves out and counts;
* OMOP: ``measurement_date`` = the cohort start + days; unit concept 8554 (percent); also
  glucose rows (another concept) and a person of a cohort not selected.

    .venv/bin/python scripts/field_trial.py          # rewrites the two committed files
    .venv/bin/python scripts/field_trial.py --omop omop --duckdb cdm.duckdb   # and the OMOP layouts
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from omop_tables import omop_duckdb, write_omop_tables  # noqa: E402
OUT = ROOT / "tests" / "fixtures" / "field_trial"
VISIT_DAYS = (91, 182, 273, 364)
START = dt.date(2024, 1, 8)


def make_trial(seed: int = 25) -> pd.DataFrame:
    """One row per measurement: patient_id, arm, days, hba1c (%, one decimal), visit, randomised (date)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(40):
        pid = f"{101 + k}"
        arm = "placebo" if k % 2 == 0 else "msc"
        start = START + dt.timedelta(days=int(7 * k))
        base = round(float(rng.normal(8.3, 0.9)), 1)
        rows.append((pid, arm, int(rng.choice([-7, -3])), base, "Baseline", 0, start))
        effect = -0.8 if arm == "msc" else -0.2
        for j, day in enumerate(VISIT_DAYS):
            if rng.random() < 0.15:
                continue
            value = base + effect * (j + 1) / 4 + float(rng.normal(0, 0.45))
            rows.append((pid, arm, day, round(min(max(value, 4.5), 14.0), 1), f"Week {day // 7}", day // 7, start))
    return pd.DataFrame(rows, columns=["patient_id", "arm", "days", "hba1c", "visit", "visit_week", "randomised"])


def write_long(trial: pd.DataFrame, path: Path) -> None:
    trial[["patient_id", "arm", "days", "hba1c"]].to_csv(path, index=False, lineterminator="\n")


def adlb_frame(trial: pd.DataFrame) -> pd.DataFrame:
    """The trial as an ADaM ADLB: HbA1c rows, GLUC rows and DTYPE = LOV records."""
    recs = []
    for r in trial.itertuples(index=False):
        ady = r.days + 1 if r.days >= 0 else r.days
        adt = r.randomised + dt.timedelta(days=int(r.days))
        common = dict(STUDYID="MSCTRIAL", USUBJID=r.patient_id, TRT01P=r.arm, TRT01A=r.arm, TRTSDT=r.randomised,
                      ADT=adt, ADY=float(ady), AVISIT=r.visit, AVISITN=float(r.visit_week))
        recs.append(dict(common, PARAMCD="HBA1C", PARAM="Hemoglobin A1C (%)", AVAL=float(r.hba1c), AVALU="%",
                         ABLFL="Y" if r.visit == "Baseline" else "", DTYPE=""))
        recs.append(dict(common, PARAMCD="GLUC", PARAM="Glucose (mmol/L)", AVAL=round(r.hba1c * 1.1, 1),
                         AVALU="mmol/L", ABLFL="Y" if r.visit == "Baseline" else "", DTYPE=""))
    frame = pd.DataFrame(recs)
    last = frame[(frame["PARAMCD"] == "HBA1C") & (frame["ABLFL"] == "")].groupby("USUBJID").tail(1).copy()
    last["DTYPE"], last["AVISIT"], last["AVISITN"] = "LOV", "POST-BASELINE LAST", 9999.0
    return pd.concat([frame, last], ignore_index=True)


def write_adlb(trial: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    pyreadstat.write_xport(adlb_frame(trial), str(path), file_label="ADLB constructed trial", table_name="ADLB",
                           variable_format={"ADT": "DATE9.", "TRTSDT": "DATE9."}, file_format_version=5)


def trial_persons(trial: pd.DataFrame, seed: int = 26) -> pd.DataFrame:
    """The OMOP person rows of the trial's patients (invented): gender_concept_id 8507 (male) or
    8532 (female), year_of_birth, and month_of_birth / day_of_birth, empty for some persons
    (an OMOP export often has the year only)."""
    rng = np.random.default_rng(seed)
    ids = [int(p) for p in trial["patient_id"].unique()]
    n = len(ids)
    month = pd.array(rng.integers(1, 13, n), dtype="Int64")
    day = pd.array(rng.integers(1, 29, n), dtype="Int64")
    day[::4] = pd.NA  # year and month only
    month[::7], day[::7] = pd.NA, pd.NA  # the year only
    return pd.DataFrame({"person_id": ids, "gender_concept_id": np.where(rng.random(n) < 0.5, 8507, 8532),
                         "year_of_birth": rng.integers(1950, 1995, n), "month_of_birth": month, "day_of_birth": day})


def write_omop(trial: pd.DataFrame, folder: Path, person: bool = False) -> Path:
    """The trial as an OMOP CDM folder of CSV files (with ``person.csv`` when ``person``); returns it."""
    meas, cohort = [], []
    mid = 1000
    arms = {"placebo": 1, "msc": 2}
    for pid, rows in trial.groupby("patient_id", sort=False):
        first = rows.iloc[0]
        start = first["randomised"]
        cohort.append((arms[first["arm"]], int(pid), start, start + dt.timedelta(days=300)))
        for r in rows.itertuples(index=False):
            date = start + dt.timedelta(days=int(r.days))
            mid += 1
            meas.append((mid, int(pid), 3004410, date, r.hba1c, 8554))
            mid += 1
            meas.append((mid, int(pid), 3004501, date, round(r.hba1c * 20, 0), 8840))  # glucose: not HbA1c
    cohort.append((3, 999, START, START + dt.timedelta(days=300)))  # a cohort not selected (-p omop_cohort_ids=1,2)
    meas.append((mid + 1, 999, 3004410, START, 9.9, 8554))
    tables = {"measurement": pd.DataFrame(meas, columns=["measurement_id", "person_id", "measurement_concept_id",
                                                         "measurement_date", "value_as_number", "unit_concept_id"]),
              "cohort": pd.DataFrame(cohort, columns=["cohort_definition_id", "subject_id", "cohort_start_date",
                                                      "cohort_end_date"]),
              "cohort_definition": pd.DataFrame([(1, "placebo"), (2, "msc"), (3, "screening")],
                                                columns=["cohort_definition_id", "cohort_definition_name"])}
    if person:
        tables["person"] = trial_persons(trial)
    return write_omop_tables(folder, tables, "csv")


def write_duckdb(folder: Path, path: Path) -> Path:
    """The OMOP folder's tables in a DuckDB file; returns it."""
    return omop_duckdb(folder, path)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="the constructed trial in every layout")
    parser.add_argument("--omop", metavar="FOLDER", help="also write the OMOP CSV folder here")
    parser.add_argument("--duckdb", metavar="FILE", help="also write the OMOP tables into this DuckDB file")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    trial = make_trial()
    write_long(trial, OUT / "trial_long.csv")
    write_adlb(trial, OUT / "trial_adlb.xpt")
    print(f"wrote {OUT}: {len(trial)} measurements of {trial['patient_id'].nunique()} patients")
    if args.omop or args.duckdb:
        import tempfile

        folder = Path(args.omop) if args.omop else Path(tempfile.mkdtemp())
        write_omop(trial, folder)
        print(f"wrote the OMOP tables of the trial to {folder}")
        if args.duckdb:
            print(f"wrote {write_duckdb(folder, Path(args.duckdb))}")


if __name__ == "__main__":
    main()
