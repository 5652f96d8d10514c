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
# # Dose subgroups: did more cells go with a larger fall?
#
# **Question:** is the fall in HbA1c larger with a higher MSC dose (≥ `dose_cutoff`, 1e9
# cells by default), does it rise with the dose itself, does the MSC source matter, and
# what remains once baseline HbA1c is taken into account?

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
from mscreport.analysis import arms, dose as dosing
from mscreport.analysis.dose import adjusted_dose_block
from mscreport.analysis.trust import say_dose_reversal
from mscreport.report.blocks import source_block
from mscreport.report.chapter import Chapter

ch = Chapter.from_parameters("dose", globals())
cohort = ch.cohort
dose = dosing.analyse_dose(cohort)
hidden = dosing.hidden_dose(dose, cohort.rows_analysed)
ch.record("dose", dose.interface())

# %% tags=["study-own"]
from mscreport.report import framing

ch.say(framing.dose_opening(cohort.study))

# %%
arms.say_pooled(ch)

# %% [markdown] tags=["study-arms"]
# ## Per arm: dose within each arm
#
# In a controlled study the sections below pool the arms. Dose usually varies only in the
# active arm (the comparator receives none, and an arm may have one fixed dose), so dose
# subgroups and the dose-response are examined **within each arm whose dose varies**, with
# the same tests as below. Within an arm, dose is still not randomised: a dose effect within
# an arm is no substitute for the comparison between the randomised arms (chapter 3).

# %% tags=["study-arms"]
arms.show_dose(ch)

# %% [markdown]
# ## Within each dose group
#
# First the same paired analysis as in chapter 3, separately for the high- and low-dose
# groups: did HbA1c fall within each?

# %%
ch.say(dosing.within_sentence(dose), basis="dose.groups")
ch.table(dosing.within_table(dose, hidden), "Paired analysis within each dose group", basis="dose.groups")

# %% [markdown]
# ## High against low dose
#
# **Why these tests.** The comparison is between two *different* groups of patients, so it
# is an unpaired comparison of their changes. **Welch's t-test** compares mean changes
# without assuming equal variances (the safe default); the **Mann-Whitney (Wilcoxon
# rank-sum) test** compares the groups' ranks and does not assume normality. Its statistic
# U is that of the high-dose group (R's W). **How to read it:** a non-significant result is
# not evidence of *no* difference; look at the interval for the difference, which shows
# which differences the data cannot rule out.

# %%
ch.say(dosing.between_sentence(dose, hidden), basis="dose")
ch.figure(dosing.dose_box_figure(cohort, dose),
          "Change in HbA1c by dose group (boxes: median and quartiles; points: patients when n is small).",
          "Box plots of HbA1c change for low and high dose groups.")

# %% [markdown] tags=["teaching"]
# **The calls behind the sentence.** Welch's test and the Mann-Whitney test above are two
# calls on the changes of the two dose groups (`f` is the table of analysed patients, one
# row each; R: `t.test(high, low)` and `wilcox.test(high, low)`). `diff` is high − low in %
# points; `u` is the high-dose group's statistic (R's W):

# %% tags=["teaching"]
from mscreport.report import lesson
from mscreport.methods import stats

alpha = cohort.params["alpha"]
f = lesson.analysed_frame(cohort)
high = f.loc[f["dose_group"] == "high", "change"]
low = f.loc[f["dose_group"] == "low", "change"]
lesson.print_result(stats.welch_test(high, low, alpha), cohort, groups=("high", "low"))
lesson.print_result(stats.mann_whitney(high, low), cohort, groups=("high", "low"))

# %% [markdown] tags=["teaching"]
# **The same in plain scipy**, on an open patient table `d` (change it and run again):
# `stats.ttest_ind(high, low, equal_var=False)` is Welch's test, `stats.mannwhitneyu(high, low)`
# the rank-sum test (its statistic is U of the first group, R's W).

# %% tags=["teaching", "plain"]
from scipy import stats as sps

