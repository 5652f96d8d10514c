"""Dose subgroups (high = dose_cells >= dose_cutoff), dose-response and MSC source.

Doses were tailored to each patient's condition, so dose is not randomised: the
baseline-adjusted model and partial correlation ask whether dose still goes with change
once baseline HbA1c is accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mscreport.methods.tidy import TidyResult
from mscreport.display import fmt
from mscreport.core.disclosure import drawable_rows, hidden_parts, solve_arms, suppressed, too_few
from mscreport.core.groups import DOSE_GROUPS
from mscreport.display.figures import group_boxes, scatter_fit
from mscreport.display.tables import paired_table
from mscreport.methods.ols import fit_ols
from mscreport.methods.stats import _num, is_constant, kruskal_wallis, mann_whitney, oneway_anova, paired_test, pearson, spearman, welch_test

if TYPE_CHECKING:  # the statistics are imported where used: the validators import this module
    from mscreport.methods.stats import MannWhitneyResult, PairedResult, PearsonResult, SpearmanResult, WelchResult


def _selected(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` for a boolean ``rows``; ``values`` itself (no copy: at 1e7 patients a
    column is 80 MB) when every row is selected. Read only: the caller never writes into it."""
    return values if rows.all() else values[rows]


def dose_label(group: str, cutoff: float) -> str:
    """A dose group as named in pages: 'high (≥ 1e9)' or 'low (< 1e9)'."""
    return f"{group} ({'≥' if group == 'high' else '<'} {fmt.fmt_cells(cutoff)})"


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
    hidden_by_arms: frozenset = frozenset()  # dose groups a controlled study's crossed splits hide (disclosure.solve_arms)

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
    Pearson and Spearman of dose_cells against change (computed once per cohort and build:
    chapters 4, 5 and 6 use it)."""
    return cohort.once("analyse_dose", lambda: _analyse_dose(cohort), shared=True)


def _analyse_dose(cohort) -> DoseResult:
    cutoff = float(cohort.params["dose_cutoff"])
    alpha = cohort.params["alpha"]
    if not cohort.has("dose_cells"):
        return DoseResult(False, "the cohort file has no dose_cells column: dose analyses are not possible",
                          cutoff, 0, cohort.rows_analysed, None, None, None, None, None, None)
    f = cohort.frame
    group = f["dose_group"]
    dosed, hi, lo = group.notna().to_numpy(), (group == "high").to_numpy(), (group == "low").to_numpy()
    # the columns tested, selected by masks (not the whole frame copied per group)
    base, follow, change, cells = (f[c].to_numpy() for c in ("hba1c_baseline", "hba1c_followup", "change", "dose_cells"))
    n_dosed = int(dosed.sum())
    missing = cohort.rows_analysed - n_dosed
    note = f"{fmt.fmt_int(missing)} analysed patient(s) without a dose are left out of dose analyses" if missing else ""
    return DoseResult(
        True, note, cutoff, n_dosed, missing,
        paired_test(base[hi], follow[hi], alpha),
        paired_test(base[lo], follow[lo], alpha),
        welch_test(change[hi], change[lo], alpha),
        mann_whitney(change[hi], change[lo]),
        pearson(_selected(cells, dosed), _selected(change, dosed), alpha),
        spearman(_selected(cells, dosed), _selected(change, dosed)),
        solve_arms(f)["dose_group"][0])


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
    """Change compared across MSC sources: one-way ANOVA (R: ``oneway.test(var.equal = TRUE)``) and Kruskal-Wallis
    (computed once per cohort: chapter 4 shows it and records it)."""
    return cohort.once("compare_sources", lambda: _compare_sources(cohort))


def _compare_sources(cohort) -> SourceComparison:
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

    a = oneway_anova(*usable)  # R's oneway.test(var.equal = TRUE), the same test the source block records
    k = kruskal_wallis(*usable)  # R's kruskal.test (its tie correction differs from scipy's)
    n = sum(len(s) for s in usable)
    return SourceComparison(table, _num(a.f), (len(usable) - 1, n - len(usable)), _num(a.p), _num(k.h), _num(k.p))


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
    """change ~ baseline + high dose (OLS; R: ``lm``) and the partial correlation of dose_cells and change given baseline
    (computed once per cohort: chapter 4 shows it, records it and words the dose reversal from it)."""
    return cohort.once("adjust_dose_for_baseline", lambda: _adjust_dose_for_baseline(cohort))


def _adjust_dose_for_baseline(cohort) -> AdjustedDose:
    from scipy import stats as st

    alpha = cohort.params["alpha"]
    if not cohort.has("dose_cells"):
        return AdjustedDose(0, None, None, None, None, None, None, None, None, "no dose_cells column")
    f = cohort.frame
    cells = f["dose_cells"].to_numpy(dtype="float64")
    dosed = ~np.isnan(cells)
    n = int(dosed.sum())
    # the four columns used, of the patients with a dose (selected by mask: no copy of the frame)
    cells, base, change = (_selected(v, dosed) for v in (cells, f["hba1c_baseline"].to_numpy(dtype="float64"),
                                                         f["change"].to_numpy(dtype="float64")))
    high = _selected((f["dose_group"] == "high").to_numpy(dtype=bool), dosed)
    if n < 5 or f["dose_group"][dosed].nunique() < 2:
        return AdjustedDose(n, None, None, None, None, None, None, None, None,
                            "needs at least 5 patients with a dose, in both dose groups")
    # R's lm(change ~ hba1c_baseline + high): the design matrix built here (intercept, baseline,
    # high) is the one a formula would build, without the formula machinery (seconds at 1e6)
    complete = ~np.isnan(change) & ~np.isnan(base)  # as the formula's missing='drop' (high is never missing)
    design = np.empty((int(complete.sum()), 3))  # C order, as np.column_stack builds it: the same fit, bit for bit
    design[:, 0], design[:, 1], design[:, 2] = 1.0, _selected(base, complete), _selected(high, complete)
    fit = fit_ols(_selected(change, complete), design, ["(Intercept)", "hba1c_baseline", "high"], alpha)
    del design, complete  # n x 3 floats: freed before the next step
    if not fit.terms:  # R: NA coefficients (baseline constant, or the same in each dose group)
        return AdjustedDose(n, None, None, None, None, None, None, None, None,
                            "baseline and dose group are collinear: no adjusted effect")
    # partial correlation: residuals of change and of dose after regressing each on baseline
    X = np.column_stack([np.ones(n), base])
    rc, rd = (fit_ols(v, X, solver="lstsq", inference=False, residuals=True).residuals for v in (change, cells))
    pr = pp = None
    if not is_constant(rc) and not is_constant(rd):
        pr = float(np.corrcoef(rc, rd)[0, 1])
        dfree = n - 3
        pp = 2 * float(st.t.sf(abs(pr) * np.sqrt(dfree / (1 - pr * pr)), dfree)) if abs(pr) < 1 else 0.0
    high_term, base_term = fit["high"], fit["hba1c_baseline"]
    return AdjustedDose(n, _num(high_term.estimate), (high_term.ci_low, high_term.ci_high), _num(high_term.p),
                        _num(base_term.estimate), _num(base_term.p), _num(fit.r_squared), pr, pp)


def format_sources(src: SourceComparison, total: int) -> pd.DataFrame | None:
    """The per-source table for display (None when there is no source column). ``total`` is the
    analysed cohort's n: patients without a source are the hidden remainder
    (``disclosure.hidden_parts``), so no source's summary follows from the others'."""
    g = src.groups
    if not len(g):
        return None
    hidden = hidden_parts(total, {str(k): int(n) for k, n in zip(g["source"], g["n"])})
    n = dict(zip(g["source"].astype(str), g["n"]))
    return pd.DataFrame({"source": g["source"], "n": [fmt.fmt_int(k) for k in g["n"]],
                         "mean change": [suppressed(n[str(s)]) if str(s) in hidden else fmt.fmt_change(v) for v, s in zip(g["mean_change"], g["source"])],
                         "SD of change": [suppressed(n[str(s)]) if str(s) in hidden else fmt.fmt_num(v) for v, s in zip(g["sd_change"], g["source"])]})


def sources_sentence(src: SourceComparison) -> str:
    """Chapter 4's sentence on the MSC sources: ANOVA and Kruskal-Wallis, or why not."""
    if src.anova_p is None:
        return f"Source comparison not possible: {src.note}."
    return (f"ANOVA F({src.anova_df[0]}, {src.anova_df[1]}) = {fmt.fmt_num(src.anova_f)}, {fmt.fmt_p(src.anova_p)}; "
            f"Kruskal-Wallis H = {fmt.fmt_num(src.kruskal_h)}, {fmt.fmt_p(src.kruskal_p)}.")


