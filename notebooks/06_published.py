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
# # Published vs reproduced: does this cohort give the published figures?
#
# **Question:** does the analysed cohort reproduce the published figures it is compared
# with, each at its own rounding?

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
from mscreport.analysis.basis import show_basis
from mscreport.analysis.dose import analyse_dose
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.analysis.published import compare_published, published_for, show_assumptions, show_comparison, show_implied
from mscreport.analysis.published_arm import compared_on
from mscreport.report import exercises
from mscreport.report.blocks import comparison_block, reconstruction_block
from mscreport.report.chapter import Chapter

ch = Chapter.from_parameters("published", globals())
cohort = ch.cohort
published = published_for(cohort)  # parameter published_path; None: nothing to compare with
comparison = compare_published(cohort, analyse_overall(cohort), analyse_strata(cohort), analyse_dose(cohort), published)
reconstruction = reconstruction_block(comparison, cohort.params["alpha"], published, compared_on(cohort))  # parameter published_arm
ch.record("published_comparison", comparison_block(comparison))
ch.record("reconstruction", reconstruction)

# %% [markdown]
# The figures compared with come from a published-figures file (parameter `published_path`):
# by default the paper's `data/published_results.yaml` for the bundled **reconstruction**
# (synthetic patients built so that every figure Matsuoka et al. publish comes out at the
# published rounding; `data/README.md` tells how), and none for a user's own cohort, which can
# give its own file. For a real cohort, disagreement is a finding, not an error.

# %% [markdown]
# ## Figure by figure
#
# "Published" is the figure as printed; "reproduced" is this cohort's value at the same
# rounding (p-values printed as bounds, such as "p < 0.0001", are compared as bounds; "not
# significant" as p ≥ `alpha`).

# %%
show_comparison(ch, comparison, reconstruction)

# %% [markdown]
# ## What the printed figures imply
#
# Some quantities the paper does not print follow from those it does. The severe stratum's
# size is one: the overall follow-up mean is the patient-weighted mean of the two strata, and
# several sizes give the printed value at its rounding. For each such size, the printed
# severe p fixes the SD of change (through the t quantile), and with it the interval of the
# severe mean change. The severe results of any reconstruction are therefore known only
# across this range.

# %%
show_implied(ch, reconstruction)

# %% [markdown]
# ## Pinned, derived or assumed
#
# For a reconstruction, which numbers a published figure pins down (P), which are derived
# from pinned and assumed inputs (D), and which are assumptions of the reconstruction (A).
# Every table and generated sentence of every chapter and of the index carries these marks:
# only the pinned numbers say something about the paper's patients. A real cohort's numbers
# are its own and carry no mark.

# %%
show_basis(ch)

# %% [markdown]
# ## What had to be assumed
#
# The paper publishes no standard deviations, stratum sizes, dose or source distributions.
# The reconstruction had to assume them; each assumption and its reasoning is listed here
# (from the published-figures file). Anything in this report that depends only on an
# assumption, such as the exact dose-response scatter, is illustrative, not evidence.

# %%
show_assumptions(ch, published)

# %% [markdown] tags=["teaching"]
# **The figure-by-figure table in plain pandas and scipy**, on an open table `d` of the patients
# compared (parameter `published_arm`: in the class build the MSC arm alone, never the
# simulated controls). Round each as the paper prints it (`round(x, 2)`) and compare with the
# table; then change `d` (drop a patient, edit a value), run the cell again and see which
# figure stops agreeing. `stats.ttest_rel(follow-up, baseline)` is R's `t.test(..., paired = TRUE)`.

# %% tags=["teaching", "plain"]
from scipy import stats as sps

from mscreport.analysis.published_arm import published_cohort
from mscreport.report import lesson

