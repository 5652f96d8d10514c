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

# %% tags=["parameters"]
data_path: str = "data/reconstructed_cohort.csv"  # cohort file (CSV, XLSX or Parquet), relative to the repository root
hba1c_unit: str = "percent"  # unit of the HbA1c columns: percent (NGSP) or mmol_mol (IFCC)
moderate_min: float = 6.2  # NGSP %: lowest baseline of the moderate stratum; an analysed lower baseline is in the stratum below
severe_above: float = 8.0  # NGSP %: baseline above this is severe; 8.0 itself is moderate
dose_cutoff: float = 1e9  # cells: high dose is a dose at or above this
alpha: float = 0.05  # two-sided significance level; intervals at 1 minus alpha
target_hba1c: float = 7.0  # NGSP %: glycaemic target for the proportion below it
aggregate_above: int = 2000  # patients: per-patient figures switch to aggregated forms above this n
dropout: float = 0.1  # share of randomised patients lost before the primary HbA1c (trial sample size)
report_title: str = ""  # title of the report; empty: the paper's for the bundled cohort, a neutral one otherwise
study_description: str = ""  # the study the cohort comes from, shown under the title; empty: chosen from the cohort
reference_arm: str = "auto"  # comparator arm (column arm); auto = the one arm named control, placebo, usual_care, standard_care, sham or sham_control
baseline_window_months: float = 3.0  # months, long files: the baseline is the last HbA1c in [-window, 0]
followup_at_months: str = "last"  # long files: "last" HbA1c after time 0, or a month M (closest HbA1c within the window)
followup_window_months: float = 3.0  # months, long files: how far from followup_at_months the follow-up may be
published_path: str = ""  # YAML of published figures for chapter 6; empty: the paper's for the reconstructed cohort, none for yours; none: no comparison
published_arm: str = "all"  # arm (column arm) the published figures describe, e.g. MSC: chapter 6 compares that arm alone; all: every analysed patient
disclosure: str = "standard"  # disclosure control of the pages: standard, or strict (counts <= 7 hidden, others rounded to 5, no min/max, no individual points)
condition: str = "auto"  # type_2_diabetes, type_1_diabetes, prediabetes or unspecified; auto: type_2_diabetes for the paper's reconstruction, unspecified otherwise
intervention: str = "auto"  # what was given; auto: the paper's MSC infusion for its reconstruction, MSC with dose_cells or msc_source, the treatment otherwise
inclusion_min: str = "auto"  # NGSP %: lower baselines are excluded; none: nobody excluded for a low baseline; auto: 6.2 for the paper's reconstruction, none otherwise
mcid: float = 0.5  # % points: smallest between-arm difference that matters clinically
visits: str = "auto"  # months: nominal visits of a controlled long file's MMRM, e.g. 6,12,24; auto: the distinct post-baseline times (at most 12)
visit_window: str = "auto"  # months: a measurement this close to a visit counts for it; auto: half the smallest gap
paramcd: str = "auto"  # ADaM: PARAMCD of the HbA1c rows; auto = HBA1C, HBA1CHGB, A1C or HGBA1C
arm_variable: str = "TRT01P"  # ADaM: the arm variable (TRT01P, TRT01A, TRTP, TRTA, ARM)
adsl_path: str = ""  # ADaM: ADSL file giving the arm variable, SEX, AGE, TRTSDT; empty: none
omop_schema: str = ""  # OMOP database schema; empty: main (DuckDB), public (PostgreSQL)
omop_concepts: str = "3004410,3005673"  # OMOP: HbA1c measurement_concept_id values
omop_cohort_ids: str = "all"  # OMOP: cohort_definition_id values selected (each an arm)
omop_unit: str = "none"  # OMOP: unit of rows without a unit concept (percent, mmol_mol, none)

# %%
from mscreport.analysis import arms, basis, change
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core.disclosure import drawable_rows, hidden_groups
from mscreport.display import figures
from mscreport.display.tables import paired_table, pairs_extra_table
from mscreport.report import exercises
from mscreport.report.blocks import headline_figure, strata_block
from mscreport.report.chapter import Chapter

ch = Chapter.from_parameters("change", globals())
cohort = ch.cohort
alpha = cohort.params["alpha"]

# %% [markdown]
# The paper used paired t-tests. We repeat them and add what a reader needs to judge them:
# the mean change with its confidence interval (the size of the effect, not only its
# p-value), the effect size d_z, a check of the t-test's normality assumption, and the
# Wilcoxon signed-rank test, which does not need that assumption.

