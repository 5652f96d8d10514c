"""The strata compared directly (issue 27): severe - moderate change by Welch's t-test and the
baseline-adjusted (ANCOVA-style) stratum coefficient, against R (tests/r/strata_compare.R ->
tests/fixtures/r_strata_compare.json, rel 1e-9)."""

from __future__ import annotations

import json
import math

import pytest

from mscreport.analysis.strata_compare import compare_strata, compare_strata_frame, format_strata_comparison
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.inputs.cohort import load_cohort
from mscreport.inputs.params import DEFAULTS

FIX = REPO_ROOT / "tests" / "fixtures"
R = json.loads((FIX / "r_strata_compare.json").read_text())


def assert_close(ours, r, where=""):
    if isinstance(r, dict):
        for k, v in r.items():
            assert k in ours, f"{where}.{k} missing"
            assert_close(ours[k], v, f"{where}.{k}")
    else:
        assert ours is not None and math.isclose(ours, r, rel_tol=1e-9, abs_tol=1e-12), (where, ours, r)


def _cohort(path):
    return load_cohort(path, {**DEFAULTS, "inclusion_min": "6.2"})


def test_bundled_cohort_agrees_with_r():
    # R: t.test(change[severe], change[moderate]); lm(hba1c_followup ~ hba1c_baseline + stratum)
    block = compare_strata(_cohort(DEFAULT_COHORT))
    assert_close(block, R["bundled"], "bundled")
    assert block["by_arm"] is None


def test_bundled_values_spelled_out():
    """The paper's "particularly in severe diabetes", tested: the severe stratum's larger fall is
    not distinguishable from the moderate one's, and far less so at equal baseline."""
    block = compare_strata(_cohort(DEFAULT_COHORT))
    # R: t.test(change[severe], change[moderate])$estimate difference, $p.value
    assert block["welch_change"]["diff"] == pytest.approx(-0.97467948717948705, rel=1e-9)
    assert block["welch_change"]["p"] == pytest.approx(0.090869870948179166, rel=1e-9)
    # R: summary(lm(hba1c_followup ~ hba1c_baseline + stratum))$coefficients["stratumsevere", ]
    assert block["ancova"]["estimate"] == pytest.approx(-0.31469868103745313, rel=1e-9)
    assert block["ancova"]["p"] == pytest.approx(0.58087698060646298, rel=1e-9)


def test_two_arms_pooled_and_by_arm_agree_with_r():
    block = compare_strata(_cohort(FIX / "arms_two.csv"))
    assert_close(block, R["two"]["pooled"], "two")
    assert sorted(block["by_arm"]) == sorted(R["two"]["by_arm"])
    for arm, r in R["two"]["by_arm"].items():
        assert_close(block["by_arm"][arm], r, arm)


def test_one_stratum_only_gives_none_and_small_strata_no_statistics():
    frame = _cohort(DEFAULT_COHORT).frame
    assert compare_strata_frame(frame[frame["stratum"] == "moderate"]) is None
    few = frame[(frame["stratum"] == "moderate") | (frame.index.isin(frame[frame["stratum"] == "severe"].index[:2]))]
    block = compare_strata_frame(few)
    assert block["n_severe"] == 2
    assert block["welch_change"]["diff"] is None and block["ancova"]["estimate"] is None


def test_table_shows_both_estimates():
    table = format_strata_comparison(compare_strata(_cohort(DEFAULT_COHORT)), 0.05)
    text = table.to_string()
    assert "\u22120.97" in text and "\u22120.31" in text


def test_a_hidden_stratum_hides_the_comparison_on_pages():
    """cohort_teaching.csv: one patient below moderate_min hides the severe stratum (it would
    reveal the patient below), so its difference from the moderate one is not shown either."""
    from mscreport.analysis.strata_compare import hidden_comparisons, say_strata_comparison

    cohort = load_cohort(FIX / "cohort_teaching.csv", dict(DEFAULTS))
    hidden = hidden_comparisons(cohort.frame)
    assert hidden == {"pooled"}
    table = format_strata_comparison(compare_strata(cohort), 0.05, hidden)
    assert table.iloc[0]["difference in mean change"] == "suppressed (would reveal a hidden group)"
    assert table.iloc[0]["p (Welch)"] == ""
    assert "not shown" in say_strata_comparison(compare_strata(cohort), 0.05, hidden)
