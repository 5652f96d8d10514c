"""Readable labels: the one map from the codes the data and the library use (column names,
category values, result keys) to the words a reader sees ("bone_marrow" -> "bone marrow").

Tables (``display.html_table``) and figures pass their text through ``readable``; code,
parameter names and ``results.json`` keep the codes.
"""

from __future__ import annotations

import re

LABELS = {
    # msc_source values (dictionary.SOURCE_ALIASES normalises input to these codes)
    "umbilical_cord": "umbilical cord",
    "bone_marrow": "bone marrow",
    "adipose": "adipose tissue",
    # cohort columns
    "patient_id": "patient",
    "hba1c_baseline": "baseline HbA1c",
    "hba1c_followup": "follow-up HbA1c",
    "dose_cells": "dose (cells)",
    "msc_source": "MSC source",
    "followup_months": "follow-up (months)",
    "age_years": "age (years)",
    "diabetes_duration_years": "diabetes duration (years)",
    "serious_adverse_event": "serious adverse event",
    "dose_group": "dose group",
    # result keys shown as table headers or quantities
    "n_moderate": "n moderate",
    "n_severe": "n severe",
    "mean_change_moderate": "mean change, moderate",
    "mean_change_severe": "mean change, severe",
    "p_moderate": "p, moderate",
    "p_severe": "p, severe",
    "moderate_mean": "moderate mean",
    "severe_mean": "severe mean",
}
_CODE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, LABELS), key=len, reverse=True)) + r")\b")


def readable(text) -> str:
    """``text`` with every known code replaced by its label; other text unchanged.

    >>> readable("msc_source: bone_marrow")
    'MSC source: bone marrow'
    """
    return _CODE.sub(lambda m: LABELS[m.group(1)], str(text))
