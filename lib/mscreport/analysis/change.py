"""HbA1c change beyond the paired t-test: the normality check, the rank-based shift with
the median beside it, the glycaemic target, safety, completers and attrition, and change
by follow-up window. Each ``*_block`` is a results.json section (interface.md); each
``say_*`` picks the sentence a chapter shows from those numbers.

Conventions: change = follow-up - baseline (NGSP % points, a fall is negative);
intervals at 1 - alpha.
"""

from __future__ import annotations

import numpy as np

from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core.disclosure import hidden_parts, suppressed
from mscreport.display import fmt
from mscreport.inputs.longitudinal import reason_no_followup
from mscreport.inputs.validators import REASON_NO_FOLLOWUP
from mscreport.methods.stats import clopper_pearson, mcnemar, paired_test, wilson_interval

FOLLOWUP_WINDOWS = ((0.0, 12.0), (12.0, 36.0), (36.0, None))  # months: (from, to]; None = open
BASELINE_LEVELS = (7.0, 6.5)  # NGSP %: how many started below each (clinical reference levels)


def _changes(cohort, group: str):
    c = cohort.frame["change"].to_numpy(float)
    return c if group == "overall" else c[cohort.stratum_mask(group)]


def _paired(cohort) -> dict:
    """The paired analyses of chapter 3, overall and per stratum (the same results, computed once)."""
    return {"overall": analyse_overall(cohort), **analyse_strata(cohort)}


def normality_block(paired: dict) -> dict:
    """``normality``: Shapiro-Wilk W and p of the change per group (R: shapiro.test(change)),
    with n (its power is low at small n)."""
    return {g: {"w": r.shapiro_w, "p": r.shapiro_p, "n": r.n, "low_power": r.n < SHAPIRO_SMALL_N} for g, r in paired.items()}


def hodges_lehmann_block(cohort, paired: dict) -> dict:
    """``hodges_lehmann``: the signed-rank shift estimate and interval (R: wilcox.test(change,
    conf.int = TRUE)), whether R's exact path applies, the median change beside it, and the
    zero changes that the signed-rank test drops."""
    out = {}
    for g, r in paired.items():
        d = _changes(cohort, g)
        out[g] = {"estimate": r.hl_estimate, "ci_low": r.hl_ci_low, "ci_high": r.hl_ci_high,
                  "conf_level": r.hl_conf_level,  # R's attr(conf.int, "conf.level")
                  "exact": ("exact" in r.wilcoxon_method) if r.wilcoxon_method else None,
                  "median_change": float(np.median(d)) if len(d) else None,
                  "zeros": int(np.sum(d == 0)), "n": r.n, "wilcoxon_v": r.wilcoxon_v, "wilcoxon_p": r.wilcoxon_p}
    return out


def target_block(cohort) -> dict:
    """``target``: below ``target_hba1c`` before and after, the proportion after with its
    Wilson interval (R: prop.test(k, n, correct = FALSE)), the same among those at or above
    the target at baseline, McNemar (R: mcnemar.test), and how many started below 7 and 6.5 %."""
    f = cohort.frame
    alpha = cohort.params["alpha"]
    target = float(cohort.params["target_hba1c"])
    before = (f["hba1c_baseline"] < target).to_numpy()
    after = (f["hba1c_followup"] < target).to_numpy()
    mc = mcnemar(before, after)
    prop = wilson_interval(int(after.sum()), len(f), alpha)
    above = wilson_interval(int((after & ~before).sum()), int((~before).sum()), alpha)
    return {"target_hba1c": target, "n": len(f), "below_before": int(before.sum()), "below_after": int(after.sum()),
            "proportion_after": prop.proportion, "ci_low": prop.ci_low, "ci_high": prop.ci_high,
            "mcnemar": {"statistic": mc.statistic, "p": mc.p, "became_below": mc.became_below,
                        "became_above": mc.became_above},
            "above_at_baseline": {"n": above.n, "below_after": above.k, "proportion": above.proportion,
                                  "ci_low": above.ci_low, "ci_high": above.ci_high},
            "below_at_baseline": [{"level": lvl, "n": int((f["hba1c_baseline"] < lvl).sum())} for lvl in BASELINE_LEVELS]}


