"""The groups a report splits patients into, and their rules, once: severity strata, dose
groups, and the arms of a controlled study with its reference arm.

HbA1c in NGSP %; below = baseline < moderate_min (analysed: only ``inclusion_min`` excludes
for a low baseline), moderate = moderate_min <= baseline <= severe_above, severe = baseline >
severe_above (8.0 % exactly is moderate, the paper's "6.2-8 %"); high dose = dose_cells >=
dose_cutoff (cells). Every module that needs a group asks here; nothing else restates a rule.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from mscreport.core.errors import InputError, Problem

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# numpy and pandas are imported by the rules that use them: disclosure (and so the display
# layer the build process uses for the index) imports this module for its names only.

# the groups a page shows, as named in a cohort frame's ``stratum`` and ``dose_group`` columns
STRATA = ("below", "moderate", "severe")
ALWAYS_SHOWN = ("moderate", "severe")  # the paper's two strata: reported even when empty; "below" only when present
DOSE_GROUPS = ("high", "low")
# arms: the reference arm chosen by name (parameter reference_arm = auto), pooled results labelled
AUTO = "auto"
REFERENCE_NAMES = ("control", "placebo", "usual_care", "standard_care", "sham", "sham_control")
POOLED = "all arms pooled"


# ---------------------------------------------------------------- severity strata and dose groups


def is_severe(baseline, severe_above: float) -> np.ndarray:
    """The severe rule, once: True (severe) when baseline HbA1c > severe_above (NGSP %)."""
    import numpy as np

    return np.asarray(baseline, dtype=float) > severe_above


def below_inclusion(baseline, inclusion_min: float | None) -> np.ndarray:
    """The inclusion rule, once: True where a baseline HbA1c (NGSP %) is below ``inclusion_min``
    (excluded, "below the inclusion threshold"); all False when ``inclusion_min`` is None.
    A missing baseline is not below."""
    import numpy as np

    b = np.asarray(baseline, dtype=float)
    if inclusion_min is None:
        return np.zeros(len(b), dtype=bool)
    return b < float(inclusion_min)


def assign_strata(baseline, severe_above: float, moderate_min: float = float("-inf")) -> pd.Categorical:
    """Each baseline's stratum: 'below' (< moderate_min), 'moderate', or 'severe' (``is_severe``),
    as a categorical of ``STRATA`` ('below' a category only when someone is in it) (one byte per patient: a text per patient is 15 bytes, and
    grouping by it hashes each)."""
    import numpy as np
    import pandas as pd

    b = np.asarray(baseline, dtype=float)
    codes = np.where(is_severe(b, severe_above), 2, np.where(b < moderate_min, 0, 1))
    if not (codes == 0).any():  # no one below: the categories are the paper's two, as before
        return pd.Categorical.from_codes((codes - 1).astype("int8"), categories=list(STRATA[1:]))
    return pd.Categorical.from_codes(codes.astype("int8"), categories=list(STRATA))


def shown_strata(stratum) -> list[str]:
    """The strata a results block or page lists, in ``STRATA`` order: 'moderate' and 'severe'
    always (the paper's two), 'below' only when some patient is in it (empty levels dropped)."""
    import numpy as np

    present = set(np.asarray(stratum, dtype=object).tolist())
    return [s for s in STRATA if s in ALWAYS_SHOWN or s in present]


def present_strata(stratum) -> list[str]:
    """The strata with at least one patient, in ``STRATA`` order (a model's factor levels)."""
    import numpy as np

    present = set(np.asarray(stratum, dtype=object).tolist())
    return [s for s in STRATA if s in present]


def assign_dose_groups(dose_cells, cutoff: float) -> pd.Categorical:
    """The dose-group rule, once: 'high' when dose_cells >= cutoff (cells), 'low' below it,
    missing where the dose is missing; a categorical of ``DOSE_GROUPS`` (one byte per patient)."""
    import numpy as np
    import pandas as pd

    d = np.asarray(dose_cells, dtype=float)
    codes = np.where(np.isnan(d), -1, np.where(d >= cutoff, DOSE_GROUPS.index("high"), DOSE_GROUPS.index("low")))
    return pd.Categorical.from_codes(codes.astype("int8"), categories=list(DOSE_GROUPS))


# ---------------------------------------------------------------- arms and the reference
def list_arms(frame: pd.DataFrame) -> list[str]:
    """Distinct non-empty arm names of a frame, sorted; [] without an ``arm`` column."""
    if "arm" not in frame.columns:
        return []
    return sorted({str(a) for a in frame["arm"].dropna().unique() if str(a).strip()})  # each value once


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def choose_reference(arms: list[str], reference_arm: str = AUTO, where: str = "-") -> str | None:
    """The comparator arm; None with fewer than two arms (no comparison).

    ``auto``: the one arm whose name is, case-insensitively, one of REFERENCE_NAMES (spaces or
    hyphens count as underscores). Otherwise the arm of that name (exact, else the one
    case-insensitive match). Raises InputError (located at ``where``:-:arm) listing the arms
    when none or several fit."""
    if len(arms) < 2:
        return None
    listed = ", ".join(repr(a) for a in arms)
    if reference_arm == AUTO:
        matches = [a for a in arms if _key(a) in REFERENCE_NAMES]
        if len(matches) == 1:
            return matches[0]
        why = ("none of the arms is named " + ", ".join(REFERENCE_NAMES) if not matches
               else "several arms could be the comparator (" + ", ".join(repr(a) for a in matches) + ")")
        raise InputError([Problem(where, None, "arm",
                                  f"reference_arm=auto cannot choose the comparator arm: {why}; "
                                  f"give it with -p reference_arm=NAME (the arms are: {listed})")])
    if reference_arm in arms:
        return reference_arm
    close = [a for a in arms if _key(a) == _key(reference_arm)]
    if len(close) == 1:
        return close[0]
    raise InputError([Problem(where, None, "arm",
                              f"reference_arm={reference_arm!r} is not an arm of this file "
                              f"(the arms are: {listed}); give -p reference_arm=NAME or auto")])


def ordered_arms(cohort) -> tuple[str | None, list[str]]:
    """(reference or None, the arms with the reference first and the others sorted)."""
    names = list_arms(cohort.frame)
    reference = choose_reference(names, cohort.params.get("reference_arm", AUTO), cohort.path)
    return reference, ([reference] if reference else []) + [a for a in names if a != reference]


def arm_cohort(cohort, arm: str):
    """The cohort restricted to one arm's analysed patients (same file, parameters and notes)."""
    return replace(cohort, frame=cohort.frame[cohort.frame["arm"] == arm])


def check_reference_arm(frame: pd.DataFrame, params: dict, where: str) -> None:
    """Raise InputError (exit 2 before any chapter runs) when the reference arm cannot be chosen."""
    choose_reference(list_arms(frame), params.get("reference_arm", AUTO), where)


ALL_ARMS = "all"  # parameter published_arm: the published figures describe every analysed patient


def choose_published_arm(arms: list[str], published_arm: str = ALL_ARMS, where: str = "-") -> str | None:
    """The arm whose patients the published figures describe (parameter ``published_arm``), or
    None for ``all`` (every analysed patient, the arms pooled when there are several). A name
    matches as ``choose_reference``'s does (exact, else the one case-insensitive match).
    Raises InputError (located at ``where``:-:published_arm) listing the arms when it names
    none of them, or when the file has no arm column."""
    value = (published_arm or ALL_ARMS).strip()
    if value.lower() == ALL_ARMS:
        return None
    if value in arms:
        return value
    close = [a for a in arms if _key(a) == _key(value)]
    if len(close) == 1:
        return close[0]
    there = (f"the arms are: {', '.join(repr(a) for a in arms)}" if arms
             else "this file has no arm column, so there is no arm to choose")
    raise InputError([Problem(where, None, "published_arm",
                              f"published_arm={value!r} is not an arm of this file ({there}); give "
                              f"-p published_arm=NAME or {ALL_ARMS}")])


def check_published_arm(frame: pd.DataFrame, params: dict, where: str) -> None:
    """Raise InputError (exit 2 before any chapter runs) when ``published_arm`` names no arm."""
    choose_published_arm(list_arms(frame), params.get("published_arm", ALL_ARMS), where)


def is_controlled(block: dict | None) -> bool:
    """Whether an ``arms`` block (results.json) holds a between-arm comparison."""
    return bool(block and block.get("reference"))


def pooled_label(cohort, label: str = "all patients") -> str:
    """A pooled group's label: ``label (all arms pooled)`` when the cohort has two or more arms."""
    return f"{label} ({POOLED})" if len(list_arms(cohort.frame)) >= 2 else label
