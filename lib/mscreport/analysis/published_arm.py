"""Which patients the published figures describe (parameter ``published_arm``): every analysed
patient (``all``, the default), or one arm of a controlled cohort, such as the MSC arm of the
class cohort (the paper's reconstruction beside a simulated control arm, which no paper
describes). Chapter 6 compares the figures with that arm alone, with its own analyses.
"""

from __future__ import annotations

from mscreport.analysis.dose import analyse_dose
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core.groups import ALL_ARMS, arm_cohort, choose_published_arm, list_arms
from mscreport.inputs.synthetic import is_synthetic


def published_arm(cohort) -> str | None:
    """The arm the published figures describe (as named in the file), or None for every
    analysed patient (``published_arm`` = all). InputError for a name that is no arm."""
    return choose_published_arm(list_arms(cohort.frame), cohort.params.get("published_arm", ALL_ARMS), cohort.path)


def published_cohort(cohort):
    """The cohort the published figures are compared with: ``cohort`` itself for ``all``, else
    the one arm's analysed patients (``groups.arm_cohort``: same file and parameters)."""
    arm = published_arm(cohort)
    return cohort if arm is None else arm_cohort(cohort, arm)


def analyses_of(cohort) -> tuple:
    """(overall, strata, dose): the analyses ``compare_published`` reads, of this cohort."""
    return analyse_overall(cohort), analyse_strata(cohort), analyse_dose(cohort)


def compared_on(cohort) -> dict | None:
    """``reconstruction.summary.compared_on`` of results.json: ``arm`` (the arm compared),
    ``n`` (its analysed patients), ``other_arms`` (the arms left out of the comparison) and
    ``synthetic`` (every row of that arm marked synthetic, column ``synthetic``:
    ``synthetic.is_synthetic`` of its rows; the chapters never see the pseudonyms that tell a
    reconstruction, so a synthetic arm compared with published figures is taken to be one, as
    the class cohort's MSC arm is); None when every analysed patient is compared."""
    arm = published_arm(cohort)
    if arm is None:
        return None
    rows = arm_cohort(cohort, arm).frame
    return {"arm": arm, "n": len(rows), "other_arms": [a for a in list_arms(cohort.frame) if a != arm],
            "synthetic": bool(is_synthetic("", rows))}
