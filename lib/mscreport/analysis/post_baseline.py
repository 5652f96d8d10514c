"""The slope of HbA1c after the infusion, without the baseline: what "does the fall last?" asks.

Chapter 7's mixed model fits one line through each patient's baseline and every later
measurement, so its slope mixes the early drop (baseline to the first follow-up) with the
drift afterwards. Fitting the same model to the measurements after time 0 only gives the
post-baseline slope: the average drift, in NGSP % points per year, once the early drop is
over. R: ``nlme::lme(hba1c ~ years, random = ~ years | patient_id, data = m[m$months > 0, ],
method = "REML")`` (tests/r/lessons.R).
"""

from __future__ import annotations

import pandas as pd

from mscreport.analysis.trajectory import MixedModelResult, fit_mixed_model


def post_baseline_measurements(measurements: pd.DataFrame) -> pd.DataFrame:
    """The rows of a model frame (``patient_id``, ``months``, ``years``, ``hba1c``) measured
    after time 0 (months > 0): the baseline rows left out."""
    return measurements[measurements["months"] > 0]


def fit_post_baseline_slope(measurements: pd.DataFrame, alpha: float = 0.05) -> MixedModelResult | None:
    """The mixed model (random intercept and slope per patient, REML) on the measurements after
    time 0 only; its ``slope_per_year`` is the drift after the early drop (% points per year).
    None when the data cannot give it (a wide file, fewer than 3 patients with follow-up)."""
    return fit_mixed_model(post_baseline_measurements(measurements), alpha)
