"""Hodges-Lehmann above HL_MAX_N: Walsh-average order statistics selected without listing
the n(n+1)/2 averages must equal those of a full sort (the independent oracle here: every
average listed and sorted with numpy), on continuous data, on tied data (HbA1c in tenths),
on data with many equal values, and at the ranks Hodges-Lehmann asks for."""

import numpy as np
import pytest

from mscreport.methods import stats


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
    # on R's normal path the estimate is uniroot's root of the signed-rank statistic: within
    # its tolerance (tol.root = 1e-4) of the jump at the median of the Walsh averages
    median = (walsh[m // 2 - 1] + walsh[m // 2]) / 2 if m % 2 == 0 else walsh[m // 2]
    assert sr.hl_estimate == pytest.approx(median, abs=1e-4)
    assert sr.hl_ci_low < sr.hl_estimate < sr.hl_ci_high
    assert sr.hl_method.startswith("normal approximation")


def _hl_ranks(m):
    """The ranks Hodges-Lehmann asks for (interval bounds and the two middle ranks) and the ends."""
    return [0, m // 40, m // 2 - 1, m // 2, m - 1 - m // 40, m - 1]


@pytest.mark.parametrize("kind", ["continuous", "tenths", "few_values", "changes_of_tenths"])
def test_order_statistics_above_the_listing_limit_equal_a_full_sort(kind, monkeypatch):
    """Each path above HL_MAX_N (distinct values and their counts; one search for all ranks)
    gives exactly what listing and sorting every Walsh average gives, and the path taken is
    the one expected for the data."""
    rng = np.random.default_rng(3)
    n = stats.HL_MAX_N + 200
    base = np.round(rng.normal(8.5, 1.2, n), 1)
    x = {"continuous": rng.normal(-0.8, 1.0, n),
         "tenths": np.round(rng.normal(-0.8, 1.0, n), 1),
         "few_values": rng.choice([-0.3, -0.1, 0.2], n),
         # follow-up - baseline in tenths: equal in decimal, not always in binary (7.7 - 8.2 != 7.8 - 8.3)
         "changes_of_tenths": np.round(base + np.round(rng.normal(-0.8, 1.0, n), 1), 1) - base}[kind]
    walsh = _sorted_walsh(x)
    ks = _hl_ranks(len(walsh))
    taken = []
    for name in ("_walsh_by_counts", "_walsh_select_many"):
        real = getattr(stats, name)
        monkeypatch.setattr(stats, name, lambda *a, _real=real, _name=name, **kw: taken.append(_name) or _real(*a, **kw))
    assert stats.walsh_order_statistics(x, ks) == [float(walsh[k]) for k in ks]
    assert taken == ["_walsh_select_many" if kind == "continuous" else "_walsh_by_counts"]


@pytest.mark.parametrize("band", [1, 50_000])
def test_one_search_for_several_ranks_equals_a_full_sort(band):
    """Several ranks in one search (bands split when a cut falls between them), down to bands
    of a single pair, on continuous and on tied data."""
    rng = np.random.default_rng(5)
    for x in (rng.normal(0, 1, 900), np.round(rng.normal(0, 1, 900), 1)):
        walsh = _sorted_walsh(x)
        ks = sorted(set(_hl_ranks(len(walsh)) + [len(walsh) // 3, len(walsh) // 3 + 1]))
        got = stats._walsh_select_many(np.sort(x), ks, band=band)
        assert got == {k: float(walsh[k]) for k in ks}


def test_by_counts_equals_a_full_sort_at_every_rank():
    rng = np.random.default_rng(9)
    x = np.sort(rng.choice(np.round(np.arange(-3, 3, 0.1), 1), 700))
    walsh = _sorted_walsh(x)
    values, counts = np.unique(x, return_counts=True)
    assert stats._walsh_by_counts(values, counts, range(len(walsh))) == [float(w) for w in walsh]


@pytest.mark.parametrize("kind", ["continuous", "tenths", "few_values", "changes_of_tenths", "one_value"])
def test_signed_rank_sum_equals_summing_scipy_ranks(kind):
    """V from the sorted |x| (mid-rank x count of positive values) is exactly the sum of
    scipy.stats.rankdata(|x|) over the positive x, and the tie flag is whether |x| has ties."""
    from scipy import stats as st

    rng = np.random.default_rng(13)
    n = 20_001
    base = np.round(rng.normal(8.5, 1.2, n), 1)
    x = {"continuous": rng.normal(-0.3, 1.0, n),
         "tenths": np.round(rng.normal(-0.3, 1.0, n), 1),
         "few_values": rng.choice([-0.3, -0.1, 0.1, 0.2, 0.3], n),
         "changes_of_tenths": np.round(base + np.round(rng.normal(-0.8, 1.0, n), 1), 1) - base,
         "one_value": np.full(n, -0.5)}[kind]
    x = x[x != 0]
    r = st.rankdata(np.abs(x))
    v, ties = stats.signed_rank_sum(x)
    assert v == float(r[x > 0].sum())
    assert ties == (len(np.unique(np.abs(x))) < len(x))
