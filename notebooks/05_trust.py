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
from mscreport.analysis import arms, basis, trust
from mscreport.analysis.dose import analyse_dose
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core.disclosure import hidden_groups
from mscreport.report import exercises
from mscreport.report.blocks import trust_blocks
from mscreport.report.chapter import Chapter

ch = Chapter.from_parameters("trust", globals())
cohort = ch.cohort
alpha = cohort.params["alpha"]
overall, by_stratum, dose = analyse_overall(cohort), analyse_strata(cohort), analyse_dose(cohort)
blocks = trust_blocks(cohort, overall, by_stratum, dose)

# %% tags=["study-own"]
from mscreport.report import framing

ch.say(framing.trust_opening(cohort.study))

# %%
arms.say_pooled(ch)

# %% [markdown] tags=["study-arms"]
# ## Per arm: regression to the mean, normality, safety and durability
#
# With an `arm` column the questions of this chapter are asked of each arm: how strongly
# baseline and follow-up go together, whether the changes look normal, how many serious
# adverse events each arm had (with an exact interval), and whether the change depends on the
# length of follow-up. Regression to the mean is the reason a controlled trial has a
# comparator arm: it acts on both arms alike, so the comparison between them removes it.

# %% tags=["study-arms"]
arms.show_trust(ch)

# %% [markdown]
# ## Regression to the mean
#
# HbA1c varies from one measurement to the next. Patients selected because their first
# value was high (the severe stratum) will on average have a lower second value even with
# no treatment: **regression to the mean** (RTM). Strata defined by baseline are its
# textbook setting.
#
# **Oldham's plot** draws change against the *mean* of baseline and follow-up. Plotting
# change against baseline alone shows a negative slope from RTM alone (the dose chapter's
# baseline-adjusted model shows that slope); Oldham's version removes that artefact when
# baseline and follow-up vary equally. A correlation here suggests a real dependence of the
# change on the level, or unequal variances; the data cannot tell which.

# %%
ch.record("oldham", blocks["oldham"])
ch.figure(trust.oldham_plot(cohort.frame, cohort.params["aggregate_above"]),
          "Oldham plot: change against the mean of baseline and follow-up HbA1c, with the least-squares line.",
          "Scatter of HbA1c change against the mean of baseline and follow-up HbA1c, coloured by stratum.")
ch.say(trust.say_oldham(blocks["oldham"], alpha), basis="oldham")

# %% [markdown] tags=["teaching"]
# **The call behind Oldham's r.** Pearson's correlation of the change with the mean of the
# two measurements (`f` is the table of analysed patients, one row each; R:
# `cor.test((f$hba1c_baseline + f$hba1c_followup) / 2, f$change)`):

# %% tags=["teaching"]
from mscreport.report import lesson
from mscreport.methods import stats

f = lesson.analysed_frame(cohort)
lesson.print_result(stats.pearson((f["hba1c_baseline"] + f["hba1c_followup"]) / 2, f["change"], alpha), cohort)

# %% [markdown] tags=["teaching"]
# **The same in plain scipy**, on an open patient table `d` (change it and run again):
# `stats.pearsonr((b + f) / 2, f - b)`.

# %% tags=["teaching", "plain"]
from scipy import stats as sps

d = lesson.open_table(cohort, ["hba1c_baseline", "hba1c_followup", "change", "followup_months"])  # the open patient table: yours to change
plain_oldham = lesson.try_call(sps.pearsonr, (d["hba1c_baseline"] + d["hba1c_followup"]) / 2, d["change"])
lesson.print_plain(cohort, pearson=plain_oldham)

# %% [markdown]
# **How much fall would RTM alone produce?** Barnett, van der Pols and Dobson (Int J
# Epidemiol 2005;34:215-20) give the expected regression to the mean for patients selected
# above a cut-off c: σ(1 − ρ) φ(z) / (1 − Φ(z)), z = (c − μ)/σ, where μ and σ are the mean
# and SD of the measurement and ρ the test-retest correlation of HbA1c over the follow-up.
# ρ is not known for this cohort's interval, and no published value is assumed here: the
# table spans a range of ρ and adds, as its last row, this cohort's own baseline-follow-up
# correlation, on which the verdict rests. μ and σ are estimated from the analysed
# cohort's baselines. That cohort is itself selected (≥ `moderate_min`), so the normal model
# puts the severe stratum's mean baseline lower than observed and its figure is a lower bound;
# the second estimate uses the stratum's observed mean baseline instead,
# (1 − ρ)(mean baseline of the stratum − cohort mean). The whole cohort was selected on a
# raised HbA1c too, so part of *every* stratum's fall, moderate included, is expected by the
# same mechanism relative to the (unknown) mean of the population it was drawn from.

