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
# # Severity strata: moderate and severe at baseline
#
# **Question:** how many patients fall in each severity stratum, where exactly is the
# boundary, and how much do the strata depend on where the thresholds are drawn?

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
from mscreport.analysis import arms, basis, strata
from mscreport.display import figures
from mscreport.report.chapter import Chapter

ch = Chapter.from_parameters("severity", globals())
cohort = ch.cohort

# %% [markdown] tags=["study-paper"]
# The paper splits patients by their HbA1c *before* the infusion: moderate 6.2-8 %, severe
# above 8 %. Stratifying by a baseline measurement is natural clinically, but it has a
# statistical cost that chapter 5 measures: the patients selected for a high first value
# will, on average, show a lower second value even without treatment (regression to the mean).

# %% [markdown] tags=["study-own"]
# This chapter splits patients by their HbA1c at baseline, at the thresholds `moderate_min`
# and `severe_above` (their values are in the parameters above). Stratifying by a baseline
# measurement is natural clinically, but it has a statistical cost that chapter 5 measures:
# the patients selected for a high first value will, on average, show a lower second value
# even without treatment (regression to the mean).

# %%
arms.say_pooled(ch)

# %% [markdown] tags=["study-own"]
# ## The boundary rule
#
# Both thresholds are in NGSP %, whatever unit the file uses. A patient is **moderate** when
# `moderate_min` ≤ HbA1c ≤ `severe_above` and **severe** when HbA1c > `severe_above`, so a
# baseline of exactly `severe_above` is moderate. A baseline below `moderate_min` is analysed
# in the stratum **below** (shown only when someone is in it), unless `inclusion_min` excludes
# it (chapter 1).

# %% [markdown] tags=["study-paper"]
# ## The boundary rule
#
# Both thresholds are in NGSP %, whatever unit the file uses. A patient is **moderate** when
# `moderate_min` ≤ HbA1c ≤ `severe_above` and **severe** when HbA1c > `severe_above`, so a
# baseline of exactly 8.0 % is moderate, as the paper's "6.2-8 %" reads. Below
# `moderate_min` the patient is excluded (chapter 1).

# %%
counts = strata.count_strata(cohort)
ch.record("strata_counts", counts.to_dict("records"))
ch.say(strata.counts_sentence(counts, cohort.params), basis="strata_counts")
ch.table(strata.format_counts(counts), "Patients per severity stratum", basis="strata_counts")

# %% [markdown]
# ## Baseline distribution
#
# The histogram shows where the thresholds cut the baseline distribution. A threshold that
# falls in a dense part of the distribution moves many patients between strata when it moves
# a little, and then the stratum results are fragile.

# %%
ch.figure(figures.baseline_distribution(cohort.frame, cohort.params["moderate_min"], cohort.params["severe_above"], policy=ch.policy),
          "Baseline HbA1c with the stratum thresholds (dashed). Top axis: mmol/mol.",
          "Histogram of baseline HbA1c in percent with dashed vertical lines at the moderate and severe thresholds.")

# %% [markdown] tags=["study-own"]
# ## When the threshold moves

# %% tags=["study-own"]
ch.say(strata.cutoff_sentence(cohort.params))

# %% [markdown] tags=["study-paper"]
# ## When the threshold moves
#
# The 8 % cut-off is a convention, not a biological boundary. The table recomputes the two
# strata for other values of `severe_above` (the lower bound stays at `moderate_min`). Read
# it for stability: if the severe stratum's mean change were large only for one particular
# cut-off, that would be a warning sign. Regression to the mean (chapter 5) makes a larger
# fall *expected* in patients selected further above the mean, but as the cut-off rises the
# stratum shrinks and its mean becomes noisy, so the trend need not be smooth. Your own
# `severe_above` is always one of the rows.

# %%
sens = strata.threshold_sensitivity(cohort)
ch.record("threshold_sensitivity", sens.to_dict("records"))
shown = strata.format_sensitivity(sens, cohort.params["severe_above"])
ch.table(shown, "Stratum sizes, mean change (% points) and paired t-test p for other severe_above cut-offs (NGSP %)",
         basis=basis.sensitivity_keys(shown, cohort.params["severe_above"]))

# %% [markdown] tags=["teaching"]
# **The call behind a row.** Each row of the table above is a paired t-test in the patients
# above that cut-off, and one in those at or below it. At your own `severe_above` the
# patients above it are the severe stratum, and its severe columns come from this call on
# their two HbA1c columns (`f` is the table of analysed patients, one row each;
# `rank_tests=False`: the t-test alone, as in the table; R:
# `t.test(severe$hba1c_followup, severe$hba1c_baseline, paired = TRUE)`):

# %% tags=["teaching"]
from mscreport.report import lesson
from mscreport.methods import stats

f = cohort.frame
severe = f[f["stratum"] == "severe"]
t_severe = stats.paired_test(severe["hba1c_baseline"], severe["hba1c_followup"], cohort.params["alpha"],
                             rank_tests=False)
lesson.print_result(t_severe, cohort, groups=("severe",),
                    fields=("n", "mean_change", "ci_low", "ci_high", "t", "df", "p"))

# %% [markdown] tags=["teaching"]
# **The same test in plain scipy**, on an open patient table `d`: change it (drop a patient,
# edit a value, move the cut-off) and run the cell again. `stats.ttest_rel(follow-up,
# baseline)` is R's `t.test(..., paired = TRUE)`; the numbers are those of the call above.

# %% tags=["teaching", "plain"]
from scipy import stats as sps

d = lesson.open_table(cohort, ["hba1c_baseline", "hba1c_followup", "change", "stratum"])  # the open patient table: yours to change
sev = d[d["hba1c_baseline"] > cohort.params["severe_above"]]
plain_t = lesson.try_call(sps.ttest_rel, sev["hba1c_followup"], sev["hba1c_baseline"])
lesson.print_plain(cohort, groups=("severe",), t=plain_t)

