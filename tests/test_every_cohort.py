"""Every cohort that validates builds (issue 12.1) and degenerate data are zero variance
(issue 14.6): hypothesis generates small and degenerate cohorts (n >= 2, identical changes,
changes equal only up to floating-point rounding, an empty stratum or dose group, one
source, no study column, no SAE column, lone non-missing values) and

* runs every chapter's code cells in this process on each (the chapters exactly as written,
  without kernels), asserting no exception, and
* checks results.json's rules: a statistic that cannot be computed is None, never NaN or a
  number made from rounding noise, and no page number comes from fewer than 3 values.

A handful of real ``mscreport build`` runs on the named degenerate cohorts is in the slow
tests at the end (they also check that the pages do not show those patients' values).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path

import jupytext
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pagetext import visible_text

from mscreport.pipeline.chapters import list_chapters
from mscreport.inputs.cohort import load_cohort
from mscreport.report.results import dumps
from mscreport.report.blocks import compute_results

CHAPTERS = list_chapters()
COLUMNS = ["patient_id", "hba1c_baseline", "hba1c_followup", "dose_cells", "msc_source", "followup_months",
           "bmi", "serious_adverse_event"]


@st.composite
def cohorts(draw) -> pd.DataFrame:
    """A small cohort that validates: 2 to 12 analysed patients, with a degenerate pattern drawn."""
    n = draw(st.integers(2, 12))
    tenths = st.integers(62, 140)  # baselines 6.2 to 14.0 %, in tenths as laboratories report them
    baseline = [t / 10 for t in draw(st.lists(tenths, min_size=n, max_size=n))]
    pattern = draw(st.sampled_from(["free", "identical", "rounding", "zero"]))
    if pattern == "free":
        change = [c / 10 for c in draw(st.lists(st.integers(-40, 15), min_size=n, max_size=n))]
        followup = [max(3.0, b + c) for b, c in zip(baseline, change)]
    elif pattern == "identical":  # every change the same, in tenths
        c = draw(st.integers(-30, 10)) / 10
        followup = [round(b + c, 1) for b in baseline]
    elif pattern == "rounding":  # follow-up = baseline - 2.0: equal changes up to rounding (SD 3.6e-16)
        followup = [b - 2.0 for b in baseline]
    else:  # no change at all
        followup = list(baseline)
    frame = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "hba1c_baseline": baseline, "hba1c_followup": followup})
    if draw(st.booleans()):
        doses = draw(st.lists(st.sampled_from([None, 1e8, 5e8, 1e9, 2e9]), min_size=n, max_size=n))
        frame["dose_cells"] = doses
    if draw(st.booleans()):
        frame["msc_source"] = draw(st.lists(st.sampled_from(["UC", "BM", "AD", None]), min_size=n, max_size=n))
    if draw(st.booleans()):
        frame["followup_months"] = draw(st.lists(st.sampled_from([None, 6, 12, 35, 68]), min_size=n, max_size=n))
    if draw(st.booleans()):
        frame["bmi"] = draw(st.lists(st.sampled_from([None, None, 24.5, 31.2]), min_size=n, max_size=n))
    if draw(st.booleans()):
        frame["serious_adverse_event"] = draw(st.lists(st.sampled_from(["no", "yes", None]), min_size=n, max_size=n))
    return frame


def _load(frame: pd.DataFrame, folder: Path, **params):
    path = folder / "cohort.csv"
    frame.to_csv(path, index=False)
    return path, load_cohort(path, params or None)


def _finite_or_none(obj, where="results") -> None:
    """Every number in results is finite (JSON null for what cannot be computed)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            _finite_or_none(v, f"{where}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _finite_or_none(v, f"{where}[{i}]")
    elif isinstance(obj, float):
        assert math.isfinite(obj), where


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=cohorts(), severe_above=st.sampled_from([8.0, 9.0, 20.0]))
def test_results_of_every_small_cohort_are_computed_or_null(frame, severe_above):
    with tempfile.TemporaryDirectory() as folder:
        _, cohort = _load(frame, Path(folder), severe_above=severe_above)
        results = json.loads(dumps(compute_results(cohort)))
    _finite_or_none(results)
    changes = cohort.frame["change"]
    constant = float(changes.max() - changes.min()) <= 1e-9
    if constant:  # zero variance everywhere: no t, no interval, no d_z, SD exactly 0
        o = results["overall"]
        assert o["sd_change"] == 0 and o["t"] is None and o["ci_low"] is None and o["cohens_dz"] is None
        assert o["mean_change"] == pytest.approx(float(changes.mean()), abs=1e-9)
        for g in ("high", "low"):
            block = (results["dose"] or {}).get(g)
            if block and block["n"] >= 2:
                assert block["sd_change"] == 0 and block["t"] is None
        pearson = (results["dose"] or {}).get("pearson")
        assert pearson is None or pearson["r"] is None
    for name in ("moderate", "severe"):
        s = results["strata"][name]
        if s["n"] < 2:
            assert s["sd_change"] is None and s["p"] is None


