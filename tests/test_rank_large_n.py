"""The rank tests' large-n path (stats.LARGE_N and up: ranks from one np.sort, scipy's
normal-approximation formulas) against scipy, the reference it replaces: with LARGE_N
lowered, the signed-rank, rank-sum, Spearman and Kruskal-Wallis results equal those of the
scipy path on random samples (tied and untied, with zeros, negative values, one group tiny,
HbA1c changes equal in decimal but not in binary, tie counts whose cube exceeds 2**53), and
mid_ranks equals scipy.stats.rankdata. And at n >= LARGE_N scipy's ranking is not called."""

import dataclasses

import numpy as np
import pytest
from scipy import stats as st

from mscreport.methods import stats

REL = 1e-12


def _sample(kind: str, n: int, rng) -> np.ndarray:
    """n values of one kind."""
    if kind == "continuous":
        return rng.normal(-0.3, 1.0, n)
    if kind == "tenths":
        return np.round(rng.normal(-0.3, 1.0, n), 1)
    if kind == "with_zeros":
        return rng.choice([-0.3, -0.1, 0.0, 0.0, 0.1, 0.2], n)
    if kind == "changes_of_tenths":  # follow-up - baseline: 7.7 - 8.2 != 7.8 - 8.3 in binary
        base = np.round(rng.normal(8.5, 1.2, n), 1)
        return np.round(base + np.round(rng.normal(-0.8, 1.0, n), 1), 1) - base
    if kind == "integers":
        return rng.integers(-4, 5, n).astype(float)
    if kind == "all_negative":
        return -np.abs(np.round(rng.normal(0.5, 1.0, n), 1)) - 0.1
    if kind == "signed_zeros":  # -0.0 and 0.0 are one value
        return rng.choice([-0.0, 0.0, 1.5, -1.5, 2.0], n)
    if kind == "large_values":
        return np.round(rng.normal(0, 1e6, n), -3)
    raise ValueError(kind)


KINDS = ["continuous", "tenths", "with_zeros", "changes_of_tenths", "integers", "all_negative",
         "signed_zeros", "large_values"]


def _fields(result) -> dict:
    return dataclasses.asdict(result)


def _assert_same(large: dict, reference: dict):
    """Every field equal: numbers to REL relative (in fact the same floats), text exactly."""
    assert large.keys() == reference.keys()
    for key, ref in reference.items():
        got = large[key]
        if isinstance(ref, float) and isinstance(got, float):
            assert got == pytest.approx(ref, rel=REL, abs=0), key
        else:
            assert got == ref, key


def _both_paths(monkeypatch, call):
    """(large-n path, scipy path) results of call()."""
    monkeypatch.setattr(stats, "LARGE_N", 10**12)
    reference = call()
    monkeypatch.setattr(stats, "LARGE_N", 1)
    return call(), reference


@pytest.mark.parametrize("kind", KINDS)
def test_signed_rank_large_path_equals_scipy(kind, monkeypatch):
    rng = np.random.default_rng(KINDS.index(kind))
    for n in (5, 20, 60, 61, 257, 1000, 4001):
        d = _sample(kind, n, rng)
        large, reference = _both_paths(monkeypatch, lambda: stats.signed_rank_test(d))
        _assert_same(_fields(large), _fields(reference))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("other", [1, 2, 7, 49, 300, 3000])
def test_rank_sum_large_path_equals_scipy(kind, other, monkeypatch):
    """One group of any size (down to a single patient) against a sample of each kind, both
    ways round (U is the first group's)."""
    rng = np.random.default_rng(other)
    x = _sample(kind, 800, rng)
    for y in (np.round(rng.normal(0.2, 1.0, other), 1), rng.normal(0, 2.0, other), _sample(kind, other, rng)):
        for a, b in ((x, y), (y, x)):
            large, reference = _both_paths(monkeypatch, lambda: stats.mann_whitney(a, b))
            _assert_same(_fields(large), _fields(reference))