def safety_block(cohort) -> dict | None:
    """``safety``: serious adverse events / patients with the column filled, with the exact
    (Clopper-Pearson) interval (R: binom.test); None without a serious_adverse_event column."""
    if not cohort.has("serious_adverse_event"):
        return None
    v = cohort.frame["serious_adverse_event"]
    known = v.dropna()
    events = int(sum(bool(x) for x in known))
    ci = clopper_pearson(events, len(known), cohort.params["alpha"])
    return {"n": len(known), "events": events, "proportion": ci.proportion, "ci_low": ci.ci_low, "ci_high": ci.ci_high,
            "not_recorded": int(v.isna().sum())}


def attrition_block(cohort) -> dict:
    """``attrition``: completers (the analysed cohort) and infused patients without a follow-up
    HbA1c, with a sensitivity analysis counting those as unchanged (baseline carried forward:
    change 0; R: t.test(c(change, rep(0, m))))."""
    no_followup = {REASON_NO_FOLLOWUP, reason_no_followup(cohort.params)}  # wide and long files' wording
    m = sum(1 for e in cohort.excluded if e.reason in no_followup)
    d = np.concatenate([cohort.frame["change"].to_numpy(float), np.zeros(m)])
    bcf = paired_test(np.zeros(len(d)), d, cohort.params["alpha"], rank_tests=False)  # one-sample t of d
    return {"n_completers": cohort.rows_analysed, "n_no_followup": m, "n_infused": len(d),
            "rows_read": cohort.rows_read, "n_excluded": len(cohort.excluded),
            "excluded_by_reason": cohort.exclusion_counts().to_dict("records"),
            "bcf_mean_change": bcf.mean_change, "bcf_ci_low": bcf.ci_low, "bcf_ci_high": bcf.ci_high, "bcf_p": bcf.p}


