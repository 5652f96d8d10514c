"""End to end: `mscreport build` into temporary folders, checked against interface.md."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mscreport.pipeline.chapters import list_chapters
from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort
from mscreport.inputs.params import DEFAULTS
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.core.jsondata import jsonable
from mscreport.report.blocks import compute_results
from mscreport.methods.stats import PAIRED_KEYS

pytestmark = pytest.mark.slow
CHAPTERS = list_chapters()


def _pages(out: Path) -> list[Path]:
    return sorted(out.glob("*.html")) + sorted((out / "teaching").glob("*.html"))


def _snapshot(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "mscreport.cli", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env={**os.environ, **(env or {})})


def _write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------ results.json
def _assert_paired(block):
    assert set(block) == set(PAIRED_KEYS)
    for k in PAIRED_KEYS:
        v = block[k]
        assert v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)), (k, v)


def test_results_json_has_every_interface_key(built_report):
    r = json.loads((built_report / "results.json").read_text())
    for key in ("data", "params", "overall", "strata", "dose", "published_comparison"):
        assert key in r
    d = r["data"]
    assert {"path", "sha256", "rows_read", "rows_analysed", "excluded"} <= set(d)
    assert d["rows_read"] == d["rows_analysed"] + len(d["excluded"])
    assert len(d["sha256"]) == 64
    # every parameter actually used, the auto ones as resolved for the reconstruction of the paper (interface.md)
    assert r["params"] == {**DEFAULTS, "condition": "type_2_diabetes", "intervention": "a single intravenous MSC infusion",
                           "inclusion_min": 6.2}
    assert r["params"].items() >= {"hba1c_unit": "percent", "moderate_min": 6.2, "severe_above": 8.0, "dose_cutoff": 1e9,
                                   "alpha": 0.05, "target_hba1c": 7.0, "aggregate_above": 2000, "dropout": 0.1,
                                   "baseline_window_months": 3.0, "followup_at_months": "last", "followup_window_months": 3.0}.items()
    _assert_paired(r["overall"])
    _assert_paired(r["strata"]["moderate"])
    _assert_paired(r["strata"]["severe"])
    dose = r["dose"]
    assert dose["cutoff_cells"] == 1e9
    _assert_paired(dose["high"])
    _assert_paired(dose["low"])
    assert {"t", "df", "p"} <= set(dose["welch"])
    assert set(dose["mann_whitney"]) == {"u", "p"}
    assert set(dose["pearson"]) == {"r", "p", "ci_low", "ci_high"}
    assert set(dose["spearman"]) == {"rho", "p"}
    for c in r["published_comparison"]:
        assert {"quantity", "published", "reproduced", "agrees"} <= set(c)
    assert r["overall"]["n"] == 61 and r["strata"]["moderate"]["n"] + r["strata"]["severe"]["n"] == 61
    # interface.md "Every number the report shows"
    for g in ("overall", "moderate", "severe"):
        assert {"w", "p"} <= set(r["normality"][g])
        assert {"estimate", "ci_low", "ci_high", "exact"} <= set(r["hodges_lehmann"][g])
    assert {"target_hba1c", "n", "below_before", "below_after", "proportion_after", "ci_low", "ci_high"} <= set(r["target"])
    assert {"statistic", "p"} <= set(r["target"]["mcnemar"])
    assert {"n", "events", "proportion", "ci_low", "ci_high"} <= set(r["safety"])
    assert {"n", "slope_per_year", "ci_low", "ci_high", "p"} <= set(r["durability"])
    assert {"f", "df1", "df2", "p"} <= set(r["source"]["anova"]) and {"h", "df", "p"} <= set(r["source"]["kruskal"])
    assert {"estimate", "ci_low", "ci_high", "p"} <= set(r["adjusted_dose"])
    assert r["holm"] and all({"test", "p", "p_holm"} <= set(h) for h in r["holm"])
    assert "observed_rho" in r["rtm"]
    assert isinstance(r["sample_size"], list) and isinstance(r["threshold_sensitivity"], list)
    assert isinstance(r["table1"], dict)


def test_results_json_equals_the_library_computation(built_report):
    """The chapters' records, merged by the build, are exactly what the library computes."""
    r = json.loads((built_report / "results.json").read_text())
    expected = jsonable(compute_results(load_cohort(DEFAULT_COHORT)))
    r.pop("provenance")
    assert r["data"].pop("path") == "data/reconstructed_cohort.csv"
    expected["data"].pop("path")
    assert r == json.loads(json.dumps(expected))


def test_every_published_figure_agrees(built_report):
    r = json.loads((built_report / "results.json").read_text())
    assert r["published_comparison"] and all(c["agrees"] is True for c in r["published_comparison"])


