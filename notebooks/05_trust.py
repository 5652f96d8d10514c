# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How far to trust it: regression to the mean, durability, multiplicity, and the next trial
#
# **Question:** how much of the fall could have happened without any treatment, does the
# fall last, how many of the subgroup findings survive a correction for testing many
# things, and how large a randomised trial would settle the question?
#
# This chapter goes beyond the paper. It asks the questions a careful reviewer raises about a
# single-arm before/after study whose strata were chosen by the first measurement.

# %% tags=["parameters"]
data_path: str = "data/reconstructed_cohort.csv"  # cohort file (CSV, XLSX or Parquet), relative to the repository root
hba1c_unit: str = "percent"  # unit of the HbA1c columns: percent (NGSP) or mmol_mol (IFCC)
moderate_min: float = 6.2  # NGSP %: lowest baseline analysed; lower baselines are excluded
severe_above: float = 8.0  # NGSP %: baseline above this is severe; 8.0 itself is moderate
dose_cutoff: float = 1e9  # cells: high dose is a dose at or above this
alpha: float = 0.05  # two-sided significance level; intervals at 1 minus alpha
target_hba1c: float = 7.0  # NGSP %: glycaemic target for the proportion below it
aggregate_above: int = 2000  # patients: per-patient figures switch to aggregated forms above this n
dropout: float = 0.1  # share of randomised patients lost before the primary HbA1c (trial sample size)

# %%
from mscreport import figures, trust
from mscreport.display import fmt_change, fmt_ci, fmt_num, fmt_p, fmt_pvalue, too_small
from mscreport.dose import analyse_dose
from mscreport.report import Chapter
from mscreport.results import analyse_overall, analyse_strata

ch = Chapter.from_parameters("trust", globals())
cohort = ch.cohort
overall, by_stratum, dose = analyse_overall(cohort), analyse_strata(cohort), analyse_dose(cohort)

# %% [markdown]
# ## Regression to the mean
#
# HbA1c varies from one measurement to the next. Patients selected because their first
# value was high (the severe stratum) will on average have a lower second value even with
# no treatment: **regression to the mean** (RTM). Strata defined by baseline are its
# textbook setting.
#
# **Oldham's plot** draws change against the *mean* of baseline and follow-up. Plotting
# change against baseline alone shows a negative slope from RTM alone; Oldham's version
# removes that artefact: a correlation here suggests a real dependence of the change on the
# level (or unequal variances).

# %%
old = trust.oldham(cohort)
ch.figure(figures.oldham_plot(cohort.frame, cohort.params["aggregate_above"]),
          "Oldham plot: change against the mean of baseline and follow-up HbA1c, with the least-squares line.",
          "Scatter of HbA1c change against the mean of baseline and follow-up HbA1c, coloured by stratum.")
ch.say(f"Oldham's correlation: r = {fmt_num(old.r)}, CI {fmt_ci(old.ci_low, old.ci_high)}, {fmt_p(old.p)}.")

# %% [markdown]
# **How much fall would RTM alone produce?** Barnett, van der Pols and Dobson (Int J
# Epidemiol 2005;34:215-20) give the expected regression to the mean for patients selected
# above a cut-off c: σ(1 − ρ) φ(z) / (1 − Φ(z)), z = (c − μ)/σ, where μ and σ are the mean
# and SD of the measurement and ρ the test-retest correlation of HbA1c over the follow-up.
# ρ is not known for this cohort, so the table spans plausible values (HbA1c's
# year-to-year correlation is typically 0.6-0.8). μ and σ are estimated from the analysed
# cohort's baselines. That cohort is itself selected (≥ `moderate_min`), so the normal model
# puts the severe stratum's mean baseline lower than observed and its figure is a lower bound;
# the second estimate uses the stratum's observed mean baseline instead,
# (1 − ρ)(mean baseline of the stratum − cohort mean). The whole cohort was selected on a
# raised HbA1c too, so part of *every* stratum's fall, moderate included, is expected by the
# same mechanism relative to the (unknown) mean of the population it was drawn from.

# %%
rtm = trust.rtm_table(cohort)
ch.table(trust.format_rtm(rtm),
         f"Expected fall from regression to the mean alone in the severe stratum (> {cohort.params['severe_above']:g} %), % points")
