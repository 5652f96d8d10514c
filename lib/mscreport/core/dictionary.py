"""The data dictionary: the one source of truth for the cohort file format.

``data/README.md`` renders it (``render_markdown``); the validators read it.
"""

from __future__ import annotations

from dataclasses import dataclass

REQUIRED, STUDY, OPTIONAL = "required", "study", "optional"
ALTERNATIVE = "alternative"  # another way to give a study column (follow-up in weeks, days or two dates)
DESIGN = "design"  # describes the study's design, not the patient (arm, synthetic)

DAYS_PER_MONTH = 30.4375  # 365.25 / 12: weeks x 7 / 30.4375 and days / 30.4375 are months

SOURCE_ALIASES = {
    "umbilical_cord": "umbilical_cord", "uc": "umbilical_cord", "umbilical cord": "umbilical_cord",
    "bone_marrow": "bone_marrow", "bm": "bone_marrow", "bone marrow": "bone_marrow",
    "adipose": "adipose", "ad": "adipose", "at": "adipose", "adipose tissue": "adipose",
}
SEX_ALIASES = {"f": "female", "female": "female", "w": "female", "m": "male", "male": "male",
               "other": "other", "x": "other"}
YES_NO_ALIASES = {"yes": True, "y": True, "true": True, "1": True,
                  "no": False, "n": False, "false": False, "0": False}

FILE_TYPES = {"csv": "comma-, semicolon- or tab-separated text (UTF-8; UTF-16 and Windows-1252 also read); "
                     "decimal commas accepted",
              "xlsx": "Excel workbook (.xlsx), first sheet", "parquet": "Apache Parquet"}


@dataclass(frozen=True)
class Column:
    """One column of the cohort file."""

    name: str
    requirement: str  # required | study | optional
    kind: str  # id | number | category | yesno
    unit: str
    meaning: str
    low: float | None = None  # plausible range (inclusive), in the stated unit
    high: float | None = None
    allowed: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("patient_id", REQUIRED, "id", "-", "study pseudonym; unique and non-empty; never shown in a report"),
    Column("hba1c_baseline", REQUIRED, "number", "hba1c_unit",
           "HbA1c before the infusion", 3.0, 20.0, "3-20 % or 9-195 mmol/mol"),
    Column("hba1c_followup", REQUIRED, "number", "hba1c_unit",
           "HbA1c at last follow-up; an empty cell excludes the patient with a stated reason",
           3.0, 20.0, "3-20 % or 9-195 mmol/mol, or empty"),
    Column("dose_cells", STUDY, "number", "cells",
           "total MSCs infused (e.g. 1.5e9); an empty cell excludes the patient from dose analyses only",
           1e5, 1e12, "1e5-1e12, or empty"),
    Column("msc_source", STUDY, "category", "-", "tissue the MSCs came from",
           allowed="umbilical_cord (UC), bone_marrow (BM), adipose (AD, AT); any case; or empty"),
    Column("followup_months", STUDY, "number", "months",
           "months from infusion to the follow-up HbA1c", 0.0, 600.0, "0-600, or empty"),
    Column("age_years", OPTIONAL, "number", "years", "age at infusion", 0.0, 120.0, "0-120"),
    Column("sex", OPTIONAL, "category", "-", "sex", allowed="female (F), male (M), other; any case"),
    Column("bmi", OPTIONAL, "number", "kg/m2", "body-mass index", 10.0, 80.0, "10-80"),
    Column("diabetes_duration_years", OPTIONAL, "number", "years", "years since diagnosis", 0.0, 100.0, "0-100"),
    Column("serious_adverse_event", OPTIONAL, "yesno", "-", "any serious adverse event during follow-up",
           allowed="yes/no (also true/false, 1/0, y/n)"),
    Column("followup_weeks", ALTERNATIVE, "number", "weeks",
           "follow-up time in weeks instead of followup_months (months = weeks x 7 / 30.4375)",
           0.0, 2600.0, "0-2600, or empty"),
    Column("followup_days", ALTERNATIVE, "number", "days",
           "follow-up time in days instead of followup_months (months = days / 30.4375)",
           0.0, 18250.0, "0-18250, or empty"),
    Column("infusion_date", ALTERNATIVE, "date", "-",
           "date of the infusion; with followup_date instead of followup_months "
           "(months = days between the dates / 30.4375)", allowed="ISO date YYYY-MM-DD, or empty"),
    Column("followup_date", ALTERNATIVE, "date", "-",
           "date of the follow-up HbA1c; with infusion_date, on or after it", allowed="ISO date YYYY-MM-DD, or empty"),
    Column("arm", DESIGN, "text", "-",
           "treatment group of a controlled study; two or more arms make the report a controlled comparison "
           "(parameter reference_arm names the comparator)", allowed="any text, e.g. placebo, msc; not empty"),
    Column("synthetic", DESIGN, "yesno", "-", "marks an invented (synthetic) patient, as in the bundled cohort",
           allowed="yes/no (also true/false, 1/0, y/n)"),
)

COLUMNS_BY_NAME = {c.name: c for c in COLUMNS}
REQUIRED_COLUMNS = tuple(c.name for c in COLUMNS if c.requirement == REQUIRED)
STUDY_COLUMNS = tuple(c.name for c in COLUMNS if c.requirement == STUDY)
CATEGORY_ALIASES = {"msc_source": SOURCE_ALIASES, "sex": SEX_ALIASES}
KNOWN_COLUMNS = tuple(COLUMNS_BY_NAME)

# Follow-up time: followup_months, or one of its alternatives (converted to months). More
# than one is an error unless they agree to half a unit of the coarsest one given.
FOLLOWUP_UNITS_DAYS = {"followup_months": DAYS_PER_MONTH, "followup_weeks": 7.0, "followup_days": 1.0}
FOLLOWUP_DATES = ("infusion_date", "followup_date")

# A long file (one row per HbA1c measurement): hba1c and a time column, no hba1c_baseline.
LONG_TIME_COLUMNS = ("months", "weeks", "days", "date")


def detect_layout(columns) -> str:
    """'long' (one row per measurement: ``hba1c`` + a time column, no ``hba1c_baseline``) or 'wide'."""
    cols = set(columns)
    if "hba1c" in cols and "hba1c_baseline" not in cols and any(c in cols for c in LONG_TIME_COLUMNS):
        return "long"
    return "wide"

# Plausible HbA1c in each unit (the % range converted with the master equation, rounded out).
HBA1C_RANGE = {"percent": (3.0, 20.0), "mmol_mol": (9.0, 195.0)}


def render_markdown() -> str:
    """The dictionary as a Markdown table (for data/README.md)."""
    lines = ["| column | required | type | unit | allowed values | meaning |",
             "|---|---|---|---|---|---|"]
    for c in COLUMNS:
        unit = "`hba1c_unit` (% or mmol/mol)" if c.unit == "hba1c_unit" else c.unit
        lines.append(f"| `{c.name}` | {c.requirement} | {c.kind} | {unit} | {c.allowed or '-'} | {c.meaning} |")
    return "\n".join(lines)
