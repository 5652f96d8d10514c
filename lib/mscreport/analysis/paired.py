"""The paired analyses every chapter starts from: all analysed patients, and each severity
stratum (paired t-test with its rank-based companions, ``stats.paired_test``; change =
follow-up - baseline, NGSP %). Each is computed once per cohort and build and shared by the
chapters that use it (``Cohort.once(shared=True)``)."""

from __future__ import annotations

from mscreport.core.disclosure import solve_arms
from mscreport.core.groups import shown_strata
from mscreport.methods.stats import paired_test
from mscreport.methods.tidy import to_frame


def analyse_overall(cohort):
    """Paired analysis of every analysed patient (computed once per cohort and build: chapters 3, 5 and 6 use it)."""
    f = cohort.frame
    return cohort.once("analyse_overall", lambda: paired_test(f["hba1c_baseline"], f["hba1c_followup"],
                                                               cohort.params["alpha"]), shared=True)


class Strata(dict):
    """{stratum: PairedResult}, with ``hidden_by_arms``: the strata a controlled study's crossed
    split (arm x stratum) hides in pages (``disclosure.solve_arms``; empty without arms)."""

    hidden_by_arms: frozenset = frozenset()

    def to_frame(self, group: str = ""):
        """The strata as one tidy DataFrame (analysis, group, statistic, value): ``group`` the
        stratum's name (after ``group.`` when given); HbA1c in NGSP %, change = follow-up -
        baseline; None as NaN. See ``mscreport.methods.tidy``."""
        return to_frame(self, group)


def analyse_strata(cohort) -> dict:
    """Paired analysis within each severity stratum (a ``Strata`` dict; computed once per cohort and build)."""
    return cohort.once("analyse_strata", lambda: _analyse_strata(cohort), shared=True)


def _analyse_strata(cohort) -> dict:
    f = cohort.frame
    base, follow = f["hba1c_baseline"].to_numpy(), f["hba1c_followup"].to_numpy()
    out = Strata()
    for name in shown_strata(f["stratum"]):  # "below" only when someone is in it
        rows = cohort.stratum_mask(name)  # the two columns tested, not the whole frame, selected
        out[name] = paired_test(base[rows], follow[rows], cohort.params["alpha"])
    out.hidden_by_arms = solve_arms(cohort.frame)["stratum"][0]
    return out
