"""The study as it is: condition, intervention and inclusion rule, resolved once per cohort.

Parameters ``condition``, ``intervention`` and ``inclusion_min`` default to ``auto``
(interface.md, "The study as it is"): for the reconstruction of the paper they are the
paper's (type 2 diabetes, "a single intravenous MSC infusion", 6.2 % NGSP); a cohort file
with ``dose_cells`` or ``msc_source`` is an MSC study ("MSC" wording) and otherwise "the
treatment"; ``condition`` is then ``unspecified`` and ``inclusion_min`` ``none`` (nobody is
excluded for a low baseline). Every sentence a page writes about the study reads from a
``Study``, never from the bundled paper.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTO = "auto"
NONE = "none"
CONDITIONS = ("type_2_diabetes", "type_1_diabetes", "prediabetes", "unspecified")
CONDITION_WORDS = {"type_2_diabetes": "type 2 diabetes", "type_1_diabetes": "type 1 diabetes",
                   "prediabetes": "prediabetes", "unspecified": ""}
PAPER_INTERVENTION = "a single intravenous MSC infusion"
PAPER_INCLUSION_MIN = 6.2  # NGSP %: the paper's inclusion criterion (HbA1c >= 6.2 %)
MSC_INTERVENTION = "MSC"
OTHER_INTERVENTION = "the treatment"
MSC_COLUMNS = ("dose_cells", "msc_source")


STUDY_TAGS = frozenset({"study-paper", "study-own", "study-msc", "study-not-msc", "study-controlled",
                        "study-single-arm", "study-t2d", "study-not-t2d", "study-arms", "study-no-arms"})


def parse_inclusion_min(value) -> float | None | str:
    """``auto`` stays ``auto``; ``none`` (or empty) is None; otherwise the number (NGSP %).
    Raises ValueError for anything else."""
    text = str(value).strip().lower()
    if text == AUTO:
        return AUTO
    if text in (NONE, "", "null"):
        return None
    return float(text.replace(",", "."))


def check_inclusion_min(value: str) -> str | None:
    """The parameter check: auto, none, or a number in [3, 20] (NGSP %)."""
    try:
        parsed = parse_inclusion_min(value)
    except ValueError:
        return "must be auto, none or a baseline HbA1c in NGSP % (e.g. 6.2)"
    if isinstance(parsed, float) and not 3.0 <= parsed <= 20.0:
        return "must be >= 3 and <= 20 (NGSP %), auto or none"
    return None


@dataclass(frozen=True)
class Study:
    """What was studied, resolved from the parameters and the cohort file.

    ``inclusion_min`` in NGSP % or None (no one excluded for a low baseline); ``msc``: whether
    the MSC wording applies; ``reconstruction``: the cohort is the paper's reconstruction."""

    condition: str
    intervention: str
    inclusion_min: float | None
    msc: bool
    reconstruction: bool
    controlled: bool = False  # an arm column with a reference arm (a between-arm comparison is made)
    arms: bool = False  # the file has an arm column (the chapters' "Per arm" sections; one arm: a note)

    @property
    def condition_words(self) -> str:
        """The condition as a phrase ("type 2 diabetes"), or "" when unspecified."""
        return CONDITION_WORDS[self.condition]

    def time_zero(self, controlled: bool = False) -> str:
        """What time zero is: "randomisation" for a controlled study, "the infusion" for an MSC
        study, else "the start of treatment"."""
        if controlled:
            return "randomisation"
        return "the infusion" if self.msc else "the start of treatment"

    def after_time_zero(self, controlled: bool = False) -> str:
        """"after the infusion" / "after the start of treatment" / "after randomisation"."""
        return f"after {self.time_zero(controlled)}"

    def treated(self) -> str:
        """The patients as treated: "infused patients" (MSC) or "treated patients"."""
        return "infused patients" if self.msc else "treated patients"

    def tags(self) -> frozenset[str]:
        """The chapter-cell tags that apply to this study (``STUDY_TAGS``): a chapter's cell
        tagged with any other ``study-*`` tag is left out of this build's pages."""
        return frozenset({"study-paper" if self.reconstruction else "study-own",
                          "study-msc" if self.msc else "study-not-msc",
                          "study-controlled" if self.controlled else "study-single-arm",
                          "study-t2d" if self.condition == "type_2_diabetes" else "study-not-t2d",
                          "study-arms" if self.arms else "study-no-arms"})

    def params_entries(self) -> dict:
        """The resolved parameters as results.json ``params`` records them."""
        return {"condition": self.condition, "intervention": self.intervention, "inclusion_min": self.inclusion_min}


def resolve_study(params: dict, reconstruction: bool, columns) -> Study:
    """The ``Study`` of a cohort: ``params`` (condition, intervention, inclusion_min; ``auto``
    allowed), whether it is the paper's reconstruction, and the file's column names."""
    msc_file = reconstruction or any(c in set(columns) for c in MSC_COLUMNS)
    condition = params.get("condition", AUTO)
    if condition == AUTO:
        condition = "type_2_diabetes" if reconstruction else "unspecified"
    intervention = params.get("intervention", AUTO)
    if intervention == AUTO:
        intervention = PAPER_INTERVENTION if reconstruction else (MSC_INTERVENTION if msc_file else OTHER_INTERVENTION)
        msc = msc_file
    else:
        msc = "msc" in intervention.lower() or "stem cell" in intervention.lower() or "stromal" in intervention.lower()
    inclusion = parse_inclusion_min(params.get("inclusion_min", AUTO))
    if inclusion == AUTO:
        inclusion = PAPER_INCLUSION_MIN if reconstruction else None
    return Study(condition, intervention, inclusion, msc, reconstruction)
