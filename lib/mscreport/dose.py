"""Dose subgroups (high = dose_cells >= dose_cutoff), dose-response and MSC source.

Doses were tailored to each patient's condition, so dose is not randomised: the
baseline-adjusted model and partial correlation ask whether dose still goes with change
once baseline HbA1c is accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st

from .stats import (MannWhitneyResult, PairedResult, PearsonResult, SpearmanResult, WelchResult,
                    _num, kruskal_wallis, mann_whitney, paired_test, pearson, spearman, welch_test)
from .tidy import TidyResult


@dataclass(frozen=True)
class DoseResult(TidyResult):
    """Everything the dose chapter reports; ``interface()`` gives results.json's ``dose``."""

    available: bool
    note: str
    cutoff_cells: float
    n_with_dose: int
    n_without_dose: int
    high: PairedResult | None
    low: PairedResult | None
    welch: WelchResult | None
    mann_whitney: MannWhitneyResult | None
    pearson: PearsonResult | None
    spearman: SpearmanResult | None

    def interface(self) -> dict:
        def paired(r):
            return None if r is None else r.interface()
        return {
            "cutoff_cells": self.cutoff_cells,
            "high": paired(self.high), "low": paired(self.low),
            "welch": None if self.welch is None else {"t": self.welch.t, "df": self.welch.df, "p": self.welch.p,
                                                      "diff": self.welch.diff, "ci_low": self.welch.ci_low,
                                                      "ci_high": self.welch.ci_high},
            "mann_whitney": None if self.mann_whitney is None else {"u": self.mann_whitney.u, "p": self.mann_whitney.p},
            "pearson": None if self.pearson is None else {"r": self.pearson.r, "p": self.pearson.p,
                                                          "ci_low": self.pearson.ci_low, "ci_high": self.pearson.ci_high},
            "spearman": None if self.spearman is None else {"rho": self.spearman.rho, "p": self.spearman.p},
            "available": self.available, "note": self.note,
            "n_with_dose": self.n_with_dose, "n_without_dose": self.n_without_dose,
        }


def analyse_dose(cohort) -> DoseResult:
    """Paired tests within high and low dose; Welch and Mann-Whitney on change (high vs low);
    Pearson and Spearman of dose_cells against change."""
    cutoff = float(cohort.params["dose_cutoff"])
    alpha = cohort.params["alpha"]
    if not cohort.has("dose_cells"):
        return DoseResult(False, "the cohort file has no dose_cells column: dose analyses are not possible",
                          cutoff, 0, cohort.rows_analysed, None, None, None, None, None, None)
    f = cohort.frame[cohort.frame["dose_cells"].notna()]
    hi = f[f["dose_cells"] >= cutoff]
    lo = f[f["dose_cells"] < cutoff]
    missing = cohort.rows_analysed - len(f)
    note = f"{missing} analysed patient(s) without a dose are left out of dose analyses" if missing else ""
    return DoseResult(
        True, note, cutoff, len(f), missing,
        paired_test(hi["hba1c_baseline"], hi["hba1c_followup"], alpha),
        paired_test(lo["hba1c_baseline"], lo["hba1c_followup"], alpha),
        welch_test(hi["change"], lo["change"], alpha),
        mann_whitney(hi["change"], lo["change"]),
        pearson(f["dose_cells"], f["change"], alpha),
        spearman(f["dose_cells"], f["change"]))


@dataclass(frozen=True)
class SourceComparison(TidyResult):
    """Change compared across MSC sources: one-way ANOVA and Kruskal-Wallis."""

    groups: pd.DataFrame  # source, n, mean_change, sd_change
    anova_f: float | None
    anova_df: tuple | None
    anova_p: float | None
    kruskal_h: float | None
    kruskal_p: float | None
    note: str = ""


