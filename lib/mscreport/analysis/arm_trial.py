"""The trial analyses of a controlled study as a trial statistician reads them: sentences and a
small table written from the ``arms`` block of results.json (``trial.with_trial_analyses``),
never recomputed here.

* the ANCOVA's common-slope check (``baseline_interaction``) and what it means when it fails;
* multiplicity with two or more comparisons: the Holm-adjusted p (``p_holm``) and the global F
  (``global``);
* the between-arm effect within each baseline stratum (``by_stratum``), a small table;
* the rate below the target at follow-up per arm and their difference (``target``);
* the ANCOVA interval judged against the clinically meaningful difference (``mcid``), in words;
* the arm-by-severity interaction (``interaction_severity``), the one home of that test.

Conventions: HbA1c differences in % points (negative = lower HbA1c in the arm than in the
reference), rates as percentages of the arm's analysed patients, intervals at 1 - alpha.
Disclosure: a comparison with an arm hidden by the disclosure rule, or with fewer than 3
patients, says nothing beyond that; a stratum cell hidden on the pages is suppressed.
"""

from __future__ import annotations

import pandas as pd

from mscreport.core.disclosure import hidden_arm_cells, hidden_strata, shown_count, suppressed, too_few
from mscreport.display import fmt
from mscreport.display.arm_tables import hidden_arms_of
from mscreport.display.fmt import md_name

MCID_WORDS = {
    "meaningful_benefit": "the whole interval lies below \u2212{m}: a **clinically meaningful benefit** "
                          "(HbA1c lower by more than the meaningful difference)",
    "meaningful_harm": "the whole interval lies above +{m}: a **clinically meaningful harm** "
                       "(HbA1c higher by more than the meaningful difference)",
    "no_meaningful_benefit": "the interval excludes a fall of {m} or more: **no clinically meaningful benefit**",
    "inconclusive": "the interval holds both a meaningful fall of {m} or more and smaller effects: "
                    "**inconclusive** (the data cannot tell a meaningful benefit from none)",
}


def _shown(block: dict, c: dict) -> bool:
    """Whether a comparison's numbers may be shown: both arms of at least 3 patients and
    neither hidden by the disclosure rule."""
    hidden = hidden_arms_of(block)
    return not (too_few(c["n_arm"]) or too_few(c["n_reference"]) or {c["arm"], c["reference"]} & hidden)


def _pair(c: dict) -> str:
    return f"**{md_name(c['arm'])}** vs **{md_name(c['reference'])}**"


def _f_test(t: dict) -> str:
    return (f"F({fmt.fmt_int(t['df1'])}, {fmt.fmt_int(t['df2'])}) = {fmt.fmt_num(t['f'])}, {fmt.fmt_p(t['p'])}")


def say_common_slope(block: dict, c: dict, alpha: float) -> str:
    """The ANCOVA's common-slope check for one comparison (``baseline_interaction``: R
    ``anova(lm(f ~ b + arm), lm(f ~ b * arm))`` on the two arms), and what the page makes of it."""
    t = c.get("baseline_interaction")
    if not _shown(block, c):
        return ""
    if t is None or t.get("p") is None:
        return (f"{_pair(c)}: the ANCOVA's common-slope assumption cannot be checked here (no residual degrees "
                "of freedom for the arm \u00d7 baseline term).")
    head = (f"**Common slope?** The ANCOVA assumes that follow-up depends on baseline by the same slope in both "
            f"arms. {_pair(c)}, arm \u00d7 baseline: {_f_test(t)}.")
    if t["p"] < alpha:
        return (head + " **The slopes differ**: the effect of the arm depends on the baseline level, so the "
                "ANCOVA difference is the difference at the mean baseline of these patients, not one effect for "
                "everyone; the effect within each baseline stratum (below) shows how it changes.")
    return (head + " No evidence that the slopes differ (a large p does not show that they are equal); the "
            "ANCOVA difference applies at every baseline.")


def say_multiplicity(block: dict, alpha: float) -> str:
    """With two or more comparisons: each ANCOVA p with its Holm adjustment (``p_holm``: R
    ``p.adjust(p, "holm")`` over the comparisons) and the global F of any arm effect (R
    ``anova(lm(f ~ b), lm(f ~ b + arm))``); '' with one comparison."""
    comparisons = block.get("comparisons") or []
    if len(comparisons) < 2:
        return ""
    shown = [c for c in comparisons if _shown(block, c)]
    parts = [f"{md_name(c['arm'])}: {fmt.fmt_p(c['ancova']['p'])}, Holm-adjusted {fmt.fmt_p(c.get('p_holm'))}"
             for c in shown]
    text = (f"**{len(comparisons)} comparisons with the reference.** Each ANCOVA p-value, adjusted by Holm's "
            "method so that the chance of any false positive among them stays at alpha: " + "; ".join(parts) + "."
            if parts else "")
    g = block.get("global")
    if g is not None and g.get("p") is not None and len(shown) == len(comparisons):
        verdict = ("some arms differ" if g["p"] < alpha else "no evidence that any arm differs from the others")
        text += (f" **Any difference among the arms** at equal baseline (global F test, one test for all arms): "
                 f"{_f_test(g)}: {verdict}.")
    return text.strip()


