"""How far to trust a single-arm before/after result: regression to the mean, durability,
multiplicity and the size of the randomised trial that would settle it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as st

from mscreport.display import figures
from mscreport.methods.stats import holm, linear_slope, n_per_arm, pearson, spearman
from mscreport.core.disclosure import SUPPRESSED_GROUP, drawable_rows, hidden_parts, solve_arms, suppressed
from mscreport.display.fmt import fmt_change, fmt_ci, fmt_int, fmt_num, fmt_p, fmt_percent, fmt_pvalue, too_small


def oldham_mean(frame):
    """Oldham's x-axis, once: the mean of baseline and follow-up HbA1c (NGSP %)."""
    return (frame["hba1c_baseline"] + frame["hba1c_followup"]) / 2


def oldham(cohort):
    """Oldham's test: Pearson r of change with the mean of baseline and follow-up.

    Unlike r(change, baseline), which regression to the mean biases negative, this r is 0
    when baseline and follow-up have equal variance (Oldham, J Chronic Dis 1962)."""
    f = cohort.frame
    return pearson(oldham_mean(f), f["change"], cohort.params["alpha"])


def expected_rtm(mean: float, sd: float, cutoff: float, rho: float) -> float:
    """Barnett et al. (Int J Epidemiol 2005;34:215-20): expected regression to the mean for
    patients selected with a first measurement above ``cutoff``, in % points (positive = a fall
    that would happen with no treatment): sd * (1 - rho) * phi(z) / (1 - Phi(z)), z = (cutoff - mean) / sd."""
    z = (cutoff - mean) / sd
    return sd * (1 - rho) * float(np.exp(st.norm.logpdf(z) - st.norm.logsf(z)))  # phi / (1 - Phi), on the log scale: finite far out


CITED_RHO = (0.5, 0.6, 0.7, 0.8, 0.9)  # a span of test-retest correlations to show (not a cited range)


def rtm_table(cohort, rhos=CITED_RHO) -> pd.DataFrame:
    """Expected fall from regression to the mean (% points) in the severe stratum, against the
    observed fall, over test-retest correlations rho (the span ``rhos`` with ``source`` =
    "assumed" and, last, the cohort's own baseline-follow-up correlation, "observed"), two ways:

    * ``expected_fall_model``: Barnett et al.'s formula for a normal population, with mean and
      SD estimated by the analysed cohort's baselines. The cohort is itself selected
      (>= moderate_min), so the normal model places the stratum's mean baseline lower than
      observed: a lower bound.
    * ``expected_fall_means``: (1 - rho) x (mean baseline of the stratum - cohort mean), the
      classical expectation E[second | first] = mu + rho (first - mu) averaged over the stratum.
    """
    f = cohort.frame
    b = f["hba1c_baseline"]
    sev = cohort.stratum("severe")
    observed = -sev["change"].mean() if len(sev) else np.nan
    mu, sd = b.mean(), b.std()
    excess = sev["hba1c_baseline"].mean() - mu if len(sev) else np.nan
    pairs = [(r, "assumed") for r in rhos] + [(observed_rho(cohort), "observed")]

    by_arms = "severe" in solve_arms(f)["stratum"][0]  # a controlled study's crossed split may hide it
    rows = []
    for rho, source in pairs:
        if rho is None:
            continue
        model = expected_rtm(mu, sd, cohort.params["severe_above"], rho) if len(b) > 1 and sd > 0 else np.nan
        means = (1 - rho) * excess
        rows.append({"rho": rho, "source": source, "expected_fall_model": model, "expected_fall_means": means,
                     "observed_fall": observed, "share_model": _share(model, observed),
                     "share_means": _share(means, observed), "n_severe": len(sev),
                     "n_analysed": len(f), **({"severe_hidden_by_arms": True} if by_arms else {})})
    return pd.DataFrame(rows)


def _share(expected: float, observed: float) -> float:
    return expected / observed if np.isfinite(observed) and observed > 0 else np.nan