# %%
ch.record("rtm", blocks["rtm"])
ch.table(trust.format_rtm(blocks["rtm"]["rows"]), trust.rtm_caption(cohort.params), basis="rtm")
ch.say(trust.say_rtm(blocks["rtm"], cohort.study), basis="rtm")

# %% [markdown]
# ## Durability
#
# Follow-up ranged from months to years. If the effect faded, changes measured later would
# be smaller (closer to 0): a positive slope of change against years of follow-up. Each
# patient contributes a single follow-up value, so this compares *different* patients at
# different times: a weak substitute for repeated measurements.

# %%
ch.record("durability", blocks["durability"])
trust.show_durability_figure(ch, cohort)
ch.say(trust.say_durability(blocks["durability"], alpha, cohort.study), basis="durability")

# %% [markdown] tags=["teaching"]
# **The call behind the durability slope.** The least-squares line of the change on years of
# follow-up, over the patients whose follow-up time is known (R:
# `lm(change ~ I(followup_months / 12), data = f)`); `slope` is in % points per year:

# %% tags=["teaching"]
lesson.print_result(stats.linear_slope(f["followup_months"] / 12, f["change"], alpha), cohort)

# %% [markdown] tags=["teaching"]
# **The same in plain statsmodels**: `smf.ols("change ~ I(followup_months / 12)", d)`
# (patients without a follow-up time are dropped, as R's `lm`).

# %% tags=["teaching", "plain"]
import statsmodels.formula.api as smf

plain_slope = lesson.fit_plain(smf.ols, "change ~ I(followup_months / 12)", d)
lesson.print_plain(cohort, ols=plain_slope)

# %% [markdown]
# ## Multiplicity
#
# The paper and this report test many subgroups. A test at α = 0.05 gives a false positive
# with probability α only when its null hypothesis is true; with several tests of true nulls,
# at least one "finding" becomes likely by chance (the teaching pages compute how likely).
# **Holm's method** adjusts the p-values so that the chance of *any* false positive in the
# family stays at α; it is never less powerful than Bonferroni and needs no assumption about
# how the tests depend on each other. The family is exactly the tests in the table: both
# strata, both dose groups, and the two dose comparisons (Welch, Pearson). The overall
# paired test is the primary analysis and stays outside the family; the rank-based and
# descriptive analyses are not adjusted.

# %% tags=["teaching"]
from mscreport.report.lesson_sentences import false_positive_sentence

ch.say(false_positive_sentence(len(blocks["holm"]), alpha))

# %%
ch.record("holm", blocks["holm"])
ch.table(trust.format_holm(blocks["holm"], hidden_groups(cohort.frame)), "Raw and Holm-adjusted p-values: the family adjusted, and only it",
         basis=basis.holm_keys(blocks["holm"]))
ch.say(trust.say_holm(blocks["holm"], alpha), basis="holm")

# %% [markdown] tags=["study-own"]
# ## The size of a randomised trial
#
# Patients per arm for a two-arm trial (treatment vs control) with a two-sided t-test at
# α (R's `power.t.test`), for 80 % and 90 % power. The effect is the size of this cohort's
# mean change (whatever its sign), and half of it (as if half were regression to the mean),
# assuming the control arm changes by 0. The SD of change is not known for a trial, so two
# plausible values are used: this cohort's, and about 1 %, common in trials of
# glucose-lowering drugs. The last columns inflate each size for the expected `dropout`.

# %% [markdown] tags=["study-paper"]
# ## The randomised trial the paper calls for
#
# Patients per arm for a two-arm trial (MSC vs placebo infusion) with a two-sided t-test at
# α (R's `power.t.test`), for 80 % and 90 % power. The effect is this cohort's mean fall,
# and half of it (as if half were regression to the mean), assuming the control arm changes
# by 0. The SD of change is not known for a trial, so three plausible values are used: this
# cohort's, the largest that the paper's overall p allows, and about 1 %, common in trials of
# glucose-lowering drugs. The last columns inflate each size for the expected `dropout`.

