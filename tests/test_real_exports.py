"""A clinic's spreadsheet export builds with options a new user finds in ``--help`` (issue 25,
"Real exports"): dates as dd/mm/yyyy (``-p date_format``, never guessed, one message per column
with a count), value mapping (``--values``, a ``values:`` section of ``--columns``), the
missing-value tokens, headers matched by their words, and unused-column notes that quote the
user's header and name the closest dictionary column.

``tests/fixtures/clinic_export.csv`` is the bundled reconstructed (synthetic) cohort as such an
export holds it (see tests/fixtures/README.md); it must give the bundled cohort's numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mscreport.inputs import readers
from mscreport.cli import main, make_parser
from mscreport.inputs.cohort import load_cohort
from mscreport.inputs.column_map import resolve_column_map
from mscreport.core.errors import InputError
from mscreport.inputs.header_words import column_of_words
from mscreport.inputs.missing_tokens import MISSING_TOKENS
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT

EXPORT = REPO_ROOT / "tests" / "fixtures" / "clinic_export.csv"
OPTIONS = ["-p", "date_format=DMY", "--values", "msc_source=UC-MSC:umbilical_cord",
           "--values", "msc_source=BM-MSC:bone_marrow", "--values", "msc_source=AD-MSC:adipose"]
HEADER = "patient_id,hba1c_baseline,hba1c_followup"


def _help(command: str) -> str:
    parser = make_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return sub.format_help()


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", ["build", "validate"])
def test_help_alone_names_what_an_export_needs(command):
    text = " ".join(_help(command).split())
    for needed in ["date_format=DMY", "MDY", "YMD", "never guessed", "--values COLUMN=FROM:TO",
                   "--values msc_source=UC-MSC:umbilical_cord", "umbilical_cord, bone_marrow, adipose",
                   "NA, N/A, n/a, . and -", '"Follow-up date" -> followup_date', '"HbA1c baseline (%)" -> hba1c_baseline',
                   "-c COLUMN=", "--columns MAP.yaml", "values:", "hba1c_unit=mmol_mol"]:
        assert needed in text, needed


def test_the_export_without_options_gives_one_message_per_problem(capsys):
    code, _, err = _run(capsys, "validate", EXPORT)
    assert code == 2 and "Traceback" not in err
    lines = err.splitlines()
    dates = [line for line in lines if ":infusion_date:" in line or ":followup_date:" in line]
    sources = [line for line in lines if ":msc_source:" in line]
    assert len(dates) == 2 and len(lines) == len(dates) + len(sources), err  # the dates: one message per column
    assert dates[0].startswith(f"{EXPORT}:1:infusion_date: 61 cells of this column are dates written like '29/03/2020'")
    assert "never guessed" in dates[0] and "-p date_format=DMY" in dates[0] and "-p date_format=MDY" in dates[0]
    # an unknown value: every row named (20, then a count), each saying how to map it
    assert len(sources) == 21 and sources[-1].endswith("... and 41 more rows with problems in this column (column 'MSC source')")
    assert sources[0].startswith(f"{EXPORT}:1:msc_source: unknown value 'UC-MSC': ")
    assert all("--values msc_source=" in line for line in sources[:-1])


def test_the_export_validates_with_the_options_of_help(capsys):
    code, out, err = _run(capsys, "validate", EXPORT, *OPTIONS)
    assert code == 0, err
    assert "61 rows read, 60 analysed" in out and "1 excluded" in out
    assert f"{EXPORT}:20:-: excluded: no follow-up HbA1c (hba1c_followup empty)" in out
    assert f"{EXPORT}:-:followup_date: note: the header 'Follow-up date' is read as followup_date" in out
    assert f"{EXPORT}:-:Clinic notes: note: column not used by the analysis ('Clinic notes')" in out


def test_the_export_reads_as_the_bundled_cohort():
    """The same patients, HbA1c, doses and sources as the bundled file; follow-up from the dates."""
    reading = resolve_column_map(None, (), OPTIONS[3::2], "DMY")
    export = load_cohort(EXPORT, columns=reading).frame.set_index("patient_id")
    bundled = load_cohort(DEFAULT_COHORT).frame.set_index("patient_id")
    assert list(export.index) == [p for p in bundled.index if p != "SYN-020"]
    same = bundled.loc[export.index]
    for column in ["hba1c_baseline", "hba1c_followup", "dose_cells", "msc_source", "stratum", "serious_adverse_event"]:
        assert export[column].tolist() == same[column].tolist(), column
    assert np.allclose(export["followup_months"], same["followup_months"], atol=0.5 / 30.4375)  # whole days apart
    assert export["bmi"].isna().sum() == 1 and export["age_years"].isna().sum() == 1 and export["sex"].isna().sum() == 1


def test_the_export_builds(tmp_path, capsys):
    out = tmp_path / "report"
    code, _, err = _run(capsys, "build", "--data", EXPORT, "--output", out, "-q", *OPTIONS)
    assert code == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["rows_analysed"] == 60
    assert results["data"]["reading"] == {"date_format": "DMY", "values": {"msc_source": {
        "AD-MSC": "adipose", "BM-MSC": "bone_marrow", "UC-MSC": "umbilical_cord"}}}
    assert "date_format" not in results["params"]


# --------------------------------------------------------------------------- dates

def _dates(tmp_path, cells: list[tuple[str, str]]) -> str:
    path = tmp_path / "d.csv"
    lines = [f"{HEADER},infusion_date,followup_date"] + [f"P{i},8.0,7.0,{a},{b}" for i, (a, b) in enumerate(cells, 1)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("date_format,start,end", [
    ("DMY", "01/02/2020", "1.8.2020"), ("DMY", "01-02-2020", "01/08/2020"), ("MDY", "02/01/2020", "8/1/2020"),
    ("YMD", "2020/02/01", "2020.8.1"), ("DMY", "2020-02-01", "01/08/2020"),  # ISO is read in every format
    ("dmy", "01/02/2020", "01/08/2020"),
])
def test_date_formats_read_their_dates(tmp_path, date_format, start, end):
    path = _dates(tmp_path, [(start, end)])
    cohort = load_cohort(path, columns=resolve_column_map(date_format=date_format.upper()))
    assert cohort.frame["followup_months"].tolist() == pytest.approx([182 / 30.4375])  # 2020-02-01 to 2020-08-01


def test_ambiguous_dates_are_never_guessed_and_make_one_message(tmp_path, capsys):
    path = _dates(tmp_path, [("03/04/2020", "03/10/2020")] * 42)
    code, _, err = _run(capsys, "validate", path)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2  # one per date column, not 2 x 42
    assert lines[0].startswith(f"{path}:1:infusion_date: 42 cells of this column are dates written like '03/04/2020'")
    assert "(some have" not in lines[0]  # nothing says which order: no hint either way


@pytest.mark.parametrize("cell,fragment", [
    ("31/02/2020", "not a date in the form DD/MM/YYYY"),
    ("12/25/2020", "is the file month first? Then -p date_format=MDY"),
    ("01/02/20", "four digits"),
    ("yesterday", "not a date in the form DD/MM/YYYY"),
])
def test_a_date_not_in_the_format_given_is_an_error_naming_its_row(tmp_path, capsys, cell, fragment):
    path = _dates(tmp_path, [("01/01/2020", "01/06/2020"), ("01/01/2020", cell)])
    code, _, err = _run(capsys, "validate", path, "-p", "date_format=DMY")
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith(f"{path}:2:followup_date: ") and fragment in line, line


def test_date_format_is_checked_and_suggested(tmp_path, capsys):
    path = _dates(tmp_path, [("01/01/2020", "01/06/2020")])
    code, _, err = _run(capsys, "validate", path, "-p", "date_format=DDMMYYYY")
    assert code == 2 and err.startswith("-p:-:date_format: date_format='DDMMYYYY': must be one of ISO, DMY, MDY, YMD")
    code, _, err = _run(capsys, "validate", path, "-p", "date_formt=DMY")
    assert code == 2 and "did you mean 'date_format'?" in err


def test_date_format_in_a_parameter_file(tmp_path, capsys):
    path = _dates(tmp_path, [("01/01/2020", "01/06/2020")])
    params = tmp_path / "p.yaml"
    params.write_text("date_format: DMY\nalpha: 0.05\n")
    code, out, err = _run(capsys, "validate", path, "--params", params)
    assert code == 0, err


def test_a_long_file_with_dates_day_first(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("patient_id,date,infusion_date,hba1c\nA,15/12/2019,01/01/2020,8.5\nA,01/07/2020,01/01/2020,7.1\n"
                    "B,20/12/2019,01/01/2020,9.0\nB,01/07/2020,01/01/2020,7.9\n")
    with pytest.raises(InputError):
        load_cohort(path)
    cohort = load_cohort(path, columns=resolve_column_map(date_format="DMY"))
    assert cohort.frame["hba1c_followup"].tolist() == [7.1, 7.9]
    assert cohort.frame["followup_months"].tolist() == pytest.approx([182 / 30.4375] * 2)


# --------------------------------------------------------------------------- values

def _sources(tmp_path, cells) -> str:
    path = tmp_path / "s.csv"
    path.write_text("\n".join([f"{HEADER},msc_source"] + [f"P{i},8.0,7.0,{c}" for i, c in enumerate(cells, 1)]) + "\n")
    return str(path)


def test_values_map_cells_case_and_spaces_ignored(tmp_path, capsys):
    path = _sources(tmp_path, ["UC-MSC", " uc-msc ", "BM", "Fat"])
    code, out, err = _run(capsys, "validate", path, "--values", "msc_source=UC-MSC:umbilical_cord",
                          "--values", "msc_source=Fat:adipose", "--values", "msc_source=AT-MSC:adipose")
    assert code == 0, err
    assert f"--values:-:msc_source: note: no cell of msc_source reads 'AT-MSC'" in out
    reading = resolve_column_map(value_items=["msc_source=UC-MSC:umbilical_cord", "msc_source=Fat:adipose"])
    assert load_cohort(path, columns=reading).frame["msc_source"].tolist() == \
        ["umbilical_cord", "umbilical_cord", "bone_marrow", "adipose"]


def test_values_from_the_columns_yaml_and_an_empty_target_is_missing(tmp_path):
    path = _sources(tmp_path, ["UC-MSC", "unknown", "BM"])
    yaml = tmp_path / "map.yaml"
    yaml.write_text("columns:\n  patient_id: patient_id\nvalues:\n  msc_source:\n    UC-MSC: umbilical_cord\n"
                    "    unknown: ''\n")
    cohort = load_cohort(path, columns=resolve_column_map(yaml))
    assert cohort.frame["msc_source"].tolist()[::2] == ["umbilical_cord", "bone_marrow"]
    assert pd.isna(cohort.frame["msc_source"].iloc[1])
    assert cohort.data_block()["reading"] == {"values": {"msc_source": {"UC-MSC": "umbilical_cord", "unknown": ""}}}


@pytest.mark.parametrize("item,fragment", [
    ("msc_source", "expected COLUMN=FROM:TO"), ("msc_source=UC-MSC", "expected COLUMN=FROM:TO"),
    ("msc_source=:adipose", "is empty"),
])
def test_malformed_values_are_refused(tmp_path, capsys, item, fragment):
    code, _, err = _run(capsys, "validate", _sources(tmp_path, ["UC"]), "--values", item)
    assert code == 2 and err.startswith("--values:-:") and fragment in err


def test_values_for_a_column_the_file_lacks_is_an_error(tmp_path, capsys):
    code, _, err = _run(capsys, "validate", _sources(tmp_path, ["UC"]), "--values", "msc_sorce=UC:adipose")
    assert code == 2 and err.startswith("--values:-:msc_sorce: ") and "closest is msc_source" in err


# --------------------------------------------------------------------------- missing values

@pytest.mark.parametrize("token", [t for t in MISSING_TOKENS if t] + [" n/a ", "NA "])
@pytest.mark.parametrize("fast", [True, False], ids=["arrow", "general"])
def test_missing_tokens_are_missing_on_both_csv_paths(tmp_path, monkeypatch, token, fast):
    if not fast:
        monkeypatch.setattr(readers, "read_arrow_csv", lambda data: None)
    path = tmp_path / "m.csv"
    path.write_text(f"{HEADER},dose_cells,msc_source,sex,bmi\nP1,8.0,7.0,1e9,UC,F,25\n"
                    f"P2,8.5,{token},{token},{token},{token},{token}\nP3,9.0,7.5,2e9,BM,M,30\n")
    assert (readers.read_arrow_csv(path.read_bytes()) is not None) == fast
    raw = readers.read_cohort_file(path)
    assert raw.frame.loc[2].tolist()[2:] == [""] * 5
    cohort = load_cohort(path)
    assert [(e.row, e.reason) for e in cohort.excluded] == [(2, "no follow-up HbA1c (hba1c_followup empty)")]
    assert cohort.notes == ()  # read as missing, not as a bad cell


@pytest.mark.parametrize("cell", ["na", "NaN", "null", "--", "n.a."])
def test_other_words_for_missing_are_still_named(tmp_path, cell):
    path = tmp_path / "m.csv"
    path.write_text(f"{HEADER}\nP1,8.0,{cell}\n")
    with pytest.raises(InputError) as info:
        load_cohort(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (1, "hba1c_followup") and "not a number" in problem.message


def test_numbers_starting_like_a_token_are_numbers(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text(f"{HEADER},followup_months\nP1,8.0,7.0,-0\nP2,.75e1,7.0,12\nP3,8.0,7.0,.5\n")
    cohort = load_cohort(path)
    assert cohort.frame["hba1c_baseline"].tolist() == [8.0, 7.5, 8.0]


# --------------------------------------------------------------------------- headers

@pytest.mark.parametrize("header,column", [
    ("Follow-up date", "followup_date"), ("HbA1c baseline (%)", "hba1c_baseline"),
    ("HbA1c baseline (mmol/mol)", "hba1c_baseline"), ("HbA1c follow-up [%]", "hba1c_followup"),
    ("Dose (cells)", "dose_cells"), ("Follow-up (months)", "followup_months"), ("BMI (kg/m2)", "bmi"),
    ("Age (years)", "age_years"), ("Infusion Date", "infusion_date"), ("Serious adverse event?", "serious_adverse_event"),
])
def test_headers_matched_by_their_words(header, column):
    assert column_of_words(header) == column


@pytest.mark.parametrize("header", ["Baseline HbA1c (%)", "HbA1c baseline date", "Follow-up", "HbA1c follow-up 2",
                                    "HbA1c (%)", "Date", "Dose", "Source", "Follow up date of visit", "Age at onset",
                                    "Baseline", "HbA1c"])
def test_near_misses_are_not_matched(header):
    assert column_of_words(header) is None


def test_a_header_matched_by_words_never_displaces_a_column(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("patient_id,hba1c_baseline,HbA1c baseline (%),HbA1c follow-up,Infusion date (planned),"
                    "Infusion date (actual)\nP1,8.0,8.1,7.0,,\n")
    raw = readers.read_cohort_file(path)
    assert list(raw.frame.columns) == ["patient_id", "hba1c_baseline", "hba1c_baseline_(%)", "hba1c_followup",
                                       "infusion_date_(planned)", "infusion_date_(actual)"]  # the exact column wins;
    # two headers spelling infusion_date: neither is guessed


def test_an_explicit_mapping_wins_over_words(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("id,HbA1c baseline (%),A1C before,HbA1c follow-up\nP1,8.0,8.2,7.0\n")
    cohort = load_cohort(path, columns=resolve_column_map(items=["patient_id=id", "hba1c_baseline=A1C before"]))
    assert cohort.frame["hba1c_baseline"].tolist() == [8.2]


# --------------------------------------------------------------------------- notes

def test_unused_column_notes_quote_the_header_and_name_the_closest_column(tmp_path, capsys):
    path = tmp_path / "u.csv"
    path.write_text(f"{HEADER},Duration diabetes years,Serious adverse events,Clinic: notes\nP1,8.0,7.0,12,no,x\n")
    code, out, _ = _run(capsys, "validate", path)
    assert code == 0
    notes = [line for line in out.splitlines() if "not used by the analysis" in line]
    assert notes == [
        f"{path}:-:Duration diabetes years: note: column not used by the analysis ('Duration diabetes years'); the "
        "closest dictionary column is diabetes_duration_years: if it is that, map it with "
        "-c diabetes_duration_years=\"Duration diabetes years\"",
        f"{path}:-:Serious adverse events: note: column not used by the analysis ('Serious adverse events'); the "
        "closest dictionary column is serious_adverse_event: if it is that, map it with "
        "-c serious_adverse_event=\"Serious adverse events\"",
        f"{path}:-:\"Clinic: notes\": note: column not used by the analysis ('Clinic: notes')"]
