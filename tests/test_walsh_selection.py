"""Hodges-Lehmann above HL_MAX_N: Walsh-average order statistics selected without listing
the n(n+1)/2 averages must equal those of a full sort (the independent oracle here: every
average listed and sorted with numpy), on continuous data, on tied data (HbA1c in tenths),
on data with many equal values, and at the ranks Hodges-Lehmann asks for."""

import numpy as np
import pytest

from mscreport import stats


def _sorted_walsh(x):
    x = np.sort(np.asarray(x, dtype=float))
    i, j = np.triu_indices(len(x))
    return np.sort((x[i] + x[j]) / 2)


@pytest.mark.parametrize("kind", ["continuous", "tenths", "few_values", "one_outlier"])
def test_selection_equals_a_full_sort(kind):
    rng = np.random.default_rng(7)
    n = 1200
    x = {"continuous": rng.normal(-0.8, 1.0, n),
         "tenths": np.round(rng.normal(-0.8, 1.0, n), 1),
         "few_values": rng.choice([-0.3, -0.1, 0.2], n),
         "one_outlier": np.r_[np.round(rng.normal(0, 1, n - 1), 1), 40.0]}[kind]
    walsh = _sorted_walsh(x)
    m = len(walsh)
    ks = [0, 1, m // 3, m // 2 - 1, m // 2, m - 2, m - 1]
    xs = np.sort(x)
    for band in (1, 1000, 10**9):  # tiny band: the search must narrow to ties or a single pair
        assert [stats._walsh_select(xs, k, band=band) for k in ks] == [float(walsh[k]) for k in ks]


def test_hodges_lehmann_keeps_an_answer_above_the_listing_limit():
    rng = np.random.default_rng(11)
    d = np.round(rng.normal(-0.8, 1.0, stats.HL_MAX_N + 500), 1)
    sr = stats.signed_rank_test(d, 0.05)
    x = d[d != 0]
    walsh = _sorted_walsh(x)
    m = len(walsh)
    assert sr.hl_estimate == pytest.approx((walsh[m // 2 - 1] + walsh[m // 2]) / 2 if m % 2 == 0 else walsh[m // 2], abs=0)
    assert sr.hl_ci_low < sr.hl_estimate < sr.hl_ci_high
    assert sr.hl_method.startswith("normal approximation")
