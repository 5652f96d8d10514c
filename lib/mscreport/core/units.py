"""HbA1c units: NGSP % and IFCC mmol/mol (IFCC-NGSP master equation, Hoelzel et al.,
Clin Chem 2004;50:166-74).

Levels convert with slope and intercept; differences and SDs convert by the slope only.
"""

from __future__ import annotations

NGSP_PER_IFCC = 0.0915  # % per mmol/mol
NGSP_INTERCEPT = 2.15  # %
# The exact inverse of the master equation: IFCC = (NGSP - 2.15) / 0.0915 (10.929 x NGSP - 23.497;
# the rounded "10.93 x NGSP - 23.5" differs by up to 0.03 mmol/mol and does not invert % = 0.0915 x IFCC + 2.15)
IFCC_PER_NGSP = 1 / NGSP_PER_IFCC  # mmol/mol per % point (differences and SDs convert by this slope)
IFCC_INTERCEPT = -NGSP_INTERCEPT / NGSP_PER_IFCC  # mmol/mol

UNITS = ("percent", "mmol_mol")
UNIT_LABELS = {"percent": "%", "mmol_mol": "mmol/mol"}


def ifcc_to_ngsp(mmol_mol):
    """HbA1c level in mmol/mol (IFCC) -> % (NGSP): % = 0.0915 x IFCC + 2.15."""
    return NGSP_PER_IFCC * mmol_mol + NGSP_INTERCEPT


def ngsp_to_ifcc(percent):
    """HbA1c level in % (NGSP) -> mmol/mol (IFCC): the exact inverse, IFCC = (NGSP - 2.15) / 0.0915
    (7 % -> 53.0 mmol/mol)."""
    return (percent - NGSP_INTERCEPT) / NGSP_PER_IFCC


def ngsp_difference_to_ifcc(percent_points):
    """A difference or SD in % points -> mmol/mol (slope only: / 0.0915)."""
    return percent_points / NGSP_PER_IFCC


def to_ngsp(values, unit: str):
    """Levels in ``unit`` -> NGSP %."""
    if unit == "percent":
        return values
    if unit == "mmol_mol":
        return ifcc_to_ngsp(values)
    raise ValueError(f"unknown HbA1c unit {unit!r}; use one of {UNITS}")