def observed_rho(cohort) -> float | None:
    """The analysed cohort's baseline-follow-up Pearson correlation (R: cor(baseline, followup))."""
    f = cohort.frame
    return pearson(f["hba1c_baseline"], f["hba1c_followup"]).r


def rtm_block(cohort) -> dict:
    """``rtm``: the observed correlation and the expected-fall table."""
    return {"observed_rho": observed_rho(cohort), "severe_above": cohort.params["severe_above"],
            "rows": rtm_table(cohort).to_dict("records")}


def rtm_hidden(row: dict) -> bool:
    """Whether the severe stratum's numbers in an RTM row are hidden by the disclosure rule
    (``disclosure.hidden_parts``: with the cohort's, the moderate stratum's would give them back)."""
    n_sev, n = int(row["n_severe"]), int(row.get("n_analysed", row["n_severe"]))
    return "severe" in hidden_parts(n, {"severe": n_sev, "moderate": n - n_sev}) or bool(row.get("severe_hidden_by_arms"))


def rtm_caption(params: dict) -> str:
    """Caption of the regression-to-the-mean table (the severe cut-off, NGSP %)."""
    return f"Expected fall from regression to the mean alone in the severe stratum (> {params['severe_above']:g} %), % points"


def format_rtm(rows: list[dict]) -> pd.DataFrame:
    """The regression-to-the-mean table for display. When the severe stratum is hidden, so are
    its observed fall and the expectation from its mean baseline (which, with the cohort's mean,
    gives that mean back)."""
    out = []
    for r in rows:
        hidden = rtm_hidden(r)
        out.append({"ρ": f"{r['rho']:g}" if r["source"] == "assumed" else f"{fmt_num(r['rho'])} (this cohort's r)",
                    "expected fall, normal model (lower bound)": fmt_num(r["expected_fall_model"]),
                    "expected fall, from the stratum's mean": suppressed(r["n_severe"]) if hidden else fmt_num(r["expected_fall_means"]),
                    "observed fall": suppressed(r["n_severe"]) if hidden else fmt_num(r["observed_fall"]),
                    "share of observed (model, means)": "" if hidden else
                    f"{fmt_percent(r['share_model'], 0)}, {fmt_percent(r['share_means'], 0)}"})
    return pd.DataFrame(out)


def say_rtm(block: dict, study=None) -> str:
    """The regression-to-the-mean verdict, based on the cohort's own correlation."""
    obs = [r for r in block["rows"] if r["source"] == "observed"]
    if not obs:
        return "**Verdict:** the cohort's baseline-follow-up correlation cannot be computed, so none is given."
    r = obs[0]
    hidden = rtm_hidden(r)  # the stratum's own numbers are not shown (disclosure rule)
    share = ("" if hidden or too_small(r["n_severe"]) or not np.isfinite(r["share_means"]) else
             f", {fmt_percent(r['share_model'], 0)} to {fmt_percent(r['share_means'], 0)} of the observed fall")
    size = (f"at least **{fmt_num(r['expected_fall_model'])} % points** (normal model)" if hidden else
            f"about **{fmt_num(r['expected_fall_model'])} to {fmt_num(r['expected_fall_means'])} % points**")
    return (f"**Verdict:** with this cohort's own baseline-follow-up correlation (r = {fmt_num(block['observed_rho'])}), "
            f"regression to the mean alone would lower the severe stratum's HbA1c by {size}{share}. "
            "That r is lowered by any treatment effect that differs between patients, and it spans follow-up of "
            "months to years, not one year, so it is a rough guide; the other rows show how the answer moves "
            "with the correlation (no published test-retest value is assumed). "
            + ("In a randomised trial it acts on every arm alike, so the between-arm difference (the change chapter) "
               "is what remains of a treatment effect." if study is not None and study.controlled else
               "Without a control group, this part cannot be told apart from a treatment effect."))