# ---------------------------------------------------------------- chapter 4's prose and tables
def hidden_dose(dose: DoseResult, rows_analysed: int) -> frozenset[str]:
    """Dose groups whose summaries pages hide; patients without a dose are the remainder (and,
    in a controlled study, what the crossed arm x dose-group split hides: ``hidden_by_arms``)."""
    if not dose.available:
        return frozenset()
    return hidden_parts(rows_analysed, {"high": dose.high.n, "low": dose.low.n}) | dose.hidden_by_arms


def within_sentence(dose: DoseResult) -> str:
    """What the dose groups are, or why there are none."""
    if not dose.available:
        return f"**Dose analyses are not possible:** {dose.note}."
    return (f"High dose: `dose_cells` ≥ {fmt.fmt_cells(dose.cutoff_cells)} cells. "
            f"{fmt.fmt_int(dose.n_with_dose)} patients have a dose. {dose.note}").strip()


def within_table(dose: DoseResult, hidden) -> pd.DataFrame | None:
    """The paired analysis within each dose group (None without doses)."""
    if not dose.available:
        return None
    groups = {g: getattr(dose, g) for g in DOSE_GROUPS}
    return paired_table({dose_label(g, dose.cutoff_cells): r for g, r in groups.items()},
                        {dose_label(g, dose.cutoff_cells) for g in hidden})