def windows_block(cohort) -> list[dict] | None:
    """``change_by_followup``: the change within follow-up windows (months (0, 12], (12, 36],
    over 36), each with its one-sample t interval; None without followup_months."""
    if not cohort.has("followup_months"):
        return None
    f = cohort.frame
    months, base, follow = (f[c].to_numpy(float) for c in ("followup_months", "hba1c_baseline", "hba1c_followup"))
    rows = []
    for lo, hi in FOLLOWUP_WINDOWS:  # a missing follow-up time (NaN) is in no window
        k = (months > lo) & ((months <= hi) if hi is not None else True)
        r = paired_test(base[k], follow[k], cohort.params["alpha"], rank_tests=False)
        rows.append({"from_months": lo, "to_months": hi, "n": r.n, "mean_change": r.mean_change,
                     "sd_change": r.sd_change, "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p})
    return rows


def analyse_change(cohort) -> dict:
    """Every block of the change chapter beyond PAIRED, keyed as in results.json."""
    paired = _paired(cohort)
    return {"normality": normality_block(paired), "hodges_lehmann": hodges_lehmann_block(cohort, paired),
            "target": target_block(cohort), "safety": safety_block(cohort), "attrition": attrition_block(cohort),
            "change_by_followup": windows_block(cohort)}


# ---------------------------------------------------------------- sentences
def say_paired(overall, strata: dict, alpha: float) -> str:
    """The paired t-test overall and per stratum (a stratum hidden by the disclosure rule, with
    fewer than 3 patients or recoverable from the overall minus the other, is named, not shown)."""
    level = fmt.fmt_percent(1 - alpha, 0)
    hidden = hidden_parts(overall.n, {name: r.n for name, r in strata.items()}) | getattr(strata, "hidden_by_arms", frozenset())
    if fmt.too_small(overall.n):
        return (f"The cohort has **{overall.n}** analysed patients: its summaries are not shown (with fewer than 3 "
                "patients they would reveal a patient's values).")
    lines = [f"Across all **{fmt.fmt_int(overall.n)}** patients, mean HbA1c went from {fmt.fmt_hba1c(overall.baseline_mean)} to "
             f"{fmt.fmt_hba1c(overall.followup_mean)}: a mean change of **{fmt.fmt_change(overall.mean_change)}**, "
             f"{level} CI {fmt.fmt_ci(overall.ci_low, overall.ci_high)} % points, {fmt.fmt_p(overall.p)}, "
             f"d_z = {fmt.fmt_num(overall.cohens_dz)}; SD of change {fmt.fmt_sd(overall.sd_change)}."]
    for name, r in strata.items():
        if fmt.too_small(r.n):
            lines.append(f"The **{name}** stratum has n = {fmt.fmt_int(r.n)}: its summaries are not shown (they would reveal a "
                         "patient's values).")
        elif name in hidden:
            lines.append(f"The **{name}** stratum (n = {fmt.fmt_int(r.n)}): its summaries are not shown, because with the whole "
                         f"cohort's they would reveal the values of the other stratum's fewer than {fmt.min_shown()} patients.")
        elif r.p is None:
            lines.append(f"In the **{name}** stratum (n = {fmt.fmt_int(r.n)}) the test cannot be computed: "
                         f"{r.note or 'too few patients'}.")
        else:
            lines.append(f"In the **{name}** stratum (n = {fmt.fmt_int(r.n)}) the mean change was **{fmt.fmt_change(r.mean_change)}**, "
                         f"CI {fmt.fmt_ci(r.ci_low, r.ci_high)}, {fmt.fmt_p(r.p)}.")
    return "\n\n".join(lines)


SHAPIRO_SMALL_N = 30  # below this Shapiro-Wilk rarely detects even a clear departure (recorded in normality)


def say_normality(block: dict, alpha: float) -> str:
    """What Shapiro-Wilk says for each group, with its power limits named."""
    parts = []
    for g, r in block.items():
        if r["p"] is None or fmt.too_small(r["n"]):
            parts.append(f"{g}: not computed (n = {fmt.fmt_int(r['n'])})")
            continue
        verdict = "no clear departure from normality" if r["p"] >= alpha else "the changes are not normal"
        if r["low_power"] and r["p"] >= alpha:
            verdict += " (but at so small an n the test has little power: this is not evidence that they are normal)"
        elif r["p"] < alpha:
            verdict += (" (the t-test then leans on n for its validity; the signed-rank test below drops normality but "
                        "assumes the changes are symmetric about their centre; only the sign test, which counts falls "
                        "and rises, assumes neither)")
        else:
            verdict += " (at this n the test would usually detect a marked skew)"
        parts.append(f"{g} (n = {fmt.fmt_int(r['n'])}): W = {r['w']:.3f}, {fmt.fmt_p(r['p'])}: {verdict}")
    return "**Shapiro-Wilk on the change.** " + "; ".join(parts) + "."


def say_rank_shift(block: dict) -> str:
    """The Hodges-Lehmann shift beside the median change, with the test's assumptions."""
    parts = []
    for g, r in block.items():
        if fmt.too_small(r["n"]) or r["estimate"] is None:
            continue
        zeros = f"; {r['zeros']} zero change{'s' if r['zeros'] != 1 else ''} dropped" if r["zeros"] else ""
        parts.append(f"{g}: median change {fmt.fmt_change(r['median_change'])}, Hodges-Lehmann "
                     f"{fmt.fmt_change(r['estimate'])}, CI {fmt.fmt_ci(r['ci_low'], r['ci_high'])}{zeros}")
    return ("**Rank-based shift.** " + "; ".join(parts) + ". The signed-rank test assumes the changes are "
            "symmetric about their centre; it drops zero changes before ranking (R's convention).")


def say_target(t: dict, alpha: float) -> str:
    """Below the target before and after, with the Wilson interval and McNemar."""
    level = f"{fmt.fmt_percent(1 - alpha, 0)}"
    a = t["above_at_baseline"]
    among = (f" Of the {a['n']} who started at or above the target, {a['below_after']} were below it at follow-up "
             f"({fmt.fmt_percent(a['proportion'])}, {level} CI {fmt.fmt_percent_ci(a['ci_low'], a['ci_high'])})."
             if a["n"] else " Every patient started below the target.")
    starts = " and ".join(f"{b['n']} below {fmt.fmt_num(b['level'], 1)} %" for b in t["below_at_baseline"])
    mc = t["mcnemar"]
    test = (f"McNemar, continuity-corrected: {fmt.fmt_p(mc['p'])}" if mc["p"] is not None
            else "McNemar not computed: no patient crossed the target")
    return (f"Below {fmt.fmt_hba1c(t['target_hba1c'])}: **{fmt.fmt_int(t['below_before'])}** of {fmt.fmt_int(t['n'])} patients at baseline, "
            f"**{t['below_after']}** at follow-up ({fmt.fmt_percent(t['proportion_after'])}, {level} Wilson CI "
            f"{fmt.fmt_percent_ci(t['ci_low'], t['ci_high'])}); {mc['became_below']} crossed below the target and "
            f"{mc['became_above']} rose above it ({test}).{among} At baseline, {starts}.")


def say_safety(s: dict | None, alpha: float) -> str:
    """Serious adverse events as events / n with the exact interval, and what was not recorded."""
    if s is None:
        return ("**Safety:** the cohort file has no `serious_adverse_event` column, so nothing can be said "
                "about serious adverse events.")
    missing = f" {s['not_recorded']} patient(s) have no entry." if s["not_recorded"] else ""
    return (f"**Safety:** {fmt.fmt_int(s['events'])} of {fmt.fmt_int(s['n'])} patients had a serious adverse event recorded "
            f"({fmt.fmt_percent(s['proportion'])}; exact {fmt.fmt_percent(1 - alpha, 0)} CI {fmt.fmt_percent_ci(s['ci_low'], s['ci_high'])})."
            f"{missing} Non-serious events, hypoglycaemia and laboratory safety were not recorded in this file; "
            "an upper bound from a small cohort does not exclude rare harms.")


def say_attrition(a: dict, alpha: float, study=None) -> str:
    """Completers, patients treated without follow-up, and the baseline-carried-forward
    sensitivity ("infused" only for an MSC study: ``study`` an inputs.study.Study; None: the paper's)."""
    treated = "infused" if study is None or study.msc else "treated"
    if not a["n_no_followup"]:
        return (f"**Completers:** all {fmt.fmt_int(a['n_completers'])} analysed patients have a follow-up HbA1c; the file lists no "
                f"{treated} patient without one. Patients lost before follow-up who are not in the file cannot be "
                "accounted for.")
    return (f"**Completers:** this is an analysis of the {fmt.fmt_int(a['n_completers'])} patients with a follow-up HbA1c; "
            f"{fmt.fmt_int(a['n_no_followup'])} {treated} patient(s) have none. Counting them as unchanged (baseline carried "
            f"forward) gives a mean change of {fmt.fmt_change(a['bcf_mean_change'])}, {fmt.fmt_percent(1 - alpha, 0)} CI "
            f"{fmt.fmt_ci(a['bcf_ci_low'], a['bcf_ci_high'])}, {fmt.fmt_p(a['bcf_p'])}.")


def paired_caption(alpha: float) -> str:
    """Caption of the paired-analysis table (its interval level from ``alpha``)."""
    return f"Paired analysis of HbA1c (change = follow-up − baseline, % points; CI at {1 - alpha:.0%})"


def windows_caption(alpha: float) -> str:
    """Caption of the change-by-follow-up-window table (its interval level from ``alpha``)."""
    return f"Change in HbA1c by follow-up window (% points; one-sample t interval at {1 - alpha:.0%})"


def format_windows(rows: list[dict]):
    """The change-by-follow-up-window table for display (groups of n < 3 suppressed); one
    explanatory row when the cohort has no followup_months."""
    import pandas as pd

    if rows is None:
        return pd.DataFrame([{"follow-up (months)": "not available: the cohort file has no followup_months column"}])
    out = []
    for r in rows:
        label = f"over {r['from_months']:g}" if r["to_months"] is None else f"{r['from_months']:g} to {r['to_months']:g}"
        hidden = fmt.too_small(r["n"])
        out.append({"follow-up (months)": label, "n": fmt.fmt_int(r["n"]),
                    "mean change": suppressed(r["n"]) if hidden else fmt.fmt_change(r["mean_change"]),
                    "CI": "" if hidden else fmt.fmt_ci(r["ci_low"], r["ci_high"]),
                    "p": "" if hidden else fmt.fmt_pvalue(r["p"])})
    return pd.DataFrame(out)
