"""`mscreport validate FILE`: one test per kind of bad (or awkward) input.

Contract (../shared/interface.md): exit 0 when the file can be analysed (exclusions listed
with reasons), exit 2 when it cannot; each problem on its own line as ``FILE:ROW:COLUMN: message``
(ROW the 1-based data row, header not counted; ``-`` for the whole file); never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mscreport.core import dictionary as dd
from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "validation"
HEADER = "patient_id,hba1c_baseline,hba1c_followup,dose_cells,msc_source,followup_months"
SOURCE_HELP = "umbilical_cord (UC), bone_marrow (BM), adipose (AD, AT)"


# --------------------------------------------------------------------------- helpers

def run(*argv: str) -> tuple[int, str, str]:
    """Run the command line in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def validate(path, *params: str) -> tuple[int, str, str]:
    args = ["validate", str(path)]
    for p in params:
        args += ["-p", p]
    return run(*args)


def refused(path, row, column, *fragments: str, params=(), file=None) -> str:
    """Assert exit 2 and a problem line located at FILE:ROW:COLUMN containing every fragment."""
    code, out, err = validate(path, *params)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    prefix = f"{file if file is not None else path}:{row}:{column}: "
    lines = [line for line in err.splitlines() if line.startswith(prefix)]
    assert lines, f"no problem at {prefix!r} in:\n{err}"
    matching = [line for line in lines if all(f.lower() in line.lower() for f in fragments)]
    assert matching, f"{fragments} not in {lines}"
    for line in err.splitlines():  # every stderr line is a located problem
        assert line.count(":") >= 3, line
    return matching[0]


def accepted(path, *params: str) -> str:
    code, out, err = validate(path, *params)
    assert code == 0, err
    assert "Traceback" not in out + err
    assert ": OK: " in out
    return out


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8", newline="")
    return p


# --------------------------------------------------------------------------- whole-file problems

def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    line = refused(path, "-", "-", "file not found")
    assert "check the path" in line


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty.csv", b"")
    refused(path, "-", "-", "file is empty")


def test_header_only():
    refused(FIX / "header_only.csv", "-", "-", "header only", "no data rows")


def test_header_and_blank_lines_only(tmp_path):
    path = write(tmp_path, "blank.csv", HEADER + "\n\n  \n\r\n")
    refused(path, "-", "-", "header only")


def test_whitespace_only_file(tmp_path):
    path = write(tmp_path, "ws.csv", "\n \n\t\n")
    refused(path, "-", "-", "file is empty")


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
    bytes(np.random.default_rng(7).integers(0, 256, 400, dtype=np.uint8)) + b"\x00",
    b"%PDF-1.4\n\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f\x10\x11\x12\x13\x14 stuff",
], ids=["png", "random-bytes", "pdf-like"])
def test_not_a_table(tmp_path, content):
    path = write(tmp_path, "cohort.csv", content)
    refused(path, "-", "-", "not a table", "CSV, XLSX or Parquet")


def test_directory_given_as_file(tmp_path):
    refused(tmp_path, "-", "-", "folder")


def test_xlsx_that_is_text(tmp_path):
    path = write(tmp_path, "cohort.xlsx", (FIX / "valid.csv").read_text())
    refused(path, "-", "-", "not an Excel workbook", "rename it to .csv")


def test_parquet_that_is_text(tmp_path):
    path = write(tmp_path, "cohort.parquet", (FIX / "valid.csv").read_text())
    refused(path, "-", "-", "not a Parquet file")