def test_rank_sum_large_path_keeps_the_exact_test_small(monkeypatch):
    """With the threshold lowered to 1, small untied samples still get R's exact test."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, 12), rng.normal(1, 1, 9)
    large, reference = _both_paths(monkeypatch, lambda: stats.mann_whitney(x, y))
    assert large.method == "exact"
    _assert_same(_fields(large), _fields(reference))


@pytest.mark.parametrize("kind", KINDS)
def test_spearman_large_path_equals_scipy(kind, monkeypatch):
    """Above n = 1290 (the t approximation, as at large n) and below (rho only; the exact
    p stays AS 89), with continuous and tied partners, and with many distinct values (the
    argsort branch of mid_ranks) and few (the lookup branch)."""
    rng = np.random.default_rng(KINDS.index(kind) + 100)
    for n in (40, 1291, 5000):
        x = _sample(kind, n, rng)
        for y in (np.round(0.5 * x + rng.normal(0, 1, n), 1), rng.normal(0, 1, n) - 0.2 * x):
            for search_max in (stats.MID_RANK_LOOKUP_MAX, 3):
                monkeypatch.setattr(stats, "MID_RANK_LOOKUP_MAX", search_max)
                large, reference = _both_paths(monkeypatch, lambda: stats.spearman(x, y))
                _assert_same(_fields(large), _fields(reference))


@pytest.mark.parametrize("kind", KINDS)
def test_kruskal_large_path_equals_scipy(kind, monkeypatch):
    """Groups of very different sizes, one of a single patient, with R's table() tie count."""
    rng = np.random.default_rng(KINDS.index(kind) + 200)
    x = _sample(kind, 3000, rng)
    groups = (x[:1], x[1:40], x[40:1000], x[1000:], _sample("tenths", 500, rng))
    large, reference = _both_paths(monkeypatch, lambda: stats.kruskal_wallis(*groups))
    _assert_same(_fields(large), _fields(reference))


def test_tie_counts_beyond_two_to_the_53(monkeypatch):
    """Tie counts t > 208,063 (t^3 > 2**53: the tie term is rounded, and summed in scipy's
    layout) give the same signed-rank and rank-sum p as scipy."""
    rng = np.random.default_rng(12)
    d = rng.choice([-0.2, -0.1, 0.1, 0.3], 700_000, p=[0.4, 0.3, 0.2, 0.1])
    large, reference = _both_paths(monkeypatch, lambda: stats.signed_rank_test(d))
    assert max(np.unique(np.abs(d), return_counts=True)[1]) > 208_063
    _assert_same(_fields(large), _fields(reference))
    large, reference = _both_paths(monkeypatch, lambda: stats.mann_whitney(d[:300_000], d[300_000:]))
    _assert_same(_fields(large), _fields(reference))


def test_the_large_path_gives_the_same_floats_on_hba1c_like_data(monkeypatch):
    """The docstring's claim: the same floats as scipy 1.17 (pinned), not only within REL."""
    rng = np.random.default_rng(21)
    d = _sample("changes_of_tenths", 20_000, rng)
    y = np.round(rng.normal(7.5, 1.1, 20_000), 1)
    for call in (lambda: stats.signed_rank_test(d), lambda: stats.mann_whitney(d[:5000], d[5000:]),
                 lambda: stats.spearman(y, d), lambda: stats.kruskal_wallis(d[:100], d[100:9000], d[9000:])):
        large, reference = _both_paths(monkeypatch, call)
        assert large == reference


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("search_max", [65_536, 3])
def test_mid_ranks_equal_scipy_rankdata(kind, search_max, monkeypatch):
    monkeypatch.setattr(stats, "MID_RANK_LOOKUP_MAX", search_max)
    rng = np.random.default_rng(5)
    for n in (1, 2, 10, 2001):
        x = _sample(kind, n, rng)
        assert np.array_equal(stats.mid_ranks(x), st.rankdata(x))


