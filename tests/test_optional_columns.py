"""A bad value in an optional (descriptive) column does not stop the analysis: the cell is
treated as missing and reported as a note (interface.md: exit 2 only when the file cannot be
analysed)."""

import pandas as pd

from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort

CSV = "patient_id,hba1c_baseline,hba1c_followup,sex,bmi\nA,7.5,7.0,F,25\nB,8.5,7.0,alien,250\nC,7.1,6.9,m,30\n"


def test_bad_optional_values_are_notes_not_errors(tmp_path, capsys):
    path = tmp_path / "opt.csv"
    path.write_text(CSV)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:2:sex: note: unknown value 'alien'" in out
    assert f"{path}:2:bmi: note: bmi 250 is outside the plausible range" in out
    cohort = load_cohort(path)
    assert cohort.rows_analysed == 3
    assert [None if pd.isna(v) else v for v in cohort.frame["sex"]] == ["female", None, "male"]  # missing
    assert cohort.frame["bmi"].isna().tolist() == [False, True, False]
    assert cohort.note_counts() == {"sex": 1, "bmi": 1}


def test_a_bad_required_value_is_still_an_error(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(CSV.replace("8.5,7.0,alien", "x,7.0,alien"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:hba1c_baseline: not a number" in err