def _run_chapter(source: Path, data_path: Path, overrides: dict) -> str:
    """Execute a chapter's code cells in this process (parameters cell, then the rest);
    return what it printed (its displays)."""
    nb = jupytext.read(source)
    ns: dict = {"__name__": "__chapter__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            exec(compile(cell.source, str(source), "exec"), ns)  # noqa: S102 (the project's own chapters)
            if "parameters" in cell.metadata.get("tags", []):
                ns.update({"data_path": str(data_path), **overrides})
    import matplotlib.pyplot as plt

    plt.close("all")
    return out.getvalue()


def _run_every_chapter(frame: pd.DataFrame, severe_above: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path, _ = _load(frame, Path(folder))
        for chapter in CHAPTERS:
            _run_chapter(chapter.source, path, {"severe_above": severe_above})


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=cohorts(), severe_above=st.sampled_from([8.0, 20.0]))
def test_every_chapter_runs_on_small_cohorts(frame, severe_above):
    _run_every_chapter(frame, severe_above)


@pytest.mark.slow
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=cohorts(), severe_above=st.sampled_from([8.0, 20.0]))
def test_every_chapter_runs_on_fifty_small_cohorts(frame, severe_above):
    """Issue 12.1's bar: 50 generated small and degenerate cohorts, every chapter, no failure."""
    _run_every_chapter(frame, severe_above)


# ------------------------------------------------------------------ real builds (slow)
DEGENERATE = {
    # two patients: nothing but counts may be shown
    "two_patients": [("A", 7.37, 6.81, 1e9, "UC", 12, 30.3, "no"), ("B", 9.19, 8.23, 2e8, "BM", 30, None, "no")],
    # every change -2.0 up to rounding, every patient moderate (empty severe stratum), one source,
    # one dose group
    "identical_changes": [(f"P{i}", 6.3 + 0.2 * i, 6.3 + 0.2 * i - 2.0, 5e8, "UC", 12 + i, None, None) for i in range(7)],
    # one severe patient, a lone BMI, one patient without a dose
    "one_severe": [(f"M{i}", 6.4 + 0.17 * i, 6.1 + 0.13 * i + 0.011 * i * i, None if i == 0 else (1e9 if i % 2 else 2e8),
                    "UC", 10 + 2 * i, None, "no") for i in range(9)] + [("S1", 10.43, 7.77, 2e9, "AD", 67, 41.7, "no")],
}
SECRETS = {"two_patients": ["7.37 %", "6.81 %", "9.19 %", "8.23 %", "8.28 %", "7.52 %", "30.3"],
           "identical_changes": [],
           "one_severe": ["10.43 %", "7.77 %", "41.7"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_cohort_builds_and_keeps_its_patients_private(name, tmp_path):
    from mscreport.cli import main

    frame = pd.DataFrame(DEGENERATE[name], columns=COLUMNS)
    if name == "identical_changes":
        frame = frame.drop(columns=["bmi", "serious_adverse_event"])
        frame["hba1c_followup"] = frame["hba1c_baseline"] - 2.0
    data = tmp_path / f"{name}.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "out"
    assert main(["build", "--data", str(data), "--output", str(out), "--force", "--jobs", "2"]) == 0
    results = json.loads((out / "results.json").read_text())
    _finite_or_none(results)
    assert results["data"]["synthetic"] is False
    pages = sorted(out.glob("*.html")) + sorted((out / "teaching").glob("*.html"))
    index = (out / "index.html").read_text(encoding="utf-8")
    linked = [c for c in CHAPTERS if f'href="{c.html_name}"' in index]  # chapters that do not apply are left out
    assert len(pages) == 2 * len(linked) + 1
    text = " ".join(visible_text(p.read_text(encoding="utf-8")) for p in pages)
    for secret in SECRETS[name]:
        assert secret not in text, secret
    if name == "identical_changes":
        assert results["overall"]["sd_change"] == 0 and results["overall"]["p"] is None
        assert "every change is identical" in text
        assert results["strata"]["severe"]["n"] == 0
