"""Statistical tests, written to agree with base R 4.2 (``t.test``, ``wilcox.test``,
``cor.test``, ``mcnemar.test``) to 1e-9 relative; ``tests/r/reference.R`` makes the fixtures.

Conventions: change = follow-up - baseline (a fall is negative); all tests two-sided;
intervals at 1 - alpha. A statistic that cannot be computed is ``None`` with the reason in
``note``: never a made-up number. Rank tests follow R's defaults: exact only for n < 50 with
no ties (and, for the signed-rank test, no zero differences), otherwise the normal
approximation with tie and continuity correction.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from scipy import special as _sp

from .tidy import TidyResult

EXACT_BELOW = 50  # R: exact rank tests for n < 50
HL_MAX_N = 3000  # Hodges-Lehmann needs n(n+1)/2 Walsh averages
HL_NOTE = f"Hodges-Lehmann estimate and interval not computed for n > {HL_MAX_N} (n(n+1)/2 Walsh averages)"
SW_NOTE = "Shapiro-Wilk not computed for n > 5000 (as R's shapiro.test)"


# ---------------------------------------------------------------- distribution functions
# The scipy.special functions that scipy.stats' t, norm and chi2 call for these values
# (scipy 1.17: t.sf = stdtr(df, -x), t.ppf = stdtrit, norm.cdf = ndtr, norm.ppf = ndtri,
# chi2.sf = chdtrc), called directly: the same numbers, without importing scipy.stats
# (~0.4 s in every chapter's kernel) or its per-call argument checking.
def t_sf(x: float, df: float) -> float:
    return float(_sp.stdtr(df, -x))


def t_cdf(x: float, df: float) -> float:
    return float(_sp.stdtr(df, x))


def t_ppf(q: float, df: float) -> float:
    return float(_sp.stdtrit(df, q))


def norm_cdf(x: float) -> float:
    return float(_sp.ndtr(x))


def norm_sf(x: float) -> float:
    return float(_sp.ndtr(-x))


def norm_ppf(q):
    """Standard normal quantiles (scalar or array)."""
    return _sp.ndtri(q) if np.ndim(q) else float(_sp.ndtri(q))


def chi2_sf(x: float, df: float) -> float:
    return float(_sp.chdtrc(df, x))


def rankdata(a) -> np.ndarray:
    """Average ranks (1-based; ties share the mean of their ranks), as scipy.stats.rankdata."""
    a = np.asarray(a, dtype="float64")
    n = len(a)
    if n == 0:
        return np.empty(0, dtype="float64")
    order = np.argsort(a, kind="stable")
    y = a[order]
    first = np.concatenate([[True], y[:-1] != y[1:]])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, n))
    mid = (starts + 1) + (counts - 1) / 2  # average of ranks starts+1 .. starts+counts
    ranks = np.empty(n, dtype="float64")
    ranks[order] = np.repeat(mid, counts)
    return ranks


def _num(x) -> float | None:
    """A finite float, or None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _clean(x) -> np.ndarray:
    a = np.asarray(x, dtype="float64")
    return a[~np.isnan(a)]


ROUNDING = 1e-10  # relative: values that differ by less are equal up to floating-point rounding


def is_constant(a) -> bool:
    """True when every value is equal up to floating-point rounding (e.g. follow-up = baseline
    - 2.0 gives changes whose SD is 3.6e-16, not 0): such data have zero variance, and every
    statistic that divides by a spread is undefined (None), never computed from the noise."""
    a = _clean(a)
    return len(a) == 0 or float(np.ptp(a)) <= ROUNDING * max(1.0, float(np.max(np.abs(a))))


def _has_ties(a: np.ndarray) -> bool:
    return len(np.unique(a)) != len(a)


