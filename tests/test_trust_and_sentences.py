"""trust.py, change.py's sentences and exercises.py: each verdict branch, each rendered
exercise answer. Expected values are computed by hand or come from the R fixture
(tests/fixtures/r_reference.json), never from the code under test."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import pytest

from mscreport.analysis import change, trust
from mscreport.report import exercises
from mscreport.inputs.cohort import load_cohort
from mscreport.report.blocks import compute_results

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "fixtures" / "r_reference.json").read_text(encoding="utf-8"))
MINUS = "\u2212"


@lru_cache(maxsize=None)
def bundled():
    return load_cohort(ROOT / "data" / "reconstructed_cohort.csv")


@lru_cache(maxsize=None)
def bundled_results():
    return compute_results(bundled())


# ------------------------------------------------------------------ regression to the mean
def test_expected_rtm_by_hand():
    # mean 0, SD 1, cut-off 0, rho 0.5: 1 x 0.5 x phi(0) / 0.5 = phi(0) = 1 / sqrt(2 pi)
    assert trust.expected_rtm(0.0, 1.0, 0.0, 0.5) == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-12)
    # rho = 1: no regression at all
    assert trust.expected_rtm(7.5, 1.1, 8.0, 1.0) == 0.0


def test_rtm_verdict_rests_on_the_observed_correlation():
    block = bundled_results()["rtm"]
    r_rho = REF["datasets"]["reconstructed_cohort"]["complete"]["rtm"]["observed_rho"]
    assert block["rows"][-1]["source"] == "observed" and block["rows"][-1]["rho"] == pytest.approx(r_rho, rel=1e-9)
    text = trust.say_rtm(block)
    assert f"r = {r_rho:.2f}" in text and "months to years" in text and "cannot be told apart" in text


# ------------------------------------------------------------------ Oldham
def _oldham(p, r):
    return {"r": r, "p": p, "ci_low": r - 0.2, "ci_high": r + 0.2, "n": 40, "baseline_sd": 1.2, "followup_sd": 1.0}


def test_oldham_verdicts():
    assert "no evidence that the change depends" in trust.say_oldham(_oldham(0.4, 0.1), 0.05)
    assert "fell more than regression to the mean" in trust.say_oldham(_oldham(0.01, -0.4), 0.05)
    assert "varied more at follow-up" in trust.say_oldham(_oldham(0.01, 0.4), 0.05)
    assert "not computable" in trust.say_oldham({**_oldham(0.4, 0.1), "p": None}, 0.05)
    assert "same SD" in trust.say_oldham(_oldham(0.4, 0.1), 0.05)  # when it removes the artefact


# ------------------------------------------------------------------ durability
def _durability(ci_high, mean_change=-1.0):
    return {"n": 30, "slope_per_year": 0.05, "ci_low": -0.1, "ci_high": ci_high, "p": 0.5,
            "mean_change": mean_change, "loss_years": 5, "loss_slope": -mean_change / 5,
            "pearson": {"r": 0.1}, "spearman": {"rho": 0.1}}


def test_durability_verdicts():
    # a fall of 1.0 % point is lost in 5 years at +0.2 per year
    assert "cannot be excluded" in trust.say_durability(_durability(0.25), 0.05)
    assert "excludes a complete loss" in trust.say_durability(_durability(0.15), 0.05)
    assert "no mean fall to lose" in trust.say_durability(_durability(0.15, mean_change=0.3), 0.05)
    assert "natural drift" in trust.say_durability(_durability(0.25), 0.05)
    assert "no `followup_months` column" in trust.say_durability(None, 0.05)


def test_bundled_durability_cannot_exclude_a_complete_loss():
    r = REF["datasets"]["reconstructed_cohort"]["complete"]["durability"]
    mean_fall = -bundled_results()["overall"]["mean_change"]
    assert r["ci_high"] >= mean_fall / 5  # R's interval reaches the slope that erases the fall in 5 years
    assert "cannot be excluded" in trust.say_durability(bundled_results()["durability"], 0.05)


# ------------------------------------------------------------------ Holm
def test_holm_sentence_and_answer():
    rows = [{"test": "a", "p": 0.01, "p_holm": 0.03}, {"test": "b", "p": 0.04, "p_holm": 0.06},
            {"test": "c", "p": 0.5, "p_holm": 0.5}]
    assert trust.say_holm(rows, 0.05) == "After Holm's adjustment of these 3 tests, 1 stay below α = 0.05: a."
    assert "none stays below" in trust.say_holm(rows[2:], 0.05)


def test_holm_wording_is_never_less_powerful():
    text = (ROOT / "notebooks" / "05_trust.py").read_text(encoding="utf-8")
    assert "never less powerful than Bonferroni" in text and "uniformly more powerful" not in text


# ------------------------------------------------------------------ sample size
def test_sample_size_rows_use_power_t_test_and_the_dropout():
    grid = {(r["delta"], r["sd"], r["power"]): r["n"] for r in REF["power_grid"]}
    n_r = grid[(0.79, 1.036, 0.9)]  # power.t.test(delta = 0.79, sd = 1.036, power = 0.9)$n
    rows = trust.sample_size_block(-0.79, 1.036, 1.48, 0.05, 0.2)
    first = rows[0]
    assert (first["delta"], first["sd"]) == (0.79, 1.036)
    assert first["power_90_n_per_arm"] == math.ceil(n_r)
    assert first["power_90_n_with_dropout"] == math.ceil(math.ceil(n_r) / 0.8)
    assert [r["sd_from"] for r in rows[:3]] == ["this cohort", "largest the paper's p allows", "typical trial"]
    assert [r["share_of_effect"] for r in rows] == [1.0] * 3 + [0.5] * 3
    assert trust.sample_size_block(None, 1.0, 1.0, 0.05, 0.1) == []


# ------------------------------------------------------------------ dose after adjustment
def _dose(diff, ci_low=None, ci_high=None):
    lo = diff - 0.1 if ci_low is None else ci_low  # by default an interval that excludes 0
    hi = diff + 0.05 if ci_high is None else ci_high
    return SimpleNamespace(welch=SimpleNamespace(diff=diff, ci_low=lo, ci_high=hi))


def test_dose_reversal_sentence():
    adj = {"estimate": 0.05, "ci_low": 0.01, "ci_high": 0.5, "p": 0.04}
    assert "direction changes" in trust.say_dose_reversal(_dose(-0.12), adj, 0.05)
    assert "shrinks" in trust.say_dose_reversal(_dose(-0.3), {**adj, "estimate": -0.1, "ci_low": -0.2, "ci_high": -0.01}, 0.05)
    assert "does not shrink" in trust.say_dose_reversal(_dose(-0.1), {**adj, "estimate": -0.3, "ci_low": -0.5,
                                                                       "ci_high": -0.1}, 0.05)
    assert "cannot both be computed" in trust.say_dose_reversal(_dose(-0.1), None, 0.05)
    assert "chapter 5" in trust.say_dose_reversal(_dose(-0.12), adj, 0.05)


def test_bundled_dose_difference_is_compatible_with_none_before_and_after_adjustment():
    """Issue 26 item 7 / 27 item 5: "The direction reverses after adjustment" was read off two
    estimates whose intervals both include 0; the sentence says so now, and that the
    reconstruction built the baseline imbalance in."""
    r = REF["datasets"]["reconstructed_cohort"]
    w, a = r["dose"]["welch"], r["adjusted_dose"]
    # R: t.test(change ~ high, var.equal = FALSE)$conf.int and confint(lm(change ~ high + baseline))["high", ]
    assert w["ci_low"] < 0 < w["ci_high"] and a["high_vs_low_ci_low"] < 0 < a["high_vs_low_ci_high"]
    adj = {"estimate": a["high_vs_low"], "ci_low": a["high_vs_low_ci_low"], "ci_high": a["high_vs_low_ci_high"],
           "p": a["high_vs_low_p"]}
    text = trust.say_dose_reversal(_dose(w["diff"], w["ci_low"], w["ci_high"]), adj, 0.05, reconstruction=True)
    assert "reverses" not in text and "accounted for by the high-dose group starting higher" not in text
    assert "compatible with no difference" in text and "built in" in text
    assert "built in" not in trust.say_dose_reversal(_dose(w["diff"], w["ci_low"], w["ci_high"]), adj, 0.05)


# ------------------------------------------------------------------ change chapter sentences
def test_safety_sentence():
    s = {"n": 61, "events": 0, "proportion": 0.0, "ci_low": 0.0, "ci_high": 1 - 0.025 ** (1 / 61), "not_recorded": 0}
    text = change.say_safety(s, 0.05)
    assert "0 of 61" in text and "[0.0, 5.9] %" in text and "not recorded" in text
    assert "no `serious_adverse_event` column" in change.say_safety(None, 0.05)


def test_normality_sentence_names_low_power_at_small_n():
    block = {"severe": {"w": 0.95, "p": 0.4, "n": 13, "low_power": True},
             "overall": {"w": 0.9, "p": 0.001, "n": 61, "low_power": False}}
    text = change.say_normality(block, 0.05)
    assert "little power" in text and "not evidence that they are normal" in text
    assert "the changes are not normal" in text


def test_rank_shift_sentence_states_symmetry_and_zeros():
    hl = bundled_results()["hodges_lehmann"]
    text = change.say_rank_shift(hl)
    assert "symmetric" in text and "drops zero changes" in text and "median change" in text
    assert REF["datasets"]["reconstructed_cohort"]["complete"]["hodges_lehmann"]["overall"]["zeros"] == hl["overall"]["zeros"]


def test_attrition_sentence_both_ways():
    none = {"n_completers": 61, "n_no_followup": 0}
    assert "all 61 analysed patients" in change.say_attrition(none, 0.05)
    r = REF["datasets"]["teaching"]["complete"]["attrition"]
    some = {"n_completers": r["n_completers"], "n_no_followup": r["n_no_followup"], "bcf_mean_change": r["bcf_mean_change"],
            "bcf_ci_low": r["bcf_ci_low"], "bcf_ci_high": r["bcf_ci_high"], "bcf_p": r["bcf_p"]}
    text = change.say_attrition(some, 0.05)
    assert "baseline carried forward" in text and f"{MINUS}{abs(r['bcf_mean_change']):.2f} % points" in text


def test_windows_table_without_followup_months():
    assert "no followup_months column" in change.format_windows(None).iloc[0, 0]


# ------------------------------------------------------------------ exercise answers
# computed in the chapters' solution cells and checked against R's numbers by
# tests/test_workbooks.py (test_answer_edition_answers_match_r)


def test_exercises_library_holds_no_answer_text():
    import inspect

    source = inspect.getsource(exercises)
    assert "<details>" not in source and "Answer" not in source and "SHOW_ANSWERS" not in source


# the reconstruction's basis marks (which numbers are pinned, derived, assumed): tests/test_basis.py


def test_blocks_are_null_without_their_columns(tmp_path):
    import pandas as pd

    f = pd.read_csv(ROOT / "tests" / "fixtures" / "cohort_teaching.csv")
    path = tmp_path / "pre_post_only.csv"
    f[["patient_id", "hba1c_baseline", "hba1c_followup"]].to_csv(path, index=False)
    r = compute_results(load_cohort(path))
    for key in ("safety", "durability", "source", "adjusted_dose", "change_by_followup"):
        assert r[key] is None, key
    assert r["target"]["n"] == r["overall"]["n"] and r["holm"][0]["test"] == "moderate paired t"
    assert "no `followup_months` column" in trust.say_durability(r["durability"], 0.05)
