"""The trial numbers on the pages (issue 23): the common-slope check, Holm and the global F, the
effect within each stratum, the target-rate difference, the mcid verdict in words, the MMRM as
the primary analysis of a controlled long file, and the mixed models' boundary flags.

The sentences are written from the ``arms`` / ``longitudinal`` blocks of results.json (whose
numbers tests/test_trial.py and tests/test_mmrm.py check against R); these tests check that
each sentence carries the block's own numbers, on the R-checked trial fixtures and on builds
of a two-arm, a three-arm and a controlled long file.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mscreport.analysis import arm_mmrm, arm_trial
from mscreport.analysis.arm_compare import arms_block
from mscreport.analysis.mmrm import mixed_model_boundary, with_boundary
from mscreport.core.paths import REPO_ROOT
from mscreport.display import fmt
from mscreport.inputs.cohort import load_cohort
from tests.pagetext import visible_text

FIX = REPO_ROOT / "tests" / "fixtures"
R_TRIAL = json.loads((FIX / "r_trial.json").read_text(encoding="utf-8"))


def _dash(text: str) -> str:
    return text.replace("\u2212", "-")


@pytest.fixture(scope="module")
def blocks():
    out = {}
    for name in ("arms_two", "arms_three", "arms_slopes"):
        c = load_cohort(FIX / f"{name}.csv")
        out[name] = (arms_block(c), c.params)
    return out


def test_the_common_slope_sentence_carries_the_blocks_f_and_p(blocks):
    block, params = blocks["arms_two"]
    c = block["comparisons"][0]
    t = c["baseline_interaction"]
    text = arm_trial.say_common_slope(block, c, params["alpha"])
    assert f"F({fmt.fmt_int(t['df1'])}, {fmt.fmt_int(t['df2'])}) = {fmt.fmt_num(t['f'])}, {fmt.fmt_p(t['p'])}" in text
    assert "No evidence that the slopes differ" in text


def test_slopes_that_differ_are_said_to_differ(blocks):
    block, params = blocks["arms_slopes"]
    differ = [c for c in block["comparisons"] if c["baseline_interaction"]["p"] < params["alpha"]]
    # R: anova(lm(f ~ b + arm), lm(f ~ b * arm)) on arms_slopes gives p < 0.05 for one comparison
    assert differ and any(r["baseline_interaction"]["p"] < 0.05 for r in R_TRIAL["slopes"]["comparisons"])
    text = arm_trial.say_common_slope(block, differ[0], params["alpha"])
    assert "The slopes differ" in text and "at the mean baseline" in text


def test_holm_and_the_global_f_only_with_several_comparisons(blocks):
    two, params = blocks["arms_two"]
    assert arm_trial.say_multiplicity(two, params["alpha"]) == ""
    three, params = blocks["arms_three"]
    text = arm_trial.say_multiplicity(three, params["alpha"])
    for c in three["comparisons"]:
        assert f"Holm-adjusted {fmt.fmt_p(c['p_holm'])}" in text
    g = three["global"]
    assert f"F({fmt.fmt_int(g['df1'])}, {fmt.fmt_int(g['df2'])}) = {fmt.fmt_num(g['f'])}, {fmt.fmt_p(g['p'])}" in text


def test_the_by_stratum_table_is_the_blocks(blocks):
    block, params = blocks["arms_three"]
    table = arm_trial.by_stratum_frame(block, alpha=params["alpha"])
    for c in block["comparisons"]:
        for s, e in c["by_stratum"].items():
            row = table[(table["comparison"] == f"{c['arm']} vs {c['reference']}") & (table["stratum"] == s)]
            assert len(row) == 1
            if e["estimate"] is None:
                assert "not estimated" in row.iloc[0]["difference in follow-up at equal baseline"]
            else:
                assert row.iloc[0]["difference in follow-up at equal baseline"] == fmt.fmt_change(e["estimate"])
                assert row.iloc[0]["95% CI (% points)"] == fmt.fmt_ci(e["ci_low"], e["ci_high"])


def test_the_target_sentence_gives_both_rates_and_the_difference_with_its_ci(blocks):
    block, params = blocks["arms_three"]
    for c in block["comparisons"]:
        t = c["target"]
        text = arm_trial.say_target_difference(block, c, params["target_hba1c"], params["alpha"])
        for piece in (fmt.fmt_percent(t["arm_rate"]), fmt.fmt_percent(t["reference_rate"]),
                      fmt.fmt_percent(t["difference"]), fmt.fmt_percent_ci(t["ci_low"], t["ci_high"]), fmt.fmt_p(t["p"])):
            assert piece in text, piece


@pytest.mark.parametrize("ci, verdict, words", [
    ((-1.4, -0.6), "meaningful_benefit", "clinically meaningful benefit"),
    ((0.6, 1.2), "meaningful_harm", "clinically meaningful harm"),
    ((-0.3, 0.2), "no_meaningful_benefit", "no clinically meaningful benefit"),
    ((-0.8, -0.1), "inconclusive", "inconclusive"),
])
def test_each_mcid_verdict_in_words(ci, verdict, words):
    c = {"arm": "a", "reference": "placebo", "n_arm": 20, "n_reference": 20,
         "ancova": {"estimate": sum(ci) / 2, "ci_low": ci[0], "ci_high": ci[1], "p": 0.01}}
    block = {"reference": "placebo", "comparisons": [c], "mcid": {"value": 0.5, "verdicts": {"a": verdict}},
             "groups": {}}
    text = arm_trial.say_mcid(block, c, 0.05)
    assert words in text and fmt.fmt_ci(*ci) in text and "0.50 % points" in text


def test_the_severity_interaction_is_read_from_the_block(blocks):
    block, _ = blocks["arms_three"]
    i = block["interaction_severity"]
    text = arm_trial.say_severity_interaction(block)
    assert f"F({fmt.fmt_int(i['df1'])}, {fmt.fmt_int(i['df2'])}) = {fmt.fmt_num(i['f'])}, {fmt.fmt_p(i['p'])}" in text
    # R: anova(lm(f ~ b + arm + stratum), lm(f ~ b + arm * stratum)) (tests/r/trial.R)
    assert i["f"] == pytest.approx(R_TRIAL["three"]["interaction_severity"]["f"], rel=1e-9)


def test_arm_compare_no_longer_fits_the_interaction():
    from mscreport.analysis import arm_compare

    assert not hasattr(arm_compare, "fit_interaction")


# ---------------------------------------------------------------- mixed models: boundary
def _mixed_block(sd_intercept, sd_slope, corr, sd_residual=0.5):
    return {"sd_intercept": sd_intercept, "sd_slope": sd_slope, "sd_residual": sd_residual,
            "corr_intercept_slope": corr}


@pytest.mark.parametrize("block, boundary", [
    (_mixed_block(0.8, 0.2, 0.3), False),
    (_mixed_block(0.8, 0.0004, 0.3), True),   # slope SD < 1e-3 x residual SD (0.0005)
    (_mixed_block(0.0001, 0.2, 0.3), True),
    (_mixed_block(0.8, 0.2, 0.9995), True),   # |corr| > 0.999
    (_mixed_block(0.8, 0.2, -0.9995), True),
    (_mixed_block(0.8, 0.2, 0.999), False),
])
def test_the_mixed_model_boundary_rule(block, boundary):
    assert mixed_model_boundary(block) is boundary


def test_a_singular_fit_is_flagged_and_said_in_words():
    """Steno-2 (tests/fixtures/long_steno2.csv, as tests/test_steno2.py reads it): R's REML
    maximum lies on the boundary, intercept-slope correlation -1, for all patients and for the
    conventional arm, inside it for the intensive arm (tests/r/steno2.R: "fit": "boundary")."""
    from mscreport.analysis.trajectory import analyse_trajectory, interface_block
    from mscreport.inputs.params import resolve_params

    r = json.loads((FIX / "r_steno2.json").read_text(encoding="utf-8"))
    assert (r["all"]["fit"], r["by_arm"]["conventional"]["fit"], r["by_arm"]["intensive"]["fit"]) == \
        ("boundary", "boundary", "interior")  # R: lme's maximum on the boundary (corr -1) or inside
    cohort = load_cohort(FIX / "long_steno2.csv",
                         resolve_params(None, ["hba1c_unit=mmol_mol", "reference_arm=conventional", "inclusion_min=6.2"]))
    block = with_boundary(interface_block(analyse_trajectory(cohort)))
    assert block["mixed_model"]["boundary"] is True
    assert block["mixed_model_by_arm"]["conventional"]["boundary"] is True
    assert block["mixed_model_by_arm"]["intensive"]["boundary"] is False
    assert "Boundary fit" in arm_mmrm.say_mixed_model_boundary(block["mixed_model"])
    assert "conventional" in arm_mmrm.say_mixed_model_boundary(block["mixed_model_by_arm"]["conventional"],
                                                              "conventional")
    assert arm_mmrm.say_mixed_model_boundary(block["mixed_model_by_arm"]["intensive"]) == ""


def test_the_mmrm_primary_sentence_gives_the_last_visit_difference():
    mmrm = {"visits": [{"visit": 3.0, "label": "week 13", "n": {"placebo": 20, "a": 21}},
                       {"visit": 6.0, "label": "week 26", "n": {"placebo": 18, "a": 19}}],
            "comparisons": [{"arm": "a", "reference": "placebo", "visit": 3.0, "difference": -0.2, "se": 0.1,
                             "ci_low": -0.4, "ci_high": 0.0, "df": 70, "p": 0.05},
                            {"arm": "a", "reference": "placebo", "visit": 6.0, "difference": -0.45, "se": 0.1,
                             "ci_low": -0.65, "ci_high": -0.25, "df": 70, "p": 0.0004}],
            "converged": True, "boundary": True}
    text = arm_mmrm.say_primary(mmrm, 0.05)
    assert "Primary analysis" in text and "(week 26)" in text and fmt.fmt_change(-0.45) in text
    from mscreport.display.trial_primary import key_findings_primary

    index = key_findings_primary({"longitudinal": {"mmrm": mmrm}, "params": {"alpha": 0.05}})
    assert index.startswith("<p><strong>Primary analysis") and "p &lt; 0.001" in index and "**" not in index
    assert key_findings_primary({"longitudinal": None}) == ""
    assert fmt.fmt_ci(-0.65, -0.25) in text and "Boundary fit" in text
    table = arm_mmrm.visits_frame(mmrm)
    assert list(table["visit"]) == ["week 13", "week 26"] and list(table["n"]) == ["21 vs 20", "19 vs 18"]


# ---------------------------------------------------------------- builds
def _build(tmp_path_factory, data, *extra):
    from mscreport.cli import main

    out = tmp_path_factory.mktemp("trialpages") / "reports"
    assert main(["build", "--data", str(data), "--output", str(out), "-q", *extra]) == 0
    results = json.loads((out / "results.json").read_text())
    pages = {p.stem: visible_text(p.read_text()) for p in out.glob("0*.html")}
    from tests.test_number_tracing import check_report

    _, untraced = check_report(out)
    # every number of the pages this issue writes is in results.json (chapter 1's uneven-exclusion
    # shares too: arms.flow[].excluded_percent)
    ours = [u for u in untraced if u.split(":")[0] in ("index.html", "01_cohort.html", "03_change.html",
                                                        "07_trajectory.html")]
    assert not ours, ours[:10]
    return results, pages, out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["arms_two", "arms_three"])
def test_a_trial_build_shows_the_trial_numbers(tmp_path_factory, name):
    results, pages, out = _build(tmp_path_factory, FIX / f"{name}.csv")
    block = results["arms"]
    page = pages["03_change"]
    alpha = results["params"]["alpha"]
    for c in block["comparisons"]:
        t = c["baseline_interaction"]
        assert _dash(f"= {fmt.fmt_num(t['f'])}, {fmt.fmt_p(t['p'])}") in page
        tr = c["target"]
        assert _dash(f"difference {fmt.fmt_percent(tr['difference'])} of patients, {1 - alpha:.0%} CI "
                     f"{fmt.fmt_percent_ci(tr['ci_low'], tr['ci_high'])}") in page
        assert "Clinically meaningful?" in page
    if len(block["comparisons"]) > 1:
        assert "Holm-adjusted" in page and _dash(fmt.fmt_num(block["global"]["f"])) in page
    else:
        assert "Holm-adjusted" not in page
    i = block["interaction_severity"]
    assert _dash(f"= {fmt.fmt_num(i['f'])}, {fmt.fmt_p(i['p'])}") in pages["02_severity"]
    assert "Between-arm effect within each baseline stratum" in page
    # Table 1 by arm (chapter 1)
    assert "Patient characteristics at baseline overall and by arm" in pages["01_cohort"]
    # chapters that do not apply are left out, not shown as notes; their blocks stay null
    assert "04_dose" not in pages and "06_published" not in pages
    assert results["dose"] is None and results["published_comparison"] is None
    index = (out / "index.html").read_text()
    assert "04_dose.html" not in index and "06_published.html" not in index
    assert "Left out of this report" in visible_text(index) and "no dose_cells and no msc_source" in visible_text(index)


@pytest.mark.slow
def test_a_controlled_long_build_states_the_mmrm_as_primary(tmp_path_factory):
    results, pages, out = _build(tmp_path_factory, FIX / "field_trial" / "trial_long.csv")
    mmrm = results["longitudinal"]["mmrm"]
    assert mmrm is not None and "boundary" in results["longitudinal"]["mixed_model"]
    last = [c for c in mmrm["comparisons"] if c["visit"] == mmrm["visits"][-1]["visit"]]
    index = visible_text((out / "index.html").read_text())
    for page in (pages["03_change"], pages["07_trajectory"], index):
        assert "Primary analysis: the mixed model for repeated measures" in page
        for c in last:
            assert _dash(f"{fmt.fmt_change(c['difference'])}, 95% CI {fmt.fmt_ci(c['ci_low'], c['ci_high'])}") in page


# ---------------------------------------------------------------- ADaM: visits from AVISITN
def test_adam_mmrm_visits_are_the_post_baseline_avisitn_with_avisit_labels():
    """tests/fixtures/adam/adlb_visits.csv: study days jittered around two nominal visits (25
    distinct times: without AVISITN there would be no MMRM), unscheduled records without AVISITN
    left out and counted, derived LOV records left out by the reader."""
    from mscreport.analysis.mmrm import mmrm_block

    r = json.loads((FIX / "r_adam_visits.json").read_text(encoding="utf-8"))
    assert r["distinct_times"] > 12  # control: the visits cannot come from the distinct times
    block, notes = mmrm_block(load_cohort(FIX / "adam" / "adlb_visits.csv"))
    assert block is not None
    assert [v["label"] for v in block["visits"]] == [c["label"] for c in r["comparisons"]]  # AVISIT
    assert [v["avisitn"] for v in block["visits"]] == [c["avisitn"] for c in r["comparisons"]]
    assert block["n_rows"] == r["n_rows"] and block["n_patients"] == r["n_patients"]
    assert any(f"{r['dropped_without_avisitn']} post-baseline HbA1c records without an AVISITN" in n for n in notes)
    for v, c in zip(block["visits"], r["comparisons"]):
        assert v["visit"] == pytest.approx(c["months"], rel=1e-12)  # median time of the visit's rows, months
        assert v["n"] == {"Placebo": c["n_placebo"], "Drug": c["n_drug"]}
    for ours, c in zip(block["comparisons"], r["comparisons"]):
        # R: gls(hba1c ~ baseline + arm * visit, corSymm(~ visit_index | patient_id), varIdent(~ 1 | visit),
        #        method = "REML"), visit = factor(AVISITN); difference = armDrug (+ armDrug:visit)
        for key in ("difference", "se", "ci_low", "ci_high", "p"):
            assert ours[key] == pytest.approx(c[key], rel=1e-4, abs=1e-6), key
        assert ours["df"] == c["df"]


def test_visit_labels_in_the_files_unit():
    from mscreport.analysis.mmrm import visit_label

    assert visit_label(3.0) == "month 3" and visit_label(91 / 30.4375) == "week 13"
    assert visit_label(10 / 30.4375) == "day 10" and visit_label(364 / 30.4375) == "week 52"


# ---------------------------------------------------------------- Table 1 by arm
def test_table_one_by_arm_agrees_with_r_and_shows_each_arm():
    from mscreport.analysis import table_one

    r = json.loads((FIX / "r_table_one_arms.json").read_text(encoding="utf-8"))["arms"]
    tidy = table_one.describe_cohort(load_cohort(FIX / "arms_three.csv"))
    for arm, ref in r.items():
        rows = tidy[tidy["group"] == f"arm: {arm}"]
        assert rows.loc[rows["variable"] == "patients", "n"].item() == ref["n"]  # R: nrow(d[d$arm == a, ])
        b = rows[rows["variable"] == "hba1c_baseline"].iloc[0]
        assert b["mean"] == pytest.approx(ref["hba1c_mean"], rel=1e-12)  # R: mean(b)
        assert b["sd"] == pytest.approx(ref["hba1c_sd"], rel=1e-12)  # R: sd(b)
        f = rows[rows["variable"] == "followup_months"].iloc[0]
        for ours, key in (("median", "followup_median"), ("q1", "followup_q1"), ("q3", "followup_q3"),
                          ("min", "followup_min"), ("max", "followup_max")):
            assert f[ours] == pytest.approx(ref[key], rel=1e-12), key  # R: median, quantile(type = 7), min, max
    shown = table_one.format_table_one_by_arm(tidy)
    assert list(shown.columns) == ["overall", "Placebo", "high_dose", "low_dose"]  # the reference first
    assert shown.loc["baseline HbA1c, mean (SD)", "high_dose"] == (
        f"{fmt.fmt_hba1c(r['high_dose']['hba1c_mean'])}, SD {fmt.fmt_num(r['high_dose']['hba1c_sd'])}")
    assert list(table_one.format_table_one(tidy).columns) == ["overall", "moderate", "severe"]


def test_table_one_by_arm_hides_a_small_arm_and_what_gives_it_back(tmp_path):
    from mscreport.analysis import table_one

    rows = [{"patient_id": f"p{i}", "arm": "control" if i < 10 else ("a" if i < 20 else "tiny"),
             "hba1c_baseline": 7 + 0.1 * i, "hba1c_followup": 6.8 + 0.1 * i} for i in range(22)]
    path = tmp_path / "small_arm.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    shown = table_one.format_table_one_by_arm(table_one.describe_cohort(load_cohort(path)))
    assert "suppressed" in shown.loc["baseline HbA1c, mean (SD)", "tiny"]  # 2 patients
    # the overall mean minus the two shown arms would give the tiny arm back: one more is hidden
    hidden = [c for c in ("overall", "control", "a") if "suppressed" in shown.loc["baseline HbA1c, mean (SD)", c]]
    assert hidden


def test_no_table_one_by_arm_without_arms():
    from mscreport.analysis import table_one
    from mscreport.core.paths import DEFAULT_COHORT

    assert table_one.format_table_one_by_arm(table_one.describe_cohort(load_cohort(DEFAULT_COHORT))) is None


# ---------------------------------------------------------------- chapters that apply
def test_chapters_left_out_by_the_studys_facts():
    from mscreport.pipeline.chapters import chapters_left_out, left_out_sentence, list_chapters

    chapters = list_chapters()
    assert chapters_left_out(chapters, {"dose": True, "published": True}) == {}
    assert chapters_left_out(chapters, None) == {}
    left = chapters_left_out(chapters, {"dose": False, "published": False})
    assert sorted(left) == ["04_dose", "06_published"]
    line = left_out_sentence(chapters, left)
    assert line.startswith("Left out of this report") and "dose_cells" in line and "published_path" in line
    assert left_out_sentence(chapters, {}) == ""


def test_chapter_facts_of_the_bundled_and_a_users_cohort():
    from mscreport.core.paths import DEFAULT_COHORT
    from mscreport.pipeline.chapters import chapter_facts

    assert chapter_facts(load_cohort(DEFAULT_COHORT)) == {"dose": True, "published": True, "trajectory": True}
    assert chapter_facts(load_cohort(FIX / "arms_two.csv")) == {"dose": False, "published": False, "trajectory": False}
    assert chapter_facts(load_cohort(FIX / "arms_dose.csv"))["dose"] is True


# ---------------------------------------------------------------- openings written from the study
def test_chapter_openings_are_written_from_the_study():
    from mscreport.inputs.study import Study
    from mscreport.report import framing

    paper = Study("type_2_diabetes", "a single intravenous MSC infusion", 6.2, True, True)
    trial = Study("unspecified", "the treatment", None, False, False, controlled=True, arms=True)
    own = Study("prediabetes", "metformin", None, False, False)
    assert "goes beyond the paper" in framing.trust_opening(paper)
    assert "single-arm" not in framing.trust_opening(trial) and "randomisation" in framing.trust_opening(trial)
    assert "metformin" in framing.trust_opening(own) and "paper" not in framing.trust_opening(own)
    assert "tailored to individual clinical conditions" in framing.dose_opening(paper)
    for s in (trial, own):
        text = framing.dose_opening(s)
        assert "paper" not in text and "cells" not in text and "tailored" not in text