# ---------------------------------------------------------------- exact null distributions
@lru_cache(maxsize=None)
def _signrank_counts(n: int) -> tuple[int, ...]:
    """Number of subsets of {1..n} with each sum 0..n(n+1)/2 (R's csignrank)."""
    top = n * (n + 1) // 2
    c = [1] + [0] * top
    for k in range(1, n + 1):
        for s in range(top, k - 1, -1):
            c[s] += c[s - k]
    return tuple(c)


def psignrank(q: float, n: int) -> float:
    """P(V <= q) for the signed-rank statistic V with n non-zero differences."""
    c = _signrank_counts(n)
    q = math.floor(q + 1e-7)
    if q < 0:
        return 0.0
    return sum(c[: q + 1]) / 2.0**n


def qsignrank(p: float, n: int) -> int:
    """Smallest q with P(V <= q) >= p (R's qsignrank, with its 10 * DBL_EPSILON fuzz)."""
    c = _signrank_counts(n)
    target = p - 10 * np.finfo(float).eps
    cum = 0.0
    for q, count in enumerate(c):
        cum += count / 2.0**n
        if cum >= target:
            return q
    return len(c) - 1


@lru_cache(maxsize=None)
def _wilcox_counts(m: int, n: int) -> tuple[int, ...]:
    """Number of ways each Mann-Whitney U = 0..m*n arises (R's cwilcox)."""
    # f[k][s]: subsets of size k of {1..N} with rank sum s
    N = m + n
    top = N * (N + 1) // 2
    f = [[0] * (top + 1) for _ in range(m + 1)]
    f[0][0] = 1
    for item in range(1, N + 1):
        for k in range(min(item, m), 0, -1):
            row, prev = f[k], f[k - 1]
            for s in range(top, item - 1, -1):
                if prev[s - item]:
                    row[s] += prev[s - item]
    base = m * (m + 1) // 2
    return tuple(f[m][base: base + m * n + 1])


def pwilcox(q: float, m: int, n: int) -> float:
    """P(U <= q) for the Mann-Whitney U of samples of sizes m and n."""
    c = _wilcox_counts(m, n)
    q = math.floor(q + 1e-7)
    if q < 0:
        return 0.0
    return sum(c[: q + 1]) / math.comb(m + n, m)


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


def signed_rank_test(d, alpha: float = 0.05) -> SignedRankResult:
    """R's ``wilcox.test(d, conf.int = TRUE)`` (two-sided, mu = 0, correct = TRUE)."""
    d = _clean(d)
    x = d[d != 0]
    zeros = len(x) < len(d)
    n = len(x)
    if n == 0:
        return SignedRankResult(0, None, None, "not computed: every difference is 0", None, None, None, "not computed")
    r = rankdata(np.abs(x))
    v = float(r[x > 0].sum())
    ties = _has_ties(r)
    if n < EXACT_BELOW and not ties and not zeros:
        method = "exact"
        if v > n * (n + 1) / 4:
            p1 = 1 - psignrank(v - 1, n)
        else:
            p1 = psignrank(v, n)
        p = min(2 * p1, 1.0)
    else:
        method = "normal approximation with continuity correction" + (" (ties)" if ties else "") + (
            " (zeros dropped)" if zeros else "")
        _, counts = np.unique(r, return_counts=True)
        z = v - n * (n + 1) / 4
        sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(counts**3 - counts)) / 48)
        if sigma == 0:
            p = None
        else:
            z = (z - math.copysign(0.5, z) * (z != 0)) / sigma
            p = 2 * min(norm_cdf(z), norm_sf(z))
    est = lo = hi = None
    hl_method = "not computed"
    if n <= HL_MAX_N:
        i, j = np.triu_indices(n)
        walsh = (x[i] + x[j]) / 2
        del i, j
        m = len(walsh)
        if method == "exact":
            qu = qsignrank(alpha / 2, n)
            if qu == 0:
                qu = 1
            ql = n * (n + 1) // 2 - qu
            kth = (qu - 1, ql)
            hl_method = "exact (Walsh averages at signed-rank quantiles)"
        else:
            k = int(math.floor(m / 2 - norm_ppf(1 - alpha / 2) * math.sqrt(n * (n + 1) * (2 * n + 1) / 24)))
            k = max(k, 0)
            kth = (k, m - 1 - k)
            hl_method = "normal approximation (Walsh-average order statistics)"
        # the order statistics by selection (np.partition) rather than a full sort: same values
        half = m // 2
        walsh = np.partition(walsh, sorted({*kth, half, max(half - 1, 0)}))
        est = float(walsh[half]) if m % 2 else float((walsh[half - 1] + walsh[half]) / 2)
        lo, hi = float(walsh[kth[0]]), float(walsh[kth[1]])
    return SignedRankResult(n, v, _num(p), method, est, lo, hi, hl_method)


