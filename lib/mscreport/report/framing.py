"""What the report says it is about: its title and the study it describes.

The bundled reconstructed cohort is framed as the reanalysis of Matsuoka et al.; a user's
cohort is framed as their own study (parameters ``report_title`` and ``study_description``).
Whether a cohort is the bundled one is decided by its content (``paths.is_bundled_cohort``),
never by its file name.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from mscreport.core.paths import is_bundled_cohort

PAPER_TITLE = "HbA1c after a single intravenous MSC infusion in type 2 diabetes"
PAPER_DESCRIPTION = ("A literate, reproducible reanalysis of Matsuoka et al., *J Biomed Res Environ Sci* "
                     "2025;6(4):320-327 (doi:10.37871/jbres2087, CC BY 4.0).")
OWN_TITLE = "HbA1c from baseline to follow-up"
FRAMING_TEXT = ("report_title", "study_description")  # free-text parameters, shown as the title and lead


@dataclass(frozen=True)
class Framing:
    """The report's title and lead paragraph (Markdown with *emphasis* and `code` only), and
    whether the cohort is the bundled one."""

    title: str
    description: str
    bundled: bool


def frame_report(params: dict, data_sha256: str, data_name: str) -> Framing:
    """The framing of a build: from the parameters, the cohort file's SHA-256 and its name."""
    bundled = is_bundled_cohort(data_sha256)
    title = (params.get("report_title") or "").strip() or (PAPER_TITLE if bundled else OWN_TITLE)
    description = (params.get("study_description") or "").strip() or (
        PAPER_DESCRIPTION if bundled else
        f"A literate, reproducible analysis of HbA1c before and after treatment in the cohort file `{data_name}`.")
    return Framing(title, description, bundled)


def inline_html(text: str) -> str:
    """A framing text as HTML: escaped, with Markdown's *emphasis* and `code` only."""
    out = html.escape(text, quote=True)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", out)


# ---------------------------------------------------------------- chapter openings, from the study
def trust_opening(study) -> str:
    """The trust chapter's opening paragraph for the study as it is (``inputs.study.Study``): the
    paper's single-arm story for its reconstruction, what randomisation does for a controlled
    study, a user's single-arm cohort's own questions otherwise."""
    if study is None or study.reconstruction:
        return ("This chapter goes beyond the paper. It asks the questions a careful reviewer raises about a "
                "single-arm before/after study whose strata were chosen by the first measurement.")
    if study.controlled:
        return ("This is a controlled study: regression to the mean, drift in care and the attention of a trial "
                "act on every arm alike, so randomisation protects the between-arm comparison (the change "
                "chapter) from them. This chapter asks how much of each arm's own change they could explain, "
                f"whether the change lasts {study.after_time_zero(True)}, how many subgroup findings survive a "
                "correction for testing many things, and how large a trial would confirm the between-arm effect.")
    return ("This chapter asks the questions a careful reviewer raises about a single-arm before/after study "
            "whose strata are chosen by the first measurement: without a comparator, regression to the mean and "
            f"drift in care cannot be told apart from an effect of {study.intervention}.")


def dose_opening(study) -> str:
    """The dose chapter's opening paragraph for the study as it is: the paper's quotes for its
    reconstruction; for a user's study, why a dose comparison within one study is confounded
    unless the dose was randomised."""
    if study is None or study.reconstruction:
        return ("The paper reports \u201ca trend toward greater HbA1c reduction\u201d at \u2265 1e9 cells that "
                "\u201cdid not reach statistical significance\u201d, and a dose-outcome correlation analysis. Doses "
                "were *tailored to individual clinical conditions*: sicker patients may have received more cells. "
                "Dose is then entangled with baseline severity, and severity (through regression to the mean) "
                "with the size of the fall. The last section separates the two.")
    what = "cells" if study.msc else f"{study.intervention}"
    return (f"Unless the dose was randomised, who received more {what} may depend on how ill they were: dose "
            "is then entangled with baseline severity, and severity (through regression to the mean) with the "
            "size of the fall. The last section separates the two.")
