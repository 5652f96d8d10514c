"""Dose within each arm of a controlled study (chapter 4; results.json ``arms.dose``).

In a controlled trial the dose usually varies only in the active arm: the comparator has no
dose (placebo) and an active arm may have one fixed dose. Within an arm whose doses vary, the
dose subgroups (high = dose_cells >= dose_cutoff), the dose-response correlations and the
baseline-adjusted dose model are those of the pooled chapter (``dose.analyse_dose``,
``results.adjusted_dose_block``) on that arm's patients alone. Dose within an arm is not
randomised: only the comparison between randomised arms is.

Disclosure: each arm's dose groups are cells of the arm x dose-group split, with the arm's
total (chapter 3) and the pooled dose groups (the pooled section) shown too
(``disclosure.hidden_arm_cells``); an arm's patients without a dose are its hidden remainder.
"""

from __future__ import annotations

import pandas as pd

from mscreport.analysis.dose import adjusted_dose_block, analyse_dose, dose_label
from mscreport.core.disclosure import hidden_arm_cells, hidden_dose_groups, too_few
from mscreport.core.groups import DOSE_GROUPS, arm_cohort, ordered_arms
from mscreport.display import fmt
from mscreport.display.fmt import md_name

def dose_of_arm(cohort) -> dict:
    """``arms.dose[ARM]`` for one arm's cohort (``arms.arm_cohort``): how many patients have a
    dose, in each dose group (``n_high``, ``n_low``) and how many distinct doses; with two or more distinct doses also the pooled
    chapter's ``dose`` block (PAIRED per dose group, Welch, Mann-Whitney, Pearson, Spearman) and
    ``adjusted`` (R: lm(change ~ hba1c_baseline + high)) on this arm alone, else those null."""
    f = cohort.frame
    doses = f["dose_cells"].dropna() if cohort.has("dose_cells") else pd.Series([], dtype=float)
    distinct = sorted(set(float(d) for d in doses))
    groups = f["dose_group"] if "dose_group" in f else pd.Series([], dtype=object)
    block = {"n": len(f), "n_with_dose": int(len(doses)), "n_without_dose": int(len(f) - len(doses)),
             **{f"n_{g}": int((groups == g).sum()) for g in DOSE_GROUPS},
             "distinct_doses": len(distinct), "single_dose_cells": distinct[0] if len(distinct) == 1 else None,
             "varies": len(distinct) >= 2}
    empty = {"high": None, "low": None, "welch": None, "mann_whitney": None, "pearson": None, "spearman": None,
             "adjusted": None}
    if not block["varies"]:
        return {**block, **empty}
    d = analyse_dose(cohort).interface()
    groups = {g: d[g] if (d[g] or {}).get("n") else None for g in DOSE_GROUPS}
    return {**block, **groups, "welch": d["welch"] if d["welch"] and d["welch"]["t"] is not None else None,
            "mann_whitney": d["mann_whitney"] if d["mann_whitney"] and d["mann_whitney"]["u"] is not None else None,
            "pearson": d["pearson"] if d["pearson"] and d["pearson"]["r"] is not None else None,
            "spearman": d["spearman"] if d["spearman"] and d["spearman"]["rho"] is not None else None,
            "adjusted": adjusted_dose_block(cohort)}


def analyse_dose_by_arm(cohort) -> dict | None:
    """``arms.dose``: ``dose_of_arm`` for every arm (reference first); None without an ``arm``
    column."""
    if not cohort.has("arm"):
        return None
    return {a: dose_of_arm(arm_cohort(cohort, a)) for a in ordered_arms(cohort)[1]}


def hidden_dose_cells(cohort) -> frozenset[tuple[str, str]]:
    """(arm, dose group) cells that pages hide (``disclosure.hidden_arm_cells``)."""
    f = cohort.frame
    return hidden_arm_cells(f, "dose_group", DOSE_GROUPS, hidden_dose_groups(f))


