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

# %% [markdown] tags=["study-paper"]
# # HbA1c over time: trajectories and a mixed model
#
# **Question:** after the infusion, does HbA1c stay down, keep falling, or drift back up,
# and how fast?

# %% [markdown] tags=["study-own", "study-not-msc"]
# # HbA1c over time: trajectories and a mixed model
#
# **Question:** after the start of treatment, does HbA1c stay down, keep falling, or drift back up,
# and how fast?

# %% [markdown] tags=["study-own", "study-msc"]
# # HbA1c over time: trajectories and a mixed model
#
# **Question:** after the infusion, does HbA1c stay down, keep falling, or drift back up,
# and how fast?

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
from mscreport.analysis import mmrm, teaching_numbers, trajectory
from mscreport.report.chapter import Chapter

ch = Chapter.from_parameters("trajectory", globals())
traj = trajectory.analyse_trajectory(ch.cohort)
ch.record("longitudinal", mmrm.with_mmrm(ch.cohort, trajectory.interface_block(traj)))
ch.record("post_baseline_slope", teaching_numbers.post_baseline_block(ch.cohort))  # the teaching page's slope after time 0

# %% [markdown] tags=["study-paper"]
# The paper reduces each patient to two numbers, a baseline and the last follow-up 6 to 68
# months later. A **long file** (one row per HbA1c measurement) shows the whole course. This
# chapter draws it, averages it by time bin and fits a linear mixed model with a random
# intercept and a random slope per patient, whose fixed slope is the average drift of HbA1c
# per year after the infusion.

# %% [markdown] tags=["study-own", "study-not-msc"]
# A paired analysis reduces each patient to two numbers, a baseline and one follow-up. A
# **long file** (one row per HbA1c measurement) shows the whole course. This chapter draws it,
# averages it by time bin and fits a linear mixed model with a random intercept and a random
# slope per patient, whose fixed slope is the average drift of HbA1c
# per year after the start of treatment.

# %% [markdown] tags=["study-own", "study-msc"]
# A paired analysis reduces each patient to two numbers, a baseline and one follow-up. A
# **long file** (one row per HbA1c measurement) shows the whole course. This chapter draws it,
# averages it by time bin and fits a linear mixed model with a random intercept and a random
# slope per patient, whose fixed slope is the average drift of HbA1c
# per year after the infusion.

# %% [markdown]
# ## The data
#
# Which measurements enter: each patient's baseline (the last HbA1c in the window
# [−`baseline_window_months`, 0]) and every measurement after time 0, for every patient whose
# baseline is at least `moderate_min`, including patients with no follow-up near
# `followup_at_months` (the model copes with missing visits; the before/after chapters
# cannot).

# %%
trajectory.show_availability(ch, traj)

# %% [markdown]
# ## Mean HbA1c over time
#
# The mean of each time bin, with its confidence interval, over the patients' own courses. A
# bin's mean comes from the patients measured in that bin only: when those who stay in
# follow-up differ from those who leave, the bins compare different people.

# %%
trajectory.show_trajectory(ch, traj)

# %% [markdown]
# ## The mixed model
#
# HbA1c = intercept + slope × years + a patient's own deviation in intercept and slope +
# measurement noise, fitted by REML. The **slope per year** is the slope of one straight line
# through each patient's baseline and every later measurement: positive means HbA1c rises
# over the years, negative that it falls. With the baseline in the fit it mixes the early
# drop (baseline to first follow-up) with the drift that follows, so it is not by itself the
# drift once the fall is over (the teaching pages fit that too). The standard deviations say
# how much patients differ from each other in their starting level and in their drift, and how far single measurements scatter around a
# patient's own line.

# %%
trajectory.show_mixed_model(ch, traj)

# %%
from mscreport.analysis import arm_mmrm

arm_mmrm.show_mmrm(ch, mmrm.with_mmrm(ch.cohort, trajectory.interface_block(traj)))

# %% [markdown] tags=["teaching"]
# **The call behind the table.** The model is one call on the measurements `m`, one row per
# HbA1c (R: `nlme::lme(hba1c ~ years, random = ~ years | patient_id, data = m,
# method = "REML")`). `slope_per_year` is the fixed slope; the `sd_*` are how much patients
# differ in level and in drift, and how far single measurements scatter. A file with one row
# per patient has no repeated measurements: the call then returns None.

# %% tags=["teaching"]
from mscreport.report import lesson

m = lesson.measurements(ch.cohort)
lesson.print_result(trajectory.fit_mixed_model(m, ch.params["alpha"]), ch.cohort)

# %% [markdown] tags=["teaching"]
# **The same in plain statsmodels**: `smf.mixedlm("hba1c ~ years", m, groups=m["patient_id"],
# re_formula="~years").fit(reml=True)`: the same slope (its standard errors differ a little
# from nlme's, which the library's match).
#
# **Does the fall last?** The model above puts the baseline on the same line as the later
# measurements. The drift *after* the early drop is the same model on the measurements after
# time 0 only (R: `nlme::lme(hba1c ~ years, random = ~ years | patient_id,
# data = m[m$months > 0, ], method = "REML")`):

