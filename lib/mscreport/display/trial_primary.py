"""The MMRM of a controlled study's long file stated as the trial's primary analysis: one
sentence with the between-arm difference at the last visit (its CI and p), read from the
``longitudinal.mmrm`` block of results.json. Shown in the change and trajectory chapters
(``analysis.arm_mmrm``) and leading the index's key findings (``key_findings_primary``).

Conventions: differences in HbA1c % points, arm - reference (negative = lower HbA1c in the arm),
intervals at 1 - alpha; a visit where an arm has fewer than 3 patients, or an arm the disclosure
rule hides, is suppressed.
"""

from __future__ import annotations

import re

from mscreport.core.disclosure import suppressed, too_few
from mscreport.display import fmt
from mscreport.display.fmt import md_name

BOUNDARY_MMRM = ("**Boundary fit.** The MMRM's estimated covariance lies on the edge of what is possible (a "
                 "correlation between two visits of about \u00b11, or a visit whose variance is about 0): the "
                 "fit is singular, and its standard errors, intervals and p-values are unreliable. Read the "
                 "ANCOVA at one follow-up per patient (the change chapter) beside it.")
NOT_CONVERGED_MMRM = ("**The MMRM's optimiser did not report convergence**: its numbers may not be the REML "
                      "estimates; read them with caution.")


def _visit_shown(visit: dict, arms: list[str], hidden) -> bool:
    """A visit's between-arm numbers may be shown: at least 3 patients of each arm there, and
    no arm hidden by the disclosure rule."""
    return not any(too_few(visit["n"].get(a, 0)) or a in hidden for a in arms)


def last_visit_differences(mmrm: dict) -> list[dict]:
    """Per non-reference arm, its comparison at the last visit of the MMRM (visits in time order)."""
    last = mmrm["visits"][-1]["visit"]
    return [c for c in mmrm["comparisons"] if c["visit"] == last]


def say_primary(mmrm: dict | None, alpha: float, hidden=frozenset(), where: str = "") -> str:
    """The MMRM as the trial's primary analysis: the difference at the last visit per arm, with
    its CI and p; '' without an MMRM. ``where``: a pointer to the chapter that shows it."""
    if not mmrm or not mmrm.get("visits"):
        return ""
    last = mmrm["visits"][-1]
    label = md_name(str(last["label"]))  # an ADaM AVISIT is text from the data
    parts = []
    for c in last_visit_differences(mmrm):
        if not _visit_shown(last, [c["arm"], c["reference"]], hidden):
            parts.append(f"**{md_name(c['arm'])}** vs **{md_name(c['reference'])}**: {suppressed(min(last['n'].values()))}")
            continue
        parts.append(f"**{md_name(c['arm'])}** vs **{md_name(c['reference'])}** "
                     f"{fmt.fmt_change(c['difference'])}, {1 - alpha:.0%} CI {fmt.fmt_ci(c['ci_low'], c['ci_high'])} "
                     f"% points, {fmt.fmt_p(c['p'])}")
    text = (f"**Primary analysis: the mixed model for repeated measures (MMRM){where}.** It uses every visit of "
            f"every patient with a baseline (in every arm), missed visits included as missing (no value carried "
            f"forward), adjusted for baseline. Difference in HbA1c at the last visit ({label}): "
            + "; ".join(parts) + ".")
    if mmrm.get("boundary"):
        text += " " + BOUNDARY_MMRM
    if not mmrm.get("converged", True):
        text += " " + NOT_CONVERGED_MMRM
    return text


def key_findings_primary(results: dict, hidden=frozenset()) -> str:
    """The index's paragraph (HTML) naming the MMRM as the primary analysis of a controlled long
    file; '' without an MMRM."""
    mmrm = (results.get("longitudinal") or {}).get("mmrm")
    alpha = (results.get("params") or {}).get("alpha", 0.05)
    text = say_primary(mmrm, alpha, hidden, where=" (the course over time chapter)")
    if not text:
        return ""
    out = text.replace("<", "&lt;")  # names are character references already (fmt.md_name)
    return "<p>" + re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out) + "</p>"
