"""The documented Python API (issue 12.6): `import mscreport` gives the loaders and analyses,
each with a docstring; results become tidy DataFrames; the README's example runs."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

import mscreport
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.methods.stats import PairedResult, paired_test, welch_test
from mscreport.methods.tidy import COLUMNS


def test_import_is_light():
    """The API is imported on first use: `import mscreport` (which the CLI does) loads no pandas."""
    code = "import sys, mscreport; print('pandas' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize("name", [n for n in mscreport.__all__ if n != "__version__"])
def test_every_public_name_resolves_and_is_documented(name):
    obj = getattr(mscreport, name)
    if callable(obj):
        assert (obj.__doc__ or "").strip(), f"mscreport.{name} has no docstring"
    assert name in dir(mscreport)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        mscreport.no_such_function  # noqa: B018


def test_paired_result_to_frame_is_tidy_and_keeps_every_number():
    r = paired_test([7.0, 8.0, 9.5, 6.8], [6.5, 7.9, 8.0, 6.9])
    frame = r.to_frame("all")
    assert list(frame.columns) == list(COLUMNS) and frame["value"].dtype == "float64"
    assert set(frame["analysis"]) == {"paired"} and set(frame["group"]) == {"all"}
    values = dict(zip(frame["statistic"], frame["value"]))
    for field in dataclasses.fields(PairedResult):
        v = getattr(r, field.name)
        if isinstance(v, (int, float)):
            assert values[field.name] == pytest.approx(v, rel=0, abs=0), field.name
        elif v is None:
            assert math.isnan(values[field.name]), field.name
        else:  # text (method, note) is left out
            assert field.name not in values
    assert values["mean_change"] == pytest.approx((6.5 + 7.9 + 8.0 + 6.9 - 7.0 - 8.0 - 9.5 - 6.8) / 4)


def test_not_computable_becomes_nan():
    frame = welch_test([1.0], [2.0, 3.0]).to_frame()
    assert frame["value"].isna().all() and {"t", "df", "p"} <= set(frame["statistic"])


def test_dose_result_to_frame_names_the_groups():
    cohort = mscreport.load_cohort(DEFAULT_COHORT, mscreport.DEFAULTS)
    dose = mscreport.analyse_dose(cohort)
    frame = dose.to_frame()
    high = frame[(frame["group"] == "high") & (frame["statistic"] == "mean_change")]["value"].item()
    assert high == dose.high.mean_change
    welch = frame[frame["analysis"] == "welch"]
    assert set(welch["group"]) == {""} and welch.set_index("statistic")["value"]["p"] == dose.welch.p
    stacked = pd.concat([mscreport.analyse_overall(cohort).to_frame("all"), frame])
    assert list(stacked.columns) == list(COLUMNS)


def _readme_api_example() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_api_example_runs(tmp_path):
    """The README's example, run as written from another directory."""
    script = tmp_path / "example.py"
    script.write_text(_readme_api_example())
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "mean_change" in proc.stdout


# ---------------------------------------------------------------- issue 26.10: the API gaps
def test_strata_to_frame_has_every_stratum():
    """``analyse_strata`` gives a ``Strata`` dict with ``to_frame``: one group per stratum,
    the same numbers as each stratum's ``PairedResult``."""
    cohort = mscreport.load_cohort(DEFAULT_COHORT, mscreport.DEFAULTS)
    strata = mscreport.analyse_strata(cohort)
    frame = strata.to_frame()
    assert list(frame.columns) == list(COLUMNS) and frame["value"].dtype == "float64"
    assert set(frame["group"]) == set(strata) and set(frame["analysis"]) == {"paired"}
    for name, r in strata.items():
        got = frame[frame["group"] == name].set_index("statistic")["value"]
        assert got["mean_change"] == r.mean_change and got["n"] == r.n and got["p"] == r.p
    assert set(mscreport.to_frame(strata, "stratum")["group"]) == {f"stratum.{k}" for k in strata}


