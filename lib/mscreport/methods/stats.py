"""Statistical tests from scipy.stats and statsmodels, called with base R 4.2's defaults
(``t.test``, ``wilcox.test``, ``cor.test``, ``mcnemar.test``, ...) and checked against R to
1e-9 relative (``tests/r/reference.R`` makes the fixtures, ``tests/test_stats_vs_r.py``
compares).

What is ours is only what chooses R's variant where the libraries' defaults differ (each
choice is written where it is made, with the R documentation it follows) and what R has
that the libraries do not (or not to 1e-9): the Hodges-Lehmann estimate and interval, AS 89
for Spearman's exact p, Shapiro-Wilk as R's swilk.c, Kruskal-Wallis's tie count by
``table()``. ``tests/test_stats_library_defaults.py`` shows each library default missing R.

Conventions: change = follow-up - baseline (a fall is negative); all tests two-sided;
intervals at 1 - alpha. A statistic that cannot be computed is ``None`` with the reason in
``note``: never a made-up number (the cases where R stops or gives NA are guarded before the
library is called).

Large samples: scipy ranks with a stable argsort (``scipy.stats._stats_py._rankdata``:
argsort(kind="stable") + take_along_axis + put_along_axis, ~1.5 s per call at 1e7 values on
the 2-core build machine, where np.sort takes ~0.1 s), and a 1e7-patient report ranks the
same changes dozens of times. So from LARGE_N values on, the signed-rank, rank-sum,
Spearman and Kruskal-Wallis tests take a large-n path: the ranks from one np.sort of the
sample (``RankRuns``: each distinct value with its count and mid-rank; ``mid_ranks`` where
each value's rank is needed) and the normal approximation computed from them with scipy
1.17's own formulas, operation for operation (every rank sum is an exact half-integer below
2**52, and tie terms are summed in scipy's array layout), so the numbers are scipy's, not
merely close to them: ``tests/test_rank_large_n.py`` compares both paths on random samples
with LARGE_N lowered, and fails if scipy's ranking is reached at LARGE_N. Below LARGE_N
(and above about 9.5e7 values, where rank sums could round) scipy is called as before and
stays the reference; R's exact tests (fewer than 50 values) are never on the large-n path.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from scipy import special
from scipy import stats as st

from mscreport.methods.hodges_lehmann import hodges_lehmann_normal
from mscreport.methods.ols import fit_ols
from mscreport.methods.tidy import TidyResult

EXACT_BELOW = 50  # ?wilcox.test: "an exact p-value is computed if the samples contain less than 50 finite values and there are no ties"
HL_MAX_N = 3000  # above this many differences, Walsh-average order statistics by selection, not by listing
LARGE_N = 50_000  # from this many values on, the rank tests' large-n path (module docstring)
EXACT_RANK_SUMS = 2**52  # rank sums up to n(n + 1) / 2 below this are exact half-integers in float64
SW_NOTE = "Shapiro-Wilk not computed for n > 5000 (as R's shapiro.test)"


def _num(x) -> float | None:
    """A finite float, or None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _clean(x) -> np.ndarray:
    """The values of ``x`` as a contiguous float64 array without its NaNs (``x`` itself, not a
    copy, when it already is one without NaN: nothing here writes into its input)."""
    a = np.asarray(x, dtype="float64").ravel()  # a view when contiguous, else a copy
    nan = np.isnan(a)
    return a[~nan] if nan.any() else a


ROUNDING = 1e-10  # relative: values that differ by less are equal up to floating-point rounding


def is_constant(a) -> bool:
    """True when every value is equal up to floating-point rounding (e.g. follow-up = baseline
    - 2.0 gives changes whose SD is 3.6e-16, not 0): such data have zero variance, and every
    statistic that divides by a spread is undefined (None), never computed from the noise.
    NaNs are ignored (np.fmin / np.fmax skip them; all NaN counts as empty)."""
    a = np.asarray(a, dtype="float64")
    if a.size == 0:
        return True
    lo, hi = float(np.fmin.reduce(a, axis=None)), float(np.fmax.reduce(a, axis=None))
    if math.isnan(lo):  # every value NaN
        return True
    return hi - lo <= ROUNDING * max(1.0, abs(lo), abs(hi))  # max |a| is |min| or |max|


def _has_ties(a: np.ndarray) -> bool:
    return len(np.unique(a)) != len(a)


# ---------------------------------------------------------------- ranks (large-n path)
def takes_large_n_path(n: int) -> bool:
    """Whether a rank test of ``n`` values takes the large-n path: LARGE_N <= n, and
    n(n + 1) / 2 < 2**52 (about 9.5e7 values), so that every rank sum is an exact
    half-integer in float64 whatever the order it is summed in (above, scipy again)."""
    return LARGE_N <= n and n * (n + 1) // 2 < EXACT_RANK_SUMS


class RankRuns:
    """A sample's distinct values, sorted (``values``), each with how many times it occurs
    (``counts``), the index of its first occurrence in the sorted sample (``starts``) and its
    mid-rank (``mid``: the 1-based average rank of tied values, as R's ``rank`` and
    ``scipy.stats.rankdata`` give them, a half-integer and exact) -- everything a rank test
    needs, from one np.sort. ``n`` is the sample size."""

    def __init__(self, x, presorted: bool = False):
        s = np.asarray(x, dtype="float64") if presorted else np.sort(np.asarray(x, dtype="float64"))
        self.n = n = len(s)
        self.starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if n else np.zeros(0, dtype=np.int64)
        self.counts = np.diff(np.r_[self.starts, n])
        self.values = s[self.starts]
        # as scipy's _rankdata: the ordinal rank of the first (start + 1) + (count - 1) / 2
        self.mid = (self.starts + 1).astype("float64") + (self.counts.astype("float64") - 1) / 2

    @property
    def ties(self) -> bool:
        """Whether any value occurs more than once."""
        return len(self.values) < self.n

    def tie_term(self) -> np.float64:
        """sum(t^3 - t) over the tie counts t, as scipy's wilcoxon and mannwhitneyu sum it: over
        an array of length n holding each count at its run's first sorted position and 0
        elsewhere (scipy's ``_rankdata(return_ties=True)``). numpy's pairwise summation makes
        the layout matter once t^3 exceeds 2**53 (t > 208,063), so it is rebuilt, not a sum
        over the runs."""
        t = self.counts.astype("float64")
        terms = np.zeros(self.n)
        terms[self.starts] = t**3 - t  # scipy's t**3 - t, whose other entries are 0**3 - 0 = 0
        return np.sum(terms)

    def rank_sum(self, part) -> np.float64:
        """The sum of the mid-ranks of ``part``, sorted values of the sample (a group's values
        within the pooled sample, the positive differences within |d|): each distinct value's
        mid-rank times its count in ``part``. Products and partial sums are half-integers
        below 2**52 (``takes_large_n_path``), so exact: the same number as summing
        ``scipy.stats.rankdata(sample)`` over the part, in any order."""
        inside = np.searchsorted(part, self.values, side="right") - np.searchsorted(part, self.values, side="left")
        return np.sum(inside * self.mid)