# %%
arms.say_pooled(ch)

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
# Levels are shown in % and in whole mmol/mol; changes and SDs in % points and mmol/mol.

# %%
overall = analyse_overall(cohort)
by_stratum = analyse_strata(cohort)
ch.record("overall", overall.interface())
ch.record("strata", strata_block(by_stratum))
ch.table(paired_table({arms.pooled_label(cohort): overall, **by_stratum}, hidden_groups(cohort.frame), ch.policy),
         change.paired_caption(alpha), basis=["overall", "strata.moderate", "strata.severe"])

# %%
ch.say(change.say_paired(overall, by_stratum, alpha), basis=basis.paired_keys(by_stratum))

# %% [markdown] tags=["teaching"]
# **The call behind the table.** `analyse_overall(cohort)` above is one call of the paired
# t-test on the cohort's two HbA1c columns (`f` is the table of analysed patients, one row
# each; R: `t.test(f$hba1c_followup, f$hba1c_baseline, paired = TRUE)`). The table's first
# row and the sentence above come from its result; these are its t-test numbers (change =
# follow-up − baseline, % points; `cohens_dz` is d_z):

# %% tags=["teaching"]
from mscreport.report import lesson
from mscreport.methods import stats

f = cohort.frame
t_test = stats.paired_test(f["hba1c_baseline"], f["hba1c_followup"], alpha)
lesson.print_result(t_test, cohort,
                    fields=("n", "mean_change", "sd_change", "ci_low", "ci_high", "t", "df", "p", "cohens_dz"))

# %% [markdown] tags=["teaching"]
# **The same test in plain scipy**, on an open patient table `d`: change it (drop a patient,
# edit a value) and run the cell again. `stats.ttest_rel(follow-up, baseline)` is R's
# `t.test(..., paired = TRUE)`; the numbers are those of the call above.

# %% tags=["teaching", "plain"]
from scipy import stats as sps

d = lesson.open_table(cohort, ["hba1c_baseline", "hba1c_followup", "change", "stratum"])  # the open patient table: yours to change
plain_t = lesson.try_call(sps.ttest_rel, d["hba1c_followup"], d["hba1c_baseline"])
plain_ci = lesson.try_call(plain_t.confidence_interval, 1 - alpha)
lesson.print_plain(cohort, t=plain_t, ci_low=plain_ci.low, ci_high=plain_ci.high)

# %%
ch.figure(figures.paired_plot(cohort.frame, cohort.params["aggregate_above"], policy=ch.policy),
          "HbA1c at baseline and at last follow-up by severity stratum; thin lines are patients (or, for large "
          "cohorts, 10-90 % and 25-75 % bands), the thick line the mean (median).",
          "Two panels of before-after lines for moderate and severe strata; most lines slope downwards.")

# %% [markdown] tags=["study-arms"]
# ## Per arm: the controlled comparison
#
# With an `arm` column the question is not whether HbA1c fell in the treated arm but whether
# it fell **more than in the comparator arm** (parameter `reference_arm`). The primary analysis
# is **ANCOVA**: follow-up HbA1c regressed on baseline HbA1c and arm; the arm's coefficient is
# the difference between the arms at equal baseline (negative = lower HbA1c in the arm).
# Beside it, two comparisons of the change itself: **Welch's t-test** (no equal-variance
# assumption) and the **Mann-Whitney** test (ranks only). The within-arm paired results come
# first: they describe each arm, they do not compare them.

# %% tags=["study-arms"]
arms.show_paired(ch)

# %% tags=["study-arms"]
arms.show_paired_figure(ch)

# %% tags=["study-arms"]
from mscreport.analysis import arm_mmrm, arm_trial

arm_trial.show_trial(ch, arms.arms_block(cohort))
arm_mmrm.show_primary(ch)

# %% [markdown]
# ## Checking the assumption, and a test without it
#
# The Shapiro-Wilk test asks whether the changes look normal (a small p says they do not).
# Its power depends on n: with a dozen patients it misses clear skew, so a large p there is
# no evidence of normality; with several dozen it detects marked departures, and with
# hundreds it flags trivial ones, so look at the Q-Q plot too. The **Wilcoxon signed-rank
# test** uses only the ranks of the changes: it does not need normality, but it does assume
# that the changes are **symmetric** about their centre, and it **drops zero changes**
# before ranking (R's convention, followed here). Its estimate of the shift, the
# **Hodges-Lehmann** estimate (median of the pairwise averages of changes), comes with its
# own interval; the plain median change is shown beside it. We follow R's `wilcox.test`:
# exact p-values only for n < 50 without ties or zero changes, otherwise the normal
# approximation with tie and continuity correction. On that approximate path R finds the
# Hodges-Lehmann estimate and interval by root-finding on the normal statistic, and so does
# this report (the same numbers as R). When both tests agree, the conclusion does not hinge
# on normality.