def test_old_xls(tmp_path):
    path = write(tmp_path, "cohort.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    refused(path, "-", "-", ".xls", "save it as .xlsx")


def test_corrupt_xlsx(tmp_path):
    path = write(tmp_path, "cohort.xlsx", b"PK\x03\x04 not really a zip")
    refused(path, "-", "-", "cannot read this file as an Excel workbook")


def test_missing_required_column():
    path = FIX / "missing_column.csv"
    line = refused(path, "-", "hba1c_baseline", "required column missing")
    assert "patient_id, hba1c_followup, dose_cells" in line  # says what the file has


def test_misspelt_required_column_gets_a_suggestion(tmp_path):
    path = write(tmp_path, "typo.csv", "patient_id,hba1c_basline,hba1c_followup\nP01,7.5,6.8\n")
    refused(path, "-", "hba1c_baseline", "required column missing", "'hba1c_basline'", "rename")


def test_no_header_row(tmp_path):
    path = write(tmp_path, "noheader.csv", "P01,7.5,6.8\nP02,8.1,7.0\n")
    refused(path, "-", "-", "none of the required columns", "first row must name the columns")


def test_duplicate_column(tmp_path):
    path = write(tmp_path, "dupcol.csv", "patient_id,hba1c_baseline,hba1c_followup,HbA1c Baseline\nP01,7.5,6.8,7.5\n")
    refused(path, "-", "hba1c_baseline", "more than once")


# --------------------------------------------------------------------------- cell problems

def test_non_numeric_baseline():
    refused(FIX / "non_numeric_baseline.csv", 2, "hba1c_baseline", "not a number", "'seven'")


@pytest.mark.parametrize("cell,hint", [("NA", "leave the cell empty"), ("7.5 %", "without a unit")])
def test_non_numeric_hints(tmp_path, cell, hint):
    path = write(tmp_path, "c.csv", f"{HEADER}\nP01,7.5,{cell},1e9,UC,12\n")
    refused(path, 1, "hba1c_followup", "not a number", hint)


def test_semicolon_file_with_decimal_commas_is_read_correctly():
    semi, dot = FIX / "valid_semicolon_decimal_comma.csv", FIX / "valid.csv"
    accepted(semi)
    a, b = load_cohort(semi).frame, load_cohort(dot).frame
    cols = ["row", "hba1c_baseline", "hba1c_followup", "dose_cells", "msc_source", "followup_months"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["hba1c_baseline"].tolist() == [7.5, 8.25, 6.4, 9.1, 7.0]
    assert a["dose_cells"].tolist() == [1e9, 1.5e9, 2e8, 5e8, 1e8]


def test_unquoted_decimal_comma_in_comma_file_is_refused():
    line = refused(FIX / "decimal_comma_unquoted.csv", 2, "-", "too many fields", "decimal comma")
    assert "(7; the header has 6)" in line


def test_quoted_decimal_comma_in_comma_file_is_read():
    accepted(FIX / "decimal_comma_quoted.csv")
    frame = load_cohort(FIX / "decimal_comma_quoted.csv").frame
    assert frame["hba1c_baseline"].tolist() == [7.5]
    assert frame["hba1c_followup"].tolist() == [6.8]


def test_trailing_separators_are_not_too_many_fields(tmp_path):
    path = write(tmp_path, "trail.csv", "patient_id,hba1c_baseline,hba1c_followup,,\nP01,7.5,6.8,,\nP02,8.1,7.0,,\n")
    accepted(path)


def test_duplicate_patient_id_names_later_row_and_first():
    line = refused(FIX / "duplicate_id.csv", 4, "patient_id", "duplicate patient_id", "same as row 2")
    code, _, err = validate(FIX / "duplicate_id.csv")
    assert f"{FIX / 'duplicate_id.csv'}:2:" not in err  # the first occurrence is not the problem
    assert "unique" in line


def test_empty_patient_id():
    refused(FIX / "empty_id.csv", 2, "patient_id", "empty patient_id")


def test_empty_baseline_excludes_the_patient(tmp_path):
    """interface.md: an empty hba1c_baseline excludes that patient with a stated reason."""
    path = write(tmp_path, "nob.csv", f"{HEADER}\nP01,,6.8,1e9,UC,12\nP02,7.5,6.8,1e9,UC,12\nP03,,,1e9,UC,12\n")
    out = accepted(path)
    assert f"{path}:1:-: excluded: no baseline HbA1c (hba1c_baseline empty) (spreadsheet row 2)" in out.splitlines()
    assert f"{path}:3:-: excluded: no HbA1c (hba1c_baseline and hba1c_followup empty) (spreadsheet row 4)" in out
    cohort = load_cohort(path)
    assert cohort.rows_read == 3 and cohort.frame["row"].tolist() == [2]


def test_hba1c_in_mmol_mol_in_a_percent_file_hints_the_unit():
    refused(FIX / "hba1c_mmol_in_percent_file.csv", 2, "hba1c_baseline",
            "HbA1c 58", "outside the plausible range 3-20 %", "hba1c_unit=mmol_mol")


def test_hba1c_in_percent_with_unit_mmol_mol_hints_percent():
    refused(FIX / "valid.csv", 1, "hba1c_baseline", "HbA1c 7.5", "9-195 mmol/mol", "hba1c_unit=percent",
            params=["hba1c_unit=mmol_mol"])


def test_hba1c_implausible_without_hint(tmp_path):
    path = write(tmp_path, "big.csv", f"{HEADER}\nP01,7.5,600,1e9,UC,12\n")
    line = refused(path, 1, "hba1c_followup", "HbA1c 600", "outside the plausible range")
    assert "looks like" not in line


@pytest.mark.parametrize("row,fragment", [(1, "positive number of cells, got 0"),
                                          (2, "positive number of cells, got -1e9")])
def test_zero_and_negative_dose(row, fragment):
    refused(FIX / "dose_problems.csv", row, "dose_cells", fragment)


def test_dose_in_billions_hints_total_cells():
    refused(FIX / "dose_problems.csv", 3, "dose_cells", "dose 1.5", "total number of cells",
            "not millions or billions", "1.5e9")


def test_dose_too_large(tmp_path):
    path = write(tmp_path, "d.csv", f"{HEADER}\nP01,7.5,6.8,5e13,UC,12\n")
    refused(path, 1, "dose_cells", "dose 5e13", "1e5-1e12 cells")


def test_unknown_msc_source():
    refused(FIX / "unknown_source.csv", 2, "msc_source", "unknown value 'liver'", SOURCE_HELP)


@pytest.mark.parametrize("alias,source", [
    ("UC", "umbilical_cord"), ("uc", "umbilical_cord"), ("Uc", "umbilical_cord"), ("Umbilical Cord", "umbilical_cord"),
    ("BM", "bone_marrow"), ("bm", "bone_marrow"), ("Bone_Marrow", "bone_marrow"),
    ("AD", "adipose"), ("ad", "adipose"), ("AT", "adipose"), ("at", "adipose"), ("ADIPOSE", "adipose"),
])
def test_source_aliases_accepted(tmp_path, alias, source):
    path = write(tmp_path, "s.csv", f"{HEADER}\nP01,7.5,6.8,1e9,{alias},12\n")
    accepted(path)
    assert load_cohort(path).frame["msc_source"].tolist() == [source]


def test_negative_followup_months():
    refused(FIX / "negative_followup.csv", 2, "followup_months", "negative follow-up", "-3 months")


def test_every_problem_is_reported_in_row_order(tmp_path):
    path = write(tmp_path, "many.csv", f"{HEADER}\nP01,x,6.8,0,UC,12\nP02,7.5,6.8,1e9,moon,-1\n,7.5,6.8,1e9,UC,12\n")
    code, _, err = validate(path)
    assert code == 2
    located = [line.split(": ", 1)[0] for line in err.splitlines()]
    assert located == [f"{path}:1:hba1c_baseline", f"{path}:1:dose_cells", f"{path}:2:msc_source",
                       f"{path}:2:followup_months", f"{path}:3:patient_id"]


def test_row_numbers_count_blank_lines(tmp_path):
    """A blank line is skipped but keeps its place: ROW is the line a user sees, minus the header."""
    path = write(tmp_path, "gap.csv", f"{HEADER}\nP01,7.5,6.8,1e9,UC,12\n\nP03,x,6.8,1e9,UC,12\n")
    refused(path, 3, "hba1c_baseline", "not a number")


def test_no_patient_left_is_refused(tmp_path):
    path = write(tmp_path, "allx.csv", f"{HEADER}\nP01,5.5,5.4,1e9,UC,12\nP02,7.5,,1e9,UC,12\n")
    refused(path, "-", "-", "no patient left to analyse", "all 2 rows are excluded", params=("inclusion_min=6.2",))


# --------------------------------------------------------------------------- exclusions (exit 0)

def test_missing_followup_and_low_baseline_are_exclusions():
    """A low baseline is excluded only by inclusion_min (interface.md, "Who is excluded")."""
    path = FIX / "exclusions.csv"
    out = accepted(path, "inclusion_min=6.2")
    assert f"{path}:2:-: excluded: no follow-up HbA1c (hba1c_followup empty) (spreadsheet row 3)" in out.splitlines()
    assert f"{path}:3:-: excluded: baseline HbA1c below the inclusion threshold (6.2 %) (spreadsheet row 4)" in out.splitlines()
    assert "4 rows read, 2 analysed" in out and "2 excluded" in out
    cohort = load_cohort(path, {"inclusion_min": "6.2"})
    assert [(e.row, e.reason) for e in cohort.excluded] == [
        (2, "no follow-up HbA1c (hba1c_followup empty)"), (3, "baseline HbA1c below the inclusion threshold (6.2 %)")]
    assert cohort.frame["row"].tolist() == [1, 4]


def test_without_inclusion_min_a_low_baseline_is_analysed_in_the_stratum_below():
    out = accepted(FIX / "exclusions.csv")
    assert "excluded: baseline" not in out
    cohort = load_cohort(FIX / "exclusions.csv")
    assert cohort.frame.set_index("row").loc[3, "stratum"] == "below"


def test_inclusion_min_moves_the_exclusion():
    out = accepted(FIX / "exclusions.csv", "inclusion_min=5.5")
    assert "excluded: baseline" not in out


def test_file_without_study_columns_validates_with_a_note():
    out = accepted(FIX / "no_study_columns.csv")
    assert "note: study column(s) absent: dose_cells, msc_source, followup_months" in out
    cohort = load_cohort(FIX / "no_study_columns.csv")
    assert cohort.rows_analysed == 2 and not cohort.has("dose_cells")


# --------------------------------------------------------------------------- other file types and units

def _valid_frame() -> pd.DataFrame:
    return pd.read_csv(FIX / "valid.csv", dtype={"patient_id": str})


def test_xlsx_is_read(tmp_path):
    path = tmp_path / "cohort.xlsx"
    _valid_frame().to_excel(path, index=False)
    accepted(path)
    a, b = load_cohort(path).frame, load_cohort(FIX / "valid.csv").frame
    pd.testing.assert_frame_equal(a, b)


def test_xlsx_with_text_cells_and_blank_rows(tmp_path):
    path = tmp_path / "cohort.xlsx"
    frame = _valid_frame().astype(str)
    frame.loc[1, "hba1c_baseline"] = "8,25"  # a decimal comma typed as text
    frame.to_excel(path, index=False, startrow=1)  # a blank first row above the header
    assert load_cohort(path).frame["hba1c_baseline"].tolist() == [7.5, 8.25, 6.4, 9.1, 7.0]
    bad = tmp_path / "bad.xlsx"
    frame.loc[2, "dose_cells"] = "lots"
    frame.to_excel(bad, index=False)
    refused(bad, 3, "dose_cells", "not a number: 'lots'")


def test_parquet_is_read(tmp_path):
    path = tmp_path / "cohort.parquet"
    _valid_frame().to_parquet(path, index=False)
    accepted(path)
    a, b = load_cohort(path).frame, load_cohort(FIX / "valid.csv").frame
    pd.testing.assert_frame_equal(a, b)


def test_parquet_problem_rows(tmp_path):
    frame = _valid_frame()
    frame.loc[3, "hba1c_baseline"] = np.inf
    frame.loc[4, "dose_cells"] = -5
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    refused(path, 4, "hba1c_baseline", "not a number")
    refused(path, 5, "dose_cells", "positive number of cells")


def test_mmol_mol_file_is_converted_with_the_master_equation():
    path = FIX / "mmol_mol.csv"
    out = accepted(path, "hba1c_unit=mmol_mol", "inclusion_min=6.2")  # the threshold in NGSP %, whatever the unit
    cohort = load_cohort(path, {"hba1c_unit": "mmol_mol", "inclusion_min": "6.2"})
    # NGSP % = 0.0915 x IFCC + 2.15, by hand:
    # 58 -> 5.307 + 2.15 = 7.457;   48 -> 4.392 + 2.15 = 6.542
    # 75 -> 6.8625 + 2.15 = 9.0125; 60 -> 5.49 + 2.15 = 7.64
    # 42 -> 3.843 + 2.15 = 5.993 (< 6.2 %: excluded; thresholds are in NGSP %)
    assert cohort.frame["hba1c_baseline"].tolist() == pytest.approx([7.457, 9.0125], abs=1e-12)
    assert cohort.frame["hba1c_followup"].tolist() == pytest.approx([6.542, 7.64], abs=1e-12)
    assert cohort.frame["change"].tolist() == pytest.approx([6.542 - 7.457, 7.64 - 9.0125], abs=1e-12)
    assert cohort.frame["stratum"].tolist() == ["moderate", "severe"]
    assert [e.row for e in cohort.excluded] == [3]
    assert f"{path}:3:-: excluded: baseline HbA1c below the inclusion threshold" in out


# --------------------------------------------------------------------------- parameters

def test_unknown_parameter():
    refused(FIX / "valid.csv", "-", "foo", "unknown parameter 'foo'", "known parameters: hba1c_unit",
            params=["foo=1"], file="-p")


@pytest.mark.parametrize("param,column,fragment", [
    ("alpha=2", "alpha", "must be > 0 and <= 0.5"),
    ("alpha=abc", "alpha", "expected float"),
    ("hba1c_unit=mg", "hba1c_unit", "must be one of percent, mmol_mol"),
    ("moderate_min=1", "moderate_min", "must be >= 3 and <= 20"),
    ("severe_above=6", "severe_above", "must not be below moderate_min"),
])
def test_bad_parameter_values(param, column, fragment):
    refused(FIX / "valid.csv", "-", column, fragment, params=[param], file="-p")


def test_bad_parameter_in_yaml_names_the_file(tmp_path):
    yml = write(tmp_path, "p.yaml", "alpha: 0.9\n")
    code, out, err = run("validate", FIX / "valid.csv", "--params", yml)
    assert code == 2 and "Traceback" not in out + err
    assert err.startswith(f"{yml}:-:alpha: ")


def test_parameter_without_equals_sign():
    code, _, err = validate(FIX / "valid.csv", "alpha")
    assert code == 2 and "expected NAME=VALUE" in err


# --------------------------------------------------------------------------- no traceback, whatever the input

def _nasty_inputs(tmp_path: Path) -> dict[str, Path]:
    valid = (FIX / "valid.csv").read_text()
    files = {
        "bom_crlf.csv": b"\xef\xbb\xbf" + valid.replace("\n", "\r\n").encode(),
        "utf16.csv": valid.encode("utf-16"),
        "latin1.csv": (HEADER + ",note\nP01,7.5,6.8,1e9,UC,12,Müller été\n").encode("latin-1"),
        "cr_only.csv": valid.replace("\n", "\r").encode(),
        "tab.tsv": valid.replace(",", "\t").encode(),
        "unclosed_quote.csv": (HEADER + '\nP01,"7.5,6.8,1e9,UC,12\n').encode(),
        "one_column.csv": b"patient_id\nP01\n",
        "huge_field.csv": (HEADER + "\nP01," + "9" * 300_000 + ",6.8,1e9,UC,12\n").encode(),
        "weird_numbers.csv": (HEADER + "\nP01,inf,nan,1e400,UC,12\nP02,-0,1e-400,0x10,UC,1e999\n").encode(),
        "nul_late.csv": (valid + "P09,7.5,6.8,1e9,UC,12" + "\x00" * 3 + "\n").encode(),
        "only_commas.csv": b",,,,\n,,,,\n",
        "quotes_only.csv": b'"""\n"""\n',
        "emoji.csv": (HEADER + "\n\U0001F600,7.5,6.8,1e9,\U0001F9EC,12\n").encode(),
        "many_columns.csv": (",".join(f"c{i}" for i in range(3000)) + "\n" + ",".join("1" * 3000) + "\n").encode(),
    }
    paths = {k: write(tmp_path, k, v) for k, v in files.items()}
    paths["dir"] = tmp_path
    odd = pd.DataFrame({"patient_id": [1.0, np.nan], "hba1c_baseline": pd.to_datetime(["2020-01-01", None]),
                        "hba1c_followup": [True, False], "dose_cells": [[1], [2]],
                        "msc_source": pd.Categorical(["UC", None])})
    paths["odd.parquet"] = tmp_path / "odd.parquet"
    odd.to_parquet(paths["odd.parquet"])
    nullable = pd.DataFrame({"patient_id": ["A", "B"], "hba1c_baseline": pd.array([7, 8], dtype="Int64"),
                             "hba1c_followup": pd.array([6.5, None], dtype="Float64")})
    paths["nullable.parquet"] = tmp_path / "nullable.parquet"
    nullable.to_parquet(paths["nullable.parquet"])
    return paths


def test_no_traceback_for_awkward_inputs(tmp_path):
    for label, path in _nasty_inputs(tmp_path).items():
        code, out, err = validate(path)  # an exception escaping main() fails the test here
        assert code in (0, 2), label
        assert "Traceback" not in out + err, label
        if code == 2:
            assert err.strip(), label
            assert all(line.startswith(f"{path}:") for line in err.splitlines()), (label, err)


@pytest.mark.parametrize("name,expect", [("bom_crlf.csv", 0), ("utf16.csv", 0), ("latin1.csv", 0),
                                         ("cr_only.csv", 0), ("tab.tsv", 0), ("nullable.parquet", 0)])
def test_awkward_but_valid_encodings_are_read(tmp_path, name, expect):
    path = _nasty_inputs(tmp_path)[name]
    code, _, err = validate(path)
    assert code == expect, err
    frame = load_cohort(path).frame
    assert "patient_id" in frame.columns  # a BOM does not stick to the first column name


def test_latin1_text_is_decoded(tmp_path):
    from mscreport.inputs.validators import read_table
    path = _nasty_inputs(tmp_path)["latin1.csv"]
    assert read_table(path)["note"].tolist() == ["Müller été"]


def test_real_command_line_has_no_traceback(tmp_path):
    """The installed entry point, as a user runs it."""
    exe = Path(sys.executable).parent / "mscreport"
    png = write(tmp_path, "x.csv", b"\x89PNG\r\n\x1a\n\x00\x00")
    for args in (["validate", str(png)], ["validate", str(tmp_path / "missing.csv")],
                 ["validate", str(FIX / "valid.csv"), "-p", "foo=1"], ["validate"]):
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.lists(st.sampled_from(["P1", "7.5", "6,8", "", " ", '"', "x", "1e9", "UC", "-3",
                                                    "patient_id", "hba1c_baseline", "hba1c_followup", "\u00e9"]),
                                   max_size=7), max_size=6)
                 .map(lambda rows: "\n".join(",".join(r) for r in rows).encode())),
       st.sampled_from(["f.csv", "f.xlsx", "f.parquet", "f.txt"]))