MID_RANK_LOOKUP_MAX = 65_536  # up to this many distinct values, mid_ranks looks each value up


def mid_ranks(x, runs: RankRuns | None = None) -> np.ndarray:
    """The mid-ranks of ``x`` (1-based, ties get the average of their ranks) in the order of
    ``x``, which has no NaN: the same array as ``scipy.stats.rankdata(x)``, value for value
    (half-integers are exact), without its stable argsort. With few distinct values (HbA1c in
    tenths: a few hundred) each value's run is looked up by hashing (pandas.factorize: one
    pass, no sort); otherwise found by an argsort (unstable: mid-ranks do not depend on the
    order among equal values). ``runs`` = ``RankRuns(x)`` when the caller has them already."""
    x = np.asarray(x, dtype="float64")
    runs = RankRuns(x) if runs is None else runs
    if runs.n and np.isnan(runs.values[-1]):  # np.sort puts NaN last
        raise ValueError("mid_ranks: x has NaN")
    if len(runs.values) <= MID_RANK_LOOKUP_MAX:
        import pandas as pd

        codes, distinct = pd.factorize(x)  # x[i] == distinct[codes[i]] (-0.0 and 0.0 alike)
        return runs.mid[np.searchsorted(runs.values, distinct)][codes]
    ranks = np.empty(len(x))
    ranks[np.argsort(x)] = np.repeat(runs.mid, runs.counts)
    return ranks


# ---------------------------------------------------------------- signed-rank and HL
@dataclass(frozen=True)
class SignedRankResult(TidyResult):
    """Wilcoxon signed-rank test of paired differences against 0, with the
    Hodges-Lehmann (pseudo)median of the differences and its interval."""

    n_nonzero: int
    v: float | None  # sum of ranks of positive differences (R's V)
    p: float | None
    method: str
    hl_estimate: float | None
    hl_ci_low: float | None
    hl_ci_high: float | None
    hl_method: str
    hl_conf_level: float | None = None  # R's attr(conf.int, "conf.level"): 1 - alpha unless R lowers it


@lru_cache(maxsize=None)
def _signrank_cdf(n: int) -> np.ndarray:
    """P(V <= q), q = 0..n(n+1)/2, for the signed-rank statistic of n differences (R's
    csignrank). Neither scipy nor statsmodels has the signed-rank quantile (R's qsignrank)
    that R's Hodges-Lehmann interval needs."""
    top = n * (n + 1) // 2
    c = [1] + [0] * top
    for k in range(1, n + 1):
        for s in range(top, k - 1, -1):
            c[s] += c[s - k]
    return np.cumsum(np.array(c, dtype="float64") / 2.0**n)  # summed in R's order, as R


def qsignrank(p: float, n: int) -> int:
    """Smallest q with P(V <= q) >= p (R's qsignrank, with its 10 * DBL_EPSILON fuzz)."""
    return int(np.searchsorted(_signrank_cdf(n), p - 10 * np.finfo(float).eps))


def walsh_order_statistics(x, ks, presorted: bool = False) -> list[float]:
    """The ``ks``-th smallest (0-based) Walsh averages (x_i + x_j) / 2, i <= j, of ``x``: the
    values Hodges-Lehmann needs. Up to HL_MAX_N values they are listed (n(n+1)/2 of them) and
    selected with np.partition. Above, without listing them, and always the same values as
    listing gives:

    * data with at most HL_MAX_N distinct values (HbA1c in tenths of a %: a few hundred
      distinct changes at any n) by the distinct values and their counts
      (``_walsh_by_counts``: each distinct pair sum once, with its number of pairs);
    * otherwise by one search for all ``ks`` together (``_walsh_select_many``: O(n log n)
      per step): bisection on the pair sum narrows bands of at most a few million candidate
      pairs, which are then listed; each band is verified exactly (no pair below it sums to
      more, none above to less).

    ``presorted``: x is sorted already (not sorted again)."""
    x = np.asarray(x, dtype=float) if presorted else np.sort(np.asarray(x, dtype=float))
    n = len(x)
    if n <= HL_MAX_N:
        i, j = np.triu_indices(n)
        walsh = (x[i] + x[j]) / 2
        del i, j
        walsh = np.partition(walsh, sorted(set(ks)))
        return [float(walsh[k]) for k in ks]
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])  # first index of each distinct value
    if len(starts) <= HL_MAX_N:
        return _walsh_by_counts(x[starts], np.diff(np.r_[starts, n]), ks)
    got = _walsh_select_many(x, sorted(set(ks)))
    return [got[k] for k in ks]