def by_stratum_frame(block: dict, hidden_cells=frozenset(), alpha: float = 0.05) -> pd.DataFrame | None:
    """The between-arm effect within each baseline stratum (``by_stratum``: R ``lm(f ~ b + arm)``
    on the two arms' patients of the stratum), one row per comparison and stratum; None when
    no comparison has a stratum. ``hidden_cells``: (arm, stratum) cells the pages hide."""
    level = f"{1 - alpha:.0%} CI (% points)"
    rows = []
    for c in block.get("comparisons") or []:
        if not _shown(block, c):
            continue
        for s, e in (c.get("by_stratum") or {}).items():
            row = {"comparison": f"{c['arm']} vs {c['reference']}", "stratum": s}
            hide = {(c["arm"], s), (c["reference"], s)} & set(hidden_cells)
            if hide:
                n = min(e["n_arm"], e["n_reference"])
                rows.append({**row, "n": suppressed(n), "difference in follow-up at equal baseline": suppressed(n)})
                continue
            row["n"] = f"{shown_count(e['n_arm'])} vs {shown_count(e['n_reference'])}"
            if e.get("estimate") is None:
                rows.append({**row, "difference in follow-up at equal baseline":
                             "not estimated (an arm has fewer than 3 here)"})
                continue
            rows.append({**row, "difference in follow-up at equal baseline": fmt.fmt_change(e["estimate"]),
                         level: fmt.fmt_ci(e["ci_low"], e["ci_high"]), "p": fmt.fmt_pvalue(e["p"])})
    return pd.DataFrame(rows).fillna("") if rows else None


def say_target_difference(block: dict, c: dict, target: float, alpha: float) -> str:
    """Below ``target_hba1c`` at follow-up in each arm and the difference (``target``: R
    ``prop.test(c(x_arm, x_ref), c(n_arm, n_ref), correct = FALSE)``), in one sentence."""
    t = c.get("target")
    if t is None or not _shown(block, c):
        return ""
    p = f", {fmt.fmt_p(t['p'])}" if t.get("p") is not None else " (no test: the same rate of 0 or 1 in both arms)"
    return (f"**Below the target** ({fmt.fmt_hba1c(target)}) at follow-up: {fmt.fmt_percent(t['arm_rate'])} of "
            f"**{md_name(c['arm'])}** ({shown_count(t['x_arm'])} of {shown_count(t['n_arm'])}) vs "
            f"{fmt.fmt_percent(t['reference_rate'])} of **{md_name(c['reference'])}** "
            f"({shown_count(t['x_reference'])} of {shown_count(t['n_reference'])}); difference "
            f"{fmt.fmt_percent(t['difference'])} of patients, {1 - alpha:.0%} CI "
            f"{fmt.fmt_percent_ci(t['ci_low'], t['ci_high'])}{p}.")


def say_mcid(block: dict, c: dict, alpha: float) -> str:
    """The ANCOVA interval judged against the clinically meaningful difference (``mcid``), in words."""
    mcid = block.get("mcid") or {}
    verdict = (mcid.get("verdicts") or {}).get(c["arm"])
    if verdict is None or not _shown(block, c):
        return ""
    m = fmt.fmt_num(mcid["value"])
    a = c["ancova"]
    return (f"**Clinically meaningful?** With a meaningful difference of {m} % points (parameter `mcid`), the "
            f"{1 - alpha:.0%} CI of {md_name(c['arm'])} vs {md_name(c['reference'])}, "
            f"{fmt.fmt_ci(a['ci_low'], a['ci_high'])} % points: " + MCID_WORDS[verdict].format(m=m) + ".")


def say_severity_interaction(block: dict | None) -> str:
    """The arm-by-severity interaction from ``arms.interaction_severity`` (R ``anova(lm(f ~ b +
    arm + stratum), lm(f ~ b + arm * stratum))``), or why it cannot be tested."""
    i = (block or {}).get("interaction_severity")
    if i is None or i.get("p") is None:
        return ("The arm-by-severity interaction cannot be tested here (it needs two strata, and patients "
                "of more than one arm in a stratum).")
    return (f"Does the between-arm difference depend on the severity stratum? The arm-by-severity interaction, "
            f"given baseline, arm and stratum: {_f_test(i)}. A large p is not evidence that the effect is the same "
            "in every stratum: trials are rarely powered for interactions.")


def trial_sentences(block: dict | None, params: dict) -> list[str]:
    """Every sentence of the trial section of the change chapter, in reading order (per
    comparison: common slope, target, meaningful difference; then multiplicity)."""
    if not block or not block.get("reference"):
        return []
    alpha, target = params["alpha"], float(params["target_hba1c"])
    out = []
    for c in block.get("comparisons") or []:
        out += [say_common_slope(block, c, alpha), say_target_difference(block, c, target, alpha),
                say_mcid(block, c, alpha)]
    out.append(say_multiplicity(block, alpha))
    return [s for s in out if s]


def show_trial(ch, block: dict | None) -> None:
    """Chapter 3: the trial statistician's reading of the ``arms`` block (results.json layout):
    sentences, and the effect within each stratum as a table; nothing without a comparison."""
    if not block or not block.get("reference"):
        return
    params = ch.params
    ch.say("## Reading the trial: the ANCOVA's assumption, several arms, strata, the target and what matters\n\n"
           "What a trial statistician checks beside the between-arm effect: whether the ANCOVA's common baseline "
           "slope holds, how several comparisons with one reference are adjusted, the effect within each "
           "baseline stratum (not only an interaction test), the rate at target per arm, and whether the "
           "interval rules in or out a clinically meaningful difference.")
    for sentence in trial_sentences(block, params):
        ch.say(sentence)
    f = ch.cohort.frame
    cells = hidden_arm_cells(f, "stratum", None, hidden_strata(f))
    ch.table(by_stratum_frame(block, cells, params["alpha"]),
             "Between-arm effect within each baseline stratum (ANCOVA on the two arms' patients of the stratum; "
             "negative = lower HbA1c in the arm)")
