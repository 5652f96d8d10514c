"""Cohort.once: an analysis asked for by several cells of a chapter is computed once per
cohort, and a cohort made with dataclasses.replace (e.g. one arm's) computes its own."""

import dataclasses

from mscreport.analysis import dose
from mscreport.inputs.cohort import load_cohort
from mscreport.core.paths import DEFAULT_COHORT


def test_an_analysis_is_computed_once_per_cohort(monkeypatch):
    cohort = load_cohort(DEFAULT_COHORT)
    calls = []
    real = dose._adjust_dose_for_baseline
    monkeypatch.setattr(dose, "_adjust_dose_for_baseline", lambda c: calls.append(c) or real(c))
    first = dose.adjust_dose_for_baseline(cohort)
    assert dose.adjust_dose_for_baseline(cohort) is first and len(calls) == 1
    fewer = dataclasses.replace(cohort, frame=cohort.frame[cohort.frame["stratum"] == "severe"])
    other = dose.adjust_dose_for_baseline(fewer)
    assert len(calls) == 2 and other.n == len(fewer.frame.dropna(subset=["dose_cells"])) < first.n
    assert first == real(cohort)  # the kept result is the one computing it again gives


def test_chapter_three_paired_analyses_are_computed_once_and_equal_a_fresh_test(monkeypatch):
    """analyse_change reuses analyse_overall / analyse_strata (the same paired tests), and those
    equal paired_test on the rows selected by stratum (Cohort.stratum_mask, Cohort.stratum)."""
    from mscreport.analysis import change
    from mscreport.analysis import paired
    from mscreport.methods import stats

    cohort = load_cohort(DEFAULT_COHORT)
    calls = []
    real = stats.paired_test
    def counted(*a, **k):
        calls.append(k.get("rank_tests", True))
        return real(*a, **k)

    monkeypatch.setattr(stats, "paired_test", counted)
    monkeypatch.setattr(change, "paired_test", counted)
    monkeypatch.setattr(paired, "paired_test", counted)
    overall, strata = paired.analyse_overall(cohort), paired.analyse_strata(cohort)
    assert len(calls) == 3
    change.analyse_change(cohort)
    assert paired.analyse_overall(cohort) is overall and paired.analyse_strata(cohort) is strata
    # analyse_change adds only t-tests without rank tests (attrition, follow-up windows), no paired analysis again
    assert calls[:3] == [True] * 3 and len(calls) > 3 and not any(calls[3:])
    for name, got in strata.items():
        rows = cohort.stratum(name)
        assert len(rows) == int(cohort.stratum_mask(name).sum()) > 0
        assert got == real(rows["hba1c_baseline"], rows["hba1c_followup"], cohort.params["alpha"])
    assert overall == real(cohort.frame["hba1c_baseline"], cohort.frame["hba1c_followup"], cohort.params["alpha"])
