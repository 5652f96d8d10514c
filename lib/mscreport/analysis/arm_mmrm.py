"""The repeated-measures models of a long file on the pages: the MMRM as a controlled study's
primary analysis, and the mixed models' boundary flags in words. Read from the ``longitudinal``
block of results.json (``mmrm.with_mmrm``), never refitted here:

* the MMRM of a controlled study's long file, stated as the trial's primary analysis: the
  between-arm difference at the last visit with its CI, every visit in a small table, a
  boundary or non-converged fit and the model's notes said in words;
* the ``boundary`` flag of the random-slope mixed model (``mixed_model`` and per arm), in words.

Conventions: differences in HbA1c % points, arm - reference (negative = lower HbA1c in the arm),
intervals at 1 - alpha; a visit where an arm has fewer than 3 patients is suppressed on the page
(the disclosure rule), its numbers stay in results.json.
"""

from __future__ import annotations

import pandas as pd

from mscreport.analysis.mmrm import mmrm_block
from mscreport.core.disclosure import hidden_arms, shown_count, suppressed
from mscreport.display import fmt
from mscreport.display.fmt import md_name
from mscreport.display.trial_primary import _visit_shown, say_primary  # noqa: F401 (say_primary: the pages' sentence)

def visits_frame(mmrm: dict | None, alpha: float = 0.05, hidden=frozenset()) -> pd.DataFrame | None:
    """The MMRM's between-arm difference at every visit: visit, patients per arm there, the
    difference, its CI and p; None without an MMRM."""
    if not mmrm or not mmrm.get("comparisons"):
        return None
    level = f"{1 - alpha:.0%} CI (% points)"
    visits = {v["visit"]: v for v in mmrm["visits"]}
    rows = []
    for c in mmrm["comparisons"]:
        v = visits[c["visit"]]
        arms = [c["arm"], c["reference"]]
        row = {"comparison": f"{c['arm']} vs {c['reference']}", "visit": v["label"],
               "n": " vs ".join(shown_count(v["n"].get(a, 0)) for a in arms)}
        if not _visit_shown(v, arms, hidden):
            rows.append({**row, "difference in HbA1c": suppressed(min(v["n"].get(a, 0) for a in arms))})
            continue
        rows.append({**row, "difference in HbA1c": fmt.fmt_change(c["difference"]),
                     level: fmt.fmt_ci(c["ci_low"], c["ci_high"]), "p": fmt.fmt_pvalue(c["p"])})
    return pd.DataFrame(rows).fillna("")


def say_notes(notes) -> str:
    """The MMRM's notes (why it is missing, what it left out) as one paragraph."""
    notes = [n for n in (notes or []) if n and "boundary" not in n and "did not report convergence" not in n]
    return " ".join(f"{n[:1].upper()}{n[1:]}." for n in notes)


def say_mixed_model_boundary(block: dict | None, label: str = "") -> str:
    """A ``mixed_model`` block's ``boundary`` flag (results.json layout) in words; '' when the fit
    is not on the boundary."""
    if not block or not block.get("boundary"):
        return ""
    who = f" ({md_name(label)})" if label else ""
    return (f"**Boundary fit{who}.** The mixed model's estimate lies on the edge of what is possible: a patients' "
            "spread in level or in drift of about 0 beside the measurement noise, or a correlation of a "
            "patient's level and drift of about \u00b11. The model cannot tell the patients' own lines apart "
            "here, so the fit is singular: the slope is still the average drift, but its standard error and "
            "interval rest on a covariance the data do not determine. Read them with caution.")


def show_mmrm(ch, longitudinal: dict | None) -> None:
    """Chapter 7: the MMRM of a controlled study's long file as its primary analysis (sentence,
    table of every visit, notes) and the mixed models' boundary flags in words."""
    if not longitudinal:
        return
    alpha = ch.params["alpha"]
    hidden = hidden_arms(ch.cohort.frame)
    boundary = [say_mixed_model_boundary(longitudinal.get("mixed_model"))]
    boundary += [say_mixed_model_boundary(m, a) for a, m in (longitudinal.get("mixed_model_by_arm") or {}).items()]
    for s in boundary:
        if s:
            ch.say(s)
    mmrm = longitudinal.get("mmrm")
    primary = say_primary(mmrm, alpha, hidden)
    notes = say_notes(longitudinal.get("mmrm_notes"))
    if primary or notes:
        ch.say("## The trial's primary analysis: a mixed model for repeated measures\n\n"
               "HbA1c at each nominal visit after randomisation, adjusted for the patient's baseline, with a mean "
               "per arm and visit and an unstructured covariance of the visits (R: `nlme::gls` with "
               "`corSymm` and `varIdent`). Unlike the before/after chapters it needs no single follow-up value per "
               "patient: a patient who missed visits contributes the visits they had.")
    if primary:
        ch.say(primary)
        ch.table(visits_frame(mmrm, alpha, hidden),
                 "MMRM: between-arm difference in HbA1c at each visit (adjusted for baseline; negative = lower "
                 "HbA1c in the arm)")
    if notes:
        ch.say(notes)


def show_primary(ch) -> None:
    """Chapter 3: for a controlled study's long file, name the MMRM as the primary analysis with
    its last-visit difference (the same fit as chapter 7's, made once per build); nothing
    otherwise."""
    mmrm, _ = mmrm_block(ch.cohort)
    text = say_primary(mmrm, ch.params["alpha"], hidden_arms(ch.cohort.frame), where=" (chapter on the course over time)")
    if text:
        ch.say(text + " The ANCOVA above uses one follow-up value per patient and is its sensitivity analysis.")