# %%
from mscreport.analysis import teaching_numbers

extra = change.analyse_change(cohort)
ch.record("normality", extra["normality"])
ch.record("hodges_lehmann", extra["hodges_lehmann"])
ch.record("sign_test", teaching_numbers.sign_test_block(cohort))  # the teaching page's sign test
ch.table(pairs_extra_table({"all patients": overall, **by_stratum}, hidden_groups(cohort.frame), ch.policy),
         "Normality of the change and the rank-based companion tests (shift and CI in % points)", basis="rank_tests")
ch.say(change.say_normality(extra["normality"], alpha), basis="rank_tests")
ch.say(change.say_rank_shift(extra["hodges_lehmann"]), basis="rank_tests")
ch.figure(figures.change_distribution(cohort.frame, policy=ch.policy),
          "Distribution of the change in HbA1c by stratum (negative = improvement); the line marks no change.",
          "Overlaid histograms of HbA1c change for moderate and severe strata, mostly below zero.")
ch.figure(figures.qq_plot(cohort.frame["change"], cohort.params["aggregate_above"], drawable_rows(cohort.frame), policy=ch.policy),
          "Normal Q-Q plot of the change (all patients; for large cohorts 500 evenly spaced quantiles): points "
          "near the line mean roughly normal changes.",
          "Normal quantile-quantile plot of HbA1c change with a reference line.")

# %% [markdown] tags=["teaching"]
# **The call behind the rank columns.** The Wilcoxon signed-rank test and the Hodges-Lehmann
# shift with its interval, in the table's "all patients" row, are one call on the changes
# (R: `wilcox.test(f$change, conf.int = TRUE)`; `v` is R's V). The Shapiro-Wilk columns are
# `stats.shapiro_wilk(f["change"])` (R: `shapiro.test(f$change)`).

# %% tags=["teaching"]
lesson.print_result(stats.signed_rank_test(f["change"], alpha), cohort)

# %% [markdown] tags=["teaching"]
# **The same in plain scipy**: `stats.wilcoxon(d["change"], correction=True, method="approx")`
# (zeros dropped, as R; scipy's statistic is the smaller rank sum, R's V the positive one).
#
# **The sign test: the assumption-light one.** The signed-rank test drops normality but
# assumes the changes are *symmetric* about their centre; these changes are skewed (see the
# histogram), so its p-value leans on an assumption too. The sign test counts falls and rises
# among the non-zero changes and assumes neither (R: `binom.test(sum(f$change < 0),
# sum(f$change != 0))`, scipy: `stats.binomtest(falls, nonzero)`); it pays with power, since
# it ignores how large each change is. `share_fall` is the share of falls with its exact
# interval.

# %% tags=["teaching", "plain"]
from mscreport.methods.sign_test import sign_test

plain_w = lesson.try_call(sps.wilcoxon, d["change"], zero_method="wilcox", correction=True, method="approx")
lesson.print_plain(cohort, label="scipy", wilcoxon=plain_w)
signs = sign_test(f["change"], alpha)
lesson.print_plain(cohort, label="sign test (library)", n_nonzero=signs.n_nonzero, n_fall=signs.n_fall,
                   share_fall=signs.share_fall, ci_low=signs.ci_low, ci_high=signs.ci_high, p=signs.p)
plain_s = lesson.try_call(sps.binomtest, int((d["change"] < 0).sum()), int((d["change"] != 0).sum()))
lesson.print_plain(cohort, label="scipy", binomtest=plain_s)

# %% [markdown]
# ## Reaching the glycaemic target
#
# A clinician also asks: how many patients were below the target (`target_hba1c`, 7 % by
# default) before and after, and how many of those who started above it reached it?
# Before/after proportions in the *same* patients are paired, so the right test is
# **McNemar's**, which uses only the patients who crossed the target in one direction or the
# other. The proportion after comes with a Wilson interval.

# %%
ch.record("target", extra["target"])
ch.say(change.say_target(extra["target"], alpha), basis="target")

