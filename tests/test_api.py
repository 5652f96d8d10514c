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
