"""What a chapter shows under its title and question: its answer (one or two sentences with
their numbers, from the same analysis the chapter runs further down) and the parameters that
apply to the cohort file, folded.

An answer is plain text with Markdown's *emphasis* only (``framing.inline_html`` makes it
HTML) and its basis key (``analysis.basis``) for a reconstruction's mark; ``None`` when the
cohort gives no answer to the chapter's question (the chapter says why further down).
Changes are follow-up minus baseline in NGSP % points (a fall is negative).
"""

from __future__ import annotations

import re

from mscreport.analysis import teaching_numbers, trust
from mscreport.analysis.dose import adjusted_dose_block, analyse_dose, hidden_dose
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.analysis.published import compare_published, published_for, reproduction_summary, say_reproduction
from mscreport.core.disclosure import hidden_groups
from mscreport.core.groups import POOLED
from mscreport.display.fmt import fmt_ci, fmt_hba1c, fmt_int, fmt_num, fmt_p, too_small
from mscreport.inputs.params import PARAMETERS

# parameters that apply only to some cohort files (every other parameter applies to all)
LONG_FILE = ("baseline_window_months", "followup_at_months", "followup_window_months")
ADAM = ("paramcd", "arm_variable", "adsl_path")
OMOP = ("omop_schema", "omop_concepts", "omop_cohort_ids", "omop_unit")
ARMS = ("reference_arm", "mcid", "visits", "visit_window")
DOSE = ("dose_cutoff",)
ALWAYS_SHOWN_ELSEWHERE = ("report_title", "study_description")  # the title is shown above, the description on the index


def applicable_parameters(cohort) -> list[str]:
    """The names of the parameters that apply to ``cohort``'s file, in ``PARAMETERS`` order:
    long-file windows only for a long file (or an ADaM/OMOP source, which is read as one),
    ADaM and OMOP settings only for those sources, arm settings only with an ``arm`` column
    (``visits``/``visit_window`` only for a controlled long file), the dose cut-off only with
    dose data."""
    columns = set(cohort.columns_present)
    layout = str(getattr(cohort, "data_format", "") or "")
    long_file = getattr(cohort, "longitudinal", None) is not None or bool(layout)
    arms = "arm" in columns
    skip = set(ALWAYS_SHOWN_ELSEWHERE)
    if not long_file:
        skip |= set(LONG_FILE)
    if layout != "adam":
        skip |= set(ADAM)
    if not layout.startswith("omop"):
        skip |= set(OMOP)
    if not arms:
        skip |= set(ARMS)
    elif not long_file:
        skip |= {"visits", "visit_window"}
    if "dose_cells" not in columns:
        skip |= set(DOSE)
    return [p.name for p in PARAMETERS if p.name not in skip]


# ------------------------------------------------------------------ answers, one per chapter
def _paired_phrase(r, label: str, alpha: float) -> str | None:
    """``label``: change (CI, p), or None when the group is too small to show."""
    if r is None or too_small(r.n):
        return None
    return (f"{label} (n = {fmt_int(r.n)}) {fmt_num(r.mean_change)} % points "
            f"({1 - alpha:.0%} CI {fmt_ci(r.ci_low, r.ci_high)}, {fmt_p(r.p)})")


def answer_cohort(cohort) -> tuple[str, str] | None:
    """Chapter 1: how many rows are analysed, and the mean baseline."""

    overall = analyse_overall(cohort)
    excluded = (f"{fmt_int(len(cohort.excluded))} excluded, each with its reason below" if cohort.excluded
                else "none excluded")
    baseline = (f"their mean baseline HbA1c is {fmt_hba1c(overall.baseline_mean)}" if not too_small(overall.n)
                else "too few to show their mean baseline HbA1c (fewer than 3 patients)")
    return (f"{fmt_int(cohort.rows_analysed)} of {fmt_int(cohort.rows_read)} rows of the cohort file are analysed "
            f"({excluded}); {baseline}.", "data")


def answer_severity(cohort) -> tuple[str, str] | None:
    """Chapter 2: the stratum sizes at the build's cut-offs."""

    strata = analyse_strata(cohort)
    parts = [f"{fmt_int(r.n)} {name}" for name, r in strata.items() if r is not None and not too_small(r.n)]
    if not parts:
        return None
    return (f"Patients per stratum: {', '.join(parts)} (severe: baseline above {fmt_num(cohort.params['severe_above'], 1)} %). "
            "How much the stratum results move with the cut-off is shown below.", "strata_counts")


def answer_change(cohort) -> tuple[str, str] | None:
    """Chapter 3: the overall mean change with its CI and p, and each stratum's."""

    alpha = cohort.params["alpha"]
    overall = _paired_phrase(analyse_overall(cohort), "all patients" + (f" ({POOLED})" if "arm" in cohort.columns_present else ""), alpha)
    if overall is None:
        return None
    hidden = hidden_groups(cohort.frame)  # a stratum the tables hide (too few, or it would reveal one) is not named here either
    strata = [p for p in (_paired_phrase(r, name, alpha) for name, r in analyse_strata(cohort).items() if name not in hidden) if p]
    text = f"Mean change in HbA1c (follow-up − baseline): {overall}."
    if strata:
        text += " By stratum: " + "; ".join(strata) + "."
    return text + " A change within one group is not a treatment effect: chapter 5 says why.", "paired"