compared = published_cohort(cohort)  # the patients the published figures describe
d = lesson.open_table(compared, ["hba1c_baseline", "hba1c_followup", "change", "stratum"])  # the open patient table: yours to change
severe, moderate = d[d["stratum"] == "severe"], d[d["stratum"] == "moderate"]
plain_severe_t = lesson.try_call(sps.ttest_rel, severe["hba1c_followup"], severe["hba1c_baseline"])
lesson.print_plain(compared, groups=("overall", "moderate", "severe"), n=len(d),
                   baseline_mean=d["hba1c_baseline"].mean(), followup_mean=d["hba1c_followup"].mean(),
                   moderate_reduction=-moderate["change"].mean(), severe_reduction=-severe["change"].mean(),
                   severe_t=plain_severe_t)

# %% [markdown] tags=["teaching"]
# ## Exercises
#
# Each exercise is done here, in the notebook. For a **predict, then run** exercise, write
# your prediction in the cell first, then work out the answer and run the cell; the cell
# after it checks your answer against the analysis (it fails until you have answered).
# Answers in words are marked by hand. The paper's printed figures are in `fig`, the
# reconstruction's assumed stratum sizes in `sizes`.
#
# **6.1 (predict, then run).** Check the stratum-size assumption by hand: the overall
# follow-up mean is the baseline mean minus the patient-weighted mean of the two strata's
# reductions. Predict whether it prints as the paper's follow-up mean, then compute it and set
# `answer_6_1`.

# %% tags=["teaching", "solution"]
from mscreport.report import lesson

fig = exercises.printed_figures(published)  # the paper's printed figures, by id
sizes = exercises.assumed_sizes(published)  # the reconstruction's assumed stratum sizes
prediction_6_1 = ...  # "yes" or "no", before you compute
### BEGIN SOLUTION
answer_6_1 = fig["baseline_mean"] - (sizes["moderate"] * fig["moderate_reduction"]
                                     + sizes["severe"] * fig["severe_reduction"]) / fig["n"]
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_6_1, "6.1")
### BEGIN HIDDEN TESTS
lesson.check_close(answer_6_1, exercises.implied_by_print(published)["followup_mean"], "6.1")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching", "solution"]
# **Answer 6.1.** It does, and so do the neighbouring severe sizes listed in "What the
# printed figures imply" above: the paper's rounding does not pin the stratum size.

# %% [markdown] tags=["teaching"]
# **6.2 (predict, then run).** The severe stratum's printed p, with the assumed severe size
# and its printed mean reduction, fixes the SD of change: SD = reduction × √n / t, with t the
# two-sided t quantile for p at n − 1 degrees of freedom (`sps.t.ppf(1 - p / 2, n - 1)`).
# Predict whether it is above or below 1 % point, then compute it and set `answer_6_2`.

# %% tags=["teaching", "solution"]
from scipy import stats as sps

prediction_6_2 = ...  # "above" or "below", before you compute
### BEGIN SOLUTION
answer_6_2 = fig["severe_reduction"] * sizes["severe"] ** 0.5 / sps.t.ppf(1 - fig["severe_p"] / 2, sizes["severe"] - 1)
### END SOLUTION

# %% tags=["teaching", "autograde"]
lesson.check_answered(answer_6_2, "6.2")
### BEGIN HIDDEN TESTS
lesson.check_close(answer_6_2, exercises.implied_by_print(published)["severe_sd"], "6.2")
### END HIDDEN TESTS

# %% [markdown] tags=["teaching", "solution"]
# **Answer 6.2.** Large: the severe patients' responses varied widely. The SD is derived from
# printed figures and an assumed size; across the sizes that fit the paper it spans the range
# in the table above, so any severe result of the reconstruction is known only that well.

# %% [markdown] tags=["teaching"]
# **6.3.** Write a published-figures file for a study you know: which of its printed figures
# can this report reproduce, and which check fits a figure printed as "p < 0.001"?

# %% [markdown] tags=["teaching", "solution"]
# **Answer 6.3.** Each figure names one of the quantities listed in `data/README.md`
# ("Published-figures files"), such as the number analysed or the mean follow-up; a figure
# printed as a bound is compared with `check: below`, one printed as a rounded value with
# `round(d)` or `sig(k)`. Load it in the notebook with
# `from mscreport.analysis.published import load_published; load_published("FILE.yaml")`.
