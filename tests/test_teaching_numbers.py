"""The teaching pages' own statistics are in results.json (every number a page shows is):
the sign test (chapter 3), the ANCOVA-based trial size (chapter 5), the slope after time 0
(chapter 7), each equal to R (tests/r/lessons.R, fixture r_lessons.json)."""

from __future__ import annotations

import json

import pytest

from mscreport.analysis import teaching_numbers
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.inputs.cohort import load_cohort
from mscreport.report.results import TOP_KEYS

R = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_lessons.json").read_text(encoding="utf-8"))


def test_sign_test_block_matches_binom_test():
    block = teaching_numbers.sign_test_block(load_cohort(DEFAULT_COHORT))
    for group in ("overall", "moderate", "severe"):
        r = R["sign"][group]  # R: binom.test(sum(x < 0), sum(x != 0)) on data/reconstructed_cohort.csv
        got = block[group]
        assert (got["n_nonzero"], got["n_fall"], got["n_rise"]) == (r["n_nonzero"], r["n_fall"], r["n_rise"])
        assert got["p"] == pytest.approx(r["p"], rel=1e-9)
        assert (got["ci_low"], got["ci_high"]) == pytest.approx((r["ci_low"], r["ci_high"]), rel=1e-9)


def test_ancova_size_block_matches_power_t_test():
    block = teaching_numbers.ancova_size_block(load_cohort(DEFAULT_COHORT))
    r = R["ancova"]  # R: power.t.test(delta, sd = summary(lm(f ~ b))$sigma, power = 0.8)$n
    assert block["residual_sd"] == pytest.approx(r["sigma"], rel=1e-9)
    assert block["n_ancova"] == pytest.approx(r["n80"], rel=1e-6)
    assert block["n_change"] == pytest.approx(r["n80_change"], rel=1e-6)  # R: power.t.test(delta, sd = sd(change))
    assert block["n_ancova"] < block["n_change"]


def test_post_baseline_block_matches_nlme_and_is_null_for_a_wide_file():
    block = teaching_numbers.post_baseline_block(load_cohort(REPO_ROOT / "data" / "reconstructed_cohort_long.csv"))
    r = R["slopes"]["post_baseline"]  # R: lme(hba1c ~ years, random = ~ years | patient_id) on rows after time 0
    assert (block["n_patients"], block["n_measurements"]) == (r["n_patients"], r["n_obs"])
    assert block["slope_per_year"]["estimate"] == pytest.approx(r["estimate"], rel=5e-3)  # near nlme's boundary: see test_lessons_corrected
    assert teaching_numbers.post_baseline_block(load_cohort(DEFAULT_COHORT)) is None


def test_the_blocks_are_results_json_keys():
    assert {"sign_test", "ancova_sample_size", "post_baseline_slope"} <= set(TOP_KEYS)
