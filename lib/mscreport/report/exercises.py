"""The teaching rendering's exercises whose answers need numbers: rendered from the results,
never typed, so an answer is true for whatever cohort and parameters the build used.

Each function returns the Markdown of one chapter's exercises ("## Exercises", each answer
folded in ``<details>``)."""

from __future__ import annotations

import math

from mscreport.display import fmt


SHOW_ANSWERS = True  # the student workbooks set it to False: questions only (workbooks.py)


def _answer(question: str, answer: str, number: int) -> str:
    if not SHOW_ANSWERS:
        return f"{number}. {question}"
    return f"{number}. {question}\n   <details><summary>Answer</summary>{answer}</details>"


def larger_fall_larger_p(moderate, severe) -> bool:
    """Whether the severe stratum has the larger mean fall (more negative mean change) and yet
    the larger p-value than the moderate one (the teaching question of chapter 3's exercise 1)."""
    values = (moderate.mean_change, severe.mean_change, moderate.p, severe.p)
    if any(v is None or v != v for v in values):
        return False
    return severe.mean_change < moderate.mean_change and severe.p > moderate.p


def change_exercises(overall, strata: dict, alpha: float) -> str:
    """Chapter 3: the strata's falls and p-values, the effect of alpha, the t statistic by hand."""
    mod, sev = strata["moderate"], strata["severe"]
    se = {k: (r.sd_change / math.sqrt(r.n) if r.sd_change is not None and r.n else None) for k, r in strata.items()}
    hidden = fmt.too_small(mod.n) or fmt.too_small(sev.n) or None in se.values()
    a1 = ("One stratum is too small to show its numbers here; the reasoning is: p depends on the mean change relative "
          "to its standard error, SD/√n." if hidden else
          f"p depends on the mean change *relative to its standard error*, SD/√n. Severe: n = {fmt.fmt_int(sev.n)}, SD of change "
          f"{fmt.fmt_num(sev.sd_change)} % points, SE = {fmt.fmt_num(sev.sd_change)} / √{sev.n} = {fmt.fmt_num(se['severe'], 3)}, "
          f"t = {fmt.fmt_num(sev.t)}, {fmt.fmt_p(sev.p)}. Moderate: n = {fmt.fmt_int(mod.n)}, SD {fmt.fmt_num(mod.sd_change)}, "
          f"SE = {fmt.fmt_num(se['moderate'], 3)}, t = {fmt.fmt_num(mod.t)}, {fmt.fmt_p(mod.p)}. "
          + ("A larger mean fall with a much larger standard error gives the smaller |t|."
             if larger_fall_larger_p(mod, sev) else
             "Here the stratum with the larger fall is not the one with the larger p-value: a fall and its p-value "
             "need not go together, and in this cohort they happen to."))
    a2 = ("In this chapter, every interval widens to 99 % (the paired-t CIs, the Hodges-Lehmann intervals, the "
          "Wilson interval of the target proportion, the exact safety interval); means, SDs, t, df, W, V and every "
          "p-value are unchanged, since a p-value does not depend on alpha. Elsewhere more changes: the Holm list "
          "of findings below alpha and the trial sizes (chapter 5), the \"not significant\" checks (chapter 6), and "
          "the dose chapter's intervals.")
    t_hand = None if overall.sd_change in (None, 0) else overall.mean_change / (overall.sd_change / math.sqrt(overall.n))
    a3 = ("Not computable for this cohort." if t_hand is None else
          f"t = {fmt.fmt_num(overall.mean_change, 3)} / ({fmt.fmt_num(overall.sd_change, 3)} / √{overall.n}) = "
          f"{fmt.fmt_num(t_hand)}, the `t` column of the table (in code: "
          "`overall.mean_change / (overall.sd_change / overall.n ** 0.5)`).")
    return "\n".join([
        "## Exercises", "",
        _answer("The severe stratum has the larger mean fall but the larger p-value. How can both be true?"
                if larger_fall_larger_p(mod, sev) else
                "Which stratum has the larger mean fall, and which the smaller p-value? Need they be the same stratum?",
                a1, 1),
        _answer("Rebuild with `-p alpha=0.01`. Which numbers change, and which do not?", a2, 2),
        _answer("Compute the paired t statistic for all patients by hand from the table: mean change / (SD / √n).", a3, 3),
    ])


