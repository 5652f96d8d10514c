"""Hodges-Lehmann on R's normal-approximation path (ties, zeros, n >= 50) against R 4.2.

R's ``wilcox.test(d, conf.int = TRUE)`` finds the estimate and the interval there by
``uniroot`` on the normal statistic of d - mu (``lib/mscreport/hodges_lehmann.py``): the
values of ``tests/fixtures/r_hodges_lehmann.json`` (``Rscript tests/r/hodges_lehmann.R``) must
come back to 1e-9, R's lowered confidence level included; the median of the Walsh averages,
which the library gave before, misses them (issue 23 item 8)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mscreport.methods import stats
from mscreport.methods.hodges_lehmann import SignedRankZ, hodges_lehmann_normal, qnorm, zeroin

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "fixtures" / "r_hodges_lehmann.json").read_text(encoding="utf-8"))
CASES = REF["cases"]
REL, ABS = 1e-9, 1e-12


def _close(py, r) -> bool:
    if r is None:
        return py is None
    return py is not None and py == pytest.approx(r, rel=REL, abs=ABS)


def test_fixture_is_from_r_42():
    assert REF["r_version"].startswith("R version 4.2"), REF["r_version"]


@pytest.mark.parametrize("case", CASES)
def test_estimate_interval_and_level_match_r(case):
    r = CASES[case]
    py = stats.signed_rank_test(r["d"], 1 - r["conf"])
    assert ("exact" in py.method) == ("exact" in r["method"]), (py.method, r["method"])
    pairs = [("v", py.v, r["v"]), ("p", py.p, r["p"]),
             # R: wilcox.test(d, conf.int = TRUE, conf.level = conf)$estimate, $conf.int
             ("estimate", py.hl_estimate, r["estimate"]), ("ci_low", py.hl_ci_low, r["ci_low"]),
             ("ci_high", py.hl_ci_high, r["ci_high"])]
    if r["ci_low"] is not None:  # R: attr(wilcox.test(...)$conf.int, "conf.level")
        pairs.append(("conf_level", py.hl_conf_level, r["conf_level"]))
    bad = [f"{name}: Python {a!r} != R {b!r}" for name, a, b in pairs if not _close(a, b)]
    assert not bad, f"{case}: " + "; ".join(bad)


def test_issue_example():
    """Issue 23: changes 2.4, 1.3, 1.3, 0, 4.6."""
    sr = stats.signed_rank_test([2.4, 1.3, 1.3, 0, 4.6])
    # R: wilcox.test(c(2.4, 1.3, 1.3, 0, 4.6), conf.int = TRUE)$estimate
    assert sr.hl_estimate == pytest.approx(1.8839284908272109, abs=1e-12)
    # R: ...$conf.int = c(1.3, 2.9500295393783906), conf.level 0.6 ("not achievable")
    assert (sr.hl_ci_low, sr.hl_ci_high) == pytest.approx((1.3, 2.9500295393783906), abs=1e-12)
    assert sr.hl_conf_level == pytest.approx(0.6) and "not achievable" in sr.hl_method


def _walsh_median(d):
    x = np.asarray([v for v in d if v != 0], dtype=float)
    i, j = np.triu_indices(len(x))
    return float(np.median((x[i] + x[j]) / 2))


def test_the_walsh_median_is_not_r_on_the_normal_path():
    """The fixture is a test that can fail: on most normal-path cases the old answer (the
    median of the Walsh averages) is not R's estimate."""
    normal = [c for c in CASES.values() if "exact" not in c["method"] and c["ci_low"] is not None]
    missed = [c for c in normal if not _close(_walsh_median(c["d"]), c["estimate"])]
    assert len(missed) >= len(normal) - 2, len(missed)


def test_covers_ties_zeros_small_n_and_lowered_levels():
    normal = [c for c in CASES.values() if "exact" not in c["method"]]
    small = [c for c in normal if len(c["d"]) < 20]
    assert any(0 in c["d"] for c in small) and any(len(set(c["d"])) < len(c["d"]) for c in small)
    assert any(c["conf_level"] is not None and c["conf_level"] < c["conf"] - 1e-9 for c in normal)
    assert any(c["ci_low"] is None for c in normal)  # R: no interval (every non-zero d equal)
    assert any(len(c["d"]) >= 1000 for c in normal)


def test_qnorm_is_r_bit_for_bit():
    # R: sprintf("%.17g", c(qnorm(0.025), qnorm(0.025, lower.tail = FALSE), qnorm(0.2),
    #                      qnorm(0.05), qnorm(0.4, lower.tail = FALSE)))
    got = [qnorm(0.025), qnorm(0.025, lower_tail=False), qnorm(0.2), qnorm(0.05), qnorm(0.4, lower_tail=False)]
    assert got == [-1.9599639845400538, 1.9599639845400538, -0.84162123357291418, -1.6448536269514726,
                   0.25334710313579978]


def test_zeroin_finds_a_smooth_root_to_its_tolerance():
    r = zeroin(lambda x: x**3 - 2, 0.0, 2.0, -2.0, 6.0, tol=1e-10)
    assert r.root == pytest.approx(2 ** (1 / 3), abs=1e-9) and r.iterations > 0
    with pytest.raises(ValueError):
        zeroin(lambda x: x, 1.0, 2.0, 1.0, 2.0)


def test_statistic_on_distinct_values_equals_ranking_every_value():
    """W(mu) from the distinct values and their counts equals ranking all n values (scipy's
    rankdata, R's rank): the fast evaluation does not change a single value."""
    from scipy.stats import rankdata

    rng = np.random.default_rng(5)
    x = np.sort(np.round(rng.normal(-0.4, 1.0, 400), 1))
    x = x[x != 0]
    w = SignedRankZ(x)
    for mu in [-0.45, -0.4, -0.35, 0.0, 0.05, -1.2, x[0], x[-1]]:
        xd = x - mu
        xd = xd[xd != 0]
        r = rankdata(np.abs(xd))
        nx = len(xd)
        _, t = np.unique(r, return_counts=True)
        zd = r[xd > 0].sum() - nx * (nx + 1) / 4
        sigma = math.sqrt(nx * (nx + 1) * (2 * nx + 1) / 24 - np.sum(t.astype(float) ** 3 - t) / 48)
        assert w(mu) == pytest.approx((zd - math.copysign(0.5, zd)) / sigma, rel=1e-14), mu


def test_large_n_stays_fast():
    """1e6 changes in tenths (the build's case at scale): W on a few hundred distinct values."""
    import time

    rng = np.random.default_rng(9)
    d = np.round(rng.normal(-0.6, 1.1, 1_000_000), 1)
    start = time.perf_counter()
    sr = stats.signed_rank_test(d)
    assert time.perf_counter() - start < 10
    # HbA1c in tenths: W jumps across 0 at a Walsh average shared by many pairs, and every root
    # lies within uniroot's tolerance of it
    assert sr.hl_ci_low - 1e-4 <= sr.hl_estimate <= sr.hl_ci_high + 1e-4
    hl = hodges_lehmann_normal(np.sort(d[d != 0]))
    assert hl.estimate == sr.hl_estimate
