"""Disclosure control (issue 14.2): no number in a page from fewer than 3 values, and no
hidden group recoverable from numbers shown elsewhere. The expected hidden sets are derived
by hand from the rule in lib/mscreport/core/disclosure.py (and data/README.md's data card); the
page checks look for a patient's own values, formatted as the report formats numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from pagetext import visible_text

from mscreport.analysis import table_one as describe, strata, trust
from mscreport.core import disclosure
from mscreport.inputs.cohort import load_cohort
from mscreport.display.fmt import fmt_change, fmt_hba1c, fmt_num, html_table
from mscreport.analysis.dose import analyse_dose
from mscreport.analysis.published import compare_published, format_comparison
from mscreport.pipeline.render import headline_table
from mscreport.analysis.change import say_paired
from mscreport.display.tables import paired_table, pairs_extra_table
from mscreport.report.blocks import compute_results
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core.units import ngsp_to_ifcc

SUPPRESSED = disclosure.SUPPRESSED


# ------------------------------------------------------------------ the rule
def test_too_few_is_one_or_two_values():
    assert disclosure.too_few(1) and disclosure.too_few(2)
    assert not disclosure.too_few(0) and not disclosure.too_few(3) and not disclosure.too_few(None)


def test_a_part_of_one_hides_its_complement_too():
    # 61 = 60 + 1: the 60's mean and the overall mean give the 1's value back
    assert disclosure.hidden_parts(61, {"moderate": 60, "severe": 1}) == {"moderate", "severe"}
    # 61 = 58 + 3: nothing to hide
    assert disclosure.hidden_parts(61, {"moderate": 58, "severe": 3}) == set()
    # an empty part hides nothing
    assert disclosure.hidden_parts(61, {"moderate": 61, "severe": 0}) == set()


def test_patients_in_no_part_count_as_a_hidden_remainder():
    # 1 patient without a dose: high and low shown would give that patient's change from the overall
    assert disclosure.hidden_parts(61, {"high": 20, "low": 40}) == {"high"}
    # 3 without a dose: a remainder of 3 may be derived
    assert disclosure.hidden_parts(63, {"high": 20, "low": 40}) == set()
    # 1 without a source and a source of 1: together 2, so one more (the smallest shown) goes
    assert disclosure.hidden_parts(31, {"a": 1, "b": 10, "c": 19}) == {"a", "b"}


def test_a_total_of_fewer_than_three_hides_every_part():
    assert disclosure.hidden_parts(2, {"moderate": 2, "severe": 0}) == {"moderate", "severe"}


def test_nested_groups_differ_by_zero_or_at_least_three():
    # whole cohort 20; severe groups at rising cut-offs 10, 9, 6, 1, 0
    # 10: |10-0|, |20-10| fine -> shown; 9: differs from 10 by 1 -> hidden; 6: by 4 from 10 -> shown;
    # 1: 1 from 0 -> hidden; 0: shown (the empty group, nothing new)
    assert disclosure.shown_nested(20, [10, 9, 6, 1, 0]) == [True, False, True, False, True]
    # the group another page shows (index 1) is decided first, and then 10 must go
    assert disclosure.shown_nested(20, [10, 9, 6, 1, 0], first=1) == [False, True, True, False, True]
    assert disclosure.shown_nested(2, [1, 0]) == [False, False]


# ------------------------------------------------------------------ cohorts
def _cohort(tmp_path, rows, name="c.csv", **params):
    cols = ["patient_id", "hba1c_baseline", "hba1c_followup", "dose_cells", "msc_source", "followup_months", "bmi"]
    path = tmp_path / name
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    return load_cohort(path, params or None)


def _moderate(i):  # nine moderate patients with ordinary values
    return (f"M{i}", 6.4 + 0.17 * i, 6.1 + 0.13 * i + 0.011 * i * i, 1e9 if i % 2 else 2e8, "UC", 10 + 2 * i, None)


LONE = ("S1", 10.43, 7.77, 2e9, "AD", 67, 41.7)  # the one severe patient, the one BMI


@pytest.fixture
def one_severe(tmp_path):
    return _cohort(tmp_path, [_moderate(i) for i in range(9)] + [LONE])


@pytest.fixture
def two_patients(tmp_path):
    return _cohort(tmp_path, [("A", 7.37, 6.81, 1e9, "UC", 12, 30.3), ("B", 9.19, 8.23, 2e8, "BM", 30, 22.9)])


def _levels(*numbers) -> list[str]:
    """HbA1c levels as pages print them: '10.43 % (90.50 mmol/mol)' (the mmol/mol part alone too)."""
    return [s for v in numbers for s in (fmt_hba1c(v), f"({fmt_num(ngsp_to_ifcc(v))} mmol/mol)")]


def _changes(*numbers) -> list[str]:
    """HbA1c changes as pages print them, in either sign ('% points' with the mmol/mol part)."""
    return [fmt_change(s * v).replace("\u2212", "-") for v in numbers for s in (1, -1)]


def _tables(cohort) -> str:
    """Every page table and sentence the library makes from this cohort, as HTML."""
    overall, by_stratum = analyse_overall(cohort), analyse_strata(cohort)
    hidden = disclosure.hidden_groups(cohort.frame)
    counts = strata.count_strata(cohort)
    rtm = trust.rtm_block(cohort)
    frames = [describe.format_table_one(describe.describe_cohort(cohort)),
              paired_table({"all patients": overall, **by_stratum}, hidden),
              pairs_extra_table({"all patients": overall, **by_stratum}, hidden),
              strata.format_counts(counts),
              strata.format_sensitivity(strata.threshold_sensitivity(cohort), cohort.params["severe_above"]),
              trust.format_rtm(rtm["rows"]),
              trust.format_holm(trust.holm_block(trust.subgroup_family(by_stratum, analyse_dose(cohort))), hidden)]
    results = compute_results(cohort)
    comparison = compare_published(cohort, overall, by_stratum, analyse_dose(cohort))
    html = "".join(html_table(f, index=True) for f in frames)
    html += html_table(format_comparison(comparison, cohort))
    html += headline_table(results)
    html += say_paired(overall, by_stratum, 0.05) + strata.counts_sentence(counts, cohort.params)
    html += trust.say_rtm(rtm)
    return visible_text(html)


def test_a_lone_non_missing_value_is_not_shown(one_severe):
    text = _tables(one_severe)
    assert "41.7" not in text  # Table 1 printed "41.7 [41.7, 41.7]"
    assert "bmi, median [IQR]; range " + " ".join([SUPPRESSED] * 3) in text


def test_a_single_patient_stratum_is_not_shown_nor_recoverable(one_severe):
    text = _tables(one_severe)
    for v in _levels(10.43, 7.77) + _changes(7.77 - 10.43):
        assert v not in text, v
    mod = one_severe.stratum("moderate")
    # the moderate stratum's own summaries would give the severe patient back with the overall ones
    for v in _levels(mod["hba1c_baseline"].mean(), mod["hba1c_followup"].mean()) + _changes(mod["change"].mean()):
        assert v not in text, v
    assert f"range {fmt_num(mod['followup_months'].min(), 1)}-{fmt_num(mod['followup_months'].max(), 1)}" not in text
    # the RTM table's expectation from the stratum's mean baseline gives that baseline back
    for v in trust.rtm_table(one_severe)["expected_fall_means"]:
        assert fmt_num(v) not in text


def test_a_cohort_of_two_shows_no_value_of_either_patient(two_patients):
    text = _tables(two_patients)
    a, b = (7.37, 6.81), (9.19, 8.23)
    for v in (_levels(*a, *b, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
              + _changes(a[1] - a[0], b[1] - b[0], ((a[1] - a[0]) + (b[1] - b[0])) / 2)):
        assert v not in text, v
    assert "30.3" not in text and "22.9" not in text


def test_the_threshold_table_hides_rows_one_or_two_patients_apart(tmp_path):
    # baselines 8.1 (1 patient) and 8.6 (1 patient) above 8: the rows for 8.0 and 8.5 differ by one
    rows = [_moderate(i) for i in range(9)] + [("S1", 8.1, 7.5, 1e9, "UC", 12, None), ("S2", 8.6, 7.1, 1e9, "UC", 12, None),
                                               ("S3", 9.6, 8.0, 1e9, "UC", 12, None), ("S4", 9.8, 8.1, 1e9, "UC", 12, None),
                                               ("S5", 9.9, 8.0, 1e9, "UC", 12, None)]
    c = _cohort(tmp_path, rows)
    sens = strata.threshold_sensitivity(c)
    shown = strata.format_sensitivity(sens, 8.0)
    n_sev = dict(zip(shown["severe_above"], sens["n_severe"]))
    assert n_sev["8"] == 5 and n_sev["8.5"] == 4 and n_sev["9"] == 3
    is_shown = dict(zip(shown["severe_above"], ~shown["mean_change_severe"].str.startswith("suppressed")))
    # 8 (chapter 3's strata, 5 vs 9 of 14) first; 8.5 is one patient away from it, 9 two: both hidden
    assert is_shown["8"] and not is_shown["8.5"] and not is_shown["9"]


def test_index_hides_what_the_chapters_hide(one_severe):
    results = compute_results(one_severe)
    assert disclosure.hidden_in_results(results) == {"moderate", "severe"}
    text = visible_text(headline_table(results))
    assert text.count(SUPPRESSED) == 1 and text.count(disclosure.SUPPRESSED_SECONDARY) == 1  # severe (1), moderate (9): true reasons


def test_a_page_says_why_a_stratum_is_not_shown(one_severe):
    text = say_paired(analyse_overall(one_severe), analyse_strata(one_severe), 0.05)
    assert "The **severe** stratum has n = 1: its summaries are not shown" in text
    assert "The **moderate** stratum (n = 9): its summaries are not shown" in text
