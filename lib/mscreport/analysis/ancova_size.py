"""The size of a two-arm trial analysed as chapter 3 recommends, by ANCOVA.

A trial analysed by ANCOVA (follow-up HbA1c on baseline and arm) has the residual SD of
follow-up given baseline, sigma = SD(follow-up) x sqrt(1 - r^2) for baseline-follow-up
correlation r, not the SD of the change. Its size is the two-sample t-test's with that SD:
R: ``power.t.test(delta, sd = summary(lm(hba1c_followup ~ hba1c_baseline))$sigma,
sig.level = alpha, power)$n`` (tests/r/lessons.R). The residual SD is estimated from this
cohort's own patients (one arm: the model has no arm term).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mscreport.methods.ols import fit_ols
from mscreport.methods.stats import n_per_arm

ZERO_SD = 1e-9  # % points: a residual SD below this is rounding noise (HbA1c is reported to 0.1)


def ancova_residual_sd(frame: pd.DataFrame) -> float | None:
    """Residual SD (NGSP % points) of follow-up on baseline HbA1c over the analysed patients:
    R's ``summary(lm(hba1c_followup ~ hba1c_baseline))$sigma``; None below 3 patients."""
    d = frame[["hba1c_baseline", "hba1c_followup"]].astype(float).dropna()
    if len(d) < 3:
        return None
    X = np.column_stack([np.ones(len(d)), d["hba1c_baseline"].to_numpy()])
    fit = fit_ols(d["hba1c_followup"].to_numpy(), X, ("intercept", "baseline"))
    if fit.df_resid <= 0:
        return None
    sigma = math.sqrt(fit.rss / fit.df_resid)
    return sigma if sigma > ZERO_SD else None  # follow-up exactly linear in baseline: no spread to plan with


def ancova_n_per_arm(frame: pd.DataFrame, delta: float | None, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Patients per arm (not rounded up) to detect a between-arm difference ``delta`` (% points)
    by ANCOVA with this cohort's residual SD: R's ``power.t.test(delta, sd = sigma,
    sig.level = alpha, power)$n``. None when delta or the SD is not available."""
    sigma = ancova_residual_sd(frame)
    if delta is None or sigma is None:
        return None
    return n_per_arm(abs(delta), sigma, alpha, power)