# ---------------------------------------------------------------- Shapiro-Wilk
# Royston's algorithm AS R94 (Appl. Statist. 1995;44:547-551) in double precision, as R's
# shapiro.test (src/library/stats/src/swilk.c). scipy.stats.shapiro implements the same
# algorithm but differed from R 4.2 by up to ~5e-9 relative in W and p (scipy 1.17), beyond
# the 1e-9 agreement tests/test_stats_vs_r.py requires.
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
    an25 = n + 0.25
    summ2 = 0.0
    for i in range(1, nn2 + 1):
        a[i] = float(_sp.ndtri((i - 0.375) / an25))
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
    return w, norm_sf((y - m) / s)


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
    b = np.asarray(baseline, dtype="float64")
    f = np.asarray(followup, dtype="float64")
    keep = ~np.isnan(b) & ~np.isnan(f)
    b, f = b[keep], f[keep]
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
    if sd_d == 0:
        t = p = lo = hi = dz = None
        notes.append("every change is identical (SD 0): t and d_z undefined")
    else:
        t = mean_d / se
        p = 2 * t_sf(abs(t), df)
        half = t_ppf(1 - alpha / 2, df) * se
        lo, hi = mean_d - half, mean_d + half
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
    if sr.n_nonzero > HL_MAX_N:
        notes.append(HL_NOTE)
    return PairedResult(**base, sd_change=sd_d, ci_low=_num(lo), ci_high=_num(hi), t=_num(t), df=float(df),
                        p=_num(p), wilcoxon_p=sr.p, cohens_dz=_num(dz), se_change=se,
                        shapiro_w=sw_w, shapiro_p=sw_p, wilcoxon_v=sr.v, wilcoxon_method=sr.method,
                        hl_estimate=sr.hl_estimate, hl_ci_low=sr.hl_ci_low, hl_ci_high=sr.hl_ci_high,
                        note="; ".join(notes))


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
    """Welch two-sample t-test of mean(x) - mean(y), with its 1 - alpha interval (R: ``t.test(x, y)``)."""
    x, y = _clean(x), _clean(y)
    if len(x) < 2 or len(y) < 2:
        return WelchResult(None, None, None, None, None, None, "each group needs at least 2 patients")
    vx, vy = np.var(x, ddof=1) / len(x), np.var(y, ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    diff = float(np.mean(x) - np.mean(y))
    if se == 0 or (is_constant(x) and is_constant(y)):
        return WelchResult(None, None, None, diff, None, None, "no variation in either group")
    t = diff / se
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = t_ppf(1 - alpha / 2, df) * se
    return WelchResult(t, float(df), float(2 * t_sf(abs(t), df)), diff, diff - half, diff + half)


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
    r = rankdata(np.concatenate([x, y]))
    u = float(r[:m].sum() - m * (m + 1) / 2)
    ties = _has_ties(r)
    if m < EXACT_BELOW and n < EXACT_BELOW and not ties:
        p1 = 1 - pwilcox(u - 1, m, n) if u > m * n / 2 else pwilcox(u, m, n)
        return MannWhitneyResult(u, min(2 * p1, 1.0), "exact")
    _, counts = np.unique(r, return_counts=True)
    z = u - m * n / 2
    N = m + n
    tie_term = float(np.sum(counts**3 - counts)) / (N * (N - 1)) if N > 1 else 0.0
    sigma = math.sqrt((m * n / 12) * ((N + 1) - tie_term))
    if sigma == 0:
        return MannWhitneyResult(u, None, "not computed: all values tied")
    z = (z - math.copysign(0.5, z) * (z != 0)) / sigma
    p = 2 * min(norm_cdf(z), norm_sf(z))
    return MannWhitneyResult(u, float(p), "normal approximation with continuity correction" + (" (ties)" if ties else ""))


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
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    keep = ~np.isnan(x) & ~np.isnan(y)
    return x[keep], y[keep]


def pearson(x, y, alpha: float = 0.05) -> PearsonResult:
    """Pearson r of the complete pairs, t-test p and Fisher-z 1 - alpha interval (R: ``cor.test(x, y)``)."""
    x, y = _pairs(x, y)
    n = len(x)
    if n < 3 or is_constant(x) or is_constant(y):
        return PearsonResult(n, None, None, None, None, "needs n >= 3 and variation in both variables")
    r = float(np.corrcoef(x, y)[0, 1])
    r = max(-1.0, min(1.0, r))
    df = n - 2
    if abs(r) == 1:
        p = 0.0
    else:
        t = r * math.sqrt(df / (1 - r * r))
        p = float(2 * t_sf(abs(t), df))
    lo = hi = None
    note = ""
    if n > 3:
        z = math.atanh(r) if abs(r) < 1 else math.copysign(math.inf, r)
        half = norm_ppf(1 - alpha / 2) / math.sqrt(n - 3)
        lo, hi = math.tanh(z - half), math.tanh(z + half)
    else:
        note = "interval needs n > 3"
    return PearsonResult(n, r, p, lo, hi, note)


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
    """AS 89 (R's prho.c): P(S >= s), or P(S < s) with lower_tail; S = sum (i - r_i)^2."""
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
    pv = (-y if lower_tail else y) + (norm_cdf(x) if lower_tail else norm_sf(x))
    return min(max(pv, 0.0), 1.0)


def spearman(x, y) -> SpearmanResult:
    """Spearman rho of the complete pairs and its p (R: ``cor.test(x, y, method = "spearman")``)."""
    x, y = _pairs(x, y)
    n = len(x)
    if n < 3 or is_constant(x) or is_constant(y):
        return SpearmanResult(n, None, None, "not computed: needs n >= 3 and variation in both variables")
    rx, ry = rankdata(x), rankdata(y)
    rho = float(np.corrcoef(rx, ry)[0, 1])
    ties = _has_ties(rx) or _has_ties(ry)
    q = (n**3 - n) * (1 - rho) / 6
    if n <= 1290 and not ties:  # R 4.2 cor.test: AS 89 ``if (n <= 1290 && exact)``
        if q > (n**3 - n) / 6:
            p1 = _prho(n, round(q), lower_tail=False)
        else:
            p1 = _prho(n, round(q) + 2, lower_tail=True)
        return SpearmanResult(n, rho, min(2 * p1, 1.0), "exact (AS 89)" if n > 9 else "exact")
    if abs(rho) == 1:
        return SpearmanResult(n, rho, 0.0, "t approximation")
    t = rho / math.sqrt((1 - rho * rho) / (n - 2))
    p = 2 * min(t_cdf(t, n - 2), t_sf(t, n - 2))
    return SpearmanResult(n, rho, float(min(p, 1.0)), "t approximation" + (" (ties)" if ties else ""))


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
    bundled cohort)."""
    samples = [_clean(g) for g in groups]
    samples = [g for g in samples if len(g)]
    k = len(samples)
    x = np.concatenate(samples) if samples else np.array([])
    n = len(x)
    if k < 2 or n < 2:
        return KruskalResult(None, None, None)
    r = rankdata(x)
    total, start = 0.0, 0
    for g in samples:
        total += r[start:start + len(g)].sum() ** 2 / len(g)
        start += len(g)
    # R's table(x): values grouped by their 15-significant-digit text; formatted once per
    # distinct value (not once per patient), the counts of values sharing a text added up
    values, counts = np.unique(x, return_counts=True)
    _, label = np.unique(np.array([f"{v + 0.0:.15g}" for v in values]), return_inverse=True)
    ties = np.bincount(label, weights=counts)
    correction = 1 - float(np.sum(ties**3 - ties)) / (n**3 - n)
    if correction == 0:
        return KruskalResult(None, k - 1, None)
    h = (12 * total / (n * (n + 1)) - 3 * (n + 1)) / correction
    return KruskalResult(float(h), k - 1, chi2_sf(h, k - 1))


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
    a = np.asarray(before_below, dtype=bool)
    b = np.asarray(after_below, dtype=bool)
    became_below = int(np.sum(~a & b))
    became_above = int(np.sum(a & ~b))
    k = became_below + became_above
    stat = p = None
    note = ""
    if k == 0:
        note = "no patient changed side of the target: test undefined"
    else:
        # mcnemar.test corrects for continuity only when the discordant counts differ
        diff = abs(became_below - became_above)
        stat = (diff - 1) ** 2 / k if diff > 0 else 0.0
        p = chi2_sf(stat, 1)
    return McNemarResult(len(a), int(a.sum()), int(b.sum()), became_below, became_above, _num(stat), p, note)


def holm(pvalues: dict[str, float | None]) -> dict[str, float | None]:
    """Holm-adjusted p-values (R: ``p.adjust(p, "holm")``); None stays None."""
    names = [k for k, v in pvalues.items() if v is not None]
    ps = np.array([pvalues[k] for k in names], dtype=float)
    out: dict[str, float | None] = {k: None for k in pvalues}
    m = len(ps)
    if m == 0:
        return out
    order = np.argsort(ps, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * ps[order]))
    for idx, val in zip(order, adj):
        out[names[idx]] = float(val)
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
    (without continuity correction; the bounds are clipped to [0, 1] as R does)."""
    k, n = int(k), int(n)
    if n <= 0:
        return ProportionResult(n, k, None, None, None, "not computed: n = 0")
    p = k / n
    z = norm_ppf(1 - alpha / 2)
    z22n = z * z / (2 * n)
    center = (p + z22n) / (1 + 2 * z22n)
    half = z * math.sqrt(p * (1 - p) / n + z22n / (2 * n)) / (1 + 2 * z22n)
    lo = max(center - half, 0.0) if p > 0 else 0.0
    hi = min(center + half, 1.0) if p < 1 else 1.0
    return ProportionResult(n, k, p, lo, hi, "Wilson score interval (no continuity correction)")


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> ProportionResult:
    """Exact (Clopper-Pearson) interval, as R's ``binom.test(k, n)$conf.int``:
    lower = qbeta(alpha/2, k, n - k + 1) (0 when k = 0), upper = qbeta(1 - alpha/2, k + 1, n - k)
    (1 when k = n). With k = 0 the upper bound is 1 - (alpha/2)^(1/n) (0/61: 5.9 %)."""
    k, n = int(k), int(n)
    if n <= 0:
        return ProportionResult(n, k, None, None, None, "not computed: n = 0")
    lo = 0.0 if k == 0 else float(_sp.betaincinv(k, n - k + 1, alpha / 2))
    hi = 1.0 if k == n else float(_sp.betaincinv(k + 1, n - k, 1 - alpha / 2))
    return ProportionResult(n, k, k / n, lo, hi, "exact (Clopper-Pearson)")


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
    """``summary(lm(y ~ x))$coefficients['x', ]`` and ``confint(lm(y ~ x), level = 1 - alpha)['x', ]``."""
    x, y = _pairs(x, y)
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        return SlopeResult(n, None, None, None, None, None, None, None, None,
                           "needs n >= 3 and at least two different x values")
    xm, ym = float(np.mean(x)), float(np.mean(y))
    sxx = float(np.sum((x - xm) ** 2))
    slope = float(np.sum((x - xm) * (y - ym))) / sxx
    intercept = ym - slope * xm
    resid = y - intercept - slope * x
    df = n - 2
    s2 = float(np.sum(resid**2)) / df
    se = math.sqrt(s2 / sxx)
    if se == 0:
        return SlopeResult(n, intercept, slope, 0.0, None, None, None, df, None, "the points lie on a line: no test")
    t = slope / se
    half = t_ppf(1 - alpha / 2, df) * se
    return SlopeResult(n, intercept, slope, se, slope - half, slope + half, t, df, 2 * t_sf(abs(t), df))