def _walsh_by_counts(values, counts, ks) -> list[float]:
    """The ``ks``-th smallest (0-based) Walsh averages of data given as sorted distinct
    ``values`` with their ``counts``. Every pair of equal values has the same sum, computed
    as listing computes it (v_a + v_b in floating point), so the multiset of pair sums is
    each distinct pair sum with its number of pairs: c_a c_b for a < b, c_a (c_a + 1) / 2
    for a = b. Sorted once; each order statistic is then a search in the cumulated counts."""
    a, b = np.triu_indices(len(values))
    counts = np.asarray(counts, dtype=np.int64)
    sums = values[a] + values[b]
    pairs = np.where(a == b, counts[a] * (counts[a] + 1) // 2, counts[a] * counts[b])
    del a, b
    order = np.argsort(sums, kind="stable")
    sums, cum = sums[order], np.cumsum(pairs[order])
    return [float(sums[int(np.searchsorted(cum, k, side="right"))] / 2) for k in ks]


def _walsh_select(x, k: int, band: int = 2_000_000) -> float:
    """The k-th smallest (0-based) Walsh average of sorted ``x`` without listing all pairs
    (``_walsh_select_many`` for one rank)."""
    return _walsh_select_many(x, [k], band)[k]


def _walsh_select_many(x, ks, band: int = 2_000_000) -> dict[int, float]:
    """The ks-th smallest (0-based) Walsh averages of sorted ``x`` without listing all pairs,
    as {k: value}.

    One search serves every rank: a band of pair sums holding several wanted ranks is cut
    once for all of them, and split into one band per side when a cut falls between them
    (so the estimate's two middle ranks share every cut, and the interval's bounds the first
    ones). Pair sums are compared as computed (x_i + x_j in floating point, as the listing
    computes them), so the counts are exact and each value is the one listing would give; a
    band of equal sums (tied data) ends its search at once."""
    n = len(x)
    rows = np.arange(n)

    def upto(s):  # per row i: one past the last j >= i with x_i + x_j <= s
        j = np.searchsorted(x, s - x, side="right")
        for _ in range(4):  # s - x_i is rounded: settle the boundary on the sums themselves
            up = (j < n) & (x + x[np.minimum(j, n - 1)] <= s)
            down = (j > 0) & (x + x[np.maximum(j - 1, 0)] > s)
            if not (up.any() or down.any()):
                break
            j[up] = np.searchsorted(x, x[j[up]], side="right")
            down &= ~up
            j[down] = np.searchsorted(x, x[j[down] - 1], side="left")
        return np.maximum(j, rows)

    lo, hi = 2 * x[0] - 1.0, 2 * x[-1] + 1.0  # pair sums: none <= lo, all <= hi
    out: dict[int, float] = {}
    # bands still to narrow: (a, b, ranks in the band, last cut interpolated, size before it)
    todo = [(upto(lo), upto(hi), sorted(set(ks)), None, None)]
    while todo:
        a, b, group, interpolated, before = todo.pop()
        below, inside = int((a - rows).sum()), int((b - a).sum())
        # the next cut: interpolated on the rank (few steps on smooth data), or halfway when
        # the last interpolated cut did not halve the band
        interpolate = interpolated is None or not interpolated or 2 * inside <= before
        has = b > a
        low_sum, high_sum = (x + x[np.minimum(a, n - 1)])[has].min(), (x + x[np.maximum(b - 1, 0)])[has].max()
        if low_sum == high_sum:  # every candidate pair has the same sum (ties)
            out.update({k: float(low_sum / 2) for k in group})
            continue
        if inside <= band:
            row = np.repeat(np.flatnonzero(has), (b - a)[has])  # each candidate pair's i ...
            col = np.arange(inside) - np.repeat(np.cumsum((b - a)[has]) - (b - a)[has], (b - a)[has])
            sums = x[row] + x[a[row] + col]  # ... and its j, listed in row order
            del row, col
            sums = np.partition(sums, [k - below for k in group])
            out.update({k: float(sums[k - below] / 2) for k in group})
            continue
        target = (group[0] + group[-1]) / 2  # the middle of the wanted ranks
        share = (target - below + 0.5) / inside if interpolate else 0.5
        mid = low_sum + (high_sum - low_sum) * min(max(share, 0.001), 0.999)
        mid = low_sum if mid >= high_sum else mid  # adjacent floats: split off the smallest sum
        m = upto(mid)
        count = int((m - rows).sum())  # pairs with sum <= mid: ranks 0 .. count - 1
        lower, upper = [k for k in group if k < count], [k for k in group if k >= count]
        if upper:
            todo.append((m, b, upper, interpolate, inside))
        if lower:
            todo.append((a, m, lower, interpolate, inside))
    return out


def _signed_ranks(x, presorted: bool = False) -> tuple[float, RankRuns | None]:
    """(V, the runs of |x|) for ``signed_rank_sum``; runs None above EXACT_RANK_SUMS. From the
    sorted x: the positive x are its tail, and |x| sorted is a merge of two sorted runs (the
    negative x reversed and negated, then the rest), which a stable sort (timsort) does in
    one pass."""
    x = np.asarray(x, dtype="float64")
    n = len(x)
    if n * (n + 1) // 2 >= EXACT_RANK_SUMS:
        r = st.rankdata(np.abs(x))
        return float(r[x > 0].sum()), None
    xs = x if presorted else np.sort(x)
    negative, positive = np.searchsorted(xs, 0.0, side="left"), np.searchsorted(xs, 0.0, side="right")
    absolute = np.sort(np.concatenate([-xs[:negative][::-1], np.abs(xs[negative:])]), kind="stable")
    runs = RankRuns(absolute, presorted=True)
    return float(runs.rank_sum(xs[positive:])), runs


def signed_rank_sum(x) -> tuple[float, bool]:
    """(V, ties): V = the sum of the ranks of |x| (mid-ranks for ties) over the positive x
    (R's V), and whether |x| has ties. From the sorted |x| (``RankRuns.rank_sum``: each
    distinct value's mid-rank times the number of positive x with that value; mid-ranks are
    half-integers and V is below 2**52, so every product and sum is exact): the same V as
    summing ``scipy.stats.rankdata(abs(x))[x > 0]``, which is used above that size."""
    x = np.asarray(x, dtype="float64")
    v, runs = _signed_ranks(x)
    return v, (_has_ties(np.abs(x)) if runs is None else runs.ties)


def _signed_rank_normal_p(v: float, runs: RankRuns) -> float:
    """Two-sided p of the signed-rank statistic V of ``runs.n`` non-zero differences by the
    normal approximation with tie and continuity correction: R's wilcox.test (correct =
    TRUE), in the operations and order of scipy 1.17's ``wilcoxon(zero_method="wilcox",
    correction=True, method="asymptotic")`` (scipy/stats/_wilcoxon.py: _wilcoxon_statistic,
    _wilcoxon_nd, _get_pvalue), so the same float: z = (V - n(n+1)/4) / sigma,
    sigma = sqrt((n(n+1)(2n+1) - sum(t^3 - t) / 2) / 24), z -= sign(z) 0.5 / sigma,
    p = 2 Phi(-|z|). For the large-n path only (scipy re-sorts: module docstring)."""
    count = np.float64(runs.n)
    mn = count * (count + 1.) * 0.25
    se = count * (count + 1.) * (2. * count + 1.)
    se = np.sqrt((se - runs.tie_term() / 2) / 24)
    z = (np.float64(v) - mn) / se
    z = z - np.sign(z) * 0.5 / se
    return float(2 * special.ndtr(-np.abs(z)))


def signed_rank_test(d, alpha: float = 0.05) -> SignedRankResult:
    """R's ``wilcox.test(d, conf.int = TRUE)`` (two-sided, mu = 0, correct = TRUE):
    scipy.stats.wilcoxon for the test; Hodges-Lehmann as R: on the exact path the Walsh
    averages (their median, and the order statistics at the signed-rank quantiles), on the
    normal path (ties, zeros, n >= 50) the roots R's uniroot finds (``hodges_lehmann``)."""
    d = _clean(d)
    ds = np.sort(d)  # one sort serves the signed ranks and Hodges-Lehmann
    # ?wilcox.test: zero differences are dropped (scipy's zero_method="wilcox")
    first_zero, past_zero = np.searchsorted(ds, 0.0, side="left"), np.searchsorted(ds, 0.0, side="right")
    x = np.concatenate([ds[:first_zero], ds[past_zero:]])  # the non-zero differences, sorted
    del ds
    zeros = len(x) < len(d)
    n = len(x)
    if n == 0:
        return SignedRankResult(0, None, None, "not computed: every difference is 0", None, None, None, "not computed")
    v, runs = _signed_ranks(x, presorted=True)
    ties = _has_ties(np.abs(x)) if runs is None else runs.ties
    # R's default (exact = NULL): exact for n < 50 without ties or zeros; otherwise the normal
    # approximation with tie correction and, by correct = TRUE, continuity correction.
    # scipy's method="auto" differs: exact up to n = 50 (R: below 50), and with ties or zeros
    # a permutation test for n <= 13.
    exact = n < EXACT_BELOW and not ties and not zeros
    if exact:
        method = "exact"
    else:
        method = "normal approximation with continuity correction" + (" (ties)" if ties else "") + (
            " (zeros dropped)" if zeros else "")
    if not exact and runs is not None and takes_large_n_path(n):
        p = _signed_rank_normal_p(v, runs)  # scipy's formula without its re-sort
    else:
        # in the data's order, as before
        p = st.wilcoxon(d[d != 0], zero_method="wilcox", correction=True,
                        method="exact" if exact else "asymptotic").pvalue
    if not exact:
        # R finds the estimate and the interval by uniroot on the normal statistic of the
        # shifted differences (the interval's with, the estimate's without the continuity
        # correction): neither is a Walsh-average order statistic (hodges_lehmann.py)
        hl = hodges_lehmann_normal(x, alpha)
        hl_method = "normal approximation (roots of the signed-rank statistic, R's uniroot)" + (
            f"; {hl.note}" if hl.note else "")
        return SignedRankResult(n, v, _num(p), method, hl.estimate, hl.ci_low, hl.ci_high, hl_method, hl.conf_level)
    # wilcox.test(conf.int = TRUE), exact: the Walsh averages at qsignrank(alpha / 2, n), the
    # estimate their median
    m = n * (n + 1) // 2  # Walsh averages (x_i + x_j) / 2, i <= j
    qu = max(qsignrank(alpha / 2, n), 1)
    kth = (qu - 1, m - qu)
    hl_method = "exact (Walsh averages at signed-rank quantiles)"
    conf_level = 1 - alpha
    achieved = 2 * float(_signrank_cdf(n)[qu - 1])  # R: achieved.alpha <- 2 * psignrank(trunc(qu) - 1, n)
    if achieved - alpha > alpha / 2:  # R: "requested conf.level not achievable"
        conf_level = 1 - float(f"{achieved:.2g}")  # R: 1 - signif(achieved.alpha, 2)
        hl_method += f"; requested confidence level not achievable: R's interval is at {conf_level:g}"
    half = m // 2
    wanted = sorted({*kth, half, max(half - 1, 0)})
    got = dict(zip(wanted, walsh_order_statistics(x, wanted, presorted=True)))
    est = got[half] if m % 2 else (got[half - 1] + got[half]) / 2
    lo, hi = got[kth[0]], got[kth[1]]
    return SignedRankResult(n, v, _num(p), method, est, lo, hi, hl_method, conf_level)


# ---------------------------------------------------------------- Shapiro-Wilk
# Royston's algorithm AS R94 (Appl. Statist. 1995;44:547-551) in double precision, as R's
# shapiro.test (src/library/stats/src/swilk.c). Kept rather than scipy.stats.shapiro, which
# runs its own translation of AS R94 on the data minus their median (scipy gh-15777) and
# differs from R 4.2 on the fixture's shapiro_grid by up to 7e-9 relative in p for n <= 120
# and 4.6e-7 at n = 5000 (scipy 1.17.1): beyond the 1e-9 agreement tests/test_stats_vs_r.py
# requires (test_scipy_shapiro_still_differs_from_r shows it).
_SW_C1 = (0.0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056)
_SW_C2 = (0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633)
_SW_C3 = (0.544, -0.39978, 0.025054, -6.714e-4)
_SW_C4 = (1.3822, -0.77857, 0.062767, -0.0020322)
_SW_C5 = (-1.5861, -0.31082, -0.083751, 0.0038915)
_SW_C6 = (-0.4803, -0.082676, 0.0030302)
_SW_G = (-2.273, 0.459)


def _sw_poly(c: tuple, x: float) -> float:
    """c[0] + c[1] x + ... + c[k] x^k, evaluated in the order of AS 181.2."""
    if len(c) == 1:
        return c[0]
    p = x * c[-1]
    for coef in c[-2:0:-1]:
        p = (p + coef) * x
    return c[0] + p


def _sw_coefficients(n: int) -> list[float]:
    """AS R94's coefficients a[1..n//2] (1-based; a[0] unused)."""
    nn2 = n // 2
    a = [0.0] * (nn2 + 1)
    if n == 3:
        a[1] = 0.70710678  # sqrt(1/2) to AS R94's 8 digits, as R
        return a
    a[1:] = st.norm.ppf((np.arange(1, nn2 + 1) - 0.375) / (n + 0.25)).tolist()
    summ2 = 0.0
    for i in range(1, nn2 + 1):  # summed in swilk.c's order
        summ2 += a[i] * a[i]
    summ2 *= 2.0
    ssumm2 = math.sqrt(summ2)
    rsn = 1.0 / math.sqrt(n)
    a1 = _sw_poly(_SW_C1, rsn) - a[1] / ssumm2
    if n > 5:
        first = 3
        a2 = -a[2] / ssumm2 + _sw_poly(_SW_C2, rsn)
        fac = math.sqrt((summ2 - 2.0 * a[1] * a[1] - 2.0 * a[2] * a[2]) / (1.0 - 2.0 * a1 * a1 - 2.0 * a2 * a2))
        a[2] = a2
    else:
        first = 2
        fac = math.sqrt((summ2 - 2.0 * a[1] * a[1]) / (1.0 - 2.0 * a1 * a1))
    a[1] = a1
    for i in range(first, nn2 + 1):
        a[i] /= -fac
    return a


def shapiro_wilk(x) -> tuple[float | None, float | None]:
    """Shapiro-Wilk W and p-value, as R's ``shapiro.test(x)``: (None, None) unless
    3 <= n <= 5000 and the values are not all equal (where R stops with an error)."""
    x = np.sort(_clean(x))
    n = len(x)
    if n < 3 or n > 5000:
        return None, None
    rng = float(x[-1] - x[0])
    if rng == 0:
        return None, None
    if rng < 1e-10:  # shapiro.test rescales tiny ranges
        x = x / rng
        rng = float(x[-1] - x[0])
    a = _sw_coefficients(n)
    # coefficient of each order statistic: -a[1], -a[2], ..., (0 in the middle), ..., a[2], a[1]
    coef = [0.0 if i == n - 1 - i else math.copysign(a[1 + min(i, n - 1 - i)], i - (n - 1 - i))
            for i in range(n)]
    xs = [float(v) / rng for v in x]
    sa = sx = 0.0
    for c, v in zip(coef, xs):
        sa += c
        sx += v
    sa /= n
    sx /= n
    ssa = ssx = sax = 0.0
    for c, v in zip(coef, xs):
        asa, xsx = c - sa, v - sx
        ssa += asa * asa
        ssx += xsx * xsx
        sax += asa * xsx
    ssassx = math.sqrt(ssa * ssx)
    w1 = (ssassx - sax) * (ssassx + sax) / (ssa * ssx)  # 1 - W, without cancellation
    w = 1.0 - w1
    if n == 3:  # exact
        return w, max(1.90985931710274 * (math.asin(math.sqrt(w)) - 1.04719755119660), 0.0)
    y = math.log(w1)
    if n <= 11:
        gamma = _sw_poly(_SW_G, float(n))
        if y >= gamma:
            return w, 1e-99  # as R: "an 'obvious' value"
        y = -math.log(gamma - y)
        m = _sw_poly(_SW_C3, float(n))
        s = math.exp(_sw_poly(_SW_C4, float(n)))
    else:
        m = _sw_poly(_SW_C5, math.log(n))
        s = math.exp(_sw_poly(_SW_C6, math.log(n)))
    return w, float(st.norm.sf((y - m) / s))


# ---------------------------------------------------------------- paired analysis
PAIRED_KEYS = ("n", "baseline_mean", "baseline_sd", "followup_mean", "followup_sd",
               "mean_change", "sd_change", "ci_low", "ci_high", "t", "df", "p",
               "wilcoxon_p", "cohens_dz")


@dataclass(frozen=True)
class PairedResult(TidyResult):
    """Paired analysis of HbA1c before and after (NGSP %; change = follow-up - baseline).

    The first fourteen fields are interface.md's PAIRED; the rest complete the picture.
    ``cohens_dz`` = mean change / SD of change (the paired-design effect size d_z).
    """

    n: int
    baseline_mean: float | None
    baseline_sd: float | None
    followup_mean: float | None
    followup_sd: float | None
    mean_change: float | None
    sd_change: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: float | None
    p: float | None
    wilcoxon_p: float | None
    cohens_dz: float | None
    se_change: float | None = None
    shapiro_w: float | None = None
    shapiro_p: float | None = None
    wilcoxon_v: float | None = None
    wilcoxon_method: str = ""
    hl_estimate: float | None = None
    hl_ci_low: float | None = None
    hl_ci_high: float | None = None
    hl_conf_level: float | None = None  # R's level of the HL interval (lower than 1 - alpha where R cannot reach it)
    note: str = ""

    def interface(self) -> dict:
        """The PAIRED block of results.json."""
        d = asdict(self)
        return {k: d[k] for k in PAIRED_KEYS}

    def as_dict(self) -> dict:
        return asdict(self)


def _sd(a: np.ndarray) -> float | None:
    return _num(np.std(a, ddof=1)) if len(a) >= 2 else None


def paired_test(baseline, followup, alpha: float = 0.05, rank_tests: bool = True) -> PairedResult:
    """Paired t-test of follow-up vs baseline (R: ``t.test(followup, baseline, paired = TRUE)``),
    with Wilcoxon signed-rank, Hodges-Lehmann, Shapiro-Wilk on the change and Cohen's d_z.

    ``rank_tests=False`` leaves out Shapiro-Wilk, Wilcoxon and Hodges-Lehmann (None, said
    in ``note``), for callers that use only the t-test (e.g. the threshold sensitivity table)."""
    b, f = _pairs(baseline, followup)
    d = f - b
    n = len(d)
    if n == 0:
        return PairedResult(0, *([None] * 13), note="no patients")
    mean_d = _num(np.mean(d))
    base = dict(n=n, baseline_mean=_num(np.mean(b)), baseline_sd=_sd(b),
                followup_mean=_num(np.mean(f)), followup_sd=_sd(f), mean_change=mean_d)
    if n < 2:
        return PairedResult(**base, sd_change=None, ci_low=None, ci_high=None, t=None, df=None, p=None,
                            wilcoxon_p=None, cohens_dz=None, note="n < 2: no SD, test or interval")
    sd_d = 0.0 if is_constant(d) else float(np.std(d, ddof=1))
    df = n - 1
    se = sd_d / math.sqrt(n)
    notes = []
    if sd_d == 0:  # R's t.test stops: "data are essentially constant"
        t = p = lo = hi = dz = None
        notes.append("every change is identical (SD 0): t and d_z undefined")
    else:
        res = st.ttest_rel(f, b)
        t, p = res.statistic, res.pvalue
        lo, hi = res.confidence_interval(1 - alpha)
        dz = mean_d / sd_d
    sw_w = sw_p = None
    if not rank_tests:
        notes.append("Shapiro-Wilk, Wilcoxon and Hodges-Lehmann not computed (t-test only requested)")
        return PairedResult(**base, sd_change=sd_d, ci_low=_num(lo), ci_high=_num(hi), t=_num(t), df=float(df),
                            p=_num(p), wilcoxon_p=None, cohens_dz=_num(dz), se_change=se, note="; ".join(notes))
    if 3 <= n <= 5000 and sd_d > 0:
        sw_w, sw_p = shapiro_wilk(d)
    elif n > 5000:
        notes.append(SW_NOTE)
    sr = signed_rank_test(d, alpha)
    return PairedResult(**base, sd_change=sd_d, ci_low=_num(lo), ci_high=_num(hi), t=_num(t), df=float(df),
                        p=_num(p), wilcoxon_p=sr.p, cohens_dz=_num(dz), se_change=se,
                        shapiro_w=sw_w, shapiro_p=sw_p, wilcoxon_v=sr.v, wilcoxon_method=sr.method,
                        hl_estimate=sr.hl_estimate, hl_ci_low=sr.hl_ci_low, hl_ci_high=sr.hl_ci_high,
                        hl_conf_level=sr.hl_conf_level, note="; ".join(notes))


# ---------------------------------------------------------------- two groups
@dataclass(frozen=True)
class WelchResult(TidyResult):
    """Welch two-sample t-test of x - y (R: ``t.test(x, y)``)."""

    t: float | None
    df: float | None
    p: float | None
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    note: str = ""


def welch_test(x, y, alpha: float = 0.05) -> WelchResult:
    """Welch two-sample t-test of mean(x) - mean(y), with its 1 - alpha interval (R: ``t.test(x, y)``,
    whose default var.equal = FALSE is scipy's ``equal_var=False``)."""
    x, y = _clean(x), _clean(y)
    if len(x) < 2 or len(y) < 2:  # R: "not enough 'x' observations"
        return WelchResult(None, None, None, None, None, None, "each group needs at least 2 patients")
    diff = float(np.mean(x) - np.mean(y))
    if is_constant(x) and is_constant(y):  # R: "data are essentially constant"
        return WelchResult(None, None, None, diff, None, None, "no variation in either group")
    with warnings.catch_warnings():
        # one group without variation (e.g. every change 0.5) is fine for Welch's t, whose SE
        # then comes from the other group (as R's t.test); scipy warns of precision loss for it
        warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        res = st.ttest_ind(x, y, equal_var=False)
    lo, hi = res.confidence_interval(1 - alpha)
    return WelchResult(float(res.statistic), float(res.df), float(res.pvalue), diff, float(lo), float(hi))


@dataclass(frozen=True)
class MannWhitneyResult(TidyResult):
    """Wilcoxon rank-sum / Mann-Whitney test (R: ``wilcox.test(x, y)``); u is R's W for x."""

    u: float | None
    p: float | None
    method: str


def mann_whitney(x, y) -> MannWhitneyResult:
    """Wilcoxon rank-sum (Mann-Whitney) test, two-sided; u is R's W for x (R: ``wilcox.test(x, y)``)."""
    x, y = _clean(x), _clean(y)
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        return MannWhitneyResult(None, None, "not computed: a group is empty")
    both = np.concatenate([x, y])
    large = takes_large_n_path(m + n)
    runs = RankRuns(both) if large else None
    distinct = len(runs.values) if large else len(np.unique(both))
    ties = distinct < m + n
    # R's default (exact = NULL): exact when both samples have fewer than 50 values and there
    # are no ties; otherwise the normal approximation with tie correction and, by
    # correct = TRUE, continuity correction (scipy's use_continuity=True). scipy's
    # method="auto" differs: asymptotic as soon as both samples have more than 8 values.
    exact = m < EXACT_BELOW and n < EXACT_BELOW and not ties
    if distinct == 1:  # R: p NA (zero variance of W)
        return MannWhitneyResult(m * n / 2, None, "not computed: all values tied")
    if large and not exact:  # scipy's formula without its re-sort (module docstring)
        u, p = _rank_sum_normal(x, runs)
    else:
        res = st.mannwhitneyu(x, y, use_continuity=True, alternative="two-sided",
                              method="exact" if exact else "asymptotic")
        u, p = float(res.statistic), float(res.pvalue)
    if exact:
        return MannWhitneyResult(u, p, "exact")
    return MannWhitneyResult(u, p, "normal approximation with continuity correction" + (" (ties)" if ties else ""))


def _rank_sum_normal(x, runs: RankRuns) -> tuple[float, float]:
    """(U of x, two-sided p) of the rank-sum test of ``x`` against the rest of the pooled
    sample ``runs``, by the normal approximation with tie and continuity correction: R's
    wilcox.test(x, y) (correct = TRUE), in the operations and order of scipy 1.17's
    ``mannwhitneyu(use_continuity=True, method="asymptotic")`` (scipy/stats/_mannwhitneyu.py:
    mannwhitneyu, _get_mwu_z), so the same floats: U1 = R1 - m(m+1)/2, U = max(U1, mn - U1),
    sigma = sqrt(mn/12 ((N+1) - sum(t^3 - t) / (N(N-1)))), z = (U - mn/2 - 0.5) / sigma,
    p = 2 Phi(-z) clipped to [0, 1]. For the large-n path only (scipy re-sorts)."""
    n1 = len(x)
    n2 = runs.n - n1
    r1 = runs.rank_sum(np.sort(x))
    u1 = r1 - n1 * (n1 + 1) / 2
    u = np.maximum(u1, n1 * n2 - u1)
    mu = n1 * n2 / 2
    big_n = n1 + n2
    s = np.sqrt(n1 * n2 / 12 * ((big_n + 1) - runs.tie_term() / (big_n * (big_n - 1))))
    z = (u - mu - 0.5) / s
    p = special.ndtr(-z) * 2
    return float(u1), float(np.clip(p, 0., 1.))


# ---------------------------------------------------------------- correlation
@dataclass(frozen=True)
class PearsonResult(TidyResult):
    """Pearson r with its t-test and Fisher-z interval (R: ``cor.test(x, y)``)."""

    n: int
    r: float | None
    p: float | None
    ci_low: float | None
    ci_high: float | None
    note: str = ""


def _pairs(x, y):
    """The complete pairs of ``x`` and ``y`` (neither NaN) as contiguous float64 arrays: ``x``
    and ``y`` themselves, not copies, when none is missing (nothing here writes into its
    input)."""
    x = np.asarray(x, dtype="float64").ravel()  # a view when contiguous, else a copy
    y = np.asarray(y, dtype="float64").ravel()
    keep = ~(np.isnan(x) | np.isnan(y))
    return (x, y) if keep.all() else (x[keep], y[keep])


def pearson(x, y, alpha: float = 0.05) -> PearsonResult:
    """Pearson r of the complete pairs, t-test p and Fisher-z 1 - alpha interval (R: ``cor.test(x, y)``;
    scipy.stats.pearsonr's p and its default confidence interval are the same test and interval)."""
    x, y = _pairs(x, y)
    n = len(x)
    if n < 3 or is_constant(x) or is_constant(y):  # R: "not enough finite observations" / NA
        return PearsonResult(n, None, None, None, None, "needs n >= 3 and variation in both variables")
    res = st.pearsonr(x, y)
    if n <= 3:  # cor.test gives an interval only for n > 3
        return PearsonResult(n, float(res.statistic), float(res.pvalue), None, None, "interval needs n > 3")
    lo, hi = res.confidence_interval(1 - alpha)
    return PearsonResult(n, float(res.statistic), float(res.pvalue), float(lo), float(hi))


@dataclass(frozen=True)
class SpearmanResult(TidyResult):
    """Spearman rho (R: ``cor.test(x, y, method = "spearman")``)."""

    n: int
    rho: float | None
    p: float | None
    method: str


def _prho_exact(n: int, s: float, lower_tail: bool) -> float:
    """Exact P(S >= s) (or P(S < s)) over all n! permutations, for n <= 9."""
    perms = np.array(list(itertools.permutations(range(1, n + 1))), dtype=np.int64)
    ssum = ((perms - np.arange(1, n + 1)) ** 2).sum(axis=1)
    upper = np.count_nonzero(ssum >= s)
    total = len(perms)
    return (total - upper) / total if lower_tail else upper / total


def _prho(n: int, s: float, lower_tail: bool) -> float:
    """AS 89 (R's prho.c): P(S >= s), or P(S < s) with lower_tail; S = sum (i - r_i)^2.
    Neither scipy nor statsmodels has it (scipy.stats.spearmanr's p is the t approximation)."""
    pv = 0.0 if lower_tail else 1.0
    if n <= 1 or s <= 0:
        return pv
    n3 = n * (n * n - 1) / 3
    if s > n3:
        return 1 - pv
    if n <= 9:
        return _prho_exact(n, s, lower_tail)
    c = (0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932, 0.0879, 0.0151, 0.0072, 0.0831, 0.0131, 4.6e-4)
    b = 1 / n
    x = (6 * (s - 1) * b / (n * n - 1) - 1) * math.sqrt(1 / b - 1)
    y = x * x
    u = x * b * (c[0] + b * (c[1] + c[2] * b) + y * (-c[3] + b * (c[4] + c[5] * b)
                 - y * b * (c[6] + c[7] * b - y * (c[8] - c[9] * b + y * b * (c[10] - c[11] * y)))))
    y = u / math.exp(y / 2)
    pv = (-y if lower_tail else y) + float(st.norm.cdf(x) if lower_tail else st.norm.sf(x))
    return min(max(pv, 0.0), 1.0)


def spearman(x, y) -> SpearmanResult:
    """Spearman rho of the complete pairs and its p (R: ``cor.test(x, y, method = "spearman")``)."""
    x, y = _pairs(x, y)
    n = len(x)
    if n < 3 or is_constant(x) or is_constant(y):
        return SpearmanResult(n, None, None, "not computed: needs n >= 3 and variation in both variables")
    if takes_large_n_path(n):  # scipy's formula without its re-sorts (module docstring)
        rho, p_t, ties = _spearman_large(x, y)
    else:
        res = st.spearmanr(x, y)
        rho, p_t = float(res.statistic), float(res.pvalue)
        ties = _has_ties(x) or _has_ties(y)
    # ?cor.test: exact = NULL computes an exact p for n < 1290 without ties; R 4.2's code
    # (cor.test.default) runs AS 89 ``if (n <= 1290 && exact)``; otherwise the t approximation,
    # which is scipy.stats.spearmanr's p.
    if n <= 1290 and not ties:
        q = (n**3 - n) * (1 - rho) / 6
        if q > (n**3 - n) / 6:
            p1 = _prho(n, round(q), lower_tail=False)
        else:
            p1 = _prho(n, round(q) + 2, lower_tail=True)
        return SpearmanResult(n, rho, min(2 * p1, 1.0), "exact (AS 89)" if n > 9 else "exact")
    if abs(rho) == 1:
        return SpearmanResult(n, rho, 0.0, "t approximation")
    return SpearmanResult(n, rho, p_t, "t approximation" + (" (ties)" if ties else ""))


def _spearman_large(x, y) -> tuple[float, float, bool]:
    """(rho, t-approximation p, whether x or y has ties) for ``spearman``'s large-n path, as
    scipy 1.17's ``spearmanr(x, y)`` computes them (scipy/stats/_stats_py.py: spearmanr,
    _get_pvalue, _SimpleStudentT): rho = np.corrcoef of the mid-ranks, laid out as scipy
    lays them out (a (2, n) C-ordered array reaches the covariance's dot product there too),
    t = rho sqrt(df / ((rho + 1)(1 - rho))), p = 2 P(T_df > |t|), df = n - 2. The mid-ranks
    are scipy's exactly (``mid_ranks``), so rho and p are the same floats."""
    n = len(x)
    rx, ry = RankRuns(x), RankRuns(y)
    ranked = np.empty((2, n))
    ranked[0], ranked[1] = mid_ranks(x, rx), mid_ranks(y, ry)
    rs = np.corrcoef(ranked)[1, 0]
    del ranked
    dof = n - 2
    with np.errstate(divide="ignore"):
        t = rs * np.sqrt(np.clip(dof / ((rs + 1.0) * (1.0 - rs)), 0, None))
    p = 2 * special.stdtr(dof, -np.abs(t))
    return float(rs), float(p), rx.ties or ry.ties


# ---------------------------------------------------------------- several groups
@dataclass(frozen=True)
class KruskalResult(TidyResult):
    """Kruskal-Wallis rank-sum test (R: ``kruskal.test(x, g)``)."""

    h: float | None
    df: int | None
    p: float | None


def kruskal_wallis(*groups) -> KruskalResult:
    """As R's ``kruskal.test``. Its tie correction counts ties with ``table(x)``, i.e. among the
    values printed to 15 significant digits, while the ranks use the exact values; so two
    changes equal in decimal but not in binary (7.7 - 8.2 = -0.49999999999999911 and
    7.8 - 8.3 = -0.50000000000000089) are ranked apart but corrected for as a tie.
    scipy.stats.kruskal counts only exact ties (up to 5e-5 relative difference in H on the
    bundled cohort), so H is computed here from scipy's ranks with R's tie count."""
    samples = [_clean(g) for g in groups]
    samples = [g for g in samples if len(g)]
    k = len(samples)
    x = np.concatenate(samples) if samples else np.array([])
    n = len(x)
    if k < 2 or n < 2:
        return KruskalResult(None, None, None)
    total = 0.0
    if takes_large_n_path(n):  # rank sums from one sort, not scipy's argsort (module docstring)
        runs = RankRuns(x)
        for g in samples:
            total += runs.rank_sum(np.sort(g)) ** 2 / len(g)
        values, counts = runs.values, runs.counts
    else:
        r = st.rankdata(x)
        start = 0
        for g in samples:
            total += r[start:start + len(g)].sum() ** 2 / len(g)
            start += len(g)
        values, counts = np.unique(x, return_counts=True)
    # R's table(x): values grouped by their 15-significant-digit text; formatted once per
    # distinct value (not once per patient), the counts of values sharing a text added up
    _, label = np.unique(np.array([f"{v + 0.0:.15g}" for v in values]), return_inverse=True)
    ties = np.bincount(label, weights=counts)
    correction = 1 - float(np.sum(ties**3 - ties)) / (n**3 - n)
    if correction == 0:
        return KruskalResult(None, k - 1, None)
    h = (12 * total / (n * (n + 1)) - 3 * (n + 1)) / correction
    return KruskalResult(float(h), k - 1, float(st.chi2.sf(h, k - 1)))


# ---------------------------------------------------------------- proportions, multiplicity
@dataclass(frozen=True)
class McNemarResult(TidyResult):
    """McNemar's test with continuity correction (R: ``mcnemar.test(table(before, after))``)."""

    n: int
    below_before: int
    below_after: int
    became_below: int  # above target before, below after
    became_above: int  # below before, above after
    statistic: float | None
    p: float | None
    note: str = ""


def mcnemar(before_below, after_below) -> McNemarResult:
    """McNemar's test of paired yes/no (e.g. below target before and after), continuity-corrected (R: ``mcnemar.test``)."""
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    a = np.asarray(before_below, dtype=bool)
    b = np.asarray(after_below, dtype=bool)
    became_below = int(np.sum(~a & b))
    became_above = int(np.sum(a & ~b))
    stat = p = None
    note = ""
    if became_below + became_above == 0:  # R: statistic NaN, p NA
        note = "no patient changed side of the target: test undefined"
    else:
        table = [[int(np.sum(a & b)), became_above], [became_below, int(np.sum(~a & ~b))]]
        # mcnemar.test(correct = TRUE) subtracts 1 from |b - c| only when the discordant counts
        # differ (its code: YATES <- if (correct && r == 2 && any(x - t(x) != 0)) 1 else 0);
        # statsmodels' correction=True subtracts it always, giving 1 / (b + c) instead of 0.
        res = sm_mcnemar(table, exact=False, correction=became_below != became_above)
        stat, p = res.statistic, res.pvalue
    return McNemarResult(len(a), int(a.sum()), int(b.sum()), became_below, became_above, _num(stat), _num(p), note)


def holm(pvalues: dict[str, float | None]) -> dict[str, float | None]:
    """Holm-adjusted p-values (R: ``p.adjust(p, "holm")``: the i-th smallest of m times
    m - i + 1, made non-decreasing, capped at 1; as statsmodels' multipletests, which also runs
    a full garbage collection per call); None stays None."""
    out: dict[str, float | None] = {k: None for k in pvalues}
    names = [k for k, v in pvalues.items() if v is not None]
    if names:
        p = np.asarray([pvalues[k] for k in names], dtype=float)
        order = np.argsort(p, kind="stable")
        adjusted = np.empty_like(p)
        adjusted[order] = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1)))
        out.update({k: float(v) for k, v in zip(names, adjusted)})
    return out