def compare_sources(cohort) -> SourceComparison:
    """Change compared across MSC sources: one-way ANOVA (R: ``oneway.test(var.equal = TRUE)``) and Kruskal-Wallis."""
    empty = pd.DataFrame(columns=["source", "n", "mean_change", "sd_change"])
    if not cohort.has("msc_source"):
        return SourceComparison(empty, None, None, None, None, None, "the cohort file has no msc_source column")
    f = cohort.frame[cohort.frame["msc_source"].notna()]
    g = f.groupby("msc_source", sort=True)["change"]
    table = g.agg(n="size", mean_change="mean", sd_change="std").reset_index().rename(columns={"msc_source": "source"})
    samples = [v.to_numpy() for _, v in g if len(v) >= 1]
    usable = [s for s in samples if len(s) >= 2]
    if len(usable) < 2:
        return SourceComparison(table, None, None, None, None, None, "needs at least two sources with 2+ patients")
    a = st.f_oneway(*usable)
    k = kruskal_wallis(*usable)  # R's kruskal.test (its tie correction differs from scipy's)
    n = sum(len(s) for s in usable)
    return SourceComparison(table, _num(a.statistic), (len(usable) - 1, n - len(usable)), _num(a.pvalue),
                            _num(k.h), _num(k.p))


@dataclass(frozen=True)
class AdjustedDose(TidyResult):
    """change ~ baseline + dose group (OLS) and the partial correlation of dose_cells and
    change given baseline. Coefficients in % points; high vs low dose."""

    n: int
    high_vs_low: float | None
    high_vs_low_ci: tuple | None
    high_vs_low_p: float | None
    baseline_slope: float | None
    baseline_slope_p: float | None
    r_squared: float | None
    partial_r: float | None
    partial_p: float | None
    note: str = ""


def adjust_dose_for_baseline(cohort) -> AdjustedDose:
    """change ~ baseline + high dose (OLS; R: ``lm``) and the partial correlation of dose_cells and change given baseline."""
    import statsmodels.formula.api as smf

    alpha = cohort.params["alpha"]
    if not cohort.has("dose_cells"):
        return AdjustedDose(0, None, None, None, None, None, None, None, None, "no dose_cells column")
    f = cohort.frame[cohort.frame["dose_cells"].notna()][["change", "hba1c_baseline", "dose_cells", "dose_group"]]
    n = len(f)
    if n < 5 or f["dose_group"].nunique() < 2:
        return AdjustedDose(n, None, None, None, None, None, None, None, None,
                            "needs at least 5 patients with a dose, in both dose groups")
    data = f.assign(high=(f["dose_group"] == "high").astype(float))
    fit = smf.ols("change ~ hba1c_baseline + high", data=data).fit()
    ci = fit.conf_int(alpha).loc["high"]
    # partial correlation: residuals of change and of dose after regressing each on baseline
    X = np.column_stack([np.ones(n), data["hba1c_baseline"]])
    def resid(y):
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        return y - X @ beta
    rc, rd = resid(data["change"].to_numpy()), resid(data["dose_cells"].to_numpy())
    pr = pp = None
    if np.std(rc) > 0 and np.std(rd) > 0:
        pr = float(np.corrcoef(rc, rd)[0, 1])
        dfree = n - 3
        pp = float(2 * st.t.sf(abs(pr) * np.sqrt(dfree / (1 - pr * pr)), dfree)) if abs(pr) < 1 else 0.0
    return AdjustedDose(n, _num(fit.params["high"]), (float(ci.iloc[0]), float(ci.iloc[1])), _num(fit.pvalues["high"]),
                        _num(fit.params["hba1c_baseline"]), _num(fit.pvalues["hba1c_baseline"]), _num(fit.rsquared),
                        pr, pp)


def format_sources(src: SourceComparison) -> pd.DataFrame:
    """The per-source table for display (sources with n < 3 suppressed)."""
    from .display import SUPPRESSED, fmt_change, fmt_num, too_small

    g = src.groups
    return pd.DataFrame({"source": g["source"], "n": g["n"],
                         "mean change": [SUPPRESSED if too_small(n) else fmt_change(v) for v, n in zip(g["mean_change"], g["n"])],
                         "SD of change": [SUPPRESSED if too_small(n) else fmt_num(v) for v, n in zip(g["sd_change"], g["n"])]})
