"""The teaching pages' own statistics as results.json blocks, so that every number a teaching
page shows is in the file: the sign test (chapter 3), the size of a trial analysed by ANCOVA
(chapter 5) and the slope after the infusion without the baseline (chapter 7).

Changes are follow-up - baseline in NGSP % points; each block is computed on the analysed
cohort by the same library function the page calls (each checked against R in
tests/r/lessons.R)."""

from __future__ import annotations

import dataclasses
import math

from mscreport.analysis.ancova_size import ancova_residual_sd
from mscreport.analysis.paired import analyse_overall
from mscreport.analysis.post_baseline import fit_post_baseline_slope
from mscreport.methods.sign_test import sign_test
from mscreport.methods.stats import n_per_arm

PLANNING_POWER = 0.8  # the power chapter 5 plans trials with


def sign_test_block(cohort) -> dict:
    """results.json ``sign_test``: the sign test of change for every analysed patient and within
    each stratum present (``{n_nonzero, n_fall, n_rise, share_fall, ci_low, ci_high, p}``;
    R: ``binom.test(sum(x < 0), sum(x != 0), conf.level = 1 - alpha)``)."""
    frame, alpha = cohort.frame, cohort.params["alpha"]
    block = {"overall": dataclasses.asdict(sign_test(frame["change"], alpha))}
    if "stratum" in frame:
        for name, rows in frame.groupby("stratum", observed=True, sort=False):
            block[str(name)] = dataclasses.asdict(sign_test(rows["change"], alpha))
    return block


def ancova_size_block(cohort, power: float = PLANNING_POWER) -> dict | None:
    """results.json ``ancova_sample_size``: patients per arm (``n_*``, not rounded up; ``n_*_per_arm``,
    rounded up as a plan needs whole patients) to detect the
    cohort's own mean change as a between-arm difference, by ANCOVA (outcome SD = the residual
    SD of follow-up on baseline) and by a t-test on the change (SD of change); R:
    ``power.t.test(delta, sd, sig.level = alpha, power)$n``. None when either SD is missing."""
    overall, alpha = analyse_overall(cohort), cohort.params["alpha"]
    sigma = ancova_residual_sd(cohort.frame)
    delta, sd_change = overall.mean_change, overall.sd_change
    if sigma is None or not delta or not sd_change:
        return None
    n_ancova, n_change = n_per_arm(abs(delta), sigma, alpha, power), n_per_arm(abs(delta), sd_change, alpha, power)
    return {"delta": abs(delta), "power": power, "alpha": alpha, "residual_sd": sigma, "sd_change": sd_change,
            "n_ancova": n_ancova, "n_change": n_change,
            "n_ancova_per_arm": None if n_ancova is None else math.ceil(n_ancova),
            "n_change_per_arm": None if n_change is None else math.ceil(n_change)}


def post_baseline_block(cohort) -> dict | None:
    """results.json ``post_baseline_slope``: the mixed model (random intercept and slope, REML)
    on the measurements after time 0 only (``MixedModelResult.interface``; slope in % points
    per year); None for a wide file or when the model cannot be fitted."""
    long = getattr(cohort, "longitudinal", None)
    if long is None:
        return None
    fit = fit_post_baseline_slope(long.model_frame(), cohort.params["alpha"])
    return None if fit is None else fit.interface()