def test_fuzz_never_a_traceback(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = validate(path)
    assert code in (0, 2)
    assert "Traceback" not in out + err
    if code == 2:
        assert all(line.startswith(f"{path}:") for line in err.splitlines())


# --------------------------------------------------------------------------- the dictionary has one source

def test_data_readme_contains_the_dictionary():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert dd.render_markdown() in readme


def test_dictionary_lists_every_interface_column():
    names = [c.name for c in dd.COLUMNS]
    assert names[:6] == ["patient_id", "hba1c_baseline", "hba1c_followup", "dose_cells", "msc_source", "followup_months"]
    assert dd.REQUIRED_COLUMNS == ("patient_id", "hba1c_baseline", "hba1c_followup")
    assert dd.STUDY_COLUMNS == ("dose_cells", "msc_source", "followup_months")


def test_input_error_is_raised_by_the_library_too():
    with pytest.raises(InputError) as info:
        load_cohort(FIX / "duplicate_id.csv")
    assert [(p.row, p.column) for p in info.value.problems] == [(4, "patient_id")]


def test_content_decides_the_type_of_a_misnamed_workbook(tmp_path):
    xlsx = tmp_path / "cohort.xlsx"
    _valid_frame().to_excel(xlsx, index=False)
    misnamed = write(tmp_path, "cohort.csv", xlsx.read_bytes())
    accepted(misnamed)


def test_tab_separated_with_decimal_commas(tmp_path):
    text = (FIX / "valid_semicolon_decimal_comma.csv").read_text().replace(";", "\t")
    path = write(tmp_path, "cohort.tsv", text)
    accepted(path)
    assert load_cohort(path).frame["hba1c_baseline"].tolist() == [7.5, 8.25, 6.4, 9.1, 7.0]


# --------------------------------------------------------------------------- cohort files as they really come
# (interface.md "Cohort files as they really come"; issues 16.2, 12.3, 14.8, 14.9)

DAYS_PER_MONTH = 365.25 / 12  # the contract's 30.4375, written independently of the library


def test_two_arm_file_in_weeks():
    path = FIX / "two_arm_weeks.csv"
    out = accepted(path)
    assert "note:" not in out.replace("note: study column(s) absent", "")  # every column is known
    frame = load_cohort(path).frame
    assert frame["arm"].tolist() == ["placebo"] * 4 + ["msc"] * 5  # ' placebo ' stripped
    weeks = [26, 26, 52, 52, 26, 26, 52, 104, 13]
    assert frame["followup_months"].tolist() == pytest.approx([w * 7 / DAYS_PER_MONTH for w in weeks], rel=1e-12)
    assert load_cohort(path).has("followup_months")  # durability can use it


def test_followup_in_days(tmp_path):
    path = write(tmp_path, "days.csv", "patient_id,hba1c_baseline,hba1c_followup,followup_days\nP1,7.5,6.8,365.25\n")
    assert load_cohort(path).frame["followup_months"].tolist() == pytest.approx([12.0], rel=1e-12)


def test_two_dates():
    path = FIX / "two_dates.csv"
    accepted(path)
    months = load_cohort(path).frame["followup_months"].tolist()
    # 2020-01-15 -> 2020-07-15 is 182 days; 2021-03-01 -> 2022-03-01 is 365; one date missing -> unknown; same day -> 0
    assert months[:2] == pytest.approx([182 / DAYS_PER_MONTH, 365 / DAYS_PER_MONTH], rel=1e-12)
    assert np.isnan(months[2]) and months[3] == 0.0


def test_dates_from_an_excel_workbook(tmp_path):
    frame = pd.read_csv(FIX / "two_dates.csv", dtype=str, keep_default_na=False)
    frame["infusion_date"] = pd.to_datetime(frame["infusion_date"])  # real date cells
    path = tmp_path / "dates.xlsx"
    frame.to_excel(path, index=False)
    assert load_cohort(path).frame["followup_months"].iloc[0] == pytest.approx(182 / DAYS_PER_MONTH, rel=1e-12)


@pytest.mark.parametrize("cells,column,fragment", [
    ("2020-01-15,15/07/2020", "followup_date", "not a date in the form YYYY-MM-DD"),
    ("2020-07-15,2020-01-15", "followup_date", "before the infusion date 2020-07-15"),
    ("2020-02-30,2020-07-15", "infusion_date", "not a date"),
])
def test_bad_dates_are_refused(tmp_path, cells, column, fragment):
    path = write(tmp_path, "d.csv", f"patient_id,hba1c_baseline,hba1c_followup,infusion_date,followup_date\n"
                                    f"P1,7.5,6.8,{cells}\n")
    refused(path, 1, column, fragment)


def test_one_date_column_alone_is_refused(tmp_path):
    path = write(tmp_path, "d.csv", "patient_id,hba1c_baseline,hba1c_followup,infusion_date\nP1,7.5,6.8,2020-01-15\n")
    refused(path, "-", "infusion_date", "without followup_date")


@pytest.mark.parametrize("columns,values,agree", [
    ("followup_months,followup_weeks", "6,26", True),     # 5.98 months: within half a month
    ("followup_months,followup_weeks", "6,30", False),    # 6.90 months
    ("followup_weeks,followup_days", "26,185", True),     # 182 vs 185 days: within half a week
    ("followup_weeks,followup_days", "26,190", False),
    ("followup_months,followup_days", "12,", True),       # only one given in the row
])
def test_two_followup_columns_must_agree(tmp_path, columns, values, agree):
    path = write(tmp_path, "f.csv", f"patient_id,hba1c_baseline,hba1c_followup,{columns}\nP1,7.5,6.8,{values}\n")
    if agree:
        accepted(path)
        finest = columns.split(",")[-1] if values.split(",")[-1] else columns.split(",")[0]
        per_month = {"followup_months": 1, "followup_weeks": 7 / DAYS_PER_MONTH, "followup_days": 1 / DAYS_PER_MONTH}
        value = float(values.split(",")[columns.split(",").index(finest)])
        assert load_cohort(path).frame["followup_months"].tolist() == pytest.approx([value * per_month[finest]])
    else:
        refused(path, 1, columns.split(",")[-1], "follow-up times disagree")


def test_negative_followup_weeks(tmp_path):
    path = write(tmp_path, "f.csv", "patient_id,hba1c_baseline,hba1c_followup,followup_weeks\nP1,7.5,6.8,-4\n")
    refused(path, 1, "followup_weeks", "negative follow-up (-4 weeks)")


def test_missing_baseline_among_many_rows():
    path = FIX / "missing_baseline_many.csv"
    out = accepted(path)
    assert "400 rows read, 398 analysed" in out
    assert f"{path}:137:-: excluded: no baseline HbA1c (hba1c_baseline empty) (spreadsheet row 138)" in out.splitlines()
    cohort = load_cohort(path)
    assert [(e.row, e.reason) for e in cohort.excluded] == [(137, "no baseline HbA1c (hba1c_baseline empty)"),
                                                           (298, "no baseline HbA1c (hba1c_baseline empty)")]
    assert cohort.rows_read == cohort.rows_analysed + len(cohort.excluded)


def test_unknown_columns_get_one_note_each():
    path = FIX / "unknown_columns.csv"
    out = accepted(path)
    notes = [line for line in out.splitlines() if "column not used by the analysis" in line]
    assert notes[:2] == [f"{path}:-:lab_notes: note: column not used by the analysis",
                         f"{path}:-:visit_site: note: column not used by the analysis"]
    assert len(notes) == 3  # exactly one each
    assert notes[2].startswith(f"{path}:-:dose_cell: note: column not used by the analysis; is it dose_cells? "
                               "Map it with -c dose_cells=\"dose_cell\"")
    assert all(line.count(":") >= 3 for line in notes)


def test_bundled_cohort_has_no_unknown_column():
    cohort = load_cohort(ROOT / "data" / "reconstructed_cohort.csv")
    assert cohort.file_notes == () and cohort.notes == ()
    assert cohort.frame["synthetic"].tolist() == [True] * 61


def test_empty_arm_is_refused(tmp_path):
    path = write(tmp_path, "a.csv", "patient_id,arm,hba1c_baseline,hba1c_followup\nP1,msc,7.5,6.8\nP2,  ,7.9,7.0\n")
    refused(path, 2, "arm", "empty arm", "spreadsheet row 3")


def test_lookalike_patient_ids_give_a_note(tmp_path):
    ids = ["P01", "p01", "P0\u200b1", "P02", "P 02", "P03"]
    rows = "".join(f"{pid},7.5,6.8\n" for pid in ids)
    path = write(tmp_path, "ids.csv", "patient_id,hba1c_baseline,hba1c_followup\n" + rows)
    out = accepted(path)
    noted = [line for line in out.splitlines() if ":patient_id: note:" in line]
    assert [line.split(":")[1] for line in noted] == ["2", "3", "5"]
    assert "differs from row 1's only in letter case" in noted[0] and "row 4's" in noted[2]
    assert "P01" not in out and "p01" not in out  # no pseudonym quoted
    assert load_cohort(path).rows_analysed == 6  # a note, not an exclusion


def test_long_layout_is_recognised_by_its_columns():
    assert dd.detect_layout(["patient_id", "hba1c", "months"]) == "long"
    assert dd.detect_layout(["patient_id", "hba1c", "date", "infusion_date"]) == "long"
    assert dd.detect_layout(["patient_id", "hba1c_baseline", "hba1c_followup", "hba1c", "months"]) == "wide"


# --------------------------------------------------------------------------- the user's own headers

def test_excel_headers_need_a_mapping_and_get_a_suggestion():
    path = FIX / "excel_headers.csv"
    line = refused(path, "-", "hba1c_baseline", "required column missing", "'A1C_baseline'")
    assert "-c hba1c_baseline=\"A1C_baseline\"" in line
    refused(path, "-", "hba1c_followup", "required column missing", "'HbA1c (%)'", "-c hba1c_followup=\"HbA1c (%)\"")


def test_mapping_file_for_excel_headers():
    path, mapping = FIX / "excel_headers.csv", FIX / "excel_headers_map.yaml"
    code, out, err = run("validate", path, "--columns", mapping)
    assert code == 0, err
    assert f"{path}:-:comments: note: column not used by the analysis" in out.splitlines()
    from mscreport.inputs.column_map import resolve_column_map
    cohort = load_cohort(path, None, resolve_column_map(mapping))
    assert cohort.frame["hba1c_baseline"].tolist() == [7.5, 8.4, 6.8]
    assert cohort.frame["hba1c_followup"].tolist() == [6.9, 7.6, 6.5]
    assert cohort.frame["dose_cells"].tolist() == [1e9, 2e9, 5e8]
    assert cohort.frame["msc_source"].tolist() == ["umbilical_cord", "bone_marrow", "adipose"]
    assert cohort.data_block()["column_map"]["hba1c_followup"] == "HbA1c (%)"


def test_c_options_equal_the_mapping_file():
    path = FIX / "excel_headers.csv"
    code, out_c, err = run("validate", path, "-c", "hba1c_baseline=A1C_baseline", "-c", "hba1c_followup=\"HbA1c (%)\"",
                           "-c", "dose_cells=MSC dose", "-c", "msc_source=source")
    assert code == 0, err
    _, out_file, _ = run("validate", path, "--columns", FIX / "excel_headers_map.yaml")
    assert out_c == out_file


def test_messages_quote_the_users_header_and_the_spreadsheet_row(tmp_path):
    text = (FIX / "excel_headers.csv").read_text().replace("X02,8.4,7.6", "X02,8.4,seven")
    path = write(tmp_path, "x.csv", "\n" + text)  # a blank first line: the header is spreadsheet row 2
    code, _, err = run("validate", path, "--columns", FIX / "excel_headers_map.yaml")
    assert code == 2
    assert err.splitlines() == [f"{path}:2:hba1c_followup: not a number: 'seven' (column 'HbA1c (%)', spreadsheet row 4)"]


def test_spreadsheet_row_in_a_workbook(tmp_path):
    frame = _valid_frame().astype(str)
    frame.loc[2, "dose_cells"] = "lots"
    path = tmp_path / "bad.xlsx"
    frame.to_excel(path, index=False, startrow=2)  # two empty rows above the header (row 3)
    refused(path, 3, "dose_cells", "not a number: 'lots'", "(spreadsheet row 6)")


@pytest.mark.parametrize("items,source,column,fragment", [
    (["-c", "hba1c_folowup=A1C_followup"], "-c", "hba1c_folowup", "did you mean hba1c_followup?"),
    (["-c", "hba1c_baseline=A1C_basline"], "-c", "hba1c_baseline", "no column headed 'A1C_basline'"),
    (["-c", "hba1c_baseline"], "-c", "-", "expected COLUMN=\"your header\""),
    (["-c", "hba1c_baseline=HbA1c (%)", "-c", "hba1c_followup=HbA1c (%)"], "-c", "hba1c_followup", "map each header to one column"),
])
def test_bad_mappings_are_located_at_their_source(items, source, column, fragment):
    code, out, err = run("validate", FIX / "excel_headers.csv", *items)
    assert code == 2 and "Traceback" not in out + err
    assert any(line.startswith(f"{source}:-:{column}: ") and fragment in line for line in err.splitlines()), err
    if "no column headed" in fragment:
        assert "the closest is 'A1C_baseline'" in err


@pytest.mark.parametrize("text,fragment", [
    ("a: &x \"A1C_baseline\"\nhba1c_baseline: *x\n", "aliases"),
    ("hba1c_baseline: A1C_baseline\nhba1c_baseline: HbA1c (%)\n", "mapped twice"),
    ("- hba1c_baseline\n", "expected a mapping"),
    ("hba1c_baseline: [1, 2]\n", "give the header as text"),
])
def test_bad_mapping_files(tmp_path, text, fragment):
    yml = write(tmp_path, "map.yaml", text)
    code, out, err = run("validate", FIX / "excel_headers.csv", "--columns", yml)
    assert code == 2 and "Traceback" not in out + err
    assert err.startswith(f"{yml}:-:") and fragment in err, err


def test_build_accepts_the_column_options():
    from mscreport.cli import make_parser
    args = make_parser().parse_args(["build", "--data", "x.csv", "--columns", "m.yaml", "-c", "hba1c_baseline=A"])
    assert args.columns == "m.yaml" and args.column_items == ["hba1c_baseline=A"]


# --------------------------------------------------------------------------- hostile paths and shapes (issue 14.8, 14.9)

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "cohort.csv"
    os.mkfifo(fifo)
    exe = Path(sys.executable).parent / "mscreport"
    proc = subprocess.run([str(exe), "validate", str(fifo)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == f"{fifo}:-:-: a named pipe (FIFO), not a regular file: give the path of a CSV, XLSX or " \
                          "Parquet file saved on disk\n"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_device_is_refused():
    refused("/dev/zero", "-", "-", "a device, not a regular file")


def test_header_size_limit(tmp_path, monkeypatch):
    from mscreport.inputs import readers
    monkeypatch.setattr(readers, "MAX_HEADER_CHARS", 10_000)
    path = write(tmp_path, "long.csv", ",".join(f"column_{j}" for j in range(5000)) + "\nP1\n")
    refused(path, "-", "-", "header row is longer than")


def test_file_size_limit(tmp_path, monkeypatch):
    from mscreport.inputs import readers
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    path = write(tmp_path, "big.csv", (FIX / "valid.csv").read_text())
    refused(path, "-", "-", "file larger than")


def test_os_error_names_the_path(tmp_path, monkeypatch):
    import errno
    from mscreport.inputs import readers

    def broken(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(readers.os, "fdopen", broken)
    path = FIX / "valid.csv"
    refused(path, "-", "-", "cannot read the file (Input/output error)")


def test_wide_file_is_read(tmp_path):
    """5 rows x 60,000 columns (issue 14.8: it took 30 s, quadratic); the timing is in
    scripts/stress_input.py, here only the result."""
    n = 60_000
    header = ["patient_id", "hba1c_baseline", "hba1c_followup"] + [f"extra_{j}" for j in range(n - 3)]
    rows = [",".join([f"P{i}", "7.5", "6.8"] + ["1"] * (n - 3)) for i in range(5)]
    path = write(tmp_path, "wide.csv", ",".join(header) + "\n" + "\n".join(rows) + "\n")
    cohort = load_cohort(path)
    assert cohort.rows_analysed == 5
    assert len(cohort.file_notes) == n - 3
    assert cohort.file_notes[-1].column == f"extra_{n - 4}"
    dup = path.read_text().replace(f",extra_{n - 4}\n", ",Extra 7\n", 1)
    path.write_text(dup)
    refused(path, "-", "extra_7", "more than once", "'extra_7' and 'Extra 7'")


@pytest.mark.slow
def test_excel_style_headers_build_with_one_mapping_file(tmp_path):
    """Issue 12 'done when': a cohort with Excel-style headers builds with one mapping file, and
    its numbers are those of the same cohort with the dictionary's headers."""
    import json

    from mscreport.core.jsondata import jsonable
    from mscreport.report.blocks import compute_results

    teaching = ROOT / "tests" / "fixtures" / "cohort_teaching.csv"
    headers = {"patient_id": "Patient ID", "hba1c_baseline": "A1C_baseline", "hba1c_followup": "HbA1c (%)",
               "dose_cells": "MSC dose (cells)", "msc_source": "Cell source", "followup_months": "Months"}
    frame = pd.read_csv(teaching, dtype=str, keep_default_na=False).rename(columns=headers)
    frame["Comments"] = ""
    data = tmp_path / "excel_export.csv"
    frame.to_csv(data, index=False)
    mapping = write(tmp_path, "map.yaml", "".join(f"{k}: \"{v}\"\n" for k, v in headers.items()))
    out = tmp_path / "reports"
    code, stdout, err = run("build", "--data", data, "--columns", mapping, "--output", out, "--jobs", "2")
    assert code == 0, err
    assert f"{data}:-:comments: note: column not used by the analysis" in stdout.splitlines()
    results = json.loads((out / "results.json").read_text())
    expected = jsonable(compute_results(load_cohort(teaching)))
    assert results["data"]["column_map"] == headers
    assert results["data"]["rows_analysed"] == expected["data"]["rows_analysed"]
    for key in ("overall", "strata", "dose"):
        assert results[key] == json.loads(json.dumps(expected[key]))