def oldham_block(cohort) -> dict:
    """``oldham``: r of change with the mean of baseline and follow-up, and the two SDs it compares."""
    o = oldham(cohort)
    f = cohort.frame
    return {"r": o.r, "p": o.p, "ci_low": o.ci_low, "ci_high": o.ci_high, "n": o.n,
            "baseline_sd": float(f["hba1c_baseline"].std()) if len(f) > 1 else None,
            "followup_sd": float(f["hba1c_followup"].std()) if len(f) > 1 else None}


def say_oldham(o: dict, alpha: float) -> str:
    """Oldham's r with what it can and cannot show, and a verdict."""
    head = f"Oldham's correlation: r = {fmt_num(o['r'])}, CI {fmt_ci(o['ci_low'], o['ci_high'])}, {fmt_p(o['p'])}. "
    why = ("Oldham's r is zero exactly when baseline and follow-up have the same SD (here "
           f"{fmt_num(o['baseline_sd'])} and {fmt_num(o['followup_sd'])} % points), so it removes the artefact of "
           "plotting change against baseline only under that condition; it does not remove the regression to the "
           "mean of a cohort selected on a raised first value. ")
    if o["p"] is None:
        return head + why + "**Verdict:** not computable for this cohort."
    if o["p"] >= alpha:
        verdict = ("no evidence that the change depends on the HbA1c level beyond regression to the mean; "
                   "the interval shows how strong a dependence the data still allow.")
    elif o["r"] < 0:
        verdict = ("patients with higher HbA1c fell more than regression to the mean alone explains, or, "
                   "equivalently, HbA1c varied less at follow-up than at baseline; the data cannot say which.")
    else:
        verdict = "HbA1c varied more at follow-up than at baseline: the changes diverged with the level."
    return head + why + "**Verdict:** " + verdict


def durability(cohort):
    """``durability``: change on years of follow-up (R: lm(change ~ I(followup_months / 12))):
    the slope per year with its CI and p, and Pearson and Spearman of change with months; None
    without followup_months."""
    if not cohort.has("followup_months"):
        return None
    f = cohort.frame[cohort.frame["followup_months"].notna()]
    x, y = f["followup_months"].to_numpy(float), f["change"].to_numpy(float)
    fit = linear_slope(x / 12, y, cohort.params["alpha"])
    pr, sp = pearson(x, y, cohort.params["alpha"]), spearman(x, y)
    return {"n": fit.n, "slope_per_year": fit.slope, "ci_low": fit.ci_low, "ci_high": fit.ci_high, "p": fit.p,
            "se": fit.se, "intercept": fit.intercept, "mean_change": float(np.mean(y)) if len(y) else None,
            "pearson": {"r": pr.r, "p": pr.p}, "spearman": {"rho": sp.rho, "p": sp.p},
            "loss_years": LOSS_YEARS, "loss_slope": -float(np.mean(y)) / LOSS_YEARS if len(y) else None}


def show_durability_figure(ch, cohort) -> None:
    """Chapter 5's figure of change against follow-up months (nothing without followup_months)."""
    if not cohort.has("followup_months"):
        return
    months = cohort.frame["followup_months"]
    line = figures.can_fit_line(months)
    ch.figure(durability_figure(cohort),
              "Change in HbA1c against months of follow-up, with the least-squares line." if line else
              "Change in HbA1c against months of follow-up (no line: every follow-up is at the same time).",
              "Scatter of HbA1c change against follow-up months with a fitted line." if line else
              "Scatter of HbA1c change against follow-up months, all at one follow-up time.")
    if not line:
        ch.say(single_time_sentence(months))


def single_time_sentence(months) -> str:
    """In words, why chapter 5 draws no line of change against follow-up time: every analysed
    patient's follow-up is at one time (months), so a slope over time cannot be estimated."""
    m = pd.Series(months, dtype=float).dropna()
    when = f"month {fmt_num(float(m.iloc[0]), 3)}" if len(m) else "one time"
    return (f"Every analysed patient's follow-up HbA1c is at the same time ({when}): a line through a single "
            "follow-up time says nothing about how the change moves with time, so none is fitted or drawn.")


