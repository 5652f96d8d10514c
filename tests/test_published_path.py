"""Chapter 6 compares with a published-figures file only when one is given (issue 12.5):
parameter ``published_path`` (empty: the paper's figures for a reconstruction, none for a
user's cohort; ``none``; or a YAML file laid out as data/published_results.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pagetext import visible_text

from mscreport.pipeline.build import make_plan
from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError
from mscreport.inputs.params import resolve_params
from mscreport.core.paths import DEFAULT_COHORT, PUBLISHED_RESULTS, REPO_ROOT
from mscreport.analysis.published import load_published, published_file, published_for
from mscreport.report.blocks import compute_results

TEACHING = REPO_ROOT / "tests" / "fixtures" / "cohort_teaching.csv"
# a user's published figures: the teaching cohort has 26 patients with a baseline >= 6.2 % (mean 8.3 %)
USER_FIGURES = """\
source: "A clinic audit (made up for this test)"
figures:
  - {id: n, quantity: "patients analysed", printed: "26", value: 26, status: published, check: equal, of: n}
  - {id: base, quantity: "mean baseline HbA1c (%)", printed: "8.1 %", value: 8.1, status: published, check: round(1), of: overall.baseline_mean}
  - {id: p, quantity: "overall paired t-test p", printed: "p < 0.05", value: 0.05, status: published, check: below, of: overall.p}