d = lesson.open_table(cohort, ["hba1c_baseline", "hba1c_followup", "change", "dose_cells", "dose_group"])  # the open patient table: yours to change
d_high = d.loc[d["dose_group"] == "high", "change"]
d_low = d.loc[d["dose_group"] == "low", "change"]
plain_welch = lesson.try_call(sps.ttest_ind, d_high, d_low, equal_var=False)
plain_mw = lesson.try_call(sps.mannwhitneyu, d_high, d_low, alternative="two-sided")
lesson.print_plain(cohort, groups=("high", "low"), welch=plain_welch, mann_whitney=plain_mw)

# %% [markdown]
# ## Dose-response
#
# Splitting at 1e9 cells throws information away; the correlation of the dose itself with
# the change uses all of it. **Pearson's r** measures a linear relation (with a Fisher-z
# interval); **Spearman's rho** a monotone one, on ranks, robust to the few very large doses.
# A negative correlation would mean: more cells, larger fall.

# %%
ch.say(dosing.response_sentence(dose), basis="dose")
ch.figure(dosing.dose_scatter_figure(cohort, dose),
          "Change in HbA1c against dose (log scale) with the least-squares line of change on log10 dose "
          "(drawn for the eye; Pearson r above is on the raw dose (the paper does not say which scale its correlation used); Spearman's rho is the same on either scale); "
          "colour: severity stratum.",
          "Scatter plot of HbA1c change against log10 dose with a nearly flat fitted line.")

# %% [markdown] tags=["teaching"]
# **The calls behind the correlations.** Pearson's r with its Fisher-z interval, and
# Spearman's rho, of the dose with the change, over the patients who have a dose (a missing
# dose drops the pair; R: `cor.test(f$dose_cells, f$change)` and
# `cor.test(f$dose_cells, f$change, method = "spearman")`):

# %% tags=["teaching"]
lesson.print_result(stats.pearson(f["dose_cells"], f["change"], alpha), cohort)
lesson.print_result(stats.spearman(f["dose_cells"], f["change"]), cohort)

# %% [markdown] tags=["teaching"]
# **The same in plain scipy and statsmodels** (patients with a dose): `stats.pearsonr`,
# `stats.spearmanr`, and the baseline-adjusted dose difference of the section below as one
# formula, `smf.ols("change ~ hba1c_baseline + high_dose", d)` (R: `lm(change ~
# hba1c_baseline + high_dose)`).

# %% tags=["teaching", "plain"]
import statsmodels.formula.api as smf

with_dose = d.dropna(subset=["dose_cells"]).copy()
with_dose["high_dose"] = (with_dose["dose_group"] == "high").astype(float)
plain_r = lesson.try_call(sps.pearsonr, with_dose["dose_cells"], with_dose["change"])
plain_rho = lesson.try_call(sps.spearmanr, with_dose["dose_cells"], with_dose["change"])
plain_ols = lesson.fit_plain(smf.ols, "change ~ hba1c_baseline + high_dose", with_dose)
lesson.print_plain(cohort, groups=("high", "low"), pearson=plain_r, spearman=plain_rho, ols=plain_ols)

# %% [markdown]
# ## MSC source
#
# Three cell sources were used. **One-way ANOVA** compares their mean changes (assuming
# normal changes with equal variances); **Kruskal-Wallis** is its rank-based counterpart.
# Sources were not randomised either, so a difference could reflect who received which.

# %%
src = dosing.compare_sources(cohort)
ch.table(dosing.format_sources(src, cohort.rows_analysed), "Change in HbA1c by MSC source", basis="source")
ch.say(dosing.sources_sentence(src), basis="source")

# %% [markdown]
# ## Adjusting for baseline HbA1c
#
# Because doses were tailored, the high-dose group may have started higher, and a higher
# start alone predicts a larger fall. The model **change ~ baseline + dose group** (ordinary
# least squares) estimates the dose-group difference *at the same baseline*; the **partial
# correlation** of dose and change given baseline does the same for the continuous dose.
# Both still cannot remove confounding by anything unmeasured.