# ---------------------------------------------------------------- proportions with intervals
@dataclass(frozen=True)
class ProportionResult:
    """k of n with a confidence interval at 1 - alpha; ``method`` names it."""

    n: int
    k: int
    proportion: float | None
    ci_low: float | None
    ci_high: float | None
    method: str


def wilson_interval(k: int, n: int, alpha: float = 0.05) -> ProportionResult:
    """Wilson score interval, as R's ``prop.test(k, n, correct = FALSE)$conf.int``
    (statsmodels' ``proportion_confint(method="wilson")``: without continuity correction)."""
    from statsmodels.stats.proportion import proportion_confint

    k, n = int(k), int(n)
    if n <= 0:
        return ProportionResult(n, k, None, None, None, "not computed: n = 0")
    lo, hi = proportion_confint(k, n, alpha, method="wilson")
    # prop.test sets the bound to exactly 0 when k = 0 and 1 when k = n (statsmodels' is
    # within rounding of it)
    lo = 0.0 if k == 0 else float(lo)
    hi = 1.0 if k == n else float(hi)
    return ProportionResult(n, k, k / n, lo, hi, "Wilson score interval (no continuity correction)")


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> ProportionResult:
    """Exact (Clopper-Pearson) interval, as R's ``binom.test(k, n)$conf.int`` (statsmodels'
    ``proportion_confint(method="beta")``): lower = qbeta(alpha/2, k, n - k + 1) (0 when k = 0),
    upper = qbeta(1 - alpha/2, k + 1, n - k) (1 when k = n). With k = 0 the upper bound is
    1 - (alpha/2)^(1/n) (0/61: 5.9 %)."""
    from statsmodels.stats.proportion import proportion_confint

    k, n = int(k), int(n)
    if n <= 0:
        return ProportionResult(n, k, None, None, None, "not computed: n = 0")
    lo, hi = proportion_confint(k, n, alpha, method="beta")
    return ProportionResult(n, k, k / n, 0.0 if k == 0 else float(lo), 1.0 if k == n else float(hi),
                            "exact (Clopper-Pearson)")