def test_to_frame_of_compute_results():
    """``to_frame(compute_results(cohort))``: every number of the results.json layout, the
    top-level block as ``analysis`` and the keys inside it as ``group``."""
    cohort = mscreport.load_cohort(DEFAULT_COHORT, mscreport.DEFAULTS)
    results = mscreport.compute_results(cohort)
    frame = mscreport.to_frame(results)
    assert list(frame.columns) == list(COLUMNS) and frame["value"].dtype == "float64" and len(frame) > 50

    def value(analysis, group, statistic):
        rows = frame[(frame["analysis"] == analysis) & (frame["group"] == group) & (frame["statistic"] == statistic)]
        assert len(rows) == 1, (analysis, group, statistic, len(rows))
        return rows["value"].item()

    assert value("overall", "", "mean_change") == results["overall"]["mean_change"]
    assert value("strata", "severe", "p") == results["strata"]["severe"]["p"]
    assert value("dose", "high", "n") == results["dose"]["high"]["n"]
    first = results["published_comparison"][0]
    assert value("published_comparison", first["quantity"], "reproduced") == first["reproduced"]
    assert value("data", "", "rows_analysed") == 61
    with pytest.raises(TypeError):
        mscreport.to_frame("not a result")


def test_load_cohort_takes_a_dataframe_validated_like_the_file():
    frame = pd.read_csv(DEFAULT_COHORT, dtype=str, keep_default_na=False)
    from_file = mscreport.load_cohort(DEFAULT_COHORT, mscreport.DEFAULTS)
    from_frame = mscreport.load_cohort(frame, mscreport.DEFAULTS)
    assert from_frame.path == "DataFrame" and from_frame.rows_read == from_file.rows_read
    pd.testing.assert_frame_equal(from_frame.frame, from_file.frame)
    assert [(e.row, e.reason) for e in from_frame.excluded] == [(e.row, e.reason) for e in from_file.excluded]
    assert mscreport.analyse_overall(from_frame).mean_change == mscreport.analyse_overall(from_file).mean_change
    typed = pd.read_csv(DEFAULT_COHORT)  # numbers as floats, empty cells as NaN: the same cohort
    assert mscreport.load_cohort(typed).rows_analysed == from_file.rows_analysed


def test_load_cohort_dataframe_problems_name_row_and_column():
    frame = pd.read_csv(DEFAULT_COHORT, dtype=str, keep_default_na=False)
    frame.loc[4, "hba1c_baseline"] = "high"  # the 5th row of the DataFrame
    with pytest.raises(mscreport.InputError) as exc:
        mscreport.load_cohort(frame)
    problems = [p for p in exc.value.problems if p.column == "hba1c_baseline"]
    assert problems and problems[0].file == "DataFrame" and problems[0].row == 5, exc.value.problems
    assert "spreadsheet" not in str(exc.value) and "cohort.csv" not in str(exc.value) and "/tmp" not in str(exc.value)
    assert str(problems[0]).startswith("DataFrame:5:hba1c_baseline: ")
    labelled = frame.set_axis([f"p{i}" for i in range(len(frame))])  # an index of the user's own labels
    with pytest.raises(mscreport.InputError) as exc:
        mscreport.load_cohort(labelled)
    assert "(index label 'p4')" in str(exc.value)
    with pytest.raises(mscreport.InputError, match="no columns"):
        mscreport.load_cohort(pd.DataFrame())  # no columns
    with pytest.raises(mscreport.InputError):
        mscreport.load_cohort(frame.iloc[:0])  # header only


def test_results_schema_is_the_documented_schema():
    import json

    schema = mscreport.results_schema()
    assert schema == json.loads((REPO_ROOT / "docs" / "results.schema.json").read_text())
    assert schema["title"] == "mscreport results.json" and "properties" in schema
    schema["title"] = "changed"
    assert mscreport.results_schema()["title"] == "mscreport results.json"  # a new dict each call