def between_sentence(dose: DoseResult, hidden) -> str:
    """High against low dose: Welch's difference with its interval and Mann-Whitney, unless a
    group is hidden (the difference would give its mean back) or absent."""
    if not dose.available:
        return "High and low dose cannot be compared: the cohort file has no doses."
    if hidden:
        return ("High and low dose are not compared here: a dose group has fewer than 3 patients, and the "
                "difference would reveal their values.")
    w, mw = dose.welch, dose.mann_whitney
    if w.diff is None:
        return f"High and low dose cannot be compared: {w.note}."
    return (f"Mean change, high − low dose: **{fmt.fmt_change(w.diff)}**, CI {fmt.fmt_ci(w.ci_low, w.ci_high)} % points; "
            f"Welch t = {fmt.fmt_num(w.t)} on {fmt.fmt_num(w.df, 1)} df, {fmt.fmt_p(w.p)}"
            + (f" ({w.note})" if w.note else "")
            + f". Mann-Whitney U = {fmt.fmt_num(mw.u, 1)}, {fmt.fmt_p(mw.p)} ({mw.method}).")


def response_sentence(dose: DoseResult) -> str:
    """Dose against change: Pearson with its interval, Spearman."""
    if not dose.available:
        return "Dose-response cannot be examined: the cohort file has no doses."
    r, s = dose.pearson, dose.spearman
    if too_few(r.n):
        return f"Dose-response is not shown: only {r.n} patients have a dose."
    return (f"Dose vs change: Pearson r = {fmt.fmt_num(r.r)}, CI {fmt.fmt_ci(r.ci_low, r.ci_high)}, {fmt.fmt_p(r.p)}; "
            f"Spearman rho = {fmt.fmt_num(s.rho)}, {fmt.fmt_p(s.p)} ({s.method}).")


def dose_box_figure(cohort, dose: DoseResult):
    """Change by dose group (None without doses)."""
    if not dose.available:
        return None
    return group_boxes(cohort.frame, "dose_group", ["low", "high"], aggregate_above=cohort.params["aggregate_above"])


def dose_scatter_figure(cohort, dose: DoseResult):
    """Change against log10 dose, coloured by stratum for per-patient scatters (None without doses)."""
    if not dose.available:
        return None
    f = cohort.frame
    per_patient = cohort.rows_analysed <= cohort.params["aggregate_above"]
    return scatter_fit(f["dose_cells"], f["change"], "dose (cells)", "change (% points)",
                       cohort.params["aggregate_above"], logx=True, hue=f["stratum"] if per_patient else None,
                       drawable=drawable_rows(f))


def adjusted_table(adj: AdjustedDose, hidden) -> pd.DataFrame | None:
    """The baseline-adjusted dose effect for display (None when not computed or when a dose
    group is hidden: with one or two patients in a group the coefficient is their residual)."""
    if adj.high_vs_low is None or hidden:
        return None
    return pd.DataFrame([
        {"quantity": "high vs low dose, adjusted for baseline (% points)", "estimate": fmt.fmt_num(adj.high_vs_low),
         "CI": fmt.fmt_ci(*adj.high_vs_low_ci), "p": fmt.fmt_pvalue(adj.high_vs_low_p)},
        {"quantity": "change per 1 % higher baseline (% points)", "estimate": fmt.fmt_num(adj.baseline_slope),
         "CI": "", "p": fmt.fmt_pvalue(adj.baseline_slope_p)},
        {"quantity": "partial r of dose and change, given baseline", "estimate": fmt.fmt_num(adj.partial_r),
         "CI": "", "p": fmt.fmt_pvalue(adj.partial_p)}])


def adjusted_caption(adj: AdjustedDose) -> str:
    return f"Baseline-adjusted dose effect (OLS, n = {fmt.fmt_int(adj.n)}, R² = {fmt.fmt_num(adj.r_squared)})"


def adjusted_sentence(adj: AdjustedDose, hidden) -> str:
    """The adjusted dose difference in words, or why it is not shown."""
    if adj.high_vs_low is None:
        return f"Baseline-adjusted analysis not possible: {adj.note}."
    if hidden:
        return "The baseline-adjusted analysis is not shown: a dose group has fewer than 3 patients."
    return (f"At equal baseline HbA1c, the high-dose group's change differs by **{fmt.fmt_change(adj.high_vs_low)}** "
            f"({fmt.fmt_p(adj.high_vs_low_p)}) from the low-dose group's.")


def adjusted_dose_block(cohort) -> dict | None:
    """``adjusted_dose``: lm(change ~ hba1c_baseline + high_dose), high_dose's coefficient, with
    the baseline slope, R squared and the partial correlation of dose and change; None when it
    cannot be fitted."""
    a = adjust_dose_for_baseline(cohort)
    if a.high_vs_low is None:
        return None
    return {"estimate": a.high_vs_low, "ci_low": a.high_vs_low_ci[0], "ci_high": a.high_vs_low_ci[1],
            "p": a.high_vs_low_p, "n": a.n, "baseline_slope": a.baseline_slope, "baseline_slope_p": a.baseline_slope_p,
            "r_squared": a.r_squared, "partial_r": a.partial_r, "partial_p": a.partial_p}