"""


@pytest.fixture()
def user_figures(tmp_path) -> Path:
    path = tmp_path / "figures.yaml"
    path.write_text(USER_FIGURES, encoding="utf-8")
    return path


def test_which_file_is_compared_with(user_figures):
    assert published_file("", reconstruction=True) == PUBLISHED_RESULTS
    assert published_file("", reconstruction=False) is None
    assert published_file("none", reconstruction=True) is None and published_file("NONE", reconstruction=False) is None
    assert published_file(str(user_figures), reconstruction=False) == user_figures


def test_a_relative_file_is_relative_to_the_parameter_file(tmp_path, user_figures):
    params_file = tmp_path / "params.yaml"
    params_file.write_text("published_path: figures.yaml\n", encoding="utf-8")
    assert resolve_params(params_file)["published_path"] == str(user_figures.absolute())
    with pytest.raises(InputError, match="published_path.*file not found"):
        resolve_params(overrides=["published_path=/no/such/figures.yaml"])
    assert resolve_params(overrides=["published_path=None"])["published_path"] == "none"


@pytest.mark.parametrize("text, message", [
    ("figures: [{id: n, quantity: q, printed: '1', value: 1, status: published, check: equal}]", "figures[0]: missing of"),
    ("figures: [{id: n, quantity: q, printed: '1', value: 1, status: published, check: equal, of: nn}]",
     "figures[0].of: unknown quantity 'nn'"),
    ("figures: [{id: n, quantity: q, printed: '1', value: 1, status: published, check: about, of: n}]",
     "figures[0].check: unknown check 'about'"),
    ("just: text", "not a published-figures file"),
])
def test_a_bad_figures_file_is_bad_input_before_any_chapter(tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load_published(path)
    assert main(["build", "--output", str(tmp_path / "out"), "-p", f"published_path={path}"]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_the_cache_key_follows_the_files_content(tmp_path, user_figures):
    plan = make_plan(overrides=[f"published_path={user_figures}"], output=tmp_path / "out")
    before = plan.keys("0" * 64)
    user_figures.write_text(USER_FIGURES.replace('printed: "8.1 %", value: 8.1', 'printed: "8.3 %", value: 8.3'),
                            encoding="utf-8")
    after = plan.keys("0" * 64)
    assert all(before[c] != after[c] for c in before)
    assert make_plan(output=tmp_path / "out").keys("0" * 64) != after


def test_results_without_and_with_a_users_file(user_figures):
    own = load_cohort(TEACHING)
    assert published_for(own) is None
    r = compute_results(own)
    assert r["published_comparison"] is None and r["reconstruction"] is None
    # the figures describe the cohort under the paper's inclusion rule (26 patients of 27 with a baseline >= 6.2 %)
    given = load_cohort(TEACHING, resolve_params(overrides=[f"published_path={user_figures}", "inclusion_min=6.2"]))
    r = compute_results(given)
    assert [c["agrees"] for c in r["published_comparison"]] == [True, False, True]
    summary = r["reconstruction"]["summary"]
    assert (summary["agree"], summary["total"], summary["file"], summary["paper"]) == (2, 3, "figures.yaml", False)
    assert "severe_range" not in r["reconstruction"]  # the paper's stratum arithmetic needs the paper's figures
    bundled = compute_results(load_cohort(DEFAULT_COHORT))
    assert len(bundled["published_comparison"]) == 19 and bundled["reconstruction"]["severe_n_min"] == 10


@pytest.mark.slow
def test_a_users_cohort_without_figures_leaves_chapter_6_out(built_teaching_report):
    """Issue 23: a chapter that does not apply is left out, not shown as a note; the index says
    so in one line and links no left-out chapter; the blocks stay null."""
    r = json.loads((built_teaching_report / "results.json").read_text(encoding="utf-8"))
    assert r["params"]["published_path"] == "" and r["published_comparison"] is None and r["reconstruction"] is None
    assert not (built_teaching_report / "06_published.html").exists()
    assert not (built_teaching_report / "teaching" / "06_published.html").exists()
    index = (built_teaching_report / "index.html").read_text(encoding="utf-8")
    assert "published vs reproduced" not in index and "Matsuoka" not in index and "agree at" not in index
    assert "06_published.html" not in index and "Left out of this report" in index and "published_path" in index


@pytest.mark.slow
def test_a_users_wide_file_leaves_the_course_over_time_chapter_out(built_teaching_report, built_report):
    """Issue 23: a user's file with one row per patient has no course over time; chapter 7 said
    "there is no trajectory to draw" under four empty headings (and "since the infusion" on a
    trial). Now it is left out with its reason; the bundled reconstruction keeps it (the lesson's
    pointer to its long twin), and a long file has it (tests/test_longitudinal_build.py)."""
    assert not (built_teaching_report / "07_trajectory.html").exists()
    assert not (built_teaching_report / "teaching" / "07_trajectory.html").exists()
    index = (built_teaching_report / "index.html").read_text(encoding="utf-8")
    assert "07_trajectory.html" not in index and "no repeated measurements to follow over time" in index
    assert (built_report / "07_trajectory.html").exists()


@pytest.mark.slow
def test_a_users_cohort_with_its_figures_file_is_compared(tmp_path, user_figures):
    out = tmp_path / "out"
    assert main(["build", "--data", str(TEACHING), "--output", str(out), "-p", f"published_path={user_figures}",
                 "-p", "inclusion_min=6.2"]) == 0
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [c["quantity"] for c in r["published_comparison"]] == ["patients analysed", "mean baseline HbA1c (%)",
                                                                 "overall paired t-test p"]
    assert r["reconstruction"]["summary"]["agree"] == 2
    chapter = (out / "06_published.html").read_text(encoding="utf-8")
    assert "Each published figure and its reproduction" in chapter and "figures in <code>figures.yaml</code>" in chapter
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("Key findings") < index.index("figures in <code>figures.yaml</code> agree")
    assert "Matsuoka" not in index and "class=\"msc-mark" not in index  # no basis marks (analysis.basis.sup) on a user's cohort
    assert "basis" not in visible_text(index)
    folder = str(user_figures.parent)  # the builder's folders never reach a page (issue 15.2)
    pages = [index, *(p.read_text(encoding="utf-8") for p in out.rglob("*.html") if p.name != "index.html")]
    assert not [p for p in pages if folder in p], "a page shows the published file's absolute path"


def test_only_a_reconstruction_of_the_paper_is_compared_with_it():
    """A synthetic cohort is compared with the paper (and marked pinned/derived/assumed) only
    when it is a reconstruction of the paper's cohort: the bundled bytes or `mscreport synth`
    output (SYN- pseudonyms). A simulated trial (Steno-2, synthetic in every row) is not."""
    import pandas as pd

    from mscreport.core.paths import DEFAULT_COHORT
    from mscreport.inputs.synthetic import is_reconstruction, is_synthetic

    synth = pd.DataFrame({"patient_id": ["SYN-001", "SYN-002"], "synthetic": ["yes", "yes"]})
    steno = pd.read_csv(Path(__file__).parent / "fixtures" / "long_steno2.csv", dtype=str)
    real = pd.DataFrame({"patient_id": ["SYN-001", "SYN-002"]})
    assert is_reconstruction("", synth)
    assert is_synthetic("", steno) and not is_reconstruction("", steno)
    assert not is_reconstruction("", real)
    assert not is_reconstruction("", synth.assign(patient_id=["SYN-001", "P-2"]))
    from mscreport.core.hashing import file_sha256

    assert is_reconstruction(file_sha256(DEFAULT_COHORT), None)


@pytest.mark.parametrize("kind, expected", [("fifo", "a named pipe (FIFO), not a regular file"),
                                            ("device", "a device, not a regular file"),
                                            ("folder", "a folder, not a file"),
                                            ("missing", "file not found")])
def test_published_path_says_what_it_is_when_not_a_file(tmp_path, kind, expected):
    """Issue 24.13: /dev/zero or a FIFO as published_path was reported as "file not found"."""
    import os

    path = {"fifo": tmp_path / "figures.fifo", "device": Path("/dev/zero"), "folder": tmp_path,
            "missing": tmp_path / "nope.yaml"}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(InputError) as info:
        resolve_params(overrides=[f"published_path={path}"])
    (problem,) = info.value.problems
    assert expected in str(problem), str(problem)
    if kind != "missing":
        assert "not found" not in str(problem)