# %%
from mscreport.analysis import teaching_numbers

ch.record("sample_size", blocks["sample_size"])
ancova_size = teaching_numbers.ancova_size_block(cohort)
ch.record("ancova_sample_size", ancova_size)
ch.table(trust.format_sample_size(blocks["sample_size"], hidden_groups(cohort.frame)),
         trust.sample_size_caption(cohort.params), basis=basis.sample_size_keys(blocks["sample_size"]))
ch.say(trust.say_ancova_size(ancova_size, hidden_groups(cohort.frame)), basis="sample_size.ancova")

# %% [markdown] tags=["teaching"]
# ## Simulation: regression to the mean with no treatment at all
#
# **Predict first.** Invent patients whose HbA1c does not change at all: each has a true level,
# and each measurement is that level plus noise. Select those whose *baseline* is above
# `severe_above`, as the severe stratum was selected, and measure them again. Will their mean
# HbA1c go down, stay, or go up? By how much? Write your guess down, then run the cell.
#
# Barnett, van der Pols and Dobson (*Int J Epidemiol* 2005;34:215-20) give the expected
# change of patients selected above a cut-off c when nothing changes:
# −σ(1 − ρ) φ(z) / (1 − Φ(z)), z = (c − μ)/σ, where σ(1 − ρ) = σ²_within / σ_total: the
# within-patient (noise) variance over the total SD. The more noise (smaller ρ), and the
# further the selected patients lie above the mean, the larger the fall.

# %% tags=["teaching"]
from mscreport.analysis import simulations

sim = simulations.simulations_block(cohort.params)
ch.record("simulations", sim)
ch.figure(simulations.rtm_figure(sim["rtm"]),
          "Simulated patients without treatment: those selected on a high baseline fall at follow-up, "
          "as Barnett's formula predicts (bar: simulated mean change with its confidence interval).",
          "Left: scatter of simulated baseline against follow-up HbA1c with the selection cut-off and the line of "
          "no change. Right: two bars, the predicted and the simulated mean change, both below zero.")
ch.say(simulations.say_rtm_simulation(sim["rtm"]))

# %% [markdown] tags=["teaching"]
# **Try it.** Change `rho` or the cut-off in `simulations.RtmDesign` and
# `simulations.simulate_rtm(cutoff, design=...)`: with ρ = 1 (no measurement noise) the
# fall vanishes; with a higher cut-off it grows. The same mechanism acts on this cohort's
# severe stratum (the table above), which is why chapter 3 asks for a comparator arm.

# %% [markdown] tags=["teaching"]
# **The size of a trial analysed by ANCOVA.** The table plans for a t-test on the change,
# with the SD of change; the sentence under it gives the size for an ANCOVA analysis, which
# chapter 3 recommends for the trial (follow-up on baseline and arm). Its outcome SD is the
# residual SD of follow-up given baseline, smaller than the SD of change by about the factor
# √(1 − r²) for the baseline-follow-up correlation r (R:
# `power.t.test(delta, sd = summary(lm(hba1c_followup ~ hba1c_baseline, f))$sigma)`; plain
# statsmodels: `smf.ols("hba1c_followup ~ hba1c_baseline", d)` and
# `tt_ind_solve_power(effect_size=delta / sigma, alpha=alpha, power=0.8)`).

# %% tags=["teaching"]
import math

from mscreport.analysis.ancova_size import ancova_n_per_arm

# %% tags=["teaching", "plain"]
from statsmodels.stats.power import tt_ind_solve_power

plain_sigma = lesson.residual_sd(lesson.fit_plain(smf.ols, "hba1c_followup ~ hba1c_baseline", d))
plain_n = lesson.try_call(tt_ind_solve_power, effect_size=lesson.effect_size(overall.mean_change, plain_sigma),
                          alpha=alpha, power=0.8)
