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
# # HbA1c change: did HbA1c fall, and by how much?
#
# **Question:** how much did HbA1c change from baseline to the last follow-up, overall and in
# each severity stratum, how sure can we be, and does the answer depend on the test chosen?
#
# The paper used paired t-tests. We repeat them and add what a reader needs to judge them:
# the mean change with its confidence interval (the size of the effect, not only its
# p-value), the effect size d_z, a check of the t-test's normality assumption, and the
# Wilcoxon signed-rank test, which does not need that assumption.

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
from mscreport import figures
from mscreport.display import fmt_ci, fmt_change, fmt_hba1c, fmt_p, fmt_num, too_small
from mscreport.report import Chapter, pairs_extra_table, paired_table
from mscreport.results import analyse_overall, analyse_strata
from mscreport.stats import mcnemar

ch = Chapter.from_parameters("change", globals())
cohort = ch.cohort

# %% [markdown]
# ## The paired t-test
#
# **Why this test.** Each patient is measured twice, so the question is about the *within-
# patient* change, change = follow-up − baseline (negative = HbA1c fell). The paired t-test
# asks whether the mean change differs from 0, using the spread of the changes.
#
# **What it assumes.** Patients are independent, and the mean change is approximately
# normally distributed: true when the changes themselves are roughly normal, or when n is
# large enough for the central limit theorem (a few dozen, unless outliers are extreme).
#
# **How to read it.** The mean change and its confidence interval say how large the fall is
# and how precisely it is estimated; p says only how surprising such a fall would be if the
# true mean change were 0. d_z = mean change / SD of change is the paired effect size.

# %%
overall = analyse_overall(cohort)
by_stratum = analyse_strata(cohort)
ch.record("overall", overall.interface())
ch.record("strata", {k: v.interface() for k, v in by_stratum.items()})
ch.table(paired_table({"all patients": overall, **by_stratum}),
         f"Paired analysis of HbA1c (change = follow-up − baseline; CI at {1 - cohort.params['alpha']:.0%})")

# %%
ch.say(f"Across all **{overall.n}** patients, mean HbA1c went from {fmt_hba1c(overall.baseline_mean)} to "
       f"{fmt_hba1c(overall.followup_mean)}: a mean change of **{fmt_change(overall.mean_change)}**, "
       f"{1 - cohort.params['alpha']:.0%} CI {fmt_ci(overall.ci_low, overall.ci_high)} % points, {fmt_p(overall.p)}, "
       f"d_z = {fmt_num(overall.cohens_dz)}.")
for name, r in by_stratum.items():
    if too_small(r.n):
        ch.say(f"The **{name}** stratum has n = {r.n}: its summaries are not shown (they would reveal a patient's values).")
    elif r.p is None:
        ch.say(f"In the **{name}** stratum (n = {r.n}) the test cannot be computed: {r.note or 'too few patients'}.")
    else:
        ch.say(f"In the **{name}** stratum (n = {r.n}) the mean change was **{fmt_change(r.mean_change)}**, "
               f"CI {fmt_ci(r.ci_low, r.ci_high)}, {fmt_p(r.p)}.")

# %%
ch.figure(figures.paired_plot(cohort.frame, cohort.params["aggregate_above"]),
          "HbA1c at baseline and at last follow-up by severity stratum; thin lines are patients (or, for large "
          "cohorts, 10-90 % and 25-75 % bands), the thick line the mean (median).",
          "Two panels of before-after lines for moderate and severe strata; most lines slope downwards.")

# %% [markdown]
# ## Checking the assumption, and a test without it
#
# The Shapiro-Wilk test asks whether the changes look normal (a small p says they do not;
# with large n it flags trivial departures, so look at the Q-Q plot too). The **Wilcoxon
# signed-rank test** uses only the ranks of the changes: it stays valid for skewed changes
# and outliers. Its estimate of the shift, the **Hodges-Lehmann** estimate (median of the
# pairwise averages of changes), comes with its own interval. We follow R's `wilcox.test`:
# exact p-values only for n < 50 without ties or zero changes, otherwise the normal
# approximation with tie and continuity correction (the p-values agree with R to 1e-9). On
# that approximate path R finds the Hodges-Lehmann interval by root-finding; ours uses the
# Walsh-average order statistics, which can differ slightly. When both tests agree, the
# conclusion does not hinge on normality.

# %%
ch.table(pairs_extra_table({"all patients": overall, **by_stratum}),
         "Normality of the change and the rank-based companion tests")
ch.figure(figures.change_distribution(cohort.frame),
          "Distribution of the change in HbA1c by stratum (negative = improvement); the line marks no change.",
          "Overlaid histograms of HbA1c change for moderate and severe strata, mostly below zero.")
ch.figure(figures.qq_plot(cohort.frame["change"], cohort.params["aggregate_above"]),
          "Normal Q-Q plot of the change (all patients; for large cohorts 500 evenly spaced quantiles): points "
          "near the line mean roughly normal changes.",
          "Normal quantile-quantile plot of HbA1c change with a reference line.")

# %% [markdown]
# ## Reaching the glycaemic target
#
# A clinician also asks: how many patients were below the target (`target_hba1c`, 7 % by
# default) before and after? Before/after proportions in the *same* patients are paired, so
# the right test is **McNemar's**, which uses only the patients who crossed the target in
# one direction or the other.

# %%
target = cohort.params["target_hba1c"]
mc = mcnemar(cohort.frame["hba1c_baseline"] < target, cohort.frame["hba1c_followup"] < target)
ch.say(f"Below {fmt_hba1c(target)}: **{mc.below_before}** of {mc.n} patients at baseline, **{mc.below_after}** at "
       f"follow-up; {mc.became_below} crossed below the target and {mc.became_above} rose above it "
       f"(McNemar, continuity-corrected: {fmt_p(mc.p)}{'; ' + mc.note if mc.note else ''}).")

# %%
ch.record_figure("headline_figure", figures.paired_plot(cohort.frame, cohort.params["aggregate_above"]),
                 "HbA1c at baseline and last follow-up by severity stratum (from the change chapter).",
                 "Before-after lines of HbA1c for the moderate and severe strata.")

# %% [markdown]
# ## Common misreadings
#
# * **A small p is not a large effect.** With many patients a trivial fall can have a tiny p;
#   read the mean change and its interval in % points (a fall of 0.5 % is generally taken
#   as clinically meaningful).
# * **A fall is not an effect of the treatment.** There is no control group: diet, drugs,
#   attention and regression to the mean all lower HbA1c between two visits (chapter 5).
# * **The strata are not randomised groups.** The severe stratum's larger fall does not show
#   that MSCs work better in severe diabetes: selection on a high first value alone produces
#   a larger second-visit fall.

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# 1. The severe stratum has the larger mean fall but the larger p-value. How can both be true?
#    <details><summary>Answer</summary>p depends on the mean change *relative to its standard error*,
#    SD/√n. The severe stratum is small (n ≈ 13) and its changes vary a lot, so its standard error is
#    large; the moderate stratum is larger with more uniform changes.</details>
# 2. Rebuild with `-p alpha=0.01`. Which numbers change, and which do not?
#    <details><summary>Answer</summary>Only the confidence intervals widen (99 %); means, t, df and p
#    are unchanged. A p-value does not depend on alpha; only the verdict "significant" does.</details>
# 3. Compute the paired t statistic for all patients by hand from the table: mean change / (SD / √n).
#    <details><summary>Answer</summary>Use `overall.mean_change / (overall.sd_change / overall.n ** 0.5)`
#    in a code cell; it equals the `t` column.</details>