mid = rtm.iloc[len(rtm) // 2]
ch.say(f"**Verdict:** with ρ = {mid.rho:g}, regression to the mean alone would lower the severe stratum's HbA1c by "
       f"about **{fmt_num(mid.expected_fall_model)} to {fmt_num(mid.expected_fall_means)} % points**"
       + ("" if too_small(int(mid.n_severe)) or mid.share_means != mid.share_means else
          f", {mid.share_model:.0%} to {mid.share_means:.0%} of the observed fall")
       + ". Without a control group, this part cannot be told apart from a treatment effect.")

# %% [markdown]
# ## Durability
#
# Follow-up ranged from months to years. If the effect faded, changes measured later would
# be smaller (closer to 0): a positive slope of change against follow-up time. Each patient
# contributes a single follow-up value, so this compares *different* patients at different
# times: a weak substitute for repeated measurements.

# %%
dur = trust.durability(cohort)
if dur is None:
    ch.say("Durability cannot be examined: the cohort file has no `followup_months` column.")
else:
    ch.figure(figures.scatter_fit(cohort.frame["followup_months"], cohort.frame["change"], "follow-up (months)",
                                  "change (% points)", cohort.params["aggregate_above"]),
              "Change in HbA1c against months of follow-up, with the least-squares line.",
              "Scatter of HbA1c change against follow-up months with a fitted line.")
    ch.say(f"Slope: {fmt_change(dur['slope_per_year'])} per year of follow-up; Pearson r = {fmt_num(dur['pearson'].r)}, "
           f"{fmt_p(dur['pearson'].p)}; Spearman rho = {fmt_num(dur['spearman'].rho)}, {fmt_p(dur['spearman'].p)}.")

# %% [markdown]
# ## Multiplicity
#
# The paper and this report test many subgroups. Each test at α = 0.05 has a 5 % chance of
# a false positive, so with several tests at least one "finding" becomes likely by chance.
# **Holm's method** adjusts the p-values so that the chance of *any* false positive in the
# family stays at α; it is uniformly more powerful than Bonferroni and needs no assumption
# about how the tests depend on each other. The family is the subgroup analyses: both
# strata, both dose groups, and the two dose comparisons (Welch, Pearson). The overall
# paired test is the primary analysis and stays outside the family.

# %%
mult = trust.multiplicity_table(trust.subgroup_family(by_stratum, dose))
ch.table(mult.assign(p=mult["p"].map(fmt_pvalue), p_holm=mult["p_holm"].map(fmt_pvalue)).rename(columns={"p_holm": "p (Holm)"}),
         "Raw and Holm-adjusted p-values across the report's subgroup tests")

# %% [markdown]
# ## The randomised trial the paper calls for
#
# Patients per arm for a two-arm trial (MSC vs placebo infusion) with a two-sided t-test at
# α, for 80 % and 90 % power. The effect sizes come from this cohort (mean change / SD of
# change), assuming the control arm changes by 0 with the same SD. Because part of the
# observed fall is likely regression to the mean, the table also shows the trial needed if
# the true effect is only half as large.

# %%
effects = {name: (r.mean_change, r.sd_change) for name, r in {"all patients": overall, **by_stratum}.items()}
ss = trust.sample_size_table(effects, cohort.params["alpha"])
ch.table(ss.assign(**{"standardised effect d": ss["standardised effect d"].map(fmt_num),
                      "assumed share of effect": ss["assumed share of effect"].map(lambda v: f"{v:.0%}")}),
         "Patients per arm for a randomised trial (statsmodels TTestIndPower)")

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# 1. Rebuild with `-p severe_above=9`. How does the expected regression to the mean in the severe
#    stratum change, and why?
#    <details><summary>Answer</summary>It grows: selecting patients further above the mean makes
#    φ(z)/(1 − Φ(z)) larger. The more extreme the selection, the more of the next measurement's
#    fall is expected by chance alone.</details>
# 2. Why is the correlation of change with *baseline* a biased test of "larger falls at higher HbA1c"?
#    <details><summary>Answer</summary>Baseline appears in both variables (change = follow-up − baseline),
#    so measurement error in baseline creates a negative correlation even when nothing depends on the
#    level: Oldham's plot avoids this by using the mean of the two measurements.</details>
# 3. With Holm adjustment, which subgroup findings remain below α?
#    <details><summary>Answer</summary>Read the "p (Holm)" column: compare each with `alpha`.</details>
