"""What the chapters' exercises need from the library: nothing that gives an answer away.

The exercises live in the chapters (cells tagged ``teaching``): a question in Markdown, for a
"predict, then run" exercise a code cell whose ``### BEGIN SOLUTION`` / ``### END SOLUTION``
region computes the answer from the open patient table, and an autograded cell that checks it
against the analysis (``lesson.check_answered`` and, between ``### BEGIN HIDDEN TESTS`` /
``### END HIDDEN TESTS``, ``lesson.check_close``); an answer in words is its own Markdown cell
tagged ``solution``. The student workbooks (``pipeline.workbooks``) drop the solutions and the
hidden tests, so no answer text is in a student's notebook or in this library.
"""

from __future__ import annotations

import math
from collections import defaultdict

from mscreport.analysis.published import severe_splits
from mscreport.methods.stats import t_bound_sd


def larger_fall_larger_p(moderate, severe) -> bool:
    """Whether the severe stratum has the larger mean fall (more negative mean change) and yet
    the larger p-value than the moderate one (chapter 3's exercise 3.3 asks about it)."""
    values = (moderate.mean_change, severe.mean_change, moderate.p, severe.p)
    if any(v is None or v != v for v in values):
        return False
    return severe.mean_change < moderate.mean_change and severe.p > moderate.p


def printed_figures(published: dict | None) -> dict:
    """The printed figures of a published-figures file, id -> value (e.g. ``baseline_mean``,
    ``severe_reduction``, ``severe_p``); a figure it lacks (or no file) reads as NaN, so an
    exercise's arithmetic gives NaN rather than an error."""
    values = {} if published is None else {f["id"]: f["value"] for f in published["figures"]}
    return defaultdict(lambda: math.nan, values)


def assumed_sizes(published: dict | None) -> dict:
    """The stratum sizes a reconstruction assumed (``moderate``, ``severe``); NaN without them."""
    found = next((a["value"] for a in (published or {}).get("assumed", []) if a["id"] == "stratum_sizes"), {})
    return defaultdict(lambda: math.nan, found)


def implied_by_print(published: dict | None) -> dict:
    """The row of chapter 6's "What the printed figures imply" at the assumed severe size: the
    follow-up mean the printed stratum reductions give (``followup_mean``, NGSP %) and the SD
    of change the printed severe p implies (``severe_sd``, % points), as the page shows them
    (analysis.published.derived_bounds); NaN without a published-figures file."""
    sizes = assumed_sizes(published)
    if published is None or math.isnan(sizes["severe"]):
        return {"followup_mean": math.nan, "severe_sd": math.nan}
    fig = printed_figures(published)
    split = severe_splits(published, [sizes["severe"]])[0]
    return {"followup_mean": split["followup_mean"],
            "severe_sd": t_bound_sd(fig["severe_reduction"], sizes["severe"], fig["severe_p"])}
