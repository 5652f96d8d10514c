"""The class build (issue 27): the class cohort file, ``mscreport build --class`` and what it
adds (teacher's guide, workbooks, links). The end-to-end test builds it once."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from pagetext import visible_text

from mscreport.cli import main
from mscreport.inputs.class_cohort import (CLASS_COHORT, CLASS_PARAMS, CONTROL_ARM, MSC_ARM, class_overrides,
                                           make_class_cohort, write_class_cohort)
from mscreport.inputs.cohort import load_cohort
from mscreport.inputs.params import DEFAULTS
from mscreport.analysis.basis import MARK_CLASS
from mscreport.pipeline.chapters import list_chapters
from mscreport.report.teacher_guide import GLOSSARY, guide_body

NOT_APPLYING = ("No arm column.", "one row per patient, so there is no trajectory")


def test_committed_class_file_is_what_the_code_writes(tmp_path):
    out = tmp_path / "class.csv"
    write_class_cohort(make_class_cohort(), out)
    assert out.read_bytes() == CLASS_COHORT.read_bytes()


def test_class_cohort_layout_and_labels():
    frame = make_class_cohort()
    assert set(frame["arm"]) == {MSC_ARM, CONTROL_ARM}
    control = frame[frame["arm"] == CONTROL_ARM]
    assert control["patient_id"].str.startswith("SIM-CTRL-").all()
    assert (frame["synthetic"] == "yes").all()
    assert (control["dose_cells"] == "").all() and (control["serious_adverse_event"] == "").all()
    assert control["patient_id"].nunique() == frame.loc[frame["arm"] == MSC_ARM, "patient_id"].nunique() == 61


def test_simulated_control_regresses_to_the_mean_without_effect():
    """The controls' change is explained by their baseline (regression to the mean) and no more:
    on average, change ~ -(1 - rho)(baseline - m) with no shift (intercept ~ 0 at m)."""
    c = load_cohort(CLASS_COHORT, {**DEFAULTS, **CLASS_PARAMS})
    ctrl = c.frame[c.frame["arm"] == CONTROL_ARM]
    m = c.frame.loc[c.frame["arm"] == MSC_ARM, "hba1c_baseline"].mean()
    slope, intercept = np.polyfit(ctrl["hba1c_baseline"] - m, ctrl["change"], 1)
    assert slope < 0 and abs(intercept) < 0.3
    severe, moderate = ctrl[ctrl["stratum"] == "severe"], ctrl[ctrl["stratum"] == "moderate"]
    assert severe["change"].mean() < moderate["change"].mean()  # the severe fall more, untreated


def test_class_overrides_user_wins_and_data_refused(tmp_path):
    items = class_overrides(None, ["reference_arm=MSC"], None)
    assert items[-1] == "reference_arm=MSC" and not any(i.startswith("reference_arm=simulated") for i in items)
    assert main(["build", "--class", "--data", str(CLASS_COHORT), "--output", str(tmp_path / "o")]) == 2


def test_build_help_documents_class(capsys):
    assert main(["build", "--help"]) == 0
    assert "--class" in capsys.readouterr().out


def test_guide_has_objectives_run_sheet_key_points_glossary():
    body = guide_body(list_chapters())
    for part in ("Learning objectives", "Run sheet (120 minutes)", "Glossary", "student workbook", "answer workbook"):
        assert part in body
    for term, _ in GLOSSARY:
        assert f"<strong>{term}</strong>" in body
    assert body.count("<ul>") == len(list_chapters())  # three key points for each chapter


def test_guide_lists_each_chapters_exercises_and_says_where_a_left_out_chapter_is():
    from mscreport.report.teacher_guide import list_exercises

    chapters = list_chapters()
    exercises = {c.name: list_exercises(c.source.read_text(encoding="utf-8")) for c in chapters}
    for c in chapters:  # every chapter has exercises, at least one of them predict-first
        assert exercises[c.name] and any(kind.startswith("predict") for _, kind, _ in exercises[c.name]), c.name
        assert all(number.startswith(f"{c.number}.") for number, _, _ in exercises[c.name]), c.name
    assert exercises["03_change"][0] == ("3.1", "predict, then run",
                                         "The sign test uses only whether each change is a fall or a rise.")
    without_published = [c for c in chapters if c.topic != "published"]
    body = guide_body(without_published, exercises)
    assert "<strong>7.1</strong> (predict, then run): The chapter&#x27;s slope has the baseline in the fit." in body
    assert "<strong>6.1</strong>" not in body  # the guide lists the exercises of this build's chapters
    assert "not in this build" in body and "<code>mscreport build</code> of the bundled cohort has it" in body


@pytest.fixture(scope="module")
def class_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("class") / "reports"
    assert main(["build", "--class", "--output", str(out), "-q"]) == 0
    return out


@pytest.mark.slow
def test_every_chapter_of_the_class_build_has_data(class_report):
    results = json.loads((class_report / "results.json").read_text())
    assert results["arms"]["reference"] == CONTROL_ARM and results["longitudinal"] is not None
    assert results["strata_comparison"]["by_arm"][CONTROL_ARM]["welch_change"]["diff"] < 0
    for page in sorted(class_report.glob("0*.html")) + sorted((class_report / "teaching").glob("0*.html")):
        text = visible_text(page.read_text(encoding="utf-8"))
        for phrase in NOT_APPLYING:
            assert phrase not in text, (page.name, phrase)
        assert f"class=\"{MARK_CLASS}" not in page.read_text(encoding="utf-8"), page.name  # no reconstruction marks (analysis.basis.sup)
        for section in re.findall(r"Per arm[^¶]*?¶(.{0,400})", text):
            assert "No arm column" not in section


@pytest.mark.slow
def test_class_build_has_the_guide_workbooks_and_links(class_report):
    guide = class_report / "teaching" / "teacher_guide.html"
    assert guide.is_file()
    assert 'href="teaching/teacher_guide.html"' in (class_report / "index.html").read_text()
    built = [c for c in list_chapters() if (class_report / c.html_name).is_file()]
    # all seven chapters: chapter 6 compares the paper's figures with the MSC arm alone
    assert built == list_chapters() and len(built) == 7
    assert "Left out of this report" not in visible_text((class_report / "index.html").read_text())
    for c in built:
        assert (class_report / "workbooks" / "student" / f"{c.name}.ipynb").is_file()
        nb = (class_report / "workbooks" / "with_answers" / f"{c.name}.ipynb").read_text()
        assert "class_cohort_long.csv" in nb and "simulated_control" in nb
        page = (class_report / "teaching" / c.html_name).read_text()
        assert f'href="../workbooks/student/{c.name}.ipynb"' in page
        assert f'href="../workbooks/with_answers/{c.name}.ipynb"' in page
    assert "SIMULATED" in visible_text((class_report / "index.html").read_text())
    guide_text = visible_text(guide.read_text(encoding="utf-8"))
    assert "Exercises:" in guide_text and "7.1 (predict, then run)" in guide_text
    assert "6.1 (predict, then run)" in guide_text and "not in this build" not in guide_text
    assert 'href="06_published.html"' in guide.read_text(encoding="utf-8")  # the run sheet's reproduction row
    workbook = (class_report / "workbooks" / "with_answers" / "06_published.ipynb").read_text()
    assert 'published_path: str = \\"data/published_results.yaml\\"' in workbook  # no builder's folder
    assert 'published_arm: str = \\"MSC\\"' in workbook


@pytest.mark.slow
def test_class_build_chapter_6_compares_the_msc_arm_alone(class_report):
    """Every published figure agrees on the MSC arm (the reconstruction's 61 patients), never on
    the simulated controls or both arms pooled; the page says so with the n of results.json."""
    results = json.loads((class_report / "results.json").read_text())
    assert results["data"]["rows_analysed"] == 122
    assert results["params"]["published_arm"] == MSC_ARM
    on = results["reconstruction"]["summary"]["compared_on"]
    assert on == {"arm": MSC_ARM, "n": 61, "other_arms": [CONTROL_ARM], "synthetic": True}
    comparison = results["published_comparison"]
    assert comparison and all(c["agrees"] for c in comparison)
    assert next(c["reproduced"] for c in comparison if c["quantity"] == "patients analysed") == 61
    text = visible_text((class_report / "06_published.html").read_text(encoding="utf-8"))
    rows = re.search(r"Each published figure and its reproduction figure published reproduced agrees (.*?) Compared on",
                     text).group(1)
    assert rows.count(" yes") == len(comparison) and " NO" not in rows and "not computable" not in rows
    assert (f"Compared on the MSC arm alone (n = {on['n']}): the published figures describe that arm, so the arm "
            "simulated_control is not part of the comparison.") in text
    assert "holds by construction" in text
    assert "Its MSC arm, which the published figures were compared with, is synthetic" in text  # Pinned, derived or assumed