def durability_figure(cohort):
    """Change against follow-up months, a hidden group's patients left out (``drawable_rows``)."""
    return figures.scatter_fit(cohort.frame["followup_months"], cohort.frame["change"], "follow-up (months)",
                               "change (% points)", cohort.params["aggregate_above"], drawable=drawable_rows(cohort.frame))


LOSS_YEARS = 5  # the horizon over which a complete loss of the effect is asked about


def say_durability(d: dict | None, alpha: float, study=None) -> str:
    """The slope with its CI and a plain verdict, with the natural drift as the caveat (the
    condition's own drift named only when ``study`` (inputs.study.Study) says type 2 diabetes;
    None: the paper's)."""
    if d is None:
        return "Durability cannot be examined: the cohort file has no `followup_months` column."
    if d["slope_per_year"] is None:
        return "Durability cannot be examined: too few patients or too little spread in follow-up time."
    erase, years = d["loss_slope"], d["loss_years"]
    head = (f"Slope: {fmt_change(d['slope_per_year'])} per year of follow-up, {fmt_percent(1 - alpha, 0)} CI "
            f"{fmt_ci(d['ci_low'], d['ci_high'])} % points per year, {fmt_p(d['p'])} (n = {fmt_int(d['n'])}; Pearson r = "
            f"{fmt_num(d['pearson']['r'])}, Spearman rho = {fmt_num(d['spearman']['rho'])}). ")
    if erase is None or erase <= 0:
        verdict = "there was no mean fall to lose."
    elif d["ci_high"] is not None and d["ci_high"] >= erase:
        verdict = (f"a complete loss of the mean fall over {years} years (a slope of {fmt_num(erase)} % points "
                   "per year) cannot be excluded.")
    else:
        verdict = (f"the interval excludes a complete loss of the mean fall over {years} years "
                   f"(a slope of {fmt_num(erase)} % points per year) in these patients.")
    drift = ("HbA1c in type 2 diabetes tends to rise over the years as the disease progresses"
             if study is None or study.condition == "type_2_diabetes" else
             "HbA1c can drift over the years for reasons other than the treatment")
    control = ("without a control group a slope cannot tell a fading effect from that natural drift"
               if study is None or not study.controlled else
               "a pooled slope mixes the arms and cannot tell a fading effect from that drift")
    return (head + "**Verdict:** " + verdict + f" {drift}, so {control}; "
            "and each patient contributes one follow-up value at one time, so this compares different patients.")


def say_dose_reversal(dose, adjusted: dict | None, alpha: float, reconstruction: bool = False) -> str:
    """The unadjusted high-vs-low difference and the baseline-adjusted one, each with its
    interval, and what they allow: when both intervals include 0, that both are compatible with
    no difference (a change of sign between them is noise, not a finding); for a
    reconstruction, that its dose assignment built the baseline imbalance in."""
    if adjusted is None or dose.welch is None or dose.welch.diff is None:
        return "The unadjusted and baseline-adjusted dose differences cannot both be computed for this cohort."
    w, raw, adj = dose.welch, dose.welch.diff, adjusted["estimate"]
    head = (f"Unadjusted, the high-dose group's mean change differs by {fmt_change(raw)} from the low-dose group's, "
            f"CI {fmt_ci(w.ci_low, w.ci_high)}; at equal baseline HbA1c by {fmt_change(adj)}, "
            f"CI {fmt_ci(adjusted['ci_low'], adjusted['ci_high'])}, {fmt_p(adjusted['p'])}. ")
    includes_zero = lambda lo, hi: lo is not None and hi is not None and lo <= 0 <= hi
    if includes_zero(w.ci_low, w.ci_high) and includes_zero(adjusted["ci_low"], adjusted["ci_high"]):
        verdict = ("Both intervals include 0: both estimates are compatible with no difference between the dose "
                   "groups, so neither the difference nor any change of its sign or size after adjustment is a finding.")
    elif raw * adj < 0:
        verdict = ("The direction changes after adjustment: part of the unadjusted difference is accounted for by the "
                   "high-dose group starting higher.")
    elif abs(adj) < abs(raw):
        verdict = "Adjustment shrinks the difference: part of it is accounted for by the high-dose group starting higher."
    else:
        verdict = "Adjustment does not shrink the difference."
    if reconstruction:
        verdict += (" In this reconstruction the baseline imbalance is built in: its doses were assigned with high "
                    "doses a little more likely at higher baselines (an assumption, chapter 6), so adjustment finds "
                    "what the construction put there.")
    return (head + verdict + " The model's baseline slope is the change-on-baseline regression, which regression to "
            "the mean alone makes negative (chapter 5).")