# ---------------------------------------------------------------- straight line
@dataclass(frozen=True)
class SlopeResult:
    """Least-squares line y = intercept + slope x (R: ``lm(y ~ x)``): the slope with its
    standard error, t-test (df = n - 2) and interval at 1 - alpha."""

    n: int
    intercept: float | None
    slope: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: int | None
    p: float | None
    note: str = ""


def linear_slope(x, y, alpha: float = 0.05) -> SlopeResult:
    """``summary(lm(y ~ x))$coefficients['x', ]`` and ``confint(lm(y ~ x), level = 1 - alpha)['x', ]``,
    by statsmodels' OLS (``ols.fit_ols``). (scipy.stats.linregress takes the SE from 1 - r^2, which loses digits
    as the points near a line: 2.6e-9 relative in the SE at r = 0.9999999 where OLS agrees
    with R's lm to 5e-13.)"""
    x, y = _pairs(x, y)
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        return SlopeResult(n, None, None, None, None, None, None, None, None,
                           "needs n >= 3 and at least two different x values")
    df = n - 2
    if is_constant(y):  # a flat line with SE 0 (OLS would divide 0 by 0 for t)
        return SlopeResult(n, float(np.mean(y)), 0.0, 0.0, None, None, None, df, None, "the points lie on a line: no test")
    fit = fit_ols(y, np.column_stack([np.ones(n), x]), ["(Intercept)", "x"], alpha)
    if not fit.terms:  # x numerically constant beside the intercept (R: an NA slope)
        return SlopeResult(n, None, None, None, None, None, None, None, None,
                           "needs n >= 3 and at least two different x values")
    intercept, s = fit["(Intercept)"].estimate, fit["x"]
    if s.t is None:  # SE 0
        return SlopeResult(n, intercept, s.estimate, 0.0, None, None, None, df, None, "the points lie on a line: no test")
    return SlopeResult(n, intercept, s.estimate, s.se, s.ci_low, s.ci_high, s.t, df, s.p)