def test_rank_runs_of_a_sample():
    runs = stats.RankRuns([3.0, 1.0, 2.0, 2.0, 1.0, 2.0, 2.0])
    assert runs.values.tolist() == [1.0, 2.0, 3.0]
    assert runs.counts.tolist() == [2, 4, 1]
    assert runs.mid.tolist() == [1.5, 4.5, 7.0]
    assert runs.ties and runs.n == 7
    assert runs.tie_term() == (8 - 2) + (64 - 4) + 0
    assert runs.rank_sum(np.array([1.0, 2.0, 3.0])) == 1.5 + 4.5 + 7.0
    empty = stats.RankRuns([])
    assert empty.n == 0 and not empty.ties and empty.rank_sum(np.array([])) == 0


def test_the_threshold():
    assert not stats.takes_large_n_path(stats.LARGE_N - 1)
    assert stats.takes_large_n_path(stats.LARGE_N)
    assert stats.takes_large_n_path(10**7)
    # n(n + 1) / 2 >= 2**52: rank sums could round, so scipy again
    assert not stats.takes_large_n_path(95_000_000)


def test_large_n_does_not_call_scipys_ranking(monkeypatch):
    """At n = LARGE_N (the real threshold) no rank test ranks with scipy: the calls that
    re-sort with a stable argsort fail if reached."""
    import scipy.stats

    rng = np.random.default_rng(8)
    n = stats.LARGE_N + stats.LARGE_N // 5  # zero changes are dropped: n_nonzero >= LARGE_N
    d = _sample("changes_of_tenths", n, rng)
    baseline = np.round(rng.normal(7.5, 1.1, n), 1)

    def fail(*args, **kwargs):
        raise AssertionError("scipy's ranking called at large n")

    for name in ("rankdata", "wilcoxon", "mannwhitneyu", "spearmanr", "kruskal"):
        monkeypatch.setattr(scipy.stats, name, fail)
    sr = stats.signed_rank_test(d)
    assert sr.n_nonzero >= stats.LARGE_N and sr.p is not None and sr.method.startswith("normal approximation")
    mw = stats.mann_whitney(d[: n // 3], d[n // 3:])
    assert mw.p is not None
    assert stats.spearman(baseline, d).p is not None
    assert stats.kruskal_wallis(d[:10], d[10:n // 2], d[n // 2:]).p is not None
    # and one below the threshold does reach scipy
    with pytest.raises(AssertionError, match="scipy's ranking"):
        stats.mann_whitney(d[:100], d[100:stats.LARGE_N - 1])


def test_is_constant_as_before():
    """is_constant (min and max, skipping NaN, no copies) decides as the definition it
    replaced: the range of the non-NaN values against 1e-10 x max(1, max |value|)."""
    rng = np.random.default_rng(3)

    def reference(a):
        a = np.asarray(a, dtype=float)
        a = a[~np.isnan(a)]
        return len(a) == 0 or float(np.ptp(a)) <= stats.ROUNDING * max(1.0, float(np.max(np.abs(a))))

    cases = [[], [np.nan], [np.nan, np.nan], [1.0], [np.nan, 2.0, 2.0 + 1e-14], [-3.0, -3.0 - 1e-12],
             [0.0, 1e-11], [0.0, 1e-9], [1e6, 1e6 + 1e-5], [1e6, 1e6 + 1e-3], [-np.inf, np.inf],
             np.full(5, -2.0) + np.array([0, 1, 2, 3, 4]) * 1e-17, np.arange(6.0).reshape(2, 3)]
    cases += [rng.normal(0, 10.0 ** rng.integers(-12, 3), 5) for _ in range(200)]
    for a in cases:
        assert stats.is_constant(a) == reference(a), a


def test_mid_ranks_refuse_nan():
    with pytest.raises(ValueError, match="NaN"):
        stats.mid_ranks([1.0, np.nan, 2.0])