# %%
adj = dosing.adjust_dose_for_baseline(cohort)
ch.table(dosing.adjusted_table(adj, hidden), dosing.adjusted_caption(adj), basis="adjusted_dose")
ch.say(dosing.adjusted_sentence(adj, hidden), basis="adjusted_dose")

# %%
ch.record("source", source_block(cohort))
ch.record("adjusted_dose", adjusted_dose_block(cohort))
ch.say(say_dose_reversal(dose, adjusted_dose_block(cohort), cohort.params["alpha"], cohort.reconstruction),
       basis="adjusted_dose")

# %% [markdown]
# ## Common misreadings
#
# * **"A trend" is not a result.** A difference that is not statistically significant, in a
#   small non-randomised subgroup, is compatible with no effect at all.
# * **Absence of evidence is not evidence of absence**: the interval shows which dose effects
#   remain possible.
# * **Dose was not assigned at random**, so even a significant difference would not show
#   that more cells cause a larger fall.

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# Each exercise is done here, in the notebook, on the open patient table `d` (one row per
# analysed patient: change it freely, the report's files stay as they are). For a
# **predict, then run** exercise, write your prediction in the cell first, then work out the
# answer and run the cell; the cell after it checks your answer against the analysis (it
# fails until you have answered). Answers in words are marked by hand.
#
# **4.1 (predict, then run).** Lower the dose cut-off to 5e8 cells. Predict how many patients
# are then in the high-dose group, and whether the Welch difference (high − low) moves towards
# 0 or away from it; then count the high-dose patients in `d` and set `answer_4_1` (run
# `sps.ttest_ind(high, low, equal_var=False)` on the new groups for the difference).

# %% tags=["teaching", "solution"]
d = lesson.analysed_frame(cohort)  # the analysed patients, one row each: yours to change
prediction_4_1 = ...  # your prediction: the number of high-dose patients
### BEGIN SOLUTION
answer_4_1 = int((d["dose_cells"] >= 5e8).sum())
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_4_1, "4.1")
### BEGIN HIDDEN TESTS
from mscreport.core.groups import assign_dose_groups

lesson.check_close(answer_4_1, int((assign_dose_groups(f["dose_cells"], 5e8) == "high").sum()), "4.1")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching", "solution"]
# **Answer 4.1.** The patients with 5e8 cells move to the high-dose group, so the groups
# change size, and the difference moves by however those patients' changes differ from the
# rest: the cell below gives the new difference and its interval. Read the interval, not the
# sign: trying several cut-offs and keeping the most striking is a multiple-testing trap.

# %% tags=["teaching", "solution"]
high_5e8 = d.loc[d["dose_cells"] >= 5e8, "change"]
low_5e8 = d.loc[d["dose_cells"] < 5e8, "change"]
lesson.print_plain(cohort, groups=("high", "low"), n_high=len(high_5e8), n_low=len(low_5e8),
                   diff=high_5e8.mean() - low_5e8.mean(),
                   welch=lesson.try_call(sps.ttest_ind, high_5e8, low_5e8, equal_var=False))

# %% [markdown] tags=["teaching"]
# **4.2.** Why is the Mann-Whitney p computed by the normal approximation here, not exactly?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 4.2.** HbA1c is recorded to 0.1 %, so changes tie; R's rule, which we follow, uses
# the exact distribution only for small samples without ties.

# %% [markdown] tags=["teaching"]
# **4.3 (predict first).** The unadjusted (Welch) and the baseline-adjusted dose differences
# can have opposite signs. Before you look at their intervals: would opposite signs show that
# the dose effect "reverses" once baseline is taken into account?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 4.3.** Only if the intervals said so. When both intervals include 0, each estimate
# is compatible with no difference and with differences of either sign, and a change of sign
# between two such estimates is noise, not a reversal (a trend is not a result). A shrinking
# difference after adjustment would point to the high-dose group starting higher (confounding
# by baseline severity, and regression to the mean); in the bundled reconstruction that
# baseline imbalance was put in by the reconstruction's assumptions, so it says nothing about
# the paper's patients.