def subgroup_family(strata: dict, dose) -> dict[str, float | None]:
    """The family of subgroup tests that Holm's method adjusts: the two strata, the two dose
    groups, and the two dose comparisons. The overall paired test is the primary analysis and
    is not part of the family."""
    return {"moderate paired t": strata["moderate"].p, "severe paired t": strata["severe"].p,
            "high-dose paired t": dose.high.p if dose.high else None, "low-dose paired t": dose.low.p if dose.low else None,
            "high vs low (Welch)": dose.welch.p if dose.welch else None,
            "dose-change (Pearson)": dose.pearson.p if dose.pearson else None}


def holm_block(family: dict[str, float | None]) -> list[dict]:
    """``holm``: exactly the tests adjusted, raw and Holm-adjusted p (R: p.adjust(p, "holm"))."""
    adjusted = holm(family)
    return [{"test": k, "p": v, "p_holm": adjusted[k]} for k, v in family.items()]


# which groups each test of the family is computed from (disclosure: a hidden group's test is not shown)
FAMILY_GROUPS = {"moderate paired t": ("moderate",), "severe paired t": ("severe",),
                 "high-dose paired t": ("high",), "low-dose paired t": ("low",),
                 "high vs low (Welch)": ("high", "low"), "dose-change (Pearson)": ()}


def format_holm(rows: list[dict], hidden=()) -> pd.DataFrame:
    """The Holm table for display; the p-values of a test on a group hidden by the disclosure
    rule (``disclosure.hidden_groups``) suppressed."""
    def cell(r, key):
        return SUPPRESSED_GROUP if set(FAMILY_GROUPS.get(r["test"], ())) & set(hidden) else fmt_pvalue(r[key])
    return pd.DataFrame([{"test": r["test"], "p": cell(r, "p"), "p (Holm)": cell(r, "p_holm")} for r in rows])


def say_holm(rows: list[dict], alpha: float) -> str:
    """Which subgroup findings stay below alpha after Holm's adjustment."""
    kept = [r["test"] for r in rows if r["p_holm"] is not None and r["p_holm"] < alpha]
    n = sum(1 for r in rows if r["p"] is not None)
    if not kept:
        return f"After Holm's adjustment of these {n} tests, none stays below α = {alpha:g}."
    return f"After Holm's adjustment of these {n} tests, {len(kept)} stay below α = {alpha:g}: " + ", ".join(kept) + "."


TYPICAL_TRIAL_SD = 1.0  # % points: an SD of HbA1c change of about 1 % is common in trials of glucose-lowering drugs