def holm_answer(rows: list[dict], alpha: float) -> str:
    """Which of the adjusted family stay below alpha (chapter 5, exercise 3)."""
    kept = [r["test"] for r in rows if r["p_holm"] is not None and r["p_holm"] < alpha]
    lost = [r["test"] for r in rows if r["p"] is not None and r["p"] < alpha and r["test"] not in kept]
    out = f"Below α = {alpha:g} after adjustment: " + (", ".join(kept) if kept else "none") + "."
    if lost:
        out += " Below α before but not after: " + ", ".join(lost) + "."
    return out


def trust_exercises(holm_rows: list[dict], alpha: float) -> str:
    """Chapter 5: selection above a higher cut-off, Oldham's reason, the Holm survivors."""
    return "\n".join([
        "## Exercises", "",
        _answer("Rebuild with `-p severe_above=9`. How does the expected regression to the mean in the severe "
                "stratum change, and why?",
                "It grows: selecting patients further above the mean makes φ(z)/(1 − Φ(z)) larger. The more extreme "
                "the selection, the more of the next measurement's fall is expected by chance alone.", 1),
        _answer("Why is the correlation of change with *baseline* a biased test of \"larger falls at higher HbA1c\"?",
                "Baseline appears in both variables (change = follow-up − baseline), so measurement error in baseline "
                "creates a negative correlation even when nothing depends on the level: Oldham's plot avoids this by "
                "using the mean of the two measurements.", 2),
        _answer("With Holm adjustment, which subgroup findings remain below α?", holm_answer(holm_rows, alpha), 3),
    ])


def published_exercises(bounds: dict | None, published: dict | None) -> str:
    """Chapter 6: the stratum-size arithmetic and the SD the severe p implies, from the printed
    figures; without the paper's stratum figures, an exercise on writing a published-figures file."""
    if not bounds or bounds.get("severe_n_min") is None or published is None:
        return "\n".join([
            "## Exercises", "",
            _answer("Write a published-figures file for a study you know: which of its printed figures can this "
                    "report reproduce, and which check fits a figure printed as \"p < 0.001\"?",
                    "Each figure names one of the quantities listed in `data/README.md` (\"Published-figures files\"), "
                    "such as the number analysed or the mean follow-up; a figure printed as a bound is compared with "
                    "`check: below`, one printed as a rounded value with `round(d)` or `sig(k)`. Rebuild with "
                    "`-p published_path=FILE.yaml`.", 1),
        ])
    fig = {f["id"]: f["value"] for f in published["figures"]}
    sizes = next(a["value"] for a in published["assumed"] if a["id"] == "stratum_sizes")
    nm, ns, n = sizes["moderate"], sizes["severe"], fig["n"]
    fall = (nm * fig["moderate_reduction"] + ns * fig["severe_reduction"]) / n
    at = next((r for r in bounds["severe_range"] if r["n_severe"] == ns), None)
    a1 = (f"({nm} × {fig['moderate_reduction']:g} + {ns} × {fig['severe_reduction']:g}) / {n} = {fmt.fmt_num(fall, 3)}; "
          f"{fig['baseline_mean']:g} − {fmt.fmt_num(fall, 3)} = {fmt.fmt_num(fig['baseline_mean'] - fall, 3)}, which prints as "
          f"{fig['followup_mean']:g}. But so does every severe size from {bounds['severe_n_min']} to "
          f"{bounds['severe_n_max']}: the size is not pinned by the paper.")
    a2 = ("Not computable at the assumed size." if at is None else
          f"At n = {ns}, the two-sided p = {fig['severe_p']:g} needs |t({ns - 1})| = "
          f"{fmt.fmt_num(fig['severe_reduction'] * math.sqrt(ns) / at['sd_change'], 3)} (the t quantile), so "
          f"SD = {fig['severe_reduction']:g} × √{ns} / that = {fmt.fmt_num(at['sd_change'])} % points: large, i.e. the "
          "severe patients' responses varied widely. Across the possible sizes it runs from "
          f"{fmt.fmt_num(bounds['severe_range'][0]['sd_change'])} to {fmt.fmt_num(bounds['severe_range'][-1]['sd_change'])}.")
    return "\n".join([
        "## Exercises", "",
        _answer(f"Check the stratum-size assumption by hand: with {nm} moderate patients falling "
                f"{fig['moderate_reduction']:g} % and {ns} severe falling {fig['severe_reduction']:g} %, what is the "
                f"overall mean fall, and does {fig['baseline_mean']:g} − it print as {fig['followup_mean']:g}?", a1, 1),
        _answer(f"The severe stratum's p = {fig['severe_p']:g} with n = {ns} and a mean fall of "
                f"{fig['severe_reduction']:g}: what SD of change does it imply?", a2, 2),
    ])