def test_index_links_every_chapter_in_both_renderings(built_report):
    index = (built_report / "index.html").read_text()
    for c in CHAPTERS:
        assert f'href="{c.name}.html"' in index and (built_report / f"{c.name}.html").is_file()
        assert f'href="teaching/{c.name}.html"' in index and (built_report / "teaching" / f"{c.name}.html").is_file()
    assert "Synthetic data" in index


def test_reader_rendering_has_no_code_and_teaching_has_exercises(built_report):
    for c in CHAPTERS:
        reader = (built_report / f"{c.name}.html").read_text()
        teaching = (built_report / "teaching" / f"{c.name}.html").read_text()
        assert "from_parameters" not in reader
        assert "from_parameters" in teaching and "jp-InputArea" in teaching
        assert "Exercises" in teaching and "Exercises" not in reader
        assert 'class="msc-toc"' in reader


def test_no_patient_identifier_in_any_page(built_report):
    ids = pd.read_csv(DEFAULT_COHORT)["patient_id"]
    for page in _pages(built_report):
        text = page.read_text()
        assert not any(pid in text for pid in ids), page


# ------------------------------------------------------------------ bad input, failures, cache
def test_bad_input_exits_2_without_traceback_and_keeps_previous_reports(built_report, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(built_report, out)
    before = _snapshot(out)
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,hba1c_baseline,hba1c_followup\nA,7.5,x\n")
    for args, where in ((["--data", str(bad)], f"{bad}:1:hba1c_followup:"),
                        (["-p", "alpha=2"], "alpha"), (["-p", "nope=1"], "known parameters"),
                        (["--data", str(tmp_path / "missing.csv")], "file not found")):
        proc = _cli("build", "--output", str(out), *args)
        assert proc.returncode == 2, proc.stderr
        assert where in proc.stderr and "Traceback" not in proc.stderr
    assert _snapshot(out) == before


def test_failing_chapter_exits_3_keeps_its_notebook_and_traceback_and_the_previous_reports(built_report, tmp_path):
    """Issue 12.1: the failing cell and error are printed, the executed notebook and the
    traceback are kept under DIR/failed/, the exit code (3) is not bad input's (2)."""
    out = tmp_path / "reports"
    shutil.copytree(built_report, out)
    before = _snapshot(out)
    chapters = tmp_path / "notebooks"
    chapters.mkdir()
    shutil.copy(CHAPTERS[0].source, chapters / CHAPTERS[0].source.name)
    broken = CHAPTERS[0].source.read_text().replace("cohort = ch.cohort", "cohort = ch.cohort\nraise ValueError('planted failure')")
    (chapters / "02_broken.py").write_text(broken)
    proc = _cli("build", "--output", str(out), env={"MSCREPORT_NOTEBOOKS": str(chapters)})
    assert proc.returncode == 3
    assert "02_broken" in proc.stderr and "ValueError: planted failure" in proc.stderr and "Traceback" not in proc.stderr
    assert "raise ValueError('planted failure')" in proc.stderr  # the failing cell
    after = _snapshot(out)
    failed = {k: after.pop(k) for k in list(after) if k.startswith("failed/")}
    after.pop(".cache/manifest.json"), before.pop(".cache/manifest.json")
    assert after == before  # every page and results.json as they were
    assert set(failed) == {"failed/02_broken.ipynb", "failed/02_broken.traceback.txt"}
    assert b"planted failure" in failed["failed/02_broken.traceback.txt"]
    assert b"Traceback" in failed["failed/02_broken.traceback.txt"] or b"ValueError" in failed["failed/02_broken.traceback.txt"]
    assert json.loads(failed["failed/02_broken.ipynb"])["cells"]  # the executed notebook, outputs and all
    # the next good build into the same folder is accepted (failed/ is ours) and removes it
    shutil.rmtree(chapters)
    chapters.mkdir()
    shutil.copy(CHAPTERS[0].source, chapters / CHAPTERS[0].source.name)
    proc = _cli("build", "--output", str(out), env={"MSCREPORT_NOTEBOOKS": str(chapters)})
    assert proc.returncode == 0, proc.stderr
    assert not (out / "failed").exists()


def test_cached_rebuild_reuses_and_a_parameter_change_reexecutes(built_report, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(built_report, out)
    proc = _cli("build", "--output", str(out))
    assert proc.returncode == 0 and "up to date" in proc.stdout
    proc = _cli("build", "--output", str(out), "-p", "alpha=0.01")
    assert proc.returncode == 0 and f"{len(CHAPTERS)} executed" in proc.stdout
    r = json.loads((out / "results.json").read_text())
    assert r["params"]["alpha"] == 0.01
    ref = jsonable(compute_results(load_cohort(DEFAULT_COHORT, {"alpha": 0.01})))
    assert r["overall"] == ref["overall"]


def test_two_builds_are_identical_apart_from_provenance(built_report, tmp_path):
    out = tmp_path / "reports"
    assert main(["build", "--output", str(out), "--force"]) == 0
    for page in _pages(built_report):
        rel = page.relative_to(built_report)
        a, b = page.read_text(), (out / rel).read_text()
        if rel.name == "index.html":
            a = "\n".join(l for l in a.splitlines() if "Built:" not in l and "Rebuild with" not in l)
            b = "\n".join(l for l in b.splitlines() if "Built:" not in l and "Rebuild with" not in l)
        assert a == b, f"{rel} differs between two builds"
    ra, rb = (json.loads((d / "results.json").read_text()) for d in (built_report, out))
    ra.pop("provenance"), rb.pop("provenance")
    assert ra == rb


# ------------------------------------------------------------------ other cohorts
def test_cohort_without_study_columns_builds_and_says_so(tmp_path):
    frame = pd.read_csv(DEFAULT_COHORT)[["patient_id", "hba1c_baseline", "hba1c_followup"]]
    data = _write(tmp_path / "minimal.csv", frame)
    out = tmp_path / "reports"
    assert main(["build", "--data", str(data), "--output", str(out)]) == 0
    r = json.loads((out / "results.json").read_text())
    assert r["overall"]["n"] == 61 and r["overall"]["p"] is not None
    # issue 23: the dose chapter does not apply: left out (no page, no link), its blocks null
    assert r["dose"] is None and r["adjusted_dose"] is None and r["source"] is None
    assert not (out / "04_dose.html").exists() and "04_dose.html" not in (out / "index.html").read_text()


def test_tiny_strata_give_null_not_exceptions_and_no_identifier_leaks(tmp_path):
    """One severe patient, no high-dose patient; a planted identifier and script tag never reach a page."""
    canary = "CANARY<script>alert(1)</script>"
    rows = [{"patient_id": f"{canary}{i}", "hba1c_baseline": 6.5 + 0.1 * i, "hba1c_followup": 6.3 + 0.05 * i,
             "dose_cells": 2e8, "msc_source": "UC", "followup_months": 12 + i, "note": "<script>alert('x')</script>"}
            for i in range(6)]
    rows.append({"patient_id": "CANARY-severe", "hba1c_baseline": 9.37, "hba1c_followup": 8.11, "dose_cells": 3e8,
                 "msc_source": "BM", "followup_months": 30, "note": "<b>row-level</b>"})
    rows.append({"patient_id": "CANARY-excluded", "hba1c_baseline": 5.0, "hba1c_followup": 5.0, "dose_cells": 3e8,
                 "msc_source": "BM", "followup_months": 30, "note": ""})
    data = _write(tmp_path / "tiny<i>name<b>.csv", pd.DataFrame(rows))
    out = tmp_path / "reports"
    assert main(["build", "--data", str(data), "--output", str(out)]) == 0
    r = json.loads((out / "results.json").read_text())
    assert r["strata"]["severe"]["n"] == 1 and r["strata"]["severe"]["p"] is None and r["strata"]["severe"]["sd_change"] is None
    assert r["dose"]["high"]["n"] == 0 and r["dose"]["high"]["mean_change"] is None
    assert r["dose"]["welch"]["p"] is None
    assert r["data"]["excluded"] == []  # a user's cohort: the low baseline is analysed, in the stratum below
    assert r["strata"]["below"]["n"] == 1 and r["params"]["inclusion_min"] is None
    for page in _pages(out):
        text = page.read_text()
        assert "CANARY" not in text, page
        # figures are SVG images: their drawing coordinates are not values a reader sees
        text = re.sub(r'src="data:image/svg\+xml,[^"]*"', 'src=""', text)
        # the one script a page may carry is the report's own offline search (pipeline.search_index)
        text = re.sub(r'<script src="(\.\./)?search\.js" defer></script>', "", text)
        assert "alert(" not in text and "<script" not in text.lower(), page
        assert "row-level" not in text, page
        # the lone severe patient's own values (9.37 -> 8.11, change -1.26) are suppressed, not shown as "means"
        for planted in ("9.37", "8.11", "1.26 %", "1.26 ", "78.91", "65.14"):
            assert planted not in text, (page, planted)
        assert "<i>name<b>" not in text, page  # the file name is shown, escaped


def test_bad_command_line_values_exit_2(tmp_path):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    for args, message in ((["build", "--jobs", "0"], "--jobs"), (["build", "--output", str(afile)], "must be a folder"),
                          (["build", "--nope"], "unrecognized arguments"), (["frobnicate"], "invalid choice")):
        proc = _cli(*args)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
