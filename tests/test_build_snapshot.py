"""The analysed data is a snapshot (issue 14.4, 11.2) and the parameters take one straight
path (issue 15.2). Builds use small chapter folders (MSCREPORT_NOTEBOOKS) to stay quick."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.inputs.cohort import load_cohort
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.core.jsondata import jsonable
from mscreport.report.blocks import compute_results
from mscreport.inputs.snapshot import NOT_FOR_CHAPTERS, load_snapshot, save_snapshot
from mscreport.analysis.strata import threshold_sensitivity

CHAPTERS = {c.name: c for c in list_chapters()}

SWAP_CHAPTER = '''# %% [markdown]
# # Swap the cohort file
#
# **Question:** does a chapter analyse the file the build hashed, even if the file changes?
#

# %%
import os, shutil
shutil.copy(os.environ["SWAP_FROM"], os.environ["SWAP_TO"])
'''


def _cli(*args, env):
    return subprocess.run([sys.executable, "-m", "mscreport.cli", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env={**os.environ, **env})


def _chapters(tmp_path: Path, *names: str) -> Path:
    d = tmp_path / "notebooks"
    d.mkdir()
    for n in names:
        shutil.copy(CHAPTERS[n].source, d / CHAPTERS[n].source.name)
    return d


def test_snapshot_round_trip_is_exact(tmp_path):
    cohort = load_cohort(REPO_ROOT / "tests" / "fixtures" / "cohort_teaching.csv")
    back = load_snapshot(save_snapshot(cohort, tmp_path / "snap"))
    # every column and dtype, but the pseudonyms and row numbers, which no chapter reads
    assert "patient_id" in cohort.frame and not set(NOT_FOR_CHAPTERS) & set(back.frame.columns)
    pd.testing.assert_frame_equal(back.frame, cohort.frame.drop(columns=list(NOT_FOR_CHAPTERS)))
    import dataclasses

    for f in dataclasses.fields(cohort):
        if f.init and f.name != "frame":  # the data, not what was computed from it (kept, shared_results)
            assert getattr(back, f.name) == getattr(cohort, f.name), f.name
    as_json = [json.dumps(jsonable(compute_results(c)), sort_keys=True) for c in (back, cohort)]
    assert as_json[0] == as_json[1]  # (compared as JSON: NaN != NaN in a dict comparison)


def test_snapshot_round_trip_of_a_long_file(tmp_path):
    """A long cohort file's derivation (``Cohort.longitudinal``, data frames) survives the snapshot:
    the build failed with 'LongCohort is not JSON serializable' before."""
    cohort = load_cohort(REPO_ROOT / "data" / "reconstructed_cohort_long.csv")
    assert cohort.longitudinal is not None
    back = load_snapshot(save_snapshot(cohort, tmp_path / "snap"))
    pd.testing.assert_frame_equal(back.frame, cohort.frame.drop(columns=[c for c in NOT_FOR_CHAPTERS if c in cohort.frame]))
    pd.testing.assert_frame_equal(back.longitudinal.measurements, cohort.longitudinal.measurements)
    as_json = [json.dumps(jsonable(compute_results(c)), sort_keys=True) for c in (back, cohort)]
    assert as_json[0] == as_json[1]


def test_threshold_grid_contains_the_users_severe_above():
    cohort = load_cohort(DEFAULT_COHORT, {"severe_above": 8.3})
    grid = threshold_sensitivity(cohort)["severe_above"].tolist()
    assert 8.3 in grid and grid == sorted(grid)
    row = threshold_sensitivity(cohort).set_index("severe_above").loc[8.3]
    assert row["n_severe"] == int((cohort.frame["stratum"] == "severe").sum())


@pytest.mark.slow
def test_a_cohort_file_replaced_during_the_build_does_not_change_the_numbers(tmp_path):
    """Issue 14.4: results.json kept the first file's hash while chapters analysed the second."""
    original = tmp_path / "cohort.csv"
    shutil.copy(DEFAULT_COHORT, original)
    sha = hashlib.sha256(original.read_bytes()).hexdigest()
    other = pd.read_csv(DEFAULT_COHORT)
    other["hba1c_followup"] = other["hba1c_baseline"] + 0.5  # a very different cohort
    other_path = tmp_path / "other.csv"
    other.to_csv(other_path, index=False)
    notebooks = _chapters(tmp_path, "03_change")
    (notebooks / "00_swap.py").write_text(SWAP_CHAPTER)
    out = tmp_path / "out"
    proc = _cli("build", "--data", str(original), "--output", str(out), "--jobs", "1",
                env={"MSCREPORT_NOTEBOOKS": str(notebooks), "SWAP_FROM": str(other_path), "SWAP_TO": str(original)})
    assert proc.returncode == 0, proc.stderr
    assert original.read_bytes() == other_path.read_bytes()  # the file was replaced mid-build
    r = json.loads((out / "results.json").read_text())
    assert r["data"]["sha256"] == sha
    expected = jsonable(compute_results(load_cohort(DEFAULT_COHORT)))
    assert r["overall"] == json.loads(json.dumps(expected["overall"]))
    assert r["strata"] == json.loads(json.dumps(expected["strata"]))


@pytest.mark.slow
def test_severe_above_9_end_to_end(tmp_path):
    """Issue 15.2: `-p severe_above=9` reaches the strata, the threshold grid and results.json
    typed, from one place; the pages show no absolute path of the builder."""
    notebooks = _chapters(tmp_path, "02_severity", "03_change")
    out = tmp_path / "out"
    data = tmp_path / "my cohort.csv"
    shutil.copy(DEFAULT_COHORT, data)
    proc = _cli("build", "--data", str(data), "--output", str(out), "-p", "severe_above=9",
                env={"MSCREPORT_NOTEBOOKS": str(notebooks)})
    assert proc.returncode == 0, proc.stderr
    r = json.loads((out / "results.json").read_text())
    assert r["params"]["severe_above"] == 9.0 and isinstance(r["params"]["severe_above"], float)
    expected = load_cohort(DEFAULT_COHORT, {"severe_above": 9.0})
    n_severe = int((expected.frame["stratum"] == "severe").sum())
    assert n_severe != int((load_cohort(DEFAULT_COHORT).frame["stratum"] == "severe").sum())  # 9 moves patients
    assert r["strata"]["severe"]["n"] == n_severe
    assert r["strata"] == json.loads(json.dumps(jsonable(compute_results(expected))["strata"]))
    severity = (out / "02_severity.html").read_text()
    teaching = (out / "teaching" / "02_severity.html").read_text()
    assert "<td>9</td>" in severity  # the user's value is a row of the threshold table
    import html as _html
    import re as _re

    shown = _html.unescape(_re.sub(r"<[^>]+>", "", severity))
    assert _re.search(r"severe_above\s*=\s*9(\.0)?(\s*%)?\b", shown)  # the parameters line at the top
    for page in [*out.glob("*.html"), *(out / "teaching").glob("*.html")]:
        text = page.read_text()
        for private in (str(tmp_path), str(REPO_ROOT), "/tmp/", os.path.expanduser("~") + "/"):
            assert private not in text, (page.name, private)
    import html
    import re

    code = html.unescape(re.sub(r"<[^>]+>", "", teaching))
    # the teaching page folds the parameters cell's code; its parameters block shows the value the kernel ran with
    assert re.search(r"severe_above\s*9(\.0)?\s*NGSP %", code), "the parameters block of the teaching page"
    assert "Cohort file my cohort.csv" in code  # its label, not the builder's path
