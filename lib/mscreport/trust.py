"""How far to trust a single-arm before/after result: regression to the mean, durability,
multiplicity and the size of the randomised trial that would settle it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as st

from .stats import holm, pearson, spearman


def oldham(cohort):
    """Oldham's test: Pearson r of change with the mean of baseline and follow-up.

    Unlike r(change, baseline), which regression to the mean biases negative, this r is 0
    when baseline and follow-up have equal variance (Oldham, J Chronic Dis 1962)."""
    f = cohort.frame
    return pearson((f["hba1c_baseline"] + f["hba1c_followup"]) / 2, f["change"], cohort.params["alpha"])


def expected_rtm(mean: float, sd: float, cutoff: float, rho: float) -> float:
    """Barnett et al. (Int J Epidemiol 2005;34:215-20): expected regression to the mean for
    patients selected with a first measurement above ``cutoff``, in % points (positive = a fall
    that would happen with no treatment): sd * (1 - rho) * phi(z) / (1 - Phi(z)), z = (cutoff - mean) / sd."""
    z = (cutoff - mean) / sd
    return sd * (1 - rho) * st.norm.pdf(z) / st.norm.sf(z)


def rtm_table(cohort, rhos=(0.5, 0.6, 0.7, 0.8, 0.9)) -> pd.DataFrame:
    """Expected fall from regression to the mean (% points) in the severe stratum, against the
    observed fall, over test-retest correlations rho, two ways:

    * ``expected_fall_model``: Barnett et al.'s formula for a normal population, with mean and
      SD estimated by the analysed cohort's baselines. The cohort is itself selected
      (>= moderate_min), so the normal model places the stratum's mean baseline lower than
      observed: a lower bound.
    * ``expected_fall_means``: (1 - rho) x (mean baseline of the stratum - cohort mean), the
      classical expectation E[second | first] = mu + rho (first - mu) averaged over the stratum.
    """
    f = cohort.frame
    b = f["hba1c_baseline"]
    sev = f[f["stratum"] == "severe"]
    observed = -sev["change"].mean() if len(sev) else np.nan
    mu, sd = b.mean(), b.std()
    excess = sev["hba1c_baseline"].mean() - mu if len(sev) else np.nan
    rows = []
    for rho in rhos:
        model = expected_rtm(mu, sd, cohort.params["severe_above"], rho) if len(b) > 1 and sd > 0 else np.nan
        means = (1 - rho) * excess
        share = (lambda e: e / observed if np.isfinite(observed) and observed > 0 else np.nan)
        rows.append({"rho": rho, "expected_fall_model": model, "expected_fall_means": means, "observed_fall": observed,
                     "share_model": share(model), "share_means": share(means), "n_severe": len(sev)})
    return pd.DataFrame(rows)


def format_rtm(rtm: pd.DataFrame) -> pd.DataFrame:
    """The regression-to-the-mean table for display (the observed fall of a severe stratum with
    n < 3 suppressed)."""
    from .display import SUPPRESSED, fmt_num, too_small

    pct = (lambda v: "n/a" if v != v else f"{v:.0%}")
    hidden = too_small(int(rtm["n_severe"].iloc[0])) if len(rtm) else False
    return pd.DataFrame({
        "ρ": rtm["rho"].map(lambda v: f"{v:g}"),
        "expected fall, normal model (lower bound)": rtm["expected_fall_model"].map(fmt_num),
        "expected fall, from the stratum's mean": rtm["expected_fall_means"].map(fmt_num),
        "observed fall": SUPPRESSED if hidden else rtm["observed_fall"].map(fmt_num),
        "share of observed (model, means)": "" if hidden else [f"{pct(a)}, {pct(b)}" for a, b in zip(rtm["share_model"], rtm["share_means"])],
    })


def durability(cohort):
    """Change against follow-up months: Pearson, Spearman and the OLS slope per year."""
    if not cohort.has("followup_months"):
        return None
    f = cohort.frame[cohort.frame["followup_months"].notna()]
    x, y = f["followup_months"].to_numpy(float), f["change"].to_numpy(float)
    slope = float(np.polyfit(x, y, 1)[0] * 12) if len(x) >= 3 and np.std(x) > 0 else None
    return {"pearson": pearson(x, y, cohort.params["alpha"]), "spearman": spearman(x, y), "slope_per_year": slope, "n": len(x)}


def subgroup_family(strata: dict, dose) -> dict[str, float | None]:
    """The family of subgroup tests that Holm's method adjusts: the two strata, the two dose
    groups, and the two dose comparisons. The overall paired test is the primary analysis and
    is not part of the family."""
    return {"moderate paired t": strata["moderate"].p, "severe paired t": strata["severe"].p,
            "high-dose paired t": dose.high.p if dose.high else None, "low-dose paired t": dose.low.p if dose.low else None,
            "high vs low (Welch)": dose.welch.p if dose.welch else None,
            "dose-change (Pearson)": dose.pearson.p if dose.pearson else None}


def multiplicity_table(tests: dict[str, float | None]) -> pd.DataFrame:
    """Raw and Holm-adjusted p-values for a family of subgroup tests."""
    adjusted = holm(tests)
    return pd.DataFrame([{"test": k, "p": v, "p_holm": adjusted[k]} for k, v in tests.items()])


def sample_size_table(effects: dict[str, tuple[float | None, float | None]], alpha: float,
                      powers=(0.8, 0.9)) -> pd.DataFrame:
    """Patients per arm for a two-arm randomised trial (two-sided t-test, statsmodels power).

    effects: name -> (mean change in the treated arm, SD of change), % points. The control
    arm is assumed to change by 0 with the same SD; with half the effect (e.g. if half the
    observed fall is regression to the mean) the trial needs about 4x the patients."""
    from statsmodels.stats.power import TTestIndPower

    solver = TTestIndPower()
    rows = []
    for name, (mean_change, sd) in effects.items():
        for fraction in (1.0, 0.5):
            row = {"effect from": name, "assumed share of effect": fraction}
            d = None if mean_change is None or not sd else abs(mean_change) * fraction / sd
            row["standardised effect d"] = d
            for power in powers:
                n = None if not d else math.ceil(solver.solve_power(effect_size=d, alpha=alpha, power=power, alternative="two-sided"))
                row[f"n per arm, power {power:.0%}"] = n
            rows.append(row)
    return pd.DataFrame(rows)
