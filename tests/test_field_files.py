"""The field's own files (issue 25): CDISC ADaM BDS and OMOP CDM v5.4 read into the long frame.

Fast tests of the rules (adam.py, omop.py, field_files.py) on pharmaverse's ADaM test data
(tests/fixtures/adam/, converted once by scripts/pharmaverse_fixtures.py) and on small
constructed tables; the builds (six layouts of one trial, PostgreSQL, pharmaverse's
adlb_metabolic) are in tests/test_field_builds.py.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError
from mscreport.inputs.field_data import shown_source
from mscreport.inputs.params import resolve_params
from mscreport.core.paths import REPO_ROOT
from mscreport.core.units import ifcc_to_ngsp

ADAM = REPO_ROOT / "tests" / "fixtures" / "adam"
TRIAL = REPO_ROOT / "tests" / "fixtures" / "field_trial"
sys.path.insert(0, str(REPO_ROOT / "scripts"))
import field_trial  # noqa: E402  (scripts/field_trial.py: the constructed trial in every layout)


def params(*overrides):
    return resolve_params(overrides=list(overrides))


def problems_of(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ------------------------------------------------------------------ ADaM: pharmaverse

def test_pharmaverse_metabolic_finds_hba1c_in_mmol_mol_by_itself():
    cohort = load_cohort(ADAM / "adlb_metabolic.xpt", params())
    assert cohort.data_block()["format"] == "adam"
    long = cohort.longitudinal
    assert long.rows_read == 31 and long.n_patients == 5  # README: HBA1CHGB has 31 rows of 5 subjects
    # 01-701-1015's baseline (ADY -7, AVAL 62.84175 mmol/mol) in NGSP % by the master equation
    first = long.patients.set_index("patient_id").loc["01-701-1015"]
    assert first["baseline"] == pytest.approx(0.0915 * 62.84175 + 2.15, rel=1e-12)
    assert first["baseline_months"] == pytest.approx(-7 / 30.4375)
    notes = [str(n) for n in cohort.file_notes]
    assert any("340 rows of 10 other parameters" in n and ":PARAMCD: note:" in n for n in notes)
    assert not any("excluded" in e.reason for e in cohort.excluded)  # other parameters are not exclusions
    assert sorted(cohort.frame["arm"].unique()) == ["Insulin", "Placebo"]
    # the long rules' exclusions name the table; the row is the patient's first HbA1c row of the file
    assert load_cohort(ADAM / "adlb_metabolic.xpt", params()).rows_analysed == 5  # a user's trial: nobody dropped
    strict = load_cohort(ADAM / "adlb_metabolic.xpt", params("inclusion_min=6.2"))
    assert [(e.row, e.reason) for e in strict.excluded] == [
        (r, "ADLB: baseline HbA1c below the inclusion threshold (6.2 %)") for r in (94, 95, 96, 97)]


def test_pharmaverse_adlb_fraction_unit_dtype_and_ablfl():
    from mscreport.inputs.adam import read_adam

    data = read_adam(ADAM / "adlb_hba1c.xpt", params())
    frame = data.frame
    # PARAM "Hemoglobin A1C (1)": an NGSP fraction, x 100 (0.082 -> 8.2 %)
    assert frame.loc[frame["patient_id"] == "01-704-1093", "hba1c"].tolist() == [pytest.approx(8.2)]
    # ADY 57 -> day 56; ADY -13 -> day -13 (no day 0)
    assert frame.loc[frame["patient_id"] == "01-704-1218", "days"].tolist() == [56.0]
    assert frame.loc[frame["patient_id"] == "01-704-1093", "days"].tolist() == [-13.0]
    assert len(frame) == 8 and frame["baseline_flag"].sum() == 6
    notes = [n.message for n in data.notes]
    assert "note: 6 derived HbA1c records (DTYPE LOV, MAXIMUM, MINIMUM) left out" in notes[1]
    assert notes[0].startswith("note: 40 rows of 4 other parameters")


def test_pharmaverse_adlb_with_nobody_analysable_says_why(capsys):
    assert main(["validate", str(ADAM / "adlb_hba1c.xpt")]) == 2
    err = capsys.readouterr().err
    assert "no patient left to analyse: all 8 patients are excluded" in err
    assert 'no baseline record (ADLB: no HbA1c row with ABLFL = "Y")' in err and "Traceback" not in err


def test_adsl_joins_arm_sex_and_age(capsys):
    assert main(["validate", str(ADAM / "adlb_metabolic.xpt"), "--adsl", str(ADAM / "adsl.xpt"),
                 "-p", "moderate_min=3"]) == 0
    cohort = load_cohort(ADAM / "adlb_metabolic.xpt", params("moderate_min=3", f"adsl_path={ADAM / 'adsl.xpt'}"))
    assert cohort.has("sex") and cohort.has("age_years")
    assert set(cohort.frame["sex"].dropna().astype(str)) <= {"female", "male"}


# ------------------------------------------------------------------ ADaM: constructed tables

def adlb(rows: list[dict]) -> pd.DataFrame:
    base = {"USUBJID": "S1", "PARAMCD": "HBA1C", "PARAM": "HbA1c (%)", "AVAL": 8.0, "AVALU": "%", "ADY": 1.0,
            "ABLFL": "", "DTYPE": "", "TRT01P": "placebo", "TRT01A": "placebo"}
    return pd.DataFrame([{**base, **r} for r in rows])


def write_csv(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


TWO_PATIENTS = [
    {"USUBJID": "S1", "AVAL": 8.0, "ADY": -5.0, "ABLFL": "Y"}, {"USUBJID": "S1", "AVAL": 7.5, "ADY": 90.0},
    {"USUBJID": "S2", "AVAL": 9.0, "ADY": 0.0, "ABLFL": "Y", "TRT01P": "msc", "TRT01A": "msc"},
    {"USUBJID": "S2", "AVAL": 8.0, "ADY": 181.0, "TRT01P": "msc", "TRT01A": "msc"},
]


def test_adam_csv_is_recognised_by_its_columns_and_days_follow_ady(tmp_path):
    path = write_csv(adlb(TWO_PATIENTS), tmp_path / "adlb.csv")
    cohort = load_cohort(path, params())
    assert cohort.data_block()["format"] == "adam"
    m = cohort.longitudinal.measurements.set_index("row")
    # ADY -5 -> -5 days; ADY 90 -> 89; ADY 0 -> day 0; ADY 181 -> 180 (months = days / 30.4375)
    assert (m["months"] * 30.4375).round(9).tolist() == [-5.0, 89.0, 0.0, 180.0]
    assert cohort.frame.set_index("arm")["change"].to_dict() == pytest.approx({"placebo": -0.5, "msc": -1.0})


def test_two_hba1c_codes_need_paramcd(tmp_path, capsys):
    rows = TWO_PATIENTS + [{"USUBJID": "S1", "PARAMCD": "HBA1CHGB", "PARAM": "HbA1c (mmol/mol)", "AVALU": "mmol/mol",
                            "AVAL": 64.0, "ADY": -5.0}]
    path = write_csv(adlb(rows), tmp_path / "adlb.csv")
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:-:PARAMCD: two HbA1c parameters in the file (HBA1C, HBA1CHGB): choose one with -p paramcd=HBA1C" in err
    cohort = load_cohort(path, params("paramcd=HBA1C"))
    assert cohort.rows_analysed == 2
    with pytest.raises(InputError) as exc:
        load_cohort(path, params("paramcd=GLUC"))
    assert "paramcd='GLUC': no row has this PARAMCD" in problems_of(exc)[0]


def test_unit_from_avalu_else_param(tmp_path):
    rows = [{"USUBJID": "S1", "AVAL": 64.0, "AVALU": "mmol/mol", "ADY": -5.0, "ABLFL": "Y"},
            {"USUBJID": "S1", "AVAL": 0.075, "AVALU": "", "PARAM": "HbA1c (fraction)", "ADY": 90.0}]
    cohort = load_cohort(write_csv(adlb(rows), tmp_path / "adlb.csv"), params())
    row = cohort.frame.iloc[0]
    assert row["hba1c_baseline"] == pytest.approx(ifcc_to_ngsp(64.0)) and row["hba1c_followup"] == pytest.approx(7.5)


def test_unknown_unit_names_row_and_column(tmp_path, capsys):
    rows = [{"USUBJID": "S1", "AVAL": 8.0, "AVALU": "g/dL", "ADY": -5.0, "ABLFL": "Y"},
            {"USUBJID": "S1", "AVAL": 7.0, "AVALU": "", "PARAM": "HbA1c", "ADY": 9.0}]
    path = write_csv(adlb(rows), tmp_path / "adlb.csv")
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{path}:1:AVALU: HbA1c unit 'g/dL' not known: give AVALU as %, mmol/mol or 1 (an NGSP fraction)",
                   f"{path}:2:PARAM: no HbA1c unit: give AVALU (%, mmol/mol or 1), or the unit in PARAM's "
                   "parentheses, e.g. 'HbA1c (%)'"]


def test_several_baselines_is_an_error_naming_the_rows(tmp_path, capsys):
    rows = TWO_PATIENTS + [{"USUBJID": "S2", "AVAL": 9.1, "ADY": -3.0, "ABLFL": "Y", "TRT01P": "msc"}]
    path = write_csv(adlb(rows), tmp_path / "adlb.csv")
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:ABLFL: USUBJID 'S2' has 2 baseline records (ABLFL = \"Y\" in rows 3, 5): keep one" in err


def test_dtype_rows_left_out_and_counted(tmp_path):
    rows = TWO_PATIENTS + [{"USUBJID": "S1", "AVAL": 7.0, "ADY": 90.0, "DTYPE": "LOV"}]
    cohort = load_cohort(write_csv(adlb(rows), tmp_path / "adlb.csv"), params())
    assert cohort.longitudinal.rows_read == 4 and cohort.frame["hba1c_followup"].tolist() == [7.5, 8.0]
    assert any(":DTYPE: note: 1 derived HbA1c records (DTYPE LOV) left out" in str(n) for n in cohort.file_notes)


def test_missing_ady_uses_dates_else_excludes_the_row(tmp_path):
    rows = [{"USUBJID": "S1", "AVAL": 8.0, "ADY": -5.0, "ABLFL": "Y", "ADT": "2024-01-03", "TRTSDT": "2024-01-08"},
            {"USUBJID": "S1", "AVAL": 7.4, "ADY": None, "ADT": "2024-04-08", "TRTSDT": "2024-01-08"},
            {"USUBJID": "S1", "AVAL": 7.0, "ADY": None, "ADT": "", "TRTSDT": "2024-01-08"}]
    cohort = load_cohort(write_csv(adlb(rows), tmp_path / "adlb.csv"), params())
    m = cohort.longitudinal.measurements.set_index("row")
    assert m.loc[2, "months"] * 30.4375 == pytest.approx(91.0)  # ADT - TRTSDT = 91 days (ADY would be 92)
    assert [(e.row, e.reason) for e in cohort.excluded] == [
        (3, "ADLB: no ADY, and no ADT and TRTSDT to derive the study day")]
    assert cohort.frame["hba1c_followup"].tolist() == [7.4]


def test_unassigned_arm_excludes_the_patient_and_arm_variable_switches(tmp_path):
    rows = TWO_PATIENTS + [{"USUBJID": "S3", "AVAL": 9.0, "ADY": -2.0, "ABLFL": "Y", "TRT01P": "Screen Failure",
                            "TRT01A": "Screen Failure"},
                           {"USUBJID": "S3", "AVAL": 8.0, "ADY": 30.0, "TRT01P": "Screen Failure",
                            "TRT01A": "Screen Failure"}]
    frame = adlb(rows)
    frame.loc[frame["USUBJID"] == "S2", "TRT01A"] = "placebo"  # actual treatment differs from the plan
    path = write_csv(frame, tmp_path / "adlb.csv")
    cohort = load_cohort(path, params())
    assert [(e.row, e.reason) for e in cohort.excluded] == [(5, "ADLB: TRT01P is 'Screen Failure' (not randomised)")]
    assert cohort.rows_read == 3 and cohort.rows_analysed == 2
    assert sorted(cohort.frame["arm"]) == ["msc", "placebo"]  # ITT: planned arms
    actual = load_cohort(path, params("arm_variable=TRT01A"))
    assert sorted(actual.frame["arm"]) == ["placebo", "placebo"]


def test_adam_parquet_and_messages_name_the_adam_column(tmp_path, capsys):
    frame = adlb(TWO_PATIENTS)
    frame.to_parquet(tmp_path / "adlb.parquet")
    assert load_cohort(tmp_path / "adlb.parquet", params()).data_block()["format"] == "adam"
    frame.loc[1, "AVAL"] = 25.0  # 25 %: implausible
    path = write_csv(frame, tmp_path / "adlb.csv")
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert err == (f"{path}:2:AVAL: HbA1c 25 is outside the plausible range 3-20 % (HbA1c converted to NGSP % "
                   "from the row's unit)\n")


def test_adam_sas7bdat_reads_as_its_xpt():
    """The committed SAS7BDAT (written by haven::write_sas from the trial's .xpt:
    tests/r/trial_adlb_sas7bdat.R) gives the same cohort as the SAS transport file."""
    import pyreadstat

    sas7bdat, xpt = TRIAL / "trial_adlb.sas7bdat", TRIAL / "trial_adlb.xpt"
    assert sas7bdat.read_bytes()[32:36] != xpt.read_bytes()[32:36]  # really another format
    frame, meta = pyreadstat.read_sas7bdat(str(sas7bdat))
    assert (len(frame), meta.file_format) == (396, "sas7bdat")
    a, b = load_cohort(sas7bdat, params()), load_cohort(xpt, params())
    assert a.data_block()["format"] == b.data_block()["format"] == "adam"
    assert a.rows_analysed == 40
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert [(e.row, e.reason) for e in a.excluded] == [(e.row, e.reason) for e in b.excluded]
    pd.testing.assert_frame_equal(a.longitudinal.measurements, b.longitudinal.measurements)


def test_bad_xpt_is_exit_2_without_traceback(tmp_path, capsys):
    bad = tmp_path / "broken.xpt"
    bad.write_bytes(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"\x00" * 40)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:-:-: cannot read this file as a SAS dataset") and "Traceback" not in err


# ------------------------------------------------------------------ OMOP

def omop_folder(tmp_path, measurements, cohorts, names=None):
    folder = tmp_path / "omop"
    folder.mkdir(exist_ok=True)
    pd.DataFrame(measurements, columns=["measurement_id", "person_id", "measurement_concept_id", "measurement_date",
                                        "value_as_number", "unit_concept_id"]).to_csv(folder / "measurement.csv",
                                                                                      index=False)
    pd.DataFrame(cohorts, columns=["cohort_definition_id", "subject_id", "cohort_start_date",
                                   "cohort_end_date"]).to_csv(folder / "cohort.csv", index=False)
    if names:
        pd.DataFrame(list(names.items()), columns=["cohort_definition_id", "cohort_definition_name"]).to_csv(
            folder / "cohort_definition.csv", index=False)
    return folder


D0 = dt.date(2024, 1, 10)


def day(n: int) -> str:
    return (D0 + dt.timedelta(days=n)).isoformat()


def test_omop_rules(tmp_path):
    meas = [(1, 7, 3004410, day(-10), 8.0, 8554), (2, 7, 3004410, day(400), 7.0, 8554),  # after cohort_end: kept
            (3, 8, 3005673, day(-3), 64.0, 9579), (4, 8, 3005673, day(91), 58.0, 9579),
            (5, 8, 3004410, day(120), None, 8554),  # no value: excluded
            (6, 8, 3004410, day(150), 7.1, 0),  # no unit: excluded unless omop_unit
            (7, 9, 3004410, day(-1), 9.0, 8554), (8, 9, 3004410, day(60), 8.5, 8554),  # in two cohorts
            (9, 7, 3004501, day(5), 120.0, 8840)]  # glucose: not HbA1c, not read
    cohorts = [(1, 7, day(0), day(300)), (2, 8, day(0), day(300)), (1, 9, day(0), day(300)),
               (2, 9, day(2), day(300)), (1, 8, day(30), day(300))]
    folder = omop_folder(tmp_path, meas, cohorts[:4], {1: "placebo", 2: "msc"})
    cohort = load_cohort(folder, params())
    assert cohort.data_block()["format"] == "omop_files"
    assert [(e.row, e.reason) for e in cohort.excluded] == [
        (5, "MEASUREMENT: value_as_number empty (no HbA1c value)"),
        (6, "MEASUREMENT: no unit (unit_concept_id 0 or empty; -p omop_unit=percent|mmol_mol gives it)"),
        (7, "COHORT: person in 2 of the selected cohorts (no one arm)")]
    f = cohort.frame.set_index("arm")
    assert f.loc["msc", "hba1c_baseline"] == pytest.approx(ifcc_to_ngsp(64.0))
    assert f.loc["placebo", "followup_months"] == pytest.approx(400 / 30.4375)
    with_unit = load_cohort(folder, params("omop_unit=percent"))
    assert with_unit.frame.set_index("arm").loc["msc", "hba1c_followup"] == pytest.approx(7.1)
    # one cohort selected: a single-arm study; time zero = the earliest start among the selected cohorts
    folder = omop_folder(tmp_path, meas, cohorts, {1: "placebo", 2: "msc"})
    one = load_cohort(folder, params("omop_cohort_ids=1"))
    assert "arm" not in one.frame.columns and one.rows_analysed == 3
    m = one.longitudinal.measurements.set_index("row")
    assert m.loc[3, "months"] * 30.4375 == pytest.approx(-33)  # person 8: cohort 1 starts on day 30


def test_omop_unknown_unit_and_bad_cells_name_table_key_and_column(tmp_path, capsys):
    folder = omop_folder(tmp_path, [(1, 7, 3004410, day(-1), 8.0, 8554), (2, 7, 3004410, day(9), 7.0, 8576)],
                         [(1, 7, day(0), day(30))])
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == (f"{folder}/measurement.csv:2:unit_concept_id: unit concept 8576 is not an HbA1c unit: use 8554 "
                   "(percent) or 9579 (mmol/mol)\n")
    folder = omop_folder(tmp_path, [(1, 7, 3004410, "10/01/2024", 8.0, 8554), (2, 7, 3004410, day(9), "7,0", 8554)],
                         [(1, 7, day(0), day(30))])
    assert main(["validate", str(folder)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{folder}/measurement.csv:1:measurement_date: not a date YYYY-MM-DD: '10/01/2024'",
        f"{folder}/measurement.csv:2:value_as_number: not a number: '7,0'"]
    (folder / "cohort.csv").unlink()
    assert main(["validate", str(folder)]) == 2
    assert "cohort.csv:-:-: file not found: an OMOP folder needs cohort.csv" in capsys.readouterr().err


def test_omop_duplicate_key_and_empty_unit_named(tmp_path, capsys):
    meas = [(1, 7, 3004410, day(-1), 8.0, 8554), (2, 7, 3004410, day(9), 7.0, 8554),
            (2, 7, 3004410, day(19), 6.9, 8554), (3, 7, 3004410, day(29), 6.8, None)]
    folder = omop_folder(tmp_path, meas, [(1, 7, day(0), day(30))])
    assert main(["validate", str(folder)]) == 2
    assert capsys.readouterr().err == f"{folder}/measurement.csv:2:measurement_id: measurement_id appears twice\n"
    folder = omop_folder(tmp_path, [m for m in meas if m[4] != 6.9], [(1, 7, day(0), day(30))])
    cohort = load_cohort(folder, params("omop_unit=percent"))  # an empty unit concept read as percent, with a note
    assert cohort.frame["hba1c_followup"].tolist() == [6.8]
    assert any("1 rows without a unit concept read as percent (omop_unit)" in p.message for p in cohort.file_notes)
    assert [e.row for e in load_cohort(folder, params()).excluded] == [3]


def test_omop_person_table_cells_and_columns_named(tmp_path, capsys):
    folder = omop_folder(tmp_path, [(1, 7, 3004410, day(-1), 8.0, 8554), (2, 7, 3004410, day(9), 7.0, 8554)],
                         [(1, 7, day(0), day(30))])
    pd.DataFrame({"person_id": [7], "gender_concept_id": [8532], "year_of_birth": ["19x0"]}).to_csv(
        folder / "person.csv", index=False)
    assert main(["validate", str(folder)]) == 2
    assert capsys.readouterr().err == f"{folder}/person.csv:7:year_of_birth: not a number: '19x0'\n"
    pd.DataFrame({"person_id": [7], "gender": [8532]}).to_csv(folder / "person.csv", index=False)
    assert main(["validate", str(folder)]) == 2
    assert f"{folder}/person.csv:-:gender_concept_id: column gender_concept_id missing" in capsys.readouterr().err
    pd.DataFrame({"person_id": [7], "gender_concept_id": [8551], "year_of_birth": [1960]}).to_csv(
        folder / "person.csv", index=False)
    cohort = load_cohort(folder, params())  # 8551 (unknown) is no sex; born 1960, time zero 2024-01-10: 64
    assert cohort.frame["age_years"].tolist() == [64.0] and cohort.frame["sex"].isna().all()
    pd.DataFrame({"person_id": [], "gender_concept_id": [], "year_of_birth": []}).to_csv(folder / "person.csv",
                                                                                         index=False)
    empty = load_cohort(folder, params())  # an empty person table: as if there were none
    assert "sex" not in empty.frame.columns and "age_years" not in empty.frame.columns
    (folder / "person.csv").unlink()
    assert load_cohort(folder, params()).sha256 == empty.sha256


def test_omop_parquet_folder(tmp_path):
    folder = field_trial.write_omop(field_trial.make_trial(), tmp_path / "csv")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    for table in ("measurement", "cohort", "cohort_definition"):
        frame = pd.read_csv(folder / f"{table}.csv")
        for c in [c for c in frame.columns if c.endswith("_date")]:
            frame[c] = pd.to_datetime(frame[c]).dt.date
        frame.to_parquet(parquet / f"{table}.parquet")
    p = params("omop_cohort_ids=1,2")
    a, b = load_cohort(folder, p), load_cohort(parquet, p)
    assert a.sha256 == b.sha256
    pd.testing.assert_frame_equal(a.frame, b.frame)


def test_omop_folder_and_duckdb_extract_the_same_rows(tmp_path):
    import duckdb

    folder = field_trial.write_omop(field_trial.make_trial(), tmp_path / "omop")
    db = tmp_path / "cdm.duckdb"
    with duckdb.connect(str(db)) as con:
        for table in ("measurement", "cohort", "cohort_definition"):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{folder / (table + '.csv')}')")
    p = params("omop_cohort_ids=1,2")
    a, b = load_cohort(folder, p), load_cohort(db, p)
    assert (a.data_block()["format"], b.data_block()["format"]) == ("omop_files", "omop_duckdb")
    assert a.sha256 == b.sha256  # the canonical CSV of the extracted rows (omop.canonical_csv)
    pd.testing.assert_frame_equal(a.frame, b.frame)


def test_canonical_csv_is_documented_form():
    from mscreport.inputs.omop import canonical_csv

    rows = pd.DataFrame({"measurement_id": [2, 1], "person_id": [7, 7], "measurement_concept_id": [3004410] * 2,
                         "measurement_date": [dt.date(2024, 1, 2), dt.date(2024, 1, 1)], "value_as_number": [7.1, None],
                         "unit_concept_id": [8554, None], "cohort_definition_id": [1, 1], "n_cohorts": [1, 1],
                         "time_zero": [dt.date(2024, 1, 1)] * 2, "days": [1, 0]})
    assert canonical_csv(rows).decode() == (
        "measurement_id,person_id,measurement_concept_id,measurement_date,value_as_number,unit_concept_id,"
        "cohort_definition_id,n_cohorts,time_zero,days\n"
        "1,7,3004410,2024-01-01,,,1,1,2024-01-01,0\n"
        "2,7,3004410,2024-01-02,7.1,8554,1,1,2024-01-01,1\n")
    rows.loc[0, "value_as_number"] = 8.0  # whole doubles without a decimal point (the shortest text)
    assert b"\n2,7,3004410,2024-01-02,8,8554," in canonical_csv(rows)


def test_database_url_never_shows_its_password():
    assert shown_source("postgresql://ana:s3cret@db.example:5432/cdm") == "postgresql://ana@db.example:5432/cdm"
    assert shown_source("postgresql://ana@db/cdm") == "postgresql://ana@db/cdm"
    assert shown_source("data/x.csv") == "data/x.csv"
    from mscreport.pipeline.build import rebuild_command

    assert "s3cret" not in rebuild_command(["build", "--data", "postgresql://ana:s3cret@db/cdm"])


def test_unreachable_database_is_exit_2_without_password(capsys):
    url = "postgresql://ana:s3cret@127.0.0.1:9/cdm"  # port 9 (discard): nothing listens
    assert main(["validate", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith('"postgresql://ana@127.0.0.1:9/cdm":-:-: cannot connect to the database')
    assert "s3cret" not in err and "Traceback" not in err


def test_cli_help_names_the_layouts():
    out = subprocess.run([sys.executable, "-m", "mscreport", "build", "--help"], capture_output=True, text=True).stdout
    assert "ADaM" in out and "OMOP" in out and "--adsl" in out


def test_r_fixture_is_the_constructed_trial():
    r = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_field_trial.json").read_text())
    assert r["n_measurements"] == len(pd.read_csv(TRIAL / "trial_long.csv"))