# ---------------------------------------------------------------- one-way ANOVA
@dataclass(frozen=True)
class AnovaResult:
    """One-way ANOVA with equal variances (R: ``oneway.test(y ~ g, var.equal = TRUE)``)."""

    f: float | None
    df1: int | None
    df2: int | None
    p: float | None


def oneway_anova(*groups) -> AnovaResult:
    """The F test of ``oneway.test(y ~ g, var.equal = TRUE)``: scipy.stats.f_oneway."""
    samples = [_clean(g) for g in groups]
    samples = [g for g in samples if len(g)]
    k = len(samples)
    n = sum(len(g) for g in samples)
    if k < 2 or n - k < 1:
        return AnovaResult(None, None, None, None)
    if all(is_constant(g) for g in samples):  # no variation within groups: F undefined
        return AnovaResult(None, k - 1, n - k, None)
    res = st.f_oneway(*samples)
    return AnovaResult(_num(res.statistic), k - 1, n - k, _num(res.pvalue))


# ---------------------------------------------------------------- sample size
def power_two_sample(n: float, delta: float, sd: float, alpha: float = 0.05) -> float:
    """Power of a two-sided two-sample t-test with n per arm, as R's ``power.t.test``.
    Its default strict = FALSE counts only the tail in the direction of the effect: that is
    statsmodels' one-sided power at alpha / 2 (its two-sided power adds the far tail, as
    strict = TRUE)."""
    from statsmodels.stats.power import TTestIndPower

    return float(TTestIndPower().power(abs(delta) / sd, n, alpha / 2, ratio=1.0, alternative="larger"))


def n_per_arm(delta: float, sd: float, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Patients per arm (not rounded up) for a two-arm trial: R's
    ``power.t.test(delta = delta, sd = sd, sig.level = alpha, power = power)$n`` (its uniroot
    from n = 2 upwards; here scipy's brentq on the same power function, to 1e-12 relative)."""
    from scipy.optimize import brentq

    if not delta or not sd or not math.isfinite(delta) or not math.isfinite(sd) or sd <= 0:
        return None
    f = lambda n: power_two_sample(n, delta, sd, alpha) - power  # noqa: E731
    lo, hi = 2.0, 4.0
    if f(lo) >= 0:
        return lo
    while f(hi) < 0:
        lo, hi = hi, hi * 2
        if hi > 1e9:
            return None
    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))


def t_bound_sd(mean_change: float, n: int, p_below: float) -> float | None:
    """The largest SD of change with which a paired t-test of ``n`` patients and this mean
    change still gives two-sided p < ``p_below``: |mean| sqrt(n) / qt(1 - p_below / 2, n - 1)."""
    if n is None or n < 2 or mean_change is None or not p_below:
        return None
    return abs(mean_change) * math.sqrt(n) / float(st.t.ppf(1 - p_below / 2, n - 1))