# %% [markdown] tags=["study-arms"]
# ## Per arm: severity strata and the arm-by-severity interaction
#
# In a controlled study each arm is split into the same strata. Whether the between-arm
# difference depends on severity is tested by the **interaction** of arm and stratum in the
# model of follow-up HbA1c on baseline, arm and stratum (an F-test comparing the models with
# and without the interaction), not by comparing the strata's p-values.

# %% tags=["study-arms"]
arms.show_strata(ch)

# %% [markdown]
# ## The strata compared directly
#
# "Particularly in severe diabetes" is a claim about the **difference** between the strata:
# did the severe stratum fall more than the moderate one? A small p-value in one stratum and a
# larger one in the other does not answer it (the severe stratum may simply be smaller or more
# variable). The strata are compared directly here, severe − moderate in % points (negative:
# the severe stratum fell more), in two ways: Welch's t-test of the change, and the same
# difference at equal baseline HbA1c, from a linear model of follow-up on baseline and
# stratum (ANCOVA-style). Patients of the stratum below, if any, are in neither group.

# %%
from mscreport.analysis import strata_compare

comparison = strata_compare.compare_strata(cohort)
hidden_rows = strata_compare.hidden_comparisons(cohort.frame)
ch.record("strata_comparison", comparison)
ch.table(strata_compare.format_strata_comparison(comparison, cohort.params["alpha"], hidden_rows),
         "Severe − moderate: difference in mean change (Welch) and at equal baseline (ANCOVA), % points",
         basis="strata_comparison")
ch.say(strata_compare.say_strata_comparison(comparison, cohort.params["alpha"], hidden_rows), basis="strata_comparison")

# %% [markdown]
# **What regression to the mean does to this comparison.** In a single-arm study there is no
# untreated group to subtract, and the strata were *made* from the baseline: the severe
# stratum is the patients whose first HbA1c was highest. Part of any first value is
# measurement noise and short-term fluctuation, and the highest first values carry the most
# of it upwards, so the severe stratum is expected to fall more at the next measurement
# **without any treatment** (chapter 5 simulates it). The Welch difference therefore mixes
# regression to the mean with any real difference in response. Comparing at equal baseline
# removes the part of that pull that is a straight line in baseline, which is why its estimate
# is usually closer to zero; it cannot remove all of it, nor tell a treatment effect from
# what would have happened anyway. Only a comparator arm selected the same way can
# (chapter 3, and the class build's simulated control arm, where the severe stratum also
# falls more although nobody was treated).

# %% [markdown] tags=["teaching"]
# **The calls behind the table**, as a student would type them (`d`: the moderate and severe
# patients, one row each; R: `t.test(change ~ stratum)` and
# `lm(hba1c_followup ~ hba1c_baseline + stratum)`):
#
# ```python
# from scipy import stats
# import statsmodels.formula.api as smf
# d = cohort.frame[cohort.frame["stratum"].isin(["moderate", "severe"])]
# stats.ttest_ind(d.change[d.stratum == "severe"], d.change[d.stratum == "moderate"], equal_var=False)
# smf.ols("hba1c_followup ~ hba1c_baseline + C(stratum, Treatment('moderate'))", d).fit().summary()
# ```
#
# The cell below runs exactly these two lines (printing nothing the page hides):

# %% tags=["teaching"]
print(strata_compare.student_calls(cohort.frame, hidden_rows))

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# Each exercise is done here, in the notebook, on the open patient table `d` (one row per
# analysed patient: change it freely, the report's files stay as they are). For a
# **predict, then run** exercise, write your prediction in the cell first, then work out the
# answer and run the cell; the cell after it checks your answer against the analysis (it
# fails until you have answered). Answers in words are marked by hand.
#
# **2.1 (predict, then run).** Move the severe cut-off from `severe_above` to 7.5 %. Predict
# how many patients are then severe, from the histogram above; then count them in `d` and set
# `answer_2_1`.

# %% tags=["teaching", "solution"]
d = lesson.analysed_frame(cohort)  # the analysed patients, one row each: yours to change
prediction_2_1 = ...  # your prediction, before you count
### BEGIN SOLUTION
answer_2_1 = int((d["hba1c_baseline"] > 7.5).sum())
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_2_1, "2.1")
### BEGIN HIDDEN TESTS
lesson.check_close(answer_2_1, int(strata.threshold_sensitivity(cohort, [7.5]).set_index("severe_above").loc[7.5, "n_severe"]), "2.1")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching"]
# **2.2.** What happens to the severe stratum's mean change and p-value at 7.5 %? Find the row
# in the threshold table above (or run the paired test on `d[d["hba1c_baseline"] > 7.5]`).

# %% [markdown] tags=["teaching", "solution"]
# **Answer 2.2.** The patients with baselines above 7.5 up to 8.0 % join the severe stratum and
# the moderate stratum loses its highest baselines. The severe mean change moves towards
# theirs, and its p-value reflects both the new mean change and the larger n. Nothing about
# the patients changed: only the cut.

# %% [markdown] tags=["teaching"]
# **2.3.** A baseline of exactly 8.0 %: which stratum? Where in the library is this decided?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 2.3.** Moderate: severe means strictly above `severe_above`.
# `lib/mscreport/core/groups.py` (`assign_strata`) assigns the stratum with
# `hba1c_baseline > severe_above`.

# %% [markdown] tags=["teaching"]
# **2.4.** Why would a data-driven choice of the cut-off (picking the one with the smallest p)
# be wrong?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 2.4.** Trying many cut-offs and reporting the best is a multiple comparison in
# disguise: the reported p no longer means what a p-value means.
