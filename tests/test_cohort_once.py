"""Cohort.once: an analysis asked for by several cells of a chapter is computed once per
cohort, and a cohort made with dataclasses.replace (e.g. one arm's) computes its own."""

import dataclasses

from mscreport import dose
from mscreport.cohort import load_cohort
from mscreport.paths import DEFAULT_COHORT


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
