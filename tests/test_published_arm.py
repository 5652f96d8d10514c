"""Parameter ``published_arm`` (issue 27, the class build's chapter 6): the published figures
describe one arm of a controlled cohort, and chapter 6 compares them with that arm alone. The
class cohort's MSC arm is the paper's reconstruction; its simulated control arm is in no paper."""

from __future__ import annotations

import pytest

from mscreport.analysis.dose import analyse_dose
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.analysis.published import (compare_published, load_published, published_for, reproduction_summary,
                                          say_reproduction)
from mscreport.analysis.published_arm import compared_on, published_cohort
from mscreport.cli import main
from mscreport.core.errors import InputError
from mscreport.core.groups import choose_published_arm
from mscreport.core.paths import DEFAULT_COHORT
from mscreport.inputs.class_cohort import CLASS_COHORT, CONTROL_ARM, MSC_ARM, class_overrides
from mscreport.inputs.cohort import load_cohort
from mscreport.inputs.params import DEFAULTS, resolve_params
from mscreport.report.blocks import compute_results

PAIR_COLUMNS = ["hba1c_baseline", "hba1c_followup", "followup_months", "dose_cells", "msc_source",
                "serious_adverse_event"]


@pytest.fixture(scope="module")
def class_cohort():
    """The class cohort with the class build's parameters, as ``mscreport build --class`` reads it."""
    return load_cohort(CLASS_COHORT, resolve_params(None, class_overrides(None, [], None)))


def _analyses(cohort):
    return analyse_overall(cohort), analyse_strata(cohort), analyse_dose(cohort)


def test_published_arm_all_is_every_patient_and_a_name_is_one_arm():
    arms = [MSC_ARM, CONTROL_ARM]
    assert choose_published_arm(arms, "all") is None and choose_published_arm(arms, "ALL") is None
    assert choose_published_arm(arms, "MSC") == "MSC"
    assert choose_published_arm(arms, "msc") == "MSC"  # one case-insensitive match, as reference_arm
    assert choose_published_arm([], "all") is None


@pytest.mark.parametrize("arms, fragment", [
    ([MSC_ARM, CONTROL_ARM], "the arms are: 'MSC', 'simulated_control'"),
    ([], "this file has no arm column"),
])
def test_an_unknown_published_arm_names_the_parameter_and_the_arms(arms, fragment):
    with pytest.raises(InputError) as err:
        choose_published_arm(arms, "placebo", "cohort.csv")
    (problem,) = err.value.problems
    assert problem.column == "published_arm" and problem.file == "cohort.csv"
    assert "published_arm='placebo' is not an arm of this file" in problem.message and fragment in problem.message


def test_a_bad_published_arm_is_bad_input_before_any_chapter(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--class", "-p", "published_arm=placebo", "--output", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "published_arm='placebo' is not an arm of this file (the arms are: 'MSC', 'simulated_control')" in err
    assert "Traceback" not in err and not out.exists()
    with pytest.raises(InputError, match="this file has no arm column"):  # the bundled cohort: one arm, no arm column
        load_cohort(DEFAULT_COHORT, {**DEFAULTS, "published_arm": "MSC"})


def test_the_msc_arm_of_the_class_cohort_is_the_wide_reconstruction(class_cohort):
    """The class cohort's MSC arm, reduced from its long rows (baseline at month 0, the last
    follow-up), gives the bundled wide reconstruction's pairs exactly, patient by patient."""
    wide = load_cohort(DEFAULT_COHORT).frame.set_index("patient_id").sort_index()
    msc = published_cohort(class_cohort).frame.set_index("patient_id").sort_index()
    assert list(msc.index) == list(wide.index) and len(msc) == 61
    for column in PAIR_COLUMNS:
        assert msc[column].tolist() == wide[column].tolist(), column


def test_chapter_6_of_the_class_cohort_compares_the_msc_arm_alone(class_cohort):
    assert class_cohort.rows_analysed == 122  # both arms analysed; the comparison uses the MSC arm's 61
    published = published_for(class_cohort)
    assert published is not None and published["paper"]
    comparison = compare_published(class_cohort, *_analyses(class_cohort), published)
    assert all(c.agrees for c in comparison), [c.quantity for c in comparison if not c.agrees]
    assert next(c.reproduced for c in comparison if c.of == "n") == 61  # the paper's n (published_results.yaml)
    on = compared_on(class_cohort)
    assert on == {"arm": MSC_ARM, "n": 61, "other_arms": [CONTROL_ARM], "synthetic": True}


def test_every_arm_pooled_would_not_reproduce_the_paper(class_cohort):
    """Without published_arm, the pooled two-arm cohort is compared: the simulated controls
    change the count and the means, so the restriction is what makes chapter 6 agree."""
    pooled = load_cohort(CLASS_COHORT, resolve_params(None, class_overrides(None, ["published_arm=all"], None)))
    assert compared_on(pooled) is None and published_cohort(pooled) is pooled
    comparison = compare_published(pooled, *_analyses(pooled), load_published())
    disagree = {c.of for c in comparison if c.agrees is False}
    assert {"n", "overall.followup_mean"} <= disagree


def test_the_sentence_says_which_arm_was_compared_and_its_n(class_cohort):
    published = published_for(class_cohort)
    comparison = compare_published(class_cohort, *_analyses(class_cohort), published)
    summary = reproduction_summary(comparison, published, compared_on(class_cohort))
    text = say_reproduction(summary, synthetic=False)  # the whole class cohort is not a reconstruction; its MSC arm is
    assert text.startswith("Compared on the MSC arm alone (n = 61): the published figures describe that arm, so the "
                           "arm simulated_control is not part of the comparison. **19 of 19** published figures agree")
    assert "holds by construction" in text and "For a real cohort" not in text
    assert "Compared on" not in say_reproduction(reproduction_summary(comparison, published), synthetic=True)


def test_compute_results_records_the_arm_compared(class_cohort):
    results = compute_results(class_cohort)
    assert results["reconstruction"]["summary"]["compared_on"]["n"] == 61
    assert results["data"]["rows_analysed"] == 122
    assert all(c["agrees"] for c in results["published_comparison"])
    bundled = compute_results(load_cohort(DEFAULT_COHORT))
    assert "compared_on" not in bundled["reconstruction"]["summary"]  # published_arm = all: as before


def test_the_basis_section_points_a_synthetic_arm_to_the_bundled_report():
    from mscreport.analysis.basis import say_arm_basis

    assert say_arm_basis(None) == ""
    assert say_arm_basis({"arm": "A", "n": 10, "other_arms": ["B"], "synthetic": False}) == ""  # a real arm
    text = say_arm_basis({"arm": MSC_ARM, "n": 61, "other_arms": [CONTROL_ARM], "synthetic": True})
    assert text.startswith(" Its MSC arm, which the published figures were compared with, is synthetic")

