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
from mscreport.core.disclosure import Policy
from mscreport.display.fmt import fmt_int, fmt_num, fmt_p, too_small

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


# ------------------------------------------------------------------ the index's first screen
DESIGN_SINGLE_ARM = ("But a single-arm before/after study cannot tell the treatment's effect from regression to the "
                     "mean or drift over time; a controlled trial can.")
DESIGN_CONTROLLED = ("The between-arm difference (Table 1) is the treatment's effect as this controlled study can "
                     "estimate it; the within-group changes below are not treatment effects.")


def between_arm_phrase(comparison: dict, results: dict, alpha: float) -> str | None:
    """One arm against the reference for the headline, from results.json's ``arms`` block: the
    MMRM's difference at the last visit when the study has one (the primary analysis), else
    the ANCOVA difference at equal baseline; negative = lower HbA1c in the arm (NGSP % points).
    None when the disclosure rule hides either arm or the model gave no estimate."""
    arm, ref = comparison.get("arm"), comparison.get("reference")
    hidden = set(((results.get("disclosure") or {}).get("hidden_on_pages") or {}).get("arms") or [])
    if arm in hidden or ref in hidden:
        return None
    mmrm = (results.get("longitudinal") or {}).get("mmrm") or {}
    at_visits = [m for m in mmrm.get("comparisons") or [] if m.get("arm") == arm and m.get("reference") == ref]
    if at_visits:
        last = max(at_visits, key=lambda m: m["visit"])
        label = next((v.get("label") for v in mmrm.get("visits") or [] if v.get("visit") == last["visit"]), None)
        est, lo, hi, p = last.get("difference"), last.get("ci_low"), last.get("ci_high"), last.get("p")
        how = f"at the last visit ({f'{label}; ' if label else ''}mixed model for repeated measures, the primary analysis)"
    else:
        a = comparison.get("ancova") or {}
        est, lo, hi, p = a.get("estimate"), a.get("ci_low"), a.get("ci_high"), a.get("p")
        how = "at follow-up, at equal baseline (ANCOVA)"
    if est is None or lo is None or hi is None:
        return None
    word = "lower" if est < 0 else "higher"
    lo_shown, hi_shown = (-hi, -lo) if est < 0 else (lo, hi)
    sure = ("" if lo > 0 or hi < 0 else ": the interval includes zero, so no difference is compatible with the data")
    return (f"HbA1c was {fmt_num(abs(est))} % points {word} with {arm} than with {ref} {how}, "
            f"{1 - alpha:.0%} CI {fmt_num(lo_shown)} to {fmt_num(hi_shown)} {word}, {fmt_p(p)}{sure}")


def headline_sentence(results: dict) -> str:
    """The index's plain-language headline (Markdown with *emphasis* only), every number from
    ``results`` (results.json): what changed, by how much with its interval, how sure, and what
    the design can and cannot say. Changes are follow-up minus baseline in NGSP % points."""
    params = results.get("params") or {}
    alpha = params.get("alpha", 0.05)
    arms = results.get("arms")
    if arms and arms.get("reference"):
        effects = [between_arm_phrase(c, results, alpha) for c in arms.get("comparisons") or []]
        effects = [e for e in effects if e]
        if not effects:
            return DESIGN_CONTROLLED
        shown = "; ".join(effects[:2]) + (f"; and {len(effects) - 2} more comparisons in Table 1" if len(effects) > 2 else "")
        text = f"{shown}. {DESIGN_CONTROLLED}"
        return text[0].upper() + text[1:]
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
    text = (f"{who}HbA1c {verb} by {fmt_num(abs(change))} % points from baseline to the last follow-up in "
            f"{fmt_int(r['n'], Policy.of(params))} "
            f"patients ({1 - alpha:.0%} CI {fmt_num(lo_shown)} to {fmt_num(hi_shown)}, {fmt_p(r.get('p'))}: {sure}). "
            f"{DESIGN_SINGLE_ARM}")
    return text[0].upper() + text[1:]