def say_arm_dose(arm: str, block: dict, cutoff: float) -> str:
    """What can be said about dose within one arm: no dose, one dose, or the dose groups' sizes."""
    name = f"**{md_name(arm)}**"
    if not block["n_with_dose"]:
        return f"{name}: no patient has a dose (as expected for a comparator arm): no dose analysis within this arm."
    if not block["varies"]:
        return (f"{name}: every one of the {fmt.fmt_int(block['n_with_dose'])} patients with a dose received the same dose "
                f"({fmt.fmt_cells(block['single_dose_cells'])} cells): dose does not vary within this arm, so there are "
                "no dose subgroups and no dose-response within it.")
    sizes = ", ".join(f"{(block[g] or {}).get('n') or 0} {g}" for g in DOSE_GROUPS)
    without = f"; {block['n_without_dose']} without a dose" if block["n_without_dose"] else ""
    return (f"{name}: {fmt.fmt_int(block['n_with_dose'])} patients with a dose, {block['distinct_doses']} distinct doses "
            f"(cut-off {fmt.fmt_cells(cutoff)} cells: {sizes}{without}).")


def arm_dose_rows(by_arm: dict, cutoff: float, hidden) -> tuple[dict, set]:
    """The per-arm dose groups for ``report.paired_table``: {'ARM: high (≥ 1e9)': PAIRED block}
    and the labels to hide. Only arms whose dose varies."""
    from types import SimpleNamespace


    rows, hide = {}, set()
    for a, b in by_arm.items():
        for g in DOSE_GROUPS if b["varies"] else ():
            if b[g] is None:
                continue
            label = f"{a}: {dose_label(g, cutoff)}"
            rows[label] = SimpleNamespace(**b[g])  # the PAIRED block's fields, as paired_table reads them
            if (a, g) in hidden:
                hide.add(label)
    return rows, hide


def say_arm_dose_tests(arm: str, block: dict, hidden, alpha: float) -> str:
    """High vs low dose, dose-response and the baseline-adjusted dose effect within one arm whose
    dose varies ('' otherwise); suppressed when a dose group of the arm is hidden."""
    if not block["varies"]:
        return ""
    name = f"**{md_name(arm)}**"
    if all((arm, g) in hidden for g in DOSE_GROUPS):
        return f"Within {name}: the dose tests are not shown (the arm's dose groups are hidden by the disclosure rule)."
    if any((arm, g) in hidden for g in DOSE_GROUPS) or not (block["high"] and block["low"]):
        compare = "high and low dose are not compared (a dose group is empty, or too small to show)"
    else:
        w, m = block["welch"], block["mann_whitney"]
        compare = ("mean change, high − low dose " + (
            f"{fmt.fmt_change(w['diff'])}, CI {fmt.fmt_ci(w['ci_low'], w['ci_high'])}, {fmt.fmt_p(w['p'])} (Welch)"
            if w else "not computed") + (f"; Mann-Whitney U = {fmt.fmt_num(m['u'], 1)}, {fmt.fmt_p(m['p'])}" if m else ""))
        a = block["adjusted"]
        if a:
            compare += (f"; at equal baseline {fmt.fmt_change(a['estimate'])}, CI {fmt.fmt_ci(a['ci_low'], a['ci_high'])}, "
                        f"{fmt.fmt_p(a['p'])} (change ~ baseline + dose group)")
    r, s = block["pearson"], block["spearman"]
    if r is None or too_few(block["n_with_dose"]):
        response = "dose-response not computed"
    else:
        response = (f"dose vs change Pearson r = {fmt.fmt_num(r['r'])}, CI {fmt.fmt_ci(r['ci_low'], r['ci_high'])}, "
                    f"{fmt.fmt_p(r['p'])}" + (f"; Spearman rho = {fmt.fmt_num(s['rho'])}, {fmt.fmt_p(s['p'])}" if s else ""))
    return f"Within {name}: {compare}; {response}."


