"""Histogram bars that hold no small group: bins of fewer than ``policy.min_bar`` patients (3;
strict 8) are merged with their neighbours, or dropped when the whole histogram holds fewer, so
no bar places one or two patients' values (issue 24.2). In strict mode the bar heights (counts
of patients) are rounded to the nearest 5 like every count of a strict page.

Units: ``edges`` in the values' own unit (HbA1c % or % points), counts in patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mscreport.core.disclosure import Policy, current_policy, rounded_count


@dataclass(frozen=True)
class Bars:
    """Bars of a histogram after merging: ``lefts`` and ``widths`` (value unit), ``heights``
    (patients; strict: rounded to 5), ``merged`` (some bins were merged), ``dropped`` (patients
    left out because the whole histogram held too few)."""

    lefts: np.ndarray
    widths: np.ndarray
    heights: np.ndarray
    merged: bool
    dropped: int


def merge_small_bins(counts, edges, min_count: int) -> tuple[np.ndarray, np.ndarray, bool, int]:
    """(counts, edges, merged, dropped) with every non-empty bin holding at least ``min_count``:
    bins are joined from the left until the running count reaches ``min_count``; a last group
    that stays short joins the bar before it; when the whole histogram holds fewer than
    ``min_count`` (and more than 0) nothing is left (``dropped`` = its count). Empty bins between
    two bars are kept as they are (they place nobody)."""
    counts = np.asarray(counts, dtype=int)
    edges = np.asarray(edges, dtype=float)
    total = int(counts.sum())
    if total == 0:
        return counts, edges, False, 0
    if total < min_count:
        return np.zeros(0, dtype=int), edges[:1], False, total
    out_counts, out_edges = [], [edges[0]]
    acc, merged_any, width = 0, False, 0
    for i, c in enumerate(counts):
        if acc == 0 and c == 0:  # an empty bin between bars stays an empty bin
            out_counts.append(0)
            out_edges.append(edges[i + 1])
            continue
        acc += int(c)
        width += 1
        if acc >= min_count:
            out_counts.append(acc)
            out_edges.append(edges[i + 1])
            merged_any |= width > 1
            acc, width = 0, 0
    if acc:  # a short last group: joins the last bar (skipping the empty bins after it)
        while out_counts and out_counts[-1] == 0:
            out_counts.pop()
            out_edges.pop()
        out_counts[-1] += acc
        out_edges[-1] = edges[-1]
        merged_any = True
    return np.asarray(out_counts, dtype=int), np.asarray(out_edges, dtype=float), merged_any, 0


def safe_bars(values, edges, policy: Policy | None = None) -> Bars:
    """The bars of a histogram of ``values`` on ``edges`` that a page may draw (``merge_small_bins``
    with ``policy.min_bar``; strict: heights rounded to the nearest 5)."""
    v = np.asarray(values, dtype=float)
    counts, _ = np.histogram(v[np.isfinite(v)], bins=edges)
    return bars_from_counts(counts, edges, policy)


def bars_from_counts(counts, edges, policy: Policy | None = None) -> Bars:
    """``safe_bars`` from the counts of each bin of ``edges`` (patients)."""
    policy = policy or current_policy()
    counts, edges, merged, dropped = merge_small_bins(counts, edges, policy.min_bar)
    heights = np.array([rounded_count(c) for c in counts], dtype=float) if policy.strict else counts.astype(float)
    return Bars(edges[:-1], np.diff(edges), heights, merged, dropped)


def bars_note(merged: bool, dropped: int, policy: Policy | None = None) -> str:
    """The caption's sentence on what the merging did ('' when nothing)."""
    policy = policy or current_policy()
    few = f"fewer than {policy.min_bar} patients"
    parts = []
    if merged:
        parts.append(f"Neighbouring bins holding {few} are merged into one wider bar")
    if dropped:
        parts.append(f"a histogram of {few} is not drawn")
    if policy.strict:
        parts.append("bar heights are rounded to the nearest 5 patients")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + " (disclosure rule)."
