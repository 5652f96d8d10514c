"""strata.threshold_sensitivity, describe (Table 1), trust (Oldham, regression to the mean,
durability) and the Holm family the report actually adjusts, against base R
(issue 15.4). The R values are in ``tests/fixtures/r_house.json``, written by
``Rscript tests/r/house.R`` (each value's R call is next to it there); agreement to 1e-9
relative, as in test_stats_vs_r.py."""

from __future__ import annotations

import json
import math
from functools import lru_cache

import pandas as pd
import pytest
from test_stats_vs_r import COHORTS, FIXTURES, check

from mscreport.analysis import table_one as describe, strata, trust
from mscreport.inputs.cohort import load_cohort
from mscreport.analysis.dose import analyse_dose
from mscreport.inputs.params import DEFAULTS
from mscreport.analysis.paired import analyse_overall, analyse_strata

HOUSE = json.loads((FIXTURES / "r_house.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def cohort(name):
    return load_cohort(COHORTS[name], {"inclusion_min": "6.2"})  # tests/r/house.R: the paper's inclusion rule


def test_fixture_uses_our_defaults_and_grids():
    assert HOUSE["r_version"].startswith("R version 4.2")
    for k, v in HOUSE["params"].items():
        assert DEFAULTS[k] == pytest.approx(v)
    assert tuple(HOUSE["grid"]) == strata.SENSITIVITY_GRID


@pytest.mark.parametrize("name", COHORTS)
def test_threshold_sensitivity_matches_r(name):
    sens = strata.threshold_sensitivity(cohort(name))
    r = HOUSE["datasets"][name]["threshold_sensitivity"]
    assert list(sens["severe_above"]) == [row["severe_above"] for row in r]  # 8.0 (the parameter) is in the grid
    for ours, theirs in zip(sens.to_dict("records"), r):
        check(f"{name}.sensitivity[{theirs['severe_above']}]",
              [(k, None if isinstance(ours[k], float) and math.isnan(ours[k]) else ours[k], theirs.get(k)) for k in theirs])


def test_threshold_grid_always_holds_the_users_cut_off():
    c = load_cohort(COHORTS["teaching"], {"severe_above": 9.3, "inclusion_min": "6.2"})
    assert 9.3 in list(strata.threshold_sensitivity(c)["severe_above"])


@pytest.mark.parametrize("name", COHORTS)
def test_table_one_matches_r(name):
    tidy = describe.describe_cohort(cohort(name))
    r = HOUSE["datasets"][name]["table1"]
    for group, block in r.items():
        rows = tidy[tidy["group"] == group]
        def row(variable, level=""):
            picked = rows[(rows["variable"] == variable) & (rows["level"] == level)]
            assert len(picked) == 1, (group, variable, level)
            return picked.iloc[0]
        assert row("patients")["n"] == block["patients"]
        base = row("hba1c_baseline")
        check(f"{name}.table1.{group}.hba1c_baseline", [("mean", base["mean"], block["hba1c_baseline"]["mean"]),
                                                        ("sd", base["sd"], block["hba1c_baseline"]["sd"])])
        for variable, summary in block.items():
            if variable in ("patients", "hba1c_baseline"):
                continue
            if "median" in summary:  # numeric: n, mean, sd, median, quartiles (R's type 7), range
                got = row(variable)
                check(f"{name}.table1.{group}.{variable}",
                      [(k, None if pd.isna(got[k]) else float(got[k]), v) for k, v in summary.items()])
            else:  # category counts: table(x)
                for level, count in summary.items():
                    assert row(variable, level)["n"] == count, (group, variable, level)


@pytest.mark.parametrize("name", COHORTS)
def test_oldham_rtm_and_durability_match_r(name):
    c = cohort(name)
    r = HOUSE["datasets"][name]["trust"]
    old = trust.oldham(c)
    check(f"{name}.oldham", [(k, getattr(old, k), v) for k, v in r["oldham"].items()])
    rtm = trust.rtm_table(c)
    rtm = rtm[rtm["source"] == "assumed"]  # the span of rhos (the cohort's own r is a further row)
    assert list(rtm["rho"]) == pytest.approx(HOUSE["rhos"])
    for ours, theirs in zip(rtm.to_dict("records"), r["rtm"]):
        check(f"{name}.rtm[{theirs['rho']}]", [(k, ours[k], v) for k, v in theirs.items()])
    dur = trust.durability(c)
    rd = r["durability"]
    check(f"{name}.durability", [("n", dur["n"], rd["n"]), ("slope_per_year", dur["slope_per_year"], rd["slope_per_year"]),
                                 ("pearson_r", dur["pearson"]["r"], rd["pearson_r"]), ("pearson_p", dur["pearson"]["p"], rd["pearson_p"]),
                                 ("spearman_rho", dur["spearman"]["rho"], rd["spearman_rho"])])


@pytest.mark.parametrize("name", COHORTS)
def test_holm_adjusts_the_family_the_report_shows(name):
    """The Holm table of chapter 5: exactly trust.subgroup_family's tests, adjusted as
    p.adjust(p, "holm") adjusts that family (not the overall test, not the rank tests)."""
    c = cohort(name)
    family = trust.subgroup_family(analyse_strata(c), analyse_dose(c))
    r = HOUSE["datasets"][name]["trust"]["holm"]
    assert list(family) == r["tests"]
    rows = trust.holm_block(family)
    check(f"{name}.holm.p", [(row["test"], row["p"], r["p"][row["test"]]) for row in rows])
    check(f"{name}.holm.adjusted", [(row["test"], row["p_holm"], r["adjusted"][row["test"]]) for row in rows])
