"""The sign test of paired changes: the assumption-light companion of the paired t-test and
the Wilcoxon signed-rank test.

It counts how many non-zero changes are falls (negative) and tests that share against 1/2
with the exact binomial test (R: ``binom.test(sum(x < 0), sum(x != 0))``). It assumes only
independent patients: no normality (the t-test's) and no symmetry (the signed-rank test's),
at the price of power, since it ignores how large each change is. Zero changes are dropped,
as R's convention for the signed-rank test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mscreport.methods.tidy import TidyResult


@dataclass(frozen=True)
class SignTestResult(TidyResult):
    """Sign test of changes (follow-up - baseline) against a median change of 0: ``n_nonzero``
    changes, ``n_fall`` of them negative, ``n_rise`` positive; ``share_fall`` = n_fall /
    n_nonzero with its exact (Clopper-Pearson) interval at 1 - alpha; ``p`` two-sided, exact
    (R's binom.test). None where fewer than one non-zero change."""

    n_nonzero: int
    n_fall: int
    n_rise: int
    share_fall: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None


def sign_test(changes, alpha: float = 0.05) -> SignTestResult:
    """The sign test of ``changes`` (% points, any unit: only signs count); missing values and
    zero changes are left out. R: ``binom.test(sum(x < 0), sum(x != 0), conf.level = 1 - alpha)``."""
    from scipy.stats import binomtest

    x = np.asarray(changes, dtype=float)
    x = x[np.isfinite(x) & (x != 0)]
    n, falls = int(x.size), int((x < 0).sum())
    if n == 0:
        return SignTestResult(0, 0, 0, None, None, None, None)
    res = binomtest(falls, n, 0.5)
    ci = res.proportion_ci(confidence_level=1 - alpha, method="exact")
    return SignTestResult(n, falls, n - falls, falls / n, float(ci.low), float(ci.high), float(res.pvalue))
