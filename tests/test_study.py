"""The study as it is (issue 23; interface.md "The study as it is", "Who is excluded",
"params as resolved"): the parameters condition, intervention, inclusion_min and mcid; who is
excluded; the stratum below; and the sentences that must follow the study, each tested on a
cohort whose data made it false before.

R: tests/r/study.R -> tests/fixtures/r_study.json (arms_two.csv without the paper's exclusion)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from mscreport.analysis import change, strata as strata_mod, trust
from mscreport.analysis.arm_compare import analyse_arms, arm_flow, arms_block
from mscreport.analysis.dose import analyse_dose
from mscreport.analysis.flow_by_arm import flow_with_reasons, uneven_exclusion_sentence
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.analysis.table_one import flow_sentence
from mscreport.analysis.trajectory import chance_findings_sentence
from mscreport.core.errors import InputError
from mscreport.core.paths import REPO_ROOT
from mscreport.display import figures
from mscreport.inputs.cohort import load_cohort
from mscreport.inputs.params import DEFAULTS, resolve_params
from mscreport.inputs.study import PAPER_INTERVENTION, Study
from mscreport.pipeline.study_cells import select_study_cells
from mscreport.report.blocks import trust_blocks
from mscreport.report.exercises import larger_fall_larger_p

FIX = REPO_ROOT / "tests" / "fixtures"
BUNDLED = REPO_ROOT / "data" / "reconstructed_cohort.csv"
R = json.loads((FIX / "r_study.json").read_text())


def _study(**kw) -> Study:
    base = dict(condition="unspecified", intervention="the treatment", inclusion_min=None, msc=False,
                reconstruction=False, controlled=False)
    return Study(**{**base, **kw})


# ---------------------------------------------------------------- parameters, resolved
def test_auto_resolves_to_the_paper_only_for_its_reconstruction():
    paper = load_cohort(BUNDLED)
    assert paper.resolved_params["condition"] == "type_2_diabetes"
    assert paper.resolved_params["intervention"] == PAPER_INTERVENTION
    assert paper.resolved_params["inclusion_min"] == 6.2
    assert paper.resolved_params["mcid"] == 0.5
    own = load_cohort(FIX / "arms_two.csv")
    assert (own.resolved_params["condition"], own.resolved_params["intervention"], own.resolved_params["inclusion_min"]) \
        == ("unspecified", "the treatment", None)
    assert own.study.time_zero(own.study.controlled) == "randomisation"
    doses = load_cohort(FIX / "arms_dose.csv")  # dose_cells: MSC wording, but not the paper's condition or rule
    assert doses.study.msc and doses.resolved_params["intervention"] == "MSC"
    assert doses.resolved_params["condition"] == "unspecified" and doses.resolved_params["inclusion_min"] is None


def test_given_values_win_and_bad_ones_are_refused():
    c = load_cohort(FIX / "arms_two.csv", {**DEFAULTS, "condition": "type_1_diabetes", "inclusion_min": "6.5",
                                           "intervention": "insulin pump"})
    assert c.resolved_params["condition"] == "type_1_diabetes" and c.resolved_params["inclusion_min"] == 6.5
    assert c.resolved_params["intervention"] == "insulin pump" and not c.study.msc
    assert resolve_params(overrides=["inclusion_min=none"])["inclusion_min"] == "none"
    for bad in ("inclusion_min=low", "inclusion_min=40", "condition=type2", "mcid=0"):
        with pytest.raises(InputError):
            resolve_params(overrides=[bad])


# ---------------------------------------------------------------- who is excluded
def test_a_trial_analyses_every_patient_with_both_values():
    raw = pd.read_csv(FIX / "arms_two.csv")
    both = raw.dropna(subset=["hba1c_baseline", "hba1c_followup"])
    assert (both["hba1c_baseline"] < 6.2).any(), "the fixture must hold a low baseline"
    c = load_cohort(FIX / "arms_two.csv")
    assert c.rows_analysed == len(both) == R["two"]["analysed"]  # R: nrow(d[!is.na(b) & !is.na(f), ])
    assert c.frame["arm"].value_counts().to_dict() == R["two"]["analysed_by_arm"]  # R: table(arm)
    assert c.frame["stratum"].value_counts().to_dict() == R["two"]["strata_n"]  # R: table(stratum)
    assert not any("inclusion" in e.reason for e in c.excluded)


def test_the_stratum_below_and_the_interaction_over_the_levels_present_agree_with_r():
    c = load_cohort(FIX / "arms_two.csv")
    s = analyse_strata(c)
    assert list(s) == ["below", "moderate", "severe"]
    assert s["below"].n == R["two"]["below"]["n"]
    assert s["below"].mean_change == pytest.approx(R["two"]["below"]["mean_change"], rel=1e-9)
    inter = arms_block(c)["interaction_severity"]
    r = R["two"]["interaction_severity"]  # R: anova(lm(f ~ b + arm + stratum), lm(f ~ b + arm * stratum))
    for k in ("f", "df1", "df2", "p"):
        assert inter[k] == pytest.approx(r[k], rel=1e-9), k


def test_an_empty_below_stratum_is_dropped():
    s = analyse_strata(load_cohort(BUNDLED))
    assert list(s) == ["moderate", "severe"]


def test_inclusion_min_excludes_below_the_inclusion_threshold():
    c = load_cohort(FIX / "arms_two.csv", {**DEFAULTS, "inclusion_min": "6.2"})
    reasons = [e.reason for e in c.excluded]
    assert sum("below the inclusion threshold" in r for r in reasons) == 1
    assert "below" not in set(c.frame["stratum"])


def test_the_flow_per_arm_shows_each_reason_and_says_when_the_arms_lose_different_shares():
    c = load_cohort(FIX / "arms_two.csv")
    flow = arm_flow(c)
    shown = flow_with_reasons(flow, c)
    reason_columns = [k for k in shown.columns if k.startswith("excluded: ")]
    assert reason_columns == ["excluded: no follow-up HbA1c (hba1c_followup empty)"]
    assert (shown[reason_columns].sum(axis=1) == shown["excluded"]).all()
    # placebo loses 1 of 15 (6.7 %), msc none of 20: a difference of 5 % points or more is said
    assert "different shares" in uneven_exclusion_sentence(flow)
    even = flow.assign(excluded=[1, 1], **{"rows read": [20, 20]})
    assert uneven_exclusion_sentence(even) == ""


# ---------------------------------------------------------------- sentences that follow the study
def test_no_single_arm_caveat_on_a_controlled_study():
    c = load_cohort(FIX / "arms_two.csv")
    blocks = trust_blocks(c, analyse_overall(c), analyse_strata(c), analyse_dose(c))
    text = trust.say_rtm(blocks["rtm"], c.study)
    assert "Without a control group" not in text and "randomised" in text
    assert "Without a control group" in trust.say_rtm(blocks["rtm"], _study())
    dur = trust.say_durability(blocks["durability"], 0.05, c.study)
    assert "without a control group" not in dur


def test_the_type_2_diabetes_drift_only_when_the_condition_says_so():
    c = load_cohort(FIX / "arms_two.csv")
    d = trust.durability(c)
    assert "type 2 diabetes" not in trust.say_durability(d, 0.05, c.study)
    assert "type 2 diabetes" not in trust.say_durability(d, 0.05, _study(condition="type_1_diabetes"))
    assert "type 2 diabetes" in trust.say_durability(d, 0.05, _study(condition="type_2_diabetes"))


def test_the_papers_sd_bound_only_on_its_reconstruction():
    own = load_cohort(FIX / "arms_two.csv")
    rows = trust_blocks(own, analyse_overall(own), analyse_strata(own), analyse_dose(own))["sample_size"]
    assert rows and not any("paper" in r["sd_from"] for r in rows)
    paper = load_cohort(BUNDLED)
    rows = trust_blocks(paper, analyse_overall(paper), analyse_strata(paper), analyse_dose(paper))["sample_size"]
    assert any("paper" in r["sd_from"] for r in rows)


def test_the_cutoff_sentence_names_the_cutoff_used():
    text = strata_mod.cutoff_sentence({**DEFAULTS, "severe_above": 5.7})
    assert "5.70 %" in text and "8 %" not in text


def test_the_strata_exercise_is_computed_not_typed():
    c = load_cohort(FIX / "arms_two.csv")  # severe: larger fall and the SMALLER p here
    s = analyse_strata(c)
    assert s["severe"].mean_change < s["moderate"].mean_change and s["severe"].p < s["moderate"].p
    assert not larger_fall_larger_p(s["moderate"], s["severe"])
    paper = analyse_strata(load_cohort(BUNDLED))
    assert larger_fall_larger_p(paper["moderate"], paper["severe"])


def test_chance_findings_are_computed():
    text = chance_findings_sentence(8, 0.05)
    assert "0.4" in text and "34 %" in text  # 8 x 0.05; 1 - 0.95^8 = 0.337
    assert "one significant" not in text


def test_completers_agree_with_the_flow_of_a_long_file():
    c = load_cohort(FIX / "long_constructed.csv")
    a = change.attrition_block(c)
    no_fu = [e for e in c.excluded if "after time 0" in e.reason]
    assert a["n_no_followup"] == len(no_fu) == 1
    assert "all " not in change.say_attrition(a, 0.05)


def test_rows_read_of_a_long_file_count_its_rows():
    c = load_cohort(FIX / "long_constructed.csv")
    n_rows = len(pd.read_csv(FIX / "long_constructed.csv"))
    text = flow_sentence(c)
    assert f"**{n_rows}** rows" in text and f"Of **{c.rows_read}** rows read" not in text


def test_study_cells_keep_only_the_studys_own():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("paper", metadata={"tags": ["study-paper"]}),
                nbformat.v4.new_markdown_cell("own", metadata={"tags": ["study-own", "teaching"]}),
                nbformat.v4.new_markdown_cell("own msc", metadata={"tags": ["study-own", "study-msc"]}),
                nbformat.v4.new_markdown_cell("always")]
    select_study_cells(nb, _study().tags())
    assert [c.source for c in nb.cells] == ["own", "always"]
    assert nb.cells[0].metadata["tags"] == ["teaching"] and "tags" not in nb.cells[1].metadata


def test_no_chapter_speaks_of_the_paper_to_a_users_cohort():
    """Every cell of every chapter that names the paper, its authors or its 61 patients is
    tagged study-paper (left out of a user's build); likewise the single-arm caveat."""
    import jupytext

    for source in sorted((REPO_ROOT / "notebooks").glob("0[1-7]_*.py")):
        for cell in jupytext.read(source).cells:
            if cell.cell_type != "markdown" or "teaching" in cell.metadata.get("tags", []):
                continue
            tags = cell.metadata.get("tags", [])
            for phrase in ("Matsuoka", "61 people", "paper's inclusion criterion", "the patient is excluded (chapter 1)"):
                if phrase in cell.source and source.name != "06_published.py":
                    assert "study-paper" in tags, (source.name, phrase)
            if "There is no control group" in cell.source:
                assert "study-single-arm" in tags, source.name


# ---------------------------------------------------------------- library warnings become sentences
def test_no_line_and_no_warning_through_a_single_follow_up_time():
    x = np.full(12, 13 * 7 / 30.4375) + np.arange(12) * 1e-15  # one time, rounding noise
    y = np.linspace(-1, 1, 12)
    assert not figures.can_fit_line(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RankWarning would fail here
        fig = figures.scatter_fit(x, y, "follow-up (months)", "change", 2000)
    assert not fig.axes[0].lines[1:]  # the zero line only
    assert "same time" in trust.single_time_sentence(pd.Series(x))


def test_infused_only_for_an_msc_study():
    c = load_cohort(FIX / "arms_two.csv")  # one patient without a follow-up, no cells given
    text = change.say_attrition(change.attrition_block(c), 0.05, c.study)
    assert "infused" not in text and "1 treated patient(s) have none" in text
    assert "infused" in change.say_attrition(change.attrition_block(c), 0.05, _study(msc=True))


def test_a_users_trial_build_tells_its_own_story(tmp_path):
    """One build of a small two-arm file with no cells and a low baseline: nothing of the paper,
    no single-arm caveat, no MSC wording, the patient with a low baseline analysed, the flow
    per arm with its reason and the uneven-exclusion sentence, params as resolved."""
    from mscreport.cli import main

    out = tmp_path / "reports"
    assert main(["build", "--data", str(FIX / "arms_two.csv"), "--output", str(out), "-q"]) == 0
    r = json.loads((out / "results.json").read_text())
    assert (r["params"]["condition"], r["params"]["intervention"], r["params"]["inclusion_min"]) == \
        ("unspecified", "the treatment", None)
    assert r["data"]["rows_analysed"] == R["two"]["analysed"] and r["strata"]["below"]["n"] == 1
    pages = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.html")}
    for name, text in pages.items():
        if name.endswith("06_published.html"):
            continue  # the published chapter explains its default (the paper's figures file) by name
        for phrase in ("Matsuoka", "61 people", "paper's inclusion criterion", "There is no control group",
                       "Without a control group", "infused", "after the infusion", "type 2 diabetes",
                       "The 8 % cut-off", "larger mean fall but the larger p-value", "largest the paper",
                       "RankWarning", "Warning:"):
            assert phrase not in text, (name, phrase)
    cohort_page = pages["01_cohort.html"]
    assert "excluded: no follow-up HbA1c" in cohort_page and "lost different shares" in cohort_page


def test_per_arm_sections_are_left_out_without_an_arm_column():
    """Every "Per arm" heading of a chapter, and the cell that shows it, is tagged study-arms."""
    import jupytext

    for source in sorted((REPO_ROOT / "notebooks").glob("0[1-5]_*.py")):
        for cell in jupytext.read(source).cells:
            tags = cell.metadata.get("tags", [])
            if ("Per arm" in cell.source or "per arm" in cell.source.split("\n")[0] or "arms.show_" in cell.source):
                if cell.cell_type == "markdown" and not cell.source.lstrip().startswith("#"):
                    continue
                assert "study-arms" in tags, (source.name, cell.source[:60])
    single = load_cohort(BUNDLED).study.tags()
    assert "study-arms" not in single and "study-arms" in load_cohort(FIX / "arms_two.csv").study.tags()


def test_the_durability_verdict_names_the_studys_time_zero():
    """Issue 23.3: "after the infusion HbA1c drifted back up" on a long file of a study with no
    cells (tests/fixtures/long_balanced.csv: single arm, no dose column)."""
    from mscreport.analysis import trajectory

    class _Page:  # what show_verdict uses of report.Chapter
        def __init__(self, cohort):
            self.cohort, self.said = cohort, []

        def say(self, text, basis=None):
            self.said.append(text)

    cohort = load_cohort(FIX / "long_balanced.csv")
    page = _Page(cohort)
    trajectory.show_verdict(page, trajectory.analyse_trajectory(cohort))
    text = " ".join(page.said)
    assert "infusion" not in text and "after the start of treatment HbA1c drifted back up" in text, text