# %% tags=["teaching", "plain"]
import statsmodels.formula.api as smf

from mscreport.analysis.post_baseline import fit_post_baseline_slope
from mscreport.report.lesson_sentences import slope_question_sentence, visits_by_chance_sentence

m_open = lesson.open_measurements(m)  # the measurements, one row each: yours to change
plain_mixed = lesson.fit_plain(smf.mixedlm, "hba1c ~ years", m_open, fit_kwargs={"reml": True}, groups="patient_id",
                              re_formula="~years")
lesson.print_plain(ch.cohort, mixedlm=plain_mixed)
ch.say(slope_question_sentence(trajectory.fit_mixed_model(m, ch.params["alpha"]),
                               fit_post_baseline_slope(m, ch.params["alpha"])))

# %% [markdown]
# ## Is the fall durable?

# %%
trajectory.show_verdict(ch, traj)

# %% [markdown] tags=["teaching"]
# ## Why a mixed model, and not a t-test at each visit
#
# A paired t-test per visit (baseline vs month 3, baseline vs month 6, ...) seems natural but
# answers the wrong question badly:
#
# * **Many tests.** One test per visit gives one p-value per visit, and none of them tests
#   the trend; how many "significant" visits chance alone gives is computed below.

# %% tags=["teaching"]
ch.say(visits_by_chance_sentence(8, 0.05))

# %% [markdown] tags=["teaching"]
# * **Different patients at each visit.** Each test uses only the patients seen at that
#   visit; a patient who misses one visit drops out of that test, and the tests cannot be
#   compared when the mix of patients changes.
# * **Many correlated tests, and none of them the trend.** Each paired test does handle the
#   pairing of its two measurements. The trouble is that the tests share the baseline and the
#   patients, so they are correlated tests of overlapping questions: their p-values cannot be
#   combined by eye, and no one of them estimates how HbA1c moves over time.
#
# The mixed model uses every measurement at once. The random intercept lets each patient
# start at their own level; the random slope lets each patient drift at their own rate; the
# fixed slope is the average drift, with a standard error that accounts for both the number
# of patients and the number of measurements per patient. Patients with missing visits still
# contribute what they have (under the assumption that the visits are missing at random given
# the measured values).
#
# **Assumptions to check.** A straight line in time (look at the figure: a fast fall over
# the first months followed by a plateau is not a line, and the slope then mixes the two);
# normal random effects and residuals; missing visits not caused by the unmeasured HbA1c.
# **Common misreading:** a slope near 0 with a wide CI is "no evidence of drift", not
# "evidence of no drift". And within one arm, neither a stable nor a rising HbA1c says what
# the treatment did: that needs a comparison with a control arm.

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# Each exercise is done here, in the notebook, on the open patient table `d` (one row per
# analysed patient: change it freely, the report's files stay as they are). For a
# **predict, then run** exercise, write your prediction in the cell first, then work out the
# answer and run the cell; the cell after it checks your answer against the analysis (it
# fails until you have answered). Answers in words are marked by hand.
#
# **7.1 (predict, then run).** The chapter's slope has the baseline in the fit. Predict: on
# the measurements after time 0 only, is the slope closer to 0, further from it, or of the
# other sign? Then fit it, `fit_post_baseline_slope(m, alpha)`, and set `answer_7_1` to its
# slope per year (None when the file has no repeated measurements).

# %% tags=["teaching", "solution"]
prediction_7_1 = ...  # your prediction, before you fit
### BEGIN SOLUTION
post = fit_post_baseline_slope(m, ch.params["alpha"])
answer_7_1 = lesson.slope_estimate(post)
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_7_1, "7.1")
### BEGIN HIDDEN TESTS
check = fit_post_baseline_slope(lesson.measurements(ch.cohort), ch.params["alpha"])
lesson.check_close(answer_7_1, lesson.slope_estimate(check), "7.1", rel=1e-4)
### END HIDDEN TESTS

# %% [markdown] tags=["teaching", "solution"]
# **Answer 7.1.** With the baseline in the fit, one straight line runs from the baseline
# through the later measurements, so an early drop pulls its slope down; after time 0 only,
# the slope measures the drift once the drop is over, which is what "does the fall last?"
# asks. The sentence in the lesson above gives both slopes with their intervals.

# %% [markdown] tags=["teaching"]
# **7.2.** Whatever the post-baseline slope's interval, can it show what the treatment did
# over the years?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 7.2.** No. An interval that includes 0 is "no evidence of drift", not evidence of
# no drift: durability needs an interval that excludes clinically relevant drifts (e.g. +0.3 %
# per year). An interval that excludes 0 shows a drift, but within one arm HbA1c's natural
# course under usual care cannot be told from a fading (or lasting) effect: only patients
# followed in a control arm over the same years can tell them apart.

# %% [markdown] tags=["teaching"]
# **7.3.** Why does the fixed slope's standard error depend on the number of patients more
# than on the number of measurements per patient?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 7.3.** Patients differ in their own slopes (the random slope's SD): that
# between-patient variation only averages out over more patients. More measurements per
# patient only sharpen each patient's own line.