# %% [markdown] tags=["study-not-msc"]
# ## Safety, completers and follow-up time
#
# Harms can be counted: serious adverse events over the patients observed, with an exact
# interval (with no events, the upper bound is what the data cannot exclude). The paired
# analysis uses only **completers**, the patients with a follow-up HbA1c; a treated patient
# without one is listed in the flow (chapter 1), and a sensitivity analysis counts such
# patients as unchanged. The change is also shown by follow-up window (different patients in
# each) when follow-up times differ.

# %% [markdown] tags=["study-msc"]
# ## Safety, completers and follow-up time
#
# A single-arm study can still count harms: serious adverse events over the patients
# observed, with an exact interval (with no events, the upper bound is what the data cannot
# exclude). The paired analysis uses only **completers**, the patients with a follow-up
# HbA1c; an infused patient without one is listed in the flow (chapter 1), and a
# sensitivity analysis counts such patients as unchanged. Follow-up ranged from months to
# years, so the change is also shown by follow-up window (different patients in each).

# %%
ch.record("safety", extra["safety"])
ch.record("attrition", extra["attrition"])
ch.record("change_by_followup", extra["change_by_followup"])
ch.say(change.say_safety(extra["safety"], alpha), basis="safety")
ch.say(change.say_attrition(extra["attrition"], alpha, cohort.study), basis="attrition")
ch.table(change.format_windows(extra["change_by_followup"]), change.windows_caption(alpha), basis="change_by_followup")

# %%
ch.record("headline_figure", headline_figure(cohort, ch.policy))

# %% [markdown] tags=["study-controlled"]
# ## Common misreadings
#
# * **A small p is not a large effect.** With many patients a trivial fall can have a tiny p;
#   read the mean change and its interval in % points (a fall of 0.5 % is generally taken
#   as clinically meaningful).
# * **A pooled or within-arm fall is not an effect of the treatment.** Diet, drugs, attention
#   and regression to the mean lower HbA1c between two visits in every arm; the treatment
#   effect is the between-arm difference (ANCOVA), which randomisation protects.
# * **The strata are not randomised groups.** A stratum's larger fall does not show that the
#   treatment works better there: selection on a high first value alone produces a larger
#   second-visit fall; the between-arm difference within a stratum is the fair comparison.

# %% [markdown] tags=["study-single-arm"]
# ## Common misreadings
#
# * **A small p is not a large effect.** With many patients a trivial fall can have a tiny p;
#   read the mean change and its interval in % points (a fall of 0.5 % is generally taken
#   as clinically meaningful).
# * **A fall is not an effect of the treatment.** There is no control group: diet, drugs,
#   attention and regression to the mean all lower HbA1c between two visits (chapter 5).
# * **The strata are not randomised groups.** The severe stratum's larger fall does not show
#   that the treatment works better at a higher baseline: selection on a high first value
#   alone produces a larger second-visit fall.

# %% [markdown] tags=["teaching"]
# ## Why the within-arm change is not the treatment effect, and why ANCOVA
#
# **Both arms change.** Patients enter a trial when their HbA1c is high; at the next visit it
# is lower on average even without treatment (regression to the mean, chapter 5), and care
# itself drifts (more attention, diet, adjusted drugs, a new assay). These act on the placebo
# arm as much as on the treated arm. The paired test within the treated arm measures
# *treatment + regression to the mean + drift*; only the difference between randomised arms
# removes the last two. A "significant fall" in each arm says nothing about the treatment.
#
# **Comparing the changes is not the best comparison.** One could compare the mean change
# between arms (Welch's t-test on the change). Vickers and Altman (*BMJ* 2001;323:1123-4,
# "Analysing controlled trials with baseline and follow up measurements") explain why
# ANCOVA, follow-up regressed on baseline and arm, is better:
#
# * the change score "over-corrects" for baseline: it subtracts the whole baseline, whereas
#   the follow-up depends on it only through a correlation r < 1, so a chance baseline
#   imbalance between arms biases the change-score comparison, and ANCOVA adjusts for it;
# * ANCOVA has the smaller variance, hence narrower intervals and more power, for any r; the
#   change score beats the unadjusted follow-up only when r > 0.5, and ANCOVA beats both;
# * ANCOVA estimates the same between-arm effect (in a randomised trial both are unbiased for
#   it), so nothing is lost.
#
# In the arms table, compare the ANCOVA interval with the Welch interval on the change: the
# ANCOVA one is usually narrower. The interaction test (severity chapter) asks whether the
# effect differs by stratum; a difference between two within-stratum p-values does not.