def sample_size_block(mean_change: float | None, sd_cohort: float | None, sd_paper: float | None, alpha: float,
                      dropout: float, powers=(0.8, 0.9)) -> list[dict]:
    """``sample_size``: patients per arm of a two-arm trial (R: power.t.test(delta, sd, sig.level
    = alpha, power)$n, rounded up), over the effect (the observed mean fall, and half of it, as if
    half were regression to the mean) and plausible SDs of change (this cohort's, the largest
    that the paper's overall p allows, and a typical trial's), then inflated for ``dropout``:
    ceiling(n / (1 - dropout))."""
    if mean_change is None:
        return []
    sds = [("this cohort", sd_cohort), ("largest the paper's p allows", sd_paper), ("typical trial", TYPICAL_TRIAL_SD)]
    sds = [(label, sd) for label, sd in sds if sd is not None or label == "this cohort"]  # no paper bound on a user's cohort
    rows = []
    for share in (1.0, 0.5):
        delta = abs(mean_change) * share
        for label, sd in sds:
            row = {"share_of_effect": share, "delta": delta, "sd_from": label, "sd": sd, "dropout": dropout}
            for power in powers:
                n = n_per_arm(delta, sd, alpha, power) if sd else None
                key = f"{round(power * 100)}"
                row[f"power_{key}_n_exact"] = n
                row[f"power_{key}_n_per_arm"] = None if n is None else math.ceil(n)
                row[f"power_{key}_n_with_dropout"] = None if n is None else math.ceil(math.ceil(n) / (1 - dropout))
            rows.append(row)
    return rows


def sample_size_caption(params: dict) -> str:
    """Caption of the trial-size table (the dropout allowance as a percentage)."""
    return f"Patients per arm for a randomised trial (dropout allowance {params['dropout']:.0%})"


def format_sample_size(rows: list[dict], hidden=()) -> pd.DataFrame:
    """The trial-size table for display; the effect and this cohort's SD suppressed when the
    disclosure rule hides the whole cohort (fewer than 3 patients)."""
    def num(r, key):
        return suppressed(0) if "overall" in hidden and (key == "delta" or r["sd_from"] == "this cohort") else fmt_num(r[key])
    return pd.DataFrame([{"effect (% points)": num(r, "delta"), "share of observed fall": fmt_percent(r["share_of_effect"], 0),
                          "SD of change (% points)": f"{num(r, 'sd')} ({r['sd_from']})",
                          "n per arm, power 80 %": fmt_int(r["power_80_n_per_arm"]),
                          "with dropout, 80 %": fmt_int(r["power_80_n_with_dropout"]),
                          "n per arm, power 90 %": fmt_int(r["power_90_n_per_arm"]),
                          "with dropout, 90 %": fmt_int(r["power_90_n_with_dropout"])} for r in rows])


def say_ancova_size(block: dict | None, hidden=()) -> str:
    """The trial size of an ANCOVA analysis (results.json ``ancova_sample_size``) beside the
    table's t-test on the change: ANCOVA's outcome SD is the residual SD of follow-up given
    baseline, so it needs fewer patients (R: power.t.test with that SD). Suppressed with the
    table's own numbers when the disclosure rule hides the cohort."""
    if "overall" in hidden:
        return ""
    if block is None or block.get("n_ancova_per_arm") is None or block.get("n_change_per_arm") is None:
        return "The trial size of an ANCOVA analysis cannot be computed for this cohort (an SD is missing or zero)."
    return (f"A trial analysed by ANCOVA (follow-up on baseline and arm, the usual primary analysis of a trial with a "
            f"baseline measurement) has as its outcome SD the residual SD of follow-up given baseline: "
            f"{fmt_num(block['residual_sd'])} % points in this cohort, against "
            f"an SD of change of {fmt_num(block['sd_change'])}. To detect a difference of {fmt_num(block['delta'])} % "
            f"points with {fmt_percent(block['power'], 0)} power at α = {block['alpha']:g} it needs "
            f"**{block['n_ancova_per_arm']} patients per arm**, against {block['n_change_per_arm']} from a t-test on "
            "the change: planning with the SD of change oversizes a trial that ANCOVA will analyse.")


def oldham_plot(frame, aggregate_above: int):
    """Oldham plot: change against the mean of baseline and follow-up (% points against NGSP %)."""
    return figures.scatter_fit(oldham_mean(frame), frame["change"], "mean of baseline and follow-up HbA1c (%)",
                               "change (% points)", aggregate_above,
                               hue=frame["stratum"] if len(frame) <= aggregate_above else None,
                               drawable=drawable_rows(frame))