lesson.print_plain(cohort, residual_sd=plain_sigma, n_per_arm=plain_n)

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# Each exercise is done here, in the notebook, on the open patient table `d` (one row per
# analysed patient: change it freely, the report's files stay as they are). For a
# **predict, then run** exercise, write your prediction in the cell first, then work out the
# answer and run the cell; the cell after it checks your answer against the analysis (it
# fails until you have answered). Answers in words are marked by hand.
#
# **5.1 (predict, then run).** Raise the severe cut-off to 9 %. Predict: is the regression to
# the mean expected in the patients above it larger or smaller than above `severe_above`?
# Then compute it with Barnett's formula, `trust.expected_rtm(mean, sd, cutoff, rho)`, with
# the mean and SD of the baselines in `d` and the cohort's observed correlation
# `blocks["rtm"]["observed_rho"]`, and set `answer_5_1`.

# %% tags=["teaching", "solution"]
d = lesson.analysed_frame(cohort)  # the analysed patients, one row each: yours to change
rho = blocks["rtm"]["observed_rho"]
prediction_5_1 = ...  # "larger" or "smaller", before you run
### BEGIN SOLUTION
answer_5_1 = lesson.try_call(trust.expected_rtm, d["hba1c_baseline"].mean(), d["hba1c_baseline"].std(), 9.0, rho)
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_5_1, "5.1")
### BEGIN HIDDEN TESTS
b = cohort.frame["hba1c_baseline"]
lesson.check_close(answer_5_1, lesson.try_call(trust.expected_rtm, b.mean(), b.std(), 9.0, rho), "5.1")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching", "solution"]
# **Answer 5.1.** Larger: selecting patients further above the mean makes φ(z)/(1 − Φ(z))
# larger, so more of the next measurement's fall is expected by chance alone. Compare the
# number above with the table's figure at the observed ρ.

# %% [markdown] tags=["teaching"]
# **5.2.** Why is the correlation of change with *baseline* a biased test of "larger falls at
# higher HbA1c"?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 5.2.** Baseline appears in both variables (change = follow-up − baseline), so
# measurement error in baseline creates a negative correlation even when nothing depends on
# the level: Oldham's plot avoids this by using the mean of the two measurements.

# %% [markdown] tags=["teaching"]
# **5.3.** With Holm's adjustment, which subgroup tests stay below α? List them in
# `answer_5_3` (from `blocks["holm"]`), then say what their surviving does and does not show.

# %% tags=["teaching", "solution"]
import pandas as pd

holm = pd.DataFrame(blocks["holm"]).astype({"p": float, "p_holm": float})  # one row per test of the family
### BEGIN SOLUTION
answer_5_3 = sorted(holm.loc[holm["p_holm"] < alpha, "test"])
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_5_3, "5.3")
### BEGIN HIDDEN TESTS
family = pd.DataFrame(trust.holm_block(trust.subgroup_family(by_stratum, dose))).astype({"p_holm": float})
lesson.check_close(sorted(answer_5_3), sorted(family.loc[family["p_holm"] < alpha, "test"]), "5.3")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching", "solution"]
# **Answer 5.3.** A within-stratum paired test that survives Holm says that stratum's own
# change is unlikely to be 0 even allowing for the six tests. It does **not** say the strata
# differ (that needs a comparison between them, not two within-stratum p-values), nor that the
# treatment caused the fall: within one arm, regression to the mean and drift of care act on
# every stratum, most on the one selected for its high baseline.

# %% [markdown] tags=["teaching"]
# **5.4 (predict, then run).** The ANCOVA trial above was sized for 80 % power. Predict how
# many patients per arm it needs for 90 % power (more by about a quarter, a third, a half?);
# then compute it with `ancova_n_per_arm(d, overall.mean_change, alpha, 0.9)` (rounded up)
# and set `answer_5_4`.

# %% tags=["teaching", "solution"]
prediction_5_4 = ...  # your prediction, before you run
### BEGIN SOLUTION
answer_5_4 = lesson.try_call(math.ceil, ancova_n_per_arm(d, overall.mean_change, alpha, 0.9))
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_5_4, "5.4")
### BEGIN HIDDEN TESTS
lesson.check_close(answer_5_4, lesson.try_call(math.ceil, ancova_n_per_arm(cohort.frame, overall.mean_change, alpha, 0.9)), "5.4")
### END HIDDEN TESTS