# ---------------------------------------------------------------- one-way ANOVA
@dataclass(frozen=True)
class AnovaResult:
    """One-way ANOVA with equal variances (R: ``oneway.test(y ~ g, var.equal = TRUE)``)."""

    f: float | None
    df1: int | None
    df2: int | None
    p: float | None


def oneway_anova(*groups) -> AnovaResult:
    samples = [_clean(g) for g in groups]
    samples = [g for g in samples if len(g)]
    k = len(samples)
    n = sum(len(g) for g in samples)
    if k < 2 or n - k < 1:
        return AnovaResult(None, None, None, None)
    grand = float(np.mean(np.concatenate(samples)))
    between = sum(len(g) * (float(np.mean(g)) - grand) ** 2 for g in samples) / (k - 1)
    within = sum(float(np.sum((g - np.mean(g)) ** 2)) for g in samples) / (n - k)
    if within == 0:
        return AnovaResult(None, k - 1, n - k, None)
    f = between / within
    return AnovaResult(f, k - 1, n - k, float(_sp.fdtrc(k - 1, n - k, f)))


# ---------------------------------------------------------------- sample size
def power_two_sample(n: float, delta: float, sd: float, alpha: float = 0.05) -> float:
    """Power of a two-sided two-sample t-test with n per arm, as R's ``power.t.test``
    (strict = FALSE: the far tail is ignored, as R's default)."""
    df = 2 * (n - 1)
    ncp = math.sqrt(n / 2) * delta / sd
    crit = t_ppf(1 - alpha / 2, df)
    return float(1 - _sp.nctdtr(df, ncp, crit))


def n_per_arm(delta: float, sd: float, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Patients per arm (not rounded up) for a two-arm trial: R's
    ``power.t.test(delta = delta, sd = sd, sig.level = alpha, power = power)$n``."""
    if not delta or not sd or not math.isfinite(delta) or not math.isfinite(sd) or sd <= 0:
        return None
    delta = abs(delta)
    f = lambda n: power_two_sample(n, delta, sd, alpha) - power  # noqa: E731
    lo, hi = 2.0, 4.0
    if f(lo) >= 0:
        return lo
    while f(hi) < 0:
        lo, hi = hi, hi * 2
        if hi > 1e9:
            return None
    for _ in range(200):  # bisection to machine precision
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return (lo + hi) / 2


def t_bound_sd(mean_change: float, n: int, p_below: float) -> float | None:
    """The largest SD of change with which a paired t-test of ``n`` patients and this mean
    change still gives two-sided p < ``p_below``: |mean| sqrt(n) / t.isf(p_below / 2, n - 1)."""
    if n is None or n < 2 or mean_change is None or not p_below:
        return None
    return abs(mean_change) * math.sqrt(n) / t_ppf(1 - p_below / 2, n - 1)
