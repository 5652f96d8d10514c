"""Why stats.py does not simply call scipy.stats / statsmodels with their defaults.

``methods/stats.py`` calls the libraries but chooses R's variant where their defaults differ, and keeps
its own code where R has something they lack. Each test here takes an R value from
``tests/fixtures/r_reference.json`` (``tests/r/reference.R``) and shows that the library's
default (or the library's function, for Shapiro-Wilk) misses it by more than the 1e-9 that
``tests/test_stats_vs_r.py`` requires, while ``methods/stats.py`` meets it. If a library release
makes one of these pass with its default, the test fails: then the choice in stats.py can go.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scipy.stats as st

from mscreport.methods import stats

REF = json.loads((Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "r_reference.json").read_text("utf-8"))
REL = 1e-9


def misses(value, r) -> bool:
    return value != pytest.approx(r, rel=REL, abs=1e-12)


def test_scipy_shapiro_still_differs_from_r():
    """stats.shapiro_wilk is R's swilk.c in double precision; scipy.stats.shapiro is not within 1e-9."""
    grid = REF["shapiro_grid"].values()
    assert any(misses(st.shapiro(g["x"]).pvalue, g["p"]) for g in grid if g["p"] is not None)
    assert not any(misses(stats.shapiro_wilk(g["x"])[1], g["p"]) for g in grid if g["p"] is not None)


def test_wilcoxon_default_is_not_rs_with_ties():
    """scipy.stats.wilcoxon's default (method="auto": a permutation test with ties at n <= 13,
    correction=False) is not R's normal approximation with continuity correction."""
    g = REF["signrank_grid"]["normal_ties_n12"]
    assert misses(st.wilcoxon(g["d"]).pvalue, g["p"])
    assert not misses(stats.signed_rank_test(g["d"]).p, g["p"])


def test_mannwhitneyu_default_is_not_rs_exact_test():
    """scipy's method="auto" is exact only up to 8 values per sample; R's up to 49."""
    g = REF["ranksum_grid"]["exact_12_10"]
    assert g["method"] == "Wilcoxon rank sum exact test"
    assert misses(st.mannwhitneyu(g["x"], g["y"]).pvalue, g["p"])
    assert not misses(stats.mann_whitney(g["x"], g["y"]).p, g["p"])


@pytest.mark.parametrize("case", ["positive_n10", "negative_n10"])
def test_spearmanr_p_is_not_as89(case):
    """scipy.stats.spearmanr's p is the t approximation; R uses AS 89 for n <= 1290 without ties."""
    g = REF["spearman_grid"][case]
    assert g["path"] == "exact"
    assert misses(st.spearmanr(g["x"], g["y"]).pvalue, g["p"])
    assert not misses(stats.spearman(g["x"], g["y"]).p, g["p"])


def test_scipy_kruskal_counts_ties_differently_from_r():
    """R's kruskal.test counts ties by table() (15 significant digits); scipy by exact equality."""
    g = REF["kruskal_grid"]["decimal_ties"]
    assert misses(st.kruskal(*g["groups"]).statistic, g["h"])
    assert not misses(stats.kruskal_wallis(*g["groups"]).h, g["h"])


def test_statsmodels_mcnemar_corrects_equal_discordant_counts():
    """statsmodels' correction=True gives (|b - c| - 1)^2 / (b + c) = 1/4 for b = c = 2; R's 0."""
    from statsmodels.stats.contingency_tables import mcnemar

    g = REF["mcnemar_grid"]["equal_discordant"]
    assert (g["became_below"], g["became_above"], g["statistic"]) == (2, 2, 0)
    table = [[0, g["became_above"]], [g["became_below"], 0]]
    assert mcnemar(table, exact=False, correction=True).statistic == pytest.approx(0.25)
    assert stats.mcnemar(g["before"], g["after"]).statistic == 0


def test_statsmodels_two_sided_power_is_not_power_t_test_default():
    """statsmodels' two-sided power adds the far tail (R's strict = TRUE); power.t.test's default
    strict = FALSE does not, which moves n by about 2e-6 relative (the test needs 1e-7)."""
    from statsmodels.stats.power import TTestIndPower

    r = REF["power_grid"][0]
    two_sided = TTestIndPower().solve_power(r["delta"] / r["sd"], None, 0.05, r["power"], 1.0, "two-sided")
    assert two_sided != pytest.approx(r["n"], rel=1e-7)
    assert stats.n_per_arm(r["delta"], r["sd"], 0.05, r["power"]) == pytest.approx(r["n"], rel=1e-7)
