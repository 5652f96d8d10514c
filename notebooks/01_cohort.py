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
# # The cohort: who was treated, and who is analysed
#
# **Question:** who are the patients, which rows of the cohort file enter the analysis, and
# how do the moderate and severe strata differ before the infusion?

# %% [markdown] tags=["study-own"]
# # The cohort: who was treated, and who is analysed
#
# **Question:** who are the patients, which rows of the cohort file enter the analysis, and
# how do the severity strata differ at baseline?

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
from mscreport.analysis import arms, basis, table_one as describe
from mscreport.report.blocks import disclosure_block, table1_block
from mscreport.report.chapter import Chapter

ch = Chapter.from_parameters("cohort", globals())
cohort = ch.cohort

# %% [markdown] tags=["study-paper"]
# Matsuoka et al. treated 61 people with type 2 diabetes (HbA1c ≥ 6.2 %) with one intravenous
# infusion of mesenchymal stem cells (MSCs) from umbilical cord, bone marrow or adipose tissue,
# at 1e8 to 2e9 cells, and measured HbA1c again at the last follow-up (6 to 68 months later).
# This chapter accounts for every row of the cohort file and describes the patients before
# any test is run: a reader should know *who* a result is about before reading the result.

# %% [markdown] tags=["study-own"]
# This chapter accounts for every row of the cohort file and describes the patients before
# any test is run: a reader should know *who* a result is about before reading the result.

# %% [markdown] tags=["study-paper"]
# ## Participant flow
#
# Every row read is either analysed or excluded with a stated reason; nothing is dropped
# silently. A row is excluded when its baseline HbA1c is below `moderate_min` (the paper's
# inclusion criterion) or when it has no follow-up HbA1c (a paired analysis needs both).
# Reasons are counted here; the row numbers are in `results.json`, never in the report.

# %% [markdown] tags=["study-own"]
# ## Participant flow
#
# Every row read is either analysed or excluded with a stated reason; nothing is dropped
# silently. A row is excluded when it has no follow-up HbA1c (a paired analysis needs both),
# or when its baseline HbA1c is below `inclusion_min` if that parameter gives a threshold
# (by default nobody is excluded for a low baseline: a baseline below `moderate_min` is
# analysed, in the stratum *below*). Reasons are counted here; the row numbers are in
# `results.json`, never in the report.

# %%
ch.figure(describe.flow_figure(cohort),
          "Participant flow: rows read, excluded (with reasons), analysed, and per severity stratum.",
          describe.flow_alt(cohort))
ch.say(describe.flow_sentence(cohort), basis="data")
ch.table(describe.exclusion_table(cohort), "Excluded rows by reason", basis="data")

# %% [markdown] tags=["study-arms"]
# ### Participant flow per arm
#
# In a controlled study (a cohort file with an `arm` column) the same accounting is given for
# each arm: an exclusion that hits one arm more than the other can bias the comparison.

# %% tags=["study-arms"]
arms.show_flow(ch)

# %% [markdown] tags=["study-not-msc"]
# ## Table 1: the patients at baseline
#
# The classic first table of a clinical paper: the cohort overall and by severity stratum.
# Continuous variables with skewed distributions (dose, follow-up) are summarised by median
# [interquartile range] and range; baseline HbA1c by mean (SD), in both units. Missing values
# are counted against their denominator, so a reader sees how complete each variable is.

# %% [markdown] tags=["study-msc"]
# ## Table 1: the patients before the infusion
#
# The classic first table of a clinical paper: the cohort overall and by severity stratum.
# Continuous variables with skewed distributions (dose, follow-up) are summarised by median
# [interquartile range] and range; baseline HbA1c by mean (SD), in both units. Missing values
# are counted against their denominator, so a reader sees how complete each variable is.

# %%
table_one = describe.describe_cohort(cohort)
ch.record("table1", table1_block(cohort))
ch.record("disclosure", disclosure_block(cohort))
shown = describe.format_table_one(table_one)
ch.table(shown, "Patient characteristics overall and by severity stratum", index=True, basis=basis.table_one_keys(shown))

# %% tags=["study-arms"]
describe.show_table_one_by_arm(ch)

# %% [markdown] tags=["study-paper"]
# How to read it: the strata are defined *by* baseline HbA1c, so their baseline means must
# differ; what matters is whether anything else differs too (dose, MSC source, follow-up
# time). Doses were "tailored to individual clinical conditions", so a dose difference
# between strata would be expected and would confound any dose comparison (chapter 4).

# %% [markdown] tags=["study-own"]
# How to read it: the strata are defined *by* baseline HbA1c, so their baseline means must
# differ; what matters is whether anything else differs too (age, sex, follow-up time, and
# in a controlled study the arms): a difference there would confound any comparison between
# the strata.

# %%
ch.say(describe.columns_sentence(cohort))

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# Each exercise is done here, in the notebook, on the open patient table `d` (one row per
# analysed patient: change it freely, the report's files stay as they are). For a
# **predict, then run** exercise, write your prediction in the cell first, then work out the
# answer and run the cell; the cell after it checks your answer against the analysis (it
# fails until you have answered). Answers in words are marked by hand.
#
# **1.1 (predict, then run).** A stricter inclusion threshold of 7.0 % (instead of
# `moderate_min`) would exclude every analysed patient whose baseline is below it. Predict
# how many from the baseline histogram (chapter 2), then count them in `d` and set
# `answer_1_1`.

# %% tags=["teaching", "solution"]
from mscreport.report import lesson

d = lesson.analysed_frame(cohort)  # the analysed patients, one row each: yours to change
prediction_1_1 = ...  # your prediction, before you count
### BEGIN SOLUTION
answer_1_1 = int((d["hba1c_baseline"] < 7.0).sum())
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_1_1, "1.1")
### BEGIN HIDDEN TESTS
from mscreport.core.groups import below_inclusion

lesson.check_close(answer_1_1, int(below_inclusion(cohort.frame["hba1c_baseline"], 7.0).sum()), "1.1")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching"]
# **1.2.** What would happen to those patients in the report, and to the number of rows read?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 1.2.** They move from "analysed" to "excluded", with the reason "baseline HbA1c
# below the inclusion threshold"; the rows read stay the same, and rows read = rows analysed
# + rows excluded still holds. The moderate stratum shrinks; nothing about the patients
# changed, only the rule.

# %% [markdown] tags=["teaching"]
# **1.3.** Why does Table 1 show dose as median [IQR] rather than mean (SD)?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 1.3.** Doses come in a few round values spread over more than an order of
# magnitude; the mean is pulled by the few largest doses and the SD does not describe such a
# skewed, lumpy distribution. The median and quartiles do.

# %% [markdown] tags=["teaching"]
# **1.4.** In a copy of `d`, delete one patient's follow-up HbA1c
# (`d2 = d.copy(); d2.loc[d2.index[0], "hba1c_followup"] = float("nan")`). Can that patient
# still enter a paired analysis? Is the cohort file then invalid?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 1.4.** No: a paired analysis needs both values, so the patient is excluded with the
# reason "no follow-up HbA1c" and listed in the flow. The file stays valid: a missing
# follow-up is an exclusion, not an error.
