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
from mscreport.display.fmt import fmt_num, fmt_p, too_small

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


# ------------------------------------------------------------------ the index's first screen
DESIGN_SINGLE_ARM = ("But a single-arm before/after study cannot tell the treatment's effect from regression to the "
                     "mean or drift over time; a controlled trial can.")
DESIGN_CONTROLLED = ("The between-arm difference (Table 1) is the treatment's effect as this controlled study can "
                     "estimate it; the within-group changes below are not treatment effects.")


def headline_sentence(results: dict) -> str:
    """The index's plain-language headline (Markdown with *emphasis* only), every number from
    ``results`` (results.json): what changed, by how much with its interval, how sure, and what
    the design can and cannot say. Changes are follow-up minus baseline in NGSP % points."""
    params = results.get("params") or {}
    alpha = params.get("alpha", 0.05)
    arms = results.get("arms")
    if arms and arms.get("reference"):
        return DESIGN_CONTROLLED
    r = results.get("overall") or {}
    data = results.get("data") or {}
    who = "In the reconstructed (synthetic) cohort, " if data.get("reconstruction") else ""
    if too_small(r.get("n")) or r.get("mean_change") is None or r.get("ci_low") is None:
        return f"{who}too few patients to show a change. {DESIGN_SINGLE_ARM}"
    change, lo, hi = r["mean_change"], r["ci_low"], r["ci_high"]
    verb = "fell" if change < 0 else "rose"
    lo_shown, hi_shown = (-hi, -lo) if change < 0 else (lo, hi)  # the interval of the fall (or rise), in its order
    excludes = lo > 0 or hi < 0
    sure = ("chance alone is an unlikely explanation" if excludes
            else "the interval includes zero: no change at all is compatible with the data")
    text = (f"{who}HbA1c {verb} by {fmt_num(abs(change))} % points from baseline to the last follow-up in {r['n']} "
            f"patients ({1 - alpha:.0%} CI {fmt_num(lo_shown)} to {fmt_num(hi_shown)}, {fmt_p(r.get('p'))}: {sure}). "
            f"{DESIGN_SINGLE_ARM}")
    return text[0].upper() + text[1:]