# %% [markdown] tags=["teaching"]
# ## Simulation: two arms that both fall significantly
#
# **Predict first.** A simulated trial: both arms are selected on a raised HbA1c and share a
# drift in care; only one arm is treated. Will the untreated arm's paired t-test be
# significant? Which interval is narrower, the change-score comparison (Welch's t-test of
# the changes) or ANCOVA (follow-up on baseline and arm)? Decide, then run.

# %% tags=["teaching"]
from mscreport.analysis import simulations

trial = simulations.simulate_two_arms(cohort.params["alpha"])
ch.figure(simulations.two_arms_figure(trial),
          "A simulated trial: each arm's within-arm change and the between-arm difference by change score "
          "and by ANCOVA, with confidence intervals; dashed: the true treatment effect.",
          "Four horizontal intervals: the control and treated arms' mean changes, both below zero, and the "
          "change-score and ANCOVA differences, the ANCOVA interval narrower.")
ch.say(simulations.say_two_arms(trial))

# %% [markdown] tags=["teaching"]
# The within-arm tests answer "did HbA1c change in this arm?", and in both arms it did, for
# reasons that have nothing to do with the treatment. The treatment effect is the difference
# between randomised arms, best estimated by ANCOVA (Vickers & Altman, *BMJ* 2001). The same
# simulated patients are in `simulations.two_arm_patients()`: fit them yourself with
# `smf.ols("hba1c_followup ~ hba1c_baseline + arm", d)` and compare with `stats.ttest_ind` on
# the change.

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# Each exercise is done here, in the notebook, on the open patient table `d` (one row per
# analysed patient: change it freely, the report's files stay as they are). For a
# **predict, then run** exercise, write your prediction in the cell first, then work out the
# answer and run the cell; the cell after it checks your answer against the analysis (it
# fails until you have answered). Answers in words are marked by hand.
#
# **3.1 (predict, then run).** The sign test uses only whether each change is a fall or a
# rise. Predict: for the severe stratum, is its p-value smaller or larger than the paired
# t-test's? Then run the sign test on the severe changes in `d` (`stats.binomtest(k, n)`:
# k falls among the n non-zero changes) and set `answer_3_1` to its p-value.

# %% tags=["teaching", "solution"]
d = lesson.analysed_frame(cohort)  # the analysed patients, one row each: yours to change
prediction_3_1 = ...  # "smaller" or "larger", before you run
### BEGIN SOLUTION
sev = d.loc[d["stratum"] == "severe", "change"]
answer_3_1 = lesson.p_value(lesson.try_call(sps.binomtest, int((sev < 0).sum()), int((sev != 0).sum())))
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_3_1, "3.1")
### BEGIN HIDDEN TESTS
lesson.check_close(answer_3_1, sign_test(f.loc[f["stratum"] == "severe", "change"], alpha).p, "3.1")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching"]
# **3.2 (predict, then run).** Compute the paired t statistic for all patients by hand from
# `d`: mean change / (SD of change / √n). Predict first: is it larger in size than 2?
# Set `answer_3_2`.

# %% tags=["teaching", "solution"]
prediction_3_2 = ...  # your prediction
### BEGIN SOLUTION
answer_3_2 = d["change"].mean() / (d["change"].std() / len(d) ** 0.5)
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_3_2, "3.2")
### BEGIN HIDDEN TESTS
lesson.check_close(answer_3_2, t_test.t, "3.2")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching"]
# **3.3.** Which stratum has the larger mean fall, and which the smaller p-value? Need they
# be the same stratum? (Compute each stratum's standard error, SD / √n, from `d`.)

# %% [markdown] tags=["teaching", "solution"]
# **Answer 3.3.** Not necessarily. p depends on the mean change *relative to its standard
# error*, SD/√n: a stratum with a larger fall but fewer patients and more widely spread
# changes can have the larger standard error, hence the smaller |t| and the larger p. The
# cell below prints each stratum's mean change, SD, n and standard error.

# %% tags=["teaching", "solution"]
lesson.print_groups(d, "stratum", "change", cohort)

# %% [markdown] tags=["teaching"]
# **3.4 (predict, then run).** Call the paired test at α = 0.01:
# `stats.paired_test(f["hba1c_baseline"], f["hba1c_followup"], 0.01)`. Predict which numbers
# change and which do not, then compare with the result above.

# %% [markdown] tags=["teaching", "solution"]
# **Answer 3.4.** The interval widens to 99 %; the mean change, SD, t, df, d_z and p are
# unchanged, since a p-value does not depend on alpha. At alpha = 0.01 the whole report
# changes the same way: every interval widens; the Holm list of findings below alpha and the
# trial sizes change (chapter 5), and so do the "not significant" checks (chapter 6).
