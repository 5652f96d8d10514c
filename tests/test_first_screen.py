"""The first screen (issue 26 items 5, 7 and 8): the index's headline sentence, each chapter's
answer under its question with only the parameters that apply to the file, and the two false
or circular sentences corrected. The expected values come from R (tests/r/reference.R,
tests/r/severe_sizes.R), never from this code's own output."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from mscreport.analysis.published import derived_bounds, say_bounds
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.inputs.cohort import load_cohort
from mscreport.report import opening
from mscreport.report.chapter import parameters_fold
from mscreport.report.framing import DESIGN_SINGLE_ARM, headline_sentence

FIXTURES = REPO_ROOT / "tests" / "fixtures"
REF = json.loads((FIXTURES / "r_reference.json").read_text(encoding="utf-8"))["datasets"]["reconstructed_cohort"]
SIZES = json.loads((FIXTURES / "r_severe_sizes.json").read_text(encoding="utf-8"))
MINUS = "\u2212"


def _results(overall: dict, reconstruction: bool = True, **extra) -> dict:
    return {"params": {"alpha": 0.05}, "data": {"reconstruction": reconstruction}, "overall": overall, **extra}


# ------------------------------------------------------------------ the index's headline
def test_headline_says_what_changed_by_how_much_how_sure_and_what_the_design_cannot_say():
    r = REF["overall"]  # R: t.test(followup, baseline, paired = TRUE) on data/reconstructed_cohort.csv
    text = headline_sentence(_results(r))
    assert text.startswith("In the reconstructed (synthetic) cohort, HbA1c fell by 0.79 % points")  # R: mean_change -0.787
    assert "in 61 patients" in text
    assert "95% CI 0.52 to 1.05" in text  # R: conf.int -1.052, -0.521 (a fall of 0.52 to 1.05)
    assert "p < 0.001" in text and "chance alone is an unlikely explanation" in text
    assert "single-arm" in text and "regression to the mean" in text and "drift" in text
    assert text.endswith("a controlled trial can.") and DESIGN_SINGLE_ARM in text


def test_headline_of_an_interval_across_zero_and_of_a_users_cohort():
    text = headline_sentence(_results({"n": 20, "mean_change": 0.1, "ci_low": -0.2, "ci_high": 0.4, "p": 0.5},
                                      reconstruction=False))
    assert text.startswith("HbA1c rose by 0.10 % points") and "includes zero" in text and "synthetic" not in text
    assert "unlikely" not in text
    assert "compatible" in text and "0.500" in text


def test_headline_of_a_controlled_study_points_at_the_between_arm_effect():
    text = headline_sentence(_results(REF["overall"], arms={"reference": "placebo"}))
    assert "between-arm difference" in text and "not treatment effects" in text


R_ARMS = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_arms.json").read_text(encoding="utf-8"))  # tests/r/arms.R


def test_headline_of_a_controlled_study_gives_the_between_arm_effect_with_its_interval():
    arms = R_ARMS["two"]["arms"]  # R: lm(f ~ b + arm) on tests/fixtures/arms_two.csv, msc vs placebo
    text = headline_sentence(_results(REF["overall"], reconstruction=False, arms=arms))
    # R: estimate -0.4448, confint -0.7525, -0.1371 (lower with msc), p 0.00607
    assert text.startswith("HbA1c was 0.44 % points lower with msc than with placebo at follow-up, at equal baseline (ANCOVA)")
    assert "95% CI 0.14 to 0.75 lower, p = 0.00607" in text
    assert "not treatment effects" in text and "includes zero" not in text
    hidden = _results(REF["overall"], reconstruction=False, arms=arms, disclosure={"hidden_on_pages": {"arms": ["msc"]}})
    assert "0.44" not in headline_sentence(hidden)  # a hidden arm gives no number


def test_headline_of_a_trial_with_visits_leads_with_the_mmrm_at_the_last_visit():
    arms = R_ARMS["two"]["arms"]
    mmrm = {"visits": [{"visit": 3.0, "label": "month 3"}, {"visit": 6.0, "label": "month 6"}],
            "comparisons": [{"arm": "msc", "reference": "placebo", "visit": 3.0, "difference": -0.2, "ci_low": -0.6, "ci_high": 0.2, "p": 0.3},
                            {"arm": "msc", "reference": "placebo", "visit": 6.0, "difference": -0.3, "ci_low": -0.7, "ci_high": 0.1, "p": 0.14}]}
    text = headline_sentence(_results(REF["overall"], reconstruction=False, arms=arms, longitudinal={"mmrm": mmrm}))
    assert "0.30 % points lower with msc than with placebo at the last visit (month 6; mixed model" in text
    assert "CI -0.10 to 0.70 lower" in text.replace("\u2212", "-") and "includes zero" in text


def test_headline_shows_no_number_for_a_suppressed_group():
    text = headline_sentence(_results({"n": 2, "mean_change": -1.0, "ci_low": -2.0, "ci_high": 0.0, "p": 0.2}))
    assert "too few patients" in text and "1.00" not in text


# ------------------------------------------------------------------ each chapter's opening
def test_a_chapter_answer_has_its_numbers():
    cohort = load_cohort(DEFAULT_COHORT)
    text, key = opening.chapter_answer("change", cohort)
    assert key == "paired"
    assert f"all patients (n = 61) {MINUS}0.79 % points" in text  # R: mean_change -0.787
    assert f"95% CI [{MINUS}1.05, {MINUS}0.52]" in text  # R: conf.int
    severe = REF["strata"]["severe"]
    assert f"severe (n = {severe['n']}) {MINUS}{abs(severe['mean_change']):.2f}" in text
    dose_text, _ = opening.chapter_answer("dose", cohort)
    w = REF["dose"]["welch"]  # R: t.test(change ~ high)
    assert f"[{MINUS}{abs(w['ci_low']):.2f}, {w['ci_high']:.2f}]" in dose_text and "Both intervals include 0" in dose_text
    assert opening.chapter_answer("trajectory", cohort) is None


def test_chapter_7_answers_with_the_slope_after_time_zero():
    """A long file: the slope per year over the measurements after time 0 with its interval and
    what the interval says (R: lme(hba1c ~ years, random = ~ years | patient_id, REML) on the
    post-baseline rows of reconstructed_cohort_long.csv: -0.0657 [-0.115, -0.0164], n = 61;
    tests/r/lessons.R). A wide file has no course over time: no answer (checked above)."""
    text, key = opening.chapter_answer("trajectory", load_cohort(REPO_ROOT / "data" / "reconstructed_cohort_long.csv"))
    assert key == "longitudinal"
    assert "after the infusion (61 patients)" in text
    assert f"{MINUS}0.07 % points per year (95% CI [{MINUS}0.12, {MINUS}0.02])" in text or \
        f"{MINUS}0.07 % points per year (95% CI [{MINUS}0.11, {MINUS}0.02])" in text  # nlme and statsmodels differ in the 3rd digit here
    assert "kept falling" in text and "drifted back up" not in text
    trial, _ = opening.chapter_answer("trajectory", load_cohort(FIXTURES / "long_visits.csv"))
    assert "after randomisation (277 patients, all arms pooled; the arms are compared by the mixed model below)" in trial


def test_a_chapter_answer_names_no_group_the_tables_hide():
    """The opening answers follow the pages' rule: arms_two.csv has 1 patient below the moderate
    stratum, so its moderate stratum is hidden too (the pooled, severe and moderate rows would give
    that patient); chapter 3's answer named the moderate stratum's change. Chapter 1's gave the
    mean baseline of a two-patient cohort."""
    from mscreport.core.disclosure import hidden_groups

    cohort = load_cohort(FIXTURES / "arms_two.csv")
    assert "moderate" in hidden_groups(cohort.frame)
    text, _ = opening.chapter_answer("change", cohort)
    assert "severe (n = " in text and "moderate (n = " not in text


def test_chapter_1_answer_hides_the_baseline_of_two_patients(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("patient_id,hba1c_baseline,hba1c_followup\nA,7.37,6.81\nB,9.19,8.23\n")
    text, _ = opening.chapter_answer("cohort", load_cohort(path))
    assert "8.28" not in text and "too few to show their mean baseline" in text  # (7.37 + 9.19) / 2


def test_only_the_parameters_that_apply_to_the_file_are_shown(tmp_path):
    wide = opening.applicable_parameters(load_cohort(DEFAULT_COHORT))
    for name in ("baseline_window_months", "followup_at_months", "paramcd", "omop_schema", "reference_arm", "mcid",
                 "report_title"):
        assert name not in wide, name
    assert {"moderate_min", "severe_above", "dose_cutoff", "alpha", "inclusion_min"} <= set(wide)
    long_file = opening.applicable_parameters(load_cohort(FIXTURES / "long_visits.csv"))
    assert "baseline_window_months" in long_file and "followup_at_months" in long_file
    import pandas as pd

    pd.read_csv(FIXTURES / "cohort_teaching.csv").drop(columns=["dose_cells"]).to_csv(tmp_path / "no_dose.csv", index=False)
    no_dose = opening.applicable_parameters(load_cohort(tmp_path / "no_dose.csv"))
    assert "dose_cutoff" not in no_dose
    arms = opening.applicable_parameters(load_cohort(FIXTURES / "arms_two.csv"))
    assert "reference_arm" in arms and "mcid" in arms and "visits" not in arms  # visits: a controlled long file only


def test_the_parameters_are_folded_under_one_line():
    html = parameters_fold(load_cohort(DEFAULT_COHORT))
    soup = BeautifulSoup(html, "html.parser")
    fold = soup.select_one("details.msc-params")
    assert fold is not None and fold.summary.get_text().startswith("Parameters used")
    shown = [th.get_text() for th in fold.select("tbody th")]
    assert "severe_above" in shown and "baseline_window_months" not in shown


def test_the_parameter_cell_code_is_not_shown_on_a_page():
    from mscreport.pipeline.render import PARAMETER_TAGS, _exporter

    for reader in (True, False):
        assert PARAMETER_TAGS <= _exporter(reader).config.TagRemovePreprocessor.remove_input_tags


# ------------------------------------------------------------------ issue 26 item 7: the two sentences
def test_the_severe_sizes_that_fit_give_each_printed_figure_its_own_rounding():
    b = derived_bounds()
    text = say_bounds(b)
    # R: tests/r/severe_sizes.R: 10 fits once 7.49, 0.58 and 1.55 may each be anywhere within their rounding
    assert (SIZES["severe_n_min"], SIZES["severe_n_max"]) == (10, 16)
    assert f"from **{SIZES['severe_n_min']} to {SIZES['severe_n_max']}**" in text
    assert "from **11 to 16**" not in text and "own rounding" in text
    assert [r["n_severe"] for r in b["severe_range"]] == [r["n_severe"] for r in SIZES["rows"] if r["fits_with_rounding"]]


@pytest.mark.parametrize("ns, fits", [(9, False), (10, True), (16, True), (17, False)])
def test_the_edges_of_the_severe_size_range(ns, fits):
    from mscreport.analysis.published import severe_splits

    row = next(r for r in severe_splits() if r["n_severe"] == ns)
    r = next(x for x in SIZES["rows"] if x["n_severe"] == ns)
    assert row["prints_as_published"] is fits is r["fits_with_rounding"]
    assert (row["followup_low"], row["followup_high"]) == pytest.approx((r["followup_low"], r["followup_high"]), abs=1e-12)


def test_the_key_table_cells_wrap_between_their_parts_and_carry_their_marks():
    from mscreport.pipeline.render import headline_table

    results = {"params": {"alpha": 0.05}, "overall": REF["overall"], "strata": REF["strata"], "dose": {}}
    html = headline_table(results, 1, marked=True)
    assert "&lt;span" not in html and "&lt;sup" not in html  # HTML, not escaped HTML
    soup = BeautifulSoup(html, "html.parser")
    first = soup.select("tbody tr")[0]
    change = first.find_all("td")[2]
    # R: mean_change -0.787 -> "−0.79 % points" and "(−8.6 mmol/mol)", each unbreakable, then the mark I
    assert [s.get_text() for s in change.select("span.msc-nw")] == [f"{MINUS}0.79 % points", f"({MINUS}8.6 mmol/mol)"]
    # R: conf.int -1.052, -0.521 -> "[−1.05," and "−0.52]": an interval wraps after its comma only
    ci = first.find_all("td")[3]
    assert [s.get_text() for s in ci.select("span.msc-nw")] == [f"[{MINUS}1.05,", f"{MINUS}0.52]"]
    assert [s.get_text() for s in first.select("sup.msc-mark")] == ["P", "I", "D", "D"]
    assert "basis" not in [th.get_text() for th in soup.select("thead th")]