def answer_dose(cohort) -> tuple[str, str] | None:
    """Chapter 4: the high-minus-low difference, unadjusted and at equal baseline."""

    dose = analyse_dose(cohort)
    if not dose.available or dose.welch is None or dose.welch.diff is None or hidden_dose(dose, cohort.rows_analysed):
        return None
    alpha = cohort.params["alpha"]
    w = dose.welch
    text = (f"High dose minus low dose, difference in mean change: {fmt_num(w.diff)} % points "
            f"({1 - alpha:.0%} CI {fmt_ci(w.ci_low, w.ci_high)}, {fmt_p(w.p)})")
    adj = adjusted_dose_block(cohort)
    if adj is not None and adj.get("estimate") is not None:
        text += (f"; at equal baseline HbA1c {fmt_num(adj['estimate'])} % points "
                 f"(CI {fmt_ci(adj['ci_low'], adj['ci_high'])})")
        bounds = (w.ci_low, w.ci_high, adj["ci_low"], adj["ci_high"])  # None where an interval cannot be computed
        both = None not in bounds and w.ci_low <= 0 <= w.ci_high and adj["ci_low"] <= 0 <= adj["ci_high"]
        text += (". Both intervals include 0: the data are compatible with no dose difference, before and after "
                 "adjustment." if both else ".")
    else:
        text += "."
    return text, "dose"


def answer_trust(cohort) -> tuple[str, str] | None:
    """Chapter 5: how much of the severe stratum's fall regression to the mean alone gives, at
    this cohort's own baseline-follow-up correlation."""

    block = trust.rtm_block(cohort)
    own = [r for r in block["rows"] if r.get("source") != "assumed" and not trust.rtm_hidden(r)]
    if not own:
        return None
    r = own[0]
    return (f"With no treatment at all, regression to the mean would lower the severe stratum by at least "
            f"{fmt_num(r['expected_fall_model'])} % points of its observed fall of {fmt_num(r['observed_fall'])} "
            f"(at this cohort's correlation {fmt_num(r['rho'])}). A single-arm before/after study cannot separate "
            "this from a treatment effect; a controlled trial can (its size is computed below).", "rtm")


def answer_published(cohort) -> tuple[str, str] | None:
    """Chapter 6: how many published figures the cohort reproduces at their own rounding (the
    first sentence of ``say_reproduction``, and for a reconstruction why it holds)."""

    published = published_for(cohort)
    if published is None:
        return None
    comparison = compare_published(cohort, analyse_overall(cohort), analyse_strata(cohort), analyse_dose(cohort), published)
    if not comparison:
        return None
    text = say_reproduction(reproduction_summary(comparison, published), cohort.reconstruction, markdown=False)
    sentences = re.split(r"(?<=[.)])\s+(?=[A-Z])", text)
    short = [sentences[0]] + [s for s in sentences[1:] if "by construction" in s]  # the count, and why it holds
    return " ".join(short), "published_comparison"


def answer_trajectory(cohort) -> tuple[str, str] | None:
    """Chapter 7: the slope of HbA1c per year over the measurements after time 0 (the mixed
    model of ``teaching_numbers.post_baseline_block``: random intercept and slope, REML; %
    points per year, a rise positive) and what its interval says: kept falling, drifted back up,
    or no detectable drift. None for a one-row-per-patient file (the chapter says where the
    course over time is) or a model that cannot be fitted or rests on too few patients."""

    block = teaching_numbers.post_baseline_block(cohort)
    if block is None or too_small(block["n_patients"]):
        return None
    study = getattr(cohort, "study", None)
    after = study.after_time_zero(study.controlled) if study is not None else "after the infusion"
    s, alpha = block["slope_per_year"], cohort.params["alpha"]
    if s["ci_low"] > 0:
        verdict = "HbA1c drifted back up"
    elif s["ci_high"] < 0:
        verdict = "HbA1c kept falling"
    else:
        verdict = "no drift is detectable: the data are compatible with HbA1c staying where it was, and with any drift inside the interval"
    pooled = f", {POOLED}; the arms are compared by the mixed model below" if "arm" in cohort.columns_present else ""
    return (f"Over the measurements {after} ({fmt_int(block['n_patients'])} patients{pooled}), HbA1c changed by "
            f"{fmt_num(s['estimate'])} % points per year ({1 - alpha:.0%} CI {fmt_ci(s['ci_low'], s['ci_high'])}): "
            f"{verdict}. The course by time bin is drawn below.", "longitudinal")


ANSWERS = {"cohort": answer_cohort, "severity": answer_severity, "change": answer_change, "dose": answer_dose,
           "trust": answer_trust, "published": answer_published, "trajectory": answer_trajectory}


def chapter_answer(name: str, cohort) -> tuple[str, str] | None:
    """The answer of chapter ``name`` (its ``Chapter`` name) as (text, basis key), or None when
    the chapter has no short answer."""
    fn = ANSWERS.get(name)
    return None if fn is None else fn(cohort)
